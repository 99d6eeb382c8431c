//! `[[scenario.level]]`: a closed model (users, spawn rate) or an open model (arrivals per
//! second, in-flight cap), and how long it lasts.

use crate::measure::LoadModel;
use crate::preset::compiled::{CompiledLevel, DEFAULT_MAX_IN_FLIGHT, MAX_USERS};
use crate::preset::model::Level;

/// Why a level cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(super) enum LevelError {
    #[error("duration must be longer than 0s")]
    NoDuration,
    #[error("has both users (closed model) and rate_per_sec (open model); keep one")]
    BothModels,
    #[error("needs users (closed model) or rate_per_sec (open model)")]
    NoModel,
    #[error("users = 0 sends nothing; a level needs at least 1 user (e.g. users = 10)")]
    NoUsers,
    #[error("users = {0} is more than one load generator can run (at most {MAX_USERS}); spread the load over machines")]
    TooManyUsers(u32),
    #[error("max_in_flight applies to open-model levels (rate_per_sec), not users")]
    InFlightOnClosed,
    #[error("spawn_rate {0} must be a positive number of users per second")]
    BadSpawnRate(f64),
    #[error("spawn_rate applies to closed-model levels (users), not rate_per_sec")]
    SpawnRateOnOpen,
    #[error("rate_per_sec {0} must be a positive number")]
    BadRate(f64),
    #[error("max_in_flight must be at least 1")]
    NoInFlight,
    #[error("max_in_flight = {0} is more than one load generator can hold (at most {MAX_USERS})")]
    TooManyInFlight(u32),
    #[error("requests = 0 sends nothing; give at least 1 (or leave requests out to run for the duration)")]
    NoRequests,
}

pub(super) fn compile(index: usize, level: &Level) -> Result<CompiledLevel, LevelError> {
    let name = level.name.clone().unwrap_or_else(|| format!("Level {}", index + 1));
    if level.duration.0.is_zero() {
        return Err(LevelError::NoDuration);
    }
    if level.requests == Some(0) {
        return Err(LevelError::NoRequests);
    }
    let load = match (level.users, level.rate_per_sec) {
        (Some(_), Some(_)) => return Err(LevelError::BothModels),
        (None, None) => return Err(LevelError::NoModel),
        (Some(users), None) => {
            if users == 0 {
                return Err(LevelError::NoUsers);
            }
            if users > MAX_USERS {
                return Err(LevelError::TooManyUsers(users));
            }
            if level.max_in_flight.is_some() {
                return Err(LevelError::InFlightOnClosed);
            }
            if let Some(rate) = level.spawn_rate
                && !(rate.is_finite() && rate > 0.0)
            {
                return Err(LevelError::BadSpawnRate(rate));
            }
            LoadModel::Closed {
                users,
                spawn_rate: level.spawn_rate,
            }
        }
        (None, Some(rate)) => {
            if level.spawn_rate.is_some() {
                return Err(LevelError::SpawnRateOnOpen);
            }
            if !(rate.is_finite() && rate > 0.0) {
                return Err(LevelError::BadRate(rate));
            }
            let max_in_flight = level.max_in_flight.unwrap_or(DEFAULT_MAX_IN_FLIGHT);
            if max_in_flight == 0 {
                return Err(LevelError::NoInFlight);
            }
            if max_in_flight > MAX_USERS {
                return Err(LevelError::TooManyInFlight(max_in_flight));
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
        requests: level.requests,
    })
}
