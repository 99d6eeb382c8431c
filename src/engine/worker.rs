//! A worker thread: one current-thread tokio runtime running its share of the virtual users
//! (closed model) or of the request schedule (open model), recording into its own
//! [`Recorder`] and handing the contents to the controller every 250 ms.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::SmallRng;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

use super::outcome::{Done, FailureKind};
use super::plan::{Reply, ScenarioPlan, Work};
use super::protocols::mcp::session::{self as mcp_session, Client};
use super::recorder::Recorder;
use super::request::perform;
use super::worker_state::{StopSignal, WorkerState, arrival_permit, record};

/// How often a worker hands its recordings to the controller.
pub(crate) const FLUSH_EVERY: Duration = Duration::from_millis(250);

/// What the controller tells a worker.
pub(crate) enum WorkerCommand {
    /// Record into `stage` from now on. Users of another scenario finish their request and leave.
    Stage {
        stage: u32,
        scenario_index: usize,
        scenario: Arc<ScenarioPlan>,
        /// The requests the stage may start, shared by every worker (a level's `requests`).
        budget: Option<Arc<std::sync::atomic::AtomicU64>>,
    },
    /// Closed model: run this many users (this worker's share); ends any open-model schedule.
    SetUsers(u32),
    /// Open model: start requests at this rate (this worker's share), at most this many at once.
    Open { rate_per_sec: f64, max_in_flight: u32 },
    /// End all traffic now.
    Stop,
}

/// What a worker sends back.
pub(crate) struct WorkerReport {
    pub worker: usize,
    pub recorded: Recorder,
    /// Users running (closed model).
    pub active_users: u32,
    /// User tasks still alive, stopping ones included (they may be closing sessions).
    pub live_users: u32,
    /// Requests in flight (open model).
    pub in_flight: u32,
    /// The worker has stopped; this is its last report.
    pub finished: bool,
    /// The stage this worker records new requests into.
    pub stage: u32,
    /// The earliest stage that still has requests in flight on this worker: that stage's
    /// numbers are not final until it is past.
    pub oldest_open_stage: Option<u32>,
}

/// How often a user whose level has started all its `requests` looks for the next level.
const BUDGET_SPENT_POLL: Duration = Duration::from_millis(50);

/// How often a worker's timer checks its own scheduling lag.
pub(crate) const LAG_TICK: Duration = Duration::from_millis(20);

struct UserHandle {
    stop: Rc<StopSignal>,
    task: JoinHandle<()>,
}

