//! OpenAI-compatible chat completions: what the engine measures in a reply. Streamed replies
//! give time to first byte, time to first token (the first event whose delta carries content,
//! reasoning included), the gaps between content events, and output tokens; tokens come from
//! the final `usage` chunk when the server sends one, else each content chunk counts as one
//! (a chunk is not always one token, so the source is recorded with the number). The request
//! body a chat task sends is built here too.

use std::time::Instant;

use serde::Deserialize;
use serde_json::Value;

use super::sse::{SseEvent, SseParser};
use crate::engine::outcome::{ChatMetrics, FailureKind, TokenSource, ToolCall};
use crate::preset::compiled::ChatSpec;

/// What one request sets beyond the task: a drawn `max_tokens`, and the switches that make
/// vLLM-style servers produce exactly that.
#[derive(Debug, Default)]
pub(crate) struct ChatExtras {
    pub max_tokens: Option<u32>,
    pub exact_output: bool,
}

/// The request body of a chat task: `messages` (role, content) as sent, in order.
pub(crate) fn request_body(spec: &ChatSpec, messages: &[(&str, &str)], extras: &ChatExtras) -> Vec<u8> {
    use serde_json::json;
    let messages: Vec<Value> = messages
        .iter()
        .map(|(role, content)| json!({"role": role, "content": content}))
        .collect();
    let mut body = serde_json::Map::new();
    body.insert("model".into(), Value::from(spec.model.clone()));
    body.insert("messages".into(), Value::from(messages));
    if let Some(max_tokens) = extras.max_tokens.or(spec.max_tokens) {
        body.insert("max_tokens".into(), Value::from(max_tokens));
        if extras.exact_output {
            body.insert("min_tokens".into(), Value::from(max_tokens));
            body.insert("ignore_eos".into(), Value::from(true));
        }
    }
    if let Some(temperature) = spec.temperature {
        body.insert("temperature".into(), Value::from(temperature));
    }
    body.insert("stream".into(), Value::from(spec.stream));
    if spec.stream && spec.include_usage {
        body.insert("stream_options".into(), json!({"include_usage": true}));
    }
    for (key, value) in &spec.extra {
        body.insert(key.clone(), value.clone());
    }
    serde_json::to_vec(&Value::Object(body)).unwrap_or_default()
}

/// A chat request body with the model's tools added, and the exchange of a tool round
/// appended to its messages: the assistant's reply asking for `calls`, then each call's
/// result as a `tool` message.
pub(crate) fn add_tool_round(body: &mut Value, reply_text: &str, calls: &[ToolCall], results: &[String]) {
    use serde_json::json;
    let Some(messages) = body.get_mut("messages").and_then(Value::as_array_mut) else {
        return;
    };
    let asked: Vec<Value> = calls
        .iter()
        .map(|call| json!({"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}))
        .collect();
    let content = if reply_text.is_empty() {
        Value::Null
    } else {
        Value::from(reply_text)
    };
    messages.push(json!({"role": "assistant", "content": content, "tool_calls": asked}));
    for (call, result) in calls.iter().zip(results) {
        messages.push(json!({"role": "tool", "tool_call_id": call.id, "content": result}));
    }
}

/// A stream chunk as the common path reads it: only what is measured, strings borrowed from
/// the event where they have no escapes; every other field is skipped unread.
#[derive(serde::Deserialize)]
struct Chunk<'a> {
    #[serde(default, borrow)]
    choices: Vec<ChunkChoice<'a>>,
    #[serde(default)]
    usage: Option<ChunkUsage>,
    /// An `error` field of any value (null included) is present.
    #[serde(default, deserialize_with = "present")]
    error: bool,
}

#[derive(serde::Deserialize)]
struct ChunkChoice<'a> {
    #[serde(default, borrow)]
    delta: Option<ChunkDelta<'a>>,
}

#[derive(serde::Deserialize)]
struct ChunkDelta<'a> {
    #[serde(default, borrow)]
    content: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    reasoning_content: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    reasoning: Option<std::borrow::Cow<'a, str>>,
    /// Pieces of tool calls: the first of each names it, later ones add to its arguments.
    #[serde(default, borrow)]
    tool_calls: Option<Vec<ToolCallDelta<'a>>>,
}

#[derive(serde::Deserialize)]
struct ToolCallDelta<'a> {
    #[serde(default)]
    index: Option<usize>,
    #[serde(default, borrow)]
    id: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    function: Option<FunctionDelta<'a>>,
}

