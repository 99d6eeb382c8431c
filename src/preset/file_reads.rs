//! Files a preset names (datasets, pool files and folders, saved baseline runs), each read once
//! per version (size and modified time) and kept for the next check of the preset.
//!
//! On most threads a file is read in place. On a thread marked by `io_guard` (the app's window
//! thread, which checks the preset on every keystroke) nothing touches the disk: the last read
//! is answered at once, a file not read yet is read on a thread of its own (the caller hears
//! [`Fetched::Reading`] and checks again when [`reads_finished`] changes), and whether a file
//! changed is looked up off the thread too, at most once a second per file.

use std::any::Any;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// How often a marked thread's files are checked for changes.
const RECHECK_EVERY: Duration = Duration::from_secs(1);
/// A file nobody asked for in this long is forgotten (its contents freed).
const FORGET_AFTER: Duration = Duration::from_secs(600);

/// A file's version: its size and modified time (a folder's: its entries changed).
type Version = (u64, Option<SystemTime>);

/// What a fetch found.
pub(crate) enum Fetched<T, E> {
    /// The file as last read (or why it could not be).
    Done(Arc<Result<T, E>>),
    /// Being read on a thread of its own (marked threads only).
    Reading,
}

struct Entry {
    version: Option<Version>,
    /// `Arc<Result<T, E>>`, erased: one table holds every kind of file.
    result: Option<Arc<dyn Any + Send + Sync>>,
    /// A read or a check is under way.
    busy: bool,
    checked: Instant,
    used: Instant,
}

/// Files by what they are read as (`kind`: "dataset jsonl o200k", "pool", "run") and path.
type Table = Mutex<HashMap<(String, PathBuf), Entry>>;

fn table() -> &'static Table {
    static TABLE: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Reads finished off a marked thread so far (successful or not).
static FINISHED: AtomicU64 = AtomicU64::new(0);

/// How many background reads have finished: a preset that waited on one is checked again when
/// this changes.
pub fn reads_finished() -> u64 {
    FINISHED.load(Ordering::Relaxed)
}

/// Whether a read is under way on a thread of its own.
pub(crate) fn reading_now() -> bool {
    table()
        .lock()
        .map(|table| table.values().any(|entry| entry.busy && entry.result.is_none()))
        .unwrap_or(false)
}

fn version_of(path: &Path) -> Option<Version> {
    std::fs::metadata(path).ok().map(|meta| (meta.len(), meta.modified().ok()))
}

