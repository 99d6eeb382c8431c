//! Target verdicts: each target checked against each level it applies to, with the measured
//! value beside the threshold. Works on run-record values only, so a live run and a saved run
//! get the same verdicts.

use super::baseline::degradation_percent;
use crate::measure::capacity::CapacityAxis;
use crate::measure::{Metric, TargetExpr};
use crate::monitor::ResourcePeaks;
use crate::run::{BaselineRecord, CapacityVerdict, JourneyStats, LevelRecord, TargetRecord, TaskStats, Verdict};

/// A level's journeys, for journey targets: each by name, and all of them together (None
/// when the scenario has none).
#[derive(Debug, Default, Clone)]
pub(crate) struct LevelJourneys<'a> {
    pub each: Vec<(&'a str, &'a JourneyStats)>,
    pub total: Option<&'a JourneyStats>,
}

/// Checks every target that applies to level `level_index`. `tasks` are the level's per-task
/// numbers by task name; `total` is all tasks together; `classes` the preset's failure classes.
/// `resources` are the level's resource peaks from the monitors (None without monitors);
/// `baseline` what `degradation` targets compare with (None: those targets stay unchecked);
/// `journeys` what journey targets read.
#[allow(clippy::too_many_arguments)]
pub(crate) fn evaluate_level(
    targets: &[TargetRecord],
    classes: &[String],
    level_index: usize,
    tasks: &[(&str, &TaskStats)],
    total: &TaskStats,
    resources: Option<&ResourcePeaks>,
    baseline: Option<&BaselineRecord>,
    journeys: &LevelJourneys<'_>,
) -> Vec<Verdict> {
    let classes: Vec<&str> = classes.iter().map(String::as_str).collect();
    targets
        .iter()
        .filter(|target| target.level.is_none_or(|level| level == level_index))
        .filter_map(|target| {
            let expr = TargetExpr::parse_with_classes(&target.expr, &classes).ok()?;
            // A capacity target judges the search's result, not a step.
            if expr.metric.is_capacity() {
                return None;
            }
            let stats = match &target.task {
                Some(task) => tasks.iter().find(|(name, _)| name == task).map(|(_, stats)| *stats),
                None => Some(total),
            };
            // Objectives' metrics scoped to a journey count its journeys, not its requests.
            let journey_scoped = target.journey.is_some() && expr.metric.needs_objectives();
            let observed = if expr.metric.is_journey() || journey_scoped {
                let stats = match &target.journey {
                    Some(name) => journeys.each.iter().find(|(known, _)| known == name).map(|(_, stats)| *stats),
                    None => journeys.total,
                };
                stats.and_then(|stats| stats.value(expr.metric))
            } else if expr.metric.is_resource() {
                // A monitor that saw nothing (no GPU, no Docker) leaves its targets unchecked:
                // the run's monitor status says why.
                Some(resources.and_then(|peaks| resource_value(peaks, expr.metric))?)
            } else if expr.metric == Metric::Degradation {
                // Without a baseline (its scenario did not run) there is nothing to compare.
                let baseline = baseline?;
                let base = match &target.task {
                    Some(task) => baseline.tasks.get(task)?,
                    None => &baseline.total,
                };
                let now = stats.filter(|stats| stats.requests > 0);
                match now {
                    Some(now) => Some(degradation_percent(now.p95_micros as f64, base.p95_micros as f64)?),
                    None => None,
                }
            } else {
                stats.and_then(|stats| stats.value(&expr))
            };
            Some(Verdict {
                target: target.expr.clone(),
                level: level_index,
                task: target.task.clone(),
                journey: target.journey.clone(),
                metric: expr.metric,
                threshold: expr.threshold,
                observed,
                passed: observed.is_some_and(|value| expr.holds(value)),
            })
        })
        .collect()
}

/// A resource peak in percent (None when that monitor saw nothing in the level).
fn resource_value(peaks: &ResourcePeaks, metric: Metric) -> Option<f64> {
    match metric {
        Metric::GpuUtilMax => peaks.gpu_util_max_percent,
        Metric::GpuMemMax => peaks.gpu_mem_max_percent,
        Metric::ContainerCpuMax => peaks.container_cpu_max_percent,
        Metric::HostCpuMax => peaks.host_cpu_max_percent,
        _ => None,
    }
}

/// The capacity targets of a scenario (`capacity_users >= 40`) against its search's result;
/// None when the search found no load at all that held (every such target fails).
pub(crate) fn evaluate_capacity(targets: &[TargetRecord], found: Option<f64>, axis: CapacityAxis) -> Vec<CapacityVerdict> {
    targets
        .iter()
        .filter_map(|target| {
            let expr = TargetExpr::parse(&target.expr).ok()?;
            let metric_axis = match expr.metric {
                Metric::CapacityUsers => CapacityAxis::Users,
                Metric::CapacityRate => CapacityAxis::Rate,
                _ => return None,
            };
            let observed = found.filter(|_| metric_axis == axis);
            Some(CapacityVerdict {
                target: target.expr.clone(),
                threshold: expr.threshold,
                observed,
                passed: observed.is_some_and(|value| expr.holds(value)),
            })
        })
        .collect()
}

