//! Analysis: run records in, values out (verdicts now; baselines, findings and comparison
//! build on the same records).

pub mod baseline;
pub mod comparison;
pub mod findings;
pub mod headline;
pub mod verdicts;
