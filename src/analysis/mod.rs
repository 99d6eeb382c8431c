//! Analysis: run records in, values out (verdicts now; baselines, findings and comparison
//! build on the same records).

pub(crate) mod baseline;
pub(crate) mod comparison;
pub(crate) mod findings;
pub(crate) mod headline;
pub(crate) mod noise;
pub(crate) mod search_step;
pub(crate) mod spread;
pub(crate) mod verdicts;

use std::fmt;

/// A row of a per-task table: all tasks together (Locust's "Aggregated" row) or one task. Typed,
/// so a task that happens to be named "Aggregated" is still a task.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TaskRow {
    Aggregated,
    Task(String),
    /// A journey, end to end (comparisons list journeys beside tasks).
    Journey(String),
}

impl TaskRow {
    /// What the row is called in tables: a journey's name says it is one.
    pub fn name(&self) -> std::borrow::Cow<'_, str> {
        match self {
            TaskRow::Aggregated => "Aggregated".into(),
            TaskRow::Task(name) => name.as_str().into(),
            TaskRow::Journey(name) => format!("journey {name}").into(),
        }
    }

    pub fn is_aggregated(&self) -> bool {
        matches!(self, TaskRow::Aggregated)
    }
}

impl fmt::Display for TaskRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}
