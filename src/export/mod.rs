//! Loadscope's numbers for the team's own tools while a run goes on: `/metrics` in the
//! Prometheus text format (`metrics`: what is exported, from the engine's events;
//! `metrics_server`: the HTTP endpoint). It reads engine events and knows nothing of how a front
//! end shows them.

pub(crate) mod metrics;
pub(crate) mod metrics_server;

pub(crate) use metrics_server::MetricsServer;
