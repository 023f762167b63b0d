//! The pipeline (DESIGN §2): resolve → layers in parallel (cached) → merge → report.

use crate::analyze::layer::LayerVisitor;
use crate::analyze::{self, Analyzer, Artifact, LayerAnalysis};
use crate::cache::LayerCache;
use crate::detect::{ConfigDetector, Detection};
use crate::error::{Error, Result};
use crate::image::{self, LayerRef, Platform, ResolvedImage};
use crate::layer::limits::{Budget, Exceeded, Limits};
use crate::layer::walk::{EntryKind, WalkError, walk_layer};
use crate::merge::final_view;
use crate::progress::{Counting, Progress};
use crate::report::{ImageInfo, Layer, Os, Report, Status};
use crate::source::BlobSource;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Options of one scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Platform to pick from multi-platform indexes.
    pub platform: Platform,
    /// Size, entry and per-file limits.
    pub limits: Limits,
    /// Layers read at the same time.
    pub workers: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            platform: Platform::default(),
            limits: Limits::default(),
            workers: std::thread::available_parallelism().map_or(2, |n| n.get().min(4)),
        }
    }
}

/// Scans images from any [`BlobSource`].
pub struct Scanner {
    options: ScanOptions,
    analyzers: Vec<Arc<dyn Analyzer>>,
    config_detectors: Vec<Arc<dyn ConfigDetector>>,
    cache: Option<Arc<dyn LayerCache>>,
    progress: Option<Arc<dyn Progress>>,
}

/// The outcome of analysing an image's layers, before report assembly.
pub struct Analysis {
    /// The image as resolved.
    pub image: ResolvedImage,
    /// Per-layer results, bottom first (empty when a limit was exceeded).
    pub layers: Vec<LayerAnalysis>,
    /// Layers served from the cache.
    pub cached_layers: usize,
    /// The limit the image went over, if any.
    pub exceeded: Option<Exceeded>,
    /// What the config detectors found in the image configuration.
    pub config_detections: Vec<Detection>,
}

impl Scanner {
    /// A scanner with the default analyzers and config detectors, and no cache.
    pub fn new(options: ScanOptions) -> Self {
        Scanner {
            options,
            analyzers: analyze::default_analyzers(),
            config_detectors: crate::detect::default_config_detectors(),
            cache: None,
            progress: None,
        }
    }

