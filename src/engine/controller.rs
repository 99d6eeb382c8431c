//! The controller: runs the levels of every scenario in order, ramps users at the spawn rate,
//! obeys commands, merges the workers' recordings, emits snapshots every 250 ms, closes one
//! series point per second, checks abort_on_fail targets, and saves the run file every few
//! seconds and at the end.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::plan::RunPlan;
use super::recorder::{FailureCount, FailureKey, Recorder, TaskAccum};
use super::summary::{merged, stats, summary};
use super::worker::{WorkerCommand, WorkerReport, run_worker};
use super::{Command, Event, Phase, SaveOutcome, Snapshot, Waker, preflight};
use crate::analysis::verdicts::{all_passed, evaluate_level};
use crate::monitor::{MonitorReport, MonitorStatus, Monitors, ResourcePeaks, ResourceSample};
use crate::preset::LoadModel;
use crate::preset::compile::CompiledBaseline;
use crate::preset::secrets::redact_header_value;
use crate::run::{
    BaselineRecord, FailureRow, GeneratorLoad, HostInfo, LevelRecord, PresetRecord, RUN_FORMAT, RUN_VERSION, RunRecord, RunStatus,
    ScenarioRecord, SeriesPoint, TargetRecord, TaskStats, save_atomic,
};

const TICK: Duration = Duration::from_millis(100);
const SNAPSHOT_EVERY: Duration = Duration::from_millis(250);

/// Sends events and wakes the front end.
#[derive(Clone)]
pub struct EventSink {
    events: mpsc::Sender<Event>,
    waker: Option<Waker>,
}

impl EventSink {
    pub fn new(events: mpsc::Sender<Event>, waker: Option<Waker>) -> EventSink {
        EventSink { events, waker }
    }

    pub(crate) fn send(&self, event: Event) {
        let _ = self.events.send(event);
        if let Some(waker) = &self.waker {
            waker();
        }
    }
}

/// The controller thread's body: waits for `Start`, runs, repeats, until the command channel
/// closes.
pub fn serve(mut commands: UnboundedReceiver<Command>, sink: EventSink) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            sink.send(Event::StartFailed(format!("cannot start the engine's runtime: {err}")));
            return;
        }
    };
    runtime.block_on(async {
        while let Some(command) = commands.recv().await {
            match command {
                Command::Start(plan) => {
                    if execute(Arc::new(*plan), &mut commands, &sink).await == Continue::Shutdown {
                        break;
                    }
                }
                Command::Shutdown => break,
                Command::Preflight(plan) => {
                    sink.send(Event::PreflightStarted);
                    match interruptible(preflight::check(&plan), &mut commands, &sink).await {
                        Interrupted::Done(reports) if reports.iter().all(|report| report.ok()) => {
                            sink.send(Event::PreflightPassed(reports))
                        }
                        Interrupted::Done(reports) => sink.send(Event::PreflightFailed(reports)),
                        Interrupted::Stopped => sink.send(Event::Cancelled),
                        Interrupted::Shutdown => break,
                    }
                }
                Command::Stop | Command::NextLevel | Command::SetUsers(_) | Command::SetRate(_) => {
                    // Nothing is running; a stray control command is harmless.
                }
            }
        }
    });
}

/// What the engine does after a run.
#[derive(Debug, PartialEq, Eq)]
enum Continue {
    WaitForCommands,
    Shutdown,
}

/// How a level ended.
enum LevelEnd {
    Elapsed,
    Skipped,
    Stopped,
    Aborted(String),
}

/// What happened to work done before the load (preflight, setup) when commands arrived.
enum Interrupted<T> {
    Done(T),
    Stopped,
    Shutdown,
}

/// Runs `work` (a preflight or setup) while obeying Stop and Shutdown: a person who presses
/// Ctrl-C while a health check waits for a slow service gets their prompt back at once.
async fn interruptible<T>(
    work: impl std::future::Future<Output = T>,
    commands: &mut UnboundedReceiver<Command>,
    sink: &EventSink,
) -> Interrupted<T> {
    tokio::pin!(work);
    loop {
        tokio::select! {
            result = &mut work => return Interrupted::Done(result),
            command = commands.recv() => match command {
                Some(Command::Stop) => return Interrupted::Stopped,
                Some(Command::Shutdown) | None => return Interrupted::Shutdown,
                Some(Command::Start(_) | Command::Preflight(_)) => {
                    sink.send(Event::Rejected("a run is already starting; stop it first".into()))
                }
                Some(Command::NextLevel | Command::SetUsers(_) | Command::SetRate(_)) => {
                    sink.send(Event::Rejected("no level is running yet (the services are being checked)".into()))
                }
            },
        }
    }
}

