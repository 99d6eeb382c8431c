//! `[[scenario.level]]`: a closed model (users, spawn rate) or an open model (arrivals per
//! second, in-flight cap), and how long it lasts.

use crate::measure::LoadModel;
use crate::preset::compiled::{CompiledLevel, DEFAULT_MAX_IN_FLIGHT, MAX_USERS};
use crate::preset::model::Level;

pub(super) fn compile(index: usize, level: &Level) -> Result<CompiledLevel, String> {
    let name = level.name.clone().unwrap_or_else(|| format!("Level {}", index + 1));
    if level.duration.0.is_zero() {
        return Err("duration must be longer than 0s".into());
    }
    let load = match (level.users, level.rate_per_sec) {
        (Some(_), Some(_)) => return Err("has both users (closed model) and rate_per_sec (open model); keep one".into()),
        (None, None) => return Err("needs users (closed model) or rate_per_sec (open model)".into()),
        (Some(users), None) => {
            if users == 0 {
                return Err("users = 0 sends nothing; a level needs at least 1 user (e.g. users = 10)".into());
            }
            if users > MAX_USERS {
                return Err(format!(
                    "users = {users} is more than one load generator can run (at most {MAX_USERS}); spread the load over machines"
                ));
            }
            if level.max_in_flight.is_some() {
                return Err("max_in_flight applies to open-model levels (rate_per_sec), not users".into());
            }
            if let Some(rate) = level.spawn_rate
                && !(rate.is_finite() && rate > 0.0)
            {
                return Err(format!("spawn_rate {rate} must be a positive number of users per second"));
            }
            LoadModel::Closed {
                users,
                spawn_rate: level.spawn_rate,
            }
        }
        (None, Some(rate)) => {
            if level.spawn_rate.is_some() {
                return Err("spawn_rate applies to closed-model levels (users), not rate_per_sec".into());
            }
            if !(rate.is_finite() && rate > 0.0) {
                return Err(format!("rate_per_sec {rate} must be a positive number"));
            }
            let max_in_flight = level.max_in_flight.unwrap_or(DEFAULT_MAX_IN_FLIGHT);
            if max_in_flight == 0 {
                return Err("max_in_flight must be at least 1".into());
            }
            if max_in_flight > MAX_USERS {
                return Err(format!(
                    "max_in_flight = {max_in_flight} is more than one load generator can hold (at most {MAX_USERS})"
                ));
            }
            LoadModel::Open {
                rate_per_sec: rate,
                max_in_flight,
            }
        }
    };
    Ok(CompiledLevel {
        name,
        load,
        duration: level.duration.0,
    })
}
