//! How a request failed, as the engine classifies it and run files store it. Stored as a serde
//! enum (`"connect"`, `"api_error"`, `{"status": 500}`); run files written before version 3
//! stored the display text (`"api error"`, `"status 500"`), which still reads.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// How a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The connection could not be opened (refused, DNS, TLS).
    Connect,
    /// No complete response within the scenario's timeout.
    Timeout,
    /// A status the task does not accept.
    Status(u16),
    /// A check on the body failed.
    Check,
    /// A reply that is not what the protocol says (bad JSON, missing fields).
    Malformed,
    /// The service answered with an error object or an error event.
    ApiError,
    /// A stream that ended before its end marker.
    StreamCut,
    /// The server closed the connection (or reset it) after the request was written and
    /// before any byte of a reply: it may have read the request, so it is not sent again
    /// (unless its method is idempotent; see `engine::protocols::http::exchange`).
    Closed,
    /// A JSON-RPC error object.
    RpcError,
    /// An MCP tool result with `isError: true`.
    ToolError,
    /// A call the preset expects to be refused (`expect = "error"`) succeeded.
    SandboxViolation,
    /// The service signalled a concurrency limit: HTTP 429, 503 with Retry-After, or a
    /// JSON-RPC error code the preset names.
    Limited,
    /// The load generator's own limit, not the service's: out of file descriptors (EMFILE,
    /// ENFILE) or local ports (EADDRNOTAVAIL) when opening a connection.
    Generator,
    /// Anything else: the connection closed mid-response, a malformed reply.
    Other,
}

/// Each kind without data: its serde name and the text people read (which files before
/// version 3 stored).
const NAMED: [(FailureKind, &str, &str); 13] = [
    (FailureKind::Connect, "connect", "connect"),
    (FailureKind::Timeout, "timeout", "timeout"),
    (FailureKind::Check, "check", "check"),
    (FailureKind::Malformed, "malformed", "malformed"),
    (FailureKind::ApiError, "api_error", "api error"),
    (FailureKind::StreamCut, "stream_cut", "stream cut"),
    (FailureKind::Closed, "closed", "closed"),
    (FailureKind::RpcError, "rpc_error", "rpc error"),
    (FailureKind::ToolError, "tool_error", "tool error"),
    (FailureKind::SandboxViolation, "sandbox_violation", "sandbox violation"),
    (FailureKind::Limited, "limited", "limited"),
    (FailureKind::Generator, "generator", "load generator"),
    (FailureKind::Other, "other", "other"),
];

impl FailureKind {
    /// A name for labels and identifiers: the serde name, `status_500` for a status.
    pub fn label(self) -> String {
        match self {
            FailureKind::Status(code) => format!("status_{code}"),
            kind => NAMED
                .iter()
                .find(|(named, _, _)| *named == kind)
                .map(|(_, serde_name, _)| (*serde_name).to_string())
                .unwrap_or_else(|| "other".to_string()),
        }
    }

    /// The kind a name stands for: the serde name, or the display text older files stored.
    fn from_name(name: &str) -> Option<FailureKind> {
        if let Some(status) = name.strip_prefix("status ") {
            return status.trim().parse().ok().map(FailureKind::Status);
        }
        NAMED
            .iter()
            .find(|(_, serde_name, text)| *serde_name == name || *text == name)
            .map(|(kind, _, _)| *kind)
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureKind::Status(status) => write!(f, "status {status}"),
            unit => {
                let text = NAMED.iter().find(|(kind, _, _)| kind == unit).map(|(_, _, text)| *text);
                f.write_str(text.unwrap_or("other"))
            }
        }
    }
}

impl<'de> Deserialize<'de> for FailureKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FailureKind, D::Error> {
        struct KindVisitor;
        impl<'de> Visitor<'de> for KindVisitor {
            type Value = FailureKind;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a failure kind such as \"connect\", \"timeout\" or {\"status\": 500}")
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<FailureKind, E> {
                FailureKind::from_name(name).ok_or_else(|| {
                    E::custom(format!(
                        "unknown failure kind {name:?} (expected one of {}, or {{\"status\": CODE}})",
                        NAMED.iter().map(|(_, serde_name, _)| *serde_name).collect::<Vec<_>>().join(", ")
                    ))
                })
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FailureKind, A::Error> {
                let key: String = map
                    .next_key()?
                    .ok_or_else(|| de::Error::custom("an empty object is not a failure kind"))?;
                if key != "status" {
                    return Err(de::Error::custom(format!(
                        "unknown failure kind {key:?} (only status carries a value)"
                    )));
                }
                Ok(FailureKind::Status(map.next_value()?))
            }
        }
        deserializer.deserialize_any(KindVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_old_text_reads() {
        let every = NAMED.iter().map(|(kind, _, _)| *kind).chain([FailureKind::Status(503)]);
        for kind in every {
            let json = serde_json::to_string(&kind).expect("serializes");
            assert_eq!(serde_json::from_str::<FailureKind>(&json).expect("reads back"), kind, "{json}");
            let old = serde_json::to_string(&kind.to_string()).expect("text");
            assert_eq!(serde_json::from_str::<FailureKind>(&old).expect("old text reads"), kind, "{old}");
        }
        assert_eq!(
            serde_json::to_string(&FailureKind::Status(500)).expect("serializes"),
            r#"{"status":500}"#
        );
        assert_eq!(serde_json::to_string(&FailureKind::ApiError).expect("serializes"), r#""api_error""#);
        let unknown = serde_json::from_str::<FailureKind>(r#""exploded""#).expect_err("unknown");
        assert!(unknown.to_string().contains("unknown failure kind \"exploded\""), "{unknown}");
    }
}
