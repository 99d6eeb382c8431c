//! MCP sessions on the engine's request path: each client (a closed-model user, or an
//! open-model connection slot) opens its own session — initialize, then the initialized
//! notification — makes tool calls with the session's headers, churns the session when the
//! preset asks, and deletes it when the user stops. Session opening is recorded as its own
//! task row so its latency stays apart from the tool calls.

use std::time::Instant;

use hyper::Method;

use super::{self as mcp, CallOutcome, DEFAULT_PROTOCOL_VERSION, McpSession};
use crate::engine::outcome::{Done, FailureKind};
use crate::engine::plan::{Reply, ScenarioPlan};
use crate::engine::protocols::http::{self, Connection, Exchange, Resend};

/// A user's connections (one per service it has sent to), the MCP session on each, and its
/// chat conversations.
#[derive(Default)]
pub(crate) struct Client {
    /// By service index, grown on first use.
    pub links: Vec<ServiceLink>,
    pub conversations: crate::engine::conversation::Conversations,
}

/// A user's connection to one service, and its MCP session there.
#[derive(Default)]
pub(crate) struct ServiceLink {
    pub slot: Option<Connection>,
    pub session: McpSession,
    /// The service's tools as OpenAI chat `tools`, listed once per session (chats with tools).
    pub tools: Option<std::sync::Arc<serde_json::Value>>,
}

impl Client {
    /// The user's link to `service`.
    pub(crate) fn link(&mut self, service: usize) -> &mut ServiceLink {
        if self.links.len() <= service {
            self.links.resize_with(service + 1, ServiceLink::default);
        }
        &mut self.links[service]
    }

    /// Whether any connection is open (an open-model slot worth pooling).
    pub(crate) fn connected(&self) -> bool {
        self.links.iter().any(|link| link.slot.is_some())
    }

    /// Lets idle connections give back their read buffers (a user thinking).
    pub(crate) fn release_buffers(&mut self) {
        for connection in self.links.iter_mut().filter_map(|link| link.slot.as_mut()) {
            connection.release_buffer();
        }
    }
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
        cancelled: false,
    }
}

