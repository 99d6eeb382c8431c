//! A run split over processes (`run --segment i/n`, one process per pod or machine) made one
//! run again: `merge` adds the segments' histograms (exact percentiles), sums counts and
//! failures, aligns the per-second series by wall-clock time and recomputes verdicts,
//! degradation and findings on the merged numbers; `folder` reads a folder of segment files as
//! they are being written (the app's live view of a distributed run).

mod error;
pub(crate) mod folder;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub use error::{FolderError, MergeError};

use crate::analysis::verdicts::{all_passed, evaluate_record};
use crate::engine::recorder::{ChatAccum, ObjectivesAccum, TaskAccum};
use crate::engine::summary::{merged, summary};
use crate::monitor::ResourcePeaks;
use crate::run::histogram::decode;
use crate::run::{
    FailureRow, JourneySecond, JourneySummary, LevelRecord, MergedSegment, RunRecord, RunStatus, ScenarioRecord, SecondStats, SeriesPoint,
    TaskSecond, TaskSummary, TokenCountSource, combine_journeys,
};

/// How strict a merge is about the segments it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Completeness {
    /// Every segment of the run must be there and completed (`loadscope merge`).
    All,
    /// Some may be missing or unfinished (`loadscope merge --partial`): the merged run is then
    /// `partial` and never passes.
    Partial,
    /// Some may be missing or still running (a folder whose segments are being written: the
    /// app's live view).
    SoFar,
}

/// Merges segment runs (`(file, record)`) into one run.
pub(crate) fn merge(segments: &[(PathBuf, RunRecord)], completeness: Completeness) -> Result<RunRecord, MergeError> {
    if segments.is_empty() {
        return Err(MergeError::NoSegments);
    }
    check_same_run(segments, completeness)?;
    let mut ordered: Vec<&(PathBuf, RunRecord)> = segments.iter().collect();
    ordered.sort_by_key(|(_, record)| record.segment.as_ref().map(|segment| segment.index));
    // The merged timeline starts with the earliest segment.
    let starts: Vec<SystemTime> = ordered
        .iter()
        .map(|(path, record)| {
            humantime::parse_rfc3339_weak(&record.started_at).map_err(|err| MergeError::BadStart {
                path: path.clone(),
                started_at: record.started_at.clone(),
                why: err.to_string(),
            })
        })
        .collect::<Result<_, _>>()?;
    let earliest = starts.iter().min().copied().unwrap_or(SystemTime::UNIX_EPOCH);
    let shifts: Vec<f64> = starts
        .iter()
        .map(|start| start.duration_since(earliest).map(|shift| shift.as_secs_f64()).unwrap_or(0.0))
        .collect();

    let base = &ordered[0].1;
    let mut scenarios = Vec::new();
    for template in &base.scenarios {
        let parts: Vec<(&ScenarioRecord, f64)> = ordered
            .iter()
            .zip(&shifts)
            .filter_map(|((_, record), shift)| {
                record
                    .scenarios
                    .iter()
                    .find(|scenario| scenario.name == template.name)
                    .map(|scenario| (scenario, *shift))
            })
            .collect();
        scenarios.push(merge_scenario(template, &parts)?);
    }
    judge_again(&mut scenarios);
    let all_tasks: Vec<TaskAccum> = scenarios
        .iter()
        .flat_map(|scenario| scenario.levels.iter().flat_map(|level| level.tasks.iter()))
        .map(|task| accum_of(task, &|| "the run".to_string()))
        .collect::<Result<_, _>>()?;
    // From the first start to the last level's end (or, for a level still running, as far as
    // its numbers go).
    let duration = scenarios
        .iter()
        .flat_map(|scenario| scenario.levels.iter())
        .map(|level| level.started_offset_secs + measured_secs(level))
        .fold(0.0, f64::max);
    let mut status = ordered
        .iter()
        .map(|(_, record)| record.status)
        .max_by_key(|status| status_rank(*status))
        .unwrap_or(RunStatus::Completed);
    let missing = missing_segments(segments);
    let unfinished: Vec<String> = ordered
        .iter()
        .filter(|(_, record)| record.status != RunStatus::Completed)
        .map(|(path, record)| {
            let index = record.segment.as_ref().map(|segment| segment.index).unwrap_or(0);
            format!("segment {index} {} ({})", record.status.label(), path.display())
        })
        .collect();
    let partial = completeness == Completeness::Partial && (!missing.is_empty() || !unfinished.is_empty());
    if partial {
        status = RunStatus::Partial;
    }
    let warnings = merged_warnings(
        &ordered,
        completeness,
        base,
        segments.len(),
        partial.then_some((missing.as_slice(), unfinished)),
    );
    let mut record = RunRecord {
        id: base.id.clone(),
        host: base.host.clone(),
        started_at: humantime::format_rfc3339_millis(earliest).to_string(),
        ended_at: ordered.iter().filter_map(|(_, record)| record.ended_at.clone()).max(),
        saved_at: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
        status,
        stop_reason: ordered.iter().find_map(|(_, record)| record.stop_reason.clone()),
        scenarios,
        series: merge_series(&ordered, &shifts),
        total: Some(summary("Aggregated", &merged(&all_tasks), duration)),
        monitors: base.monitors.clone(),
        warnings,
        findings: Vec::new(),
        segment: None,
        merged_from: merged_segments(&ordered),
        missing_segments: if partial { missing } else { Vec::new() },
        ..base.clone()
    };
    record.passed = all_passed(record.checked_verdicts().map(|(_, _, verdict)| verdict));
    if partial {
        // Short of the run's load: whatever its verdicts say, it does not pass.
        record.passed = Some(false);
    }
    record.findings = crate::analysis::findings::find(&record);
    Ok(record)
}

