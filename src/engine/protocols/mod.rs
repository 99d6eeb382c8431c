//! Request protocols. `http` is the raw HTTP/1.1 path every task kind stands on; `chat`
//! builds and measures OpenAI-compatible chat completions; `mcp` the MCP session's JSON-RPC;
//! `checks` judges reply bodies; `redirect` where a redirect sends a request next; `decode` reads encoded (gzip, br...) bodies; `sse` parses server-sent events; `tls` the shared client config.

pub(crate) mod chat;
pub(crate) mod checks;
pub(crate) mod decode;
mod error;
pub(crate) mod http;
pub(crate) mod mcp;
pub(crate) mod redirect;
pub(crate) mod sse;
pub(crate) mod tls;

pub use error::ProtocolError;
