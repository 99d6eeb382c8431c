//! Whether a capacity search's step held, read from its level record with the evidence behind
//! each verdict. The search's answer is only as good as each step's judgement, so a step is
//! judged only on what it can carry:
//! - a rate target (error rate, success rate, SLO attainment) fails a step only when the rate is
//!   past its limit beyond sampling noise (Wilson's interval, `analysis::noise`): 2 failures in
//!   38 requests is not an error rate above 5%;
//! - a step with too few requests cannot tell, and is measured longer before it is judged;
//! - a step whose requests mostly could not connect measured a service that went away, and one
//!   whose failures are mostly the load generator's own measured this machine: neither is a
//!   capacity, and the search stops saying so.

use crate::measure::capacity::SearchStop;
use crate::measure::{Comparison, TargetExpr};
use crate::run::{FailureKind, LevelRecord, Verdict};

use super::noise::error_rate_interval_percent;

/// Requests a step needs before its verdicts are judged without measuring longer.
pub(crate) const MIN_STEP_REQUESTS: u64 = 30;

/// How a step went.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StepJudgement {
    /// Every target held; `note` says what that rests on when it is less than plain.
    Held { note: Option<String> },
    /// A target failed beyond doubt: `why` names it and what was observed.
    Failed { why: String },
    /// Not enough evidence yet: measure the step longer (only before its last word).
    CannotTell { why: String },
    /// What the step measured was not the service's capacity: the search stops.
    Stop(SearchStop),
}

/// Judges step number `step` (from 1) from its level record. `classes` are the scenario's
/// failure classes (targets may name them). `last_word`: the step cannot be measured longer,
/// so a doubt is said in a note instead of asking for more.
pub(crate) fn judge_step(level: &LevelRecord, step: usize, classes: &[String], last_word: bool) -> StepJudgement {
    if let Some(stop) = not_the_service(level, step) {
        return StepJudgement::Stop(stop);
    }
    let requests = level.total.stats.requests;
    let mut doubts: Vec<String> = Vec::new();
    let mut failed: Option<String> = None;
    for verdict in level.verdicts.iter().filter(|verdict| !verdict.passed) {
        match judge_verdict(level, verdict, classes) {
            VerdictEvidence::BeyondDoubt(why) => {
                failed.get_or_insert(why);
            }
            VerdictEvidence::WithinNoise(why) => doubts.push(why),
        }
    }
    if let Some(why) = failed {
        return StepJudgement::Failed { why };
    }
    if requests < MIN_STEP_REQUESTS {
        let why = format!("only {requests} requests completed (a step needs {MIN_STEP_REQUESTS} to be judged)");
        if !last_word {
            return StepJudgement::CannotTell { why };
        }
        if requests == 0 {
            return StepJudgement::Failed {
                why: "no request completed".into(),
            };
        }
        doubts.push(why);
    }
    if !doubts.is_empty() && !last_word {
        return StepJudgement::CannotTell { why: doubts.join("; ") };
    }
    StepJudgement::Held {
        note: (!doubts.is_empty()).then(|| doubts.join("; ")),
    }
}

enum VerdictEvidence {
    BeyondDoubt(String),
    WithinNoise(String),
}