/// Checks every level's targets again on the merged numbers, degradation against the merged
/// baseline scenario when it ran in this run.
fn judge_again(scenarios: &mut [ScenarioRecord]) {
    for index in 0..scenarios.len() {
        if let Some(baseline) = scenarios[index].baseline.clone() {
            let own = baseline.run_id.is_none();
            let rebuilt = own
                .then(|| scenarios.iter().find(|scenario| scenario.name == baseline.scenario))
                .flatten()
                .map(|scenario| crate::analysis::baseline::from_scenario(scenario, baseline.source.clone(), None));
            if let Some(rebuilt) = rebuilt {
                scenarios[index].baseline = Some(rebuilt);
            }
        }
        let scenario = &mut scenarios[index];
        let (targets, classes, baseline) = (
            scenario.targets.clone(),
            scenario.failure_classes.clone(),
            scenario.baseline.clone(),
        );
        for level in &mut scenario.levels {
            level.verdicts = evaluate_record(&targets, &classes, level, baseline.as_ref());
        }
    }
}

/// Each segment merged: its file, host, start, status and resources.
fn merged_segments(ordered: &[&(PathBuf, RunRecord)]) -> Vec<MergedSegment> {
    ordered
        .iter()
        .map(|(path, record)| MergedSegment {
            index: record.segment.as_ref().map(|segment| segment.index).unwrap_or(0),
            file: path.display().to_string(),
            host: record.host.clone(),
            started_at: record.started_at.clone(),
            status: record.status,
            start_offset_millis: record.segment.as_ref().and_then(|segment| segment.start_offset_millis),
            monitors: record.monitors.clone(),
            resources: record
                .scenarios
                .iter()
                .enumerate()
                .flat_map(|(scenario, part)| {
                    part.levels
                        .iter()
                        .filter_map(move |level| Some((scenario, level.index, level.resources.clone()?)))
                })
                .collect(),
        })
        .collect()
}

