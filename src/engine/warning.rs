//! What the person should know about a run that does not stop it ([`RunWarning`]), and why a
//! run could not start at all ([`StartError`]): each kind its own variant, so the CLI, the app
//! and the metrics server tell them apart without reading their text. The run file keeps the
//! warnings' text (`RunRecord::warnings`).

/// A warning the engine sends as [`super::Event::Warning`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RunWarning {
    /// More connections may be opened than the process's open-file limit allows.
    #[error(
        "the load generator may open up to {needed} files and connections, but this process may hold {limit} (the open-file limit): requests beyond it fail as `load generator` failures, not the service's. Raise it (`ulimit -n {needed}` in the shell, LimitNOFILE= for a service) or use fewer users per machine"
    )]
    DescriptorsLow { needed: u64, limit: u64 },
    /// A scenario talks https without checking certificates.
    #[error(
        "{scenario}: https certificates are not verified (tls_verify = false or --insecure): anyone between this machine and {base_url} could read and change the traffic"
    )]
    InsecureTls { scenario: String, base_url: String },
    /// Reading a task's dataset passed over conversations it cannot send.
    #[error("{scenario}: task {task}: dataset {file}: {note}")]
    DatasetSkipped {
        scenario: String,
        task: String,
        file: String,
        note: String,
    },
    /// `--start-at` was missed by more than the tolerance.
    #[error(
        "Late start: load began {offset_millis:.0} ms after --start-at {start_at} (the checks or the process start took longer); this segment did not run in step with the others. Give --start-at more lead time"
    )]
    LateStart { offset_millis: f64, start_at: String },
    /// The resource monitors could not start; the run goes on without them.
    #[error("cannot start the resource monitors: {why}; the run goes on without them")]
    MonitorsUnavailable { why: String },
}

impl RunWarning {
    /// What reading `scenario`'s datasets passed over, a warning per task.
    pub(crate) fn datasets_skipped(scenario: &crate::preset::compiled::CompiledScenario) -> impl Iterator<Item = RunWarning> + '_ {
        scenario.skipped_datasets().map(|(task, dataset, note)| RunWarning::DatasetSkipped {
            scenario: scenario.name.clone(),
            task: task.name.clone(),
            file: dataset.file.clone(),
            note: note.to_string(),
        })
    }

    /// A short name for the kind (the metrics server's `kind` label).
    pub fn kind(&self) -> &'static str {
        match self {
            RunWarning::DescriptorsLow { .. } => "descriptors_low",
            RunWarning::InsecureTls { .. } => "insecure_tls",
            RunWarning::DatasetSkipped { .. } => "dataset_skipped",
            RunWarning::LateStart { .. } => "late_start",
            RunWarning::MonitorsUnavailable { .. } => "monitors_unavailable",
        }
    }
}

/// Why a run did not start; no load was sent. Shared (`Arc`) so the event can be cloned.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StartError {
    #[error("cannot start the engine's runtime: {0}")]
    Runtime(std::sync::Arc<std::io::Error>),
    /// The run file cannot be written where the plan says.
    #[error(transparent)]
    NotWritable(std::sync::Arc<crate::run::save::NotWritable>),
    /// The first save, which claims the file, failed.
    #[error(transparent)]
    Claim(std::sync::Arc<crate::run::RunFileError>),
    #[error("{0}")]
    Workers(std::sync::Arc<dyn std::error::Error + Send + Sync>),
    #[error("cannot start the run-file writer: {0}")]
    Saver(std::sync::Arc<std::io::Error>),
}
