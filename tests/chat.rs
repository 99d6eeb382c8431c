//! Chat tasks: streamed and non-streamed OpenAI-compatible replies measured against the demo
//! gateway, and broken streams from a hand-written server classified by kind.
#![allow(clippy::unwrap_used)]

mod common;

use loadscope::testing::run::FailureKind;
use std::io::{Read, Write};
use std::net::TcpListener;

use loadscope::testing::run::histogram::decode;

fn chat_preset(url: &str, include_usage: bool) -> String {
    format!(
        r#"
[[scenario]]
name = "chat"
[scenario.service]
base_url = "{url}"
[scenario.pools]
prompts = ["Hello there", "Explain load testing in one line"]
[[scenario.task]]
name = "streamed"
kind = "chat"
model = "demo-llm"
messages = [{{ role = "system", content = "Be brief." }}, {{ role = "user", content = "{{{{ pool.prompts | random }}}}" }}]
max_tokens = 24
stream = true
include_usage = {include_usage}
[[scenario.task]]
name = "whole"
kind = "chat"
model = "demo-llm"
messages = [{{ role = "user", content = "hi" }}]
max_tokens = 16
[[scenario.level]]
users = 3
duration = "2s"
[[scenario.target]]
expr = "ttft_p95 < 2s"
task = "streamed"
[[scenario.target]]
expr = "itl_p95 < 1ms"
task = "streamed"
"#
    )
}

#[test]
fn streamed_and_whole_replies_are_measured() {
    let demo = common::seeded_demo(3);
    let (_dir, out) = common::out_path();
    let (record, _) = common::run_text(&chat_preset(&demo.urls()[0], true), &out);
    let level = &record.scenarios[0].levels[0];
    let streamed = &level.tasks[0];
    let whole = &level.tasks[1];
    assert_eq!(level.total.stats.failures, 0, "{:?}", level.failures);

    let chat = streamed.stats.chat.as_ref().unwrap();
    assert_eq!((chat.replies, chat.streamed), (streamed.stats.requests, streamed.stats.requests));
    assert_eq!(chat.token_source, loadscope::testing::run::TokenCountSource::Usage);
    // The demo generates between max_tokens/2 and max_tokens.
    let per_reply = chat.output_tokens as f64 / chat.replies as f64;
    assert!((12.0..=24.0).contains(&per_reply), "{per_reply} tokens per reply");
    assert!(chat.prompt_tokens > 0);
    // TTFT can never exceed the whole reply's latency.
    let histograms = streamed.chat_histograms.as_ref().unwrap();
    let ttft = decode(&histograms.ttft).unwrap();
    let latency = decode(&streamed.histogram).unwrap();
    assert_eq!(ttft.len(), streamed.stats.requests);
    assert!(ttft.max() <= latency.max() && chat.ttft_p50_micros <= streamed.stats.p50_micros);
    // The demo sends a token every 1.5 ms (timer granularity adds up to ~1 ms).
    assert!((1_000..=5_000).contains(&chat.itl_p50_micros), "ITL p50 {}µs", chat.itl_p50_micros);
    assert_eq!(
        decode(&histograms.itl).unwrap().len(),
        chat.output_tokens - chat.replies,
        "one gap per token after the first"
    );

    let whole_chat = whole.stats.chat.as_ref().unwrap();
    assert_eq!((whole_chat.streamed, whole_chat.token_source.label()), (0, "usage"));
    assert!(whole_chat.tokens_per_sec_p50 > 0.0);

    let verdicts: Vec<(&str, bool)> = level.verdicts.iter().map(|v| (v.target.as_str(), v.passed)).collect();
    assert_eq!(verdicts, vec![("ttft_p95 < 2s", true), ("itl_p95 < 1ms", false)]);

    // Without the usage chunk, each content chunk counts as one token.
    let (_dir2, out2) = common::out_path();
    let (record, _) = common::run_text(&chat_preset(&demo.urls()[0], false), &out2);
    let chat = record.scenarios[0].levels[0].tasks[0].stats.chat.clone().unwrap();
    assert_eq!(chat.token_source, loadscope::testing::run::TokenCountSource::Chunks);
    assert_eq!(chat.prompt_token_source, loadscope::testing::run::TokenCountSource::Tokenizer);
    assert!(chat.prompt_tokens > 0, "without usage, prompt tokens are the tokenizer's count");
}

fn synthetic_preset(url: &str, include_usage: bool) -> String {
    format!(
        r#"
[[scenario]]
name = "tokens"
[scenario.service]
base_url = "{url}"
[[scenario.task]]
name = "synthetic"
kind = "chat"
model = "demo-llm"
stream = true
include_usage = {include_usage}
messages = [{{ role = "system", content = "Be brief." }}]
[scenario.task.synthetic]
prompt_tokens = 300
shared_prefix_tokens = 50
output_tokens = {{ dist = "uniform", min = 8, max = 24 }}
exact_output = true
seed = 5
[[scenario.level]]
users = 3
duration = "2s"
"#
    )
}

