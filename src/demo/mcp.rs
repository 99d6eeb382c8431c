//! The demo MCP server (streamable HTTP on `/mcp`): `initialize` hands out an
//! `Mcp-Session-Id`, then `tools/list` and `tools/call` for file, git, web and search tools.
//! File tools refuse paths outside `/sandbox`. Replies are JSON, or SSE when a session client
//! accepts `text/event-stream`. Requests without a session are served statelessly, as the
//! spec allows, so plain HTTP tasks can call tools too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use super::model::{GpuQueue, Jitter};
use super::server::{DemoBody, empty, json as json_response, read_json};

/// The protocol version the demo speaks when the client names none.
pub(crate) const PROTOCOL_VERSION: &str = "2025-06-18";

const SESSION_HEADER: &str = "mcp-session-id";

/// The MCP server's state.
pub(crate) struct Mcp {
    pub workers: GpuQueue,
    pub jitter: Arc<Jitter>,
    pub sessions: Mutex<HashMap<String, u64>>,
}

struct Tool {
    name: &'static str,
    description: &'static str,
    cost_millis: f64,
    takes_path: bool,
}

const TOOLS: &[Tool] = &[
    Tool {
        name: "read_file",
        description: "Read a file inside /sandbox",
        cost_millis: 8.0,
        takes_path: true,
    },
    Tool {
        name: "write_file",
        description: "Write a file inside /sandbox",
        cost_millis: 15.0,
        takes_path: true,
    },
    Tool {
        name: "git_status",
        description: "git status of a repository inside /sandbox",
        cost_millis: 20.0,
        takes_path: true,
    },
    Tool {
        name: "git_log",
        description: "Recent commits of a repository inside /sandbox",
        cost_millis: 30.0,
        takes_path: true,
    },
    Tool {
        name: "web_fetch",
        description: "Fetch a web page (simulated)",
        cost_millis: 60.0,
        takes_path: false,
    },
    Tool {
        name: "search",
        description: "Search the sandbox (simulated)",
        cost_millis: 40.0,
        takes_path: false,
    },
];

impl Mcp {
    pub(crate) async fn handle(self: Arc<Self>, request: Request<Incoming>) -> Response<DemoBody> {
        match (request.method(), request.uri().path()) {
            (&Method::GET, "/health") => json_response(StatusCode::OK, &json!({"status": "ok", "service": "demo-mcp"})),
            (&Method::POST, "/mcp") => self.post(request).await,
            (&Method::DELETE, "/mcp") => {
                let removed = session_id(&request).and_then(|id| self.lock_sessions().remove(&id));
                empty(if removed.is_some() { StatusCode::OK } else { StatusCode::NOT_FOUND })
            }
            (&Method::GET, "/mcp") => empty(StatusCode::METHOD_NOT_ALLOWED),
            _ => empty(StatusCode::NOT_FOUND),
        }
    }

    /// Sessions opened and not yet deleted.
    pub(crate) fn open_sessions(&self) -> usize {
        self.lock_sessions().len()
    }

