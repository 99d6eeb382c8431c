//! The run library: where runs are saved by default, and listing what is there. A file that
//! cannot be read is listed with the reason; the others still load.

use std::path::{Path, PathBuf};

use super::record::RunRecord;
use super::save::{RunFileError, load};

/// The default folder for runs: the platform data dir's `runs/`
/// (`~/.local/share/loadscope/runs` on Linux). `LOADSCOPE_DATA_DIR` overrides the data dir.
pub fn default_runs_dir() -> PathBuf {
    data_dir().join("runs")
}

/// Loadscope's data dir.
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LOADSCOPE_DATA_DIR") {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("dev", "loadscope", "loadscope")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".loadscope"))
}

/// A file name for a new run: `20261127T103322Z-api-gateway.json`.
pub fn run_file_name(started_at_rfc3339: &str, preset_name: &str) -> String {
    let stamp: String = started_at_rfc3339
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T' || *c == 'Z')
        .collect();
    format!("{stamp}-{}.json", slug(preset_name))
}

/// A name as lowercase ASCII words joined by dashes (`API Gateway` -> `api-gateway`).
pub fn slug(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// One entry of the library.
#[derive(Debug)]
pub enum LibraryEntry {
    Run { path: PathBuf, record: Box<RunRecord> },
    Unreadable { path: PathBuf, error: RunFileError },
}

/// Every `*.json` in `dir`, newest first (by file name, which starts with the start time).
pub fn list(dir: &Path) -> std::io::Result<Vec<LibraryEntry>> {
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(err) => return Err(err),
    };
    paths.sort();
    paths.reverse();
    Ok(paths
        .into_iter()
        .map(|path| match load(&path) {
            Ok(record) => LibraryEntry::Run {
                path,
                record: Box::new(record),
            },
            Err(error) => LibraryEntry::Unreadable { path, error },
        })
        .collect())
}
