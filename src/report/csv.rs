//! Locust-compatible CSV: `PREFIX_stats.csv`, `PREFIX_stats_history.csv` and
//! `PREFIX_failures.csv` with Locust's column names and units (milliseconds, bytes, per
//! second), so spreadsheets and notebooks written for `locust --csv` keep working.
//!
//! Where Loadscope's data differs: `Type` holds the scenario (Locust puts the HTTP method
//! there), the history has one row per second with the percentiles the run kept per second
//! (50%, 95%, 99%; the others are `N/A`, as Locust writes for empty windows), and its `Total`
//! latency columns are `N/A` (the run keeps cumulative latency per level, not per second).

use std::path::{Path, PathBuf};

use hdrhistogram::Histogram;

use crate::format;
use crate::run::histogram::{decode, new_histogram};
use crate::run::{RunRecord, TaskSummary};

use crate::run::locust_csv::PERCENTILE_NAMES;
pub(crate) use crate::run::locust_csv::{FAILURES_HEADER, PERCENTILES, history_header, stats_header};

/// A text cell as every CSV Loadscope writes it: one starting with `=`, `+`, `-`, `@`, a tab
/// or a carriage return gets a leading `'`, so a spreadsheet shows it rather than running it as
/// a formula (OWASP's rule). Task names, Locust's request names and servers' messages are all
/// text from outside.
pub(crate) fn text_cell(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => std::borrow::Cow::Owned(format!("'{text}")),
        _ => std::borrow::Cow::Borrowed(text),
    }
}

fn millis(micros: f64) -> String {
    format!("{:.0}", micros / 1000.0)
}

fn millis_precise(micros: f64) -> String {
    format!("{:.2}", micros / 1000.0)
}

/// One stats row from summaries of one task over several levels.
fn stats_row(kind: &str, name: &str, parts: &[&TaskSummary], duration_secs: f64) -> Vec<String> {
    let requests: u64 = parts.iter().map(|part| part.stats.requests).sum();
    let failures: u64 = parts.iter().map(|part| part.stats.failures).sum();
    let bytes: u64 = parts.iter().map(|part| part.stats.bytes_received).sum();
    let histogram = merged_histogram(parts);
    let per_sec = |count: u64| {
        if duration_secs > 0.0 {
            format!("{:.6}", count as f64 / duration_secs)
        } else {
            "0".into()
        }
    };
    let mut row = vec![
        text_cell(kind).into_owned(),
        text_cell(name).into_owned(),
        requests.to_string(),
        failures.to_string(),
    ];
    match histogram.filter(|histogram| !histogram.is_empty()) {
        Some(histogram) => {
            row.push(millis(histogram.value_at_quantile(0.5) as f64));
            row.push(millis_precise(histogram.mean()));
            row.push(millis_precise(histogram.min() as f64));
            row.push(millis_precise(histogram.max() as f64));
            row.push(format!("{:.0}", bytes as f64 / requests.max(1) as f64));
            row.push(per_sec(requests));
            row.push(per_sec(failures));
            row.extend(PERCENTILES.iter().map(|q| millis(histogram.value_at_quantile(*q) as f64)));
        }
        // No histogram (an imported run keeps Locust's own numbers): write what is known. One
        // part's percentiles are its own; across parts only min, max and the mean combine.
        None if requests > 0 => {
            let one = (parts.len() == 1).then(|| &parts[0].stats);
            let measured = parts.iter().filter(|part| part.stats.requests > 0);
            let min = measured.clone().map(|part| part.stats.min_micros).min().unwrap_or(0);
            let max = measured.clone().map(|part| part.stats.max_micros).max().unwrap_or(0);
            let mean = measured.map(|part| part.stats.avg_micros * part.stats.requests as f64).sum::<f64>() / requests as f64;
            let known = |percentile: &str| -> Option<u64> {
                let stats = one?;
                match percentile {
                    "50%" => Some(stats.p50_micros),
                    "90%" => Some(stats.p90_micros),
                    "95%" => Some(stats.p95_micros),
                    "99%" => Some(stats.p99_micros),
                    "100%" => Some(stats.max_micros),
                    _ => None,
                }
            };
            let shown = |micros: Option<u64>| micros.map(|micros| millis(micros as f64)).unwrap_or_else(|| "N/A".into());
            row.push(shown(known("50%")));
            row.push(millis_precise(mean));
            row.push(millis_precise(min as f64));
            row.push(millis_precise(max as f64));
            row.push(format!("{:.0}", bytes as f64 / requests as f64));
            row.push(per_sec(requests));
            row.push(per_sec(failures));
            row.extend(PERCENTILE_NAMES.iter().map(|name| shown(known(name))));
        }
        None => {
            row.extend(["0", "0", "0", "0", "0"].map(String::from));
            row.push(per_sec(requests));
            row.push(per_sec(failures));
            row.extend(PERCENTILES.iter().map(|_| "N/A".to_string()));
        }
    }
    row
}

/// The parts' latency histograms together (None when one cannot be read).
fn merged_histogram(parts: &[&TaskSummary]) -> Option<Histogram<u64>> {
    let mut merged = new_histogram();
    for part in parts {
        merged.add(decode(&part.histogram).ok()?).ok()?;
    }
    Some(merged)
}

