//! The controller: runs the levels of every scenario in order, ramps users at the spawn rate,
//! obeys commands, merges the workers' recordings, emits snapshots every 250 ms, closes one
//! series point per second, checks abort_on_fail targets, and saves the run file every few
//! seconds and at the end.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedReceiver;

use super::autosave::RunSaver;
use super::event_sink::EventSink;
use super::level_source::{LevelSource, NextLevel};
use super::plan::RunPlan;
use super::run_state::RunState;
use super::worker_pool::WorkerPool;
use super::{Command, Event, Phase, RunWarning, StartError, preflight};
use crate::measure::LoadModel;
use crate::monitor::{MonitorReport, Monitors};
use crate::run::{RunStatus, save_atomic};

const TICK: Duration = Duration::from_millis(100);
const SNAPSHOT_EVERY: Duration = Duration::from_millis(250);

/// The controller thread's body: waits for `Start`, runs, repeats, until the command channel
/// closes.
pub(crate) fn serve(mut commands: UnboundedReceiver<Command>, sink: EventSink) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            sink.send(Event::StartFailed(StartError::Runtime(Arc::new(err))));
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
#[derive(PartialEq, Eq)]
enum LevelEnd {
    Elapsed,
    /// A level counted in `requests` has had them all finish.
    RequestsDone,
    Skipped,
    /// A capacity search found its answer (during the warm-up after its last step).
    SearchDone,
    Stopped,
    /// The engine shuts down (the front end went away).
    Shutdown,
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
pub(crate) const LATE_START_TOLERANCE_MILLIS: f64 = 50.0;

/// One run: [`prepare`] (checks, the claimed file, workers, monitors), [`run_level`] for each
/// level of each scenario in order, then [`finish`] (drain, stop, the final save).
async fn execute(plan: Arc<RunPlan>, commands: &mut UnboundedReceiver<Command>, sink: &EventSink) -> Continue {
    let mut running = match prepare(&plan, commands, sink).await {
        Ok(running) => running,
        Err(after) => return after,
    };
    let mut outcome = RunStatus::Completed;
    let mut after = Continue::WaitForCommands;
    let mut stage = 0usize;
    'scenarios: for (scenario_index, scenario) in plan.scenarios.iter().enumerate() {
        let mut users_now = 0u32;
        let mut levels = LevelSource::new(scenario_index, scenario);
        while let Some(next) = levels.next() {
            let warmup = next.warmup;
            let end = run_level(&mut running, &mut levels, next, stage, scenario, &mut users_now, commands, sink).await;
            match end {
                // The level ended when its last request did, not when the controller saw it
                // (up to a worker's hand-over later): its rates are over that time.
                LevelEnd::RequestsDone => running.run.end_stage_at_last_request(stage),
                _ => running.run.end_stage(stage),
            }
            match end {
                LevelEnd::Elapsed | LevelEnd::Skipped | LevelEnd::RequestsDone => levels.ended(stage, warmup),
                LevelEnd::SearchDone => {
                    stage += 1;
                    break;
                }
                LevelEnd::Stopped | LevelEnd::Shutdown => {
                    if end == LevelEnd::Shutdown {
                        after = Continue::Shutdown;
                    }
                    outcome = RunStatus::Stopped;
                    running.run.stop_because("stopped by request".into());
                    break 'scenarios;
                }
                LevelEnd::Aborted(reason) => {
                    outcome = RunStatus::Aborted;
                    running.run.stop_because(reason);
                    break 'scenarios;
                }
            }
            stage += 1;
        }
        // The next scenario starts from zero users; this one's finish their current request.
        running.pool.set_users(0);
    }
    finish(running, outcome, stage, sink).await;
    after
}

/// A run under way: what it knows, its workers, its saver, monitors and clocks.
struct Running {
    run: RunState,
    pool: WorkerPool,
    saver: RunSaver,
    monitors: Option<Monitors>,
    tick: tokio::time::Interval,
    snapshot_tick: tokio::time::Interval,
    autosave: tokio::time::Interval,
}

