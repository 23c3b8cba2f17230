//! Database files read once per process, not once per run: a city database is 63 MB, and a
//! server runs many reports at once and one after another. Each file is keyed by its path and
//! stamped with its size and modification time, so a file replaced on disk (scripts/geodata run
//! again) is read anew by the runs that start after, while runs under way keep the copy they
//! hold. What a file holds is read lazily by the first run that needs it; the others wait for
//! that same read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::SystemTime;

/// One file's contents, read once (or why it could not be).
pub(super) type Slot<T> = Arc<OnceLock<Result<T, String>>>;

/// Size and modification time: a file rewritten in place is another file.
type Stamp = Option<(u64, SystemTime)>;

struct Entry<T> {
    stamp: Stamp,
    slot: Slot<T>,
    reads: usize,
}

/// The files of one kind (city readers, ASN tables) the process has opened.
pub(super) struct FileCache<T> {
    entries: Mutex<BTreeMap<PathBuf, Entry<T>>>,
}

fn stamp(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}

impl<T> FileCache<T> {
    pub(super) const fn new() -> FileCache<T> {
        FileCache {
            entries: Mutex::new(BTreeMap::new()),
        }
    }

    /// The slot every run shares for `path` as it is on disk now.
    pub(super) fn slot(&self, path: &Path) -> Slot<T> {
        let stamp = stamp(path);
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.entry(path.to_owned()).or_insert_with(|| Entry {
            stamp,
            slot: Arc::default(),
            reads: 0,
        });
        if entry.stamp != stamp {
            entry.stamp = stamp;
            entry.slot = Arc::default();
        }
        entry.slot.clone()
    }

    /// Reads `path` into `slot` unless a run already did.
    pub(super) fn get<'a>(
        &self,
        slot: &'a Slot<T>,
        path: &Path,
        read: impl FnOnce(&Path) -> Result<T, String>,
    ) -> &'a Result<T, String> {
        slot.get_or_init(|| {
            if let Some(entry) = self
                .entries
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_mut(path)
            {
                entry.reads += 1;
            }
            read(path)
        })
    }

    /// How many times `path` was read into memory by this process.
    pub(super) fn reads(&self, path: &Path) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(path)
            .map_or(0, |e| e.reads)
    }
}
