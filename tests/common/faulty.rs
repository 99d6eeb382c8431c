//! A misbehaving HTTP server for fault tests, in the test process on 127.0.0.1: each route
//! misbehaves on purpose, and every request that arrives is logged (line, headers, body, when)
//! so a test can check what was sent and when traffic stopped.
//!
//! Routes (the query string is ignored for routing):
//! - `/ok`: 200 "ok"
//! - `/health-auth`: 200 when an Authorization header came, else 401 "unauthorized: ..."
//! - `/echo-headers`: 500 whose body is the request line and every header, one per line
//! - `/slow/MS`: 200 "slow" after MS milliseconds
//! - `/trickle`: a 1000-byte body sent 10 bytes every 100 ms
//! - `/garbage`: bytes that are not HTTP, then close
//! - `/cut-stream`: a chat stream that stops after two chunks (no `[DONE]`) and closes
//! - `/forever`: a chat stream with a chunk every 50 ms, never ending
//! - `/json-chat`: one JSON chat completion (whatever `stream` asked)
//! - `/big/MIB`: a JSON body of MIB mebibytes
//! - `/drop-after-first/MS`: the first request on a connection gets 200 "ok" (kept alive);
//!   each later one on it is read, held MS milliseconds, and the connection closed unanswered
//!   (a server shedding load)
//! - `/idle-close/MS`: 200 "ok", then the connection is closed when no next request arrives
//!   within MS milliseconds (a keep-alive timeout)
//! - `/slots/N/MS`: a service with N slots shared by every connection: a request waits for a
//!   free slot, holds it MS milliseconds, then gets 200 "ok" (its capacity is N / MS per ms)
//! - `/echo-encoded/FORM`: 500 whose JSON body echoes the Authorization header's credential
//!   (after `Bearer `) in one FORM: `raw`, `php` (`/` as `\/`), `url-upper` and `url-lower`
//!   (percent-encoded), `form` (`+` as a space), `cut160` and `cut200` (after enough padding
//!   that a 160- or 200-character excerpt ends inside it)
//! - `/flaky/MS`: 200 "ok" after MS milliseconds, except the sixth to eighth requests on this
//!   route and every fiftieth after them, which get 500 (a 2% error rate that starts unluckily;
//!   not the very first requests, which a search's first step may count on either side of its
//!   start)
//! - `/many-headers/N`: 200 "ok" with N headers besides its own
//! - `/conflicting-length`: 200 with two different Content-Length headers (5 and 50), "hello",
//!   and the connection held open
//! - `/redirect/N/STATUS`: STATUS (301, 302, 303, 307, 308) to `/redirect/N-1/STATUS` (a
//!   relative Location), until N is 0: then `{"ok": true}`
//! - `/redirect-to/PORT/STATUS`: STATUS to `http://127.0.0.1:PORT/encoded/identity` (another
//!   origin)
//! - `/loop`: 302 to itself
//! - `/encoded/CODING`: `{"ok": true, "coding": "CODING"}` with `Content-Encoding: CODING`
//!   (gzip, deflate, br, zstd; identity sends it plain)
//! - `/encoded-chat/CODING`: a JSON chat completion, gzip-encoded
//! - `/long-chat/WORDS/USAGE`: a JSON chat completion of WORDS words ("word word ..."), whose
//!   usage says USAGE completion tokens (`none`: no usage object)
//! - `/tool-stream`: a streamed chat that, offered tools and given no tool results yet, asks
//!   for two calls (`read_file {"path": "/sandbox/a.txt"}` and `search {"query": "split"}`)
//!   whose arguments come one character per chunk, the two calls' pieces interleaved; given
//!   tool results, it answers `tools ok` when they are the demo MCP's answers to those calls,
//!   else `tools wrong: ` and what it was sent
//! - `/no-models/v1/models`: an OpenAI model list with no models; `/two-models/v1/models`: one
//!   with two (`small` and `large`)
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Seen {
    pub line: String,
    pub headers: String,
    pub body: String,
    pub at: Instant,
}

/// State the routes share across connections.
#[derive(Default)]
struct Shared {
    slots: Mutex<std::collections::HashMap<usize, Arc<tokio::sync::Semaphore>>>,
    flaky_count: std::sync::atomic::AtomicU64,
}