/// Everything before the first level: the run file is writable, the services answer their
/// health checks, setup ran, `--start-at` arrived; then the file is claimed, and monitors,
/// workers and the saver start. Err says what the engine does next (the reason went out).
async fn prepare(plan: &Arc<RunPlan>, commands: &mut UnboundedReceiver<Command>, sink: &EventSink) -> Result<Running, Continue> {
    let (warnings, start_offset_millis) = before_load(plan, commands, sink).await?;
    for warning in &warnings {
        sink.send(Event::Warning(warning.clone()));
    }
    let run_start = Instant::now();
    let run = RunState::new(
        plan.clone(),
        run_start,
        warnings.iter().map(ToString::to_string).collect(),
        start_offset_millis,
    );
    // The first save claims the file (a library name is created new, never over another run's)
    // before load starts, so a crash from here on leaves a run to recover.
    let first = run.record(RunStatus::Running);
    let claimed = if plan.out_must_be_new {
        crate::run::save::save_new(&first, &plan.out_path)
    } else {
        save_atomic(&first, &plan.out_path)
    };
    if let Err(err) = claimed {
        sink.send(Event::StartFailed(StartError::Claim(Arc::new(err))));
        return Err(Continue::WaitForCommands);
    }
    sink.send(Event::Started {
        out_path: plan.out_path.clone(),
        stages: plan.stage_count(),
        run_id: plan.run_id.clone(),
    });
    let monitors = match Monitors::start(plan.preset.monitors.clone()) {
        Ok(monitors) => Some(monitors),
        Err(err) => {
            sink.send(Event::Warning(RunWarning::MonitorsUnavailable { why: err.to_string() }));
            None
        }
    };
    let pool = WorkerPool::start(plan.workers, run_start).map_err(|why| {
        sink.send(Event::StartFailed(StartError::Workers(Arc::new(why))));
        Continue::WaitForCommands
    })?;
    let saver = RunSaver::start(plan.out_path.clone(), sink.clone(), first.preset.clone()).map_err(|err| {
        sink.send(Event::StartFailed(StartError::Saver(Arc::new(err))));
        Continue::WaitForCommands
    })?;
    let mut run = run;
    run.set_worker_count(pool.len());
    let interval = |every: Duration| {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        interval
    };
    let mut autosave = interval(plan.autosave_every.max(Duration::from_millis(200)));
    autosave.tick().await;
    Ok(Running {
        run,
        pool,
        saver,
        monitors,
        tick: interval(TICK),
        snapshot_tick: interval(SNAPSHOT_EVERY),
        autosave,
    })
}

/// The checks before any load (the file can be written, preflight, setup) and the wait for
/// `--start-at`: the run's start warnings and, for a segment, how late its load began.
async fn before_load(
    plan: &RunPlan,
    commands: &mut UnboundedReceiver<Command>,
    sink: &EventSink,
) -> Result<(Vec<RunWarning>, Option<f64>), Continue> {
    // Before anything is sent: a run whose file cannot be written is refused, not run blind.
    if let Err(why) = crate::run::save::check_writable(&plan.out_path, plan.out_must_be_new) {
        sink.send(Event::StartFailed(StartError::NotWritable(Arc::new(why))));
        return Err(Continue::WaitForCommands);
    }
    // Work interrupted by Stop is cancelled (by Shutdown, the engine ends).
    let cancel = || {
        sink.send(Event::Cancelled);
        Continue::WaitForCommands
    };
    let has_checks = plan
        .scenarios
        .iter()
        .any(|scenario| scenario.compiled.services.iter().any(|service| service.health.is_some()) || scenario.mcp_init_task.is_some());
    if plan.preflight && has_checks {
        sink.send(Event::PreflightStarted);
        let reports = match interruptible(preflight::check(plan), commands, sink).await {
            Interrupted::Done(reports) => reports,
            Interrupted::Stopped => return Err(cancel()),
            Interrupted::Shutdown => return Err(Continue::Shutdown),
        };
        if reports.iter().all(|report| report.ok()) {
            sink.send(Event::PreflightPassed(reports));
        } else {
            sink.send(Event::PreflightFailed(reports));
            return Err(Continue::WaitForCommands);
        }
    }
    if plan.scenarios.iter().any(|scenario| !scenario.compiled.setup.is_empty()) {
        match interruptible(super::setup::run(plan), commands, sink).await {
            Interrupted::Done(Ok(reports)) => sink.send(Event::SetupPassed(reports)),
            Interrupted::Done(Err(reports)) => {
                sink.send(Event::SetupFailed(reports));
                return Err(Continue::WaitForCommands);
            }
            Interrupted::Stopped => return Err(cancel()),
            Interrupted::Shutdown => return Err(Continue::Shutdown),
        }
    }
    let mut warnings = super::generator::start_warnings(plan);
    // Segments of one run start their first level together, at `--start-at`.
    let Some(at) = plan.start_at else { return Ok((warnings, None)) };
    if let Ok(wait) = at.duration_since(std::time::SystemTime::now()) {
        match interruptible(tokio::time::sleep(wait), commands, sink).await {
            Interrupted::Done(()) => {}
            Interrupted::Stopped => return Err(cancel()),
            Interrupted::Shutdown => return Err(Continue::Shutdown),
        }
    }
    let offset = match std::time::SystemTime::now().duration_since(at) {
        Ok(late) => late.as_secs_f64() * 1000.0,
        Err(early) => -early.duration().as_secs_f64() * 1000.0,
    };
    if offset > LATE_START_TOLERANCE_MILLIS {
        warnings.push(RunWarning::LateStart {
            offset_millis: offset,
            start_at: humantime::format_rfc3339_millis(at).to_string(),
        });
    }
    Ok((warnings, Some(offset)))
}

