//! Why a run file could not be written or read ([`RunFileError`]), and opening one for
//! reading safely: only regular files, never blocking on a FIFO, none larger than Loadscope
//! reads whole.

use std::path::{Path, PathBuf};

use super::record::{RUN_FORMAT, RUN_VERSION};

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
    #[error(
        "run {path} is still being written (last saved {saved_at}): change or delete it after the run ends (Stop it first), or it would be undone by the run's next save"
    )]
    StillRunning { path: PathBuf, saved_at: String },
    #[error("run file {path} has version {found}, newer than this Loadscope reads ({RUN_VERSION}); upgrade Loadscope")]
    TooNew { path: PathBuf, found: u32 },
    #[error("{path} is {kind}, not a regular file: Loadscope reads runs only from regular files (move it out of the runs folder)")]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error(
        "run file {path} is {:.1} MB, over the {} MB Loadscope reads whole (the library lists it from its summary); if it really is a run, set LOADSCOPE_MAX_RUN_FILE_MB to a larger figure to open it",
        *bytes as f64 / 1e6, max_bytes / 1_000_000
    )]
    TooLarge { path: PathBuf, bytes: u64, max_bytes: u64 },
}

impl RunFileError {
    /// Why, without the path (the caller names it): the system's words for a failed read or
    /// write ("No space left on device"), else the whole message.
    pub fn reason(&self) -> String {
        match self {
            RunFileError::Write { source, .. } | RunFileError::Read { source, .. } => source.to_string(),
            other => other.to_string(),
        }
    }
}

/// The largest run file read whole (1 GB), unless `LOADSCOPE_MAX_RUN_FILE_MB` says otherwise:
/// a file past it is listed from its summary, and refused with a message when opened.
pub(crate) const MAX_RUN_FILE_BYTES: u64 = 1_000_000_000;

pub(super) fn max_run_file_bytes() -> u64 {
    std::env::var("LOADSCOPE_MAX_RUN_FILE_MB")
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok())
        .map(|mb| mb.saturating_mul(1_000_000))
        .unwrap_or(MAX_RUN_FILE_BYTES)
}

/// What a path that is not a regular file is, in words.
pub(super) fn kind_of(file_type: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() { "a folder" } else { "not a file" }
}

/// Opens `path` for reading only when it is a regular file (following links), without
/// blocking on a FIFO: on Unix it is opened non-blocking and checked by its handle, so a file
/// swapped for a FIFO between a check and the open cannot hang the reader. Returns the file
/// and its size.
pub(crate) fn open_regular(path: &Path) -> Result<(std::fs::File, u64), RunFileError> {
    let read_error = |source| RunFileError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    // A folder or device is told apart before opening it where the path says so already.
    let metadata = std::fs::metadata(path).map_err(read_error)?;
    if !metadata.is_file() {
        return Err(RunFileError::NotAFile {
            path: path.to_path_buf(),
            kind: kind_of(&metadata.file_type()),
        });
    }
    let file = options.open(path).map_err(read_error)?;
    let metadata = file.metadata().map_err(read_error)?;
    if !metadata.is_file() {
        return Err(RunFileError::NotAFile {
            path: path.to_path_buf(),
            kind: kind_of(&metadata.file_type()),
        });
    }
    Ok((file, metadata.len()))
}

/// How long after its last save an unfinished run file is taken as interrupted.
pub(crate) const STALE_AFTER_SECS: u64 = 30;

/// A JSON error in a run file, with its place.
pub(super) fn json_error(path: &Path, err: &serde_json::Error) -> RunFileError {
    RunFileError::Json {
        path: path.to_path_buf(),
        line: err.line(),
        column: err.column(),
        message: err.to_string(),
    }
}

/// Whether a run file marked running was last saved too long ago: its writer died.
pub(super) fn is_stale(saved_at: &str) -> bool {
    match humantime::parse_rfc3339(saved_at) {
        Ok(saved) => saved.elapsed().map(|age| age.as_secs() > STALE_AFTER_SECS).unwrap_or(false),
        Err(_) => true,
    }
}
