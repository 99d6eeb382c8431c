//! Model Context Protocol over streamable HTTP: JSON-RPC bodies for initialize, the
//! initialized notification, tools/list and tools/call, and reading a reply whether the
//! server answered with JSON or with server-sent events. `session` runs a client's session on
//! the engine's request path.

use serde_json::{Value, json};

use super::sse::SseParser;

pub(crate) mod session;

/// The protocol version sent when the preset names none.
pub(crate) const DEFAULT_PROTOCOL_VERSION: &str = "2025-06-18";

/// A client's session with an MCP server.
#[derive(Debug, Clone, Default)]
pub struct McpSession {
    /// Initialized (with or without a session id: stateless servers give none).
    pub open: bool,
    pub id: Option<String>,
    /// The version the server answered with.
    pub protocol_version: String,
    /// Tool calls made on this session.
    pub calls: u32,
    next_rpc_id: u64,
}

impl McpSession {
    /// A new JSON-RPC id, unique within the session.
    pub fn next_rpc_id(&mut self) -> u64 {
        self.next_rpc_id += 1;
        self.next_rpc_id
    }

    /// Forgets the session (it was closed or expired).
    pub fn reset(&mut self) {
        *self = McpSession {
            next_rpc_id: self.next_rpc_id,
            ..McpSession::default()
        };
    }
}

pub(crate) fn initialize_body(id: u64, protocol_version: &str) -> Vec<u8> {
    json!({
        "jsonrpc": "2.0", "id": id, "method": "initialize",
        "params": {
            "protocolVersion": protocol_version,
            "capabilities": {},
            "clientInfo": {"name": "loadscope", "version": env!("CARGO_PKG_VERSION")},
        },
    })
    .to_string()
    .into_bytes()
}

pub(crate) fn initialized_body() -> Vec<u8> {
    br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.to_vec()
}

pub(crate) fn list_tools_body(id: u64) -> Vec<u8> {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/list", "params": {}})
        .to_string()
        .into_bytes()
}

pub(crate) fn call_body(id: u64, tool: &str, arguments: &Value) -> Vec<u8> {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": arguments}})
        .to_string()
        .into_bytes()
}

/// The JSON-RPC response with `id` in a reply body: the body itself when it is JSON, or the
/// matching `data:` event of an event stream (notifications and other ids are skipped).
pub(crate) fn find_reply(body: &[u8], content_type: Option<&str>, id: u64) -> Result<Value, super::ProtocolError> {
    let is_sse = content_type.is_some_and(|kind| kind.starts_with("text/event-stream"));
    if !is_sse {
        return serde_json::from_slice(body).map_err(|err| super::ProtocolError::ReplyNotJson(err.to_string()));
    }
    let mut parser = SseParser::default();
    let mut found = None;
    let mut bad = None;
    parser.feed(body, &mut |event| {
        if found.is_some() {
            return;
        }
        match serde_json::from_str::<Value>(&event.data) {
            Ok(message) if message.get("id").and_then(Value::as_u64) == Some(id) => found = Some(message),
            Ok(_) => {}
            Err(err) => bad = Some(super::ProtocolError::EventNotJson(err.to_string())),
        }
    });
    // A stream that ended without a blank line still holds its last event.
    parser.feed(b"\n\n", &mut |event| {
        if found.is_none()
            && let Ok(message) = serde_json::from_str::<Value>(&event.data)
            && message.get("id").and_then(Value::as_u64) == Some(id)
        {
            found = Some(message);
        }
    });
    found.ok_or_else(|| bad.unwrap_or(super::ProtocolError::NoReply(id)))
}

/// How a tools/call ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CallOutcome {
    Succeeded,
    /// A JSON-RPC error object.
    RpcError {
        code: i64,
        message: String,
    },
    /// A result with `isError: true`.
    ToolError(String),
}

