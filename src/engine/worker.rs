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

use super::conversation;
use super::outcome::{Done, FailureKind, TokenSource, failure_message};
use super::plan::{Reply, ScenarioPlan};
use super::protocols::chat::{StreamMeter, parse_completion};
use super::protocols::http;
use super::protocols::mcp::session::{self as mcp_session, Client};
use super::protocols::{checks, decode};
use super::recorder::{Recorder, Sample};
use crate::measure::objectives::{ReplyMeasures, RequestMeasures};

/// How often a worker hands its recordings to the controller.
pub(crate) const FLUSH_EVERY: Duration = Duration::from_millis(250);

/// An open-model request that starts this much after its scheduled time counts as late.
pub(crate) const LATE_AFTER: Duration = Duration::from_millis(10);

/// What the controller tells a worker.
pub(crate) enum WorkerCommand {
    /// Record into `stage` from now on. Users of another scenario finish their request and leave.
    Stage {
        stage: u32,
        scenario_index: usize,
        scenario: Arc<ScenarioPlan>,
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

/// How often a worker's timer checks its own scheduling lag.
pub(crate) const LAG_TICK: Duration = Duration::from_millis(20);

struct WorkerState {
    run_start: Instant,
    recorder: RefCell<Recorder>,
    stage: Cell<u32>,
    scenario_index: Cell<usize>,
    in_flight: Cell<u32>,
    /// Requests started and not yet recorded, as (stage, task, count): a few entries (the
    /// stages and tasks in flight at once), searched in place, so the request path does not
    /// allocate once it has warmed up.
    open: RefCell<Vec<(u32, u32, u32)>>,
}

impl WorkerState {
    fn open_request(&self, stage: u32, task: u32) {
        let mut open = self.open.borrow_mut();
        match open.iter_mut().find(|(s, t, _)| (*s, *t) == (stage, task)) {
            Some((_, _, count)) => *count += 1,
            None => open.push((stage, task, 1)),
        }
    }

    fn close_request(&self, stage: u32, task: u32) {
        let mut open = self.open.borrow_mut();
        if let Some(index) = open.iter().position(|(s, t, _)| (*s, *t) == (stage, task)) {
            open[index].2 -= 1;
            if open[index].2 == 0 {
                open.swap_remove(index);
            }
        }
    }

    /// The earliest stage with a request in flight.
    fn oldest_open_stage(&self) -> Option<u32> {
        self.open.borrow().iter().map(|(stage, _, _)| *stage).min()
    }
}

struct UserHandle {
    stop: Rc<StopSignal>,
    task: JoinHandle<()>,
}

/// Tells a user (or an open-model driver) to stop, waking it from think time.
#[derive(Default)]
struct StopSignal {
    stopped: Cell<bool>,
    wake: tokio::sync::Notify,
}

impl StopSignal {
    fn stop(&self) {
        self.stopped.set(true);
        self.wake.notify_one();
    }

    fn get(&self) -> bool {
        self.stopped.get()
    }

    /// Sleeps for `duration`, or less when told to stop.
    async fn sleep(&self, duration: Duration) {
        tokio::select! {
            _ = tokio::time::sleep(duration) => {}
            _ = self.wake.notified() => {}
        }
    }
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
                    Some(WorkerCommand::Stage { stage, scenario_index, scenario: plan }) => {
                        state.stage.set(stage);
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
                        if rate_per_sec > 0.0 && max_in_flight > 0 {
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
        let stage = state.stage.get();
        let task = scenario.pick_task(&mut rng);
        let failed = run_task(&state, &scenario, stage, task, &mut client, user_id, seq, None).await;
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
            if let Some(connection) = client.slot.as_mut() {
                connection.release_buffer();
            }
            stop.sleep(think).await;
        }
    }
    // A user that stops gracefully ends its MCP session.
    if let Some(task) = scenario.tasks.iter().position(|task| task.reply == Reply::Mcp) {
        mcp_session::close_session(&scenario, task, &mut client).await;
    }
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
        let done = mcp_session::perform(scenario, task, client, user_id, seq, intended, &mut |mut opened| {
            opening_failed = opening_failed.or(kind(&opened));
            record(state, scenario, stage, init_task, &mut opened)
        })
        .await;
        let call_failed = done.as_ref().and_then(kind);
        if let Some(mut done) = done {
            record(state, scenario, stage, task as u32, &mut done);
        }
        call_failed.or(opening_failed)
    } else {
        let mut done = perform(scenario, task, client, user_id, seq, intended).await;
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
        let mut late = false;
        let permit = match permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                late = true;
                let Ok(permit) = permits.clone().acquire_owned().await else { break };
                permit
            }
        };
        if stop.get() {
            break;
        }
        if late || intended.elapsed() > LATE_AFTER {
            state.recorder.borrow_mut().record_late_start(stage);
        }
        let task = scenario.pick_task(&mut rng);
        let mut client = pool.borrow_mut().pop().unwrap_or_default();
        // Each arrival is a new visitor: a pooled connection carries no conversation over.
        client.conversations = Default::default();
        let (state2, scenario2, pool2) = (state.clone(), scenario.clone(), pool.clone());
        state.in_flight.set(state.in_flight.get() + 1);
        tokio::task::spawn_local(async move {
            let _ = run_task(&state2, &scenario2, stage, task, &mut client, issued, issued, Some(intended)).await;
            state2.in_flight.set(state2.in_flight.get().saturating_sub(1));
            if client.slot.is_some() {
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

/// Builds and sends one request and judges the response. Latency runs from `intended` (open
/// model) or from when the request was handed to the connection (closed model).
async fn perform(scenario: &ScenarioPlan, task: usize, client: &mut Client, user_id: u64, seq: u64, intended: Option<Instant>) -> Done {
    let plan = &scenario.tasks[task];
    let Client { slot, conversations, .. } = client;
    let mut session = plan.multi_turn.then(|| conversations.with(task));
    let request = match scenario.request_bytes(task, user_id, seq, session.as_deref_mut()) {
        Ok(request) => request,
        Err(message) => {
            if let Some(session) = session {
                session.end();
            }
            return Done::not_sent(message.to_string());
        }
    };
    let classes_read_bodies = scenario.compiled.failure_classes.iter().any(|class| class.reads_body());
    let (stream, keep_body) = match plan.reply {
        Reply::Plain | Reply::Mcp | Reply::McpInit => (false, !plan.checks.is_empty() || classes_read_bodies),
        Reply::Chat { stream } => (stream, !stream || !plan.checks.is_empty() || classes_read_bodies),
    };
    // The reply's text is kept only when a later turn sends it again.
    let keep_reply = request.turn.is_some();
    let mut meter = if keep_reply { StreamMeter::capturing() } else { StreamMeter::new() };
    let mut head_at: Option<Instant> = None;
    let mut observe = |bytes: &[u8], at: Instant| {
        head_at.get_or_insert(at);
        if stream {
            meter.on_data(bytes, at);
        }
    };
    let exchange = http::exchange_following(
        &scenario.endpoint,
        slot,
        &request.bytes,
        plan.head_request,
        keep_body.then_some(plan.max_body_bytes),
        scenario.compiled.timeout,
        &mut observe,
        plan.follow_redirects,
    )
    .await;
    let start = intended.unwrap_or(exchange.sent_at);
    let latency_micros = exchange.done_at.saturating_duration_since(start).as_micros() as u64;
    let mut chat = None;
    let mut answer: (Option<u16>, bool, Vec<u8>) = (None, false, Vec::new());
    let (bytes_received, failure) = match exchange.result {
        Err(failure) if stream && meter.started() && failure.kind == FailureKind::Other => {
            (0, Some((FailureKind::StreamCut, failure.message)))
        }
        Err(failure) => (0, Some((failure.kind, failure.message))),
        Ok(response) => {
            let accepted = match &plan.expect_status {
                Some(expected) => expected.accepts(response.status),
                None => (200..300).contains(&response.status),
            };
            // An encoded body (gzip, br...) is decoded for the checks and the chat parser.
            let raw = response.body.as_deref().unwrap_or(&[]);
            let coding = response.content_encoding.as_deref().filter(|_| !raw.is_empty());
            let decoded = match coding {
                Some(coding) if !response.body_cut => Some(decode::decode_body(coding, raw, plan.max_body_bytes)),
                _ => None,
            };
            let body = match &decoded {
                Some(Ok(bytes)) => bytes.as_slice(),
                _ => raw,
            };
            // Said in a failure about the body, so that a check reads as the body it judged.
            let decoded_note = |message: String| match coding {
                Some(coding) => format!("{message} (in the {coding}-decoded reply)"),
                None => message,
            };
            let failure = if !accepted {
                Some((
                    FailureKind::Status(response.status),
                    status_message(response.status, body, &scenario.secrets),
                ))
            } else if stream && response.content_encoding.is_some() {
                Some((
                    FailureKind::Other,
                    format!(
                        "the streamed reply is {}-encoded: Loadscope reads event streams unencoded (drop Accept-Encoding from the task)",
                        response.content_encoding.as_deref().unwrap_or("")
                    ),
                ))
            } else if let Some(Err(why)) = &decoded {
                Some((FailureKind::Check, why.to_string()))
            } else if response.body_cut {
                Some((
                    FailureKind::Check,
                    format!(
                        "reply of {} bytes is larger than the {} bytes read for checks (raise max_body_bytes on the task to check it whole)",
                        response.bytes_received, plan.max_body_bytes
                    ),
                ))
            } else {
                let checked = checks::first_failure(&plan.checks, body).map(|message| (FailureKind::Check, decoded_note(message)));
                match (checked, plan.reply) {
                    (Some(failure), _) => Some(failure),
                    (None, Reply::Plain | Reply::Mcp | Reply::McpInit) => None,
                    (None, Reply::Chat { stream }) => {
                        let measured = if stream {
                            meter.finish(start)
                        } else {
                            let ttfb = head_at
                                .map(|at| at.saturating_duration_since(start).as_micros() as u64)
                                .unwrap_or(0);
                            parse_completion(body, ttfb, keep_reply)
                        };
                        match measured {
                            Ok(mut metrics) => {
                                if metrics.prompt_tokens.is_none() && request.prompt_tokens.is_some() {
                                    metrics.prompt_tokens = request.prompt_tokens;
                                    metrics.prompt_counted = true;
                                }
                                let reply_micros = exchange.done_at.saturating_duration_since(start).as_micros() as u64;
                                chat = Some((metrics, reply_micros));
                                None
                            }
                            Err((kind, message)) => Some((kind, decoded_note(message))),
                        }
                    }
                }
            };
            if failure.is_some() {
                answer = (Some(response.status), response.retry_after, response.body.unwrap_or_default());
            }
            (response.bytes_received, failure)
        }
    };
    let mut done = Done {
        latency_micros,
        connect_micros: exchange.connect_micros,
        bytes_received,
        failure,
        done_at: exchange.done_at,
        chat,
        class: None,
        resend: exchange.resend,
    };
    done.classify(&scenario.compiled.failure_classes, answer.0, answer.1, &answer.2);
    if let Some(session) = session {
        go_on_or_end(session, &mut done, request.turn, scenario.chat_spec(task));
    }
    done
}

/// A conversation goes on with this turn and its reply in its history; a failure ends it.
fn go_on_or_end(
    session: &mut super::conversation::ChatSession,
    done: &mut Done,
    turn: Option<super::conversation::UserTurn>,
    chat: Option<&crate::preset::compiled::ChatSpec>,
) {
    let reply = done.chat.as_mut().and_then(|(metrics, _)| {
        let text = metrics.reply_text.take()?;
        let usage_tokens = (metrics.source == TokenSource::Usage).then_some(metrics.output_tokens);
        Some((text, usage_tokens))
    });
    match (done.failure.is_none(), turn, reply, chat) {
        (true, Some(turn), Some((reply_text, usage_tokens)), Some(chat)) => {
            let exchange = conversation::exchange(turn, reply_text, usage_tokens, chat.tokenizer);
            session.complete_turn(exchange, chat.max_history_tokens);
        }
        _ => session.end(),
    }
}

/// `HTTP 400 Bad Request: <the start of the reply>`, so a refused request says why. The reply
/// is redacted before it is cut, so no cut leaves part of a secret it echoed.
fn status_message(status: u16, body: &[u8], secrets: &crate::preset::secrets::Secrets) -> String {
    let reason = hyper::StatusCode::from_u16(status)
        .ok()
        .and_then(|code| code.canonical_reason())
        .unwrap_or("");
    let head = format!("HTTP {status} {reason}").trim_end().to_string();
    let text: String = String::from_utf8_lossy(body).split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return head;
    }
    format!("{head}: {}", secrets.redact_and_cut(&text, 160))
}

fn record(state: &WorkerState, scenario: &ScenarioPlan, stage: u32, task: u32, done: &mut Done) {
    let second = done.done_at.saturating_duration_since(state.run_start).as_secs() as u32;
    let objectives_met = scenario.compiled.objectives.as_ref().map(|objectives| {
        objectives.met_by(RequestMeasures {
            failed: done.failure.is_some(),
            latency_micros: done.latency_micros,
            reply: done.chat.as_mut().map(|(metrics, reply_micros)| ReplyMeasures {
                ttft_micros: metrics.ttft_micros,
                itl_micros: &mut metrics.itl_micros,
                output_tokens: metrics.output_tokens,
                reply_micros: *reply_micros,
            }),
        })
    });
    // The one place failures enter the run: secrets come out here, so no later output (table,
    // file, report, app) can show them.
    let message = done
        .failure
        .as_ref()
        .map(|(kind, message)| (*kind, failure_message(*kind, &scenario.secrets.redact(message))));
    state.recorder.borrow_mut().record(Sample {
        stage,
        task,
        second,
        latency_micros: done.latency_micros,
        connect_micros: done.connect_micros,
        bytes_received: done.bytes_received,
        failure: message.as_ref().map(|(kind, message)| (*kind, message.as_str())),
        chat: done.chat.as_ref().map(|(metrics, micros)| (metrics, *micros)),
        class: done
            .class
            .and_then(|index| scenario.compiled.failure_classes.get(index))
            .map(|class| class.name.as_str()),
        objectives_met,
        resend: done.resend,
    });
}