/// The merged run's warnings: each segment's (named by it), how many segments are in so far,
/// and, for a partial merge (`partial`: the missing segments and the unfinished ones), what it
/// is short of.
fn merged_warnings(
    ordered: &[&(PathBuf, RunRecord)],
    completeness: Completeness,
    base: &RunRecord,
    segment_count: usize,
    partial: Option<(&[u32], Vec<String>)>,
) -> Vec<String> {
    let mut warnings: Vec<String> = Vec::new();
    for (path, record) in ordered {
        for warning in &record.warnings {
            let index = record.segment.as_ref().map(|segment| segment.index).unwrap_or(0);
            let line = format!("segment {index} ({}): {warning}", path.display());
            if !warnings.contains(&line) {
                warnings.push(line);
            }
        }
    }
    if completeness == Completeness::SoFar
        && let Some(count) = base.segment.as_ref().map(|segment| segment.count)
        && (segment_count as u32) < count
    {
        warnings.insert(0, format!("{} of {count} segments so far", segment_count));
    }
    if let Some((missing, unfinished)) = partial {
        let mut short = Vec::new();
        if !missing.is_empty() {
            let listed: Vec<String> = missing.iter().map(u32::to_string).collect();
            short.push(format!("segment(s) {} missing", listed.join(", ")));
        }
        short.extend(unfinished);
        warnings.insert(
            0,
            format!(
                "Partial merge (--partial): {}. Its numbers are short of the run's load, so it does not pass.",
                short.join("; ")
            ),
        );
    }
    warnings
}

/// Ordered from a clean end to the worst, for the merged run's status.
fn status_rank(status: RunStatus) -> u8 {
    match status {
        RunStatus::Completed => 0,
        RunStatus::Stopped => 1,
        RunStatus::Running => 2,
        RunStatus::Interrupted => 3,
        RunStatus::Aborted => 4,
        RunStatus::Partial => 5,
    }
}

/// Refuses files that are not segments of one run, naming the ones that differ.
fn check_same_run(segments: &[(PathBuf, RunRecord)], completeness: Completeness) -> Result<(), MergeError> {
    let (first_path, first) = &segments[0];
    let mut seen: BTreeMap<u32, &Path> = BTreeMap::new();
    let mut count = None;
    for (path, record) in segments {
        let Some(segment) = &record.segment else {
            return Err(MergeError::NotASegment { path: path.clone() });
        };
        if record.id != first.id {
            return Err(MergeError::OtherRun {
                path: path.clone(),
                id: record.id.clone(),
                first_path: first_path.clone(),
                first_id: first.id.clone(),
            });
        }
        if record.preset.name != first.preset.name || record.preset.source != first.preset.source {
            return Err(MergeError::OtherPreset {
                path: path.clone(),
                preset: format!("{:?} ({})", record.preset.name, record.preset.source),
                first_path: first_path.clone(),
                first_preset: format!("{:?} ({})", first.preset.name, first.preset.source),
            });
        }
        if record.preset.hash() != first.preset.hash() {
            let differs = crate::run::record::preset_difference(&first.preset.document, &record.preset.document)
                .unwrap_or_else(|| "their documents differ".into());
            return Err(MergeError::PresetChanged {
                path: path.clone(),
                first_path: first_path.clone(),
                differs,
            });
        }
        if completeness == Completeness::All && record.status != RunStatus::Completed {
            let what = match record.status {
                RunStatus::Running => "is still running (or its process died without a final save)",
                RunStatus::Interrupted => "was interrupted (its process died before the end)",
                RunStatus::Stopped => "was stopped before the end",
                RunStatus::Aborted => "was aborted by an abort_on_fail target",
                RunStatus::Partial => "is itself a partial merge",
                RunStatus::Completed => "completed",
            };
            return Err(MergeError::Unfinished {
                index: segment.index,
                path: path.clone(),
                what,
            });
        }
        if *count.get_or_insert(segment.count) != segment.count {
            return Err(MergeError::CountDiffers {
                path: path.clone(),
                count: segment.count,
                first_path: first_path.clone(),
                first_count: count.unwrap_or_default(),
            });
        }
        if let Some(other) = seen.insert(segment.index, path) {
            return Err(MergeError::Duplicate {
                path: path.clone(),
                other: other.to_path_buf(),
                index: segment.index,
                count: segment.count,
            });
        }
    }
    let count = count.unwrap_or(0);
    let missing: Vec<String> = missing_segments(segments).iter().map(u32::to_string).collect();
    if completeness == Completeness::All && !missing.is_empty() {
        return Err(MergeError::Missing {
            missing: missing.join(", "),
            count,
        });
    }
    Ok(())
}

