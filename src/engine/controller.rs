//! The controller: runs the levels of every scenario in order, ramps users at the spawn rate,
//! obeys commands, merges the workers' recordings, emits snapshots every 250 ms, closes one
//! series point per second, checks abort_on_fail targets, and saves the run file every few
//! seconds and at the end.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::autosave::RunSaver;
use super::level_source::{LevelSource, NextLevel};
use super::plan::RunPlan;
use super::run_state::{RunState, WorkerProgress};
use super::worker::{WorkerCommand, WorkerReport, run_worker};
use super::{Command, Event, Observer, Phase, Waker, preflight};
use crate::measure::LoadModel;
use crate::monitor::{MonitorReport, Monitors};
use crate::run::{RunStatus, save_atomic};

const TICK: Duration = Duration::from_millis(100);
const SNAPSHOT_EVERY: Duration = Duration::from_millis(250);

/// Sends events and wakes the front end.
#[derive(Clone)]
pub struct EventSink {
    events: mpsc::Sender<Event>,
    waker: Option<Waker>,
    observer: Option<Observer>,
}

impl EventSink {
    pub fn new(events: mpsc::Sender<Event>, waker: Option<Waker>, observer: Option<Observer>) -> EventSink {
        EventSink { events, waker, observer }
    }

    /// Whether something besides the front end reads the events (it wants the snapshots'
    /// bucket counts).
    pub(crate) fn observed(&self) -> bool {
        self.observer.is_some()
    }

    pub(crate) fn send(&self, event: Event) {
        if let Some(observer) = &self.observer {
            observer(&event);
        }
        let snapshot = matches!(event, Event::Snapshot(_));
        let _ = self.events.send(event);
        if let Some(waker) = &self.waker
            && !snapshot
        {
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
    /// A capacity search found its answer (during the warm-up after its last step).
    SearchDone,
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

/// A segment whose first level begins later than this after `--start-at` says so in its record.
pub const LATE_START_TOLERANCE_MILLIS: f64 = 50.0;

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

    let mut start_warnings = super::generator::start_warnings(&plan);
    // Segments of one run start their first level together, at `--start-at`.
    let start_offset_millis = match plan.start_at {
        Some(at) => {
            if let Ok(wait) = at.duration_since(std::time::SystemTime::now()) {
                match interruptible(tokio::time::sleep(wait), commands, sink).await {
                    Interrupted::Done(()) => {}
                    Interrupted::Stopped => {
                        sink.send(Event::Cancelled);
                        return Continue::WaitForCommands;
                    }
                    Interrupted::Shutdown => return Continue::Shutdown,
                }
            }
            let offset = match std::time::SystemTime::now().duration_since(at) {
                Ok(late) => late.as_secs_f64() * 1000.0,
                Err(early) => -early.duration().as_secs_f64() * 1000.0,
            };
            if offset > LATE_START_TOLERANCE_MILLIS {
                start_warnings.push(format!(
                    "Late start: load began {offset:.0} ms after --start-at {} (the checks or the process start took longer); this segment did not run in step with the others. Give --start-at more lead time",
                    humantime::format_rfc3339_millis(at)
                ));
            }
            Some(offset)
        }
        None => None,
    };
    for warning in &start_warnings {
        sink.send(Event::Warning(warning.clone()));
    }
    let run_start = Instant::now();
    let mut run = RunState::new(plan.clone(), run_start);
    run.warnings = start_warnings;
    run.start_offset_millis = start_offset_millis;
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
        run_id: plan.run_id.clone(),
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
        let mut levels = LevelSource::new(scenario_index, scenario);
        while let Some(next) = levels.next() {
            let NextLevel {
                index: level_index,
                level,
                warmup,
                waiting_for,
            } = next;
            run.begin_stage(stage, scenario_index, level_index, &level, warmup);
            broadcast(&|_| WorkerCommand::Stage {
                stage: stage as u32,
                scenario_index,
                scenario: scenario.clone(),
            });
            let mut level_start = Instant::now();
            // A warm-up waiting for the step before it to settle lasts until it has.
            let mut level_duration = if waiting_for.is_some() { Duration::MAX } else { level.duration };
            let mut ramp_start = level_start;
            let mut ramp_from = users_now;
            let mut last_abort_check = level_start;
            if let LoadModel::Open {
                rate_per_sec,
                max_in_flight,
            } = level.load
            {
                users_now = 0;
                // After an open-model search step, arrivals stop until the requests in flight
                // have finished (each within the scenario's timeout), so the next step starts
                // with no queue left from this one: a failed step's backlog would otherwise
                // make every later step look slower than its own load.
                if waiting_for.is_none() {
                    let count = workers.len() as f64;
                    broadcast(&|index| WorkerCommand::Open {
                        rate_per_sec: rate_per_sec / count,
                        max_in_flight: share(max_in_flight, index).max(1),
                    });
                }
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
                        if now - level_start >= level_duration {
                            // A search step that cannot tell yet whether it held is measured
                            // longer rather than judged on too little.
                            let more = if warmup { None } else { levels.wants_more(&run, stage) };
                            match more {
                                Some(more) => level_duration += more,
                                None => break LevelEnd::Elapsed,
                            }
                        }
                        if !warmup && now - last_abort_check >= Duration::from_secs(1) {
                            last_abort_check = now;
                            if levels.searching()
                                && let Some(why) = run.step_breakdown(stage)
                            {
                                levels.broke_down(stage, why);
                                break LevelEnd::Elapsed;
                            }
                            if let Some(reason) = run.abort_reason(stage, now - level_start) {
                                break LevelEnd::Aborted(reason);
                            }
                        }
                    }
                    _ = snapshot_tick.tick() => sink.send(Event::Snapshot(Box::new(run.snapshot(stage, Phase::Running, sink.observed())))),
                    _ = autosave.tick() => {
                        run.save(RunStatus::Running, &saver);
                    }
                    Some(report) = reports.recv() => {
                        run.absorb(report);
                        run.emit_finished_levels(sink, false);
                        // The step before this warm-up has its final numbers: the search decides
                        // the next load (or ends), and the warm-up starts over at it.
                        if let Some(measured) = waiting_for
                            && level_duration == Duration::MAX
                            && !run.unreported_stages.contains(&measured)
                        {
                            match levels.decide(&mut run, measured) {
                                Some(load) => {
                                    run.stages[stage].load = load;
                                    match load {
                                        LoadModel::Closed { .. } => {
                                            ramp_from = users_now;
                                            ramp_start = Instant::now();
                                        }
                                        LoadModel::Open { rate_per_sec, max_in_flight } => {
                                            let count = workers.len() as f64;
                                            broadcast(&|index| WorkerCommand::Open { rate_per_sec: rate_per_sec / count, max_in_flight: share(max_in_flight, index).max(1) });
                                        }
                                    }
                                    level_start = Instant::now();
                                    level_duration = level.duration;
                                }
                                None => break LevelEnd::SearchDone,
                            }
                        }
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
                LevelEnd::Elapsed | LevelEnd::Skipped => levels.ended(stage, warmup),
                LevelEnd::SearchDone => {
                    stage += 1;
                    break;
                }
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
    let final_snapshot = run.snapshot(stage.min(run.stages.len().saturating_sub(1)), Phase::Finished, sink.observed());
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
