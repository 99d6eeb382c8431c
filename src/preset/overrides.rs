//! Command-line overrides of a preset, as Locust's flags work: `--host` replaces the base URL,
//! `-u -r -t` replace every level's users, spawn rate and duration, `--scenario` picks one.

use super::model::Preset;
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
}

impl Overrides {
    /// Applies the overrides to the model. `-u` turns open-model levels into closed ones;
    /// `-r` alone changes the spawn rate of closed levels.
    pub fn apply(&self, preset: &mut Preset) -> Result<(), String> {
        if let Some(wanted) = &self.scenario {
            let known: Vec<String> = preset.scenarios.iter().map(|s| s.name.get_ref().clone()).collect();
            preset.scenarios.retain(|scenario| scenario.name.get_ref() == wanted);
            if preset.scenarios.is_empty() {
                return Err(format!(
                    "--scenario {wanted:?}: no such scenario (the preset has: {})",
                    known.join(", ")
                ));
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
            if let Some(host) = &self.host {
                *scenario.service.base_url.get_mut() = host.trim_end_matches('/').to_string();
            }
            if self.insecure {
                scenario.service.tls_verify = Some(false);
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
            }
        }
        Ok(())
    }
}