async fn execute(plan: Arc<RunPlan>, commands: &mut UnboundedReceiver<Command>, sink: &EventSink) -> Continue {
    // Before anything is sent: a run whose file cannot be written is refused, not run blind.
    if let Err(why) = crate::run::save::check_writable(&plan.out_path, plan.out_must_be_new) {
        sink.send(Event::StartFailed(why));
        return Continue::WaitForCommands;
    }
    let has_checks = plan
        .scenarios
        .iter()
        .any(|scenario| scenario.compiled.health.is_some() || scenario.mcp_init_task.is_some());
    if plan.preflight && has_checks {
        sink.send(Event::PreflightStarted);
        let reports = match interruptible(preflight::check(&plan), commands, sink).await {
            Interrupted::Done(reports) => reports,
            Interrupted::Stopped => {
                sink.send(Event::Cancelled);
                return Continue::WaitForCommands;
            }
            Interrupted::Shutdown => return Continue::Shutdown,
        };
        if reports.iter().all(|report| report.ok()) {
            sink.send(Event::PreflightPassed(reports));
        } else {
            sink.send(Event::PreflightFailed(reports));
            return Continue::WaitForCommands;
        }
    }

    if plan.scenarios.iter().any(|scenario| !scenario.compiled.setup.is_empty()) {
        match interruptible(super::setup::run(&plan), commands, sink).await {
            Interrupted::Done(Ok(reports)) => sink.send(Event::SetupPassed(reports)),
            Interrupted::Done(Err(reports)) => {
                sink.send(Event::SetupFailed(reports));
                return Continue::WaitForCommands;
            }
            Interrupted::Stopped => {
                sink.send(Event::Cancelled);
                return Continue::WaitForCommands;
            }
            Interrupted::Shutdown => return Continue::Shutdown,
        }
    }

    let start_warnings = super::generator::start_warnings(&plan);
    for warning in &start_warnings {
        sink.send(Event::Warning(warning.clone()));
    }
    let run_start = Instant::now();
    let mut run = RunState::new(plan.clone(), run_start);
    run.warnings = start_warnings;
    // The first save claims the file (a library name is created new, never over another run's)
    // before load starts, so a crash from here on leaves a run to recover.
    let first = run.record(RunStatus::Running);
    let claimed = if plan.out_must_be_new {
        crate::run::save::save_new(&first, &plan.out_path)
    } else {
        save_atomic(&first, &plan.out_path)
    };
    if let Err(err) = claimed {
        sink.send(Event::StartFailed(err.to_string()));
        return Continue::WaitForCommands;
    }
    sink.send(Event::Started {
        out_path: plan.out_path.clone(),
        stages: plan.stage_count(),
    });
    let mut monitors = match Monitors::start(plan.preset.monitors.clone()) {
        Ok(monitors) => Some(monitors),
        Err(err) => {
            sink.send(Event::Warning(format!(
                "cannot start the resource monitors: {err}; the run goes on without them"
            )));
            None
        }
    };
    let (report_tx, mut reports) = unbounded_channel::<WorkerReport>();
    let worker_count = plan.workers.max(1);
    let mut workers: Vec<UnboundedSender<WorkerCommand>> = Vec::new();
    let mut threads = Vec::new();
    for index in 0..worker_count {
        let (tx, rx) = unbounded_channel();
        let report_tx = report_tx.clone();
        match std::thread::Builder::new()
            .name(format!("loadscope-worker-{index}"))
            .spawn(move || run_worker(index, worker_count, run_start, rx, report_tx))
        {
            Ok(thread) => {
                workers.push(tx);
                threads.push(thread);
            }
            Err(err) => {
                for worker in &workers {
                    let _ = worker.send(WorkerCommand::Stop);
                }
                sink.send(Event::StartFailed(format!("cannot start worker thread {index}: {err}")));
                return Continue::WaitForCommands;
            }
        }
    }
    drop(report_tx);
    let saver = match RunSaver::start(plan.out_path.clone(), sink.clone()) {
        Ok(saver) => saver,
        Err(err) => {
            sink.send(Event::StartFailed(format!("cannot start the run-file writer: {err}")));
            for worker in &workers {
                let _ = worker.send(WorkerCommand::Stop);
            }
            return Continue::WaitForCommands;
        }
    };
    run.worker_users = vec![0; workers.len()];
    run.worker_in_flight = vec![0; workers.len()];
    run.worker_progress = vec![WorkerProgress::default(); workers.len()];

    let broadcast = |command: &dyn Fn(usize) -> WorkerCommand| {
        for (index, worker) in workers.iter().enumerate() {
            let _ = worker.send(command(index));
        }
    };
    let share = |total: u32, index: usize| -> u32 {
        let count = workers.len() as u32;
        total / count + u32::from((index as u32) < total % count)
    };

    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut snapshot_tick = tokio::time::interval(SNAPSHOT_EVERY);
    snapshot_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut autosave = tokio::time::interval(plan.autosave_every.max(Duration::from_millis(200)));
    autosave.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    autosave.tick().await;

    let mut outcome = RunStatus::Completed;
    let mut after = Continue::WaitForCommands;
    let mut stage = 0usize;
    'scenarios: for (scenario_index, scenario) in plan.scenarios.iter().enumerate() {
        let mut users_now = 0u32;
        for (level_index, level) in scenario.compiled.levels.iter().enumerate() {
            run.begin_stage(stage, scenario_index, level_index, level.load);
            broadcast(&|_| WorkerCommand::Stage {
                stage: stage as u32,
                scenario_index,
                scenario: scenario.clone(),
            });
            let level_start = Instant::now();
            let mut ramp_start = level_start;
            let mut ramp_from = users_now;
            let mut last_abort_check = level_start;
            if let LoadModel::Open {
                rate_per_sec,
                max_in_flight,
            } = level.load
            {
                users_now = 0;
                let count = workers.len() as f64;
                broadcast(&|index| WorkerCommand::Open {
                    rate_per_sec: rate_per_sec / count,
                    max_in_flight: share(max_in_flight, index).max(1),
                });
            }
            let end = loop {
                tokio::select! {
                    _ = tick.tick() => {
                        let now = Instant::now();
                        if let LoadModel::Closed { users, spawn_rate } = run.stages[stage].load {
                            let target = ramp(ramp_from, users, spawn_rate, now - ramp_start);
                            if target != users_now {
                                users_now = target;
                                broadcast(&|index| WorkerCommand::SetUsers(share(target, index)));
                            }
                        }
                        run.close_seconds(false);
                        if now - level_start >= level.duration {
                            break LevelEnd::Elapsed;
                        }
                        if now - last_abort_check >= Duration::from_secs(1) {
                            last_abort_check = now;
                            if let Some(reason) = run.abort_reason(stage, now - level_start) {
                                break LevelEnd::Aborted(reason);
                            }
                        }
                    }
                    _ = snapshot_tick.tick() => sink.send(Event::Snapshot(Box::new(run.snapshot(stage, Phase::Running)))),
                    _ = autosave.tick() => {
                        run.save(RunStatus::Running, &saver);
                    }
                    Some(report) = reports.recv() => {
                        run.absorb(report);
                        run.emit_finished_levels(sink, false);
                    }
                    Some(report) = next_monitor_report(&mut monitors) => run.absorb_resources(report),
                    command = commands.recv() => match command {
                        Some(Command::Stop) => break LevelEnd::Stopped,
                        Some(Command::Shutdown) | None => {
                            after = Continue::Shutdown;
                            break LevelEnd::Stopped;
                        }
                        Some(Command::NextLevel) => break LevelEnd::Skipped,
                        Some(Command::SetUsers(users)) => match run.stages[stage].load {
                            LoadModel::Closed { spawn_rate, .. } => {
                                run.stages[stage].load = LoadModel::Closed { users, spawn_rate };
                                ramp_from = users_now;
                                ramp_start = Instant::now();
                            }
                            LoadModel::Open { .. } => sink.send(Event::Rejected("this level uses an arrival rate (open model); change the rate instead of users".into())),
                        },
                        Some(Command::SetRate(rate)) => match run.stages[stage].load {
                            LoadModel::Open { max_in_flight, .. } if rate > 0.0 && rate.is_finite() => {
                                run.stages[stage].load = LoadModel::Open { rate_per_sec: rate, max_in_flight };
                                let count = workers.len() as f64;
                                broadcast(&|index| WorkerCommand::Open { rate_per_sec: rate / count, max_in_flight: share(max_in_flight, index).max(1) });
                            }
                            LoadModel::Open { .. } => sink.send(Event::Rejected(format!("rate {rate} must be a positive number of requests per second"))),
                            LoadModel::Closed { .. } => sink.send(Event::Rejected("this level runs users (closed model); change users instead of the rate".into())),
                        },
                        Some(Command::Start(_) | Command::Preflight(_)) => {
                            sink.send(Event::Rejected("a run is already in progress; stop it first".into()))
                        }
                    },
                }
            };
            run.end_stage(stage);
            // Its numbers are final (and LevelFinished goes out) once every worker has moved on
            // and recorded the requests it started in it: the CLI, the app and the file agree.
            run.unreported_stages.push_back(stage);
            match end {
                LevelEnd::Elapsed | LevelEnd::Skipped => {}
                LevelEnd::Stopped => {
                    outcome = RunStatus::Stopped;
                    run.stop_reason = Some("stopped by request".into());
                    break 'scenarios;
                }
                LevelEnd::Aborted(reason) => {
                    outcome = RunStatus::Aborted;
                    run.stop_reason = Some(reason);
                    break 'scenarios;
                }
            }
            stage += 1;
        }
        // The next scenario starts from zero users; this one's finish their current request.
        broadcast(&|_| WorkerCommand::SetUsers(0));
    }

    if outcome == RunStatus::Completed {
        // Let users that were told to stop finish their request and close their sessions.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        let mut live: Vec<u32> = vec![u32::MAX; workers.len()];
        while live.iter().any(|count| *count > 0) {
            match tokio::time::timeout_at(deadline, reports.recv()).await {
                Ok(Some(report)) => {
                    if let Some(count) = live.get_mut(report.worker) {
                        *count = report.live_users;
                    }
                    run.absorb(report);
                    run.emit_finished_levels(sink, false);
                }
                Ok(None) | Err(_) => break,
            }
        }
    }
    broadcast(&|_| WorkerCommand::Stop);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    let mut finished = 0;
    while finished < workers.len() {
        match tokio::time::timeout_at(deadline, reports.recv()).await {
            Ok(Some(report)) => {
                if report.finished {
                    finished += 1;
                }
                run.absorb(report);
            }
            Ok(None) | Err(_) => break,
        }
    }
    for thread in threads {
        let _ = thread.join();
    }
    // Every worker has stopped: whatever is still open was counted as unfinished.
    run.emit_finished_levels(sink, true);
    run.close_seconds(true);
    let final_snapshot = run.snapshot(stage.min(run.stages.len().saturating_sub(1)), Phase::Finished);
    sink.send(Event::Snapshot(Box::new(final_snapshot)));
    let record = run.save(outcome, &saver);
    let saved = saver.finish();
    sink.send(Event::Finished {
        record: Box::new(record),
        saved,
    });
    after
}

