//! A benchmark's stream server (scripts/bench-streams.sh): an OpenAI-compatible chat endpoint
//! that streams every reply on a fixed schedule (the first chunk `--ttft-ms` after the request,
//! then one every `--gap-ms`, `--chunks` in all, one token each) and records when it actually
//! sent each chunk, so a load generator's TTFT and ITL can be checked against what the server
//! did. Plain HTTP/1.1 over tokio on one thread, written for speed: it must not be the limit.
//!
//! `GET /stats` answers the sent schedule's percentiles as JSON (first chunk after the request,
//! gaps between chunks, lateness against the schedule); `POST /reset` clears them between
//! tools. `GET /v1/models` names the one model, `bench`.
//!
//! `cargo run --release --example stream_server -- --port 8300 --ttft-ms 100 --gap-ms 50 --chunks 64`

#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct Schedule {
    ttft: Duration,
    gap: Duration,
    chunks: u32,
    /// The chunks as sent, built once: the first (with the role), the ones between, the last
    /// (with the finish reason).
    first: Vec<u8>,
    middle: Vec<u8>,
    last: Vec<u8>,
}

impl Schedule {
    fn build_chunks(&mut self) {
        let event = |delta: &str, finish: &str| {
            chunk(&format!(
                r#"{{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":0,"model":"bench","choices":[{{"index":0,"delta":{delta},"finish_reason":{finish}}}]}}"#
            ))
        };
        self.first = event(
            r#"{"role":"assistant","content":"tok"}"#,
            if self.chunks == 1 { r#""stop""# } else { "null" },
        );
        self.middle = event(r#"{"content":" tok"}"#, "null");
        self.last = event(r#"{"content":" tok"}"#, r#""stop""#);
    }
}

/// What the server did, in microseconds.
struct Sent {
    /// Request read to first chunk written.
    ttft_micros: Histogram<u64>,
    /// Between consecutive chunks of one reply.
    gap_micros: Histogram<u64>,
    /// Each chunk's write against its scheduled time.
    late_micros: Histogram<u64>,
    replies: u64,
}

impl Sent {
    fn new() -> Self {
        let histogram = || Histogram::new_with_bounds(1, 600_000_000, 3).unwrap();
        Sent {
            ttft_micros: histogram(),
            gap_micros: histogram(),
            late_micros: histogram(),
            replies: 0,
        }
    }

    fn json(&self) -> String {
        let quantiles = |histogram: &Histogram<u64>| {
            format!(
                "{{\"count\":{},\"p50_micros\":{},\"p99_micros\":{},\"mean_micros\":{:.1},\"max_micros\":{}}}",
                histogram.len(),
                histogram.value_at_quantile(0.50),
                histogram.value_at_quantile(0.99),
                histogram.mean(),
                histogram.max()
            )
        };
        format!(
            "{{\"replies\":{},\"ttft\":{},\"gap\":{},\"late\":{}}}",
            self.replies,
            quantiles(&self.ttft_micros),
            quantiles(&self.gap_micros),
            quantiles(&self.late_micros)
        )
    }
}

fn main() {
    let mut port = 8300u16;
    let mut schedule = Schedule {
        ttft: Duration::from_millis(100),
        gap: Duration::from_millis(50),
        chunks: 64,
        first: Vec::new(),
        middle: Vec::new(),
        last: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        let number: u64 = value.parse().unwrap_or_else(|_| panic!("{flag} {value}: not a whole number"));
        match flag.as_str() {
            "--port" => port = number as u16,
            "--ttft-ms" => schedule.ttft = Duration::from_millis(number),
            "--gap-ms" => schedule.gap = Duration::from_millis(number),
            "--chunks" => schedule.chunks = number.max(1) as u32,
            other => panic!("unknown flag {other} (--port, --ttft-ms, --gap-ms, --chunks)"),
        }
    }
    schedule.build_chunks();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let listener = listen(port);
        eprintln!("stream server on 127.0.0.1:{port}");
        let schedule = Rc::new(schedule);
        let sent = Rc::new(RefCell::new(Sent::new()));
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let _ = stream.set_nodelay(true);
            tokio::task::spawn_local(connection(stream, schedule.clone(), sent.clone()));
        }
    });
}

/// A listener with a backlog deep enough for 10,000 clients connecting at once.
fn listen(port: u16) -> TcpListener {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(true).unwrap();
    socket.bind(std::net::SocketAddr::from(([127, 0, 0, 1], port))).unwrap();
    socket.listen(16384).unwrap()
}