/// Runs a worker on the current thread until it is told to stop or the controller goes away.
pub(crate) fn run_worker(
    worker: usize,
    workers: usize,
    run_start: Instant,
    mut commands: UnboundedReceiver<WorkerCommand>,
    reports: UnboundedSender<WorkerReport>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(_) => {
            let _ = reports.send(WorkerReport {
                worker,
                recorded: Recorder::default(),
                active_users: 0,
                live_users: 0,
                in_flight: 0,
                finished: true,
                stage: u32::MAX,
                oldest_open_stage: None,
            });
            return;
        }
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let state = Rc::new(WorkerState {
            run_start,
            recorder: RefCell::new(Recorder::default()),
            stage: Cell::new(0),
            scenario_index: Cell::new(usize::MAX),
            in_flight: Cell::new(0),
            open: RefCell::new(Vec::new()),
            budget: RefCell::new(None),
        });
        spawn_lag_probe(state.clone());
        let mut scenario: Option<Arc<ScenarioPlan>> = None;
        let mut users: Vec<UserHandle> = Vec::new();
        let mut open_driver: Option<UserHandle> = None;
        let mut next_user_number = 0u64;
        let mut flush = tokio::time::interval(FLUSH_EVERY);
        flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let cpu_seen = Cell::new(super::generator::thread_cpu_micros());
        let report = |state: &WorkerState, users: &[UserHandle], finished: bool| {
            // This thread's CPU since the last hand-over, charged to the stage it worked on.
            let cpu_now = super::generator::thread_cpu_micros();
            if let (Some(before), Some(now)) = (cpu_seen.get(), cpu_now) {
                *state
                    .recorder
                    .borrow_mut()
                    .worker_cpu_micros
                    .entry(state.stage.get())
                    .or_insert(0) += now.saturating_sub(before);
            }
            cpu_seen.set(cpu_now);
            let recorded = state.recorder.borrow_mut().take();
            let active_users = users.iter().filter(|user| !user.stop.get() && !user.task.is_finished()).count() as u32;
            let live_users = users.iter().filter(|user| !user.task.is_finished()).count() as u32;
            let oldest_open_stage = state.oldest_open_stage();
            let _ = reports.send(WorkerReport {
                worker,
                recorded,
                active_users,
                live_users,
                in_flight: state.in_flight.get(),
                finished,
                stage: state.stage.get(),
                oldest_open_stage,
            });
        };
        loop {
            tokio::select! {
                command = commands.recv() => match command {
                    Some(WorkerCommand::Stage { stage, scenario_index, scenario: plan, budget }) => {
                        state.stage.set(stage);
                        *state.budget.borrow_mut() = budget;
                        if state.scenario_index.get() != scenario_index {
                            for user in &users {
                                user.stop.stop();
                            }
                            state.scenario_index.set(scenario_index);
                        }
                        if let Some(driver) = open_driver.take() {
                            driver.stop.stop();
                        }
                        scenario = Some(plan);
                    }
                    Some(WorkerCommand::SetUsers(wanted)) => {
                        // Users and an arrival schedule never run together.
                        if let Some(driver) = open_driver.take() {
                            driver.stop.stop();
                        }
                        users.retain(|user| !user.task.is_finished());
                        let Some(plan) = scenario.clone() else { continue };
                        let mut active: Vec<&UserHandle> = users.iter().filter(|user| !user.stop.get()).collect();
                        while (active.len() as u32) > wanted {
                            if let Some(user) = active.pop() {
                                user.stop.stop();
                            }
                        }
                        let missing = wanted.saturating_sub(active.len() as u32);
                        for _ in 0..missing {
                            let user_id = worker as u64 + workers as u64 * next_user_number;
                            next_user_number += 1;
                            let stop = Rc::new(StopSignal::default());
                            let task = tokio::task::spawn_local(user_loop(state.clone(), plan.clone(), state.scenario_index.get(), user_id, stop.clone()));
                            users.push(UserHandle { stop, task });
                        }
                    }
                    Some(WorkerCommand::Open { rate_per_sec, max_in_flight }) => {
                        if let Some(driver) = open_driver.take() {
                            driver.stop.stop();
                        }
                        for user in &users {
                            user.stop.stop();
                        }
                        let Some(plan) = scenario.clone() else { continue };
                        if plan.compiled.trace.is_some() {
                            // A trace's arrivals follow the file, not a rate.
                            let stop = Rc::new(StopSignal::default());
                            let task = tokio::task::spawn_local(super::trace_replay::replay(state.clone(), plan, state.scenario_index.get(), (worker, workers), max_in_flight, stop.clone()));
                            open_driver = Some(UserHandle { stop, task });
                        } else if rate_per_sec > 0.0 && max_in_flight > 0 {
                            let stop = Rc::new(StopSignal::default());
                            // Spread the workers' schedules evenly over one interval.
                            let phase = worker as f64 / workers.max(1) as f64;
                            let task = tokio::task::spawn_local(open_loop(state.clone(), plan, state.scenario_index.get(), rate_per_sec, max_in_flight, phase, stop.clone()));
                            open_driver = Some(UserHandle { stop, task });
                        }
                    }
                    Some(WorkerCommand::Stop) | None => break,
                },
                _ = flush.tick() => report(&state, &users, false),
            }
        }
        if let Some(driver) = open_driver.take() {
            driver.stop.stop();
            driver.task.abort();
        }
        for user in &users {
            user.stop.stop();
            user.task.abort();
        }
        count_unfinished(&state);
        report(&state, &[], true);
    });
    // Dropping the LocalSet drops every task still alive, closing its connection.
}

