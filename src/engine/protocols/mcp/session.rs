//! MCP sessions on the engine's request path: each client (a closed-model user, or an
//! open-model connection slot) opens its own session — initialize, then the initialized
//! notification — makes tool calls with the session's headers, churns the session when the
//! preset asks, and deletes it when the user stops. Session opening is recorded as its own
//! task row so its latency stays apart from the tool calls.

use std::time::Instant;

use hyper::Method;

use super::{self as mcp, CallOutcome, DEFAULT_PROTOCOL_VERSION, McpSession};
use crate::engine::outcome::{Done, FailureKind};
use crate::engine::plan::ScenarioPlan;
use crate::engine::protocols::http::{self, Connection, Exchange, Resend};

/// A user's connection, the MCP session on it, and its chat conversations.
#[derive(Default)]
pub(crate) struct Client {
    pub slot: Option<Connection>,
    pub session: McpSession,
    pub conversations: crate::engine::conversation::Conversations,
}

fn failed(kind: FailureKind, message: impl Into<String>, start: Instant, exchange: &Exchange) -> Done {
    Done {
        latency_micros: exchange.done_at.saturating_duration_since(start).as_micros() as u64,
        connect_micros: exchange.connect_micros,
        bytes_received: 0,
        failure: Some((kind, message.into())),
        done_at: exchange.done_at,
        chat: None,
        class: None,
        resend: exchange.resend,
    }
}

async fn post(scenario: &ScenarioPlan, task: usize, client: &mut Client, body: &[u8]) -> Exchange {
    let request = scenario.mcp_request(task, &client.session, &Method::POST, body);
    http::exchange(
        &scenario.endpoint,
        &mut client.slot,
        &request,
        false,
        Some(crate::preset::compiled::DEFAULT_MAX_BODY_BYTES),
        scenario.compiled.timeout,
        &mut |_, _| {},
    )
    .await
}

/// Sorts a failure into `limited` and the scenario's failure classes, from what came back.
fn classified(scenario: &ScenarioPlan, mut done: Done, exchange: &Exchange) -> Done {
    let (status, retry_after, body) = match &exchange.result {
        Ok(response) => (Some(response.status), response.retry_after, response.body.as_deref().unwrap_or(&[])),
        Err(_) => (None, false, &[][..]),
    };
    done.classify(&scenario.compiled.failure_classes, status, retry_after, body);
    done
}

/// The reply to a JSON-RPC request, or a failure to record.
fn reply_of(exchange: &Exchange, rpc_id: u64, start: Instant) -> Result<serde_json::Value, Box<Done>> {
    let response = match &exchange.result {
        Ok(response) => response,
        Err(failure) => return Err(Box::new(failed(failure.kind, failure.message.clone(), start, exchange))),
    };
    if !(200..300).contains(&response.status) {
        let message = format!("HTTP {} from the MCP endpoint", response.status);
        return Err(Box::new(failed(FailureKind::Status(response.status), message, start, exchange)));
    }
    let content_type = response.headers.as_ref().and_then(|headers| headers.content_type.as_deref());
    mcp::find_reply(response.body.as_deref().unwrap_or(&[]), content_type, rpc_id)
        .map_err(|why| Box::new(failed(FailureKind::Malformed, why.to_string(), start, exchange)))
}

/// Opens the client's session. The result is the "MCP initialize" row's sample.
pub(crate) async fn open_session(scenario: &ScenarioPlan, task: usize, client: &mut Client) -> Done {
    client.session.reset();
    let version = scenario
        .compiled
        .mcp
        .protocol_version
        .clone()
        .unwrap_or_else(|| DEFAULT_PROTOCOL_VERSION.to_string());
    let rpc_id = client.session.next_rpc_id();
    let start = Instant::now();
    let exchange = post(scenario, task, client, &mcp::initialize_body(rpc_id, &version)).await;
    let reply = match reply_of(&exchange, rpc_id, start) {
        Ok(reply) => reply,
        Err(done) => return classified(scenario, *done, &exchange),
    };
    if let Some(error) = reply.get("error") {
        return failed(FailureKind::RpcError, format!("initialize refused: {error}"), start, &exchange);
    }
    let connect_micros = exchange.connect_micros;
    let resend = exchange.resend;
    let mut bytes_received = exchange.result.as_ref().map(|response| response.bytes_received).unwrap_or(0);
    client.session.id = exchange
        .result
        .as_ref()
        .ok()
        .and_then(|response| response.headers.as_ref())
        .and_then(|headers| headers.mcp_session_id.clone());
    client.session.protocol_version = reply
        .pointer("/result/protocolVersion")
        .and_then(serde_json::Value::as_str)
        .unwrap_or(&version)
        .to_string();
    client.session.open = true;
    let notified = post(scenario, task, client, &mcp::initialized_body()).await;
    match &notified.result {
        Ok(response) if (200..300).contains(&response.status) => bytes_received += response.bytes_received,
        Ok(response) => {
            client.session.reset();
            return failed(
                FailureKind::Status(response.status),
                format!("notifications/initialized answered HTTP {}", response.status),
                start,
                &notified,
            );
        }
        Err(failure) => {
            client.session.reset();
            return failed(failure.kind, failure.message.clone(), start, &notified);
        }
    }
    Done {
        latency_micros: notified.done_at.saturating_duration_since(start).as_micros() as u64,
        connect_micros,
        bytes_received,
        failure: None,
        done_at: notified.done_at,
        chat: None,
        class: None,
        resend: Resend {
            reconnected: resend.reconnected || notified.resend.reconnected,
            retried: resend.retried || notified.resend.retried,
            redirects: resend.redirects + notified.resend.redirects,
        },
    }
}

