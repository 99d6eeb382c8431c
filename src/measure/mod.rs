//! The words presets, run files and the analysis share: metrics and their units, target
//! expressions, load models, durations as people write them. A leaf: it imports nothing of the
//! crate but `format`, so a run file can be read without the preset compiler.

pub(crate) mod capacity;
pub(crate) mod duration;
pub(crate) mod load_model;
pub(crate) mod metric;
pub(crate) mod objectives;
pub(crate) mod target;

pub(crate) use duration::DurationError;
pub use load_model::LoadModel;
pub use metric::{Metric, MetricUnit};
pub use objectives::Objectives;
pub use target::{Comparison, TargetExpr};
