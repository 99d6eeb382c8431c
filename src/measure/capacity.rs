//! The capacity search: instead of fixed levels, a scenario's load rises step by step (users in
//! the closed model, arrivals per second in the open model) while every target holds, then
//! bisects between the highest load that held and the lowest that failed until the two are
//! within the stated precision. The search is pure: the engine runs each step it proposes and
//! tells it whether the step held; the result is the highest load at which every target held.

use serde::{Deserialize, Serialize};

/// What the search varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapacityAxis {
    /// Concurrent users (closed model).
    Users,
    /// Arrivals per second (open model).
    Rate,
}

impl CapacityAxis {
    /// A load on this axis for people: `24 users`, `12.5 req/s`.
    pub fn format(self, load: f64) -> String {
        match self {
            CapacityAxis::Users => format!("{load:.0} users"),
            CapacityAxis::Rate => format!("{load:.1} req/s"),
        }
    }

    /// The smallest step the search takes on this axis.
    fn resolution(self) -> f64 {
        match self {
            CapacityAxis::Users => 1.0,
            CapacityAxis::Rate => 0.1,
        }
    }

    fn round(self, load: f64) -> f64 {
        match self {
            CapacityAxis::Users => load.round().max(1.0),
            CapacityAxis::Rate => ((load * 10.0).round() / 10.0).max(0.1),
        }
    }
}

/// How the search moves.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SearchRule {
    pub axis: CapacityAxis,
    /// The first step's load.
    pub start: f64,
    /// The search never goes above this.
    pub max: f64,
    /// While every target holds, the next step is this many times the last (above 1).
    pub growth: f64,
    /// Bisecting stops when the failing load is within this fraction above the held one.
    pub precision: f64,
}

/// A search's precision as written (`"10%"`) as a fraction (0.1); None unless it is a
/// percentage strictly between 0% and 100%.
pub(crate) fn parse_precision(text: &str) -> Option<f64> {
    let percent = text.trim().strip_suffix('%')?.trim().parse::<f64>().ok()?;
    (percent > 0.0 && percent < 100.0).then_some(percent / 100.0)
}

/// One step as it ran: its load, whether every target held, and why not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchStep {
    pub load: f64,
    pub held: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// What a held step's verdict rests on when it is less than plain: a rate past its limit
    /// only within sampling noise, a step measured longer for want of requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Why a search ended without an answer about the service: what it measured in its last step
/// was not the service's capacity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "cause")]
pub enum SearchStop {
    /// Most of a step's requests could not reach the service (connection refused or reset, DNS,
    /// TLS): it went away.
    Unreachable {
        /// The step's number, from 1.
        step: usize,
        first_error: String,
    },
    /// Most of a step's failures were the load generator's own (no file descriptors or local
    /// ports left): the step measured this machine.
    GeneratorLimit { step: usize, first_error: String },
}

impl SearchStop {
    /// `service unreachable during step 2: connect to 127.0.0.1:9: Connection refused`.
    pub fn describe(&self) -> String {
        match self {
            SearchStop::Unreachable { step, first_error } => {
                format!("service unreachable during step {step}: {first_error}")
            }
            SearchStop::GeneratorLimit { step, first_error } => format!(
                "the load generator ran out of connections during step {step}, so the step measured this machine, not the service: {first_error}"
            ),
        }
    }
}

/// The search so far.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CapacitySearch {
    pub rule: SearchRule,
    pub steps: Vec<SearchStep>,
}

impl CapacitySearch {
    pub(crate) fn new(rule: SearchRule) -> CapacitySearch {
        CapacitySearch { rule, steps: Vec::new() }
    }

    /// The highest load that held so far.
    pub(crate) fn capacity(&self) -> Option<f64> {
        self.steps.iter().filter(|step| step.held).map(|step| step.load).reduce(f64::max)
    }

    /// The lowest load that failed so far.
    pub(crate) fn lowest_failed(&self) -> Option<f64> {
        self.steps.iter().filter(|step| !step.held).map(|step| step.load).reduce(f64::min)
    }

    /// Records how a step went.
    pub(crate) fn record(&mut self, load: f64, held: bool, why: Option<String>) {
        self.steps.push(SearchStep {
            load,
            held,
            why,
            note: None,
        });
    }

    /// Whether every step held and the last was at the maximum: the capacity is at least the
    /// maximum, not found.
    pub(crate) fn held_at_max(steps: &[SearchStep], rule: &SearchRule) -> bool {
        !steps.is_empty() && steps.iter().all(|step| step.held) && steps.iter().any(|step| step.load >= rule.max - 1e-9)
    }