#[test]
fn synthetic_prompts_are_counted_as_the_server_counts_them() {
    // The demo gateway reports usage counted with o200k_base, the tokenizer the task uses.
    let demo = common::seeded_demo(5);
    let tokenizer = loadscope::testing::tokens::Tokenizer::O200kBase;
    // What one request's prompt is: the system message, then 300 synthetic tokens as the user's.
    let per_request = tokenizer.chat_prompt_tokens([("system", "Be brief.")]) + 3 + tokenizer.count("user") + 300;
    let mut counted = Vec::new();
    for include_usage in [true, false] {
        let (_dir, out) = common::out_path();
        let (record, _) = common::run_text(&synthetic_preset(&demo.urls()[0], include_usage), &out);
        let level = &record.scenarios[0].levels[0];
        assert_eq!(level.total.stats.failures, 0, "{:?}", level.failures);
        let chat = level.tasks[0].stats.chat.clone().unwrap();
        assert!(chat.replies > 5, "{} replies", chat.replies);
        assert_eq!(chat.prompt_tokens, chat.replies * per_request, "usage: {include_usage}");
        let source = if include_usage { "usage" } else { "tokenizer" };
        assert_eq!(chat.prompt_token_source.label(), source);
        assert!((chat.prompt_tokens_per_sec.unwrap() - chat.prompt_tokens as f64 / level.duration_secs()).abs() < 1e-6);
        counted.push(chat.prompt_tokens / chat.replies);
        // The Tokens chart's input line is the same count, second by second.
        let per_second: f64 = record.series.iter().filter_map(|point| point.requests.prompt_tokens_per_sec).sum();
        assert_eq!(per_second as u64, chat.prompt_tokens);
        if include_usage {
            // exact_output asks for max_tokens exactly; the lengths are drawn from 8 to 24.
            let per_reply = chat.output_tokens as f64 / chat.replies as f64;
            assert!((10.0..=22.0).contains(&per_reply), "{per_reply} tokens a reply");
        }
    }
    assert_eq!(counted[0], counted[1], "the tokenizer's count is the server's");
}

/// Answers every request on a connection with the reply its path names, then closes.
fn broken_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut buffer = vec![0u8; 8192];
                let Ok(read) = stream.read(&mut buffer) else { return };
                let request = String::from_utf8_lossy(&buffer[..read]).to_string();
                let chunk = |text: &str| format!("data: {{\"choices\":[{{\"delta\":{{\"content\":\"{text}\"}}}}]}}\n\n");
                let body = if request.starts_with("POST /cut") {
                    chunk("a") + &chunk("b")
                } else if request.starts_with("POST /malformed") {
                    chunk("a") + "data: {oops\n\n"
                } else {
                    chunk("a") + "data: {\"error\":{\"message\":\"model overloaded\"}}\n\n"
                };
                let reply = format!("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n{body}");
                let _ = stream.write_all(reply.as_bytes());
            });
        }
    });
    url
}

#[test]
fn broken_streams_fail_with_their_own_kind() {
    let url = broken_server();
    let task = |name: &str| {
        format!(
            "[[scenario.task]]\nname = \"{name}\"\nkind = \"chat\"\npath = \"/{name}/v1/chat/completions\"\nmodel = \"m\"\nmessages = [{{ role = \"user\", content = \"hi\" }}]\nstream = true\n"
        )
    };
    let text = format!(
        "[[scenario]]\nname = \"broken\"\n[scenario.service]\nbase_url = \"{url}\"\n{}{}{}[[scenario.level]]\nusers = 3\nduration = \"1s\"\n",
        task("cut"),
        task("malformed"),
        task("error")
    );
    let (_dir, out) = common::out_path();
    let (record, _) = common::run_text(&text, &out);
    let level = &record.scenarios[0].levels[0];
    let kind_of = |task: &str| {
        let rows: Vec<_> = level.failures.iter().filter(|row| row.task == task).collect();
        assert_eq!(rows.len(), 1, "{task}: {rows:?}");
        (rows[0].kind, rows[0].message.clone(), rows[0].count)
    };
    let (kind, message, count) = kind_of("cut");
    assert_eq!(kind, FailureKind::StreamCut);
    assert!(message.contains("without [DONE]") || message.contains("stream cut"), "{message}");
    assert_eq!(count, level.tasks[0].stats.requests);
    assert_eq!(kind_of("malformed").0, FailureKind::Malformed);
    let (kind, message, _) = kind_of("error");
    assert_eq!((kind, message.as_str()), (FailureKind::ApiError, "API error: model overloaded"));
    assert_eq!(level.total.stats.failures, level.total.stats.requests);
}