fn to_string(writer: csv::Writer<Vec<u8>>) -> String {
    writer
        .into_inner()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// `*_stats.csv`: one row per scenario and task over the whole run, then `Aggregated`.
pub fn stats_csv(run: &RunRecord) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(stats_header());
    // Rates over the time the levels ran (as the run's own totals), not over a count of
    // one-second buckets, which includes the drain after the last level.
    let mut all: Vec<&TaskSummary> = Vec::new();
    let mut all_secs = 0.0;
    for scenario in &run.scenarios {
        let duration: f64 = scenario.levels.iter().map(crate::run::LevelRecord::duration_secs).sum();
        all_secs += duration;
        for task in &scenario.tasks {
            let parts = scenario.task_parts(task);
            all.extend(parts.iter().copied());
            let _ = writer.write_record(stats_row(&scenario.name, task, &parts, duration));
        }
    }
    let _ = writer.write_record(stats_row("", "Aggregated", &all, all_secs));
    to_string(writer)
}

/// Seconds since the Unix epoch of an RFC 3339 time (0 when it cannot be read).
fn unix_secs(rfc3339: &str) -> u64 {
    humantime::parse_rfc3339_weak(rfc3339.trim_end_matches('Z'))
        .or_else(|_| humantime::parse_rfc3339(rfc3339))
        .ok()
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|since| since.as_secs())
        .unwrap_or(0)
}

/// `*_stats_history.csv`: one `Aggregated` row per second of the run.
pub fn history_csv(run: &RunRecord) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(history_header());
    let start = unix_secs(&run.started_at);
    let (mut total_requests, mut total_failures) = (0.0, 0.0);
    for point in &run.series {
        total_requests += point.requests.rps;
        total_failures += point.requests.failures_per_sec;
        let percentile = |name: &str| -> String {
            let micros = match name {
                "50%" => point.requests.p50_micros,
                "95%" => point.requests.p95_micros,
                "99%" => point.requests.p99_micros,
                _ => None,
            };
            micros.map(|micros| millis(micros as f64)).unwrap_or_else(|| "N/A".into())
        };
        let mut row = vec![
            (start + point.second as u64 + 1).to_string(),
            point.users.to_string(),
            String::new(),
            "Aggregated".to_string(),
            format!("{:.6}", point.requests.rps),
            format!("{:.6}", point.requests.failures_per_sec),
        ];
        row.extend(PERCENTILE_NAMES.iter().map(|name| percentile(name)));
        row.push(format!("{total_requests:.0}"));
        row.push(format!("{total_failures:.0}"));
        row.extend(["N/A", "N/A", "N/A", "N/A", "N/A"].map(String::from));
        let _ = writer.write_record(row);
    }
    to_string(writer)
}

/// `*_failures.csv`: failures over the whole run by scenario, task, kind and message, with
/// when each was first and last seen.
pub fn failures_csv(run: &RunRecord) -> String {
    struct Group {
        task: String,
        error: String,
        count: u64,
        first: Option<u32>,
        last: Option<u32>,
    }
    let start = humantime::parse_rfc3339_weak(run.started_at.trim_end_matches('Z'))
        .or_else(|_| humantime::parse_rfc3339(&run.started_at))
        .ok();
    let at = |secs: Option<u32>| -> String {
        match (start, secs) {
            (Some(start), Some(secs)) => {
                humantime::format_rfc3339_seconds(start + std::time::Duration::from_secs(u64::from(secs))).to_string()
            }
            _ => String::new(),
        }
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(FAILURES_HEADER);
    for scenario in &run.scenarios {
        let mut groups: Vec<Group> = Vec::new();
        for failure in scenario.levels.iter().flat_map(|level| level.failures.iter()) {
            let error = format::one_line(&format!("{}: {}", failure.kind, failure.message));
            match groups.iter_mut().find(|group| group.task == failure.task && group.error == error) {
                Some(group) => {
                    group.count += failure.count;
                    group.first = group.first.min(failure.first_seen_secs).or(failure.first_seen_secs);
                    group.last = group.last.max(failure.last_seen_secs);
                }
                None => groups.push(Group {
                    task: failure.task.clone(),
                    error,
                    count: failure.count,
                    first: failure.first_seen_secs,
                    last: failure.last_seen_secs,
                }),
            }
        }
        groups.sort_by_key(|group| std::cmp::Reverse(group.count));
        for group in groups {
            let _ = writer.write_record([
                text_cell(&scenario.name).into_owned(),
                text_cell(&group.task).into_owned(),
                text_cell(&group.error).into_owned(),
                group.count.to_string(),
                at(group.first),
                at(group.last),
            ]);
        }
    }
    to_string(writer)
}

/// Writes the three files as `PREFIX_stats.csv` and so on, each atomically; returns the paths.
pub(crate) fn write_all(run: &RunRecord, prefix: &Path) -> std::io::Result<Vec<PathBuf>> {
    let name = prefix
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = prefix.parent().unwrap_or(Path::new(""));
    let files = [
        (format!("{name}_stats.csv"), stats_csv(run)),
        (format!("{name}_stats_history.csv"), history_csv(run)),
        (format!("{name}_failures.csv"), failures_csv(run)),
    ];
    let mut written = Vec::new();
    for (file, text) in files {
        let path = dir.join(file);
        crate::run::save::write_atomic(&path, text.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}
