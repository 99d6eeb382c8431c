//! Running one journey: its steps in order on the user's own connections (one per service),
//! values saved from one reply carried into the next step's templates (`journey.NAME`), a chat
//! with tools running the model's tool calls on the MCP service and sending the results back,
//! and the journey recorded end to end beside each step's own row.

use std::collections::BTreeMap;
use std::time::Instant;

use rand::rngs::SmallRng;

use super::outcome::{Done, FailureKind};
use super::plan::{PreparedRequest, Reply, ScenarioPlan, draw_think_time, reframe, split_request};
use super::protocols::mcp;
use super::protocols::mcp::session::{self as mcp_session, Client};
use super::recorder::JourneySample;
use super::request::{StepIo, perform};
use super::worker_state::{StopSignal, WorkerState, record};
use crate::preset::compiled::{CompiledStep, SaveFrom};

/// One user's journey, and everything it runs with.
pub(super) struct JourneyRun<'a> {
    pub state: &'a WorkerState,
    pub scenario: &'a ScenarioPlan,
    pub stage: u32,
    pub client: &'a mut Client,
    pub user_id: u64,
    pub seq: u64,
    /// The user's stop (closed model): a journey cut off by it is left unfinished.
    pub stop: Option<&'a StopSignal>,
    pub rng: &'a mut SmallRng,
}

/// Where in its journey a step runs: what earlier steps saved (as templates see it, and to
/// add to), the arrival it is timed from (the first step of an open-model journey), and the
/// time per service so far.
struct StepAt<'a> {
    journey: &'a minijinja::Value,
    values: &'a mut BTreeMap<String, serde_json::Value>,
    intended: Option<Instant>,
    service_micros: &'a mut [u64],
}

/// What a step came to.
#[derive(Default)]
struct StepEnd {
    /// Whether every request it made met the scenario's objectives (None without objectives).
    met: Option<bool>,
    failed: bool,
    /// Its user stopped the reply (`cancel_after`): the journey ends there, cancelled.
    cancelled: bool,
    tool_calls: u64,
    tool_rounds: u64,
    tool_errors: u64,
}

/// The journey's totals so far.
struct Totals {
    /// Every request of the journey met the objectives so far (None without objectives).
    met: Option<bool>,
    steps: u64,
    tool_calls: u64,
    tool_rounds: u64,
    tool_errors: u64,
    service_micros: Vec<u64>,
}