/// Runs one level (stage `stage`) until it elapses, is skipped or stopped, a target aborts
/// the run, or a capacity search ends: ramps users, closes seconds, sends snapshots, autosaves,
/// takes in reports and monitor samples, and obeys commands.
#[allow(clippy::too_many_arguments)]
async fn run_level(
    running: &mut Running,
    levels: &mut LevelSource<'_>,
    next: NextLevel,
    stage: usize,
    scenario: &Arc<super::plan::ScenarioPlan>,
    users_now: &mut u32,
    commands: &mut UnboundedReceiver<Command>,
    sink: &EventSink,
) -> LevelEnd {
    let NextLevel {
        index: level_index,
        level,
        warmup,
        waiting_for,
    } = next;
    let Running {
        run,
        pool,
        saver,
        monitors,
        tick,
        snapshot_tick,
        autosave,
    } = running;
    run.begin_stage(stage, levels.scenario_index(), level_index, &level, warmup);
    pool.enter_stage(stage, levels.scenario_index(), scenario, level.requests);
    let mut level_start = Instant::now();
    // A warm-up waiting for the step before it to settle lasts until it has.
    let mut level_duration = if waiting_for.is_some() { Duration::MAX } else { level.duration };
    let mut ramp_start = level_start;
    let mut ramp_from = *users_now;
    let mut last_abort_check = level_start;
    if let LoadModel::Open {
        rate_per_sec,
        max_in_flight,
    } = level.load
    {
        *users_now = 0;
        // After an open-model search step, arrivals stop (entering the stage stopped them)
        // until the requests in flight have finished (each within the scenario's timeout), so
        // the next step starts with no queue left from this one: a failed step's backlog would
        // otherwise make every later step look slower than its own load.
        if waiting_for.is_none() {
            pool.open(rate_per_sec, max_in_flight);
        }
    }
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let now = Instant::now();
                if let LoadModel::Closed { users, spawn_rate } = run.stage_load(stage) {
                    let target = ramp(ramp_from, users, spawn_rate, now - ramp_start);
                    if target != *users_now {
                        *users_now = target;
                        pool.set_users(target);
                    }
                }
                run.close_seconds(false);
                if level.requests.is_some_and(|count| run.stage_finished_requests(stage) >= count) {
                    return LevelEnd::RequestsDone;
                }
                if now - level_start >= level_duration {
                    // A search step that cannot tell yet whether it held is measured longer
                    // rather than judged on too little.
                    let more = if warmup { None } else { levels.wants_more(run, stage) };
                    match more {
                        Some(more) => level_duration += more,
                        None => return LevelEnd::Elapsed,
                    }
                }
                if !warmup && now - last_abort_check >= Duration::from_secs(1) {
                    last_abort_check = now;
                    if levels.searching()
                        && let Some(why) = run.step_breakdown(stage)
                    {
                        levels.broke_down(stage, why);
                        return LevelEnd::Elapsed;
                    }
                    if let Some(reason) = run.abort_reason(stage, now - level_start) {
                        return LevelEnd::Aborted(reason);
                    }
                }
            }
            _ = snapshot_tick.tick() => sink.send(Event::Snapshot(Box::new(run.snapshot(stage, Phase::Running, sink.observed())))),
            _ = autosave.tick() => run.autosave(saver),
            Some(report) = pool.next_report() => {
                run.absorb(report);
                run.emit_finished_levels(sink, false);
                // The step before this warm-up has its final numbers: the search decides the
                // next load (or ends), and the warm-up starts over at it.
                if let Some(measured) = waiting_for
                    && level_duration == Duration::MAX
                    && run.level_reported(measured)
                {
                    match levels.decide(run, measured) {
                        Some(load) => {
                            run.set_stage_load(stage, load);
                            match load {
                                LoadModel::Closed { .. } => {
                                    ramp_from = *users_now;
                                    ramp_start = Instant::now();
                                }
                                LoadModel::Open { rate_per_sec, max_in_flight } => pool.open(rate_per_sec, max_in_flight),
                            }
                            level_start = Instant::now();
                            level_duration = level.duration;
                        }
                        None => return LevelEnd::SearchDone,
                    }
                }
            }
            Some(report) = next_monitor_report(monitors) => run.absorb_resources(report),
            command = commands.recv() => match command {
                Some(Command::Stop) => return LevelEnd::Stopped,
                Some(Command::Shutdown) | None => return LevelEnd::Shutdown,
                Some(Command::NextLevel) => return LevelEnd::Skipped,
                Some(Command::SetUsers(users)) => match run.stage_load(stage) {
                    LoadModel::Closed { spawn_rate, .. } => {
                        run.set_stage_load(stage, LoadModel::Closed { users, spawn_rate });
                        ramp_from = *users_now;
                        ramp_start = Instant::now();
                    }
                    LoadModel::Open { .. } => sink.send(Event::Rejected("this level uses an arrival rate (open model); change the rate instead of users".into())),
                },
                Some(Command::SetRate(rate)) => match run.stage_load(stage) {
                    LoadModel::Open { max_in_flight, .. } if rate > 0.0 && rate.is_finite() => {
                        run.set_stage_load(stage, LoadModel::Open { rate_per_sec: rate, max_in_flight });
                        pool.open(rate, max_in_flight);
                    }
                    LoadModel::Open { .. } => sink.send(Event::Rejected(format!("rate {rate} must be a positive number of requests per second"))),
                    LoadModel::Closed { .. } => sink.send(Event::Rejected("this level runs users (closed model); change users instead of the rate".into())),
                },
                Some(Command::Start(_) | Command::Preflight(_)) => {
                    sink.send(Event::Rejected("a run is already in progress; stop it first".into()))
                }
            },
        }
    }
}

/// After the last level: users finish their request (a completed run), the workers stop, the
/// last numbers go out, and the final save is waited for.
async fn finish(running: Running, outcome: RunStatus, stage: usize, sink: &EventSink) {
    let Running {
        mut run, mut pool, saver, ..
    } = running;
    if outcome == RunStatus::Completed {
        pool.drain(&mut run, sink).await;
    }
    pool.stop_and_join(&mut run).await;
    // Every worker has stopped: whatever is still open was counted as unfinished.
    run.emit_finished_levels(sink, true);
    run.close_seconds(true);
    let final_snapshot = run.snapshot(stage.min(run.stage_count().saturating_sub(1)), Phase::Finished, sink.observed());
    sink.send(Event::Snapshot(Box::new(final_snapshot)));
    let record = run.save(outcome, &saver);
    let saved = saver.finish();
    sink.send(Event::Finished {
        record: Box::new(record),
        saved,
    });
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
