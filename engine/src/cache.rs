//! The sled cache of per-layer analyses. Disposable: everything in it can be recomputed from
//! the image, so a schema change, corruption or an oversized database rebuilds it.

use crate::analyze::LayerAnalysis;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Bumped when the layout of cached values changes; older entries are dropped on open.
const SCHEMA: &[u8] = b"1";
/// sled's page cache; its default (1 GiB) would dominate the agent's memory.
const CACHE_CAPACITY: u64 = 64 << 20;
/// A database larger than this on disk is recreated rather than compacted.
const MAX_SIZE_ON_DISK: u64 = 2 << 30;

/// Per-layer analysis storage, so another store can replace sled without touching callers.
pub trait LayerCache: Send + Sync {
    /// A cached analysis, if present and readable.
    fn get_layer(&self, key: &str) -> Option<LayerAnalysis>;
    /// Store an analysis; failures are logged, never fatal (it is only a cache).
    fn put_layer(&self, key: &str, analysis: &LayerAnalysis);
}

/// The sled database in a data directory.
pub struct Cache {
    path: PathBuf,
    db: sled::Db,
    layers: sled::Tree,
}

impl Cache {
    /// Open (or create) the cache in `dir`; a corrupt database is set aside and recreated.
    pub fn open(dir: &Path) -> Result<Cache> {
        let path = dir.join("cache.sled");
        let shown = path.display().to_string();
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
        let db = match open_db(&path) {
            Ok(db) => db,
            Err(OpenError::Locked(m)) => {
                return Err(Error::Cache {
                    path: shown,
                    message: format!(
                        "in use by another assure process ({m}); use another --data-dir or wait for it to finish"
                    ),
                });
            }
            Err(OpenError::Broken(why)) => {
                let aside = set_aside(&path)?;
                tracing::warn!(cache = %shown, moved_to = %aside.display(), "cache unreadable ({why}); starting a new one");
                open_db(&path).map_err(|e| Error::Cache {
                    path: shown.clone(),
                    message: format!("cannot create a fresh cache: {}", e.message()),
                })?
            }
        };
        let cache = Cache::from_db(path, db)?;
        if cache.db.size_on_disk().unwrap_or(0) > MAX_SIZE_ON_DISK {
            tracing::info!(cache = %cache.path.display(), "cache over {} GiB; clearing", MAX_SIZE_ON_DISK >> 30);
            cache.clear()?;
        }
        Ok(cache)
    }

    fn from_db(path: PathBuf, db: sled::Db) -> Result<Cache> {
        let err = |e: sled::Error| Error::Cache {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let layers = db.open_tree("layers").map_err(err)?;
        let meta = db.open_tree("meta").map_err(err)?;
        let cache = Cache {
            path: path.clone(),
            db,
            layers,
        };
        if meta.get("schema").map_err(err)?.as_deref() != Some(SCHEMA) {
            cache.clear()?;
            meta.insert("schema", SCHEMA).map_err(err)?;
        }
        Ok(cache)
    }

    /// Drop every cached layer.
    pub fn clear(&self) -> Result<()> {
        self.layers.clear().map_err(|e| Error::Cache {
            path: self.path.display().to_string(),
            message: e.to_string(),
        })
    }

    /// The underlying sled database, for the other stores of the data directory.
    pub fn sled(&self) -> sled::Db {
        self.db.clone()
    }

    /// Number of cached layers.
    pub fn layer_count(&self) -> usize {
        self.layers.len()
    }

    /// Write everything to disk (call before exiting).
    pub fn flush(&self) -> Result<()> {
        self.db.flush().map(|_| ()).map_err(|e| Error::Cache {
            path: self.path.display().to_string(),
            message: e.to_string(),
        })
    }
}

impl LayerCache for Cache {
    fn get_layer(&self, key: &str) -> Option<LayerAnalysis> {
        let bytes = self.layers.get(key).ok()??;
        match serde_json::from_slice(&bytes) {
            Ok(a) => Some(a),
            Err(e) => {
                tracing::warn!(key, "dropping unreadable cache entry: {e}");
                let _ = self.layers.remove(key);
                None
            }
        }
    }