/// The segment numbers of the run that are not among `segments`.
fn missing_segments(segments: &[(PathBuf, RunRecord)]) -> Vec<u32> {
    let count = segments
        .iter()
        .find_map(|(_, record)| record.segment.as_ref().map(|segment| segment.count))
        .unwrap_or(0);
    (0..count)
        .filter(|index| {
            !segments
                .iter()
                .any(|(_, record)| record.segment.as_ref().is_some_and(|segment| segment.index == *index))
        })
        .collect()
}

/// A saved task summary as an accumulation again: its histograms decoded, its counts taken.
fn accum_of(summary: &TaskSummary, place: &dyn Fn() -> String) -> Result<TaskAccum, MergeError> {
    let unreadable = |source: crate::run::histogram::DecodeError| MergeError::Histogram {
        place: place(),
        task: summary.task.clone(),
        source,
    };
    let stats = &summary.stats;
    let chat = match (&stats.chat, &summary.chat_histograms) {
        (Some(chat), Some(histograms)) => {
            let count = |source: TokenCountSource, wanted: TokenCountSource| {
                if source == wanted || source == TokenCountSource::Mixed {
                    chat.replies.max(1)
                } else {
                    0
                }
            };
            Some(Box::new(ChatAccum {
                ttfb: decode(&histograms.ttfb).map_err(unreadable)?,
                ttft: decode(&histograms.ttft).map_err(unreadable)?,
                itl: decode(&histograms.itl).map_err(unreadable)?,
                tokens_per_sec_x100: decode(&histograms.tokens_per_sec_x100).map_err(unreadable)?,
                replies: chat.replies,
                streamed: chat.streamed,
                output_tokens: chat.output_tokens,
                prompt_tokens: chat.prompt_tokens,
                prompt_from_usage: count(chat.prompt_token_source, TokenCountSource::Usage),
                prompt_counted: count(chat.prompt_token_source, TokenCountSource::Tokenizer),
                from_usage: count(chat.token_source, TokenCountSource::Usage),
                from_chunks: count(chat.token_source, TokenCountSource::Chunks),
                estimated: count(chat.token_source, TokenCountSource::Estimated),
            }))
        }
        _ => None,
    };
    Ok(TaskAccum {
        latency: decode(&summary.histogram).map_err(unreadable)?,
        connect: decode(&summary.connect_histogram).map_err(unreadable)?,
        requests: stats.requests,
        failures: stats.failures,
        bytes_received: stats.bytes_received,
        sandbox_violations: stats.sandbox_violations,
        limited: stats.limited,
        generator: stats.generator_failures,
        unfinished: stats.unfinished,
        redirects: stats.redirects,
        cancelled: stats.cancelled,
        classes: stats.failure_classes.clone(),
        chat,
        objectives: stats.objectives.as_ref().map(|objectives| ObjectivesAccum {
            met: objectives.met,
            met_output_tokens: objectives.met_output_tokens,
        }),
    })
}

