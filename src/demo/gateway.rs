//! The demo OpenAI-compatible gateway: `/health`, `/v1/models`, `/v1/chat/completions` with
//! and without `stream: true` (SSE chunks, optional usage chunk, `[DONE]`). Generation holds a
//! GPU slot: a prefill delay, then a steady time per token. Offered `tools` and no tool result
//! yet, the model answers with one or two tool calls naming offered tools (arguments that fit
//! their input schemas, streamed as argument pieces); after tool results it answers in text.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Channel};
use hyper::body::Incoming;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use super::model::{GpuQueue, Jitter};
use super::server::{DemoBody, json as json_response, read_json};

/// The model name the demo serves.
pub(crate) const MODEL: &str = "demo-llm";

const WORDS: &[&str] = &[
    "Load", "testing", "shows", "where", "a", "service", "bends", "before", "it", "breaks.", "Latency", "grows", "as", "the", "queue",
    "fills,", "and", "the", "knee", "tells", "you", "how", "much", "traffic", "your", "stack", "can", "carry.",
];

/// The gateway's state.
pub(crate) struct Gateway {
    pub gpu: GpuQueue,
    /// How many generations run at once (the GPU queue's slots).
    pub gpu_slots: usize,
    pub jitter: Arc<Jitter>,
}

impl Gateway {
    /// Prometheus text, shaped like vLLM's queue gauges, for the monitors to scrape.
    fn metrics(&self) -> Response<DemoBody> {
        let text = format!(
            "# HELP demo_num_requests_waiting Requests waiting for a simulated GPU slot.\n\
             # TYPE demo_num_requests_waiting gauge\n\
             demo_num_requests_waiting{{model_name=\"{MODEL}\"}} {}\n\
             # HELP demo_num_requests_running Requests generating on a simulated GPU slot.\n\
             # TYPE demo_num_requests_running gauge\n\
             demo_num_requests_running{{model_name=\"{MODEL}\"}} {}\n\
             # HELP demo_gpu_slots Simulated GPU slots.\n\
             # TYPE demo_gpu_slots gauge\n\
             demo_gpu_slots {}\n",
            self.gpu.waiting(),
            self.gpu.busy(self.gpu_slots),
            self.gpu_slots
        );
        let mut response = Response::new(http_body_util::Full::new(Bytes::from(text)).boxed());
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
        response
    }

