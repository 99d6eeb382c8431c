//! Command-line overrides of a preset, as Locust's flags work: `--host` replaces the base URL,
//! `-u -r -t` replace every level's users, spawn rate and duration, `--scenario` picks one;
//! `loadscope capacity` turns each scenario's levels into a capacity search.

use toml::Spanned;

use super::compiled::MAX_USERS;
use super::model::{CapacitySpec, Preset, Scenario};
use crate::measure::duration::HumanDuration;

/// What the command line replaces.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub scenario: Option<String>,
    pub host: Option<String>,
    pub users: Option<u32>,
    pub spawn_rate: Option<f64>,
    pub duration: Option<HumanDuration>,
    /// `--insecure`: no https certificate verification for any scenario.
    pub insecure: bool,
    /// `loadscope capacity`: search every scenario instead of running its levels.
    pub search: Option<SearchOverride>,
    /// `-H 'Name: value'`: added to every service's headers (replacing one of the same name).
    pub headers: Vec<(String, String)>,
    /// `-n`: every level ends once this many requests have finished.
    pub requests: Option<u64>,
}

/// `loadscope capacity`'s flags: a search in place of each scenario's levels. A flag left out
/// keeps the scenario's own `[scenario.capacity]` value, else follows from its levels.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchOverride {
    /// `users` or `rate`.
    pub over: Option<String>,
    pub start: Option<f64>,
    pub max: Option<f64>,
    pub growth: Option<f64>,
    /// `"10%"`.
    pub precision: Option<String>,
    pub step: Option<HumanDuration>,
    pub warmup: Option<HumanDuration>,
}

/// Without `--max`, a search derived from levels goes up to this many times the highest level.
pub(crate) const DEFAULT_SEARCH_HEADROOM: f64 = 8.0;

/// Why the command line's overrides cannot apply to the preset.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OverrideError {
    #[error("scenario {scenario:?}: the search would start at {start} but stop at {max}; give --start and --max with start at most max")]
    StartAboveMax { scenario: String, start: f64, max: f64 },
    /// `kind` names the levels it looked for ("closed-model (users)").
    #[error("--over {over}: scenario {scenario:?} has no {kind} levels to start from; give --start and --max")]
    NoLevelsToStart {
        over: String,
        scenario: String,
        kind: &'static str,
    },
    #[error("scenario {0:?} has no levels; give --step (e.g. --step 30s)")]
    NoStep(String),
    #[error("--scenario {wanted:?}: no such scenario (the preset has: {known})")]
    NoSuchScenario { wanted: String, known: String },
    #[error(
        "--host: scenario {scenario:?} loads several services ({services}), and one address cannot replace them all; set each base_url in the preset's [scenario.services] (or pick a single-service scenario with --scenario)"
    )]
    HostOfSeveral { scenario: String, services: String },
}

impl SearchOverride {
    /// Replaces the scenario's levels with a search. Targets scoped to one level apply at every
    /// step (the levels they named are gone): the search finds where all of them hold at once.
    fn apply(&self, scenario: &mut Scenario) -> Result<(), OverrideError> {
        let name = scenario.name.get_ref().clone();
        let span = scenario.name.span();
        let mut spec = match scenario.capacity.take() {
            Some(own) => own.into_inner(),
            None => self.spec_over_levels(scenario, &name)?,
        };
        if let Some(over) = &self.over {
            spec.over = over.clone();
        }
        if let Some(start) = self.start {
            spec.start = start;
        }
        if let Some(max) = self.max {
            spec.max = max;
        }
        if self.growth.is_some() {
            spec.growth = self.growth;
        }
        if self.precision.is_some() {
            spec.precision = self.precision.clone();
        }
        if let Some(step) = self.step {
            spec.step = step;
        }
        if self.warmup.is_some() {
            spec.warmup = self.warmup;
        }
        if spec.over == "rate" {
            spec.spawn_rate = None;
        } else {
            spec.max_in_flight = None;
        }
        if spec.start > spec.max {
            return Err(OverrideError::StartAboveMax {
                scenario: name,
                start: spec.start,
                max: spec.max,
            });
        }
        for target in &mut scenario.targets {
            target.get_mut().level = None;
        }
        scenario.levels.clear();
        scenario.capacity = Some(Spanned::new(span, spec));
        Ok(())
    }

