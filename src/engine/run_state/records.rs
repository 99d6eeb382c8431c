//! The numbers of a run as the controller knows it, built in one place: a stage's numbers
//! ([`StageNumbers`]: what the snapshot, the abort check and the level record all read), the
//! snapshot, the level and run records, the run's task and failure tables, and the baseline a scenario's
//! degradation targets compare with. A child of `run_state`, so it reads the state's fields
//! without the controller being able to write them.

use std::time::{Duration, SystemTime};

use super::RunState;
use crate::analysis::verdicts::{LevelJourneys, all_passed, evaluate_level};
use crate::engine::recorder::{FailureCount, FailureKey, JourneyAccum, TaskAccum};
use crate::engine::summary::{TaskBuckets, journey_stats, journey_summary, merged, stats, summary};
use crate::engine::{Phase, Snapshot};
use crate::measure::LoadModel;
use crate::preset::compiled::CompiledBaseline;
use crate::preset::secrets::redact_header_value;
use crate::run::{
    BaselineRecord, CapacityRecord, FailureRow, JourneyStats, LevelRecord, PresetRecord, RUN_FORMAT, RUN_VERSION, RunRecord, RunStatus,
    ScenarioRecord, TaskStats, Verdict,
};

/// A stage's numbers so far (final once the stage is reported): each task's accumulation and
/// statistics, the total and the verdicts, over the stage's duration.
#[derive(Default)]
pub(super) struct StageNumbers {
    pub(super) duration_secs: f64,
    pub(super) accums: Vec<TaskAccum>,
    pub(super) tasks: Vec<(String, TaskStats)>,
    pub(super) total: TaskStats,
    /// Each journey's numbers.
    pub(super) journeys: Vec<(String, JourneyStats)>,
    pub(super) verdicts: Vec<Verdict>,
}

impl RunState {
    /// `with_buckets`: count the level's distributions at fixed bounds (for an observer that
    /// exports them; nobody else reads them).
    pub(in crate::engine) fn snapshot(&mut self, stage: usize, phase: Phase, with_buckets: bool) -> Snapshot {
        let info = self.stages.get(stage);
        let scenario_index = info.map(|info| info.scenario).unwrap_or(0);
        let level_index = info.map(|info| info.level).unwrap_or(0);
        let scenario = &self.plan.scenarios[scenario_index];
        let (level_name, planned) = info
            .map(|info| (info.name.clone(), info.planned))
            .unwrap_or_else(|| (String::new(), Duration::ZERO));
        let StageNumbers {
            duration_secs: duration,
            accums,
            tasks: level_tasks,
            total: level_total,
            journeys: level_journeys,
            verdicts,
            ..
        } = self.stage_numbers(stage).unwrap_or_default();
        let run_total = stats(&merged(self.recorded.tasks.values()), self.elapsed_secs());
        let (run_tasks, run_failures) = (self.run_tasks(), self.run_failures());
        let new_series = self.series[self.series_reported..].to_vec();
        self.series_reported = self.series.len();
        Snapshot {
            phase,
            elapsed_secs: self.elapsed_secs(),
            scenario_index,
            scenario_count: self.plan.scenarios.len(),
            scenario_name: scenario.compiled.name.clone(),
            level_index,
            // A capacity search has no count (0): it decides its steps as it goes.
            level_count: scenario.compiled.levels.len(),
            level_name,
            level_elapsed_secs: duration,
            level_duration_secs: planned.as_secs_f64(),
            load: info.map(|info| info.load).unwrap_or(LoadModel::Closed {
                users: 0,
                spawn_rate: None,
            }),
            users: self.current_users(stage),
            rps_last_second: self.series.last().map(|point| point.requests.rps).unwrap_or(0.0),
            level_tasks,
            level_total,
            level_journeys,
            run_total,
            run_tasks,
            run_failures,
            late_starts: self.recorded.late_starts.get(&(stage as u32)).copied().unwrap_or(0),
            new_series,
            failures: self.stage_failures(stage),
            level_journey_buckets: if with_buckets {
                scenario
                    .compiled
                    .journeys
                    .iter()
                    .zip(self.stage_journeys(stage))
                    .map(|(journey, accum)| (journey.name.clone(), crate::run::histogram::bucket_counts(&accum.completed_latency)))
                    .collect()
            } else {
                Vec::new()
            },
            level_buckets: if with_buckets {
                scenario
                    .tasks
                    .iter()
                    .zip(&accums)
                    .map(|(task, accum)| TaskBuckets::new(&task.name, accum))
                    .collect()
            } else {
                Vec::new()
            },
            warmup: info.is_some_and(|info| info.warmup),
            verdicts,
            capacity: self.capacity.get(scenario_index).cloned().flatten(),
            resources: self.latest_resources.clone(),
            monitor_status: self.monitor_status.clone(),
        }
    }

