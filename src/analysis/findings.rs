//! Findings: the guide's bottleneck indicators as rules over a run record, each with the level,
//! the metric, the numbers behind it and what it suggests. Rules only read the record, so a
//! saved run gets the same findings as the run that wrote it.

use crate::format;
use crate::run::{FailureKind, Finding, FindingRule, LevelRecord, RunRecord, ScenarioRecord, Severity};

/// p95 growing by at least this factor from one level to the next is a knee.
pub(crate) const KNEE_FACTOR: f64 = 2.0;
/// Levels with fewer requests than this are too thin for a latency comparison.
pub(crate) const MIN_REQUESTS: u64 = 20;
/// The error rate (percent) the last level must reach for "error rate rises with users".
pub(crate) const RISING_ERROR_RATE_PERCENT: f64 = 1.0;
/// The correlation between load and error rate that counts as rising with users (3+ levels).
pub(crate) const RISING_FIT_R: f64 = 0.8;
/// GPU memory (percent) that counts as near full.
pub(crate) const GPU_MEMORY_PERCENT: f64 = 95.0;
/// Host CPU (percent) from which a busy host is noted (when the generator itself kept up).
pub(crate) const HOST_BUSY_PERCENT: f64 = 90.0;
/// The failure rate in a level's last third at least this many times its first third's:
/// accelerating.
pub(crate) const CASCADE_FACTOR: f64 = 3.0;
/// ...when the last third's failure rate is at least this (percent) and this many points above
/// the first third's.
pub(crate) const CASCADE_MIN_RATE_PERCENT: f64 = 5.0;
/// Least evidence for a rule about failures: this many service failures where it fires.
pub(crate) const MIN_FAILURES: u64 = 5;
/// Least evidence for a cascade: failures in the last third, requests in the first.
pub(crate) const CASCADE_MIN_FAILURES: f64 = 20.0;
pub(crate) const CASCADE_MIN_FIRST_REQUESTS: f64 = 10.0;
/// Levels a trend needs (two points always fit a line).
pub(crate) const MIN_TREND_LEVELS: usize = 3;
/// A knee also moves p95 by at least this much (a 2x jump from 100 µs is noise, not a knee).
pub(crate) const KNEE_MIN_INCREASE_MICROS: f64 = 5_000.0;
/// Late starts below this count are scheduling noise.
pub(crate) const MIN_LATE_STARTS: u64 = 5;

/// Every finding of the run, by scenario, then level, most severe first within a level.
pub fn find(run: &RunRecord) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (scenario_index, scenario) in run.scenarios.iter().enumerate() {
        let mut found = Vec::new();
        error_rate_rising(scenario, &mut found);
        latency_knees(scenario, &mut found);
        failure_kind_appears(scenario, FailureKind::Connect, FindingRule::ConnectionErrors, &mut found);
        failure_kind_appears(scenario, FailureKind::Timeout, FindingRule::Timeouts, &mut found);
        gpu_memory(scenario, &mut found);
        cascading(run, scenario_index, scenario, &mut found);
        no_recovery(scenario, &mut found);
        generator_saturated(scenario, &mut found);
        generator_limits(scenario, &mut found);
        late_starts(scenario, &mut found);
        let mut found = one_per_rule(found);
        found.sort_by(|a, b| {
            a.level
                .unwrap_or(usize::MAX)
                .cmp(&b.level.unwrap_or(usize::MAX))
                .then(b.severity.cmp(&a.severity))
        });
        findings.extend(found);
    }
    findings
}

fn finding(
    (rule, severity): (FindingRule, Severity),
    (scenario, level): (&ScenarioRecord, Option<&LevelRecord>),
    metric: &str,
    summary: String,
    evidence: Vec<String>,
    suggestion: &str,
) -> Finding {
    Finding {
        rule,
        severity,
        scenario: scenario.name.clone(),
        level: level.map(|level| level.index),
        level_name: level.map(|level| level.name.clone()),
        metric: metric.into(),
        summary,
        evidence,
        suggestion: suggestion.into(),
    }
}

/// Folds a rule's findings in one scenario into one: the first level's (the most severe
/// kept), naming the other levels, with every level's evidence.
fn one_per_rule(found: Vec<Finding>) -> Vec<Finding> {
    let mut merged: Vec<(Finding, Vec<String>)> = Vec::new();
    for finding in found {
        match merged.iter_mut().find(|(kept, _)| kept.rule == finding.rule) {
            None => merged.push((finding, Vec::new())),
            Some((kept, also)) => {
                kept.severity = kept.severity.max(finding.severity);
                if let Some(name) = finding.level_name
                    && kept.level_name.as_ref() != Some(&name)
                    && !also.contains(&name)
                {
                    also.push(name);
                }
                for line in finding.evidence {
                    if !kept.evidence.contains(&line) {
                        kept.evidence.push(line);
                    }
                }
            }
        }
    }
    merged
        .into_iter()
        .map(|(mut finding, also)| {
            if !also.is_empty() {
                finding.summary.push_str(&format!(" (also {})", also.join(", ")));
            }
            finding
        })
        .collect()
}