/// Users wanted `elapsed` into a ramp from `from` to `to` at `rate` users per second. The first
/// user of a ramp starts at once, as in Locust.
fn ramp(from: u32, to: u32, rate: Option<f64>, elapsed: Duration) -> u32 {
    let Some(rate) = rate else { return to };
    let steps = (rate * elapsed.as_secs_f64()).floor() as u64 + 1;
    if to >= from {
        (from as u64 + steps).min(to as u64) as u32
    } else {
        (from as u64).saturating_sub(steps).max(to as u64) as u32
    }
}

/// The next monitor report; never ready when there are no monitors.
async fn next_monitor_report(monitors: &mut Option<Monitors>) -> Option<MonitorReport> {
    match monitors {
        Some(monitors) => monitors.recv().await,
        None => std::future::pending().await,
    }
}

/// A stage: one level of one scenario, as it ran.
struct StageInfo {
    scenario: usize,
    level: usize,
    load: LoadModel,
    started_secs: f64,
    ended_secs: Option<f64>,
}

/// What the controller knows of a worker's progress through the stages.
#[derive(Debug, Clone, Copy, Default)]
struct WorkerProgress {
    /// The stage it records new requests into.
    stage: u32,
    /// The earliest stage it still has requests in flight for.
    oldest_open_stage: Option<u32>,
    finished: bool,
}