#[derive(serde::Deserialize)]
struct FunctionDelta<'a> {
    #[serde(default, borrow)]
    name: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    arguments: Option<std::borrow::Cow<'a, str>>,
}

#[derive(serde::Deserialize)]
struct ChunkUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
}

fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(deserializer).map(|_| true)
}

/// A chat failure: kind and message.
pub(crate) type ChatFailure = (FailureKind, String);

/// Measures a streamed reply as its bytes arrive.
pub(crate) struct StreamMeter {
    head_at: Option<Instant>,
    first_token: Option<Instant>,
    last_token: Option<Instant>,
    itl_micros: Vec<u64>,
    content_chunks: u64,
    usage: Option<(Option<u64>, u64)>,
    done: bool,
    failure: Option<ChatFailure>,
    parser: SseParser,
    /// Server-sent events parsed, and the body's first non-blank byte: a reply with no events
    /// that starts with `{` is a plain JSON answer, not a stream.
    events: u64,
    first_byte: Option<u8>,
    /// The content so far, when kept (multi-turn conversations).
    reply_text: Option<String>,
    /// Tool calls assembled from the deltas so far, by their index.
    tool_calls: Vec<ToolCall>,
}

impl Default for StreamMeter {
    fn default() -> Self {
        StreamMeter::new()
    }
}

impl StreamMeter {
    pub(crate) fn new() -> StreamMeter {
        StreamMeter {
            head_at: None,
            first_token: None,
            last_token: None,
            itl_micros: Vec::new(),
            content_chunks: 0,
            usage: None,
            done: false,
            failure: None,
            parser: SseParser::default(),
            events: 0,
            first_byte: None,
            reply_text: None,
            tool_calls: Vec::new(),
        }
    }

    /// A meter that also keeps the reply's text.
    pub(crate) fn capturing() -> StreamMeter {
        StreamMeter {
            reply_text: Some(String::new()),
            ..StreamMeter::new()
        }
    }

    /// Body bytes arrived at `at`.
    pub(crate) fn on_data(&mut self, bytes: &[u8], at: Instant) {
        self.head_at.get_or_insert(at);
        if self.first_byte.is_none() {
            self.first_byte = bytes.iter().copied().find(|byte| !byte.is_ascii_whitespace());
        }
        let mut parser = std::mem::take(&mut self.parser);
        parser.feed(bytes, &mut |event| self.on_event(event, at));
        self.parser = parser;
    }

    /// Content chunks (output tokens, one each) so far.
    pub(crate) fn content_chunks(&self) -> u64 {
        self.content_chunks
    }

    /// What a stream stopped part way measured: time to first token if one came, the gaps
    /// so far, and the tokens so far (one a content chunk; the usage chunk never came).
    pub(crate) fn so_far(&mut self, start: Instant) -> ChatMetrics {
        let since_sent = |at: Instant| at.saturating_duration_since(start).as_micros() as u64;
        ChatMetrics {
            ttfb_micros: self.head_at.map(since_sent).unwrap_or(0),
            ttft_micros: self.first_token.map(since_sent),
            itl_micros: std::mem::take(&mut self.itl_micros),
            output_tokens: self.content_chunks,
            prompt_tokens: None,
            source: TokenSource::Chunks,
            prompt_counted: false,
            reply_text: self.reply_text.take(),
            tool_calls: Vec::new(),
        }
    }

    /// Whether any byte of the reply arrived (a failure after that is a cut stream).
    pub(crate) fn started(&self) -> bool {
        self.head_at.is_some()
    }