fn merge_scenario(template: &ScenarioRecord, parts: &[(&ScenarioRecord, f64)]) -> Result<ScenarioRecord, MergeError> {
    // Every level any segment reached (a live folder's later segments may be a level ahead).
    let mut indices: Vec<usize> = parts
        .iter()
        .flat_map(|(scenario, _)| scenario.levels.iter().map(|level| level.index))
        .collect();
    indices.sort_unstable();
    indices.dedup();
    let mut levels = Vec::new();
    for index in indices {
        let same: Vec<(&LevelRecord, f64)> = parts
            .iter()
            .filter_map(|(scenario, shift)| {
                scenario
                    .levels
                    .iter()
                    .find(|level| level.index == index)
                    .map(|level| (level, *shift))
            })
            .collect();
        levels.push(merge_level(same[0].0, &same)?);
    }
    let accums: Vec<TaskAccum> = levels
        .iter()
        .flat_map(|level| level.tasks.iter())
        .map(|task| accum_of(task, &|| format!("scenario {:?}", template.name)))
        .collect::<Result<_, _>>()?;
    let duration: f64 = levels.iter().map(measured_secs).sum();
    Ok(ScenarioRecord {
        levels,
        total: Some(summary("Aggregated", &merged(&accums), duration)),
        ..template.clone()
    })
}

fn merge_level(template: &LevelRecord, parts: &[(&LevelRecord, f64)]) -> Result<LevelRecord, MergeError> {
    let started = parts
        .iter()
        .map(|(level, shift)| level.started_offset_secs + shift)
        .fold(f64::INFINITY, f64::min);
    let ended = parts
        .iter()
        .map(|(level, shift)| level.ended_offset_secs.map(|ended| ended + shift))
        .collect::<Option<Vec<f64>>>()
        .map(|ends| ends.into_iter().fold(0.0, f64::max));
    // Rates are over the time the level ran in every segment at once: the longest segment.
    let duration = parts.iter().map(|(level, _)| measured_secs(level)).fold(0.0, f64::max);
    let mut names: Vec<&str> = Vec::new();
    for (level, _) in parts {
        for task in &level.tasks {
            if !names.contains(&task.task.as_str()) {
                names.push(&task.task);
            }
        }
    }
    let mut task_accums = Vec::new();
    for name in &names {
        let accums: Vec<TaskAccum> = parts
            .iter()
            .filter_map(|(level, _)| level.tasks.iter().find(|task| task.task == *name))
            .map(|task| accum_of(task, &|| format!("level {:?}", template.name)))
            .collect::<Result<_, _>>()?;
        task_accums.push((*name, merged(&accums)));
    }
    let tasks: Vec<TaskSummary> = task_accums.iter().map(|(name, accum)| summary(name, accum, duration)).collect();
    let total = summary("Aggregated", &merged(task_accums.iter().map(|(_, accum)| accum)), duration);
    let mut journey_names: Vec<&str> = Vec::new();
    for (level, _) in parts {
        for journey in &level.journeys {
            if !journey_names.contains(&journey.name.as_str()) {
                journey_names.push(&journey.name);
            }
        }
    }
    let journeys = journey_names
        .iter()
        .map(|name| {
            let each: Vec<&JourneySummary> = parts
                .iter()
                .filter_map(|(level, _)| level.journeys.iter().find(|journey| journey.name == *name))
                .collect();
            combine_journeys(name, &each)
        })
        .collect();
    let mut failures: Vec<FailureRow> = Vec::new();
    for (level, shift) in parts {
        let shift = shift.round() as u32;
        for row in &level.failures {
            match failures
                .iter_mut()
                .find(|known| known.task == row.task && known.kind == row.kind && known.message == row.message)
            {
                Some(known) => {
                    known.count += row.count;
                    known.first_seen_secs = min_option(known.first_seen_secs, row.first_seen_secs.map(|secs| secs + shift));
                    known.last_seen_secs = known.last_seen_secs.max(row.last_seen_secs.map(|secs| secs + shift));
                }
                None => failures.push(FailureRow {
                    first_seen_secs: row.first_seen_secs.map(|secs| secs + shift),
                    last_seen_secs: row.last_seen_secs.map(|secs| secs + shift),
                    ..row.clone()
                }),
            }
        }
    }
    failures.sort_by_key(|row| std::cmp::Reverse(row.count));
    let mut resources: Option<ResourcePeaks> = None;
    for (level, _) in parts {
        if let Some(peaks) = &level.resources {
            let merged = resources.get_or_insert_with(ResourcePeaks::default);
            raise(&mut merged.gpu_util_max_percent, peaks.gpu_util_max_percent);
            raise(&mut merged.gpu_mem_max_percent, peaks.gpu_mem_max_percent);
            raise(&mut merged.container_cpu_max_percent, peaks.container_cpu_max_percent);
            raise(&mut merged.host_cpu_max_percent, peaks.host_cpu_max_percent);
        }
    }
    let mut warnings = Vec::new();
    for (level, _) in parts {
        for warning in &level.warnings {
            if !warnings.contains(warning) {
                warnings.push(warning.clone());
            }
        }
    }
    Ok(LevelRecord {
        load: add_loads(parts.iter().map(|(level, _)| level.load)).unwrap_or(template.load),
        planned_duration_secs: template.planned_duration_secs,
        started_offset_secs: if started.is_finite() {
            started
        } else {
            template.started_offset_secs
        },
        ended_offset_secs: ended,
        tasks,
        total,
        journeys,
        late_starts: parts.iter().map(|(level, _)| level.late_starts).sum(),
        reconnects: parts.iter().map(|(level, _)| level.reconnects).sum(),
        retries: parts.iter().map(|(level, _)| level.retries).sum(),
        in_flight_at_start: parts.iter().filter_map(|(level, _)| level.in_flight_at_start).reduce(|a, b| a + b),
        in_flight_at_end: parts.iter().filter_map(|(level, _)| level.in_flight_at_end).reduce(|a, b| a + b),
        failures,
        verdicts: Vec::new(),
        resources,
        warnings,
        // The generator's load is per process: each segment's file keeps its own.
        generator: None,
        ..template.clone()
    })
}