/// The run as the controller knows it.
struct RunState {
    plan: Arc<RunPlan>,
    run_start: Instant,
    started_at: SystemTime,
    id: String,
    recorded: Recorder,
    stages: Vec<StageInfo>,
    series: Vec<SeriesPoint>,
    series_reported: usize,
    /// The next second to close into a series point.
    next_second: u32,
    /// Users and stage at each second's end, for series points.
    users_at_second: BTreeMap<u32, (u32, usize)>,
    worker_users: Vec<u32>,
    worker_in_flight: Vec<u32>,
    stop_reason: Option<String>,
    targets: Vec<Vec<TargetRecord>>,
    /// Monitor samples by the second they were taken in, until that second is closed.
    resource_seconds: BTreeMap<u32, ResourceSample>,
    latest_resources: Option<ResourceSample>,
    monitor_status: Option<MonitorStatus>,
    /// Resource peaks per stage.
    stage_peaks: Vec<ResourcePeaks>,
    worker_progress: Vec<WorkerProgress>,
    /// Stages that ended but whose LevelFinished has not gone out, oldest first.
    unreported_stages: std::collections::VecDeque<usize>,
    /// What the run warned about as it started.
    warnings: Vec<String>,
}

/// Host CPU at or above this (with the generator keeping up) is noted as a busy host.
const HOST_BUSY_PERCENT: f64 = 90.0;

impl RunState {
    fn new(plan: Arc<RunPlan>, run_start: Instant) -> RunState {
        let started_at = SystemTime::now();
        let id = plan.run_id.clone();
        let targets = plan
            .scenarios
            .iter()
            .map(|scenario| {
                scenario
                    .compiled
                    .targets
                    .iter()
                    .map(|target| TargetRecord {
                        expr: target.text.clone(),
                        level: target.level,
                        task: target.task.map(|task| scenario.compiled.tasks[task].name.clone()),
                        abort_on_fail: target.abort_on_fail,
                    })
                    .collect()
            })
            .collect();
        RunState {
            plan,
            run_start,
            started_at,
            id,
            recorded: Recorder::default(),
            stages: Vec::new(),
            series: Vec::new(),
            series_reported: 0,
            next_second: 0,
            users_at_second: BTreeMap::new(),
            worker_users: Vec::new(),
            worker_in_flight: Vec::new(),
            stop_reason: None,
            targets,
            resource_seconds: BTreeMap::new(),
            latest_resources: None,
            monitor_status: None,
            stage_peaks: Vec::new(),
            worker_progress: Vec::new(),
            unreported_stages: std::collections::VecDeque::new(),
            warnings: Vec::new(),
        }
    }

    /// Sends LevelFinished for each ended stage whose numbers are final: every worker has
    /// moved past it with nothing of it in flight (or `all`: every worker has stopped).
    fn emit_finished_levels(&mut self, sink: &EventSink, all: bool) {
        while let Some(&stage) = self.unreported_stages.front() {
            let stage_u32 = stage as u32;
            let settled = all
                || self.worker_progress.iter().all(|worker| {
                    worker.finished || (worker.stage > stage_u32 && worker.oldest_open_stage.is_none_or(|open| open > stage_u32))
                });
            if !settled {
                break;
            }
            self.unreported_stages.pop_front();
            if let Some(record) = self.level_record(stage) {
                let scenario = self.stages[stage].scenario;
                sink.send(Event::LevelFinished {
                    scenario: self.plan.scenarios[scenario].compiled.name.clone(),
                    level: Box::new(record),
                });
            }
        }
    }

    /// Takes in a monitor report: onto the timeline, into the current stage's peaks.
    fn absorb_resources(&mut self, report: MonitorReport) {
        let second = report.taken_at.saturating_duration_since(self.run_start).as_secs() as u32;
        if let Some(peaks) = self.stage_peaks.last_mut() {
            peaks.add(&report.sample);
        }
        self.monitor_status = Some(report.status);
        self.latest_resources = Some(report.sample.clone());
        // A second closed already (a late report) keeps what it had.
        if second >= self.next_second {
            self.resource_seconds.insert(second, report.sample);
        }
    }

    /// Why a stage's numbers are doubtful, if they are.
    fn stage_warnings(&self, stage: usize) -> Vec<String> {
        let mut warnings = Vec::new();
        let generator = self.generator_load(stage);
        if let Some(why) = generator.as_ref().and_then(GeneratorLoad::saturation) {
            warnings.push(format!(
                "{why}: latency and throughput may be Loadscope's own limits, not the service's (use fewer users per machine, or more machines)"
            ));
        } else if let Some(host) = self.stage_peaks.get(stage).and_then(|peaks| peaks.host_cpu_max_percent)
            && host >= HOST_BUSY_PERCENT
        {
            warnings.push(format!(
                "the host was busy ({host:.0}% CPU) with other work, while the load generator itself kept up: its numbers stand, but the service may share this machine's CPU"
            ));
        }
        if let Some(info) = self.stages.get(stage) {
            let compiled = &self.plan.scenarios[info.scenario].compiled;
            let checks_degradation = compiled
                .targets
                .iter()
                .any(|target| target.expr.metric == crate::preset::target::Metric::Degradation);
            if checks_degradation
                && let Some(CompiledBaseline::Scenario(name)) = &compiled.baseline
                && self.baseline(info.scenario).is_none()
            {
                warnings.push(format!(
                    "degradation targets unchecked: the baseline scenario {name:?} did not run in this run (run the whole preset, or set baseline = {{ run = \"<a saved run>\" }})"
                ));
            }
        }
        warnings
    }

    fn elapsed_secs(&self) -> f64 {
        self.run_start.elapsed().as_secs_f64()
    }

    fn begin_stage(&mut self, stage: usize, scenario: usize, level: usize, load: LoadModel) {
        debug_assert_eq!(stage, self.stages.len());
        self.stage_peaks.push(ResourcePeaks::default());
        self.stages.push(StageInfo {
            scenario,
            level,
            load,
            started_secs: self.elapsed_secs(),
            ended_secs: None,
        });
    }

    fn end_stage(&mut self, stage: usize) {
        let now = self.elapsed_secs();
        if let Some(info) = self.stages.get_mut(stage) {
            info.ended_secs = Some(now);
        }
    }