    fn on_event(&mut self, event: &SseEvent, at: Instant) {
        self.events += 1;
        if self.done || self.failure.is_some() {
            return;
        }
        let data = event.data.trim();
        if data == "[DONE]" {
            self.done = true;
            return;
        }
        // The common chunk, read into borrowed fields (no allocation); anything else (an
        // error, an odd shape) takes the general path below, which decides exactly as before.
        if event.event != "error"
            && let Ok(chunk) = serde_json::from_str::<Chunk<'_>>(data)
            && !chunk.error
        {
            if let Some(usage) = &chunk.usage
                && let Some(completion) = usage.completion_tokens
            {
                self.usage = Some((usage.prompt_tokens, completion));
            }
            let delta = chunk.choices.first().and_then(|choice| choice.delta.as_ref());
            let mut has_content = delta.is_some_and(|delta| {
                [&delta.content, &delta.reasoning_content, &delta.reasoning]
                    .iter()
                    .any(|field| field.as_deref().is_some_and(|text| !text.is_empty()))
            });
            if let Some(calls) = delta.and_then(|delta| delta.tool_calls.as_ref()) {
                // A tool call's pieces are the reply's output as much as text is.
                has_content |= self.on_tool_call_deltas(calls);
            }
            if has_content {
                self.on_content(delta.and_then(|delta| delta.content.as_deref()), at);
            }
            return;
        }
        let value: Value = match serde_json::from_str(data) {
            Ok(value) => value,
            Err(err) => {
                self.failure = Some((FailureKind::Malformed, format!("stream chunk is not JSON: {err}")));
                return;
            }
        };
        if event.event == "error" || value.get("error").is_some() {
            self.failure = Some((FailureKind::ApiError, error_message(&value)));
            return;
        }
        if let Some(usage) = value.get("usage").filter(|usage| !usage.is_null())
            && let Some(completion) = usage.get("completion_tokens").and_then(Value::as_u64)
        {
            self.usage = Some((usage.get("prompt_tokens").and_then(Value::as_u64), completion));
        }
        let delta = value.pointer("/choices/0/delta");
        let has_content = delta.is_some_and(|delta| {
            ["content", "reasoning_content", "reasoning"]
                .iter()
                .any(|field| delta.get(field).and_then(Value::as_str).is_some_and(|text| !text.is_empty()))
        });
        if has_content {
            self.on_content(delta.and_then(|delta| delta.get("content")).and_then(Value::as_str), at);
        }
    }