    /// A stage's numbers: the one computation behind the live snapshot, the abort check and
    /// the level record, so the CLI, the app and the file agree.
    pub(super) fn stage_numbers(&self, stage: usize) -> Option<StageNumbers> {
        let info = self.stages.get(stage)?;
        let scenario = &self.plan.scenarios[info.scenario];
        let duration_secs = self.stage_duration_secs(stage);
        let accums = self.stage_tasks(stage);
        let tasks: Vec<(String, TaskStats)> = scenario
            .tasks
            .iter()
            .zip(&accums)
            .map(|(task, accum)| (task.name.clone(), stats(accum, duration_secs)))
            .collect();
        let total = stats(&merged(&accums), duration_secs);
        let services: Vec<String> = scenario.compiled.services.iter().map(|service| service.name.clone()).collect();
        let journey_accums = self.stage_journeys(stage);
        let journeys: Vec<(String, JourneyStats)> = scenario
            .compiled
            .journeys
            .iter()
            .zip(&journey_accums)
            .map(|(journey, accum)| (journey.name.clone(), journey_stats(accum, duration_secs, &services)))
            .collect();
        let journeys_total = (!journey_accums.is_empty()).then(|| {
            let mut all = JourneyAccum::default();
            for accum in &journey_accums {
                all.merge(accum);
            }
            journey_stats(&all, duration_secs, &[])
        });
        let level_journeys = LevelJourneys {
            each: journeys.iter().map(|(name, stats)| (name.as_str(), stats)).collect(),
            total: journeys_total.as_ref(),
        };
        let verdicts = self.stage_verdicts(stage, &tasks, &total, &level_journeys);
        Some(StageNumbers {
            duration_secs,
            accums,
            tasks,
            total,
            journeys,
            verdicts,
        })
    }

    pub(super) fn stage_verdicts(
        &self,
        stage: usize,
        task_stats: &[(String, TaskStats)],
        total: &TaskStats,
        journeys: &LevelJourneys<'_>,
    ) -> Vec<Verdict> {
        let Some(info) = self.stages.get(stage) else { return Vec::new() };
        let tasks: Vec<(&str, &TaskStats)> = task_stats.iter().map(|(name, stats)| (name.as_str(), stats)).collect();
        let classes = &self.plan.scenarios[info.scenario].compiled.failure_classes;
        let class_names: Vec<String> = classes.iter().map(|class| class.name.clone()).collect();
        evaluate_level(
            &self.targets[info.scenario],
            &class_names,
            info.level,
            &tasks,
            total,
            self.stage_peaks.get(stage).filter(|peaks| !peaks.is_empty()),
            self.baseline(info.scenario).as_ref(),
            journeys,
        )
    }

