//! A run's summary: the few fields the run library lists, written at the head of every run
//! file (after `format` and `version`) so that listing reads a few kilobytes of each file
//! instead of the whole of it. Files from before the summary are listed by a streaming read that
//! keeps only the same fields.

use std::io::Read;
use std::path::Path;

use serde::de::{DeserializeSeed, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::record::{RUN_FORMAT, RUN_VERSION, RepeatRecord, RunRecord, RunStatus, TaskStats};
use super::run_file::{RunFileError, open_regular};

/// What the library shows of a run without reading all of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The preset's name.
    pub preset: String,
    /// The scenarios' names, in order.
    pub scenarios: Vec<String>,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub saved_at: String,
    pub status: RunStatus,
    pub duration_secs: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
    pub requests: u64,
    pub failures: u64,
    /// None when no request was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_micros: Option<u64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<RepeatRecord>,
    /// Each capacity search's answer (`Chat: 24 users` with its scenario when there are
    /// several); absent without a search, and in files written before 0.9.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<String>,
}

impl RunSummary {
    /// The summary of `record`: the one computation behind the file's head, `runs` and the
    /// Runs tab.
    pub fn of(record: &RunRecord) -> RunSummary {
        RunSummary::from_parts(Parts {
            id: &record.id,
            title: record.title.as_deref(),
            preset: &record.preset.name,
            scenarios: record.scenarios.iter().map(|scenario| scenario.name.clone()).collect(),
            started_at: &record.started_at,
            saved_at: &record.saved_at,
            status: record.status,
            duration_secs: record.duration_secs(),
            passed: record.passed,
            total: record.total.as_ref().map(|total| &total.stats),
            notes: &record.notes,
            tags: &record.tags,
            repeat: record.repeat.as_ref(),
            capacity: {
                let searches: Vec<(&str, String)> = record
                    .scenarios
                    .iter()
                    .filter_map(|scenario| Some((scenario.name.as_str(), scenario.capacity.as_ref()?.short_answer())))
                    .collect();
                match searches.as_slice() {
                    [] => None,
                    [(_, answer)] => Some(answer.clone()),
                    several => Some(
                        several
                            .iter()
                            .map(|(name, answer)| format!("{name}: {answer}"))
                            .collect::<Vec<_>>()
                            .join("; "),
                    ),
                }
            },
        })
    }

    fn from_parts(parts: Parts<'_>) -> RunSummary {
        RunSummary {
            id: parts.id.to_string(),
            title: parts.title.map(str::to_string),
            preset: parts.preset.to_string(),
            scenarios: parts.scenarios,
            started_at: parts.started_at.to_string(),
            saved_at: parts.saved_at.to_string(),
            status: parts.status,
            duration_secs: parts.duration_secs,
            passed: parts.passed,
            requests: parts.total.map(|stats| stats.requests).unwrap_or(0),
            failures: parts.total.map(|stats| stats.failures).unwrap_or(0),
            p95_micros: parts.total.filter(|stats| stats.requests > 0).map(|stats| stats.p95_micros),
            notes: parts.notes.to_string(),
            tags: parts.tags.to_vec(),
            repeat: parts.repeat.cloned(),
            capacity: parts.capacity,
        }
    }

    /// The title, or the preset's name when it has none.
    pub fn display_name(&self) -> &str {
        self.title.as_deref().filter(|title| !title.is_empty()).unwrap_or(&self.preset)
    }

    pub fn error_rate_percent(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.failures as f64 * 100.0 / self.requests as f64
        }
    }
}

struct Parts<'a> {
    id: &'a str,
    title: Option<&'a str>,
    preset: &'a str,
    scenarios: Vec<String>,
    started_at: &'a str,
    saved_at: &'a str,
    status: RunStatus,
    duration_secs: f64,
    passed: Option<bool>,
    total: Option<&'a TaskStats>,
    notes: &'a str,
    tags: &'a [String],
    repeat: Option<&'a RepeatRecord>,
    capacity: Option<String>,
}

/// What the head of a run file says: its format, version and (files written since the summary
/// was added) its summary.
#[derive(Debug, Default)]
pub(crate) struct Head {
    pub format: Option<String>,
    pub version: Option<u64>,
    pub summary: Option<RunSummary>,
}

impl Head {
    /// Refuses a file that is not a run, or one newer than this Loadscope reads.
    pub(crate) fn check(&self, path: &Path) -> Result<(), RunFileError> {
        let format = self.format.as_deref().unwrap_or("");
        if format != RUN_FORMAT {
            return Err(RunFileError::NotARun {
                path: path.to_path_buf(),
                found: format.to_string(),
            });
        }
        let version = self.version.unwrap_or(0);
        if version > u64::from(RUN_VERSION) {
            return Err(RunFileError::TooNew {
                path: path.to_path_buf(),
                found: u32::try_from(version).unwrap_or(u32::MAX),
            });
        }
        Ok(())
    }
}

