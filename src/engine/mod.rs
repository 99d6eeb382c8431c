//! The load engine. A controller thread owns the run (levels, ramps, commands, snapshots,
//! autosaves); worker threads, each a current-thread tokio runtime, run the virtual users.
//! Front ends (the CLI and the desktop app) send [`Command`]s and drain [`Event`]s; the engine
//! knows nothing about how they are shown.

mod autosave;
pub(crate) mod controller;
pub(crate) mod conversation;
mod event_sink;
pub(crate) mod generator;
mod journey;
mod level_source;
pub(crate) mod model_list;
pub(crate) mod outcome;
pub(crate) mod plan;
pub(crate) mod preflight;
pub(crate) mod protocols;
pub(crate) mod recorder;
mod request;
mod run_state;
pub(crate) mod setup;
pub(crate) mod summary;
mod trace_replay;
pub(crate) mod warning;
pub(crate) mod worker;
mod worker_pool;
mod worker_state;

use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use plan::{PlanError, RunPlan};
pub use preflight::HealthReport;
pub use warning::{RunWarning, StartError};

use crate::measure::LoadModel;
use crate::run::{FailureRow, RunRecord, SeriesPoint, TaskStats, Verdict};

/// What a front end asks of the engine.
pub enum Command {
    /// Start a run (refused while one is running).
    Start(Box<RunPlan>),
    /// Check the plan's services (health paths, MCP tools) without sending load.
    Preflight(Box<RunPlan>),
    /// End the run now: traffic stops within a second, the run is saved as stopped.
    Stop,
    /// End the current level early and go on with the next.
    NextLevel,
    /// Closed-model levels: change the user count for the rest of the level.
    SetUsers(u32),
    /// Open-model levels: change the arrival rate for the rest of the level.
    SetRate(f64),
    /// Stop any run (saving it) and end the engine's thread.
    Shutdown,
}

/// What the engine reports.
#[derive(Debug, Clone)]
pub enum Event {
    PreflightStarted,
    /// Every health check passed (or there were none).
    PreflightPassed(Vec<HealthReport>),
    /// A health check failed; the run does not start.
    PreflightFailed(Vec<HealthReport>),
    /// Every setup step of the preset succeeded (what each saved is in its report).
    SetupPassed(Vec<HealthReport>),
    /// A setup step failed; the run does not start.
    SetupFailed(Vec<HealthReport>),
    /// The run cannot start (its file cannot be written, a thread cannot start); no load was sent.
    StartFailed(StartError),
    /// Stop arrived before any load was sent (during the preflight or setup): nothing was saved.
    Cancelled,
    /// Load starts now; the run file is written to `out_path`.
    Started {
        out_path: std::path::PathBuf,
        stages: usize,
        /// The run's id, as its file records it.
        run_id: String,
    },
    /// The live state, at least every 250 ms.
    Snapshot(Box<Snapshot>),
    /// A level ended; its record has the final numbers and verdicts.
    LevelFinished {
        scenario: String,
        level: Box<crate::run::LevelRecord>,
    },
    /// The run file was written.
    Saved {
        path: std::path::PathBuf,
        final_save: bool,
    },
    /// The run file could not be written (the run goes on; the message says why).
    SaveFailed {
        path: std::path::PathBuf,
        error: std::sync::Arc<crate::run::RunFileError>,
    },
    /// The run ended; the record and where it was saved (or why it could not be).
    Finished {
        record: Box<RunRecord>,
        saved: SaveOutcome,
    },
    /// Something the person should know that does not end the run (a monitor that cannot
    /// start, more users than the open-file limit allows).
    Warning(RunWarning),
    /// A command could not be carried out; the run (if any) goes on.
    Rejected(String),
}

/// Where a run's final save went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveOutcome {
    /// Written and read back at the planned path.
    Saved(std::path::PathBuf),
    /// The planned path failed (`error`); the run was written to `path` instead.
    Fallback {
        path: std::path::PathBuf,
        planned: std::path::PathBuf,
        error: String,
    },
    /// Nothing could be written anywhere; `error` says why for each place tried.
    NotSaved { error: String },
}

impl SaveOutcome {
    /// Where the run file is, if anywhere.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            SaveOutcome::Saved(path) | SaveOutcome::Fallback { path, .. } => Some(path),
            SaveOutcome::NotSaved { .. } => None,
        }
    }
}

/// Where the run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    Preflight,
    Running,
    Finished,
}

