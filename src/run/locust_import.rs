//! A Locust run, read from the CSV files `locust --csv PREFIX` writes (`PREFIX_stats.csv`,
//! `PREFIX_stats_history.csv`, `PREFIX_failures.csv`), as a Loadscope run record: one level
//! holding the whole Locust run, a task per Locust request name, one series point per history
//! row. Percentiles are Locust's own (from its rounded response-time buckets), so they are
//! approximate, and there are no histograms (no confidence intervals). Every malformed line is
//! reported with its file, line and column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::FailureKind;
use super::locust_csv::{history_header, stats_header};
use super::record::{
    FailureRow, HostInfo, ImportedFrom, LevelRecord, PresetRecord, RUN_FORMAT, RUN_VERSION, RunRecord, RunStatus, ScenarioRecord,
    SecondStats, SeriesPoint, TaskStats, TaskSummary,
};
use crate::measure::LoadModel;

/// What the imported run is called and where it sits beside Loadscope's runs: names that match
/// a preset's make Compare lay it beside that preset's runs.
#[derive(Debug, Clone)]
pub(crate) struct ImportNames {
    pub preset_name: String,
    pub preset_source: String,
    pub scenario: String,
    pub base_url: String,
    /// Which level of the preset the Locust run stands for (Compare matches levels by index).
    pub level: LevelChoice,
    /// Locust request names (`/v1/models`, or `GET /v1/models` when a name has two methods)
    /// to the preset's task names.
    pub task_names: BTreeMap<String, String>,
}

/// Which level the imported run is.
#[derive(Debug, Clone)]
pub(crate) enum LevelChoice {
    /// Level 0, named by the Locust run's peak users (`40 users`).
    Own,
    /// This index and name.
    Named { index: usize, name: String },
    /// The level among these (index, name, closed-model users) whose users equal the Locust
    /// run's peak user count.
    MatchingUsers(Vec<(usize, String, u32)>),
}

/// The three files of a prefix.
pub(crate) fn files(prefix: &Path) -> [PathBuf; 3] {
    let with = |suffix: &str| {
        let mut name = prefix.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [with("_stats.csv"), with("_stats_history.csv"), with("_failures.csv")]
}

/// The largest Unix time read (9999-12-31T23:59:59Z): later ones have no RFC 3339 form.
const MAX_TIMESTAMP_SECS: f64 = 253_402_300_799.0;
/// The largest count, time in milliseconds, size or rate read: far above any real run (a
/// thousand years in milliseconds), and small enough that every sum and product the run file
/// keeps stays finite.
const MAX_NUMBER: f64 = 1e13;

/// Why a Locust run cannot be imported: the file, where in it (line 0: the file as a
/// whole), and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{}: {problem}", file.display(), place(*line, column.as_deref()))]
pub(crate) struct ImportError {
    pub file: PathBuf,
    pub line: u64,
    pub column: Option<String>,
    pub problem: ImportProblem,
}

fn place(line: u64, column: Option<&str>) -> String {
    match (line, column) {
        (0, _) => String::new(),
        (line, None) => format!(" line {line}"),
        (line, Some(column)) => format!(" line {line}, column {column:?}"),
    }
}

/// What is wrong in a Locust CSV file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum ImportProblem {
    #[error("cannot read it ({why}); `locust --csv PREFIX` writes its {what} there")]
    Unreadable { why: String, what: &'static str },
    #[error("empty; `locust --csv PREFIX` writes its {0} there")]
    Empty(&'static str),
    #[error("no column {0:?}")]
    NoColumn(String),
    #[error("no column {missing:?}; is this Locust's {what}? (it starts with {first})")]
    NotLocust {
        missing: String,
        what: &'static str,
        first: String,
    },
    #[error("{0}")]
    Csv(String),
    #[error("{0:?} is not a number (Locust writes non-negative numbers there)")]
    NotANumber(String),
    #[error("{text} is out of range (0 to {max}); a Locust run writes nothing that large, so the file is damaged")]
    OutOfRange { text: String, max: f64 },
    #[error("{0} is not a whole number")]
    NotWhole(f64),
    #[error("no Aggregated row (Locust writes it last); the file is cut short")]
    NoAggregated,
    #[error("no Aggregated rows; Locust writes one each second of a run")]
    NoHistory,
    /// The run's peak matches no level of the scenario it is imported into.
    #[error(
        "the Locust run peaked at {peak_users} users; no level of scenario {scenario:?} has {peak_users} users ({levels}); name the level it stands for with --level"
    )]
    NoSuchLevel { peak_users: u32, scenario: String, levels: String },
    #[error("timestamps go back in time ({later} after {earlier}); the file mixes two runs")]
    BackInTime { later: u64, earlier: u64 },
}