/// Failures that are the service's: not limited (429 and the like, the service pacing on
/// purpose) and not the load generator's own.
fn service_failures(stats: &crate::run::TaskStats) -> u64 {
    stats.failures.saturating_sub(stats.limited + stats.generator_failures)
}

fn service_error_rate(stats: &crate::run::TaskStats) -> f64 {
    if stats.requests == 0 {
        0.0
    } else {
        service_failures(stats) as f64 * 100.0 / stats.requests as f64
    }
}

/// `Level 2 (15 users)`.
fn level_label(level: &LevelRecord) -> String {
    format!("{} ({})", level.name, level.load.brief())
}

fn measured(scenario: &ScenarioRecord) -> Vec<&LevelRecord> {
    scenario.levels.iter().filter(|level| level.total.stats.requests > 0).collect()
}

/// The measured levels as the load-trend rules read them: in run order for fixed levels (a
/// preset's levels are its ramp), by load for a capacity search (whose steps rise, then bisect
/// back and forth: in run order, a step down would read as a load that fell).
fn by_load(scenario: &ScenarioRecord) -> Vec<&LevelRecord> {
    let mut levels = measured(scenario);
    if scenario.capacity.is_some() {
        levels.sort_by(|a, b| a.load.intensity().total_cmp(&b.load.intensity()));
    }
    levels
}