    /// The generator's own load during a stage (so far, while it runs): its worker threads'
    /// CPU and timer lateness.
    fn generator_load(&self, stage: usize) -> Option<GeneratorLoad> {
        self.stages.get(stage)?;
        let wall_secs = self.stage_duration_secs(stage);
        let workers = self.worker_progress.len().max(1);
        let cpu_percent = self
            .recorded
            .worker_cpu_micros
            .get(&(stage as u32))
            .filter(|_| wall_secs > 0.0)
            .map(|micros| *micros as f64 / 1e6 / wall_secs / workers as f64 * 100.0);
        let lag = self.recorded.scheduling_lag.get(&(stage as u32));
        Some(GeneratorLoad {
            cpu_percent,
            workers,
            scheduling_lag_p99_micros: lag.map(|lag| lag.value_at_quantile(0.99)).unwrap_or(0),
            scheduling_lag_max_micros: lag.map(|lag| lag.max()).unwrap_or(0),
            scheduling_lag_samples: lag.map(|lag| lag.len()).unwrap_or(0),
        })
    }

    fn absorb(&mut self, report: WorkerReport) {
        if let Some(users) = self.worker_users.get_mut(report.worker) {
            *users = report.active_users;
        }
        if let Some(progress) = self.worker_progress.get_mut(report.worker) {
            *progress = WorkerProgress {
                stage: report.stage,
                oldest_open_stage: report.oldest_open_stage,
                finished: report.finished,
            };
        }
        if let Some(in_flight) = self.worker_in_flight.get_mut(report.worker) {
            *in_flight = report.in_flight;
        }
        self.recorded.merge(report.recorded);
    }

    fn current_users(&self, stage: usize) -> u32 {
        match self.stages.get(stage).map(|info| info.load) {
            Some(LoadModel::Open { .. }) => self.worker_in_flight.iter().sum(),
            _ => self.worker_users.iter().sum(),
        }
    }

    /// Closes every second that ended at least one second ago (all of them when `all`), so
    /// workers' 250 ms hand-overs have arrived.
    fn close_seconds(&mut self, all: bool) {
        let now_secs = self.elapsed_secs();
        let current = now_secs as u32;
        let stage = self.stages.len().saturating_sub(1);
        let users = self.current_users(stage);
        self.users_at_second.insert(current, (users, stage));
        let last_closable = if all { current + 1 } else { current.saturating_sub(1) };
        while self.next_second < last_closable {
            let second = self.next_second;
            let (users, stage) = self
                .users_at_second
                .range(second..)
                .next()
                .map(|(_, value)| *value)
                .unwrap_or((users, stage));
            let accum = self.recorded.seconds.remove(&second).unwrap_or_default();
            let has = !accum.latency.is_empty();
            let info = self.stages.get(stage);
            self.series.push(SeriesPoint {
                second,
                scenario: info.map(|info| info.scenario).unwrap_or(0),
                level: info.map(|info| info.level).unwrap_or(0),
                users,
                rps: accum.requests as f64,
                failures_per_sec: accum.failures as f64,
                p50_micros: has.then(|| accum.latency.value_at_quantile(0.50)),
                p95_micros: has.then(|| accum.latency.value_at_quantile(0.95)),
                p99_micros: has.then(|| accum.latency.value_at_quantile(0.99)),
                ttft_p50_micros: accum.ttft.as_ref().map(|ttft| ttft.value_at_quantile(0.50)),
                ttft_p95_micros: accum.ttft.as_ref().map(|ttft| ttft.value_at_quantile(0.95)),
                output_tokens_per_sec: (accum.output_tokens > 0 || accum.ttft.is_some()).then_some(accum.output_tokens as f64),
                resources: self.resource_seconds.remove(&second),
            });
            self.users_at_second.remove(&second);
            self.next_second += 1;
        }
    }

    /// What scenario `scenario_index`'s `degradation` targets compare with: a saved run's
    /// numbers, or an earlier scenario of this run once it has run (None when it did not run).
    fn baseline(&self, scenario_index: usize) -> Option<BaselineRecord> {
        let compiled = &self.plan.scenarios.get(scenario_index)?.compiled;
        match compiled.baseline.as_ref()? {
            CompiledBaseline::Run(record) => Some((**record).clone()),
            CompiledBaseline::Scenario(name) => {
                let base_index = self.plan.scenarios.iter().position(|scenario| &scenario.compiled.name == name)?;
                let stages: Vec<usize> = (0..self.stages.len())
                    .filter(|&stage| self.stages[stage].scenario == base_index)
                    .collect();
                if stages.is_empty() {
                    return None;
                }
                let duration: f64 = stages.iter().map(|&stage| self.stage_duration_secs(stage)).sum();
                let base = &self.plan.scenarios[base_index];
                let per_task: Vec<TaskAccum> = (0..base.tasks.len())
                    .map(|task| {
                        merged(
                            stages
                                .iter()
                                .filter_map(|&stage| self.recorded.tasks.get(&(stage as u32, task as u32))),
                        )
                    })
                    .collect();
                Some(BaselineRecord {
                    source: format!("scenario {name:?} of this run"),
                    scenario: name.clone(),
                    run_id: None,
                    total: stats(&merged(&per_task), duration),
                    tasks: base
                        .tasks
                        .iter()
                        .zip(&per_task)
                        .map(|(task, accum)| (task.name.clone(), stats(accum, duration)))
                        .collect(),
                })
            }
        }
    }

    fn stage_duration_secs(&self, stage: usize) -> f64 {
        let Some(info) = self.stages.get(stage) else { return 0.0 };
        info.ended_secs.unwrap_or_else(|| self.elapsed_secs()) - info.started_secs
    }