    /// What scenario `scenario_index`'s `degradation` targets compare with: a saved run's
    /// numbers, or an earlier scenario of this run once it has run (None when it did not run).
    pub(super) fn baseline(&self, scenario_index: usize) -> Option<BaselineRecord> {
        let compiled = &self.plan.scenarios.get(scenario_index)?.compiled;
        match compiled.baseline.as_ref()? {
            CompiledBaseline::Run(record) => Some((**record).clone()),
            // `RunPlan::new` reads every saved baseline run, so none is left unread here.
            CompiledBaseline::SavedRun(_) => None,
            CompiledBaseline::Scenario(name) => {
                let base_index = self.plan.scenarios.iter().position(|scenario| &scenario.compiled.name == name)?;
                let stages: Vec<usize> = (0..self.stages.len())
                    .filter(|&stage| self.stages[stage].scenario == base_index)
                    .collect();
                if stages.is_empty() {
                    return None;
                }
                let duration: f64 = stages.iter().map(|&stage| self.stage_duration_secs(stage)).sum();
                let base = &self.plan.scenarios[base_index];
                let per_task: Vec<TaskAccum> = (0..base.tasks.len())
                    .map(|task| {
                        merged(
                            stages
                                .iter()
                                .filter_map(|&stage| self.recorded.tasks.get(&(stage as u32, task as u32))),
                        )
                    })
                    .collect();
                Some(BaselineRecord {
                    source: format!("scenario {name:?} of this run"),
                    scenario: name.clone(),
                    run_id: None,
                    total: stats(&merged(&per_task), duration),
                    tasks: base
                        .tasks
                        .iter()
                        .zip(&per_task)
                        .map(|(task, accum)| (task.name.clone(), stats(accum, duration)))
                        .collect(),
                })
            }
        }
    }