/// How long a level's numbers were measured over: its run time once it has ended; while it
/// runs (a segment still writing), the span its own rate was computed over.
fn measured_secs(level: &LevelRecord) -> f64 {
    let stats = &level.total.stats;
    match level.ended_offset_secs {
        Some(_) => level.duration_secs(),
        None if stats.rps > 0.0 => stats.requests as f64 / stats.rps,
        None => level.planned_duration_secs,
    }
}

fn raise(slot: &mut Option<f64>, value: Option<f64>) {
    if let Some(value) = value {
        *slot = Some(slot.map_or(value, |known| known.max(value)));
    }
}

fn min_option(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The whole level's load: the segments' users, spawn rates and arrival rates added up.
fn add_loads(loads: impl Iterator<Item = crate::measure::LoadModel>) -> Option<crate::measure::LoadModel> {
    use crate::measure::LoadModel;
    loads.reduce(|total, load| match (total, load) {
        (
            LoadModel::Closed { users, spawn_rate },
            LoadModel::Closed {
                users: more,
                spawn_rate: faster,
            },
        ) => LoadModel::Closed {
            users: users + more,
            spawn_rate: match (spawn_rate, faster) {
                (Some(a), Some(b)) => Some(a + b),
                (a, b) => a.or(b),
            },
        },
        (
            LoadModel::Open {
                rate_per_sec,
                max_in_flight,
            },
            LoadModel::Open {
                rate_per_sec: more,
                max_in_flight: cap,
            },
        ) => LoadModel::Open {
            rate_per_sec: rate_per_sec + more,
            max_in_flight: max_in_flight + cap,
        },
        (total, _) => total,
    })
}

/// The seconds of every segment on one timeline (each shifted by its start against the
/// earliest): counts and rates add; a second's percentiles are the segments' weighted by their
/// requests (per-second histograms are not kept, so these are approximate; the levels' are
/// exact).
fn merge_series(ordered: &[&(PathBuf, RunRecord)], shifts: &[f64]) -> Vec<SeriesPoint> {
    let mut seconds: BTreeMap<(u32, usize), Vec<&SeriesPoint>> = BTreeMap::new();
    for ((_, record), shift) in ordered.iter().zip(shifts) {
        let shift = shift.round() as u32;
        for point in &record.series {
            seconds.entry((point.second + shift, point.scenario)).or_default().push(point);
        }
    }
    seconds
        .into_iter()
        .map(|((second, scenario), points)| {
            let mut task_seconds: BTreeMap<usize, Vec<&SecondStats>> = BTreeMap::new();
            for point in &points {
                for task in &point.tasks {
                    task_seconds.entry(task.task).or_default().push(&task.requests);
                }
            }
            SeriesPoint {
                second,
                scenario,
                level: points.iter().map(|point| point.level).max().unwrap_or(0),
                users: points.iter().map(|point| point.users).sum(),
                requests: add_seconds(points.iter().map(|point| &point.requests)),
                resources: points.iter().find_map(|point| point.resources.clone()),
                tasks: task_seconds
                    .into_iter()
                    .map(|(task, parts)| TaskSecond {
                        task,
                        requests: add_seconds(parts.into_iter()),
                    })
                    .collect(),
                journeys: add_journey_seconds(points.iter().filter_map(|point| point.journeys.as_ref())),
            }
        })
        .collect()
}

/// The segments' journeys of one second together: counts summed, percentiles weighted by the
/// journeys each segment saw end (the histograms per second are not kept).
fn add_journey_seconds<'a>(parts: impl Iterator<Item = &'a JourneySecond>) -> Option<JourneySecond> {
    let parts: Vec<&JourneySecond> = parts.collect();
    if parts.is_empty() {
        return None;
    }
    let weighted = |pick: fn(&JourneySecond) -> Option<u64>| -> Option<u64> {
        let (mut total, mut weight) = (0.0, 0.0);
        for part in &parts {
            if let Some(value) = pick(part) {
                let ended = part.completed_per_sec + part.failed_per_sec;
                total += value as f64 * ended;
                weight += ended;
            }
        }
        (weight > 0.0).then(|| (total / weight).round() as u64)
    };
    Some(JourneySecond {
        completed_per_sec: parts.iter().map(|part| part.completed_per_sec).sum(),
        failed_per_sec: parts.iter().map(|part| part.failed_per_sec).sum(),
        p50_micros: weighted(|part| part.p50_micros),
        p95_micros: weighted(|part| part.p95_micros),
    })
}