impl ImportError {
    fn of_file(file: &Path, problem: ImportProblem) -> ImportError {
        ImportError {
            file: file.to_path_buf(),
            line: 0,
            column: None,
            problem,
        }
    }
}

/// One row of a CSV file, with its line for messages.
struct Row<'a> {
    file: &'a Path,
    line: u64,
    columns: &'a [String],
    record: csv::StringRecord,
}

impl Row<'_> {
    /// A problem at `column` of this row.
    fn at(&self, column: &str, problem: ImportProblem) -> ImportError {
        ImportError {
            file: self.file.to_path_buf(),
            line: self.line,
            column: Some(column.to_string()),
            problem,
        }
    }

    fn text(&self, column: &str) -> Result<&str, ImportError> {
        let index = self
            .columns
            .iter()
            .position(|known| known == column)
            .ok_or_else(|| ImportError::of_file(self.file, ImportProblem::NoColumn(column.to_string())))?;
        Ok(self.record.get(index).unwrap_or("").trim())
    }

    fn number(&self, column: &str) -> Result<f64, ImportError> {
        let text = self.text(column)?;
        let value = text
            .parse::<f64>()
            .ok()
            .filter(|value| value.is_finite() && *value >= 0.0)
            .ok_or_else(|| self.at(column, ImportProblem::NotANumber(text.to_string())))?;
        let max = if column == "Timestamp" { MAX_TIMESTAMP_SECS } else { MAX_NUMBER };
        if value > max {
            return Err(self.at(
                column,
                ImportProblem::OutOfRange {
                    text: text.to_string(),
                    max,
                },
            ));
        }
        Ok(value)
    }

    /// A number, or None for Locust's `N/A`.
    fn optional(&self, column: &str) -> Result<Option<f64>, ImportError> {
        match self.text(column)? {
            "N/A" | "" => Ok(None),
            _ => self.number(column).map(Some),
        }
    }

    fn count(&self, column: &str) -> Result<u64, ImportError> {
        let value = self.number(column)?;
        if value.fract() != 0.0 {
            return Err(self.at(column, ImportProblem::NotWhole(value)));
        }
        Ok(value as u64)
    }
}

/// Reads a CSV file's rows, checking the columns a Locust file of this kind has.
/// A CSV file's column names, and its rows with their line numbers.
struct Table {
    columns: Vec<String>,
    rows: Vec<(u64, csv::StringRecord)>,
}

fn read_rows(path: &Path, needed: &[&str], what: &'static str) -> Result<Table, ImportError> {
    let at_line = |line: u64, problem: ImportProblem| ImportError {
        file: path.to_path_buf(),
        line,
        column: None,
        problem,
    };
    crate::io_guard::note(|| format!("read Locust file {}", path.display()));
    let bytes = std::fs::read(path).map_err(|err| {
        ImportError::of_file(
            path,
            ImportProblem::Unreadable {
                why: err.to_string(),
                what,
            },
        )
    })?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes.as_slice());
    let columns: Vec<String> = reader
        .headers()
        .map_err(|err| at_line(1, ImportProblem::Csv(csv_reason(&err))))?
        .iter()
        .map(|column| column.trim().to_string())
        .collect();
    if columns.iter().all(String::is_empty) {
        return Err(ImportError::of_file(path, ImportProblem::Empty(what)));
    }
    if let Some(missing) = needed.iter().find(|column| !columns.iter().any(|known| known == *column)) {
        return Err(at_line(
            1,
            ImportProblem::NotLocust {
                missing: missing.to_string(),
                what,
                first: needed
                    .iter()
                    .take(4)
                    .map(|column| format!("{column:?}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            },
        ));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|err| {
            let line = err.position().map(|position| position.line()).unwrap_or(0);
            at_line(line, ImportProblem::Csv(csv_reason(&err)))
        })?;
        let line = record.position().map(|position| position.line()).unwrap_or(0);
        rows.push((line, record));
    }
    Ok(Table { columns, rows })
}

/// A table's rows, each knowing its file, line and columns for messages.
fn rows_of<'a>(file: &'a Path, columns: &'a [String], rows: Vec<(u64, csv::StringRecord)>) -> impl Iterator<Item = Row<'a>> {
    rows.into_iter().map(move |(line, record)| Row {
        file,
        line,
        columns,
        record,
    })
}

fn csv_reason(err: &csv::Error) -> String {
    match err.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} fields where the header has {expected_len}; the file is cut or not Locust's")
        }
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".into(),
        _ => err.to_string(),
    }
}