    pub(crate) async fn handle(self: Arc<Self>, request: Request<Incoming>) -> Response<DemoBody> {
        match (request.method(), request.uri().path()) {
            (&Method::GET, "/health") => json_response(StatusCode::OK, &json!({"status": "ok", "service": "demo-gateway"})),
            (&Method::GET, "/v1/models") => json_response(
                StatusCode::OK,
                &json!({"object": "list", "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "loadscope-demo"}]}),
            ),
            (&Method::POST, "/v1/chat/completions") => self.chat(request).await,
            (&Method::GET, "/metrics") => self.metrics(),
            (&Method::GET, "/demo/lateness") => match self.jitter.lateness() {
                Some(lateness) => json_response(StatusCode::OK, &json!(lateness)),
                None => error(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    "the demo records its lateness only with known delays: start it with `loadscope demo-stack --exact`",
                ),
            },
            _ => error(StatusCode::NOT_FOUND, "not_found", "no such route on the demo gateway"),
        }
    }

    async fn chat(self: Arc<Self>, request: Request<Incoming>) -> Response<DemoBody> {
        let arrived = std::time::Instant::now();
        let (_, body) = match read_json(request).await {
            Ok(parsed) => parsed,
            Err(response) => return response,
        };
        let Some(messages) = body.get("messages").and_then(Value::as_array) else {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "'messages' is required and must be an array",
            );
        };
        // Counted as OpenAI's API counts a chat prompt, with its tokenizer.
        let prompt_tokens = crate::tokens::Tokenizer::O200kBase.chat_prompt_tokens(messages.iter().map(|message| {
            (
                message.get("role").and_then(Value::as_str).unwrap_or(""),
                message.get("content").and_then(Value::as_str).unwrap_or(""),
            )
        })) as u32;
        let max_tokens = body
            .get("max_tokens")
            .or_else(|| body.get("max_completion_tokens"))
            .and_then(Value::as_u64)
            .unwrap_or(64)
            .clamp(1, 4096) as u32;
        // vLLM's switches for an exact length: no stop at end-of-sequence, and a floor.
        let ignore_eos = body.get("ignore_eos").and_then(Value::as_bool).unwrap_or(false);
        let min_tokens = body
            .get("min_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0)
            .min(u64::from(max_tokens)) as u32;
        let completion_tokens = if ignore_eos {
            max_tokens
        } else {
            self.jitter.between(max_tokens.div_ceil(2).max(min_tokens), max_tokens)
        };
        let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
        let include_usage = body
            .pointer("/stream_options/include_usage")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let model = body.get("model").and_then(Value::as_str).unwrap_or(MODEL).to_string();
        let tool_calls = self.tool_calls(&body, messages);
        // A tool call's arguments are the reply's tokens (about four characters each).
        let completion_tokens = match &tool_calls {
            Some(calls) => calls.iter().map(|call| (call.arguments.len() as u32).div_ceil(4).max(1)).sum(),
            None => completion_tokens,
        };

        let Ok(permit) = self.gpu.acquire().await else {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "overloaded",
                "server overloaded: the GPU request queue is full, retry later",
            );
        };
        if self.jitter.inject_error() {
            drop(permit);
            return error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "upstream model error");
        }
        let prefill = self.jitter.service(20.0 + prompt_tokens as f64 * 0.05, 0.3);
        let id = format!("chatcmpl-{}", uuid::Uuid::new_v4().simple());
        let created = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let usage = json!({"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens});

        if !stream {
            let generation = prefill + self.jitter.scaled(1.5) * completion_tokens;
            self.jitter.wait(generation, arrived).await;
            drop(permit);
            if let Some(calls) = &tool_calls {
                let asked: Vec<Value> = calls.iter().map(DemoToolCall::whole).collect();
                return json_response(
                    StatusCode::OK,
                    &json!({
                        "id": id, "object": "chat.completion", "created": created, "model": model,
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "tool_calls": asked}, "finish_reason": "tool_calls"}],
                        "usage": usage,
                    }),
                );
            }
            let text = words(completion_tokens);
            return json_response(
                StatusCode::OK,
                &json!({
                    "id": id, "object": "chat.completion", "created": created, "model": model,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                    "usage": usage,
                }),
            );
        }

