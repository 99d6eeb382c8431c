//! A folder of segment files (a shared volume the pods of a run write to) read as one run, as
//! far as it has got: the segments are autosaved every 2 s, so reading the folder again shows
//! the run live.

use std::path::{Path, PathBuf};

use super::{Completeness, FolderError, merge};
use crate::run::RunRecord;

/// The run a folder holds so far.
#[derive(Debug, Clone)]
pub struct FolderRun {
    /// The segments merged (missing ones noted in its warnings).
    pub record: RunRecord,
    /// The segment files read.
    pub files: Vec<PathBuf>,
    /// How many segments the run has (n of `--segment i/n`): more than `files` while some
    /// have not written yet.
    pub segment_count: u32,
    /// Files left out, and why (not a segment, unreadable, another run).
    pub skipped: Vec<(PathBuf, String)>,
}

/// Reads every segment file in `dir` and merges those of the newest run.
pub fn read_folder(dir: &Path) -> Result<FolderRun, FolderError> {
    crate::io_guard::note(|| format!("list segments in {}", dir.display()));
    let entries = std::fs::read_dir(dir).map_err(|source| FolderError::Unreadable {
        dir: dir.to_path_buf(),
        source,
    })?;
    let mut segments: Vec<(PathBuf, RunRecord)> = Vec::new();
    let mut skipped = Vec::new();
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    for path in paths {
        match crate::run::load(&path) {
            Ok(record) if record.segment.is_some() => segments.push((path, record)),
            Ok(_) => skipped.push((path, "not a segment (run without --segment)".to_string())),
            Err(err) => skipped.push((path, err.to_string())),
        }
    }
    let newest = segments
        .iter()
        .max_by(|(_, a), (_, b)| a.started_at.cmp(&b.started_at))
        .map(|(_, record)| record.id.clone())
        .ok_or_else(|| FolderError::Empty { dir: dir.to_path_buf() })?;
    let (mine, others): (Vec<_>, Vec<_>) = segments.into_iter().partition(|(_, record)| record.id == newest);
    skipped.extend(
        others
            .into_iter()
            .map(|(path, record)| (path, format!("segment of an older run, {}", record.id))),
    );
    let record = merge(&mine, Completeness::SoFar)?;
    let segment_count = mine
        .iter()
        .filter_map(|(_, record)| record.segment.as_ref().map(|segment| segment.count))
        .max()
        .unwrap_or(0);
    Ok(FolderRun {
        record,
        segment_count,
        files: mine.into_iter().map(|(path, _)| path).collect(),
        skipped,
    })
}