/// The server; stops when dropped.
pub struct Faulty {
    pub port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Faulty {
    pub fn start() -> Faulty {
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let log = seen.clone();
        let shared: Arc<Shared> = Arc::default();
        let thread = std::thread::Builder::new()
            .name("faulty-server".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                    port_tx.send(listener.local_addr().unwrap().port()).unwrap();
                    let accept = async {
                        loop {
                            let Ok((stream, _)) = listener.accept().await else { continue };
                            tokio::spawn(serve(stream, log.clone(), shared.clone()));
                        }
                    };
                    tokio::select! {
                        _ = accept => {}
                        _ = stop_rx => {}
                    }
                });
                runtime.shutdown_timeout(Duration::from_millis(100));
            })
            .unwrap();
        Faulty {
            port: port_rx.recv().unwrap(),
            seen,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The JSON bodies of the requests seen on `path`, in order.
    pub fn json_bodies(&self, path: &str) -> Vec<serde_json::Value> {
        self.seen()
            .iter()
            .filter(|seen| seen.line.contains(path))
            .map(|seen| serde_json::from_str(&seen.body).unwrap())
            .collect()
    }
}

impl Drop for Faulty {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(mut stream: TcpStream, log: Arc<Mutex<Vec<Seen>>>, shared: Arc<Shared>) {
    let mut buffer = Vec::new();
    // Requests answered on this connection, and how long it may stay idle (`/idle-close`).
    let mut answered = 0usize;
    let mut idle_limit: Option<Duration> = None;
    loop {
        // One request: head, then a Content-Length body.
        let (head_len, line, headers, content_length) = loop {
            let mut parsed_headers = [httparse::EMPTY_HEADER; 64];
            let mut request = httparse::Request::new(&mut parsed_headers);
            if let Ok(httparse::Status::Complete(head_len)) = request.parse(&buffer) {
                let line = format!("{} {}", request.method.unwrap_or(""), request.path.unwrap_or(""));
                let mut headers = String::new();
                let mut content_length = 0usize;
                for header in request.headers.iter() {
                    let value = String::from_utf8_lossy(header.value);
                    headers.push_str(&format!("{}: {value}\n", header.name));
                    if header.name.eq_ignore_ascii_case("content-length") {
                        content_length = value.trim().parse().unwrap_or(0);
                    }
                }
                break (head_len, line, headers, content_length);
            }
            let mut chunk = [0u8; 8192];
            let read = match idle_limit.filter(|_| buffer.is_empty()) {
                Some(limit) => match tokio::time::timeout(limit, stream.read(&mut chunk)).await {
                    Ok(read) => read,
                    Err(_) => return,
                },
                None => stream.read(&mut chunk).await,
            };
            match read {
                Ok(0) | Err(_) => return,
                Ok(read) => buffer.extend_from_slice(&chunk[..read]),
            }
        };
        while buffer.len() < head_len + content_length {
            let mut chunk = [0u8; 8192];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(read) => buffer.extend_from_slice(&chunk[..read]),
            }
        }
        let body = String::from_utf8_lossy(&buffer[head_len..head_len + content_length]).into_owned();
        buffer.drain(..head_len + content_length);
        log.lock().unwrap().push(Seen {
            line: line.clone(),
            headers: headers.clone(),
            body: body.clone(),
            at: Instant::now(),
        });
        let target = line.split_whitespace().nth(1).unwrap_or("/");
        let path = target.split('?').next().unwrap_or("/");
        if let Some(millis) = path.strip_prefix("/drop-after-first/").and_then(|ms| ms.parse::<u64>().ok())
            && answered > 0
        {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            return;
        }
        idle_limit = path
            .strip_prefix("/idle-close/")
            .and_then(|ms| ms.parse::<u64>().ok())
            .map(Duration::from_millis);
        let keep_going = if let Some(slots) = path.strip_prefix("/slots/") {
            let numbers: Vec<u64> = slots.split('/').filter_map(|part| part.parse().ok()).collect();
            let [count, millis] = numbers[..] else { return };
            let semaphore = shared
                .slots
                .lock()
                .unwrap()
                .entry(count as usize)
                .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(count as usize)))
                .clone();
            let permit = semaphore.acquire_owned().await.unwrap();
            tokio::time::sleep(Duration::from_millis(millis)).await;
            drop(permit);
            stream.write_all(&reply("200 OK", "text/plain", "ok")).await.is_ok()
        } else if let Some(millis) = path.strip_prefix("/flaky/").and_then(|ms| ms.parse::<u64>().ok()) {
            let index = shared.flaky_count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(millis)).await;
            let fails = (5..8).contains(&index) || (index >= 8 && (index - 8) % 50 == 49);
            let answer = if fails {
                reply("500 Internal Server Error", "text/plain", "flaky")
            } else {
                reply("200 OK", "text/plain", "ok")
            };
            stream.write_all(&answer).await.is_ok()
        } else if path == "/tool-stream" {
            tool_stream(&mut stream, &body).await
        } else {
            respond(&mut stream, path, &line, &headers).await
        };
        if !keep_going {
            return;
        }
        answered += 1;
    }
}