    /// Per-task accumulations of a stage, in task order (empty ones for tasks not yet seen).
    fn stage_tasks(&self, stage: usize) -> Vec<TaskAccum> {
        let Some(info) = self.stages.get(stage) else { return Vec::new() };
        let task_count = self.plan.scenarios[info.scenario].tasks.len();
        (0..task_count)
            .map(|task| self.recorded.tasks.get(&(stage as u32, task as u32)).cloned().unwrap_or_default())
            .collect()
    }

    fn stage_failures(&self, stage: usize) -> Vec<FailureRow> {
        let Some(info) = self.stages.get(stage) else { return Vec::new() };
        let scenario = &self.plan.scenarios[info.scenario];
        let mut rows: Vec<(&FailureKey, &FailureCount)> =
            self.recorded.failures.iter().filter(|(key, _)| key.stage == stage as u32).collect();
        rows.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(b.0)));
        rows.into_iter()
            .map(|(key, count)| FailureRow {
                task: scenario
                    .tasks
                    .get(key.task as usize)
                    .map(|task| task.name.clone())
                    .unwrap_or_default(),
                kind: key.kind.to_string(),
                message: key.message.clone(),
                count: count.count,
                first_seen_secs: Some(count.first_second),
                last_seen_secs: Some(count.last_second),
            })
            .collect()
    }

    /// Every task of every scenario run so far, over all its levels (named `scenario: task`
    /// when the suite has more than one scenario).
    fn run_tasks(&self) -> Vec<(String, TaskStats)> {
        let mut scenarios: Vec<usize> = self.stages.iter().map(|info| info.scenario).collect();
        scenarios.dedup();
        let several = self.plan.scenarios.len() > 1;
        let mut rows = Vec::new();
        for scenario_index in scenarios {
            let scenario = &self.plan.scenarios[scenario_index];
            let stages: Vec<usize> = (0..self.stages.len())
                .filter(|&stage| self.stages[stage].scenario == scenario_index)
                .collect();
            let duration: f64 = stages.iter().map(|&stage| self.stage_duration_secs(stage)).sum();
            for (task_index, task) in scenario.tasks.iter().enumerate() {
                let accum = merged(
                    stages
                        .iter()
                        .filter_map(|&stage| self.recorded.tasks.get(&(stage as u32, task_index as u32))),
                );
                let name = if several {
                    format!("{}: {}", scenario.compiled.name, task.name)
                } else {
                    task.name.clone()
                };
                rows.push((name, stats(&accum, duration)));
            }
        }
        rows
    }

    /// The failures of the whole run, grouped by task, kind and message, most frequent first.
    fn run_failures(&self) -> Vec<FailureRow> {
        let mut groups: std::collections::BTreeMap<(String, String, String), FailureRow> = std::collections::BTreeMap::new();
        for stage in 0..self.stages.len() {
            for row in self.stage_failures(stage) {
                match groups.entry((row.task.clone(), row.kind.clone(), row.message.clone())) {
                    std::collections::btree_map::Entry::Vacant(slot) => {
                        slot.insert(row);
                    }
                    std::collections::btree_map::Entry::Occupied(mut slot) => {
                        let group = slot.get_mut();
                        group.count += row.count;
                        group.first_seen_secs = group.first_seen_secs.min(row.first_seen_secs).or(row.first_seen_secs);
                        group.last_seen_secs = group.last_seen_secs.max(row.last_seen_secs);
                    }
                }
            }
        }
        let mut rows: Vec<FailureRow> = groups.into_values().collect();
        rows.sort_by_key(|row| std::cmp::Reverse(row.count));
        rows
    }

    fn stage_verdicts(&self, stage: usize, task_stats: &[(String, TaskStats)], total: &TaskStats) -> Vec<crate::run::Verdict> {
        let Some(info) = self.stages.get(stage) else { return Vec::new() };
        let tasks: Vec<(&str, &TaskStats)> = task_stats.iter().map(|(name, stats)| (name.as_str(), stats)).collect();
        let classes = &self.plan.scenarios[info.scenario].compiled.failure_classes;
        let class_names: Vec<String> = classes.iter().map(|class| class.name.clone()).collect();
        evaluate_level(
            &self.targets[info.scenario],
            &class_names,
            info.level,
            &tasks,
            total,
            self.stage_peaks.get(stage).filter(|peaks| !peaks.is_empty()),
            self.baseline(info.scenario).as_ref(),
        )
    }

    /// The first abort_on_fail target of this stage that fails, once the level has run past
    /// that target's delay.
    fn abort_reason(&self, stage: usize, level_elapsed: Duration) -> Option<String> {
        let info = self.stages.get(stage)?;
        let scenario = &self.plan.scenarios[info.scenario];
        let due: Vec<&crate::preset::compile::CompiledTarget> = scenario
            .compiled
            .targets
            .iter()
            .filter(|target| {
                target.abort_on_fail && target.level.is_none_or(|level| level == info.level) && level_elapsed >= target.abort_delay
            })
            .collect();
        if due.is_empty() {
            return None;
        }
        let duration = self.stage_duration_secs(stage);
        let accums = self.stage_tasks(stage);
        let task_stats: Vec<(String, TaskStats)> = scenario
            .tasks
            .iter()
            .zip(&accums)
            .map(|(task, accum)| (task.name.clone(), stats(accum, duration)))
            .collect();
        let total = stats(&merged(&accums), duration);
        let verdicts = self.stage_verdicts(stage, &task_stats, &total);
        let level_name = &scenario.compiled.levels[info.level].name;
        verdicts
            .iter()
            .filter(|verdict| !verdict.passed && due.iter().any(|target| target.text == verdict.target))
            .map(|verdict| {
                let observed = verdict
                    .observed
                    .map(|value| crate::preset::target::format_metric_value(verdict.metric, value))
                    .unwrap_or_else(|| "no requests".into());
                format!(
                    "target {:?} failed in {} / {} (observed {observed}); abort_on_fail stopped the run",
                    verdict.target, scenario.compiled.name, level_name
                )
            })
            .next()
    }

    fn snapshot(&mut self, stage: usize, phase: Phase) -> Snapshot {
        let info = self.stages.get(stage);
        let scenario_index = info.map(|info| info.scenario).unwrap_or(0);
        let level_index = info.map(|info| info.level).unwrap_or(0);
        let scenario = &self.plan.scenarios[scenario_index];
        let level = &scenario.compiled.levels[level_index];
        let duration = self.stage_duration_secs(stage);
        let accums = self.stage_tasks(stage);
        let level_tasks: Vec<(String, TaskStats)> = scenario
            .tasks
            .iter()
            .zip(&accums)
            .map(|(task, accum)| (task.name.clone(), stats(accum, duration)))
            .collect();
        let level_total = stats(&merged(&accums), duration);
        let run_total = stats(&merged(self.recorded.tasks.values()), self.elapsed_secs());
        let verdicts = self.stage_verdicts(stage, &level_tasks, &level_total);
        let (run_tasks, run_failures) = (self.run_tasks(), self.run_failures());
        let new_series = self.series[self.series_reported..].to_vec();
        self.series_reported = self.series.len();
        Snapshot {
            phase,
            elapsed_secs: self.elapsed_secs(),
            scenario_index,
            scenario_count: self.plan.scenarios.len(),
            scenario_name: scenario.compiled.name.clone(),
            level_index,
            level_count: scenario.compiled.levels.len(),
            level_name: level.name.clone(),
            level_elapsed_secs: duration,
            level_duration_secs: level.duration.as_secs_f64(),
            load: info.map(|info| info.load).unwrap_or(level.load),
            users: self.current_users(stage),
            rps_last_second: self.series.last().map(|point| point.rps).unwrap_or(0.0),
            level_tasks,
            level_total,
            run_total,
            run_tasks,
            run_failures,
            late_starts: self.recorded.late_starts.get(&(stage as u32)).copied().unwrap_or(0),
            new_series,
            failures: self.stage_failures(stage),
            verdicts,
            resources: self.latest_resources.clone(),
            monitor_status: self.monitor_status.clone(),
        }
    }

    fn level_record(&self, stage: usize) -> Option<LevelRecord> {
        let info = self.stages.get(stage)?;
        let scenario = &self.plan.scenarios[info.scenario];
        let level = &scenario.compiled.levels[info.level];
        let duration = self.stage_duration_secs(stage);
        let accums = self.stage_tasks(stage);
        let tasks: Vec<_> = scenario
            .tasks
            .iter()
            .zip(&accums)
            .map(|(task, accum)| summary(&task.name, accum, duration))
            .collect();
        let total = summary("Aggregated", &merged(&accums), duration);
        let task_stats: Vec<(String, TaskStats)> = tasks.iter().map(|task| (task.task.clone(), task.stats.clone())).collect();
        let verdicts = self.stage_verdicts(stage, &task_stats, &total.stats);
        Some(LevelRecord {
            index: info.level,
            name: level.name.clone(),
            load: info.load,
            planned_duration_secs: level.duration.as_secs_f64(),
            started_offset_secs: info.started_secs,
            ended_offset_secs: info.ended_secs,
            tasks,
            total,
            late_starts: self.recorded.late_starts.get(&(stage as u32)).copied().unwrap_or(0),
            failures: self.stage_failures(stage),
            verdicts,
            resources: self.stage_peaks.get(stage).filter(|peaks| !peaks.is_empty()).cloned(),
            warnings: self.stage_warnings(stage),
            generator: self.generator_load(stage),
        })
    }

    fn record(&self, status: RunStatus) -> RunRecord {
        let mut scenarios: Vec<ScenarioRecord> = Vec::new();
        for (stage, info) in self.stages.iter().enumerate() {
            if scenarios.len() <= info.scenario {
                let scenario = &self.plan.scenarios[info.scenario];
                scenarios.push(ScenarioRecord {
                    name: scenario.compiled.name.clone(),
                    base_url: scenario.compiled.base.text.clone(),
                    tasks: scenario.tasks.iter().map(|task| task.name.clone()).collect(),
                    failure_classes: scenario.compiled.failure_classes.iter().map(|class| class.name.clone()).collect(),
                    targets: self.targets[info.scenario].clone(),
                    levels: Vec::new(),
                    total: None,
                    baseline: self.baseline(info.scenario),
                });
            }
            if let (Some(level), Some(scenario)) = (self.level_record(stage), scenarios.last_mut()) {
                scenario.levels.push(level);
            }
        }
        for (index, scenario) in scenarios.iter_mut().enumerate() {
            let stage_range: Vec<u32> = self
                .stages
                .iter()
                .enumerate()
                .filter(|(_, info)| info.scenario == index)
                .map(|(stage, _)| stage as u32)
                .collect();
            let accum = merged(
                self.recorded
                    .tasks
                    .iter()
                    .filter(|((stage, _), _)| stage_range.contains(stage))
                    .map(|(_, accum)| accum),
            );
            let duration: f64 = scenario.levels.iter().map(LevelRecord::duration_secs).sum();
            scenario.total = Some(summary("Aggregated", &accum, duration));
        }
        let passed = if status == RunStatus::Running {
            None
        } else {
            all_passed(
                scenarios
                    .iter()
                    .flat_map(|scenario| scenario.levels.iter().flat_map(|level| level.verdicts.iter())),
            )
        };
        let total = summary("Aggregated", &merged(self.recorded.tasks.values()), self.elapsed_secs());
        let now = SystemTime::now();
        let mut record = RunRecord {
            format: RUN_FORMAT.into(),
            version: RUN_VERSION,
            app_version: env!("CARGO_PKG_VERSION").into(),
            id: self.id.clone(),
            host: HostInfo::current(),
            started_at: humantime::format_rfc3339_millis(self.started_at).to_string(),
            ended_at: (status != RunStatus::Running).then(|| humantime::format_rfc3339_millis(now).to_string()),
            saved_at: humantime::format_rfc3339_millis(now).to_string(),
            status,
            stop_reason: self.stop_reason.clone(),
            preset: PresetRecord {
                name: self.plan.preset.name.clone(),
                source: self.plan.preset.source.clone(),
                document: preset_document(&self.plan.preset.document),
            },
            scenarios,
            series: self.series.clone(),
            passed,
            total: Some(total),
            monitors: self.monitor_status.clone(),
            notes: String::new(),
            title: None,
            tags: Vec::new(),
            findings: Vec::new(),
            warnings: self.warnings.clone(),
        };
        if status != RunStatus::Running {
            record.findings = crate::analysis::findings::find(&record);
        }
        record
    }

    /// Hands the record to the saver thread: disk writes (an fsync can take seconds on a busy
    /// disk) never stall the controller's ticks, snapshots or a stop.
    fn save(&self, status: RunStatus, saver: &RunSaver) -> RunRecord {
        let record = self.record(status);
        saver.save(record.clone(), status != RunStatus::Running);
        record
    }
}