pub(crate) fn judge_call(reply: &Value) -> CallOutcome {
    if let Some(error) = reply.get("error") {
        return CallOutcome::RpcError {
            code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
            message: error.get("message").and_then(Value::as_str).unwrap_or("").to_string(),
        };
    }
    let result = reply.get("result");
    if result.and_then(|result| result.get("isError")).and_then(Value::as_bool) == Some(true) {
        let text = result
            .and_then(|result| result.pointer("/content/0/text"))
            .and_then(Value::as_str)
            .unwrap_or("isError: true");
        // The TypeScript SDK wraps protocol errors (unknown tool, bad arguments) raised in a
        // call as an isError result "MCP error <code>: <message>": they are JSON-RPC errors.
        if let Some(rest) = text.strip_prefix("MCP error ")
            && let Some((code, message)) = rest.split_once(": ")
            && let Ok(code) = code.trim().parse::<i64>()
        {
            return CallOutcome::RpcError {
                code,
                message: message.chars().take(120).collect(),
            };
        }
        return CallOutcome::ToolError(text.chars().take(120).collect());
    }
    CallOutcome::Succeeded
}

/// The tools of a tools/list result (none when it lists none).
fn listed_tools(reply: &Value) -> &[Value] {
    reply
        .pointer("/result/tools")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// Tool names in a tools/list result.
pub(crate) fn tool_names(reply: &Value) -> Vec<String> {
    listed_tools(reply)
        .iter()
        .filter_map(|tool| tool.get("name").and_then(Value::as_str).map(str::to_string))
        .collect()
}

/// A tools/list result as OpenAI chat `tools`: each MCP tool a function whose parameters are
/// its input schema.
pub(crate) fn openai_tools(reply: &Value) -> Vec<Value> {
    listed_tools(reply)
        .iter()
        .filter_map(|tool| {
            let name = tool.get("name")?.as_str()?;
            let schema = tool
                .get("inputSchema")
                .cloned()
                .unwrap_or_else(|| json!({"type": "object", "properties": {}}));
            let mut function = json!({"name": name, "parameters": schema});
            if let Some(description) = tool.get("description").and_then(Value::as_str) {
                function["description"] = Value::from(description);
            }
            Some(json!({"type": "function", "function": function}))
        })
        .collect()
}

/// The text a tools/call result carries (its `text` content items, joined), as a model is
/// sent it; the result as JSON when it has no text.
pub(crate) fn result_text(reply: &Value) -> String {
    let Some(result) = reply.get("result") else {
        return reply.get("error").map(Value::to_string).unwrap_or_default();
    };
    let texts: Vec<&str> = result
        .get("content")
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(|item| item.get("text").and_then(Value::as_str)).collect())
        .unwrap_or_default();
    if texts.is_empty() { result.to_string() } else { texts.join("\n") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_replies_in_json_and_event_streams() {
        let json = br#"{"jsonrpc":"2.0","id":3,"result":{"content":[]}}"#;
        assert_eq!(find_reply(json, Some("application/json"), 3).expect("json")["id"], 3);
        let sse = b"event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}\n\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{}}\n";
        assert_eq!(find_reply(sse, Some("text/event-stream"), 4).expect("sse")["id"], 4);
        assert!(find_reply(sse, Some("text/event-stream"), 5).is_err());
        assert!(find_reply(b"<html>", None, 1).expect_err("html").to_string().contains("not JSON"));
    }

    #[test]
    fn judges_calls() {
        assert_eq!(
            judge_call(&json!({"result": {"content": [], "isError": false}})),
            CallOutcome::Succeeded
        );
        assert_eq!(
            judge_call(&json!({"error": {"code": -32602, "message": "Unknown tool: nope"}})),
            CallOutcome::RpcError {
                code: -32602,
                message: "Unknown tool: nope".into()
            }
        );
        assert_eq!(
            judge_call(&json!({"result": {"content": [{"type": "text", "text": "access denied"}], "isError": true}})),
            CallOutcome::ToolError("access denied".into())
        );
        assert_eq!(
            judge_call(
                &json!({"result": {"content": [{"type": "text", "text": "MCP error -32602: Tool nope not found"}], "isError": true}})
            ),
            CallOutcome::RpcError {
                code: -32602,
                message: "Tool nope not found".into()
            }
        );
        assert_eq!(
            tool_names(&json!({"result": {"tools": [{"name": "echo"}, {"name": "get-sum"}]}})),
            vec!["echo", "get-sum"]
        );
    }
}
