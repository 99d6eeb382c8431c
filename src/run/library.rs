//! The run library: where runs are saved by default, and listing what is there. A file that
//! cannot be read is listed with the reason; the others still load.

use std::path::{Path, PathBuf};

use super::record::RunRecord;
use super::run_file::RunFileError;
use super::save::load;
use super::summary::{RunSummary, read_summary};

/// The default folder for runs: the platform data dir's `runs/`
/// (`~/.local/share/loadscope/runs` on Linux). `LOADSCOPE_DATA_DIR` overrides the data dir.
pub(crate) fn default_runs_dir() -> PathBuf {
    data_dir().join("runs")
}

/// The data dir `LOADSCOPE_DATA_DIR` names, if it is set.
pub(crate) fn data_dir_from_env() -> Option<PathBuf> {
    std::env::var_os("LOADSCOPE_DATA_DIR").map(PathBuf::from)
}

/// Loadscope's data dir: the local (not roaming) app data on Windows, where runs of many
/// megabytes do not belong in a roaming profile (see `identity` for each platform's path).
pub(crate) fn data_dir() -> PathBuf {
    if let Some(dir) = data_dir_from_env() {
        return dir;
    }
    use crate::identity::{APPLICATION, ORGANIZATION, QUALIFIER};
    directories::ProjectDirs::from(QUALIFIER, ORGANIZATION, APPLICATION)
        .map(|dirs| dirs.data_local_dir().to_path_buf())
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

/// A new run's id: its start time to the second and a random suffix
/// (`20261202T052444Z-3f9a1c`), so runs started in the same second never share one.
pub(crate) fn new_run_id(started: std::time::SystemTime) -> String {
    let stamp: String = humantime::format_rfc3339_seconds(started)
        .to_string()
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T' || *c == 'Z')
        .collect();
    format!("{stamp}-{:06x}", rand::random::<u32>() & 0xff_ffff)
}

/// The library's file name for run `id` of `preset_name`: the time first (so names sort by
/// start), then the preset, then the id's suffix: `20261202T052444Z-api-gateway-3f9a1c.json`.
pub(crate) fn library_file_name(id: &str, preset_name: &str) -> String {
    let (stamp, suffix) = id.split_once('-').unwrap_or((id, ""));
    let slug = slug(preset_name);
    [stamp, slug.as_str(), suffix]
        .iter()
        .filter(|part| !part.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("-")
        + ".json"
}

/// The library's file name for run `id` of `preset_name` written by one segment (or, without
/// one, [`library_file_name`]): `...-seg2of4.json`, so the segments of a run sharing one folder
/// do not collide.
/// `segment` is (index, count).
pub(crate) fn segment_file_name(id: &str, preset_name: &str, segment: Option<(u32, u32)>) -> String {
    let name = library_file_name(id, preset_name);
    match segment {
        Some((index, count)) => format!("{}-seg{index}of{count}.json", name.trim_end_matches(".json")),
        None => name,
    }
}

/// A name as lowercase ASCII words joined by dashes (`API Gateway` -> `api-gateway`).
pub(crate) fn slug(name: &str) -> String {
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
    Run { path: PathBuf, summary: Box<RunSummary> },
    Unreadable { path: PathBuf, error: RunFileError },
}

impl LibraryEntry {
    pub fn path(&self) -> &Path {
        match self {
            LibraryEntry::Run { path, .. } | LibraryEntry::Unreadable { path, .. } => path,
        }
    }
}

/// What a folder of runs holds: its runs and unreadable files, and the `*.json` names that are
/// not regular files (FIFOs, devices, folders), which are passed over unread.
#[derive(Debug, Default)]
pub struct Listing {
    pub entries: Vec<LibraryEntry>,
    /// (path, what it is).
    pub passed_over: Vec<(PathBuf, &'static str)>,
}

/// One line naming what a listing passed over, or None.
pub(crate) fn passed_over_line(passed_over: &[(PathBuf, &'static str)]) -> Option<String> {
    if passed_over.is_empty() {
        return None;
    }
    let names: Vec<String> = passed_over
        .iter()
        .take(5)
        .map(|(path, kind)| {
            let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
            format!("{} ({kind})", crate::format::terminal(&name))
        })
        .collect();
    let more = passed_over.len().saturating_sub(names.len());
    Some(format!(
        "passed over {} {} not a regular file: {}{}",
        passed_over.len(),
        if passed_over.len() == 1 {
            "entry that is"
        } else {
            "entries that are"
        },
        names.join(", "),
        if more > 0 { format!(" and {more} more") } else { String::new() }
    ))
}

impl Listing {
    /// The runs' summaries, newest first.
    pub fn summaries(&self) -> impl Iterator<Item = (&Path, &RunSummary)> {
        self.entries.iter().filter_map(|entry| match entry {
            LibraryEntry::Run { path, summary } => Some((path.as_path(), summary.as_ref())),
            LibraryEntry::Unreadable { .. } => None,
        })
    }
}

/// Every `*.json` in `dir`, newest first by start time (unreadable files after the runs, by
/// name). Each file is read only as far as its summary (files from before the summary are
/// streamed through, keeping only its fields); anything that is not a regular file is passed
/// over unread.
pub fn list(dir: &Path) -> std::io::Result<Listing> {
    crate::io_guard::note(|| format!("list runs in {}", dir.display()));
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
    let mut listing = Listing::default();
    for path in paths {
        match read_summary(&path) {
            Ok(summary) => listing.entries.push(LibraryEntry::Run {
                path,
                summary: Box::new(summary),
            }),
            Err(RunFileError::NotAFile { kind, .. }) => listing.passed_over.push((path, kind)),
            Err(error) => listing.entries.push(LibraryEntry::Unreadable { path, error }),
        }
    }
    // RFC 3339 times in UTC sort as text; the stable sort keeps name order among equals.
    listing.entries.sort_by(|a, b| match (a, b) {
        (LibraryEntry::Run { summary: a, .. }, LibraryEntry::Run { summary: b, .. }) => b.started_at.cmp(&a.started_at),
        (LibraryEntry::Run { .. }, LibraryEntry::Unreadable { .. }) => std::cmp::Ordering::Less,
        (LibraryEntry::Unreadable { .. }, LibraryEntry::Run { .. }) => std::cmp::Ordering::Greater,
        (LibraryEntry::Unreadable { .. }, LibraryEntry::Unreadable { .. }) => std::cmp::Ordering::Equal,
    });
    Ok(listing)
}

/// Where deleted runs wait until they are restored: `runs/.trash/`.
pub(crate) fn trash_dir(runs_dir: &Path) -> PathBuf {
    runs_dir.join(".trash")
}

/// Why a run reference names no one run, or a library action failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LibraryError {
    #[error("{path} is {kind}, not a regular file: name a run file, or a run id from: loadscope runs")]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error("cannot list runs in {dir}: {source}")]
    List { dir: PathBuf, source: std::io::Error },
    #[error("no runs in {dir} yet (start one with: loadscope run demo --demo-stack)")]
    Empty { dir: PathBuf },
    #[error("run {reference:?}: no such file, and no run in {dir} has that id or file name (list them with: loadscope runs)")]
    NoSuchRun { reference: String, dir: PathBuf },
    #[error("run {reference:?} matches {count} runs in {dir} ({examples}); give more of the name")]
    Ambiguous {
        reference: String,
        dir: PathBuf,
        count: usize,
        examples: String,
    },
    #[error("no run {reference:?} in the trash folder {trash}")]
    NotInTrash { reference: String, trash: PathBuf },
    #[error("cannot {action} {path}: {source}")]
    Move {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    File(#[from] RunFileError),
}

/// Finds a run by reference: a path to a file, `latest` (the newest in `dir`), or a run id or
/// file name (or the start of one) in `dir`.
pub(crate) fn resolve(reference: &str, dir: &Path) -> Result<PathBuf, LibraryError> {
    let as_path = Path::new(reference);
    if as_path.is_file() {
        return Ok(as_path.to_path_buf());
    }
    if let Ok(metadata) = std::fs::metadata(as_path) {
        return Err(LibraryError::NotAFile {
            path: as_path.to_path_buf(),
            kind: super::run_file::kind_of(&metadata.file_type()),
        });
    }
    let entries = list(dir)
        .map_err(|source| LibraryError::List {
            dir: dir.to_path_buf(),
            source,
        })?
        .entries;
    let stem = |path: &Path| path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
    if reference == "latest" {
        return entries
            .iter()
            .find_map(|entry| match entry {
                LibraryEntry::Run { path, .. } => Some(path.clone()),
                LibraryEntry::Unreadable { .. } => None,
            })
            .ok_or_else(|| LibraryError::Empty { dir: dir.to_path_buf() });
    }
    let wanted = reference.strip_suffix(".json").unwrap_or(reference);
    let matches: Vec<&PathBuf> = entries
        .iter()
        .filter_map(|entry| match entry {
            LibraryEntry::Run { path, summary } if summary.id == wanted || stem(path) == wanted => Some(path),
            _ => None,
        })
        .collect();
    if let [only] = matches.as_slice() {
        return Ok((*only).clone());
    }
    let prefixed: Vec<&PathBuf> = entries
        .iter()
        .filter_map(|entry| match entry {
            LibraryEntry::Run { path, summary } if summary.id.starts_with(wanted) || stem(path).starts_with(wanted) => Some(path),
            _ => None,
        })
        .collect();
    match prefixed.as_slice() {
        [only] => Ok((*only).clone()),
        [] => Err(LibraryError::NoSuchRun {
            reference: reference.to_string(),
            dir: dir.to_path_buf(),
        }),
        several => Err(LibraryError::Ambiguous {
            reference: reference.to_string(),
            dir: dir.to_path_buf(),
            count: several.len(),
            examples: several.iter().take(4).map(|path| stem(path)).collect::<Vec<_>>().join(", "),
        }),
    }
}

/// Changes a saved run in place (title, notes, tags), written atomically. A run still being
/// written is refused: its next autosave would undo the change.
pub(crate) fn update(path: &Path, change: impl FnOnce(&mut RunRecord)) -> Result<RunRecord, RunFileError> {
    let mut record = load(path)?;
    if record.status == super::record::RunStatus::Running {
        return Err(RunFileError::StillRunning {
            path: path.to_path_buf(),
            saved_at: record.saved_at.clone(),
        });
    }
    change(&mut record);
    super::save::save_atomic(&record, path)?;
    Ok(record)
}

/// Moves a run into the trash folder beside it; returns where it went (for undo). A run still
/// being written is refused (its writer would put it back).
pub(crate) fn delete(path: &Path) -> std::io::Result<PathBuf> {
    if let Ok(summary) = read_summary(path)
        && summary.status == super::record::RunStatus::Running
    {
        return Err(std::io::Error::other(
            RunFileError::StillRunning {
                path: path.to_path_buf(),
                saved_at: summary.saved_at,
            }
            .to_string(),
        ));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let trash = trash_dir(dir);
    std::fs::create_dir_all(&trash)?;
    let name = path.file_name().unwrap_or_default();
    let target = trash.join(name);
    std::fs::rename(path, &target)?;
    Ok(target)
}

/// Puts a deleted run back where it was; returns its path.
pub(crate) fn restore(trashed: &Path) -> std::io::Result<PathBuf> {
    let trash = trashed.parent().unwrap_or(Path::new("."));
    let dir = trash.parent().unwrap_or(Path::new("."));
    let target = dir.join(trashed.file_name().unwrap_or_default());
    if target.exists() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{} already exists; move it away first", target.display()),
        ));
    }
    std::fs::rename(trashed, &target)?;
    Ok(target)
}

/// What the library shows of a run: one row of the Runs table or `loadscope runs`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    pub path: PathBuf,
    pub id: String,
    pub name: String,
    pub preset: String,
    pub scenarios: String,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub duration_secs: f64,
    pub status: super::record::RunStatus,
    pub passed: Option<bool>,
    pub requests: u64,
    pub p95_micros: Option<u64>,
    pub error_rate_percent: f64,
    pub notes: String,
    pub tags: Vec<String>,
    /// A capacity search's answer (`24 users`).
    pub capacity: Option<String>,
}

impl RunRow {
    pub fn of(path: &Path, summary: &RunSummary) -> RunRow {
        RunRow {
            path: path.to_path_buf(),
            id: summary.id.clone(),
            name: summary.display_name().to_string(),
            preset: summary.preset.clone(),
            scenarios: summary.scenarios.join(", "),
            started_at: summary.started_at.clone(),
            duration_secs: summary.duration_secs,
            status: summary.status,
            passed: summary.passed,
            requests: summary.requests,
            p95_micros: summary.p95_micros,
            error_rate_percent: summary.error_rate_percent(),
            notes: summary.notes.clone(),
            tags: summary.tags.clone(),
            capacity: summary.capacity.clone(),
        }
    }

    /// `pass`, `FAIL` or `-` (no targets, or still running).
    pub fn verdict_label(&self) -> &'static str {
        match self.passed {
            Some(true) => "pass",
            Some(false) => "FAIL",
            None => "-",
        }
    }

    /// Whether the row contains `text` (case-insensitive) in its name, preset, scenarios,
    /// notes, tags, status or verdict.
    pub fn matches(&self, text: &str) -> bool {
        let text = text.trim().to_lowercase();
        if text.is_empty() {
            return true;
        }
        [
            self.name.as_str(),
            &self.preset,
            &self.scenarios,
            &self.notes,
            &self.id,
            self.status.label(),
            self.verdict_label(),
        ]
        .iter()
        .any(|field| field.to_lowercase().contains(&text))
            || self.tags.iter().any(|tag| tag.to_lowercase().contains(&text))
    }
}

/// Columns the library sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    #[default]
    Date,
    Name,
    Duration,
    Verdict,
    Requests,
    P95,
}

impl SortKey {
    pub const ALL: [SortKey; 6] = [
        SortKey::Date,
        SortKey::Name,
        SortKey::Duration,
        SortKey::Verdict,
        SortKey::Requests,
        SortKey::P95,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Date => "date",
            SortKey::Name => "name",
            SortKey::Duration => "duration",
            SortKey::Verdict => "verdict",
            SortKey::Requests => "requests",
            SortKey::P95 => "p95",
        }
    }

    pub fn parse(text: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|key| key.label() == text)
    }
}

/// Sorts rows by `key`, ascending or not.
pub(crate) fn sort_rows(rows: &mut [RunRow], key: SortKey, descending: bool) {
    rows.sort_by(|a, b| {
        let order = match key {
            SortKey::Date => a.started_at.cmp(&b.started_at),
            SortKey::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            SortKey::Duration => a.duration_secs.total_cmp(&b.duration_secs),
            SortKey::Verdict => a.passed.cmp(&b.passed),
            SortKey::Requests => a.requests.cmp(&b.requests),
            SortKey::P95 => a.p95_micros.cmp(&b.p95_micros),
        };
        if descending { order.reverse() } else { order }
    });
}