/// Deletes the client's session (best effort: the user is leaving).
pub(crate) async fn close_session(scenario: &ScenarioPlan, task: usize, client: &mut Client) {
    if client.session.id.is_some() {
        let request = scenario.mcp_request(task, &client.session, &Method::DELETE, &[]);
        let _ = http::exchange(
            &scenario.endpoint,
            &mut client.slot,
            &request,
            false,
            None,
            scenario.compiled.timeout,
            &mut |_, _| {},
        )
        .await;
    }
    client.session.reset();
}

/// Makes MCP task `task`'s tool call on the client's session, opening one first when needed
/// (`record_init` gets that sample). None when no session could be opened.
pub(crate) async fn perform(
    scenario: &ScenarioPlan,
    task: usize,
    client: &mut Client,
    user_id: u64,
    seq: u64,
    intended: Option<Instant>,
    record_init: &mut dyn FnMut(Done),
) -> Option<Done> {
    if !client.session.open {
        let opened = open_session(scenario, task, client).await;
        let ok = opened.failure.is_none();
        record_init(opened);
        if !ok {
            return None;
        }
    }
    let rpc_id = client.session.next_rpc_id();
    let body = match scenario.mcp_call_body(task, user_id, seq, rpc_id) {
        Ok(body) => body,
        Err(message) => return Some(Done::not_sent(message.to_string())),
    };
    let exchange = post(scenario, task, client, &body).await;
    let start = intended.unwrap_or(exchange.sent_at);
    let expect_error = scenario.tasks[task].mcp.as_ref().is_some_and(|call| call.expect_error);
    if let Ok(response) = &exchange.result
        && response.status == 404
        && client.session.id.is_some()
    {
        client.session.reset();
        return Some(failed(
            FailureKind::Status(404),
            "MCP session not found (expired or deleted); a new one opens on the next call",
            start,
            &exchange,
        ));
    }
    let reply = match reply_of(&exchange, rpc_id, start) {
        Ok(reply) => reply,
        Err(done) => return Some(classified(scenario, *done, &exchange)),
    };
    let failure = match (mcp::judge_call(&reply), expect_error) {
        (CallOutcome::Succeeded, false) | (CallOutcome::ToolError(_), true) | (CallOutcome::RpcError { .. }, true) => None,
        (CallOutcome::Succeeded, true) => Some((
            FailureKind::SandboxViolation,
            "call succeeded but the preset expects the server to refuse it".to_string(),
        )),
        (CallOutcome::RpcError { code, message }, false) => {
            let kind = if scenario.compiled.mcp.limit_error_codes.contains(&code) {
                FailureKind::Limited
            } else {
                FailureKind::RpcError
            };
            Some((kind, format!("JSON-RPC error {code}: {message}")))
        }
        (CallOutcome::ToolError(text), false) => Some((FailureKind::ToolError, text)),
    };
    client.session.calls += 1;
    let churn = scenario.compiled.mcp.session_churn.unwrap_or(0);
    if churn > 0 && client.session.calls >= churn {
        close_session(scenario, task, client).await;
    }
    let done = Done {
        latency_micros: exchange.done_at.saturating_duration_since(start).as_micros() as u64,
        connect_micros: exchange.connect_micros,
        bytes_received: exchange.result.as_ref().map(|response| response.bytes_received).unwrap_or(0),
        failure,
        done_at: exchange.done_at,
        chat: None,
        class: None,
        resend: exchange.resend,
    };
    Some(classified(scenario, done, &exchange))
}

/// Why the tools could not be listed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum ListToolsError {
    #[error("cannot open an MCP session ({kind}): {message}")]
    NoSession { kind: crate::run::FailureKind, message: String },
    /// The tools/list request failed as this message says.
    #[error("{0}")]
    Failed(String),
}

/// The names of the tools the server offers, from a short-lived session (for preflight).
pub(crate) async fn list_tools(scenario: &ScenarioPlan, task: usize) -> Result<Vec<String>, ListToolsError> {
    let mut client = Client::default();
    let opened = open_session(scenario, task, &mut client).await;
    if let Some((kind, message)) = opened.failure {
        return Err(ListToolsError::NoSession { kind, message });
    }
    let rpc_id = client.session.next_rpc_id();
    let exchange = post(scenario, task, &mut client, &mcp::list_tools_body(rpc_id)).await;
    let start = exchange.sent_at;
    let names = match reply_of(&exchange, rpc_id, start) {
        Ok(reply) => Ok(mcp::tool_names(&reply)),
        Err(done) => Err(ListToolsError::Failed(done.failure.map(|(_, message)| message).unwrap_or_default())),
    };
    close_session(scenario, task, &mut client).await;
    names
}