/// The columns the import reads from each file (Locust 2.x writes more).
const FAILURE_COLUMNS: [&str; 4] = ["Method", "Name", "Error", "Occurrences"];

fn micros(millis: f64) -> u64 {
    (millis * 1000.0).round() as u64
}

/// One stats row: the name and method, and its numbers.
fn task_stats(row: &Row<'_>) -> Result<TaskStats, ImportError> {
    let requests = row.count("Request Count")?;
    let avg_bytes = row.number("Average Content Size")?;
    let percentile = |column: &str| row.optional(column).map(|value| value.map(micros).unwrap_or(0));
    Ok(TaskStats {
        requests,
        failures: row.count("Failure Count")?,
        min_micros: micros(row.number("Min Response Time")?),
        avg_micros: row.number("Average Response Time")? * 1000.0,
        p50_micros: percentile("50%")?,
        p90_micros: percentile("90%")?,
        p95_micros: percentile("95%")?,
        p99_micros: percentile("99%")?,
        max_micros: micros(row.number("Max Response Time")?),
        rps: row.number("Requests/s")?,
        failures_per_sec: row.number("Failures/s")?,
        bytes_received: (avg_bytes * requests as f64).round() as u64,
        avg_bytes,
        ..TaskStats::default()
    })
}

fn summary(task: String, stats: TaskStats) -> TaskSummary {
    TaskSummary {
        task,
        stats,
        // No histograms: Locust keeps response times in rounded buckets it does not write out.
        histogram: String::new(),
        connect_histogram: String::new(),
        chat_histograms: None,
    }
}

/// How a Locust error reads as a failure kind: `HTTPError('500 ...')` is status 500,
/// connection and timeout errors are what they say, anything else is "other".
fn failure_kind(error: &str) -> FailureKind {
    if let Some(rest) = error.strip_prefix("HTTPError('")
        && let Some(code) = rest.get(..3).and_then(|code| code.parse::<u16>().ok())
    {
        return FailureKind::Status(code);
    }
    if let Some(rest) = error.strip_prefix("CatchResponseError('Status ")
        && let Some(code) = rest.get(..3).and_then(|code| code.parse::<u16>().ok())
    {
        return FailureKind::Status(code);
    }
    let lower = error.to_ascii_lowercase();
    if lower.contains("timeout") || lower.contains("timed out") {
        FailureKind::Timeout
    } else if lower.contains("connectionrefused") || lower.contains("connectionerror") || lower.contains("newconnectionerror") {
        FailureKind::Connect
    } else {
        FailureKind::Other
    }
}

