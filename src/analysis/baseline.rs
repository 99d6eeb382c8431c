//! Baselines: a scenario's numbers against a single-user run of the same service. Degradation
//! per level and task is the guide's formula, `(p95 now - p95 baseline) / p95 baseline x 100`,
//! checked against the scenario's `degradation` targets (the guide's 50% / 100% / 150%).

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::TaskRow;
use crate::measure::{Metric, TargetExpr};
use crate::preset::compiled::{CompiledBaseline, SavedRunBaseline};
use crate::preset::file_reads::{Fetched, fetch};
use crate::preset::{CompiledPreset, PresetErrors};
use crate::run::histogram::decode;
use crate::run::{BaselineRecord, RunRecord, ScenarioRecord, TaskStats, TaskSummary};

/// The guide's degradation formula; None when the baseline p95 is zero (nothing to divide by).
pub fn degradation_percent(p95_micros: f64, baseline_p95_micros: f64) -> Option<f64> {
    (baseline_p95_micros > 0.0).then(|| (p95_micros - baseline_p95_micros) / baseline_p95_micros * 100.0)
}

/// The baseline numbers of one scenario of a run: all levels together, overall and per task.
pub(crate) fn from_scenario(scenario: &ScenarioRecord, source: String, run_id: Option<String>) -> BaselineRecord {
    let duration_secs: f64 = scenario.levels.iter().map(|level| level.duration_secs()).sum();
    let mut tasks = BTreeMap::new();
    for task in &scenario.tasks {
        tasks.insert(task.clone(), merge_stats(&scenario.task_parts(task), duration_secs));
    }
    let totals: Vec<&TaskSummary> = scenario.levels.iter().map(|level| &level.total).collect();
    let total = match &scenario.total {
        Some(total) => total.stats.clone(),
        None => merge_stats(&totals, duration_secs),
    };
    BaselineRecord {
        source,
        scenario: scenario.name.clone(),
        run_id,
        total,
        tasks,
    }
}

/// Reads every `baseline = { run = ... }` of the preset and puts the picked scenario's numbers
/// in its place; every run that cannot be read or has no such scenario is a mistake at the
/// `baseline` key. Each version of a run file is read once (`preset::file_reads`: the editor
/// checks the preset on every keystroke, and a run file can hold megabytes of series and
/// histograms); on the app's window thread it is read on a thread of its own, and until then
/// the mistake says it is being read.
pub fn resolve_saved_baselines(preset: &mut CompiledPreset) -> Result<(), PresetErrors> {
    let mut mistakes = Vec::new();
    for scenario in &mut preset.scenarios {
        let Some(CompiledBaseline::SavedRun(saved)) = &scenario.baseline else {
            continue;
        };
        match saved_baseline(saved, &scenario.name) {
            Ok(record) => scenario.baseline = Some(CompiledBaseline::Run(Box::new(record))),
            Err(message) => mistakes.push(saved.place.with_message(message.to_string())),
        }
    }
    if mistakes.is_empty() { Ok(()) } else { Err(PresetErrors(mistakes)) }
}

/// Why a saved baseline run cannot be a scenario's baseline.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum BaselineError {
    #[error("baseline run {0}: reading it; the preset is checked again when it has been read")]
    Reading(PathBuf),
    /// `written` is the path as the preset wrote it, for the command that makes it.
    #[error("baseline run {path}: {why} (save a baseline run first, e.g. loadscope run baseline --out {written})")]
    Unreadable { path: PathBuf, why: String, written: String },
    #[error("baseline run {path}: {problem}")]
    Scenario { path: PathBuf, problem: NoSuchScenario },
}

/// The baseline run has no scenario to compare with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NoSuchScenario {
    #[error("the baseline run has no scenario {wanted:?} (it has: {known}); name one of those")]
    Named { wanted: String, known: String },
    #[error("the baseline run has no scenario {name:?} or {with_suffix:?} (it has: {known}); name one with scenario = \"...\"")]
    Matching { name: String, with_suffix: String, known: String },
}

