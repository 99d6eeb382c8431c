//! Request protocols. `http` is the raw HTTP/1.1 path every task kind stands on; `chat`
//! measures OpenAI-compatible chat replies; `sse` parses server-sent events.

pub mod chat;
pub mod http;
pub mod mcp;
pub mod sse;
pub mod tls;