/// The next record to write (and whether it is the final one), with its wake-up.
type PendingSave = std::sync::Arc<(std::sync::Mutex<Option<(RunRecord, bool)>>, std::sync::Condvar)>;

/// Writes run files on its own thread, latest record first: autosaves that pile up behind a
/// slow disk are skipped in favour of the newest. A failed autosave keeps the last good file
/// (saves are atomic) and the next one tries again; a failed final save goes to a fallback.
struct RunSaver {
    pending: PendingSave,
    thread: Option<std::thread::JoinHandle<SaveOutcome>>,
}

impl RunSaver {
    fn start(path: std::path::PathBuf, sink: EventSink) -> std::io::Result<RunSaver> {
        let pending: PendingSave = Default::default();
        let shared = pending.clone();
        let thread = std::thread::Builder::new().name("loadscope-saver".into()).spawn(move || {
            let (slot, ready) = &*shared;
            loop {
                let next = {
                    let mut guard = match slot.lock() {
                        Ok(guard) => guard,
                        Err(poisoned) => poisoned.into_inner(),
                    };
                    while guard.is_none() {
                        guard = match ready.wait(guard) {
                            Ok(guard) => guard,
                            Err(poisoned) => poisoned.into_inner(),
                        };
                    }
                    guard.take()
                };
                let Some((record, final_save)) = next else { continue };
                match save_atomic(&record, &path) {
                    Ok(()) => {
                        sink.send(Event::Saved {
                            path: path.clone(),
                            final_save,
                        });
                        if final_save {
                            return SaveOutcome::Saved(path);
                        }
                    }
                    Err(err) => {
                        sink.send(Event::SaveFailed {
                            path: path.clone(),
                            error: err.to_string(),
                        });
                        if final_save {
                            return save_fallback(&record, &path, err.to_string());
                        }
                    }
                }
            }
        })?;
        Ok(RunSaver {
            pending,
            thread: Some(thread),
        })
    }