/// The generator's own load: how late a periodic timer fires on this thread's runtime,
/// recorded for the stage running.
fn spawn_lag_probe(state: Rc<WorkerState>) {
    tokio::task::spawn_local(async move {
        loop {
            let deadline = Instant::now() + LAG_TICK;
            tokio::time::sleep_until(deadline.into()).await;
            let lag_micros = deadline.elapsed().as_micros() as u64;
            state.recorder.borrow_mut().record_lag(state.stage.get(), lag_micros);
        }
    });
}

/// Requests cut off by the stop are counted as unfinished, not lost.
fn count_unfinished(state: &WorkerState) {
    let open = std::mem::take(&mut *state.open.borrow_mut());
    for (stage, task, count) in open {
        state.recorder.borrow_mut().record_unfinished(stage, task, u64::from(count));
    }
}

async fn user_loop(state: Rc<WorkerState>, scenario: Arc<ScenarioPlan>, scenario_index: usize, user_id: u64, stop: Rc<StopSignal>) {
    let mut rng = SmallRng::seed_from_u64(rand::random());
    let mut client = Client::default();
    let mut seq = 0u64;
    loop {
        if stop.get() || state.scenario_index.get() != scenario_index {
            break;
        }
        if !state.take_request() {
            // The level's requests have all started: this user waits for the next level (it
            // ends within moments, once they have finished).
            stop.sleep(BUDGET_SPENT_POLL).await;
            continue;
        }
        let stage = state.stage.get();
        let failed = match scenario.pick_work(&mut rng) {
            Work::Task(task) => run_task(&state, &scenario, stage, task, &mut client, user_id, seq, None).await,
            Work::Journey(journey) => {
                let mut run = super::journey::JourneyRun {
                    state: &state,
                    scenario: &scenario,
                    stage,
                    client: &mut client,
                    user_id,
                    seq,
                    stop: Some(&stop),
                    rng: &mut rng,
                };
                // Boxed: a journey's future (its steps, tool rounds and MCP calls) is several
                // times a request's, and every user's task would carry its size unboxed.
                Box::pin(run.run(journey, None)).await
            }
        };
        seq += 1;
        match failed {
            // Out of descriptors or ports: fails at once, so without a pause this user would
            // spin and flood the failure table; the pause is the generator's, not measured.
            Some(FailureKind::Generator) if !stop.get() => stop.sleep(GENERATOR_BACKOFF).await,
            // A request that fails before any I/O (a template that cannot render) never yields
            // to the runtime: spend the task's cooperative budget so the worker's other users,
            // its hand-overs and its commands still run. (Requests that do I/O spend it there.)
            Some(_) => tokio::task::coop::consume_budget().await,
            None => {}
        }
        let think = scenario.think_time(&mut rng);
        if !think.is_zero() && !stop.get() {
            client.release_buffers();
            stop.sleep(think).await;
        }
    }
    // A user that stops gracefully ends its MCP sessions.
    mcp_session::close_sessions(&scenario, &mut client).await;
}

/// How long a user waits after the load generator itself could not open a connection.
pub(crate) const GENERATOR_BACKOFF: Duration = Duration::from_millis(100);