        let (mut sender, body) = Channel::<Bytes, std::convert::Infallible>::new(16);
        let jitter = self.jitter.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let chunk = |delta: Value, finish: Option<&str>| {
                let value = json!({
                    "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                });
                Bytes::from(format!("data: {value}\n\n"))
            };
            jitter.wait(prefill, arrived).await;
            // A token every 1.5 ms (scaled): slept one gap at a time, or (known delays, for
            // benchmarks) each at its own time from when the first was due, so lateness never
            // adds up.
            let first_token = if jitter.exact() {
                arrived + prefill
            } else {
                std::time::Instant::now()
            };
            let mut gaps = 0u32;
            let jitter = &jitter;
            let next_token = |gaps: &mut u32| {
                *gaps += 1;
                let gap = jitter.scaled(1.5);
                let at = first_token + gap * *gaps;
                async move {
                    if jitter.exact() {
                        jitter.wait_until(at).await;
                    } else {
                        tokio::time::sleep(gap).await;
                    }
                }
            };
            if sender
                .send_data(chunk(json!({"role": "assistant", "content": ""}), None))
                .await
                .is_err()
            {
                return;
            }
            let finish = match &tool_calls {
                // Each call: its name first, then its arguments a token (four characters) at a
                // time, as OpenAI streams them.
                Some(calls) => {
                    let mut first = true;
                    for (index, call) in calls.iter().enumerate() {
                        let pieces = call.pieces();
                        for (number, delta) in pieces.into_iter().enumerate() {
                            if !first {
                                next_token(&mut gaps).await;
                            }
                            first = false;
                            let delta = if number == 0 {
                                json!({"tool_calls": [{"index": index, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": delta}}]})
                            } else {
                                json!({"tool_calls": [{"index": index, "function": {"arguments": delta}}]})
                            };
                            if sender.send_data(chunk(delta, None)).await.is_err() {
                                return;
                            }
                        }
                    }
                    "tool_calls"
                }
                None => {
                    for index in 0..completion_tokens {
                        if index > 0 {
                            next_token(&mut gaps).await;
                        }
                        let word = WORDS[index as usize % WORDS.len()];
                        let piece = if index == 0 { word.to_string() } else { format!(" {word}") };
                        if sender.send_data(chunk(json!({"content": piece}), None)).await.is_err() {
                            return;
                        }
                    }
                    "stop"
                }
            };
            // The end of the reply in one write: the finish, the usage and [DONE] leave together,
            // as a server flushing its last buffer sends them.
            let mut tail = chunk(json!({}), Some(finish)).to_vec();
            if include_usage {
                let value =
                    json!({"id": id, "object": "chat.completion.chunk", "created": created, "model": model, "choices": [], "usage": usage});
                tail.extend_from_slice(format!("data: {value}\n\n").as_bytes());
            }
            tail.extend_from_slice(b"data: [DONE]\n\n");
            let _ = sender.send_data(Bytes::from(tail)).await;
        });
        let mut response = Response::new(body.boxed());
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response
    }
}

impl Gateway {
    /// The tool calls the simulated model makes: with `tools` offered and no tool result since
    /// the last user message, one or two of the offered tools (picked by the prompt), with
    /// arguments that fit their schemas; None otherwise (it answers in text).
    fn tool_calls(&self, body: &Value, messages: &[Value]) -> Option<Vec<DemoToolCall>> {
        let tools = body.get("tools").and_then(Value::as_array).filter(|tools| !tools.is_empty())?;
        let answered = messages
            .iter()
            .rev()
            .take_while(|message| message.get("role").and_then(Value::as_str) != Some("user"))
            .any(|message| message.get("role").and_then(Value::as_str) == Some("tool"));
        if answered {
            return None;
        }
        let prompt = messages
            .iter()
            .rev()
            .find(|message| message.get("role").and_then(Value::as_str) == Some("user"))
            .and_then(|message| message.get("content"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let count = self.jitter.between(1, 2).min(tools.len() as u32) as usize;
        let start = prompt.len() % tools.len();
        let calls = (0..count)
            .filter_map(|offset| {
                let function = tools[(start + offset) % tools.len()].get("function")?;
                let name = function.get("name")?.as_str()?.to_string();
                let arguments = arguments_for(function.get("parameters"), prompt).to_string();
                Some(DemoToolCall {
                    id: format!("call_{}", uuid::Uuid::new_v4().simple()),
                    name,
                    arguments,
                })
            })
            .collect::<Vec<_>>();
        (!calls.is_empty()).then_some(calls)
    }
}

/// A tool call the simulated model makes.
struct DemoToolCall {
    id: String,
    name: String,
    /// The arguments as JSON text.
    arguments: String,
}

impl DemoToolCall {
    /// The call as a non-streamed reply lists it.
    fn whole(&self) -> Value {
        json!({"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.arguments}})
    }

    /// The argument text in stream pieces: "" with the name, then four characters a piece.
    fn pieces(&self) -> Vec<String> {
        let characters: Vec<char> = self.arguments.chars().collect();
        std::iter::once(String::new())
            .chain(characters.chunks(4).map(|piece| piece.iter().collect()))
            .collect()
    }
}

/// Arguments that fit a JSON schema: each property a value of its type, strings chosen by
/// their name (a path in the demo MCP's sandbox, a query from the prompt, a URL).
fn arguments_for(schema: Option<&Value>, prompt: &str) -> Value {
    let mut arguments = serde_json::Map::new();
    let properties = schema.and_then(|schema| schema.get("properties")).and_then(Value::as_object);
    for (name, property) in properties.into_iter().flatten() {
        let value = match property.get("type").and_then(Value::as_str).unwrap_or("string") {
            "integer" | "number" => json!(2),
            "boolean" => json!(true),
            "array" => json!([]),
            "object" => json!({}),
            _ => match name.as_str() {
                "path" | "file" | "filename" => json!("/sandbox/notes.txt"),
                "url" => json!("https://example.com/"),
                _ => json!(prompt.chars().take(60).collect::<String>()),
            },
        };
        arguments.insert(name.clone(), value);
    }
    Value::Object(arguments)
}

fn words(count: u32) -> String {
    (0..count as usize)
        .map(|index| WORDS[index % WORDS.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response<DemoBody> {
    json_response(
        status,
        &json!({"error": {"message": message, "type": kind, "code": status.as_u16()}}),
    )
}