fn reply(status: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn redirect(status: u16, location: &str) -> Vec<u8> {
    format!("HTTP/1.1 {status} Moved\r\nlocation: {location}\r\ncontent-type: text/html\r\ncontent-length: 9\r\n\r\n<a>go</a>").into_bytes()
}

/// `{"ok": true, "coding": "br"}` as Python's brotli module encodes it (brotli has no encoder
/// among the dependencies).
const BROTLI_BODY: [u8; 32] = [
    139, 13, 128, 123, 34, 111, 107, 34, 58, 32, 116, 114, 117, 101, 44, 32, 34, 99, 111, 100, 105, 110, 103, 34, 58, 32, 34, 98, 114, 34,
    125, 3,
];

/// A 200 JSON reply whose body is `body` encoded with `coding`.
fn encoded_reply(coding: &str, body: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let encoded: Vec<u8> = match coding {
        "gzip" => {
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(body).unwrap();
            encoder.finish().unwrap()
        }
        "deflate" => {
            let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(body).unwrap();
            encoder.finish().unwrap()
        }
        "zstd" => ruzstd::encoding::compress_to_vec(body, ruzstd::encoding::CompressionLevel::Fastest),
        "br" => BROTLI_BODY.to_vec(),
        _ => body.to_vec(),
    };
    let coding_header = if coding == "identity" {
        String::new()
    } else {
        format!("content-encoding: {coding}\r\n")
    };
    let mut answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{coding_header}content-length: {}\r\n\r\n",
        encoded.len()
    )
    .into_bytes();
    answer.extend_from_slice(&encoded);
    answer
}

const CHUNK: &str = "data: {\"choices\":[{\"delta\":{\"content\":\"tok\"}}]}\n\n";

async fn paced_chat(stream: &mut TcpStream, first_ms: u64, gap_ms: u64, chunks: u64) -> std::io::Result<()> {
    stream
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n")
        .await?;
    for index in 0..chunks {
        let wait = if index == 0 { first_ms } else { gap_ms };
        tokio::time::sleep(Duration::from_millis(wait)).await;
        stream.write_all(CHUNK.as_bytes()).await?;
    }
    let usage = format!(
        "data: {{\"choices\":[],\"usage\":{{\"prompt_tokens\":3,\"completion_tokens\":{chunks},\"total_tokens\":{}}}}}\n\ndata: [DONE]\n\n",
        chunks + 3
    );
    stream.write_all(usage.as_bytes()).await
}

