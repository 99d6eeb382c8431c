//! Writing run files atomically: a temporary file in the same folder, flushed to disk, then
//! renamed over the target, so a reader never sees half a file and a crash keeps the last
//! complete save.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::record::{RUN_FORMAT, RUN_VERSION, RunRecord, RunStatus};

/// Why a run file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum RunFileError {
    #[error("cannot write run file {path}: {source} (check the folder exists and is writable, or pass --out)")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot read run file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("run file {path} is not valid JSON at line {line} column {column}: {message}")]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path} is not a Loadscope run file (format {found:?}, expected {RUN_FORMAT:?})")]
    NotARun { path: PathBuf, found: String },
    #[error("run file {path} has version {found}, newer than this Loadscope reads ({RUN_VERSION}); upgrade Loadscope")]
    TooNew { path: PathBuf, found: u32 },
}

/// Writes `record` to `path` atomically, creating the folder if needed.
pub fn save_atomic(record: &RunRecord, path: &Path) -> Result<(), RunFileError> {
    let wrap = |source| RunFileError::Write {
        path: path.to_path_buf(),
        source,
    };
    let json = serde_json::to_vec_pretty(record).map_err(|err| wrap(std::io::Error::other(err)))?;
    write_atomic(path, &json).map_err(wrap)
}

/// Writes `bytes` to `path` through a temporary file in the same folder (flushed, then renamed
/// over the target), creating the folder if needed: a reader never sees half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let file_name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// How long after its last save an unfinished run file is taken as interrupted.
pub const STALE_AFTER_SECS: u64 = 30;

/// Reads a run file. A file still marked running whose last save is older than
/// [`STALE_AFTER_SECS`] comes back as [`RunStatus::Interrupted`]: its writer died.
pub fn load(path: &Path) -> Result<RunRecord, RunFileError> {
    let bytes = std::fs::read(path).map_err(|source| RunFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let header: serde_json::Value = serde_json::from_slice(&bytes).map_err(|err| json_error(path, &err))?;
    let format = header.get("format").and_then(|value| value.as_str()).unwrap_or("");
    if format != RUN_FORMAT {
        return Err(RunFileError::NotARun {
            path: path.to_path_buf(),
            found: format.to_string(),
        });
    }
    let version = header.get("version").and_then(|value| value.as_u64()).unwrap_or(0) as u32;
    if version > RUN_VERSION {
        return Err(RunFileError::TooNew {
            path: path.to_path_buf(),
            found: version,
        });
    }
    let mut record: RunRecord = serde_json::from_value(header).map_err(|err| json_error(path, &err))?;
    if record.status == RunStatus::Running && is_stale(&record.saved_at) {
        record.status = RunStatus::Interrupted;
    }
    Ok(record)
}

fn json_error(path: &Path, err: &serde_json::Error) -> RunFileError {
    RunFileError::Json {
        path: path.to_path_buf(),
        line: err.line(),
        column: err.column(),
        message: err.to_string(),
    }
}

fn is_stale(saved_at: &str) -> bool {
    match humantime::parse_rfc3339(saved_at) {
        Ok(saved) => saved.elapsed().map(|age| age.as_secs() > STALE_AFTER_SECS).unwrap_or(false),
        Err(_) => true,
    }
}