/// Pearson correlation and least-squares slope of y on x (None with fewer than two distinct x).
pub(crate) fn linear_fit(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    let syy: f64 = points.iter().map(|p| (p.1 - mean_y).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    if sxx == 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let r = if syy == 0.0 { 0.0 } else { sxy / (sxx * syy).sqrt() };
    Some((r, slope))
}

fn error_rate_rising(scenario: &ScenarioRecord, found: &mut Vec<Finding>) {
    let levels = by_load(scenario);
    if levels.len() < MIN_TREND_LEVELS {
        return;
    }
    let points: Vec<(f64, f64)> = levels
        .iter()
        .map(|level| (level.load.intensity(), service_error_rate(&level.total.stats)))
        .collect();
    let Some((r, slope)) = linear_fit(&points) else { return };
    let (first, last) = (points[0].1, points[points.len() - 1].1);
    let last_failures = service_failures(&levels[levels.len() - 1].total.stats);
    if slope > 0.0 && r >= RISING_FIT_R && last >= RISING_ERROR_RATE_PERCENT && last > first && last_failures >= MIN_FAILURES {
        let last_level = levels[levels.len() - 1];
        let unit = if matches!(last_level.load, crate::measure::LoadModel::Open { .. }) {
            "req/s of arrivals"
        } else {
            "user"
        };
        found.push(finding(
            (FindingRule::ErrorRateRising, Severity::Warning),
            (scenario, Some(last_level)),
            "error_rate",
            format!(
                "error rate rises with load: {} at {} to {} at {} (+{slope:.3} points per {unit}, r = {r:.2})",
                format::error_percent(first),
                levels[0].load.brief(),
                format::error_percent(last),
                last_level.load.brief()
            ),
            levels
                .iter()
                .map(|level| {
                    format!(
                        "{}: {} errors ({} of {} requests)",
                        level_label(level),
                        format::error_percent(service_error_rate(&level.total.stats)),
                        service_failures(&level.total.stats),
                        level.total.stats.requests
                    )
                })
                .collect(),
            "the service sheds load as users grow: look for a capacity limit (worker pool, queue length, rate limiter) and at the failures table for the first error kind that grows",
        ));
    }
}

fn latency_knees(scenario: &ScenarioRecord, found: &mut Vec<Finding>) {
    let levels: Vec<&LevelRecord> = by_load(scenario)
        .into_iter()
        .filter(|level| level.total.stats.requests >= MIN_REQUESTS)
        .collect();
    for pair in levels.windows(2) {
        let (before, after) = (pair[0], pair[1]);
        let (p95_before, p95_after) = (before.total.stats.p95_micros as f64, after.total.stats.p95_micros as f64);
        if p95_before <= 0.0 || after.load.intensity() <= before.load.intensity() {
            continue;
        }
        let factor = p95_after / p95_before;
        if factor >= KNEE_FACTOR && p95_after - p95_before >= KNEE_MIN_INCREASE_MICROS {
            let load_factor = after.load.intensity() / before.load.intensity().max(f64::MIN_POSITIVE);
            found.push(finding(
                (FindingRule::LatencyKnee, Severity::Warning),
                (scenario, Some(after)),
                "p95",
                format!(
                    "p95 jumps {factor:.1}x from {} at {} to {} at {} (load {load_factor:.1}x)",
                    format::micros(p95_before),
                    before.load.brief(),
                    format::micros(p95_after),
                    after.load.brief()
                ),
                vec![
                    format!("{}: p95 {}", level_label(before), format::micros(p95_before)),
                    format!("{}: p95 {}", level_label(after), format::micros(p95_after)),
                ],
                "the service saturates between these loads (requests queue for a GPU slot, worker or connection): find the exact point with levels in between, then raise that capacity",
            ));
        }
    }
}

fn failure_kind_appears(scenario: &ScenarioRecord, kind: FailureKind, rule: FindingRule, found: &mut Vec<Finding>) {
    let count = |level: &LevelRecord| -> u64 { level.failures.iter().filter(|row| row.kind == kind).map(|row| row.count).sum() };
    let mut seen_before = false;
    for level in &scenario.levels {
        let here = count(level);
        if here >= MIN_FAILURES.min(3) && !seen_before {
            let top = level
                .failures
                .iter()
                .filter(|row| row.kind == kind)
                .max_by_key(|row| row.count)
                .map(|row| format!("most frequent: {:?} ({}x, task {})", row.message, row.count, row.task))
                .unwrap_or_default();
            let (what, suggestion) = if kind == FailureKind::Connect {
                (
                    "connection errors",
                    "the service or a proxy in front of it refuses connections under this load: check its connection limit, listen backlog and file descriptor limit",
                )
            } else {
                (
                    "timeouts",
                    "requests wait longer than the scenario's timeout: the service queues more than it can serve; raise capacity or check upstream calls (model, vector database)",
                )
            };
            let mut evidence: Vec<String> = scenario
                .levels
                .iter()
                .map(|level| format!("{}: {} {what}", level_label(level), count(level)))
                .collect();
            evidence.push(top);
            let percent = here as f64 * 100.0 / level.total.stats.requests.max(1) as f64;
            found.push(finding(
                (rule, if percent >= 1.0 { Severity::Warning } else { Severity::Notice }),
                (scenario, Some(level)),
                &kind.to_string(),
                format!(
                    "{here} {what} first appear at {} ({} of its requests)",
                    level_label(level),
                    format::error_percent(percent)
                ),
                evidence,
                suggestion,
            ));
        }
        seen_before |= here > 0;
    }
}

fn gpu_memory(scenario: &ScenarioRecord, found: &mut Vec<Finding>) {
    let values: Vec<(&LevelRecord, f64)> = scenario
        .levels
        .iter()
        .filter_map(|level| Some((level, level.resources.as_ref()?.gpu_mem_max_percent?)))
        .collect();
    if let Some((level, value)) = values.iter().find(|(_, value)| *value >= GPU_MEMORY_PERCENT) {
        found.push(finding(
            (FindingRule::GpuMemoryHigh, if *value >= 99.0 { Severity::Critical } else { Severity::Warning }),
            (scenario, Some(level)),
            "gpu_mem_max",
            format!("GPU memory reaches {} at {}", format::percent(*value), level_label(level)),
            values
                .iter()
                .map(|(level, value)| format!("{}: GPU memory max {}", level_label(level), format::percent(*value)))
                .collect(),
            "the model server is close to out-of-memory: lower the batch size or context length, cap concurrent sequences, or expect OOM errors at the next load step",
        ));
    }
}

fn cascading(run: &RunRecord, scenario_index: usize, scenario: &ScenarioRecord, found: &mut Vec<Finding>) {
    for level in &scenario.levels {
        // Limited and generator failures are not the service failing; a level made mostly of
        // them says nothing about a cascade (the series does not split kinds).
        let stats = &level.total.stats;
        if service_failures(stats) * 2 < stats.failures {
            continue;
        }
        let seconds: Vec<(f64, f64)> = run
            .series
            .iter()
            .filter(|point| point.scenario == scenario_index && point.level == level.index)
            .map(|point| (point.requests.rps, point.requests.failures_per_sec))
            .collect();
        if seconds.len() < 6 {
            continue;
        }
        let third = seconds.len() / 3;
        let sum = |part: &[(f64, f64)]| -> (f64, f64) { part.iter().fold((0.0, 0.0), |acc, point| (acc.0 + point.0, acc.1 + point.1)) };
        let (first_requests, first_failures) = sum(&seconds[..third]);
        let (middle_requests, middle_failures) = sum(&seconds[third..seconds.len() - third]);
        let (last_requests, last_failures) = sum(&seconds[seconds.len() - third..]);
        let rate = |failures: f64, requests: f64| if requests > 0.0 { failures * 100.0 / requests } else { 0.0 };
        let (first_rate, middle_rate, last_rate) = (
            rate(first_failures, first_requests),
            rate(middle_failures, middle_requests),
            rate(last_failures, last_requests),
        );
        // Rates, not counts (more requests finish late in a level), with enough of both to
        // compare: a third with no requests has no rate to grow from.
        let accelerating = first_requests >= CASCADE_MIN_FIRST_REQUESTS
            && last_failures >= CASCADE_MIN_FAILURES
            && last_rate >= CASCADE_FACTOR * first_rate
            && last_rate - first_rate >= CASCADE_MIN_RATE_PERCENT
            && middle_rate >= first_rate;
        if accelerating && last_rate >= CASCADE_MIN_RATE_PERCENT {
            let per_sec = |failures: f64| failures / third as f64;
            found.push(finding(
                (FindingRule::CascadingFailure, Severity::Critical),
                (scenario, Some(level)),
                "failures_per_sec",
                format!(
                    "failures accelerate within {}: {}/s in its first third, {}/s in its last ({} of requests)",
                    level_label(level),
                    format::rate(per_sec(first_failures)),
                    format::rate(per_sec(last_failures)),
                    format::percent(last_rate)
                ),
                vec![
                    format!("first third: {first_failures:.0} failures of {first_requests:.0} requests"),
                    format!("middle third: {middle_failures:.0} failures"),
                    format!("last third: {last_failures:.0} failures of {last_requests:.0} requests"),
                ],
                "a failure feeds more failures (retries, a crashed worker, a full queue that never drains): read the failures table for the first error kind, and the service's logs around that time",
            ));
        }
    }
}

/// Errors that stay after the load falls. Between fixed levels: a level with less load than the
/// one before it and still failing. In a capacity search, stepping down after a failed step is
/// the bisection, and a lower load that still fails is only above capacity; errors stay when
/// a step fails at a load no higher than one that ran clean before the overload.
fn no_recovery(scenario: &ScenarioRecord, found: &mut Vec<Finding>) {
    let levels = measured(scenario);
    let pairs: Vec<(&LevelRecord, &LevelRecord)> = if scenario.capacity.is_some() {
        stuck_after_overload(&levels)
    } else {
        levels.windows(2).map(|pair| (pair[0], pair[1])).collect()
    };
    for (before, after) in pairs {
        let (rate_before, rate_after) = (service_error_rate(&before.total.stats), service_error_rate(&after.total.stats));
        let enough = service_failures(&before.total.stats) >= MIN_FAILURES && service_failures(&after.total.stats) >= MIN_FAILURES;
        if after.load.intensity() < before.load.intensity() && enough && rate_before >= 1.0 && rate_after >= rate_before * 0.5 {
            found.push(finding(
                (FindingRule::NoRecovery, Severity::Critical),
                (scenario, Some(after)),
                "error_rate",
                format!(
                    "errors stay at {rate_after:.2}% after the load drops from {} to {} (was {rate_before:.2}%)",
                    before.load.brief(),
                    after.load.brief()
                ),
                vec![
                    format!("{}: {rate_before:.2}% errors", level_label(before)),
                    format!("{}: {rate_after:.2}% errors", level_label(after)),
                ],
                "the service does not recover when load falls: something is stuck (exhausted pool, leaked connections, a crashed replica); restart and watch it, or check its health endpoint",
            ));
        }
    }
}

/// A search's (overloaded step, later step) pairs where the later step's load is no higher than
/// a step that ran clean (under 1% service errors) before the overload.
fn stuck_after_overload<'a>(steps: &[&'a LevelRecord]) -> Vec<(&'a LevelRecord, &'a LevelRecord)> {
    let clean = |level: &LevelRecord| service_error_rate(&level.total.stats) < 1.0;
    let mut pairs = Vec::new();
    for (overload_at, overload) in steps.iter().enumerate() {
        if clean(overload) {
            continue;
        }
        let clean_before = steps[..overload_at]
            .iter()
            .filter(|step| clean(step))
            .map(|step| step.load.intensity())
            .fold(f64::NEG_INFINITY, f64::max);
        if let Some(after) = steps[overload_at + 1..]
            .iter()
            .find(|step| step.load.intensity() <= clean_before && step.load.intensity() < overload.load.intensity())
        {
            pairs.push((*overload, *after));
        }
    }
    pairs
}