/// The file at `path` read as `kind` by `read`, once per version of the file. See the module's
/// text for how a marked thread is answered.
pub(crate) fn fetch<T, E>(kind: &str, path: &Path, read: impl Fn(&Path) -> Result<T, E> + Send + Sync + 'static) -> Fetched<T, E>
where
    T: Send + Sync + 'static,
    E: Send + Sync + 'static,
{
    let key = (kind.to_string(), path.to_path_buf());
    if !crate::io_guard::this_thread_is_marked() {
        return Fetched::Done(in_place(key, &read));
    }
    let Ok(mut table) = table().lock() else {
        return Fetched::Done(in_place(key, &read));
    };
    let now = Instant::now();
    table.retain(|_, entry| entry.busy || now.duration_since(entry.used) < FORGET_AFTER);
    let entry = table.entry(key.clone()).or_insert_with(|| Entry {
        version: None,
        result: None,
        busy: false,
        checked: now,
        used: now,
    });
    entry.used = now;
    let known = entry.result.clone().and_then(|result| result.downcast::<Result<T, E>>().ok());
    let due = known.is_none() || now.duration_since(entry.checked) >= RECHECK_EVERY;
    if due && !entry.busy {
        entry.busy = true;
        entry.checked = now;
        let read = Arc::new(read);
        let started = std::thread::Builder::new()
            .name("loadscope-file-read".into())
            .spawn(move || read_off_thread::<T, E>(key, read));
        if started.is_err() {
            entry.busy = false;
        }
    }
    match known {
        Some(result) => Fetched::Done(result),
        None => Fetched::Reading,
    }
}

/// How a kind of file is read.
type Reader<T, E> = Arc<dyn Fn(&Path) -> Result<T, E> + Send + Sync>;

/// Reads (or rereads) `key`'s file when its version changed since the last read, on a thread
/// of its own.
fn read_off_thread<T, E>(key: (String, PathBuf), read: Reader<T, E>)
where
    T: Send + Sync + 'static,
    E: Send + Sync + 'static,
{
    let version = version_of(&key.1);
    let unchanged = table()
        .lock()
        .ok()
        // A file still missing (no version) keeps its error until it appears.
        .and_then(|table| table.get(&key).map(|entry| entry.result.is_some() && entry.version == version))
        .unwrap_or(false);
    let result: Option<Arc<dyn Any + Send + Sync>> = if unchanged { None } else { Some(Arc::new(read(&key.1))) };
    if let Ok(mut table) = table().lock()
        && let Some(entry) = table.get_mut(&key)
    {
        entry.busy = false;
        entry.checked = Instant::now();
        if let Some(result) = result {
            entry.result = Some(result);
            entry.version = version;
        }
    }
    if !unchanged {
        FINISHED.fetch_add(1, Ordering::Relaxed);
    }
}

fn in_place<T, E>(key: (String, PathBuf), read: &dyn Fn(&Path) -> Result<T, E>) -> Arc<Result<T, E>>
where
    T: Send + Sync + 'static,
    E: Send + Sync + 'static,
{
    let version = version_of(&key.1);
    if let Some(version) = version
        && let Ok(table) = table().lock()
        && let Some(entry) = table.get(&key)
        && entry.version == Some(version)
        && let Some(result) = entry.result.clone().and_then(|result| result.downcast::<Result<T, E>>().ok())
    {
        return result;
    }
    let result = Arc::new(read(&key.1));
    if version.is_some()
        && let Ok(mut table) = table().lock()
    {
        let now = Instant::now();
        table.insert(
            key,
            Entry {
                version,
                result: Some(result.clone() as Arc<dyn Any + Send + Sync>),
                busy: false,
                checked: now,
                used: now,
            },
        );
    }
    result
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fetch_text(path: &Path) -> Fetched<String, String> {
        fetch("test text", path, |path| {
            std::fs::read_to_string(path).map_err(|err| err.to_string())
        })
    }

    fn text(fetched: Fetched<String, String>) -> Option<String> {
        match fetched {
            Fetched::Done(result) => Some(result.as_ref().clone().unwrap()),
            Fetched::Reading => None,
        }
    }

    #[test]
    fn a_marked_thread_never_waits_and_sees_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pool.txt");
        std::fs::write(&path, "one").unwrap();
        let seen = std::thread::spawn(move || {
            crate::io_guard::mark_this_thread();
            // The first ask starts a read elsewhere and answers at once.
            assert!(text(fetch_text(&path)).is_none());
            let deadline = Instant::now() + Duration::from_secs(10);
            let first = loop {
                if let Some(text) = text(fetch_text(&path)) {
                    break text;
                }
                assert!(Instant::now() < deadline, "the read never finished");
                std::thread::sleep(Duration::from_millis(10));
            };
            std::fs::write(&path, "two, longer").unwrap();
            let second = loop {
                let text = text(fetch_text(&path)).unwrap();
                if text != first {
                    break text;
                }
                assert!(Instant::now() < deadline, "the change was never seen");
                std::thread::sleep(Duration::from_millis(50));
            };
            (first, second)
        })
        .join()
        .unwrap();
        assert_eq!(seen, ("one".to_string(), "two, longer".to_string()));
    }

    #[test]
    fn an_unmarked_thread_reads_in_place_once_per_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pool.txt");
        std::fs::write(&path, "one").unwrap();
        let reads = Arc::new(AtomicU64::new(0));
        let counted = |reads: Arc<AtomicU64>| {
            move |path: &Path| -> std::io::Result<String> {
                reads.fetch_add(1, Ordering::Relaxed);
                std::fs::read_to_string(path)
            }
        };
        for _ in 0..3 {
            assert!(matches!(fetch("counted", &path, counted(reads.clone())), Fetched::Done(_)));
        }
        assert_eq!(reads.load(Ordering::Relaxed), 1);
    }
}
