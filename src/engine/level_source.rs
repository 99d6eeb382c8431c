//! Which level a scenario runs next: its fixed levels in order, or the steps of its capacity
//! search. A search step is two stages: a warm-up (its requests count in no level) and the
//! measured step. The warm-up after a step starts at that step's load, so the workers move on
//! and the step's numbers settle; then the search decides the next load (or ends) from the
//! step's final verdicts, the same ones the run file keeps, and the warm-up starts over at it.

use super::plan::ScenarioPlan;
use super::run_state::RunState;
use crate::analysis::search_step::{StepJudgement, judge_step};
use crate::analysis::verdicts::evaluate_capacity;
use crate::measure::LoadModel;
use crate::measure::capacity::{CapacitySearch, SearchStop};
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
    /// Steps measured longer than planned (for want of evidence), and how many times.
    extended: Vec<(usize, u32)>,
    /// Why the search ended without an answer about the service.
    stopped: Option<SearchStop>,
}

/// A step that cannot tell yet is measured for another step's length, at most this many times.
pub(super) const MAX_STEP_EXTENSIONS: u32 = 2;

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
                extended: Vec::new(),
                stopped: None,
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

    /// The scenario whose levels these are.
    pub(super) fn scenario_index(&self) -> usize {
        self.scenario_index
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
                    requests: None,
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
                    requests: None,
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

    /// The step in `stage` reached its planned end: how much longer to measure it when its
    /// numbers so far cannot tell whether it held (too few requests, a rate past its limit
    /// only within noise), or None to end it.
    pub(super) fn wants_more(&mut self, run: &RunState, stage: usize) -> Option<std::time::Duration> {
        let search = self.search.as_mut()?;
        if search.broken.iter().any(|(broken, _)| *broken == stage) {
            return None;
        }
        let times = search
            .extended
            .iter()
            .find(|(extended, _)| *extended == stage)
            .map_or(0, |(_, times)| *times);
        if times >= MAX_STEP_EXTENSIONS {
            return None;
        }
        let level = run.level_record(stage)?;
        match judge_step(&level, search.step + 1, &class_names(self.scenario), false) {
            StepJudgement::CannotTell { .. } => {
                match search.extended.iter_mut().find(|(extended, _)| *extended == stage) {
                    Some((_, times)) => *times += 1,
                    None => search.extended.push((stage, 1)),
                }
                Some(search.capacity.step)
            }
            _ => None,
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
        let load = match run.stage_load(stage) {
            LoadModel::Closed { users, .. } => f64::from(users),
            LoadModel::Open { rate_per_sec, .. } => rate_per_sec,
        };
        let step_number = search.search.steps.len() + 1;
        let judgement = match run.level_record(stage) {
            Some(level) => judge_step(&level, step_number, &class_names(self.scenario), true),
            None => StepJudgement::Failed {
                why: "no request completed".into(),
            },
        };
        let broken = search
            .broken
            .iter()
            .find(|(broken, _)| *broken == stage)
            .map(|(_, why)| why.clone());
        let extended = search
            .extended
            .iter()
            .find(|(extended, _)| *extended == stage)
            .map(|(_, times)| *times)
            .unwrap_or(0);
        let measured_longer = (extended > 0).then(|| {
            format!(
                "measured {} instead of {} for enough evidence",
                crate::format::duration(search.capacity.step * (extended + 1)),
                crate::format::duration(search.capacity.step)
            )
        });
        let (held, why, note) = match (judgement, broken) {
            (StepJudgement::Stop(stop), _) => {
                let why = stop.describe();
                search.stopped = Some(stop);
                (false, Some(why), None)
            }
            (_, Some(why)) => (false, Some(why), None),
            (StepJudgement::Failed { why }, None) => (false, Some(why), measured_longer),
            (StepJudgement::Held { note }, None) => {
                let note = [measured_longer, note].into_iter().flatten().collect::<Vec<_>>().join("; ");
                (true, None, (!note.is_empty()).then_some(note))
            }
            // Not given on the last word; judged as failed should it ever come.
            (StepJudgement::CannotTell { why }, None) => (false, Some(why), measured_longer),
        };
        search.search.record(load, held, why);
        if let Some(step) = search.search.steps.last_mut() {
            step.note = note;
        }
        let next = if search.stopped.is_some() {
            None
        } else {
            search.search.next_load()
        };
        search.phase = match next {
            Some(load) => Phase::Warmup { load, waiting_for: None },
            None => Phase::Done,
        };
        // A search that stopped has no answer about the service, whatever held before.
        let found = if search.stopped.is_some() { None } else { search.search.capacity() };
        let verdicts = evaluate_capacity(run.targets(self.scenario_index), found, search.capacity.rule.axis);
        run.set_capacity(
            self.scenario_index,
            CapacityRecord {
                axis: search.capacity.rule.axis,
                rule: search.capacity.rule,
                capacity: found,
                steps: search.search.steps.clone(),
                done: next.is_none(),
                stopped: search.stopped.clone(),
                verdicts,
            },
        );
        next.map(|load| search.capacity.load_model(load))
    }
}

/// The scenario's failure class names (targets may name them).
fn class_names(scenario: &ScenarioPlan) -> Vec<String> {
    scenario.compiled.failure_classes.iter().map(|class| class.name.clone()).collect()
}