fn generator_saturated(scenario: &ScenarioRecord, found: &mut Vec<Finding>) {
    for level in &scenario.levels {
        let saturation = level.generator.as_ref().and_then(crate::run::GeneratorLoad::saturation);
        if let Some(why) = saturation {
            found.push(finding(
                (FindingRule::GeneratorSaturated, Severity::Critical),
                (scenario, Some(level)),
                "scheduling_lag_p99",
                format!(
                    "the load generator was saturated during {}: its numbers are not trustworthy",
                    level_label(level)
                ),
                vec![format!("{}: {why}", level_label(level))],
                "run the load generator on a machine with spare CPU (or fewer users per machine), then repeat this level",
            ));
        } else if let Some(host) = level
            .resources
            .as_ref()
            .and_then(|peaks| peaks.host_cpu_max_percent)
            .filter(|host| *host >= HOST_BUSY_PERCENT)
        {
            let own = level
                .generator
                .as_ref()
                .and_then(|load| load.cpu_percent)
                .map(|cpu| format!("; Loadscope's worker threads were busy {cpu:.0}% of the time"))
                .unwrap_or_default();
            found.push(finding(
                (FindingRule::HostBusy, Severity::Notice),
                (scenario, Some(level)),
                "host_cpu_max",
                format!(
                    "the host's CPU reached {host:.0}% during {} while the load generator kept up",
                    level_label(level)
                ),
                vec![format!("{}: host CPU max {host:.0}%{own}", level_label(level))],
                "other programs shared this machine (a desktop, a build, the service itself): the numbers stand, but a quieter machine gives steadier ones",
            ));
        }
    }
}