    fn put_layer(&self, key: &str, analysis: &LayerAnalysis) {
        let stored = serde_json::to_vec(analysis)
            .map_err(|e| e.to_string())
            .and_then(|v| self.layers.insert(key, v).map_err(|e| e.to_string()));
        if let Err(e) = stored {
            tracing::warn!(key, "could not cache layer analysis: {e}");
        }
    }
}

impl Drop for Cache {
    fn drop(&mut self) {
        let _ = self.db.flush();
    }
}

enum OpenError {
    Locked(String),
    Broken(String),
}

impl OpenError {
    fn message(&self) -> &str {
        match self {
            OpenError::Locked(m) | OpenError::Broken(m) => m,
        }
    }
}

fn open_db(path: &Path) -> std::result::Result<sled::Db, OpenError> {
    let config = sled::Config::new()
        .path(path)
        .cache_capacity(CACHE_CAPACITY)
        .mode(sled::Mode::LowSpace)
        .flush_every_ms(Some(1000));
    // sled panics on some corrupted files (sled#1410): a panic means "broken", not "crash".
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| config.open())) {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(sled::Error::Io(e))) if e.to_string().contains("could not acquire lock") => {
            Err(OpenError::Locked(e.to_string()))
        }
        Ok(Err(e)) => Err(OpenError::Broken(e.to_string())),
        Err(_) => Err(OpenError::Broken("sled panicked while opening".into())),
    }
}

fn set_aside(path: &Path) -> Result<PathBuf> {
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let aside = path.with_extension(format!("corrupt-{ts}"));
    std::fs::rename(path, &aside).map_err(|e| Error::Cache {
        path: path.display().to_string(),
        message: format!("cannot move the broken cache aside: {e}"),
    })?;
    Ok(aside)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_lock() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let a = LayerAnalysis {
            diff_id: "sha256:00".into(),
            entries: 3,
            results: vec![crate::analyze::PathResult {
                path: "var/lib/dpkg/status".into(),
                kind: crate::layer::walk::EntryKind::File,
                artifacts: vec![
                    crate::analyze::Artifact::Packages(
                        crate::inventory::dpkg::parse_status("Package: a\nVersion: 1\n").0,
                    ),
                    crate::analyze::Artifact::Warning("w".into()),
                ],
            }],
            ..Default::default()
        };
        cache.put_layer("k", &a);
        assert_eq!(cache.get_layer("k"), Some(a));
        assert_eq!(cache.get_layer("missing"), None);
        drop(cache);
        assert_eq!(Cache::open(dir.path()).unwrap().layer_count(), 1);
    }

    #[test]
    fn corrupt_database_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cache.sled");
        std::fs::create_dir_all(&db).unwrap();
        std::fs::write(db.join("conf"), b"\xff\xfe not a sled config").unwrap();
        std::fs::write(db.join("db"), vec![0xAB; 4096]).unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        assert_eq!(cache.layer_count(), 0);
        let moved = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains("corrupt-")
            })
            .count();
        assert_eq!(moved, 1);
    }

    #[test]
    fn lock_held_by_another_process_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        drop(Cache::open(dir.path()).unwrap());
        // sled takes an flock(2) on its `db` file; util-linux's flock(1) holds the same lock.
        let db = dir.path().join("cache.sled/db");
        let ready = dir.path().join("locked");
        let mut holder = std::process::Command::new("flock")
            .arg("-x")
            // The lock is held by flock itself, not by the command, so killing flock frees it.
            .arg("-o")
            .arg(&db)
            .arg("-c")
            .arg(format!("touch {} && sleep 10", ready.display()))
            .spawn()
            .expect("flock(1) from util-linux");
        while !ready.exists() {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let err = Cache::open(dir.path())
            .err()
            .expect("locked cache must not open");
        holder.kill().unwrap();
        holder.wait().unwrap();
        assert!(
            err.to_string().contains("in use by another assure process"),
            "{err}"
        );
        assert!(Cache::open(dir.path()).is_ok());
    }
}