/// Reads the three files of `prefix` into a run record named by `names`.
pub(crate) fn import(prefix: &Path, names: &ImportNames) -> Result<RunRecord, ImportError> {
    let [stats_path, history_path, failures_path] = files(prefix);

    let (aggregated, requests) = read_stats(&stats_path)?;
    // A name used with two methods is told apart by its method, as Locust's table does.
    let mut uses: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (_, name, _) in &requests {
        *uses.entry(name.as_str()).or_insert(0) += 1;
    }
    let task_name = |method: &str, name: &str| -> String {
        let shared = uses.get(name).copied().unwrap_or(0) > 1;
        let locust = if shared { format!("{method} {name}") } else { name.to_string() };
        names.task_names.get(&locust).cloned().unwrap_or(locust)
    };
    let tasks: Vec<TaskSummary> = requests
        .iter()
        .map(|(method, name, stats)| summary(task_name(method, name), stats.clone()))
        .collect();

    let history = read_history(&history_path)?;
    let (Some(first), Some(last)) = (history.first(), history.last()) else {
        return Err(ImportError::of_file(&history_path, ImportProblem::NoHistory));
    };
    let start_secs = first.0;
    let duration_secs = (last.0 - start_secs) as f64;
    let peak_users = history.iter().map(|row| row.1).max().unwrap_or(0) as u32;
    let (level_index, level_name) = match &names.level {
        LevelChoice::Own => (0, format!("{peak_users} users")),
        LevelChoice::Named { index, name } => (*index, name.clone()),
        LevelChoice::MatchingUsers(levels) => levels
            .iter()
            .find(|(_, _, users)| *users == peak_users)
            .map(|(index, name, _)| (*index, name.clone()))
            .ok_or_else(|| {
                let known: Vec<String> = levels.iter().map(|(_, name, users)| format!("{name} ({users} users)")).collect();
                ImportError::of_file(
                    &history_path,
                    ImportProblem::NoSuchLevel {
                        peak_users,
                        scenario: names.scenario.clone(),
                        levels: if known.is_empty() {
                            "it has no closed-model levels".to_string()
                        } else {
                            known.join(", ")
                        },
                    },
                )
            })?,
    };
    let started = SystemTime::UNIX_EPOCH + Duration::from_secs(start_secs);
    let ended = SystemTime::UNIX_EPOCH + Duration::from_secs(last.0);
    let series = series_of(&history, start_secs, level_index);
    let failures = read_failures(&failures_path, started, &task_name)?;

    let level = LevelRecord {
        index: level_index,
        name: level_name,
        load: LoadModel::Closed {
            users: peak_users,
            spawn_rate: None,
        },
        planned_duration_secs: duration_secs,
        started_offset_secs: 0.0,
        ended_offset_secs: Some(duration_secs),
        tasks: tasks.clone(),
        total: summary("Aggregated".into(), aggregated.clone()),
        journeys: Vec::new(),
        late_starts: 0,
        reconnects: 0,
        retries: 0,
        in_flight_at_start: None,
        in_flight_at_end: None,
        failures,
        verdicts: Vec::new(),
        resources: None,
        warnings: Vec::new(),
        generator: None,
    };
    let started_at = humantime::format_rfc3339_millis(started).to_string();
    let source_files: Vec<String> = files(prefix).iter().map(|path| path.display().to_string()).collect();
    Ok(RunRecord {
        format: RUN_FORMAT.to_string(),
        version: RUN_VERSION,
        app_version: env!("CARGO_PKG_VERSION").to_string(),
        id: super::library::new_run_id(started),
        host: HostInfo {
            hostname: "unknown (imported from Locust)".into(),
            os: String::new(),
            arch: String::new(),
            cpus: 0,
        },
        started_at: started_at.clone(),
        ended_at: Some(humantime::format_rfc3339_millis(ended).to_string()),
        saved_at: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
        status: RunStatus::Completed,
        stop_reason: None,
        preset: PresetRecord {
            name: names.preset_name.clone(),
            source: names.preset_source.clone(),
            document: serde_json::Value::Null,
            sha256: None,
        },
        scenarios: vec![ScenarioRecord {
            name: names.scenario.clone(),
            base_url: names.base_url.clone(),
            tasks: tasks.iter().map(|task| task.task.clone()).collect(),
            failure_classes: Vec::new(),
            targets: Vec::new(),
            levels: vec![level.clone()],
            total: Some(level.total.clone()),
            baseline: None,
            objectives: None,
            capacity: None,
        }],
        series,
        passed: None,
        total: Some(level.total),
        monitors: None,
        notes: String::new(),
        title: None,
        tags: vec!["locust-import".into()],
        findings: Vec::new(),
        warnings: vec![format!(
            "Imported from Locust's CSV files ({}): its percentiles are approximate (Locust rounds response times into buckets) and there are no histograms, so no confidence intervals",
            source_files.join(", ")
        )],
        imported: Some(ImportedFrom {
            tool: "locust".into(),
            files: source_files,
        }),
        segment: None,
        merged_from: Vec::new(),
        missing_segments: Vec::new(),
        repeat: None,
    })
}

/// A request of the stats file: its method, name and numbers.
type RequestRow = (String, String, TaskStats);

/// The stats file's rows: the Aggregated row, and each request's (method, name, numbers).
fn read_stats(stats_path: &Path) -> Result<(TaskStats, Vec<RequestRow>), ImportError> {
    let Table { columns, rows } = read_rows(stats_path, &stats_header(), "stats file")?;
    let stats_rows: Vec<Row<'_>> = rows_of(stats_path, &columns, rows).collect();
    let mut aggregated = None;
    let mut requests: Vec<RequestRow> = Vec::new();
    for row in &stats_rows {
        let stats = task_stats(row)?;
        let (method, name) = (row.text("Type")?.to_string(), row.text("Name")?.to_string());
        if name == "Aggregated" && method.is_empty() {
            aggregated = Some(stats);
        } else {
            requests.push((method, name, stats));
        }
    }
    let aggregated = aggregated.ok_or_else(|| ImportError::of_file(stats_path, ImportProblem::NoAggregated))?;
    Ok((aggregated, requests))
}