fn generator_limits(scenario: &ScenarioRecord, found: &mut Vec<Finding>) {
    for level in &scenario.levels {
        let count = level.total.stats.generator_failures;
        if count == 0 {
            continue;
        }
        found.push(finding(
            (FindingRule::GeneratorLimits, Severity::Critical),
            (scenario, Some(level)),
            "generator_failures",
            format!(
                "{count} requests in {} failed on the load generator itself (no file descriptors or local ports left), not at the service",
                level_label(level)
            ),
            vec![format!(
                "{}: {count} load generator failures of {} requests",
                level_label(level),
                level.total.stats.requests
            )],
            "raise the open-file limit (`ulimit -n`, LimitNOFILE=), use fewer users per machine, or spread them over machines; the level's error rate includes these",
        ));
    }
}

fn late_starts(scenario: &ScenarioRecord, found: &mut Vec<Finding>) {
    for level in &scenario.levels {
        if level.late_starts < MIN_LATE_STARTS {
            continue;
        }
        // The scheduled starts: the level's rate over its time (what ran, for closed levels).
        let scheduled = match level.load {
            crate::measure::LoadModel::Open { rate_per_sec, .. } => (rate_per_sec * level.duration_secs()).round() as u64,
            _ => level.total.stats.requests,
        }
        .max(level.late_starts)
        .max(1);
        let percent = level.late_starts as f64 * 100.0 / scheduled as f64;
        let cap = match level.load {
            crate::measure::LoadModel::Open { max_in_flight, .. } => format!(", in-flight cap {max_in_flight}"),
            _ => String::new(),
        };
        found.push(finding(
            (FindingRule::LateStarts, if percent >= 1.0 { Severity::Warning } else { Severity::Notice }),
            (scenario, Some(level)),
            "late_starts",
            format!(
                "{} of about {scheduled} scheduled requests in {} started late or not at all ({percent:.0}%{cap})",
                level.late_starts,
                level_label(level),
            ),
            vec![format!(
                "{}: {} requests ran, {} late starts",
                level_label(level),
                level.total.stats.requests,
                level.late_starts
            )],
            "the service could not keep up with the arrival rate, so requests queued in the generator: the measured latency includes that wait; lower the rate or raise the in-flight cap to see the service's own limit",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_of_a_line() {
        let (r, slope) = linear_fit(&[(1.0, 1.0), (2.0, 3.0), (3.0, 5.0)]).expect("fit");
        assert!((r - 1.0).abs() < 1e-9);
        assert!((slope - 2.0).abs() < 1e-9);
        assert!(linear_fit(&[(1.0, 1.0), (1.0, 2.0)]).is_none());
        let (flat_r, flat_slope) = linear_fit(&[(1.0, 2.0), (2.0, 2.0), (3.0, 2.0)]).expect("fit");
        assert_eq!((flat_r, flat_slope), (0.0, 0.0));
    }
}