/// The live state of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub phase: Phase,
    pub elapsed_secs: f64,
    pub scenario_index: usize,
    pub scenario_count: usize,
    pub scenario_name: String,
    pub level_index: usize,
    pub level_count: usize,
    pub level_name: String,
    /// The level is a capacity step's warm-up: its numbers are not counted or saved.
    #[serde(default)]
    pub warmup: bool,
    pub level_elapsed_secs: f64,
    pub level_duration_secs: f64,
    /// The current level's load, with any live change applied.
    pub load: LoadModel,
    /// Closed model: users running; open model: requests in flight.
    pub users: u32,
    /// Requests completed in the last complete second.
    pub rps_last_second: f64,
    /// The current level, per task and all together.
    pub level_tasks: Vec<(String, TaskStats)>,
    pub level_total: TaskStats,
    /// The level's journeys so far, by name (scenarios with journeys).
    pub level_journeys: Vec<(String, crate::run::JourneyStats)>,
    /// The whole run so far, all tasks together and per task.
    pub run_total: TaskStats,
    pub run_tasks: Vec<(String, TaskStats)>,
    /// The whole run's failures, most frequent first.
    pub run_failures: Vec<FailureRow>,
    pub late_starts: u64,
    /// Series points completed since the previous snapshot.
    pub new_series: Vec<SeriesPoint>,
    /// The current level's failures, most frequent first.
    pub failures: Vec<FailureRow>,
    /// The current level's distributions per task, counted at fixed bounds (only when an
    /// [`Observer`] reads the events: exporters want them, front ends do not).
    #[serde(default)]
    pub level_buckets: Vec<summary::TaskBuckets>,
    /// Each journey's end-to-end latency counted at fixed bounds (completed journeys), beside
    /// `level_buckets` and only when they are.
    pub level_journey_buckets: Vec<(String, crate::run::histogram::BucketCounts)>,
    /// The current level's targets, checked on the numbers so far.
    pub verdicts: Vec<Verdict>,
    /// The current scenario's capacity search so far (None for fixed levels): its steps are how
    /// it finds the answer, not failures of the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<crate::run::CapacityRecord>,
    /// The latest monitor sample, and what each monitor can see.
    pub resources: Option<crate::monitor::ResourceSample>,
    pub monitor_status: Option<crate::monitor::MonitorStatus>,
}

/// Sends commands to an engine from anywhere.
#[derive(Clone)]
pub struct Commander(tokio::sync::mpsc::UnboundedSender<Command>);

impl Commander {
    /// Sends a command (ignored once the engine has shut down).
    pub fn send(&self, command: Command) {
        let _ = self.0.send(command);
    }
}

/// Called after each event but snapshots, so a UI can wake up and show it at once. Snapshots
/// (four a second) wake nobody: a UI reads them at its own pace (the app once a second).
pub(crate) type Waker = Arc<dyn Fn() + Send + Sync>;

/// Called with every event, snapshots included, on the engine's thread before the event is
/// queued for the front end: for what must follow the run as it happens whatever the front end
/// is doing (live metrics for other tools). It must return quickly.
pub(crate) type Observer = Arc<dyn Fn(&Event) + Send + Sync>;

/// A handle on the engine's controller thread.
pub struct Engine {
    commands: tokio::sync::mpsc::UnboundedSender<Command>,
    events: mpsc::Receiver<Event>,
    thread: Option<JoinHandle<()>>,
}

impl Engine {
    /// Starts the controller thread. `waker` is called after every event but snapshots.
    pub fn spawn(waker: Option<Waker>) -> std::io::Result<Engine> {
        Engine::spawn_observed(waker, None)
    }

    /// Starts the controller thread with an observer of every event.
    pub fn spawn_observed(waker: Option<Waker>, observer: Option<Observer>) -> std::io::Result<Engine> {
        let (command_tx, command_rx) = tokio::sync::mpsc::unbounded_channel();
        let (event_tx, event_rx) = mpsc::channel();
        let sink = event_sink::EventSink::new(event_tx, waker, observer);
        let thread = std::thread::Builder::new()
            .name("loadscope-engine".into())
            .spawn(move || controller::serve(command_rx, sink))?;
        Ok(Engine {
            commands: command_tx,
            events: event_rx,
            thread: Some(thread),
        })
    }

    /// A cloneable sender for commands (a Ctrl-C handler, a second window).
    pub fn commander(&self) -> Commander {
        Commander(self.commands.clone())
    }

    /// Sends a command (ignored once the engine has shut down).
    pub fn send(&self, command: Command) {
        let _ = self.commands.send(command);
    }

    /// The next event, if one is waiting.
    pub fn try_recv(&self) -> Option<Event> {
        self.events.try_recv().ok()
    }

    /// The next event, waiting up to `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Event> {
        self.events.recv_timeout(timeout).ok()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Shutdown);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs a plan to the end on the calling thread, passing every event to `on_event`, and
/// returns the record (None when preflight failed). A convenience for tests and embedders.
pub fn run_blocking(plan: RunPlan, mut on_event: impl FnMut(&Event)) -> std::io::Result<Option<RunRecord>> {
    let engine = Engine::spawn(None)?;
    engine.send(Command::Start(Box::new(plan)));
    loop {
        let Some(event) = engine.recv_timeout(Duration::from_secs(3600)) else {
            return Ok(None);
        };
        on_event(&event);
        match event {
            Event::Finished { record, .. } => return Ok(Some(*record)),
            Event::PreflightFailed(_) | Event::SetupFailed(_) | Event::StartFailed(_) | Event::Cancelled => return Ok(None),
            _ => {}
        }
    }
}