    /// Report reading progress to `progress`.
    pub fn with_progress(mut self, progress: Arc<dyn Progress>) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Use this cache for per-layer results.
    pub fn with_cache(mut self, cache: Arc<dyn LayerCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Replace the list of analyzers.
    pub fn with_analyzers(mut self, analyzers: Vec<Arc<dyn Analyzer>>) -> Self {
        self.analyzers = analyzers;
        self
    }

    /// Replace the list of image-config detectors.
    pub fn with_config_detectors(mut self, detectors: Vec<Arc<dyn ConfigDetector>>) -> Self {
        self.config_detectors = detectors;
        self
    }

    /// Scan the image `source` points at.
    pub fn scan(&self, source: &dyn BlobSource) -> Result<Report> {
        let analysis = self.analyze(source)?;
        Ok(build_report(&analysis))
    }

    /// Resolve the image and analyse its layers (the part of a scan that reads the image).
    pub fn analyze(&self, source: &dyn BlobSource) -> Result<Analysis> {
        let image = image::resolve(source, &self.options.platform)?;
        let config_detections = self
            .config_detectors
            .iter()
            .flat_map(|d| d.detect(&image.config))
            .collect();
        let budget = Budget::new(self.options.limits);
        let set = analyze::set_version(&self.analyzers);
        let options = format!("read{}", self.options.limits.max_file_read);
        let key = |l: &LayerRef| format!("layer/{}/{set}/{options}", l.diff_id);

        let slots: Vec<Mutex<Option<Result<LayerAnalysis, WalkError>>>> =
            image.layers.iter().map(|_| Mutex::new(None)).collect();
        let mut cached_layers = 0;
        let mut todo = Vec::new();
        for (i, layer) in image.layers.iter().enumerate() {
            match self.cache.as_ref().and_then(|c| c.get_layer(&key(layer))) {
                Some(a) if a.diff_id == layer.diff_id => {
                    cached_layers += 1;
                    *lock(&slots[i]) = Some(Ok(a));
                }
                _ => todo.push(i),
            }
        }

        if let Some(p) = &self.progress {
            p.start(todo.len(), todo.iter().map(|&i| image.layers[i].size).sum());
        }
        let next = AtomicUsize::new(0);
        let workers = self.options.workers.clamp(1, todo.len().max(1));
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| {
                    loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&i) = todo.get(n) else { break };
                        if budget.stopped() {
                            break;
                        }
                        let layer = &image.layers[i];
                        let result = self.read_layer(source, layer, &budget);
                        match &result {
                            Ok(a) => {
                                if let Some(c) = &self.cache {
                                    c.put_layer(&key(layer), a);
                                }
                            }
                            Err(_) => budget.stop(),
                        }
                        *lock(&slots[i]) = Some(result);
                        if let Some(p) = &self.progress {
                            p.layer_done();
                        }
                    }
                });
            }
        });

        if let Some(exceeded) = budget.exceeded() {
            return Ok(Analysis {
                image,
                layers: Vec::new(),
                cached_layers,
                exceeded: Some(exceeded),
                config_detections,
            });
        }
        let mut layers = Vec::with_capacity(slots.len());
        for slot in slots {
            match slot.into_inner().unwrap_or_else(|p| p.into_inner()) {
                Some(Ok(a)) => layers.push(a),
                Some(Err(WalkError::Layer(e))) => return Err(e),
                // A layer stopped because another failed: that failure is reported instead.
                Some(Err(WalkError::Stopped | WalkError::Exceeded(_))) | None => continue,
            }
        }
        if layers.len() != image.layers.len() {
            return Err(Error::invalid(
                source.name(),
                "scan stopped before every layer was read",
            ));
        }
        Ok(Analysis {
            image,
            layers,
            cached_layers,
            exceeded: None,
            config_detections,
        })
    }

    fn read_layer(
        &self,
        source: &dyn BlobSource,
        layer: &LayerRef,
        budget: &Budget,
    ) -> Result<LayerAnalysis, WalkError> {
        let blob = source.open_blob(&layer.digest).map_err(WalkError::Layer)?;
        let mut visitor = LayerVisitor::new(&self.analyzers, &layer.diff_id);
        let stats = match &self.progress {
            Some(p) => walk_layer(Counting::new(blob, p.as_ref()), layer, budget, &mut visitor)?,
            None => walk_layer(blob, layer, budget, &mut visitor)?,
        };
        let mut analysis = visitor.analysis;
        analysis.entries = stats.entries;
        analysis.uncompressed = stats.uncompressed;
        Ok(analysis)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Assemble the report of an analysed image.
pub fn build_report(analysis: &Analysis) -> Report {
    let image = &analysis.image;
    let info = ImageInfo {
        reference: image.reference.clone(),
        digest: image.digest.clone(),
        id: Some(image.config_digest.clone()),
        platform: Some(image.platform.to_string()),
        os: None,
        layers: image
            .layers
            .iter()
            .map(|l| Layer {
                digest: l.digest.clone(),
                diff_id: l.diff_id.clone(),
                size: l.size,
            })
            .collect(),
    };
    if let Some(exceeded) = analysis.exceeded {
        let mut report = Report::new(Status::TooLarge, info);
        let message = format!("not scanned: over the limit: {exceeded}");
        report.verdict.passed = false;
        report.verdict.violations.push(message.clone());
        report.message = Some(message);
        return report;
    }
    let mut report = Report::new(Status::Scanned, info);
    let view = final_view(&analysis.layers);
    report.image.os = detect_os(&view);
    report.packages = crate::inventory::packages(
        &view,
        &analysis.layers,
        &image.layers,
        report.image.os.as_ref(),
    );
    let digests: Vec<&str> = image.layers.iter().map(|l| l.digest.as_str()).collect();
    let packaged = crate::detect::insecure::PackagedFiles::from_view(&view);
    report.findings = crate::detect::findings(
        &analysis.layers,
        &digests,
        &analysis.config_detections,
        &packaged,
    );
    for (path, entry) in &view {
        for a in &entry.result.artifacts {
            if let Artifact::Warning(w) = a {
                report.notes.push(format!("/{path}: {w}"));
            }
        }
    }
    for (i, layer) in analysis.layers.iter().enumerate() {
        let digest = &image.layers[i].digest;
        report
            .notes
            .extend(layer.notes.iter().map(|n| format!("layer {digest}: {n}")));
        if layer.notes_dropped > 0 {
            report.notes.push(format!(
                "layer {digest}: {} more notes not shown",
                layer.notes_dropped
            ));
        }
    }
    report.summary = crate::report::Summary::of(&report.findings);
    report
}

/// The OS from the most authoritative release file present in the final view.
fn detect_os(view: &std::collections::BTreeMap<&str, crate::merge::ViewEntry<'_>>) -> Option<Os> {
    let release = |path: &str| {
        let entry = view.get(path)?;
        entry.result.artifacts.iter().find_map(|a| match a {
            Artifact::OsRelease(os) => Some(os.clone()),
            _ => None,
        })
    };
    // Debian's /etc/os-release is a symlink to ../usr/lib/os-release.
    let os = analyze::os::RELEASE_FILES.iter().find_map(|p| {
        if view
            .get(p)
            .is_some_and(|e| e.result.kind == EntryKind::Symlink)
        {
            return None;
        }
        release(p)
    })?;
    Some(Os {
        family: os.id,
        version: os.version_id,
        codename: os.codename,
        name: os.pretty_name,
    })
}
