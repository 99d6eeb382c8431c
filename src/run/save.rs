//! Writing run files atomically: a temporary file in the same folder, flushed to disk, then
//! renamed over the target, so a reader never sees half a file and a crash keeps the last
//! complete save.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::record::{RUN_VERSION, RunRecord, RunStatus};
use super::run_file::{RunFileError, is_stale, json_error, max_run_file_bytes, open_regular};
use super::summary::RunSummary;

/// The JSON of a run file: `format`, `version` and the run's [`RunSummary`] first (the run
/// library reads only those), then the record.
pub fn run_file_json(record: &RunRecord) -> serde_json::Result<Vec<u8>> {
    #[derive(serde::Serialize)]
    struct RunFile<'a> {
        format: &'a str,
        version: u32,
        summary: RunSummary,
        #[serde(flatten)]
        record: &'a RunRecord,
    }
    serde_json::to_vec_pretty(&RunFile {
        format: &record.format,
        version: record.version,
        summary: RunSummary::of(record),
        record,
    })
}

/// Writes `record` to `path` atomically, creating the folder if needed.
pub fn save_atomic(record: &RunRecord, path: &Path) -> Result<(), RunFileError> {
    let wrap = |source| RunFileError::Write {
        path: path.to_path_buf(),
        source,
    };
    let json = run_file_json(record).map_err(|err| wrap(std::io::Error::other(err)))?;
    write_atomic(path, &json).map_err(wrap)
}

/// Like [`save_atomic`], but refuses to replace a file that is already there (another run's):
/// the file appears whole or not at all, and never over someone else's.
pub(crate) fn save_new(record: &RunRecord, path: &Path) -> Result<(), RunFileError> {
    let wrap = |source| RunFileError::Write {
        path: path.to_path_buf(),
        source,
    };
    let json = run_file_json(record).map_err(|err| wrap(std::io::Error::other(err)))?;
    write_new(path, &json).map_err(wrap)
}

/// Writes `bytes` to `path` through a temporary file in the same folder (flushed, then renamed
/// over the target, then its size read back), creating the folder if needed: a reader never
/// sees half a file, and a write the disk did not keep is an error, not a save.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_through_temp(path, bytes, |temp, path| {
        retry_while_busy(|| std::fs::rename(temp, path), RENAME_TRIES)
    })
}

/// How often a rename over a file another program holds open is tried (Windows refuses the
/// rename while a virus scanner, an indexer or an editor has the file; they let go within
/// moments), 50 ms apart.
const RENAME_TRIES: u32 = 20;

/// Runs `op` until it succeeds, fails for another reason, or `tries` are spent. Only Windows
/// reports a held file as "permission denied"; elsewhere that error is final and not retried.
fn retry_while_busy(mut op: impl FnMut() -> std::io::Result<()>, tries: u32) -> std::io::Result<()> {
    let mut left = tries;
    loop {
        match op() {
            Err(err) if cfg!(windows) && err.kind() == std::io::ErrorKind::PermissionDenied && left > 1 => {
                left -= 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            result => return result,
        }
    }
}

/// Like [`write_atomic`], but fails with `AlreadyExists` when `path` exists: the temporary file
/// is hard-linked to the name (which never replaces), falling back to a checked rename on file
/// systems without hard links.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_through_temp(path, bytes, |temp, path| match std::fs::hard_link(temp, path) {
        Ok(()) => std::fs::remove_file(temp),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Err(err),
        Err(_) if path.exists() => Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "the file exists")),
        Err(_) => std::fs::rename(temp, path),
    })
}

