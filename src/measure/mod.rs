//! The words presets, run files and the analysis share: metrics and their units, target
//! expressions, load models, durations as people write them. A leaf: it imports nothing of the
//! crate but `format`, so a run file can be read without the preset compiler.

pub mod capacity;
pub mod duration;
pub mod load_model;
pub mod metric;
pub mod objectives;
pub mod target;

pub use duration::DurationError;
pub use load_model::LoadModel;
pub use metric::{Metric, MetricUnit};
pub use objectives::Objectives;
pub use target::{Comparison, TargetError, TargetExpr, ThresholdProblem};