/// Answers one request; false when the connection is done.
async fn respond(stream: &mut TcpStream, path: &str, line: &str, headers: &str) -> bool {
    let write = |bytes: Vec<u8>| bytes;
    let result = match path {
        "/ok" => stream.write_all(&write(reply("200 OK", "text/plain", "ok"))).await,
        "/no-models/v1/models" => {
            stream
                .write_all(&reply("200 OK", "application/json", r#"{"object":"list","data":[]}"#))
                .await
        }
        "/two-models/v1/models" => {
            let list = r#"{"object":"list","data":[{"id":"small","object":"model"},{"id":"large","object":"model"}]}"#;
            stream.write_all(&reply("200 OK", "application/json", list)).await
        }
        _ if path.starts_with("/echo-encoded/") => {
            let credential = headers
                .lines()
                .find(|line| line.to_ascii_lowercase().starts_with("authorization: bearer "))
                .map(|line| &line["authorization: bearer ".len()..])
                .unwrap_or("")
                .trim();
            let percent = |upper: bool| -> String {
                credential
                    .bytes()
                    .map(|byte| {
                        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                            (byte as char).to_string()
                        } else if upper {
                            format!("%{byte:02X}")
                        } else {
                            format!("%{byte:02x}")
                        }
                    })
                    .collect()
            };
            let echoed = match path.trim_start_matches("/echo-encoded/") {
                "php" => credential.replace('/', "\\/"),
                "url-upper" => percent(true),
                "url-lower" => percent(false),
                "form" => credential.replace('+', " "),
                "cut160" => format!("{}{credential}", "p".repeat(110)),
                "cut200" => format!("{}{credential}", "p".repeat(150)),
                _ => credential.to_string(),
            };
            let body = format!("{{\"error\": \"bad key\", \"echo\": \"{echoed}\"}}");
            stream
                .write_all(&reply("500 Internal Server Error", "application/json", &body))
                .await
        }
        _ if path.starts_with("/drop-after-first/") || path.starts_with("/idle-close/") => {
            stream.write_all(&reply("200 OK", "text/plain", "ok")).await
        }
        "/health-auth" => {
            if headers
                .lines()
                .any(|header| header.to_ascii_lowercase().starts_with("authorization:"))
            {
                stream.write_all(&reply("200 OK", "text/plain", "ok")).await
            } else {
                stream
                    .write_all(&reply(
                        "401 Unauthorized",
                        "text/plain",
                        "unauthorized: send an Authorization header",
                    ))
                    .await
            }
        }
        "/echo-headers" => {
            let body = format!("{line}\n{headers}");
            stream.write_all(&reply("500 Internal Server Error", "text/plain", &body)).await
        }
        "/trickle" => {
            if stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 1000\r\n\r\n")
                .await
                .is_err()
            {
                return false;
            }
            for _ in 0..100 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if stream.write_all(&[b'x'; 10]).await.is_err() {
                    return false;
                }
            }
            Ok(())
        }
        "/garbage" => {
            let _ = stream.write_all(b"NOT HTTP AT ALL\r\n\r\n").await;
            return false;
        }
        "/cut-stream" => {
            let _ = stream
                .write_all(
                    format!("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n{CHUNK}{CHUNK}").as_bytes(),
                )
                .await;
            return false;
        }
        "/forever" => {
            if stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n")
                .await
                .is_err()
            {
                return false;
            }
            loop {
                tokio::time::sleep(Duration::from_millis(50)).await;
                if stream.write_all(CHUNK.as_bytes()).await.is_err() {
                    return false;
                }
            }
        }
        "/conflicting-length" => {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 50\r\n\r\nhello")
                .await;
            tokio::time::sleep(Duration::from_secs(10)).await;
            return false;
        }
        "/loop" => stream.write_all(&redirect(302, "/loop")).await,
        _ if path.starts_with("/many-headers/") => {
            let count: usize = path.trim_start_matches("/many-headers/").parse().unwrap_or(0);
            let extra: String = (0..count).map(|index| format!("x-header-{index}: value {index}\r\n")).collect();
            let answer = format!("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n{extra}content-length: 2\r\n\r\nok");
            stream.write_all(answer.as_bytes()).await
        }
        _ if path.starts_with("/redirect/") => {
            let parts: Vec<u16> = path
                .trim_start_matches("/redirect/")
                .split('/')
                .filter_map(|part| part.parse().ok())
                .collect();
            let [left, status] = parts[..] else { return false };
            if left == 0 {
                stream.write_all(&reply("200 OK", "application/json", r#"{"ok": true}"#)).await
            } else {
                stream.write_all(&redirect(status, &format!("../{}/{status}", left - 1))).await
            }
        }
        _ if path.starts_with("/redirect-to/") => {
            let parts: Vec<u16> = path
                .trim_start_matches("/redirect-to/")
                .split('/')
                .filter_map(|part| part.parse().ok())
                .collect();
            let [port, status] = parts[..] else { return false };
            stream
                .write_all(&redirect(status, &format!("http://127.0.0.1:{port}/encoded/identity")))
                .await
        }
        _ if path.starts_with("/encoded/") => {
            let coding = path.trim_start_matches("/encoded/");
            let body = format!(r#"{{"ok": true, "coding": "{coding}"}}"#);
            stream.write_all(&encoded_reply(coding, body.as_bytes())).await
        }
        _ if path.starts_with("/encoded-chat/") => {
            let body = r#"{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}"#;
            stream
                .write_all(&encoded_reply(path.trim_start_matches("/encoded-chat/"), body.as_bytes()))
                .await
        }
        "/json-chat" => {
            let body = r#"{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}"#;
            stream.write_all(&reply("200 OK", "application/json", body)).await
        }
        _ => {
            if let Some(pace) = path.strip_prefix("/paced-chat/") {
                // `/paced-chat/FIRST_MS/GAP_MS/CHUNKS`: a streamed chat reply whose first
                // content comes after FIRST_MS, then one chunk every GAP_MS, CHUNKS in all, then
                // usage (completion_tokens = CHUNKS) and [DONE]; the connection closes.
                let numbers: Vec<u64> = pace.split('/').filter_map(|part| part.parse().ok()).collect();
                let [first_ms, gap_ms, chunks] = numbers[..] else { return false };
                let _ = paced_chat(stream, first_ms, gap_ms, chunks).await;
                return false;
            }
            if let Some(spec) = path.strip_prefix("/long-chat/") {
                let (words, usage) = spec.split_once('/').unwrap_or((spec, "none"));
                let content = vec!["word"; words.parse().unwrap_or(1)].join(" ");
                let usage = match usage.parse::<u64>() {
                    Ok(tokens) => format!(
                        r#","usage":{{"prompt_tokens":3,"completion_tokens":{tokens},"total_tokens":{}}}"#,
                        tokens + 3
                    ),
                    Err(_) => String::new(),
                };
                let body = format!(
                    r#"{{"id":"x","object":"chat.completion","choices":[{{"index":0,"message":{{"role":"assistant","content":"{content}"}},"finish_reason":"stop"}}]{usage}}}"#
                );
                return stream.write_all(&reply("200 OK", "application/json", &body)).await.is_ok();
            }
            if let Some(millis) = path.strip_prefix("/slow/").and_then(|ms| ms.parse::<u64>().ok()) {
                tokio::time::sleep(Duration::from_millis(millis)).await;
                stream.write_all(&reply("200 OK", "text/plain", "slow")).await
            } else if let Some(mib) = path.strip_prefix("/big/").and_then(|mib| mib.parse::<usize>().ok()) {
                let padding = "x".repeat(mib * 1024 * 1024);
                let body = format!("{{\"status\":\"ok\",\"padding\":\"{padding}\"}}");
                stream.write_all(&reply("200 OK", "application/json", &body)).await
            } else {
                stream.write_all(&reply("404 Not Found", "text/plain", "no such route")).await
            }
        }
    };
    result.is_ok()
}

/// The `/tool-stream` route (see the module's list).
async fn tool_stream(stream: &mut TcpStream, body: &str) -> bool {
    let request: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let messages = request["messages"].as_array().cloned().unwrap_or_default();
    let results: Vec<String> = messages
        .iter()
        .filter(|message| message["role"] == "tool")
        .map(|message| message["content"].as_str().unwrap_or("").to_string())
        .collect();
    let chunk = |delta: serde_json::Value| format!("data: {}\n\n", serde_json::json!({"choices": [{"index": 0, "delta": delta}]}));
    let mut events = Vec::new();
    if results.is_empty() {
        let calls = [
            ("call_a", "read_file", r#"{"path": "/sandbox/a.txt"}"#),
            ("call_b", "search", r#"{"query": "split"}"#),
        ];
        for (index, (id, name, _)) in calls.iter().enumerate() {
            events.push(chunk(serde_json::json!({"tool_calls": [{"index": index, "id": id, "type": "function", "function": {"name": name, "arguments": ""}}]})));
        }
        let longest = calls.iter().map(|(_, _, arguments)| arguments.len()).max().unwrap_or(0);
        for at in 0..longest {
            for (index, (_, _, arguments)) in calls.iter().enumerate() {
                if let Some(piece) = arguments.get(at..at + 1) {
                    events.push(chunk(
                        serde_json::json!({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}),
                    ));
                }
            }
        }
    } else {
        let expected = ["contents of /sandbox/a.txt", "3 matches for \"split\""];
        let right = results.len() == 2 && results.iter().zip(expected).all(|(result, wanted)| result.starts_with(wanted));
        let text = if right {
            "tools ok".to_string()
        } else {
            format!("tools wrong: {results:?}")
        };
        events.push(chunk(serde_json::json!({"content": text})));
    }
    events.push("data: [DONE]\n\n".to_string());
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
    if stream.write_all(head.as_bytes()).await.is_err() {
        return false;
    }
    for event in events {
        if stream.write_all(event.as_bytes()).await.is_err() {
            return false;
        }
        let _ = stream.flush().await;
    }
    false
}