async fn post(scenario: &ScenarioPlan, task: usize, client: &mut Client, body: &[u8]) -> Exchange {
    let link = client.link(scenario.tasks[task].service);
    let request = scenario.mcp_request(task, &link.session, &Method::POST, body);
    http::exchange(
        scenario.endpoint(task),
        &mut link.slot,
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
    let service = scenario.tasks[task].service;
    client.link(service).session.reset();
    client.link(service).tools = None;
    let version = scenario
        .compiled
        .mcp
        .protocol_version
        .clone()
        .unwrap_or_else(|| DEFAULT_PROTOCOL_VERSION.to_string());
    let rpc_id = client.link(service).session.next_rpc_id();
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
    let session = &mut client.link(service).session;
    session.id = exchange
        .result
        .as_ref()
        .ok()
        .and_then(|response| response.headers.as_ref())
        .and_then(|headers| headers.mcp_session_id.clone());
    session.protocol_version = reply
        .pointer("/result/protocolVersion")
        .and_then(serde_json::Value::as_str)
        .unwrap_or(&version)
        .to_string();
    session.open = true;
    let notified = post(scenario, task, client, &mcp::initialized_body()).await;
    match &notified.result {
        Ok(response) if (200..300).contains(&response.status) => bytes_received += response.bytes_received,
        Ok(response) => {
            client.link(service).session.reset();
            return failed(
                FailureKind::Status(response.status),
                format!("notifications/initialized answered HTTP {}", response.status),
                start,
                &notified,
            );
        }
        Err(failure) => {
            client.link(service).session.reset();
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
        cancelled: false,
    }
}

/// Deletes the client's session (best effort: the user is leaving).
pub(crate) async fn close_session(scenario: &ScenarioPlan, task: usize, client: &mut Client) {
    let link = client.link(scenario.tasks[task].service);
    if link.session.id.is_some() {
        let request = scenario.mcp_request(task, &link.session, &Method::DELETE, &[]);
        let _ = http::exchange(
            scenario.endpoint(task),
            &mut link.slot,
            &request,
            false,
            None,
            scenario.compiled.timeout,
            &mut |_, _| {},
        )
        .await;
    }
    link.session.reset();
    link.tools = None;
}

/// Ends every MCP session the user holds (it is leaving): one DELETE per service, sent on the
/// first MCP row of that service.
pub(crate) async fn close_sessions(scenario: &ScenarioPlan, client: &mut Client) {
    for service in 0..client.links.len() {
        let row = scenario
            .tasks
            .iter()
            .position(|task| task.service == service && matches!(task.reply, Reply::Mcp | Reply::ToolCalls));
        if let Some(row) = row
            && client.links[service].session.open
        {
            close_session(scenario, row, client).await;
        }
    }
}

/// Makes MCP task `task`'s tool call on the client's session, opening one first when needed
/// (`record_init` gets that sample). None when no session could be opened. `journey` holds
/// what earlier steps of a journey saved, for the arguments' templates.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn perform(
    scenario: &ScenarioPlan,
    task: usize,
    client: &mut Client,
    user_id: u64,
    seq: u64,
    intended: Option<Instant>,
    journey: Option<&minijinja::Value>,
    record_init: &mut dyn FnMut(Done),
) -> Option<(Done, Option<serde_json::Value>)> {
    if !ensure_session(scenario, task, client, record_init).await {
        return None;
    }
    let rpc_id = client.link(scenario.tasks[task].service).session.next_rpc_id();
    let body = match scenario.mcp_call_body(task, user_id, seq, rpc_id, journey) {
        Ok(body) => body,
        Err(message) => return Some((Done::not_sent(message.to_string()), None)),
    };
    let expect_error = scenario.tasks[task].mcp.as_ref().is_some_and(|call| call.expect_error);
    Some(call(scenario, task, client, &body, rpc_id, intended, expect_error, false).await)
}

/// Opens the client's session on task `task`'s service when it has none (`record_init` gets
/// that sample); whether one is open.
pub(crate) async fn ensure_session(scenario: &ScenarioPlan, task: usize, client: &mut Client, record_init: &mut dyn FnMut(Done)) -> bool {
    if client.link(scenario.tasks[task].service).session.open {
        return true;
    }
    let opened = open_session(scenario, task, client).await;
    let ok = opened.failure.is_none();
    record_init(opened);
    ok
}

/// Sends the tools/call `body` (JSON-RPC id `rpc_id`) on the client's open session at task
/// `task`'s service and judges the reply; returns it too. A tool's own error (`isError`) is
/// a failure unless `tool_error_answers` (an agent sends it back to the model) or the call
/// was expected to be refused.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn call(
    scenario: &ScenarioPlan,
    task: usize,
    client: &mut Client,
    body: &[u8],
    rpc_id: u64,
    intended: Option<Instant>,
    expect_error: bool,
    tool_error_answers: bool,
) -> (Done, Option<serde_json::Value>) {
    let service = scenario.tasks[task].service;
    let exchange = post(scenario, task, client, body).await;
    let start = intended.unwrap_or(exchange.sent_at);
    if let Ok(response) = &exchange.result
        && response.status == 404
        && client.link(service).session.id.is_some()
    {
        client.link(service).session.reset();
        let done = failed(
            FailureKind::Status(404),
            "MCP session not found (expired or deleted); a new one opens on the next call",
            start,
            &exchange,
        );
        return (done, None);
    }
    let reply = match reply_of(&exchange, rpc_id, start) {
        Ok(reply) => reply,
        Err(done) => return (classified(scenario, *done, &exchange), None),
    };
    let failure = match (mcp::judge_call(&reply), expect_error) {
        (CallOutcome::Succeeded, false) | (CallOutcome::ToolError(_), true) | (CallOutcome::RpcError { .. }, true) => None,
        (CallOutcome::ToolError(_), false) if tool_error_answers => None,
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
    client.link(service).session.calls += 1;
    let churn = scenario.compiled.mcp.session_churn.unwrap_or(0);
    if churn > 0 && client.link(service).session.calls >= churn {
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
        cancelled: false,
    };
    (classified(scenario, done, &exchange), Some(reply))
}

/// Lists task `task`'s service's tools on the client's open session, as OpenAI chat `tools`
/// (kept on the link for the session's life). The listing is timed as a sample of the
/// session's opening row.
pub(crate) async fn session_tools(
    scenario: &ScenarioPlan,
    task: usize,
    client: &mut Client,
) -> Result<std::sync::Arc<serde_json::Value>, Done> {
    let service = scenario.tasks[task].service;
    if let Some(tools) = &client.link(service).tools {
        return Ok(tools.clone());
    }
    let rpc_id = client.link(service).session.next_rpc_id();
    let exchange = post(scenario, task, client, &mcp::list_tools_body(rpc_id)).await;
    let start = exchange.sent_at;
    let reply = reply_of(&exchange, rpc_id, start).map_err(|done| classified(scenario, *done, &exchange))?;
    if let Some(error) = reply.get("error") {
        return Err(failed(
            FailureKind::RpcError,
            format!("tools/list refused: {error}"),
            start,
            &exchange,
        ));
    }
    let tools = std::sync::Arc::new(serde_json::Value::from(mcp::openai_tools(&reply)));
    client.link(service).tools = Some(tools.clone());
    Ok(tools)
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
    let rpc_id = client.link(scenario.tasks[task].service).session.next_rpc_id();
    let exchange = post(scenario, task, &mut client, &mcp::list_tools_body(rpc_id)).await;
    let start = exchange.sent_at;
    let names = match reply_of(&exchange, rpc_id, start) {
        Ok(reply) => Ok(mcp::tool_names(&reply)),
        Err(done) => Err(ListToolsError::Failed(done.failure.map(|(_, message)| message).unwrap_or_default())),
    };
    close_session(scenario, task, &mut client).await;
    names
}