/// One second of Locust's history: its timestamp, users, total requests and failures so far,
/// and its p50, p95 and p99 (ms; None for `N/A`).
type HistoryRow = (u64, u64, u64, u64, [Option<f64>; 3]);

/// The run's rows of the stats history file, checked to go forward in time.
fn read_history(history_path: &Path) -> Result<Vec<HistoryRow>, ImportError> {
    let Table { columns, rows } = read_rows(history_path, &history_header(), "stats history file")?;
    let mut history = Vec::new();
    for row in rows_of(history_path, &columns, rows) {
        // With --csv-full-history Locust adds a row per request name; the Aggregated ones are
        // the run's.
        if row.text("Name")? == "Aggregated" {
            history.push((
                row.count("Timestamp")?,
                row.count("User Count")?,
                row.count("Total Request Count")?,
                row.count("Total Failure Count")?,
                [row.optional("50%")?, row.optional("95%")?, row.optional("99%")?],
            ));
        }
    }
    if let Some(pair) = history.windows(2).find(|pair| pair[1].0 < pair[0].0) {
        return Err(ImportError::of_file(
            history_path,
            ImportProblem::BackInTime {
                later: pair[1].0,
                earlier: pair[0].0,
            },
        ));
    }
    Ok(history)
}

/// The run's seconds from the history's running totals: each second's rates from the change
/// since the row before.
fn series_of(history: &[HistoryRow], start_secs: u64, level_index: usize) -> Vec<SeriesPoint> {
    history
        .windows(2)
        .map(|pair| {
            let (previous, row) = (&pair[0], &pair[1]);
            let span = (row.0 - previous.0).max(1) as f64;
            SeriesPoint {
                second: (row.0 - start_secs).saturating_sub(1) as u32,
                scenario: 0,
                level: level_index,
                users: row.1 as u32,
                requests: SecondStats {
                    rps: row.2.saturating_sub(previous.2) as f64 / span,
                    failures_per_sec: row.3.saturating_sub(previous.3) as f64 / span,
                    p50_micros: row.4[0].map(micros),
                    p95_micros: row.4[1].map(micros),
                    p99_micros: row.4[2].map(micros),
                    ..SecondStats::default()
                },
                resources: None,
                tasks: Vec::new(),
                journeys: None,
            }
        })
        .collect()
}

/// The failures file's rows, most frequent first, their tasks named by `task_name`.
fn read_failures(
    failures_path: &Path,
    started: SystemTime,
    task_name: &dyn Fn(&str, &str) -> String,
) -> Result<Vec<FailureRow>, ImportError> {
    let Table { columns, rows } = read_rows(failures_path, &FAILURE_COLUMNS, "failures file")?;
    let mut failures = Vec::new();
    for row in rows_of(failures_path, &columns, rows) {
        let error = row.text("Error")?.to_string();
        let seen = |column: &str| -> Option<u32> {
            let text = row.text(column).ok()?;
            let at = humantime::parse_rfc3339_weak(text).ok()?;
            Some(at.duration_since(started).ok()?.as_secs() as u32)
        };
        failures.push(FailureRow {
            task: task_name(row.text("Method")?, row.text("Name")?),
            kind: failure_kind(&error),
            message: error,
            count: row.count("Occurrences")?,
            first_seen_secs: seen("First Seen"),
            last_seen_secs: seen("Last Seen"),
        });
    }
    failures.sort_by_key(|failure| std::cmp::Reverse(failure.count));
    Ok(failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locust_errors_read_as_failure_kinds() {
        assert_eq!(
            failure_kind("HTTPError('500 Server Error: Internal Server Error for url: /fail')"),
            FailureKind::Status(500)
        );
        assert_eq!(failure_kind("CatchResponseError('Status 429')"), FailureKind::Status(429));
        assert_eq!(
            failure_kind("ConnectionRefusedError(111, 'Connection refused')"),
            FailureKind::Connect
        );
        assert_eq!(failure_kind("ReadTimeout('timed out')"), FailureKind::Timeout);
        assert_eq!(failure_kind("ValueError('x')"), FailureKind::Other);
    }
}
