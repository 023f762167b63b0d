//! The result of analysing one layer, and the walk visitor that produces it.

use crate::analyze::{Analyzer, Artifact, Want};
use crate::layer::walk::{EntryKind, EntryMeta, Visitor};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Notes kept per layer; more are counted, not stored.
const MAX_NOTES: usize = 50;

/// The analyzers' results for one wanted path of a layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathResult {
    /// Normalised path.
    pub path: String,
    /// Entry type (a non-directory hides what lower layers had below it).
    pub kind: EntryKind,
    /// What the analyzers found; may be empty (the path still replaces lower layers' results).
    pub artifacts: Vec<Artifact>,
}

/// Everything the analyzers found in one layer: what is cached under the layer's diffID.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerAnalysis {
    /// The layer's diffID.
    pub diff_id: String,
    /// Tar entries in the layer.
    pub entries: u64,
    /// Uncompressed size.
    pub uncompressed: u64,
    /// Results per wanted path, in tar order.
    pub results: Vec<PathResult>,
    /// Paths deleted from lower layers.
    pub whiteouts: Vec<String>,
    /// Directories whose lower-layer contents are hidden.
    pub opaque_dirs: Vec<String>,
    /// Things worth telling the user (analyzer errors, files larger than the read cap).
    pub notes: Vec<String>,
    /// Notes dropped beyond the cap.
    pub notes_dropped: u64,
}

impl LayerAnalysis {
    fn note(&mut self, note: String) {
        if self.notes.len() < MAX_NOTES {
            self.notes.push(note);
        } else {
            self.notes_dropped += 1;
        }
    }
}

/// Runs a list of analyzers over the entries of one layer walk.
pub struct LayerVisitor<'a> {
    analyzers: &'a [Arc<dyn Analyzer>],
    wanted_by: Vec<usize>,
    /// The analysis being built.
    pub analysis: LayerAnalysis,
}

impl<'a> LayerVisitor<'a> {
    /// A visitor for the layer `diff_id`.
    pub fn new(analyzers: &'a [Arc<dyn Analyzer>], diff_id: &str) -> Self {
        LayerVisitor {
            analyzers,
            wanted_by: Vec::new(),
            analysis: LayerAnalysis {
                diff_id: diff_id.to_string(),
                ..Default::default()
            },
        }
    }
}

impl Visitor for LayerVisitor<'_> {
    fn wants(&mut self, entry: &EntryMeta) -> Option<u64> {
        self.wanted_by.clear();
        let mut cap = None;
        for (i, a) in self.analyzers.iter().enumerate() {
            if let Some(w) = a.wants(entry) {
                self.wanted_by.push(i);
                let n = match w {
                    Want::Meta => 0,
                    Want::Content(n) => n,
                };
                cap = Some(cap.map_or(n, |c: u64| c.max(n)));
            }
        }
        // Kept with no artifacts so that the merge sees it replace what lower layers had below it.
        if cap.is_none()
            && entry.kind != EntryKind::Dir
            && self.analyzers.iter().any(|a| a.may_want_below(&entry.path))
        {
            cap = Some(0);
        }
        cap
    }

    fn visit(&mut self, entry: &EntryMeta, content: &[u8], truncated: bool) {
        if truncated {
            self.analysis.note(format!(
                "/{}: {} bytes, only the first {} analysed (per-file read limit)",
                entry.path,
                entry.size,
                content.len()
            ));
        }
        let mut artifacts = Vec::new();
        for &i in &self.wanted_by {
            let a = &self.analyzers[i];
            match a.analyze(entry, content, truncated) {
                Ok(mut found) => artifacts.append(&mut found),
                Err(e) => self.analysis.note(format!("analyzer {}: {e}", a.name())),
            }
        }
        self.analysis.results.push(PathResult {
            path: entry.path.clone(),
            kind: entry.kind,
            artifacts,
        });
    }

    fn whiteout(&mut self, path: &str) {
        self.analysis.whiteouts.push(path.to_string());
    }

    fn opaque(&mut self, dir: &str) {
        self.analysis.opaque_dirs.push(dir.to_string());
    }
}
