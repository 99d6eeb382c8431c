//! How a level applies load: a closed model (a number of users) or an open model (arrivals per
//! second). Presets compile to it, run files store it, the analysis reads it.

use serde::{Deserialize, Serialize};

/// How a level applies load.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum LoadModel {
    /// A fixed number of users, each looping request → think time.
    Closed {
        users: u32,
        /// Users started per second; all at once when absent.
        spawn_rate: Option<f64>,
    },
    /// Requests started on a schedule, whatever the responses do.
    Open { rate_per_sec: f64, max_in_flight: u32 },
}

impl std::fmt::Display for LoadModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadModel::Closed {
                users,
                spawn_rate: Some(rate),
            } => write!(f, "{users} users, spawn {rate}/s"),
            LoadModel::Closed { users, spawn_rate: None } => write!(f, "{users} users"),
            LoadModel::Open {
                rate_per_sec,
                max_in_flight,
            } => write!(f, "{rate_per_sec} req/s, max {max_in_flight} in flight"),
        }
    }
}

impl LoadModel {
    /// The load in a few words: `15 users` or `20 req/s`.
    pub fn brief(&self) -> String {
        match self {
            LoadModel::Closed { users: 1, .. } => "1 user".to_string(),
            LoadModel::Closed { users, .. } => format!("{users} users"),
            LoadModel::Open { rate_per_sec, .. } => format!("{rate_per_sec} req/s"),
        }
    }

    /// How hard the level pushes: users (closed model) or arrivals per second (open model).
    pub fn intensity(&self) -> f64 {
        match self {
            LoadModel::Closed { users, .. } => *users as f64,
            LoadModel::Open { rate_per_sec, .. } => *rate_per_sec,
        }
    }
}
