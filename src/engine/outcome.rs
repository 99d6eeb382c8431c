//! What one request came to: how a failure is classified (`FailureKind`), a failure with its
//! message (`Failure`), and a finished request ready to record (`Done`). Every task kind's
//! protocol code produces these and the recorder consumes them, so neither imports the other.

use std::time::Instant;

pub(crate) use crate::engine::protocols::http::Resend;
use crate::preset::compiled::FailureClass;
pub use crate::run::FailureKind;

/// Where an output token count came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenSource {
    /// The server's `usage` object.
    Usage,
    /// Content chunks of a stream, one each.
    Chunks,
    /// Characters / 4 of a non-streamed reply without usage.
    Estimated,
}

/// The measurements of one successful chat reply.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChatMetrics {
    /// From sending to the response head.
    pub ttfb_micros: u64,
    /// From sending to the first content; None for non-streamed replies.
    pub ttft_micros: Option<u64>,
    /// Gaps between consecutive content events (streamed only).
    pub itl_micros: Vec<u64>,
    pub output_tokens: u64,
    pub prompt_tokens: Option<u64>,
    pub source: TokenSource,
    /// The prompt tokens are the tokenizer's count (the server's usage did not say).
    pub prompt_counted: bool,
    /// The reply's text, kept only for multi-turn conversations (it joins the history) and
    /// journey steps that save it.
    pub reply_text: Option<String>,
    /// The tool calls the reply asks for (kept only when the request offered tools).
    pub tool_calls: Vec<ToolCall>,
}

/// A tool call a model asked for: its id, the function's name, and its arguments as the JSON
/// text the model wrote (assembled from a stream's deltas).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// A failed request: its kind and what happened, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub kind: FailureKind,
    pub message: String,
}

impl Failure {
    pub(crate) fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            message: message.into(),
        }
    }
}

/// One finished request, ready to record.
pub(crate) struct Done {
    pub latency_micros: u64,
    pub connect_micros: Option<u64>,
    pub bytes_received: u64,
    pub failure: Option<(FailureKind, String)>,
    pub done_at: Instant,
    /// A chat reply's measurements and its duration.
    pub chat: Option<(ChatMetrics, u64)>,
    /// Index of the scenario failure class the failure belongs to.
    pub class: Option<usize>,
    /// Whether the request needed a new connection or a second send.
    pub resend: Resend,
    /// Its user stopped it part way (`cancel_after`): not a failure; `chat` holds what arrived.
    pub cancelled: bool,
}

impl Done {
    /// A request that failed before anything was sent (its template did not render, say).
    pub(crate) fn not_sent(message: String) -> Done {
        Done {
            latency_micros: 0,
            connect_micros: None,
            bytes_received: 0,
            failure: Some((FailureKind::Other, message)),
            done_at: Instant::now(),
            chat: None,
            class: None,
            resend: Resend::default(),
            cancelled: false,
        }
    }

    /// Sorts a failure into `limited` (429, or 503 with Retry-After) and into the first failure
    /// class that matches it.
    pub(crate) fn classify(&mut self, classes: &[FailureClass], status: Option<u16>, retry_after: bool, body: &[u8]) {
        let Some((kind, message)) = self.failure.as_mut() else { return };
        if matches!(status, Some(429)) || (status == Some(503) && retry_after) {
            *kind = FailureKind::Limited;
        }
        self.class = classes.iter().position(|class| class.matches(status, body, message));
    }
}

/// A failure message as tables show it: one line, without the kind it is filed under repeated
/// in front (`tool error: tool error: ...`).
pub(crate) fn failure_message(kind: FailureKind, message: &str) -> String {
    let one_line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    let kind_prefix = format!("{kind}: ");
    match one_line.strip_prefix(&kind_prefix) {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => one_line,
    }
}