    /// A search over the scenario's own levels' axis, from its lowest level to
    /// [`DEFAULT_SEARCH_HEADROOM`] times its highest, each step as long as its first level.
    fn spec_over_levels(&self, scenario: &Scenario, name: &str) -> Result<CapacitySpec, OverrideError> {
        let levels: Vec<&super::model::Level> = scenario.levels.iter().map(|level| level.get_ref()).collect();
        let closed = levels.iter().any(|level| level.users.is_some());
        let over = self
            .over
            .clone()
            .unwrap_or_else(|| if closed { "users" } else { "rate" }.to_string());
        let loads: Vec<f64> = if over == "rate" {
            levels.iter().filter_map(|level| level.rate_per_sec).collect()
        } else {
            levels.iter().filter_map(|level| level.users.map(f64::from)).collect()
        };
        let lowest = loads.iter().copied().fold(f64::INFINITY, f64::min);
        let highest = loads.iter().copied().fold(0.0, f64::max);
        let start = match self.start {
            Some(start) => start,
            None if lowest.is_finite() => lowest,
            None => {
                return Err(OverrideError::NoLevelsToStart {
                    kind: if over == "rate" {
                        "open-model (rate_per_sec)"
                    } else {
                        "closed-model (users)"
                    },
                    over,
                    scenario: name.to_string(),
                });
            }
        };
        let max = self.max.unwrap_or_else(|| {
            let max = highest.max(start) * DEFAULT_SEARCH_HEADROOM;
            if over == "rate" { max } else { max.min(f64::from(MAX_USERS)) }
        });
        let step = match (self.step, levels.first()) {
            (Some(step), _) => step,
            (None, Some(level)) => level.duration,
            (None, None) => return Err(OverrideError::NoStep(name.to_string())),
        };
        Ok(CapacitySpec {
            over,
            start,
            max,
            growth: None,
            precision: None,
            step,
            warmup: None,
            spawn_rate: levels.iter().find_map(|level| level.spawn_rate),
            max_in_flight: levels.iter().find_map(|level| level.max_in_flight),
        })
    }
}

impl Overrides {
    /// Applies the overrides to the model. `-u` turns open-model levels into closed ones;
    /// `-r` alone changes the spawn rate of closed levels.
    pub fn apply(&self, preset: &mut Preset) -> Result<(), OverrideError> {
        if let Some(wanted) = &self.scenario {
            let known: Vec<String> = preset.scenarios.iter().map(|s| s.name.get_ref().clone()).collect();
            preset.scenarios.retain(|scenario| scenario.name.get_ref() == wanted);
            if preset.scenarios.is_empty() {
                return Err(OverrideError::NoSuchScenario {
                    wanted: wanted.clone(),
                    known: known.join(", "),
                });
            }
            // A baseline scenario left out by the choice: its degradation targets go unchecked
            // (the run says so) rather than the preset becoming invalid.
            for scenario in &mut preset.scenarios {
                if let Some(baseline) = &mut scenario.baseline {
                    let spec = baseline.get_mut();
                    if spec.run.is_none() && spec.scenario.as_ref().is_some_and(|name| name != wanted && known.contains(name)) {
                        spec.left_out = true;
                    }
                }
            }
        }
        for scenario in &mut preset.scenarios {
            if let Some(search) = &self.search {
                search.apply(scenario)?;
            }
            if let Some(host) = &self.host {
                // One address cannot stand for several services: which would it replace?
                if !scenario.services.is_empty() {
                    return Err(OverrideError::HostOfSeveral {
                        scenario: scenario.name.get_ref().clone(),
                        services: scenario.services.keys().cloned().collect::<Vec<_>>().join(", "),
                    });
                }
                if let Some(service) = &mut scenario.service {
                    *service.base_url.get_mut() = host.trim_end_matches('/').to_string();
                }
            }
            for service in scenario.service.iter_mut().chain(scenario.services.values_mut()) {
                if self.insecure {
                    service.tls_verify = Some(false);
                }
                for (name, value) in &self.headers {
                    service.headers.retain(|known, _| !known.eq_ignore_ascii_case(name));
                    service.headers.insert(name.clone(), value.clone());
                }
            }
            for level in &mut scenario.levels {
                let level = level.get_mut();
                if let Some(users) = self.users {
                    level.users = Some(users);
                    level.rate_per_sec = None;
                    level.max_in_flight = None;
                }
                if let Some(rate) = self.spawn_rate
                    && level.users.is_some()
                {
                    level.spawn_rate = Some(rate);
                }
                if let Some(duration) = self.duration {
                    level.duration = duration;
                }
                if self.requests.is_some() {
                    level.requests = self.requests;
                }
            }
        }
        Ok(())
    }
}