/// Whether a failed verdict is beyond sampling noise.
fn judge_verdict(level: &LevelRecord, verdict: &Verdict, classes: &[String]) -> VerdictEvidence {
    let observed = verdict
        .observed
        .map(|value| verdict.metric.format_value(value))
        .unwrap_or_else(|| "no requests".into());
    let failed = format!("{} (observed {observed})", verdict.target);
    let stats = match &verdict.task {
        Some(task) => level
            .tasks
            .iter()
            .find(|summary| &summary.task == task)
            .map(|summary| &summary.stats),
        None => Some(&level.total.stats),
    };
    let (Some(stats), Some(value)) = (stats, verdict.observed) else {
        return VerdictEvidence::WithinNoise(format!("{failed}: nothing measured yet"));
    };
    if !verdict.metric.is_share_of_requests() {
        return VerdictEvidence::BeyondDoubt(failed);
    }
    let class_names: Vec<&str> = classes.iter().map(String::as_str).collect();
    let Ok(expr) = TargetExpr::parse_with_classes(&verdict.target, &class_names) else {
        return VerdictEvidence::BeyondDoubt(failed);
    };
    let requests = stats.requests;
    let count = (value * requests as f64 / 100.0).round() as u64;
    let Some(interval) = error_rate_interval_percent(count, requests) else {
        return VerdictEvidence::WithinNoise(format!("{failed}: no requests"));
    };
    // The rate fails beyond noise when even the end of its interval nearest the limit fails.
    let nearest = match expr.comparison {
        Comparison::Less | Comparison::LessOrEqual => interval.low,
        Comparison::Greater | Comparison::GreaterOrEqual => interval.high,
        Comparison::Equal => value,
    };
    if expr.holds(nearest) {
        VerdictEvidence::WithinNoise(format!(
            "{failed} is past its limit only within sampling noise: {count} of {requests} requests, 95% interval {:.1}%–{:.1}%",
            interval.low, interval.high
        ))
    } else {
        VerdictEvidence::BeyondDoubt(failed)
    }
}