fn saved_baseline(saved: &SavedRunBaseline, scenario_name: &str) -> Result<BaselineRecord, BaselineError> {
    let path = &saved.path;
    let read = match fetch("run", path, crate::run::load) {
        Fetched::Done(read) => read,
        Fetched::Reading => return Err(BaselineError::Reading(path.clone())),
    };
    let record = read.as_ref().as_ref().map_err(|err| BaselineError::Unreadable {
        path: path.clone(),
        why: err.to_string(),
        written: saved.written.clone(),
    })?;
    let picked = pick_scenario(record, saved.scenario.as_deref(), scenario_name).map_err(|problem| BaselineError::Scenario {
        path: path.clone(),
        problem,
    })?;
    Ok(from_scenario(
        picked,
        format!("run {}, scenario {:?}", path.display(), picked.name),
        Some(record.id.clone()),
    ))
}

/// Numbers of several spans of one task together: counts add, percentiles come from the merged
/// histograms (the largest part's percentiles when a histogram cannot be read).
pub(crate) fn merge_stats(parts: &[&TaskSummary], duration_secs: f64) -> TaskStats {
    if let [only] = parts {
        return only.stats.clone();
    }
    let requests: u64 = parts.iter().map(|part| part.stats.requests).sum();
    let failures: u64 = parts.iter().map(|part| part.stats.failures).sum();
    let mut merged = crate::run::histogram::new_histogram();
    let mut readable = true;
    for part in parts {
        match decode(&part.histogram) {
            Ok(histogram) => readable &= merged.add(&histogram).is_ok(),
            Err(_) => readable = false,
        }
    }
    let mut stats = if readable && !merged.is_empty() {
        TaskStats {
            min_micros: merged.min(),
            avg_micros: merged.mean(),
            p50_micros: merged.value_at_quantile(0.50),
            p90_micros: merged.value_at_quantile(0.90),
            p95_micros: merged.value_at_quantile(0.95),
            p99_micros: merged.value_at_quantile(0.99),
            max_micros: merged.max(),
            ..TaskStats::default()
        }
    } else {
        parts
            .iter()
            .max_by_key(|part| part.stats.requests)
            .map(|part| part.stats.clone())
            .unwrap_or_default()
    };
    stats.requests = requests;
    stats.failures = failures;
    stats.limited = parts.iter().map(|part| part.stats.limited).sum();
    if duration_secs > 0.0 {
        stats.rps = requests as f64 / duration_secs;
        stats.failures_per_sec = failures as f64 / duration_secs;
    }
    // Requests against the objectives add up like the other counts.
    let objectives: Option<Vec<&crate::run::ObjectiveStats>> = parts.iter().map(|part| part.stats.objectives.as_ref()).collect();
    stats.objectives = objectives.map(|parts| {
        crate::run::ObjectiveStats::new(
            parts.iter().map(|part| part.met).sum(),
            parts.iter().map(|part| part.met_output_tokens).sum(),
            requests,
            duration_secs,
        )
    });
    stats
}

/// The scenario of `baseline_run` that `scenario_name` is compared with: the one `wanted`
/// names, else one with the same name, else "<name> baseline", else the run's only scenario.
pub(crate) fn pick_scenario<'a>(
    baseline_run: &'a RunRecord,
    wanted: Option<&str>,
    scenario_name: &str,
) -> Result<&'a ScenarioRecord, NoSuchScenario> {
    let names: Vec<&str> = baseline_run.scenarios.iter().map(|scenario| scenario.name.as_str()).collect();
    let find = |name: &str| baseline_run.scenarios.iter().find(|scenario| scenario.name == name);
    if let Some(wanted) = wanted {
        return find(wanted).ok_or_else(|| NoSuchScenario::Named {
            wanted: wanted.to_string(),
            known: names.join(", "),
        });
    }
    let with_suffix = format!("{scenario_name} baseline");
    find(scenario_name)
        .or_else(|| find(&with_suffix))
        .or(match baseline_run.scenarios.as_slice() {
            [only] => Some(only),
            _ => None,
        })
        .ok_or_else(|| NoSuchScenario::Matching {
            name: scenario_name.to_string(),
            with_suffix: with_suffix.clone(),
            known: names.join(", "),
        })
}

