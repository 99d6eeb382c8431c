//! Headline numbers for a room: the highest throughput a level sustained while every target
//! held, the p95 and error rate of each level, and each level's verdict.

use crate::analysis::verdicts::all_passed;
use crate::run::RunRecord;

/// One level in a headline.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelHeadline {
    pub scenario: String,
    pub level: usize,
    /// `Level 2 (15 users)`.
    pub label: String,
    pub rps: f64,
    /// None when the level had no requests.
    pub p95_micros: Option<u64>,
    pub error_rate_percent: f64,
    /// Whether every target of the level held (None: no targets checked it).
    pub passed: Option<bool>,
    pub failed_targets: Vec<String>,
}

/// A run's headline.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    /// The busiest level whose targets all held: its RPS and label.
    pub peak_rps_within_targets: Option<(f64, String)>,
    pub error_rate_percent: f64,
    pub requests: u64,
    pub levels: Vec<LevelHeadline>,
}

/// The headline of `run`.
pub fn headline(run: &RunRecord) -> Headline {
    let levels: Vec<LevelHeadline> = run
        .scenarios
        .iter()
        .flat_map(|scenario| {
            scenario.levels.iter().map(move |level| {
                let stats = &level.total.stats;
                LevelHeadline {
                    scenario: scenario.name.clone(),
                    level: level.index,
                    label: format!("{} ({})", level.name, level.load.brief()),
                    rps: stats.rps,
                    p95_micros: (stats.requests > 0).then_some(stats.p95_micros),
                    error_rate_percent: stats.error_rate_percent(),
                    passed: all_passed(&level.verdicts),
                    failed_targets: level
                        .verdicts
                        .iter()
                        .filter(|verdict| !verdict.passed)
                        .map(|verdict| verdict.target.clone())
                        .collect(),
                }
            })
        })
        .collect();
    let several = run.scenarios.len() > 1;
    let peak_rps_within_targets = levels
        .iter()
        .filter(|level| level.passed == Some(true))
        .max_by(|a, b| a.rps.total_cmp(&b.rps))
        .map(|level| {
            let label = if several {
                format!("{} / {}", level.scenario, level.label)
            } else {
                level.label.clone()
            };
            (level.rps, label)
        });
    let total = run.total.as_ref().map(|total| &total.stats);
    Headline {
        peak_rps_within_targets,
        error_rate_percent: total.map(|stats| stats.error_rate_percent()).unwrap_or(0.0),
        requests: total.map(|stats| stats.requests).unwrap_or(0),
        levels,
    }
}