    fn save(&self, record: RunRecord, final_save: bool) {
        let (slot, ready) = &*self.pending;
        let mut guard = match slot.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        // A final save is never replaced by a later autosave (there is none after it).
        if guard.as_ref().is_none_or(|(_, pending_final)| !pending_final) {
            *guard = Some((record, final_save));
        }
        ready.notify_one();
    }

    /// Waits until the final save is on disk (or could not be), and says where it went.
    fn finish(mut self) -> SaveOutcome {
        match self.thread.take().map(|thread| thread.join()) {
            Some(Ok(outcome)) => outcome,
            _ => SaveOutcome::NotSaved {
                error: "the run-file writer stopped unexpectedly".into(),
            },
        }
    }
}

/// The final save failed at `planned`: write the run into the data dir's `runs/`, else the
/// temp dir, under a new name; NotSaved only when neither takes it.
fn save_fallback(record: &RunRecord, planned: &std::path::Path, planned_error: String) -> SaveOutcome {
    let file_name = crate::run::library::library_file_name(&record.id, &record.preset.name);
    let mut tried = vec![format!("{}: {planned_error}", planned.display())];
    for dir in [crate::run::library::default_runs_dir(), std::env::temp_dir()] {
        let path = dir.join(&file_name);
        if path == planned {
            continue;
        }
        match crate::run::save::save_new(record, &path) {
            Ok(()) => {
                return SaveOutcome::Fallback {
                    path,
                    planned: planned.to_path_buf(),
                    error: planned_error,
                };
            }
            Err(err) => tried.push(err.to_string()),
        }
    }
    SaveOutcome::NotSaved { error: tried.join("; ") }
}

/// The preset as run, as JSON, with literal credentials in headers replaced.
fn preset_document(preset: &crate::preset::model::Preset) -> serde_json::Value {
    let mut copy = preset.clone();
    for scenario in &mut copy.scenarios {
        for (name, value) in scenario.service.headers.iter_mut() {
            *value = redact_header_value(name, value);
        }
        for task in &mut scenario.tasks {
            for (name, value) in task.get_mut().headers.iter_mut() {
                *value = redact_header_value(name, value);
            }
        }
    }
    serde_json::to_value(&copy).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramps_at_the_spawn_rate() {
        assert_eq!(ramp(0, 10, Some(1.0), Duration::ZERO), 1, "the first user starts at once");
        assert_eq!(ramp(0, 10, Some(1.0), Duration::from_millis(4_500)), 5);
        assert_eq!(ramp(0, 10, Some(1.0), Duration::from_secs(60)), 10);
        assert_eq!(ramp(10, 50, Some(5.0), Duration::from_secs(2)), 21);
        assert_eq!(ramp(50, 10, Some(10.0), Duration::from_secs(1)), 39, "ramps down at the same rate");
        assert_eq!(ramp(0, 100, None, Duration::ZERO), 100, "no spawn rate: all at once");
    }
}