/// The baseline of every scenario of `run`: a baseline run given from outside (`compare
/// --baseline`, `report --baseline`) wins over the one the run itself recorded.
pub(crate) fn baselines_for(run: &RunRecord, external: Option<(&RunRecord, &str)>) -> Vec<Option<BaselineRecord>> {
    run.scenarios
        .iter()
        .map(|scenario| match external {
            Some((baseline_run, label)) => pick_scenario(baseline_run, None, &scenario.name).ok().map(|picked| {
                from_scenario(
                    picked,
                    format!("{label}, scenario {:?}", picked.name),
                    Some(baseline_run.id.clone()),
                )
            }),
            None => scenario.baseline.clone(),
        })
        .collect()
}

/// One row of a degradation table.
#[derive(Debug, Clone, PartialEq)]
pub struct DegradationRow {
    pub level: usize,
    pub level_name: String,
    /// The users (closed model) or arrival rate (open model) of the level, in words.
    pub load: String,
    pub task: TaskRow,
    pub baseline_p95_micros: u64,
    pub p95_micros: u64,
    /// None when the baseline p95 is zero or the level had no requests.
    pub degradation_percent: Option<f64>,
    /// The tightest `degradation` target for this level and task.
    pub limit_percent: Option<f64>,
    /// Whether the degradation holds its limit (None without a limit or a value).
    pub passed: Option<bool>,
}

/// Degradation of every level of `scenario` against `baseline`: the aggregated row first,
/// then each task that the baseline also ran.
pub fn degradation_rows(scenario: &ScenarioRecord, baseline: &BaselineRecord) -> Vec<DegradationRow> {
    let mut rows = Vec::new();
    for level in &scenario.levels {
        let mut push = |task: TaskRow, stats: &TaskStats, base: &TaskStats| {
            let target_task = match &task {
                TaskRow::Aggregated | TaskRow::Journey(_) => None,
                TaskRow::Task(name) => Some(name.as_str()),
            };
            let degradation = (stats.requests > 0)
                .then(|| degradation_percent(stats.p95_micros as f64, base.p95_micros as f64))
                .flatten();
            let limits: Vec<TargetExpr> = scenario
                .targets
                .iter()
                .filter(|target| target.level.is_none_or(|index| index == level.index))
                .filter(|target| target.task.as_deref() == target_task)
                .filter_map(|target| TargetExpr::parse(&target.expr).ok())
                .filter(|expr| expr.metric == Metric::Degradation)
                .collect();
            let tightest = limits.iter().min_by(|a, b| a.threshold.total_cmp(&b.threshold)).cloned();
            rows.push(DegradationRow {
                level: level.index,
                level_name: level.name.clone(),
                load: level.load.brief(),
                task: task.clone(),
                baseline_p95_micros: base.p95_micros,
                p95_micros: stats.p95_micros,
                degradation_percent: degradation,
                limit_percent: tightest.as_ref().map(|expr| expr.threshold),
                passed: tightest.as_ref().zip(degradation).map(|(expr, value)| expr.holds(value)),
            });
        };
        push(TaskRow::Aggregated, &level.total.stats, &baseline.total);
        for task in &level.tasks {
            if let Some(base) = baseline.tasks.get(&task.task).filter(|base| base.requests > 0) {
                push(TaskRow::Task(task.task.clone()), &task.stats, base);
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guides_formula() {
        assert_eq!(degradation_percent(900_000.0, 600_000.0), Some(50.0));
        assert_eq!(degradation_percent(1_500_000.0, 600_000.0), Some(150.0));
        assert_eq!(degradation_percent(300_000.0, 600_000.0), Some(-50.0));
        assert_eq!(degradation_percent(300_000.0, 0.0), None);
    }
}