/// Reads the top-level keys of a run file until `format` and `version` are known and a key
/// other than those and `summary` comes, and stops there: the rest of the file is not read.
pub(crate) fn read_head(reader: impl Read, path: &Path) -> Result<Head, RunFileError> {
    let mut head = Head::default();
    let mut stopped = false;
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let result = HeadSeed {
        head: &mut head,
        stopped: &mut stopped,
    }
    .deserialize(&mut deserializer);
    match result {
        Ok(()) => Ok(head),
        Err(_) if stopped => Ok(head),
        Err(err) => Err(super::run_file::json_error(path, &err)),
    }
}

/// The message the head reader stops the parse with (never shown: `stopped` tells it apart).
const STOP: &str = "the head of the run file ends here";

struct HeadSeed<'a> {
    head: &'a mut Head,
    stopped: &'a mut bool,
}

impl<'de> DeserializeSeed<'de> for HeadSeed<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HeadSeed<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a JSON object (a Loadscope run file)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "format" => self.head.format = map.next_value::<serde_json::Value>()?.as_str().map(str::to_string),
                "version" => self.head.version = map.next_value::<serde_json::Value>()?.as_u64(),
                // A summary that does not read (a hand-edited file) is passed over: the full
                // read says what is wrong with the file.
                "summary" => {
                    self.head.summary = map
                        .next_value::<serde_json::Value>()
                        .ok()
                        .and_then(|value| serde_json::from_value(value).ok())
                }
                // Loadscope writes `format`, `version` and `summary` first; a file whose keys
                // another program reordered is read on until the first two are found.
                _ if self.head.format.is_none() || self.head.version.is_none() => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
                _ => {
                    *self.stopped = true;
                    return Err(serde::de::Error::custom(STOP));
                }
            }
        }
        Ok(())
    }
}

/// The fields of a run file from before the summary that its summary is made of; everything
/// else (series, histograms, failures) is skipped as it streams past.
#[derive(Deserialize)]
struct LegacyView {
    #[serde(default)]
    id: String,
    #[serde(default)]
    title: Option<String>,
    preset: LegacyPreset,
    #[serde(default)]
    scenarios: Vec<LegacyScenario>,
    started_at: String,
    saved_at: String,
    status: RunStatus,
    #[serde(default)]
    series: Vec<LegacySecond>,
    #[serde(default)]
    passed: Option<bool>,
    #[serde(default)]
    total: Option<LegacyTotal>,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    repeat: Option<RepeatRecord>,
}

#[derive(Deserialize)]
struct LegacyPreset {
    name: String,
}

#[derive(Deserialize)]
struct LegacyScenario {
    name: String,
    #[serde(default)]
    levels: Vec<LegacyLevel>,
}

#[derive(Deserialize)]
struct LegacyLevel {
    #[serde(default)]
    ended_offset_secs: Option<f64>,
}

#[derive(Deserialize)]
struct LegacySecond {
    second: u64,
}

#[derive(Deserialize)]
struct LegacyTotal {
    #[serde(flatten)]
    stats: TaskStats,
}

/// Reads the summary of the run file at `path`: from its head when it has one, else by
/// streaming through the file keeping only what the summary needs. Anything that is not a
/// regular file is refused before it is read (a FIFO would block, a device never end).
pub fn read_summary(path: &Path) -> Result<RunSummary, RunFileError> {
    crate::io_guard::note(|| format!("read run summary {}", path.display()));
    let (file, _) = open_regular(path)?;
    let head = read_head(std::io::BufReader::with_capacity(16 * 1024, file), path)?;
    head.check(path)?;
    let summary = match head.summary {
        Some(summary) => summary,
        None => {
            let (file, _) = open_regular(path)?;
            let mut deserializer = serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(256 * 1024, file));
            let view = LegacyView::deserialize(&mut deserializer).map_err(|err| super::run_file::json_error(path, &err))?;
            legacy_summary(view)
        }
    };
    Ok(with_staleness(summary))
}

fn legacy_summary(view: LegacyView) -> RunSummary {
    let levels_end = view
        .scenarios
        .iter()
        .flat_map(|scenario| scenario.levels.iter())
        .filter_map(|level| level.ended_offset_secs)
        .fold(0.0, f64::max);
    let series_end = view.series.last().map(|point| point.second as f64 + 1.0).unwrap_or(0.0);
    RunSummary::from_parts(Parts {
        id: &view.id,
        title: view.title.as_deref(),
        preset: &view.preset.name,
        scenarios: view.scenarios.iter().map(|scenario| scenario.name.clone()).collect(),
        started_at: &view.started_at,
        saved_at: &view.saved_at,
        status: view.status,
        duration_secs: levels_end.max(series_end),
        passed: view.passed,
        total: view.total.as_ref().map(|total| &total.stats),
        notes: &view.notes,
        tags: &view.tags,
        repeat: view.repeat.as_ref(),
        // The legacy view reads the head fields only: the list shows no capacity for such a
        // file (its detail, read whole, does).
        capacity: None,
    })
}

/// A run still marked running whose file stopped being saved is read as interrupted (as
/// [`super::save::load`] reads it).
fn with_staleness(mut summary: RunSummary) -> RunSummary {
    if summary.status == RunStatus::Running && super::run_file::is_stale(&summary.saved_at) {
        summary.status = RunStatus::Interrupted;
    }
    summary
}