fn add_seconds<'a>(parts: impl Iterator<Item = &'a SecondStats>) -> SecondStats {
    let parts: Vec<&SecondStats> = parts.collect();
    let sum = |pick: fn(&SecondStats) -> Option<f64>| -> Option<f64> {
        let values: Vec<f64> = parts.iter().filter_map(|part| pick(part)).collect();
        (!values.is_empty()).then(|| values.iter().sum())
    };
    let weighted = |pick: fn(&SecondStats) -> Option<u64>| -> Option<u64> {
        let (mut total, mut weight) = (0.0, 0.0);
        for part in &parts {
            if let Some(value) = pick(part) {
                let w = part.rps.max(f64::MIN_POSITIVE);
                total += value as f64 * w;
                weight += w;
            }
        }
        (weight > 0.0).then(|| (total / weight).round() as u64)
    };
    SecondStats {
        rps: parts.iter().map(|part| part.rps).sum(),
        failures_per_sec: parts.iter().map(|part| part.failures_per_sec).sum(),
        p50_micros: weighted(|part| part.p50_micros),
        p95_micros: weighted(|part| part.p95_micros),
        p99_micros: weighted(|part| part.p99_micros),
        ttft_p50_micros: weighted(|part| part.ttft_p50_micros),
        ttft_p95_micros: weighted(|part| part.ttft_p95_micros),
        output_tokens_per_sec: sum(|part| part.output_tokens_per_sec),
        prompt_tokens_per_sec: sum(|part| part.prompt_tokens_per_sec),
        goodput_per_sec: sum(|part| part.goodput_per_sec),
    }
}