    /// The next step's load, or None when the search is done: the failing load is within the
    /// precision of the held one, the maximum held, or even the smallest load failed.
    pub(crate) fn next_load(&self) -> Option<f64> {
        let rule = &self.rule;
        let axis = rule.axis;
        let proposal = match (self.capacity(), self.lowest_failed()) {
            (None, None) => axis.round(rule.start.min(rule.max)),
            (Some(held), None) => {
                if held >= rule.max {
                    return None;
                }
                axis.round((held * rule.growth).min(rule.max))
                    .max(held + axis.resolution())
                    .min(rule.max)
            }
            // Even the first step failed: step down until one holds.
            (None, Some(failed)) => {
                if failed <= axis.resolution() {
                    return None;
                }
                axis.round(failed / rule.growth).min(failed - axis.resolution())
            }
            (Some(held), Some(failed)) => {
                let gap = failed - held;
                if gap <= (held * rule.precision).max(axis.resolution()) + 1e-9 {
                    return None;
                }
                axis.round((held + failed) / 2.0)
            }
        };
        // Never run a load twice: a proposal already measured means the search has converged.
        let measured = self.steps.iter().any(|step| (step.load - proposal).abs() < 1e-9);
        (!measured && proposal > 0.0).then_some(proposal)
    }
}

/// Whether per-second latencies grow without bound: each third of them slower on average than
/// the one before, the last at least twice the first (requests queue faster than they are
/// served). Returns the three thirds' means when they do.
pub(crate) fn rising_without_bound(per_second: &[f64]) -> Option<[f64; 3]> {
    let third = per_second.len() / 3;
    if third == 0 {
        return None;
    }
    let mean = |part: &[f64]| part.iter().sum::<f64>() / part.len() as f64;
    let thirds = [
        mean(&per_second[..third]),
        mean(&per_second[third..per_second.len() - third]),
        mean(&per_second[per_second.len() - third..]),
    ];
    let [first, middle, last] = thirds;
    (middle > first && last > middle && last >= 2.0 * first).then_some(thirds)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a search against a service that holds up to `limit`.
    fn search(rule: SearchRule, limit: f64) -> CapacitySearch {
        let mut search = CapacitySearch::new(rule);
        while let Some(load) = search.next_load() {
            assert!(search.steps.len() < 40, "the search ends");
            search.record(load, load <= limit, None);
        }
        search
    }

    fn users(start: f64, max: f64) -> SearchRule {
        SearchRule {
            axis: CapacityAxis::Users,
            start,
            max,
            growth: 2.0,
            precision: 0.05,
        }
    }

    #[test]
    fn rises_then_bisects_to_the_precision() {
        let found = search(users(2.0, 512.0), 37.0);
        let loads: Vec<f64> = found.steps.iter().map(|step| step.load).collect();
        assert_eq!(loads[..6], [2.0, 4.0, 8.0, 16.0, 32.0, 64.0], "doubling until a step fails");
        assert_eq!(found.capacity(), Some(37.0), "{loads:?}");
        assert_eq!(found.lowest_failed(), Some(38.0));
        // Bisecting between 32 and 64 takes a handful of steps, not one per user.
        assert!(loads.len() <= 12, "{loads:?}");
    }

    #[test]
    fn stops_at_the_maximum_and_steps_down_below_the_start() {
        let found = search(users(10.0, 100.0), 1_000.0);
        assert_eq!(found.capacity(), Some(100.0));
        assert_eq!(found.steps.last().map(|step| step.load), Some(100.0));
        let low = search(users(16.0, 100.0), 3.0);
        assert_eq!(low.capacity(), Some(3.0), "{:?}", low.steps);
        let none = search(users(4.0, 100.0), 0.0);
        assert_eq!(none.capacity(), None, "nothing held, not even one user");
        assert_eq!(none.steps.last().map(|step| step.load), Some(1.0));
    }

    #[test]
    fn latency_that_keeps_climbing_is_over_saturation_and_a_plateau_is_not() {
        // An open-model step past capacity: the queue grows, so does each second's median.
        let climbing: Vec<f64> = (0..9).map(|second| 100.0 + 60.0 * f64::from(second)).collect();
        assert_eq!(rising_without_bound(&climbing), Some([160.0, 340.0, 520.0]));
        // A closed-model step at saturation: slower, but level.
        let plateau = [100.0, 400.0, 410.0, 395.0, 405.0, 400.0, 398.0, 402.0, 401.0];
        assert_eq!(rising_without_bound(&plateau), None);
        // Rising, but not twice as slow: noise on a busy service, not a growing queue.
        let drifting = [100.0, 105.0, 110.0, 115.0, 120.0, 125.0];
        assert_eq!(rising_without_bound(&drifting), None);
        assert_eq!(rising_without_bound(&[1.0, 2.0]), None);
    }

    #[test]
    fn rates_bisect_to_a_tenth() {
        let rule = SearchRule {
            axis: CapacityAxis::Rate,
            start: 1.0,
            max: 1_000.0,
            growth: 2.0,
            precision: 0.02,
        };
        let found = search(rule, 12.34);
        let capacity = found.capacity().expect("held");
        assert!((12.0..=12.34).contains(&capacity), "{capacity}");
        assert_eq!(CapacityAxis::Rate.format(capacity), format!("{capacity:.1} req/s"));
    }
}
