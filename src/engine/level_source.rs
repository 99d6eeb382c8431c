//! Which level a scenario runs next: its fixed levels in order, or the steps of its capacity
//! search. A search step is two stages: a warm-up (its requests count in no level) and the
//! measured step. The warm-up after a step starts at that step's load, so the workers move on
//! and the step's numbers settle; then the search decides the next load (or ends) from the
//! step's final verdicts, the same ones the run file keeps, and the warm-up starts over at it.

use super::plan::ScenarioPlan;
use super::run_state::RunState;
use crate::analysis::verdicts::evaluate_capacity;
use crate::measure::LoadModel;
use crate::measure::capacity::CapacitySearch;
use crate::preset::compiled::{CompiledCapacity, CompiledLevel};
use crate::run::CapacityRecord;

/// The next level to run.
pub(super) struct NextLevel {
    /// The level's index in its scenario (a search step's number, from 0).
    pub index: usize,
    pub level: CompiledLevel,
    /// A search step's warm-up.
    pub warmup: bool,
    /// A warm-up waiting for this stage (the step before it) to settle.
    pub waiting_for: Option<usize>,
}

enum Phase {
    /// Warming up at `load`; `waiting_for` the step before it to settle first.
    Warmup {
        load: f64,
        waiting_for: Option<usize>,
    },
    Measure {
        load: f64,
    },
    Done,
}

struct Search {
    capacity: CompiledCapacity,
    search: CapacitySearch,
    step: usize,
    phase: Phase,
    /// Steps stopped early, and why (they fail whatever their verdicts).
    broken: Vec<(usize, String)>,
}

pub(super) struct LevelSource<'a> {
    scenario_index: usize,
    scenario: &'a ScenarioPlan,
    next_fixed: usize,
    search: Option<Search>,
}

impl<'a> LevelSource<'a> {
    pub(super) fn new(scenario_index: usize, scenario: &'a ScenarioPlan) -> LevelSource<'a> {
        let search = scenario.compiled.capacity.clone().map(|capacity| {
            let search = CapacitySearch::new(capacity.rule);
            let start = search.next_load().unwrap_or(capacity.rule.start);
            Search {
                capacity,
                search,
                step: 0,
                broken: Vec::new(),
                phase: Phase::Warmup {
                    load: start,
                    waiting_for: None,
                },
            }
        });
        LevelSource {
            scenario_index,
            scenario,
            next_fixed: 0,
            search,
        }
    }

    pub(super) fn next(&mut self) -> Option<NextLevel> {
        let Some(search) = &mut self.search else {
            let index = self.next_fixed;
            let level = self.scenario.compiled.levels.get(index)?.clone();
            self.next_fixed += 1;
            return Some(NextLevel {
                index,
                level,
                warmup: false,
                waiting_for: None,
            });
        };
        let capacity = &search.capacity;
        let number = search.step + 1;
        match search.phase {
            Phase::Warmup { load, waiting_for } => Some(NextLevel {
                index: search.step,
                level: CompiledLevel {
                    name: format!("Step {number} warm-up"),
                    load: capacity.load_model(load),
                    duration: capacity.warmup,
                },
                warmup: true,
                waiting_for,
            }),
            Phase::Measure { load } => Some(NextLevel {
                index: search.step,
                level: CompiledLevel {
                    name: format!("Step {number}"),
                    load: capacity.load_model(load),
                    duration: capacity.step,
                },
                warmup: false,
                waiting_for: None,
            }),
            Phase::Done => None,
        }
    }

    /// Whether this scenario runs a capacity search.
    pub(super) fn searching(&self) -> bool {
        self.search.is_some()
    }

    /// The step in `stage` was stopped early: it fails with `why`.
    pub(super) fn broke_down(&mut self, stage: usize, why: String) {
        if let Some(search) = &mut self.search {
            search.broken.push((stage, why));
        }
    }

    /// A level ran to its end (or was skipped).
    pub(super) fn ended(&mut self, stage: usize, warmup: bool) {
        let Some(search) = &mut self.search else { return };
        search.phase = match search.phase {
            // Still waiting for the step before it: another warm-up waits on.
            Phase::Warmup {
                load,
                waiting_for: Some(measured),
            } => Phase::Warmup {
                load,
                waiting_for: Some(measured),
            },
            Phase::Warmup { load, waiting_for: None } if warmup => Phase::Measure { load },
            Phase::Measure { load } if !warmup => {
                search.step += 1;
                Phase::Warmup {
                    load,
                    waiting_for: Some(stage),
                }
            }
            Phase::Warmup { load, .. } | Phase::Measure { load } => Phase::Measure { load },
            Phase::Done => Phase::Done,
        };
    }

    /// The step measured in `stage` has its final numbers: records whether every target held,
    /// and returns the next load, or None when the search is done.
    pub(super) fn decide(&mut self, run: &mut RunState, stage: usize) -> Option<LoadModel> {
        let search = self.search.as_mut()?;
        let load = match run.stages[stage].load {
            LoadModel::Closed { users, .. } => f64::from(users),
            LoadModel::Open { rate_per_sec, .. } => rate_per_sec,
        };
        let record = run.level_record(stage);
        let failed = record
            .as_ref()
            .and_then(|level| level.verdicts.iter().find(|verdict| !verdict.passed))
            .map(|verdict| {
                let observed = verdict
                    .observed
                    .map(|value| verdict.metric.format_value(value))
                    .unwrap_or_else(|| "no requests".into());
                format!("{} (observed {observed})", verdict.target)
            });
        let ran = record.as_ref().is_some_and(|level| level.total.stats.requests > 0);
        let broken = search
            .broken
            .iter()
            .find(|(broken, _)| *broken == stage)
            .map(|(_, why)| why.clone());
        let held = ran && failed.is_none() && broken.is_none();
        let why = match (ran, broken) {
            (_, Some(why)) => Some(why),
            (false, None) => Some("no request completed".into()),
            (true, None) => failed,
        };
        search.search.record(load, held, why);
        let next = search.search.next_load();
        search.phase = match next {
            Some(load) => Phase::Warmup { load, waiting_for: None },
            None => Phase::Done,
        };
        let found = search.search.capacity();
        let verdicts = evaluate_capacity(&run.targets[self.scenario_index], found, search.capacity.rule.axis);
        run.set_capacity(
            self.scenario_index,
            CapacityRecord {
                axis: search.capacity.rule.axis,
                rule: search.capacity.rule,
                capacity: found,
                steps: search.search.steps.clone(),
                done: next.is_none(),
                verdicts,
            },
        );
        next.map(|load| search.capacity.load_model(load))
    }
}