fn write_through_temp(path: &Path, bytes: &[u8], put: impl FnOnce(&Path, &Path) -> std::io::Result<()>) -> std::io::Result<()> {
    crate::io_guard::note(|| format!("write {}", path.display()));
    if path.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "this is a folder; name a file in it (e.g. run.json)",
        ));
    }
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let temp = temp_beside(path);
    let result = (|| {
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        put(&temp, path)?;
        let kept = std::fs::metadata(path)?.len();
        if kept != bytes.len() as u64 {
            return Err(std::io::Error::other(format!(
                "the file holds {kept} bytes after writing {} (disk full?)",
                bytes.len()
            )));
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// A temporary name beside `path`, unique within this process and across processes.
fn temp_beside(path: &Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let file_name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let count = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    path.with_file_name(format!(".{file_name}.{}.{count}.tmp", std::process::id()))
}

/// Why a file a run writes cannot be written where it was asked to be; `what` names the file
/// ("the run file") and `flag` the option that picks it.
#[derive(Debug, thiserror::Error)]
pub enum NotWritable {
    #[error("cannot write {what} {path}: it is a folder; name a file in it (e.g. {flag} {suggested})")]
    Folder {
        what: String,
        path: PathBuf,
        flag: String,
        suggested: PathBuf,
    },
    #[error("cannot write {what} {path}: a file with that name exists (another run's); start the run again for a new name")]
    Exists { what: String, path: PathBuf },
    #[error("cannot write {what} {path}: {source} (pick a writable folder with {flag}, or fix the folder's permissions)")]
    Denied {
        what: String,
        path: PathBuf,
        flag: String,
        source: std::io::Error,
    },
}

/// Checks before a run that its file can be written at `path`: not a folder, the folder can be
/// made, a file can be created (and removed) beside it, and (`must_be_new`) no file has the name.
/// The error names the path and what to do.
pub(crate) fn check_writable(path: &Path, must_be_new: bool) -> Result<(), NotWritable> {
    check_writable_as(path, must_be_new, "the run file", "--out", "run.json")
}

/// [`check_writable`] for another file a run writes: `what` names it in messages, `flag` is the
/// option that picks it and `example` a file name to suggest.
pub(crate) fn check_writable_as(path: &Path, must_be_new: bool, what: &str, flag: &str, example: &str) -> Result<(), NotWritable> {
    if path.is_dir() {
        return Err(NotWritable::Folder {
            what: what.to_string(),
            path: path.to_path_buf(),
            flag: flag.to_string(),
            suggested: path.join(example),
        });
    }
    if must_be_new && path.exists() {
        return Err(NotWritable::Exists {
            what: what.to_string(),
            path: path.to_path_buf(),
        });
    }
    let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty());
    // Folders this check makes are taken away again: a run refused later (a failed preflight)
    // leaves nothing behind.
    let made: Vec<&Path> = dir
        .map(|dir| {
            dir.ancestors()
                .take_while(|ancestor| !ancestor.as_os_str().is_empty() && !ancestor.exists())
                .collect()
        })
        .unwrap_or_default();
    let probe = || -> std::io::Result<()> {
        if let Some(dir) = dir {
            std::fs::create_dir_all(dir)?;
        }
        let temp = temp_beside(path);
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&temp)?;
        let written = file.write_all(b"{}");
        drop(file);
        let removed = std::fs::remove_file(&temp);
        written.and(removed)
    };
    // Another check (a run started at the same moment) may take away a folder it made between
    // this one's making it and writing in it: try again, a few times.
    let mut result = probe();
    for _ in 0..5 {
        match &result {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => result = probe(),
            _ => break,
        }
    }
    for folder in made {
        let _ = std::fs::remove_dir(folder);
    }
    result.map_err(|source| NotWritable::Denied {
        what: what.to_string(),
        path: path.to_path_buf(),
        flag: flag.to_string(),
        source,
    })
}

/// Reads a just-written run file back and checks it is the record that was saved, so "Saved"
/// is said only of a file that reads. A file that does not read is removed (it would only
/// trip every later listing) and the error says why.
pub(crate) fn verify_saved(record: &RunRecord, path: &Path) -> Result<(), RunFileError> {
    let unreadable = |message: String| RunFileError::Json {
        path: path.to_path_buf(),
        line: 0,
        column: 0,
        message,
    };
    let result = match load(path) {
        Ok(read) if read.id == record.id && read.scenarios.len() == record.scenarios.len() => Ok(()),
        Ok(_) => Err(unreadable("it reads back as another run".into())),
        Err(err) => Err(err),
    };
    if result.is_err() {
        let _ = std::fs::remove_file(path);
    }
    result.map_err(|err| unreadable(format!("written but unreadable, so it was removed: {err}")))
}

/// Reads a run file. A file still marked running whose last save is older than
/// [`STALE_AFTER_SECS`](super::run_file::STALE_AFTER_SECS) comes back as [`RunStatus::Interrupted`]: its writer died. Only regular
/// files are read, and none over [`MAX_RUN_FILE_BYTES`]; the format and version are checked
/// from the file's head before the rest is parsed.
pub fn load(path: &Path) -> Result<RunRecord, RunFileError> {
    crate::io_guard::note(|| format!("read run {}", path.display()));
    use std::io::Read;
    let (mut file, size) = open_regular(path)?;
    let max_bytes = max_run_file_bytes();
    if size > max_bytes {
        return Err(RunFileError::TooLarge {
            path: path.to_path_buf(),
            bytes: size,
            max_bytes,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    // Reads at most one byte past the cap: a file that grew since it was measured is refused.
    (&mut file)
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| RunFileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > max_bytes {
        return Err(RunFileError::TooLarge {
            path: path.to_path_buf(),
            bytes: bytes.len() as u64,
            max_bytes,
        });
    }
    super::summary::read_head(bytes.as_slice(), path)?.check(path)?;
    let mut record: RunRecord = serde_json::from_slice(&bytes).map_err(|err| json_error(path, &err))?;
    // Read into today's model, the record is today's version: saved again (its details edited,
    // say), it is written in today's format and must say so, or an older Loadscope would take
    // the new failure kinds for its own.
    record.version = RUN_VERSION;
    if record.status == RunStatus::Running && is_stale(&record.saved_at) {
        record.status = RunStatus::Interrupted;
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_file_is_retried_only_where_that_is_what_the_error_means() {
        let mut calls = 0;
        let result = retry_while_busy(
            || {
                calls += 1;
                Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied))
            },
            3,
        );
        assert!(result.is_err());
        assert_eq!(calls, if cfg!(windows) { 3 } else { 1 });
        let mut calls = 0;
        let result = retry_while_busy(
            || {
                calls += 1;
                if calls < 2 {
                    Err(std::io::Error::from(std::io::ErrorKind::NotFound))
                } else {
                    Ok(())
                }
            },
            3,
        );
        assert!(result.is_err(), "other errors are final everywhere");
        assert_eq!(calls, 1);
    }
}