/// Performs one task and records what happened (an MCP session opening included); returns how
/// it failed, if it did (a session that could not open counts as the task's failure).
#[allow(clippy::too_many_arguments)]
async fn run_task(
    state: &WorkerState,
    scenario: &ScenarioPlan,
    stage: u32,
    task: usize,
    client: &mut Client,
    user_id: u64,
    seq: u64,
    intended: Option<Instant>,
) -> Option<FailureKind> {
    // Closed only when the request is recorded: an aborted one stays open and is counted as
    // unfinished when the worker stops.
    state.open_request(stage, task as u32);
    let kind = |done: &Done| done.failure.as_ref().map(|(kind, _)| *kind);
    let failed = if scenario.tasks[task].reply == Reply::Mcp {
        let init_task = scenario.mcp_init_task.unwrap_or(task) as u32;
        let mut opening_failed = None;
        let done = mcp_session::perform(scenario, task, client, user_id, seq, intended, None, &mut |mut opened| {
            opening_failed = opening_failed.or(kind(&opened));
            record(state, scenario, stage, init_task, &mut opened);
        })
        .await;
        let call_failed = done.as_ref().and_then(|(done, _)| kind(done));
        if let Some((mut done, _)) = done {
            record(state, scenario, stage, task as u32, &mut done);
        }
        call_failed.or(opening_failed)
    } else {
        let mut done = perform(scenario, task, client, user_id, seq, intended, None).await;
        record(state, scenario, stage, task as u32, &mut done);
        kind(&done)
    };
    state.close_request(stage, task as u32);
    failed
}

async fn open_loop(
    state: Rc<WorkerState>,
    scenario: Arc<ScenarioPlan>,
    scenario_index: usize,
    rate_per_sec: f64,
    max_in_flight: u32,
    phase: f64,
    stop: Rc<StopSignal>,
) {
    let pool: Rc<RefCell<Vec<Client>>> = Rc::new(RefCell::new(Vec::new()));
    let permits = Arc::new(tokio::sync::Semaphore::new(max_in_flight as usize));
    let first = Instant::now() + Duration::from_secs_f64(phase / rate_per_sec);
    let mut issued = 0u64;
    let mut rng = SmallRng::seed_from_u64(rand::random());
    loop {
        let intended = first + Duration::from_secs_f64(issued as f64 / rate_per_sec);
        tokio::time::sleep_until(intended.into()).await;
        if stop.get() || state.scenario_index.get() != scenario_index {
            break;
        }
        let stage = state.stage.get();
        let Some(permit) = arrival_permit(&state, &permits, &stop, stage, intended).await else {
            break;
        };
        if !state.take_request() {
            // The level's requests have all started: no arrival after them is missed.
            return;
        }
        let work = scenario.pick_work(&mut rng);
        let mut client = pool.borrow_mut().pop().unwrap_or_default();
        // Each arrival is a new visitor: a pooled connection carries no conversation over.
        client.conversations = Default::default();
        let (state2, scenario2, pool2) = (state.clone(), scenario.clone(), pool.clone());
        state.in_flight.set(state.in_flight.get() + 1);
        let mut journey_rng = SmallRng::seed_from_u64(rand::random());
        tokio::task::spawn_local(async move {
            let _ = match work {
                Work::Task(task) => run_task(&state2, &scenario2, stage, task, &mut client, issued, issued, Some(intended)).await,
                Work::Journey(journey) => {
                    let mut run = super::journey::JourneyRun {
                        state: &state2,
                        scenario: &scenario2,
                        stage,
                        client: &mut client,
                        user_id: issued,
                        seq: issued,
                        stop: None,
                        rng: &mut journey_rng,
                    };
                    Box::pin(run.run(journey, Some(intended))).await
                }
            };
            state2.in_flight.set(state2.in_flight.get().saturating_sub(1));
            if client.connected() {
                pool2.borrow_mut().push(client);
            }
            drop(permit);
        });
        issued += 1;
    }
    // Scheduled starts that never happened (the in-flight cap held them back) are late too.
    let due = (first.elapsed().as_secs_f64() * rate_per_sec).floor() as u64;
    let missed = due.saturating_sub(issued);
    if missed > 0 {
        let stage = state.stage.get();
        let mut recorder = state.recorder.borrow_mut();
        for _ in 0..missed {
            recorder.record_late_start(stage);
        }
    }
}