    /// Adds streamed tool-call pieces to the calls being assembled; whether any carried a
    /// name or arguments.
    fn on_tool_call_deltas(&mut self, deltas: &[ToolCallDelta<'_>]) -> bool {
        let mut carried = false;
        for (position, delta) in deltas.iter().enumerate() {
            let index = delta.index.unwrap_or(position);
            if index >= MAX_TOOL_CALLS {
                continue;
            }
            if self.tool_calls.len() <= index {
                self.tool_calls.resize_with(index + 1, ToolCall::default);
            }
            let call = &mut self.tool_calls[index];
            if let Some(id) = &delta.id {
                call.id.push_str(id);
            }
            if let Some(function) = &delta.function {
                if let Some(name) = &function.name {
                    call.name.push_str(name);
                    carried |= !name.is_empty();
                }
                if let Some(arguments) = &function.arguments {
                    call.arguments.push_str(arguments);
                    carried |= !arguments.is_empty();
                }
            }
        }
        carried
    }

    /// A chunk with content (or reasoning) arrived at `at`: its time, and its text when kept.
    fn on_content(&mut self, content: Option<&str>, at: Instant) {
        if let (Some(text), Some(content)) = (self.reply_text.as_mut(), content) {
            text.push_str(content);
        }
        self.content_chunks += 1;
        if self.first_token.is_none() {
            self.first_token = Some(at);
        }
        if let Some(last) = self.last_token {
            self.itl_micros.push(at.saturating_duration_since(last).as_micros() as u64);
        }
        self.last_token = Some(at);
    }

    /// The metrics of a complete stream, timed from `start`, or why it failed.
    pub(crate) fn finish(self, start: Instant) -> Result<ChatMetrics, ChatFailure> {
        if let Some(failure) = self.failure {
            return Err(failure);
        }
        if !self.done && self.events == 0 && matches!(self.first_byte, Some(b'{' | b'[')) {
            return Err((
                FailureKind::Malformed,
                "not a stream: the service answered a stream = true request with one JSON body instead of server-sent events (set stream = false on the task, or check the service honours \"stream\": true)".into(),
            ));
        }
        if !self.done {
            return Err((
                FailureKind::StreamCut,
                format!("stream ended without [DONE] after {} content chunks", self.content_chunks),
            ));
        }
        let since_sent = |at: Instant| at.saturating_duration_since(start).as_micros() as u64;
        let (prompt_tokens, output_tokens, source) = match self.usage {
            Some((prompt, completion)) => (prompt, completion, TokenSource::Usage),
            None => (None, self.content_chunks, TokenSource::Chunks),
        };
        Ok(ChatMetrics {
            ttfb_micros: self.head_at.map(since_sent).unwrap_or(0),
            ttft_micros: self.first_token.map(since_sent),
            itl_micros: self.itl_micros,
            output_tokens,
            prompt_tokens,
            source,
            prompt_counted: false,
            reply_text: self.reply_text,
            tool_calls: self.tool_calls.into_iter().filter(|call| !call.name.is_empty()).collect(),
        })
    }
}

/// The most tool calls read from one reply: a model asking for more is cut there (the
/// index of a streamed delta is the server's, so it bounds what a reply can make us keep).
pub(crate) const MAX_TOOL_CALLS: usize = 64;

/// The metrics of a non-streamed reply body, or why it is not a completion.
/// `capture` keeps the reply's text (multi-turn conversations append it to their history).
pub(crate) fn parse_completion(body: &[u8], ttfb_micros: u64, capture: bool) -> Result<ChatMetrics, ChatFailure> {
    let value: Value = serde_json::from_slice(body).map_err(|err| (FailureKind::Malformed, format!("reply is not JSON: {err}")))?;
    if value.get("error").is_some() {
        return Err((FailureKind::ApiError, error_message(&value)));
    }
    let tool_calls: Vec<ToolCall> = value
        .pointer("/choices/0/message/tool_calls")
        .and_then(Value::as_array)
        .map(|calls| {
            calls
                .iter()
                .take(MAX_TOOL_CALLS)
                .filter_map(|call| {
                    let text = |pointer: &str| call.pointer(pointer).and_then(Value::as_str).unwrap_or("").to_string();
                    let arguments = match call.pointer("/function/arguments") {
                        Some(Value::String(text)) => text.clone(),
                        Some(other) => other.to_string(),
                        None => String::new(),
                    };
                    let name = text("/function/name");
                    (!name.is_empty()).then(|| ToolCall {
                        id: text("/id"),
                        name,
                        arguments,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    // A reply that asks for tools may carry no text (`content: null`).
    let content = match value.pointer("/choices/0/message/content") {
        Some(Value::String(text)) => text.as_str(),
        Some(Value::Null) | None if !tool_calls.is_empty() => "",
        _ => return Err((FailureKind::Malformed, "reply has no choices[0].message.content".to_string())),
    };
    let usage = value.get("usage");
    let completion = usage.and_then(|usage| usage.get("completion_tokens")).and_then(Value::as_u64);
    let prompt = usage.and_then(|usage| usage.get("prompt_tokens")).and_then(Value::as_u64);
    let (output_tokens, source) = match completion {
        Some(tokens) => (tokens, TokenSource::Usage),
        None => ((content.chars().count() as u64).div_ceil(4), TokenSource::Estimated),
    };
    Ok(ChatMetrics {
        ttfb_micros,
        ttft_micros: None,
        itl_micros: Vec::new(),
        output_tokens,
        prompt_tokens: prompt,
        source,
        prompt_counted: false,
        reply_text: capture.then(|| content.to_string()),
        tool_calls,
    })
}

fn error_message(value: &Value) -> String {
    let message = value
        .pointer("/error/message")
        .or_else(|| value.get("error"))
        .or_else(|| value.get("message"))
        .map(|message| match message {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .unwrap_or_else(|| "error event".into());
    format!("API error: {message}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn chunk(content: &str) -> String {
        format!("data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":{content:?}}}}}]}}\n\n")
    }

    #[test]
    fn measures_ttft_itl_and_usage() {
        let sent = Instant::now();
        let mut meter = StreamMeter::new();
        let at = |millis: u64| sent + Duration::from_millis(millis);
        // The first bytes (the head's) arrive at 5 ms.
        meter.on_data(
            b"data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n",
            at(5),
        );
        meter.on_data(chunk("Hel").as_bytes(), at(40));
        meter.on_data(chunk("lo").as_bytes(), at(50));
        meter.on_data(
            format!(
                "{}data: {{\"choices\":[],\"usage\":{{\"prompt_tokens\":7,\"completion_tokens\":3}}}}\n\ndata: [DONE]\n\n",
                chunk("!")
            )
            .as_bytes(),
            at(70),
        );
        let metrics = meter.finish(sent).expect("complete");
        assert_eq!(metrics.ttfb_micros, 5_000);
        assert_eq!(metrics.ttft_micros, Some(40_000), "the empty role chunk is not a token");
        assert_eq!(metrics.itl_micros, vec![10_000, 20_000]);
        assert_eq!(
            (metrics.output_tokens, metrics.prompt_tokens, metrics.source),
            (3, Some(7), TokenSource::Usage)
        );
    }

    #[test]
    fn counts_chunks_without_usage_and_reads_reasoning() {
        let mut meter = StreamMeter::new();
        meter.on_data(
            b"data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"thinking\"}}]}\n\n",
            Instant::now(),
        );
        meter.on_data(chunk("answer").as_bytes(), Instant::now());
        meter.on_data(b"data: [DONE]\n\n", Instant::now());
        let metrics = meter.finish(Instant::now()).expect("complete");
        assert_eq!((metrics.output_tokens, metrics.source), (2, TokenSource::Chunks));
        assert!(metrics.ttft_micros.is_some());
    }

    #[test]
    fn each_broken_stream_has_its_own_kind() {
        let mut cut = StreamMeter::new();
        cut.on_data(chunk("a").as_bytes(), Instant::now());
        assert_eq!(cut.finish(Instant::now()).expect_err("cut").0, FailureKind::StreamCut);

        let mut malformed = StreamMeter::new();
        malformed.on_data(b"data: {not json\n\n", Instant::now());
        assert_eq!(malformed.finish(Instant::now()).expect_err("malformed").0, FailureKind::Malformed);

        let mut errored = StreamMeter::new();
        errored.on_data(
            b"data: {\"error\":{\"message\":\"rate limited\"}}\n\ndata: [DONE]\n\n",
            Instant::now(),
        );
        let (kind, message) = errored.finish(Instant::now()).expect_err("error event");
        assert_eq!((kind, message.as_str()), (FailureKind::ApiError, "API error: rate limited"));
    }

    #[test]
    fn odd_chunks_read_as_the_general_path_reads_them() {
        // Escaped text is kept whole; a chunk whose usage is not whole numbers, or whose delta
        // is not text, takes the general path and counts as it always did.
        let mut meter = StreamMeter::capturing();
        meter.on_data(chunk("say \"hi\"\n").as_bytes(), Instant::now());
        meter.on_data(b"data: {\"choices\":[{\"delta\":{\"content\":[1]}}]}\n\n", Instant::now());
        meter.on_data(b"data: {\"choices\":[],\"usage\":{\"completion_tokens\":2.5}}\n\n", Instant::now());
        meter.on_data(
            b"data: {\"choices\":[{\"delta\":{\"content\":\"\\u00e9\"}}],\"usage\":null}\n\n",
            Instant::now(),
        );
        meter.on_data(b"data: [DONE]\n\n", Instant::now());
        let metrics = meter.finish(Instant::now()).expect("complete");
        assert_eq!(metrics.reply_text.as_deref(), Some("say \"hi\"\n\u{e9}"));
        assert_eq!((metrics.output_tokens, metrics.source), (2, TokenSource::Chunks));

        // An `error` field, even null, and an `error` event are the service's errors.
        for stream in [
            &b"data: {\"error\":null,\"choices\":[]}\n\n"[..],
            &b"event: error\ndata: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n"[..],
        ] {
            let mut meter = StreamMeter::new();
            meter.on_data(stream, Instant::now());
            meter.on_data(b"data: [DONE]\n\n", Instant::now());
            assert_eq!(meter.finish(Instant::now()).expect_err("error").0, FailureKind::ApiError);
        }
    }

    #[test]
    fn parses_non_streamed_replies() {
        let body =
            br#"{"choices":[{"message":{"role":"assistant","content":"Hi there"}}],"usage":{"prompt_tokens":4,"completion_tokens":2}}"#;
        let metrics = parse_completion(body, 1_000, false).expect("valid");
        assert_eq!(metrics.reply_text, None, "the text is kept only when asked");
        assert_eq!(
            (metrics.output_tokens, metrics.source, metrics.ttft_micros),
            (2, TokenSource::Usage, None)
        );
        let no_usage = parse_completion(br#"{"choices":[{"message":{"content":"12345678"}}]}"#, 0, true).expect("valid");
        assert_eq!(no_usage.reply_text.as_deref(), Some("12345678"));
        assert_eq!((no_usage.output_tokens, no_usage.source), (2, TokenSource::Estimated));
        assert_eq!(parse_completion(b"<html>", 0, false).expect_err("html").0, FailureKind::Malformed);
    }
}