async fn connection(mut stream: TcpStream, schedule: Rc<Schedule>, sent: Rc<RefCell<Sent>>) {
    let mut buffer: Vec<u8> = Vec::with_capacity(4096);
    loop {
        // One request: headers, then Content-Length bytes of body.
        let (head_end, body_len) = loop {
            if let Some(end) = find(&buffer, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|line| line.strip_prefix("content-length:"))
                    .and_then(|value| value.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                break (end + 4, length);
            }
            if !read_more(&mut stream, &mut buffer).await {
                return;
            }
        };
        while buffer.len() < head_end + body_len {
            if !read_more(&mut stream, &mut buffer).await {
                return;
            }
        }
        let received = Instant::now();
        let request_line = String::from_utf8_lossy(&buffer[..buffer.iter().position(|&b| b == b'\r').unwrap_or(0)]).to_string();
        let body = buffer[head_end..head_end + body_len].to_vec();
        buffer.drain(..head_end + body_len);
        let ok = if request_line.starts_with("POST /v1/chat/completions") {
            stream_reply(&mut stream, &schedule, &sent, received, &body).await
        } else if request_line.starts_with("GET /stats") {
            let json = sent.borrow().json();
            respond(&mut stream, "200 OK", "application/json", &json).await
        } else if request_line.starts_with("POST /reset") {
            *sent.borrow_mut() = Sent::new();
            respond(&mut stream, "200 OK", "application/json", "{}").await
        } else if request_line.starts_with("GET /v1/models") {
            respond(
                &mut stream,
                "200 OK",
                "application/json",
                r#"{"object":"list","data":[{"id":"bench","object":"model","created":0,"owned_by":"bench"}]}"#,
            )
            .await
        } else if request_line.starts_with("GET /health") {
            respond(&mut stream, "200 OK", "application/json", "{}").await
        } else {
            respond(
                &mut stream,
                "404 Not Found",
                "application/json",
                r#"{"error":{"message":"not found"}}"#,
            )
            .await
        };
        if !ok {
            return;
        }
    }
}

async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 8192];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(read) => {
            buffer.extend_from_slice(&chunk[..read]);
            true
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

async fn respond(stream: &mut TcpStream, status: &str, content_type: &str, body: &str) -> bool {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await.is_ok()
}

/// One event as an HTTP chunk.
fn chunk(event: &str) -> Vec<u8> {
    let data = format!("data: {event}\n\n");
    format!("{:x}\r\n{data}\r\n", data.len()).into_bytes()
}

async fn stream_reply(stream: &mut TcpStream, schedule: &Schedule, sent: &RefCell<Sent>, received: Instant, body: &[u8]) -> bool {
    let request: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let include_usage = request["stream_options"]["include_usage"].as_bool().unwrap_or(false);
    // Not measured by the benchmark: the prompt's characters / 4, as OpenAI's rule of thumb.
    let prompt_chars: usize = request["messages"]
        .as_array()
        .map(|messages| {
            messages
                .iter()
                .filter_map(|message| message["content"].as_str())
                .map(str::len)
                .sum()
        })
        .unwrap_or(0);
    let prompt_tokens = prompt_chars.div_ceil(4);
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n";
    if stream.write_all(head.as_bytes()).await.is_err() {
        return false;
    }
    let mut last_write: Option<Instant> = None;
    for index in 0..schedule.chunks {
        let due = received + schedule.ttft + schedule.gap * index;
        tokio::time::sleep_until(due.into()).await;
        let bytes = if index == 0 {
            &schedule.first
        } else if index + 1 == schedule.chunks {
            &schedule.last
        } else {
            &schedule.middle
        };
        if stream.write_all(bytes).await.is_err() {
            return false;
        }
        let written = Instant::now();
        let mut sent = sent.borrow_mut();
        match last_write {
            None => {
                let _ = sent.ttft_micros.record((written - received).as_micros().max(1) as u64);
            }
            Some(before) => {
                let _ = sent.gap_micros.record((written - before).as_micros().max(1) as u64);
            }
        }
        let _ = sent
            .late_micros
            .record(written.saturating_duration_since(due).as_micros().max(1) as u64);
        last_write = Some(written);
    }
    let mut tail = Vec::new();
    if include_usage {
        tail.extend(chunk(&format!(
            r#"{{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":0,"model":"bench","choices":[],"usage":{{"prompt_tokens":{prompt_tokens},"completion_tokens":{0},"total_tokens":{1}}}}}"#,
            schedule.chunks,
            schedule.chunks as usize + prompt_tokens
        )));
    }
    tail.extend(chunk("[DONE]"));
    tail.extend_from_slice(b"0\r\n\r\n");
    sent.borrow_mut().replies += 1;
    stream.write_all(&tail).await.is_ok()
}