    pub(super) fn stage_failures(&self, stage: usize) -> Vec<FailureRow> {
        let Some(info) = self.stages.get(stage) else { return Vec::new() };
        let scenario = &self.plan.scenarios[info.scenario];
        let mut rows: Vec<(&FailureKey, &FailureCount)> =
            self.recorded.failures.iter().filter(|(key, _)| key.stage == stage as u32).collect();
        rows.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(b.0)));
        rows.into_iter()
            .map(|(key, count)| FailureRow {
                task: scenario
                    .tasks
                    .get(key.task as usize)
                    .map(|task| task.name.clone())
                    .unwrap_or_default(),
                kind: key.kind,
                message: key.message.clone(),
                count: count.count,
                first_seen_secs: Some(count.first_second),
                last_seen_secs: Some(count.last_second),
            })
            .collect()
    }

    /// Every task of every scenario run so far, over all its levels (named `scenario: task`
    /// when the suite has more than one scenario).
    pub(super) fn run_tasks(&self) -> Vec<(String, TaskStats)> {
        let mut scenarios: Vec<usize> = self.stages.iter().map(|info| info.scenario).collect();
        scenarios.dedup();
        let several = self.plan.scenarios.len() > 1;
        let mut rows = Vec::new();
        for scenario_index in scenarios {
            let scenario = &self.plan.scenarios[scenario_index];
            let stages: Vec<usize> = (0..self.stages.len())
                .filter(|&stage| self.stages[stage].scenario == scenario_index)
                .collect();
            let duration: f64 = stages.iter().map(|&stage| self.stage_duration_secs(stage)).sum();
            for (task_index, task) in scenario.tasks.iter().enumerate() {
                let accum = merged(
                    stages
                        .iter()
                        .filter_map(|&stage| self.recorded.tasks.get(&(stage as u32, task_index as u32))),
                );
                let name = if several {
                    format!("{}: {}", scenario.compiled.name, task.name)
                } else {
                    task.name.clone()
                };
                rows.push((name, stats(&accum, duration)));
            }
        }
        rows
    }

    /// The failures of the whole run, grouped by task, kind and message, most frequent first.
    pub(super) fn run_failures(&self) -> Vec<FailureRow> {
        let mut groups: std::collections::BTreeMap<(String, crate::run::FailureKind, String), FailureRow> =
            std::collections::BTreeMap::new();
        for stage in 0..self.stages.len() {
            for row in self.stage_failures(stage) {
                match groups.entry((row.task.clone(), row.kind, row.message.clone())) {
                    std::collections::btree_map::Entry::Vacant(slot) => {
                        slot.insert(row);
                    }
                    std::collections::btree_map::Entry::Occupied(mut slot) => {
                        let group = slot.get_mut();
                        group.count += row.count;
                        group.first_seen_secs = group.first_seen_secs.min(row.first_seen_secs).or(row.first_seen_secs);
                        group.last_seen_secs = group.last_seen_secs.max(row.last_seen_secs);
                    }
                }
            }
        }
        let mut rows: Vec<FailureRow> = groups.into_values().collect();
        rows.sort_by_key(|row| std::cmp::Reverse(row.count));
        rows
    }

    pub(in crate::engine) fn level_record(&self, stage: usize) -> Option<LevelRecord> {
        let info = self.stages.get(stage).filter(|info| !info.warmup)?;
        let scenario = &self.plan.scenarios[info.scenario];
        let StageNumbers {
            duration_secs: duration,
            accums,
            verdicts,
            ..
        } = self.stage_numbers(stage)?;
        let services: Vec<String> = scenario.compiled.services.iter().map(|service| service.name.clone()).collect();
        let journeys = scenario
            .compiled
            .journeys
            .iter()
            .zip(&self.stage_journeys(stage))
            .map(|(journey, accum)| journey_summary(&journey.name, accum, duration, &services))
            .collect();
        let tasks: Vec<_> = scenario
            .tasks
            .iter()
            .zip(&accums)
            .map(|(task, accum)| summary(&task.name, accum, duration))
            .collect();
        let total = summary("Aggregated", &merged(&accums), duration);
        let resends = self.recorded.resends.get(&(stage as u32)).copied().unwrap_or_default();
        Some(LevelRecord {
            index: info.level,
            name: info.name.clone(),
            load: info.load,
            planned_duration_secs: info.planned.as_secs_f64(),
            started_offset_secs: info.started_secs,
            ended_offset_secs: info.ended_secs,
            tasks,
            total,
            journeys,
            late_starts: self.recorded.late_starts.get(&(stage as u32)).copied().unwrap_or(0),
            reconnects: resends.reconnects,
            retries: resends.retries,
            in_flight_at_start: info.in_flight_at_start.map(u64::from),
            in_flight_at_end: info.in_flight_at_end.map(u64::from),
            failures: self.stage_failures(stage),
            verdicts,
            resources: self.stage_peaks.get(stage).filter(|peaks| !peaks.is_empty()).cloned(),
            warnings: self.stage_warnings(stage),
            generator: self.generator_load(stage),
        })
    }

    /// The whole run record as it stands.
    pub(in crate::engine) fn record(&self, status: RunStatus) -> RunRecord {
        self.build_record(status, true)
    }

    /// The record without its series and preset (`whole` false: an autosave, whose saver holds
    /// those), or with them.
    pub(super) fn build_record(&self, status: RunStatus, whole: bool) -> RunRecord {
        let mut scenarios: Vec<ScenarioRecord> = Vec::new();
        for (stage, info) in self.stages.iter().enumerate() {
            if scenarios.len() <= info.scenario {
                let scenario = &self.plan.scenarios[info.scenario];
                scenarios.push(ScenarioRecord {
                    name: scenario.compiled.name.clone(),
                    base_url: scenario.compiled.addresses(),
                    tasks: scenario.tasks.iter().map(|task| task.name.clone()).collect(),
                    failure_classes: scenario.compiled.failure_classes.iter().map(|class| class.name.clone()).collect(),
                    targets: self.targets[info.scenario].clone(),
                    levels: Vec::new(),
                    total: None,
                    baseline: self.baseline(info.scenario),
                    objectives: scenario.compiled.objectives.clone(),
                    capacity: self.capacity.get(info.scenario).cloned().flatten(),
                });
            }
            if let (Some(level), Some(scenario)) = (self.level_record(stage), scenarios.last_mut()) {
                scenario.levels.push(level);
            }
        }
        for (index, scenario) in scenarios.iter_mut().enumerate() {
            let stage_range: Vec<u32> = self
                .stages
                .iter()
                .enumerate()
                .filter(|(_, info)| info.scenario == index)
                .map(|(stage, _)| stage as u32)
                .collect();
            let accum = merged(
                self.recorded
                    .tasks
                    .iter()
                    .filter(|((stage, _), _)| stage_range.contains(stage))
                    .map(|(_, accum)| accum),
            );
            let duration: f64 = scenario.levels.iter().map(LevelRecord::duration_secs).sum();
            scenario.total = Some(summary("Aggregated", &accum, duration));
        }
        let passed = if status == RunStatus::Running {
            None
        } else {
            // A capacity search's steps fail by design: its scenario passes on the search's
            // result and capacity targets.
            let levels = all_passed(
                scenarios
                    .iter()
                    .filter(|scenario| scenario.capacity.is_none())
                    .flat_map(|scenario| scenario.levels.iter().flat_map(|level| level.verdicts.iter())),
            );
            let searches: Vec<bool> = scenarios
                .iter()
                .filter_map(|scenario| scenario.capacity.as_ref().map(CapacityRecord::passed))
                .collect();
            match (levels, searches.is_empty()) {
                (levels, true) => levels,
                (levels, false) => Some(levels.unwrap_or(true) && searches.iter().all(|passed| *passed)),
            }
        };
        let total = summary("Aggregated", &merged(self.recorded.tasks.values()), self.elapsed_secs());
        let now = SystemTime::now();
        let mut record = RunRecord {
            format: RUN_FORMAT.into(),
            version: RUN_VERSION,
            app_version: env!("CARGO_PKG_VERSION").into(),
            id: self.id.clone(),
            host: self.host.clone(),
            started_at: humantime::format_rfc3339_millis(self.started_at).to_string(),
            ended_at: (status != RunStatus::Running).then(|| humantime::format_rfc3339_millis(now).to_string()),
            saved_at: humantime::format_rfc3339_millis(now).to_string(),
            status,
            stop_reason: self.stop_reason.clone(),
            // Left out of an autosave: the saver holds both, sent once and as they grow.
            preset: if whole { self.preset.clone() } else { PresetRecord::empty() },
            scenarios,
            series: if whole { self.series.clone() } else { Vec::new() },
            passed,
            total: Some(total),
            monitors: self.monitor_status.clone(),
            notes: String::new(),
            title: None,
            tags: Vec::new(),
            findings: Vec::new(),
            warnings: self.warnings.clone(),
            imported: None,
            segment: self.plan.segment.map(|segment| crate::run::SegmentRecord {
                index: segment.index,
                count: segment.count,
                start_at: self.plan.start_at.map(|at| humantime::format_rfc3339_millis(at).to_string()),
                start_offset_millis: self.start_offset_millis,
            }),
            merged_from: Vec::new(),
            missing_segments: Vec::new(),
            repeat: self.plan.repeat.clone(),
        };
        if status != RunStatus::Running {
            record.findings = crate::analysis::findings::find(&record);
        }
        record
    }
}