/// A step that did not measure the service: most of its requests could not connect, or most
/// of its failures were the load generator's own.
fn not_the_service(level: &LevelRecord, step: usize) -> Option<SearchStop> {
    let requests = level.total.stats.requests;
    let failures = level.total.stats.failures;
    let count = |kind: FailureKind| -> u64 { level.failures.iter().filter(|row| row.kind == kind).map(|row| row.count).sum() };
    let first_error = |kind: FailureKind| -> String {
        level
            .failures
            .iter()
            .filter(|row| row.kind == kind)
            .min_by_key(|row| row.first_seen_secs.unwrap_or(u32::MAX))
            .map(|row| row.message.clone())
            .unwrap_or_default()
    };
    let failed_a_target = level.verdicts.iter().any(|verdict| !verdict.passed);
    // Mostly: at least half of all requests, or most failures of a step that failed a target.
    let mostly = |count: u64| count > 0 && (count * 2 >= requests || (failed_a_target && count * 2 > failures));
    let connect = count(FailureKind::Connect);
    if mostly(connect) {
        return Some(SearchStop::Unreachable {
            step,
            first_error: first_error(FailureKind::Connect),
        });
    }
    let generator = count(FailureKind::Generator);
    if mostly(generator) {
        return Some(SearchStop::GeneratorLimit {
            step,
            first_error: first_error(FailureKind::Generator),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Metric;
    use crate::run::{FailureRow, TaskStats, TaskSummary};

    fn level(requests: u64, failures: u64, verdicts: Vec<Verdict>, rows: Vec<FailureRow>) -> LevelRecord {
        let stats = TaskStats {
            requests,
            failures,
            ..TaskStats::default()
        };
        LevelRecord {
            index: 0,
            name: "Step 1".into(),
            load: crate::measure::LoadModel::Closed {
                users: 8,
                spawn_rate: None,
            },
            planned_duration_secs: 5.0,
            started_offset_secs: 0.0,
            ended_offset_secs: Some(5.0),
            tasks: Vec::new(),
            total: TaskSummary {
                task: "Aggregated".into(),
                stats,
                ..TaskSummary::default()
            },
            journeys: Vec::new(),
            late_starts: 0,
            reconnects: 0,
            retries: 0,
            in_flight_at_start: None,
            in_flight_at_end: None,
            failures: rows,
            verdicts,
            resources: None,
            warnings: Vec::new(),
            generator: None,
        }
    }

    fn error_rate_verdict(target: &str, threshold: f64, observed: f64) -> Verdict {
        let expr = TargetExpr::parse(target).expect("target");
        Verdict {
            target: target.into(),
            level: 0,
            task: None,
            journey: None,
            metric: Metric::ErrorRate,
            threshold,
            observed: Some(observed),
            passed: expr.holds(observed),
        }
    }

    fn row(kind: FailureKind, count: u64, message: &str) -> FailureRow {
        FailureRow {
            task: "t".into(),
            kind,
            message: message.into(),
            count,
            first_seen_secs: Some(1),
            last_seen_secs: Some(2),
        }
    }

    #[test]
    fn an_error_rate_past_its_limit_within_noise_is_measured_longer_then_held_with_a_note() {
        // 2 failures in 38 requests (5.3%) against error_rate < 5%: the interval is 1.5%-17%.
        let verdicts = vec![error_rate_verdict("error_rate < 5%", 5.0, 2.0 * 100.0 / 38.0)];
        let step = level(38, 2, verdicts.clone(), vec![row(FailureKind::Status(500), 2, "HTTP 500")]);
        let StepJudgement::CannotTell { why } = judge_step(&step, 1, &[], false) else {
            panic!("{:?}", judge_step(&step, 1, &[], false))
        };
        assert!(why.contains("2 of 38 requests"), "{why}");
        let StepJudgement::Held { note: Some(note) } = judge_step(&step, 1, &[], true) else {
            panic!("{:?}", judge_step(&step, 1, &[], true))
        };
        assert!(note.contains("within sampling noise"), "{note}");
        // 40 failures in 400 (10%) against 5%: the interval (7.4%-13.3%) is past the limit.
        let beyond = level(
            400,
            40,
            vec![error_rate_verdict("error_rate < 5%", 5.0, 10.0)],
            vec![row(FailureKind::Status(500), 40, "HTTP 500")],
        );
        assert!(matches!(judge_step(&beyond, 1, &[], false), StepJudgement::Failed { .. }));
    }

    #[test]
    fn a_latency_target_fails_at_once_but_too_few_requests_cannot_tell() {
        let p95 = Verdict {
            target: "p95 < 450ms".into(),
            level: 0,
            task: None,
            journey: None,
            metric: Metric::P95,
            threshold: 450_000.0,
            observed: Some(900_000.0),
            passed: false,
        };
        let failed = level(200, 0, vec![p95], Vec::new());
        let StepJudgement::Failed { why } = judge_step(&failed, 1, &[], false) else {
            panic!()
        };
        assert_eq!(why, "p95 < 450ms (observed 900ms)");
        let few = level(12, 0, Vec::new(), Vec::new());
        assert!(matches!(judge_step(&few, 1, &[], false), StepJudgement::CannotTell { .. }));
        let StepJudgement::Held { note: Some(note) } = judge_step(&few, 1, &[], true) else {
            panic!()
        };
        assert!(note.contains("only 12 requests"), "{note}");
        let none = level(0, 0, Vec::new(), Vec::new());
        assert_eq!(
            judge_step(&none, 1, &[], true),
            StepJudgement::Failed {
                why: "no request completed".into()
            }
        );
    }

    #[test]
    fn connection_failures_stop_the_search_even_when_every_target_held() {
        // A dead service answers fast: a latency target alone would hold.
        let dead = level(
            900,
            899,
            Vec::new(),
            vec![
                row(
                    FailureKind::Connect,
                    899,
                    "connect to 127.0.0.1:9: Connection refused (os error 111)",
                ),
                row(FailureKind::Status(500), 1, "HTTP 500"),
            ],
        );
        let StepJudgement::Stop(stop) = judge_step(&dead, 2, &[], false) else {
            panic!()
        };
        assert_eq!(
            stop.describe(),
            "service unreachable during step 2: connect to 127.0.0.1:9: Connection refused (os error 111)"
        );
        let generator = level(
            500,
            300,
            vec![error_rate_verdict("error_rate < 1%", 1.0, 60.0)],
            vec![row(FailureKind::Generator, 300, "connect to x: Too many open files")],
        );
        assert!(matches!(
            judge_step(&generator, 3, &[], true),
            StepJudgement::Stop(SearchStop::GeneratorLimit { step: 3, .. })
        ));
        // A few refused connections in a healthy step are not a dead service.
        let healthy = level(1000, 3, Vec::new(), vec![row(FailureKind::Connect, 3, "refused")]);
        assert_eq!(judge_step(&healthy, 1, &[], false), StepJudgement::Held { note: None });
    }
}
