//! Why segment files cannot be merged into one run, or a folder of them read.

use std::path::PathBuf;

use crate::run::histogram::DecodeError;

/// Why a merge refused its segments.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("no segment files given")]
    NoSegments,
    #[error("{path}: started_at {started_at:?} is not a time ({why})")]
    BadStart { path: PathBuf, started_at: String, why: String },
    #[error("{path} is not a segment of a run (it was not run with --segment i/n)")]
    NotASegment { path: PathBuf },
    #[error(
        "{path} belongs to run {id:?}, {first_path} to run {first_id:?}: merge the segments of one run (start them with the same --run-id)"
    )]
    OtherRun {
        path: PathBuf,
        id: String,
        first_path: PathBuf,
        first_id: String,
    },
    /// `preset` and `first_preset` read `"name" (source)`.
    #[error("{path} ran preset {preset}, {first_path} ran {first_preset}: the segments of one run run one preset")]
    OtherPreset {
        path: PathBuf,
        preset: String,
        first_path: PathBuf,
        first_preset: String,
    },
    #[error(
        "{path} ran a different preset from {first_path} ({differs}): the preset file or its command-line overrides changed between segments. Rerun the segments with one preset"
    )]
    PresetChanged {
        path: PathBuf,
        first_path: PathBuf,
        differs: String,
    },
    #[error(
        "segment {index} ({path}) {what}: a merge needs every segment completed. Wait for it or rerun it, or merge what there is with --partial (the merged run is then marked partial and never passes)"
    )]
    Unfinished { index: u32, path: PathBuf, what: &'static str },
    #[error("{path} is a segment of {count} but {first_path} one of {first_count}: give every segment the same n in --segment i/n")]
    CountDiffers {
        path: PathBuf,
        count: u32,
        first_path: PathBuf,
        first_count: u32,
    },
    #[error("{path} and {other} are both segment {index}/{count}")]
    Duplicate {
        path: PathBuf,
        other: PathBuf,
        index: u32,
        count: u32,
    },
    #[error(
        "segment(s) {missing} of {count} missing: give every segment's file (the merged numbers would be short of the run's load), or merge what there is with --partial"
    )]
    Missing { missing: String, count: u32 },
    /// A saved histogram that does not decode; `place` is its scenario or level.
    #[error("{place}: task {task:?}: {source}")]
    Histogram { place: String, task: String, source: DecodeError },
}

/// Why a folder of segment files shows no run.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("cannot read the folder {dir}: {source}")]
    Unreadable { dir: PathBuf, source: std::io::Error },
    #[error("no segment files in {dir} yet: start the segments with --segment i/n and --out {dir}/SEGMENT.json")]
    Empty { dir: PathBuf },
    #[error(transparent)]
    Merge(#[from] MergeError),
}
