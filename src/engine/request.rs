//! One request on the hot path: built from the plan (or handed in by a journey's tool round),
//! sent on the user's connection to its service, and judged (status, checks, a chat reply's
//! measurements), ready to record.

use std::time::Instant;

use super::conversation;
use super::outcome::{Done, FailureKind, TokenSource};
use super::plan::{Reply, ScenarioPlan};
use super::protocols::chat::{StreamMeter, parse_completion};
use super::protocols::http;
use super::protocols::mcp::session::Client;
use super::protocols::{checks, decode};

/// What a journey's step adds to a request: the values earlier steps saved (for its
/// templates), a request the caller built (a tool round's), and what of the reply to keep.
#[derive(Default)]
pub(super) struct StepIo<'a> {
    pub journey: Option<&'a minijinja::Value>,
    /// Send this instead of building the task's request.
    pub request: Option<super::plan::PreparedRequest>,
    /// Keep the reply body (a value is saved from it).
    pub keep_body: bool,
    /// Keep a chat reply's text (it is saved, or goes back to the model with tool results).
    pub keep_text: bool,
    /// Out: the reply body, when kept and the request succeeded.
    pub body: Option<Vec<u8>>,
}

/// Builds and sends one request and judges the response. Latency runs from `intended` (open
/// model) or from when the request was handed to the connection (closed model). A journey's
/// step passes `step`.
pub(super) async fn perform(
    scenario: &ScenarioPlan,
    task: usize,
    client: &mut Client,
    user_id: u64,
    seq: u64,
    intended: Option<Instant>,
    mut step: Option<&mut StepIo<'_>>,
) -> Done {
    let plan = &scenario.tasks[task];
    client.link(plan.service);
    let Client { links, conversations } = client;
    let slot = &mut links[plan.service].slot;
    let mut session = plan.multi_turn.then(|| conversations.with(task));
    let prepared = step.as_deref_mut().and_then(|step| step.request.take());
    let journey = step.as_deref().and_then(|step| step.journey);
    let built = match prepared {
        Some(request) => Ok(request),
        None => scenario.step_request_bytes(task, user_id, seq, session.as_deref_mut(), journey),
    };
    let request = match built {
        Ok(request) => request,
        Err(message) => {
            if let Some(session) = session {
                session.end();
            }
            return Done::not_sent(message.to_string());
        }
    };
    let classes_read_bodies = scenario.compiled.failure_classes.iter().any(|class| class.reads_body());
    let step_keeps_body = step.as_deref().is_some_and(|step| step.keep_body);
    let (stream, keep_body) = match plan.reply {
        Reply::Plain | Reply::Mcp | Reply::McpInit | Reply::ToolCalls => {
            (false, !plan.checks.is_empty() || classes_read_bodies || step_keeps_body)
        }
        Reply::Chat { stream } => (stream, !stream || !plan.checks.is_empty() || classes_read_bodies || step_keeps_body),
    };
    // The reply's text is kept only when a later turn sends it again, or a step needs it.
    let keep_reply = request.turn.is_some() || step.as_deref().is_some_and(|step| step.keep_text);
    let mut meter = if keep_reply { StreamMeter::capturing() } else { StreamMeter::new() };
    let mut head_at: Option<Instant> = None;
    // A user who stops this reply: when, if this request is one of the share that does.
    let cancel = scenario
        .chat_spec(task)
        .and_then(|chat| chat.cancel)
        .filter(|rule| cancels(rule.share, user_id, seq, task));
    let stop_tokens = cancel.and_then(|rule| rule.after_tokens).map(u64::from);
    let stop = tokio::sync::Notify::new();
    let handed_at = Instant::now();
    let mut observe = |bytes: &[u8], at: Instant| {
        head_at.get_or_insert(at);
        if stream {
            meter.on_data(bytes, at);
            if stop_tokens.is_some_and(|tokens| meter.content_chunks() >= tokens) {
                stop.notify_one();
            }
        }
    };
    let exchange = http::exchange_following(
        &scenario.endpoints[plan.service],
        slot,
        &request.bytes,
        plan.head_request,
        keep_body.then_some(plan.max_body_bytes),
        scenario.compiled.timeout,
        &mut observe,
        plan.follow_redirects,
    );
    let exchange = match cancel {
        None => exchange.await,
        Some(rule) => {
            let deadline = async {
                match rule.after {
                    Some(after) => tokio::time::sleep_until((handed_at + after).into()).await,
                    None => std::future::pending().await,
                }
            };
            let finished = tokio::select! {
                exchange = exchange => Some(exchange),
                _ = stop.notified() => None,
                _ = deadline => None,
            };
            match finished {
                Some(exchange) => exchange,
                None => {
                    // The user pressed Stop: the stream (and so the connection) is closed, as a
                    // browser closes it; what arrived so far is kept.
                    *slot = None;
                    if let Some(session) = session {
                        session.end();
                    }
                    let start = intended.unwrap_or(handed_at);
                    let done_at = Instant::now();
                    let metrics = (stream && meter.started()).then(|| meter.so_far(start));
                    return Done {
                        latency_micros: done_at.saturating_duration_since(start).as_micros() as u64,
                        connect_micros: None,
                        bytes_received: 0,
                        failure: None,
                        done_at,
                        chat: metrics.map(|metrics| (metrics, done_at.saturating_duration_since(start).as_micros() as u64)),
                        class: None,
                        resend: Default::default(),
                        cancelled: true,
                    };
                }
            }
        }
    };
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
                    (None, Reply::Plain | Reply::Mcp | Reply::McpInit | Reply::ToolCalls) => None,
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
            if failure.is_none()
                && let Some(step) = step
                && step.keep_body
            {
                step.body = Some(body.to_vec());
            }
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
        cancelled: false,
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

/// Whether request (`user_id`, `seq`) of task `task` is one whose user cancels, for a share of
/// `share`: a hash of who sends it, so a run's cancels spread evenly over users and time.
fn cancels(share: f64, user_id: u64, seq: u64, task: usize) -> bool {
    if share >= 1.0 {
        return true;
    }
    let key = super::plan::request_key(0xC4_4C_E1, user_id, seq ^ ((task as u64) << 40));
    ((key >> 11) as f64 / (1u64 << 53) as f64) < share
}