/// The preset as run, for the run record: its document with literal credentials replaced, and
/// its hash.
impl RunState {
    /// The preset as the run file keeps it.
    pub(super) fn preset_record(plan: &crate::engine::RunPlan) -> PresetRecord {
        PresetRecord::new(
            plan.preset.name.clone(),
            plan.preset.source.clone(),
            preset_document(&plan.preset.document),
        )
    }
}

/// The preset as run, as JSON, with literal credentials in headers replaced.
fn preset_document(preset: &crate::preset::model::Preset) -> serde_json::Value {
    let mut copy = preset.clone();
    for scenario in &mut copy.scenarios {
        for service in scenario.service.iter_mut().chain(scenario.services.values_mut()) {
            // A password in the base URL is shown and stored as `***`.
            let masked = crate::preset::compiled::mask_password(service.base_url.get_ref());
            if &masked != service.base_url.get_ref() {
                *service.base_url.get_mut() = masked;
            }
            for (name, value) in service.headers.iter_mut() {
                *value = redact_header_value(name, value);
            }
        }
        let steps = scenario.journeys.iter_mut().flat_map(|journey| journey.get_mut().steps.iter_mut());
        for task in scenario.tasks.iter_mut().chain(steps) {
            for (name, value) in task.get_mut().headers.iter_mut() {
                *value = redact_header_value(name, value);
            }
        }
    }
    serde_json::to_value(&copy).unwrap_or(serde_json::Value::Null)
}