    fn lock_sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, u64>> {
        match self.sessions.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    async fn post(&self, request: Request<Incoming>) -> Response<DemoBody> {
        let session = session_id(&request);
        let wants_sse = request
            .headers()
            .get(ACCEPT)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|accept| accept.contains("text/event-stream"));
        let (_, body) = match read_json(request).await {
            Ok(parsed) => parsed,
            Err(_) => return rpc_error_response(StatusCode::BAD_REQUEST, Value::Null, -32700, "parse error: body is not JSON"),
        };
        let id = body.get("id").cloned().unwrap_or(Value::Null);
        let Some(method) = body.get("method").and_then(Value::as_str) else {
            return rpc_error_response(StatusCode::BAD_REQUEST, id, -32600, "invalid request: no method");
        };
        if let Some(session) = &session {
            match self.lock_sessions().get_mut(session) {
                Some(calls) => *calls += 1,
                None => return rpc_error_response(StatusCode::NOT_FOUND, id, -32001, "session not found; initialize again"),
            }
        }
        let params = body.get("params").cloned().unwrap_or(Value::Null);
        let (result, new_session) = match method {
            "initialize" => {
                let new_id = uuid::Uuid::new_v4().to_string();
                self.lock_sessions().insert(new_id.clone(), 0);
                let version = params.get("protocolVersion").and_then(Value::as_str).unwrap_or(PROTOCOL_VERSION);
                (
                    Ok(json!({
                        "protocolVersion": version,
                        "capabilities": {"tools": {"listChanged": false}},
                        "serverInfo": {"name": "loadscope-demo-mcp", "version": env!("CARGO_PKG_VERSION")},
                    })),
                    Some(new_id),
                )
            }
            "notifications/initialized" | "notifications/cancelled" => return empty(StatusCode::ACCEPTED),
            "ping" => (Ok(json!({})), None),
            "tools/list" => {
                let tools: Vec<Value> = TOOLS
                    .iter()
                    .map(|tool| {
                        let schema = match tool.name {
                            "write_file" => json!({"type": "object", "properties": {"path": {"type": "string"}, "content": {"type": "string"}}, "required": ["path", "content"]}),
                            _ if tool.takes_path => json!({"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}),
                            "web_fetch" => json!({"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]}),
                            _ => json!({"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}),
                        };
                        json!({"name": tool.name, "description": tool.description, "inputSchema": schema})
                    })
                    .collect();
                (Ok(json!({"tools": tools})), None)
            }
            "tools/call" => (self.call(&params).await, None),
            other => (Err((-32601, format!("method not found: {other}"))), None),
        };
        let message = match result {
            Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
            Err((code, text)) => json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": text}}),
        };
        let mut response = if wants_sse && session.is_some() {
            let mut response = Response::new(Full::new(Bytes::from(format!("event: message\ndata: {message}\n\n"))).boxed());
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
            response
        } else {
            json_response(StatusCode::OK, &message)
        };
        if let Some(new_id) = new_session
            && let Ok(value) = HeaderValue::from_str(&new_id)
        {
            response.headers_mut().insert(SESSION_HEADER, value);
        }
        response
    }

    async fn call(&self, params: &Value) -> Result<Value, (i64, String)> {
        let arrived = std::time::Instant::now();
        let name = params
            .get("name")
            .and_then(Value::as_str)
            .ok_or((-32602, "tools/call needs params.name".to_string()))?;
        let tool = TOOLS
            .iter()
            .find(|tool| tool.name == name)
            .ok_or_else(|| (-32602, format!("unknown tool: {name}")))?;
        let arguments = params.get("arguments").cloned().unwrap_or(json!({}));
        if tool.takes_path {
            let path = arguments.get("path").and_then(Value::as_str).unwrap_or("");
            if !path.starts_with("/sandbox/") && path != "/sandbox" || path.contains("..") {
                return Ok(json!({
                    "content": [{"type": "text", "text": format!("access denied: {path:?} is outside the sandbox")}],
                    "isError": true,
                }));
            }
        }
        let permit = self
            .workers
            .acquire()
            .await
            .map_err(|_| (-32000, "server busy: too many concurrent tool calls".to_string()))?;
        if self.jitter.inject_error() {
            return Ok(json!({"content": [{"type": "text", "text": "tool crashed"}], "isError": true}));
        }
        self.jitter.wait(self.jitter.service(tool.cost_millis, 0.4), arrived).await;
        drop(permit);
        let argument = |name: &str| arguments.get(name).and_then(Value::as_str).unwrap_or("").to_string();
        let text = match tool.name {
            "read_file" => format!("contents of {}", argument("path")),
            "write_file" => format!("wrote {} bytes to {}", argument("content").len(), argument("path")),
            "git_status" => format!("{}: on branch main\nnothing to commit, working tree clean", argument("path")),
            "git_log" => format!("{}: abc1234 Add feature\ndef5678 Fix bug", argument("path")),
            "web_fetch" => format!("<html><title>{}</title></html>", argument("url")),
            _ => {
                let query = argument("query");
                format!("3 matches for {query:?}: /sandbox/notes.txt, /sandbox/README.md, /sandbox/src/main.rs")
            }
        };
        Ok(json!({"content": [{"type": "text", "text": text}], "isError": false}))
    }
}

fn session_id(request: &Request<Incoming>) -> Option<String> {
    request
        .headers()
        .get(SESSION_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string)
}

fn rpc_error_response(status: StatusCode, id: Value, code: i64, message: &str) -> Response<DemoBody> {
    json_response(
        status,
        &json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}),
    )
}