impl JourneyRun<'_> {
    /// Runs journey `journey` (timed from `intended`, an open-model arrival, else from now)
    /// and records it; returns how its failing step failed, if one did.
    pub(super) async fn run(&mut self, journey: usize, intended: Option<Instant>) -> Option<FailureKind> {
        let spec = &self.scenario.compiled.journeys[journey];
        let started = intended.unwrap_or_else(Instant::now);
        self.state.recorder.borrow_mut().record_journey_start(self.stage, journey as u32);
        let mut values: BTreeMap<String, serde_json::Value> = BTreeMap::new();
        let mut totals = Totals {
            met: None,
            steps: 0,
            tool_calls: 0,
            tool_rounds: 0,
            tool_errors: 0,
            service_micros: vec![0; self.scenario.compiled.services.len()],
        };
        let mut failed = None;
        let mut cancelled = false;
        for (index, step) in spec.steps.iter().enumerate() {
            if index > 0 {
                let think = draw_think_time(spec.think_time, self.rng);
                if !think.is_zero() {
                    self.client.release_buffers();
                    match self.stop {
                        Some(stop) => stop.sleep(think).await,
                        None => tokio::time::sleep(think).await,
                    }
                }
            }
            if self.stop.is_some_and(StopSignal::get) {
                // Cut off by the user's stop: neither completed nor failed (started counts it).
                return failed;
            }
            let journey_values = minijinja::Value::from(minijinja::value::Serde(&values));
            let first_intended = if index == 0 { intended } else { None };
            let at = StepAt {
                journey: &journey_values,
                values: &mut values,
                intended: first_intended,
                service_micros: &mut totals.service_micros,
            };
            let end = self.step(step, at).await;
            totals.steps += 1;
            totals.met = both_met(totals.met, end.met);
            totals.tool_calls += end.tool_calls;
            totals.tool_rounds += end.tool_rounds;
            totals.tool_errors += end.tool_errors;
            if end.cancelled {
                cancelled = true;
                break;
            }
            if end.failed && !step.optional {
                failed = Some(FailureKind::Other);
                break;
            }
        }
        let done_at = Instant::now();
        let sample = JourneySample {
            stage: self.stage,
            journey: journey as u32,
            second: self.state.second_of(done_at),
            latency_micros: done_at.saturating_duration_since(started).as_micros() as u64,
            completed: failed.is_none() && !cancelled,
            cancelled,
            met: totals.met.map(|met| met && failed.is_none() && !cancelled),
            steps: totals.steps,
            tool_calls: totals.tool_calls,
            tool_rounds: totals.tool_rounds,
            tool_errors: totals.tool_errors,
            service_micros: totals.service_micros,
        };
        self.state.recorder.borrow_mut().record_journey(&sample);
        failed
    }

    /// Runs one step and records its requests under its row.
    async fn step(&mut self, step: &CompiledStep, at: StepAt<'_>) -> StepEnd {
        let StepAt {
            journey,
            values,
            intended,
            service_micros,
        } = at;
        let task = step.task;
        let plan = &self.scenario.tasks[task];
        let (stage, row) = (self.stage, task as u32);
        if plan.tools.is_some() {
            let at = StepAt {
                journey,
                values,
                intended,
                service_micros,
            };
            return self.chat_with_tools(step, at).await;
        }
        self.state.open_request(stage, row);
        let mut done = match plan.reply {
            Reply::Mcp => {
                let init_row = self.scenario.mcp_init_task.unwrap_or(task) as u32;
                let (state, scenario) = (self.state, self.scenario);
                let outcome = mcp_session::perform(
                    scenario,
                    task,
                    self.client,
                    self.user_id,
                    self.seq,
                    intended,
                    Some(journey),
                    &mut |mut opened| {
                        record(state, scenario, stage, init_row, &mut opened);
                    },
                )
                .await;
                let Some((mut done, reply)) = outcome else {
                    self.state.close_request(stage, row);
                    return StepEnd {
                        failed: true,
                        ..StepEnd::default()
                    };
                };
                if done.failure.is_none() {
                    let reply = reply.unwrap_or_default();
                    save(step, values, &mut done, |from| match from {
                        SaveFrom::Text => Some(serde_json::Value::from(mcp::result_text(&reply))),
                        SaveFrom::Pointer(pointer) => reply.get("result").and_then(|result| result.pointer(pointer)).cloned(),
                    });
                }
                done
            }
            _ => {
                let mut io = StepIo {
                    journey: Some(journey),
                    keep_body: step.save.iter().any(|(_, from)| matches!(from, SaveFrom::Pointer(_))),
                    keep_text: step.save.iter().any(|(_, from)| *from == SaveFrom::Text),
                    ..StepIo::default()
                };
                let mut done = perform(self.scenario, task, self.client, self.user_id, self.seq, intended, Some(&mut io)).await;
                if done.failure.is_none() {
                    let text = done.chat.as_ref().and_then(|(metrics, _)| metrics.reply_text.clone());
                    let json = io
                        .body
                        .as_deref()
                        .and_then(|body| serde_json::from_slice::<serde_json::Value>(body).ok());
                    save(step, values, &mut done, |from| match from {
                        SaveFrom::Text => text.clone().map(serde_json::Value::from),
                        SaveFrom::Pointer(pointer) => json.as_ref().and_then(|json| json.pointer(pointer)).cloned(),
                    });
                }
                done
            }
        };
        service_micros[plan.service] += done.latency_micros;
        let (failed, cancelled) = (done.failure.is_some(), done.cancelled);
        let met = record(self.state, self.scenario, stage, row, &mut done);
        self.state.close_request(stage, row);
        StepEnd {
            met,
            failed,
            cancelled,
            ..StepEnd::default()
        }
    }

    /// A chat step with tools: the model is offered the MCP service's tools; each reply that
    /// asks for tools has them called on the user's session there and the results sent back,
    /// until a reply asks for none (the step's answer) or `max_tool_rounds` is spent.
    async fn chat_with_tools(&mut self, step: &CompiledStep, at: StepAt<'_>) -> StepEnd {
        let StepAt {
            journey,
            values,
            intended,
            service_micros,
        } = at;
        let (state, scenario, stage) = (self.state, self.scenario, self.stage);
        let task = step.task;
        let plan = &scenario.tasks[task];
        let Some(tools) = plan.tools.clone() else {
            return StepEnd::default();
        };
        let calls_row = tools.calls_row;
        let init_row = scenario.mcp_init_task.unwrap_or(calls_row) as u32;
        let mut end = StepEnd::default();
        let mut record_init = |mut done: Done| {
            record(state, scenario, stage, init_row, &mut done);
        };
        if !mcp_session::ensure_session(scenario, calls_row, self.client, &mut record_init).await {
            end.failed = true;
            return end;
        }
        let offered = match mcp_session::session_tools(scenario, calls_row, self.client).await {
            Ok(offered) => offered,
            Err(mut done) => {
                record(state, scenario, stage, init_row, &mut done);
                end.failed = true;
                return end;
            }
        };
        // The first round's request as the task builds it, with the tools added.
        let first = scenario.step_request_bytes(task, self.user_id, self.seq, None, Some(journey));
        let (head, mut body, prompt_tokens) = match first {
            Ok(request) => {
                let (head, body) = split_request(&request.bytes);
                let mut body: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
                body["tools"] = (*offered).clone();
                (head.to_vec(), body, request.prompt_tokens)
            }
            Err(message) => {
                let mut done = Done::not_sent(message.to_string());
                self.record_row(task, &mut done);
                end.failed = true;
                return end;
            }
        };
        for round in 0..=tools.max_rounds {
            let bytes = reframe(&head, &serde_json::to_vec(&body).unwrap_or_default());
            let mut io = StepIo {
                journey: Some(journey),
                request: Some(PreparedRequest {
                    bytes,
                    prompt_tokens: (round == 0).then_some(prompt_tokens).flatten(),
                    turn: None,
                }),
                keep_text: true,
                ..StepIo::default()
            };
            let round_intended = if round == 0 { intended } else { None };
            let mut done = perform(scenario, task, self.client, self.user_id, self.seq, round_intended, Some(&mut io)).await;
            service_micros[plan.service] += done.latency_micros;
            let (reply_text, calls) = match done.chat.as_mut() {
                Some((metrics, _)) => (
                    metrics.reply_text.clone().unwrap_or_default(),
                    std::mem::take(&mut metrics.tool_calls),
                ),
                None => (String::new(), Vec::new()),
            };
            if done.failure.is_none() && calls.is_empty() {
                save(step, values, &mut done, |from| match from {
                    SaveFrom::Text => Some(serde_json::Value::from(reply_text.clone())),
                    SaveFrom::Pointer(_) => None,
                });
            } else if done.failure.is_none() && round == tools.max_rounds {
                done.failure = Some((
                    FailureKind::Check,
                    format!(
                        "the model still asked for {} tool call(s) after {} rounds (max_tool_rounds); raise it, or check the model ends its turn",
                        calls.len(),
                        tools.max_rounds
                    ),
                ));
            }
            let failed = done.failure.is_some();
            end.cancelled = done.cancelled;
            end.met = both_met(end.met, self.record_row(task, &mut done));
            if failed || calls.is_empty() || end.cancelled {
                end.failed = failed;
                return end;
            }
            end.tool_rounds += 1;
            let mut results = Vec::with_capacity(calls.len());
            for call in &calls {
                end.tool_calls += 1;
                let arguments = match call.arguments.trim() {
                    "" => Ok(serde_json::json!({})),
                    text => serde_json::from_str::<serde_json::Value>(text),
                };
                let arguments = match arguments {
                    Ok(arguments) => arguments,
                    Err(err) => {
                        // The model's mistake goes back to it, as an agent would send it.
                        end.tool_errors += 1;
                        results.push(format!("error: the arguments are not JSON ({err})"));
                        continue;
                    }
                };
                if !mcp_session::ensure_session(scenario, calls_row, self.client, &mut record_init).await {
                    end.failed = true;
                    return end;
                }
                let rpc_id = self.client.link(tools.service).session.next_rpc_id();
                let call_body = mcp::call_body(rpc_id, &call.name, &arguments);
                state.open_request(stage, calls_row as u32);
                let (mut done, reply) = mcp_session::call(scenario, calls_row, self.client, &call_body, rpc_id, None, false, true).await;
                service_micros[tools.service] += done.latency_micros;
                let failed = done.failure.is_some();
                end.met = both_met(end.met, record(state, scenario, stage, calls_row as u32, &mut done));
                state.close_request(stage, calls_row as u32);
                if failed {
                    end.failed = true;
                    return end;
                }
                let reply = reply.unwrap_or_default();
                if matches!(mcp::judge_call(&reply), mcp::CallOutcome::ToolError(_)) {
                    end.tool_errors += 1;
                }
                results.push(mcp::result_text(&reply));
            }
            super::protocols::chat::add_tool_round(&mut body, &reply_text, &calls, &results);
        }
        end
    }

    /// Records a request of row `task`, counted open and closed around it; whether it met the
    /// objectives.
    fn record_row(&self, task: usize, done: &mut Done) -> Option<bool> {
        self.state.open_request(self.stage, task as u32);
        let met = record(self.state, self.scenario, self.stage, task as u32, done);
        self.state.close_request(self.stage, task as u32);
        met
    }
}

/// Whether every request so far met the objectives: both must have.
fn both_met(so_far: Option<bool>, this: Option<bool>) -> Option<bool> {
    match (so_far, this) {
        (None, this) => this,
        (so_far, None) => so_far,
        (Some(a), Some(b)) => Some(a && b),
    }
}

/// Keeps what the step saves from its reply (`read` finds each value); a value the reply does
/// not hold fails the step, since later steps would send a hole.
fn save(
    step: &CompiledStep,
    values: &mut BTreeMap<String, serde_json::Value>,
    done: &mut Done,
    read: impl Fn(&SaveFrom) -> Option<serde_json::Value>,
) {
    for (name, from) in &step.save {
        match read(from) {
            Some(value) => {
                values.insert(name.clone(), value);
            }
            None => {
                let place = match from {
                    SaveFrom::Text => "no text".to_string(),
                    SaveFrom::Pointer(pointer) => format!("nothing at {pointer}"),
                };
                done.failure = Some((FailureKind::Check, format!("the reply has {place} to save as journey.{name}")));
                return;
            }
        }
    }
}