/// Verdicts of a finished level record.
pub(crate) fn evaluate_record(
    targets: &[TargetRecord],
    classes: &[String],
    level: &LevelRecord,
    baseline: Option<&BaselineRecord>,
) -> Vec<Verdict> {
    let tasks: Vec<(&str, &TaskStats)> = level.tasks.iter().map(|task| (task.task.as_str(), &task.stats)).collect();
    let total = crate::run::combined_journeys(&level.journeys);
    let journeys = LevelJourneys {
        each: level
            .journeys
            .iter()
            .map(|journey| (journey.name.as_str(), &journey.stats))
            .collect(),
        total: total.as_ref(),
    };
    evaluate_level(
        targets,
        classes,
        level.index,
        &tasks,
        &level.total.stats,
        level.resources.as_ref(),
        baseline,
        &journeys,
    )
}

/// Whether every verdict held (None when there are none).
pub(crate) fn all_passed<'a>(verdicts: impl IntoIterator<Item = &'a Verdict>) -> Option<bool> {
    let mut any = false;
    for verdict in verdicts {
        any = true;
        if !verdict.passed {
            return Some(false);
        }
    }
    any.then_some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(requests: u64, failures: u64, p95_micros: u64) -> TaskStats {
        TaskStats {
            requests,
            failures,
            p95_micros,
            ..TaskStats::default()
        }
    }

    #[test]
    fn scopes_targets_to_levels_and_tasks() {
        let targets = vec![
            TargetRecord {
                expr: "p95 < 2s".into(),
                level: Some(2),
                task: None,
                journey: None,
                abort_on_fail: false,
            },
            TargetRecord {
                expr: "error_rate < 1%".into(),
                level: None,
                task: None,
                journey: None,
                abort_on_fail: false,
            },
            TargetRecord {
                expr: "p95 < 100ms".into(),
                level: None,
                task: Some("query".into()),
                journey: None,
                abort_on_fail: false,
            },
        ];
        let query = stats(100, 0, 150_000);
        let total = stats(200, 3, 1_500_000);
        let level0 = evaluate_level(
            &targets,
            &[],
            0,
            &[("query", &query)],
            &total,
            None,
            None,
            &LevelJourneys::default(),
        );
        assert_eq!(level0.len(), 2, "the p95 < 2s target only applies to level 3");
        assert!(!level0[0].passed, "1.5% errors fail error_rate < 1%");
        assert_eq!(level0[0].observed, Some(1.5));
        assert!(!level0[1].passed, "query p95 150ms fails < 100ms");
        let level2 = evaluate_level(
            &targets,
            &[],
            2,
            &[("query", &query)],
            &total,
            None,
            None,
            &LevelJourneys::default(),
        );
        assert!(level2[0].passed, "1.5s p95 passes < 2s");
        assert_eq!(all_passed(&level2), Some(false));
        let empty = evaluate_level(&targets, &[], 1, &[], &TaskStats::default(), None, None, &LevelJourneys::default());
        assert!(
            empty.iter().all(|verdict| !verdict.passed && verdict.observed.is_none()),
            "no requests cannot pass"
        );
    }

    #[test]
    fn resource_targets_read_the_level_peaks() {
        let targets = vec![
            TargetRecord {
                expr: "gpu_util_max < 95%".into(),
                level: None,
                task: None,
                journey: None,
                abort_on_fail: false,
            },
            TargetRecord {
                expr: "host_cpu_max < 90%".into(),
                level: None,
                task: None,
                journey: None,
                abort_on_fail: false,
            },
        ];
        let peaks = ResourcePeaks {
            gpu_util_max_percent: None,
            host_cpu_max_percent: Some(97.5),
            ..ResourcePeaks::default()
        };
        let verdicts = evaluate_level(
            &targets,
            &[],
            0,
            &[],
            &stats(10, 0, 1000),
            Some(&peaks),
            None,
            &LevelJourneys::default(),
        );
        assert_eq!(verdicts.len(), 1, "no GPU sampled: the GPU target is not checked");
        assert_eq!(verdicts[0].target, "host_cpu_max < 90%");
        assert_eq!(verdicts[0].observed, Some(97.5));
        assert!(!verdicts[0].passed);
    }

    #[test]
    fn degradation_targets_read_the_baseline_of_their_task() {
        let target = |task: Option<&str>| TargetRecord {
            expr: "degradation < 100%".into(),
            level: None,
            task: task.map(String::from),
            journey: None,
            abort_on_fail: false,
        };
        let targets = vec![target(None), target(Some("query")), target(Some("index"))];
        let baseline = BaselineRecord {
            source: "test".into(),
            scenario: "single user".into(),
            run_id: None,
            total: stats(20, 0, 400_000),
            tasks: [("query".to_string(), stats(14, 0, 300_000))].into_iter().collect(),
        };
        let query = stats(100, 0, 750_000);
        let total = stats(150, 0, 1_000_000);
        let verdicts = evaluate_level(
            &targets,
            &[],
            0,
            &[("query", &query)],
            &total,
            None,
            Some(&baseline),
            &LevelJourneys::default(),
        );
        assert_eq!(verdicts.len(), 2, "the index task has no baseline numbers: unchecked");
        assert_eq!(verdicts[0].observed, Some(150.0), "(1s - 400ms) / 400ms");
        assert!(!verdicts[0].passed);
        assert_eq!(verdicts[1].observed, Some(150.0), "(750ms - 300ms) / 300ms");
        let without = evaluate_level(
            &targets,
            &[],
            0,
            &[("query", &query)],
            &total,
            None,
            None,
            &LevelJourneys::default(),
        );
        assert!(without.is_empty(), "no baseline (its scenario did not run): unchecked, not failed");
    }
}
