//! Chat tasks against a real OpenAI-compatible mock (`@dwmkerr/mock-llm`, pinned in
//! scripts/test-deps.sh) configured with small chunks at a fixed interval.
#![allow(clippy::unwrap_used)]

mod common;

use common::NodeServer;
use loadscope::testing::run::histogram::decode;

const CHUNK_INTERVAL_MILLIS: u64 = 20;
/// 40 characters in chunks of 4: 10 content chunks a reply.
const REPLY: &str = "0123456789012345678901234567890123456789";

fn config() -> String {
    format!(
        r#"
streaming:
  chunkSize: 4
  chunkIntervalMs: {CHUNK_INTERVAL_MILLIS}
rules:
  - path: "/v1/chat/completions"
    method: POST
    match: "@"
    response:
      status: 200
      content: |
        {{"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "mock",
          "choices": [{{"index": 0, "message": {{"role": "assistant", "content": "{REPLY}"}}, "finish_reason": "stop"}}],
          "usage": {{"prompt_tokens": 7, "completion_tokens": 10, "total_tokens": 17}}}}
  - path: "/v1/chat/completions"
    method: POST
    match: "contains(body.messages[-1].content, 'fail')"
    response:
      status: 500
      content: '{{"error": {{"message": "mock failure", "type": "server_error"}}}}'
"#
    )
}

fn task(name: &str, content: &str, stream: bool) -> String {
    format!(
        "[[scenario.task]]\nname = \"{name}\"\nkind = \"chat\"\nmodel = \"mock\"\nmessages = [{{ role = \"user\", content = \"{content}\" }}]\nstream = {stream}\n"
    )
}

#[test]
fn streamed_replies_match_the_mocks_configured_pace() {
    let mock = NodeServer::start(
        "mock-llm",
        &["--config", "mock-llm.yaml"],
        &[("PORT", "{port}".into()), ("HOST", "127.0.0.1".into())],
        &[("mock-llm.yaml", &config())],
    );
    let text = format!(
        "[[scenario]]\nname = \"mock\"\n[scenario.service]\nbase_url = \"{}\"\n{}{}{}{}[[scenario.level]]\nusers = 4\nduration = \"3s\"\n",
        mock.url(),
        task("streamed", "hello", true),
        task("whole", "hello", false),
        task("failing", "please fail", false),
        task("failing stream", "please fail", true),
    );
    let (_dir, out) = common::out_path();
    let (record, _) = common::run_text(&text, &out);
    let level = &record.scenarios[0].levels[0];
    let by_name = |name: &str| level.tasks.iter().find(|task| task.task == name).unwrap();

    let streamed = by_name("streamed");
    assert!(streamed.stats.requests >= 5 && streamed.stats.failures == 0, "{:?}", streamed.stats);
    let chat = streamed.stats.chat.as_ref().unwrap();
    // No usage in the mock's streams: one token per content chunk, 10 a reply.
    assert_eq!(chat.token_source, loadscope::testing::run::TokenCountSource::Chunks);
    assert_eq!(chat.output_tokens, 10 * chat.replies);
    let interval_micros = CHUNK_INTERVAL_MILLIS * 1000;
    // The first chunk comes one interval after the request; each next one an interval later.
    assert!(
        chat.ttft_p50_micros >= interval_micros && chat.ttft_p50_micros < 3 * interval_micros,
        "TTFT p50 {}µs for a {interval_micros}µs interval",
        chat.ttft_p50_micros
    );
    let itl_error = (chat.itl_p50_micros as f64 - interval_micros as f64).abs() / interval_micros as f64;
    assert!(
        itl_error < 0.25,
        "ITL p50 {}µs vs configured {interval_micros}µs",
        chat.itl_p50_micros
    );
    let histograms = streamed.chat_histograms.as_ref().unwrap();
    assert!(
        decode(&histograms.ttft).unwrap().max() <= decode(&streamed.histogram).unwrap().max(),
        "TTFT <= latency"
    );
    assert!(chat.ttft_p95_micros <= streamed.stats.p95_micros);

    let whole = by_name("whole").stats.chat.clone().unwrap();
    assert_eq!(whole.token_source, loadscope::testing::run::TokenCountSource::Usage);
    assert_eq!(
        (whole.output_tokens, whole.prompt_tokens),
        (10 * whole.replies, 7 * whole.replies),
        "token counts equal usage"
    );

    let failing = by_name("failing");
    assert_eq!(failing.stats.failures, failing.stats.requests);
    let row = level.failures.iter().find(|row| row.task == "failing").unwrap();
    assert_eq!(row.kind, loadscope::testing::run::FailureKind::Status(500));
    // The message quotes the start of the reply, so the cause is visible in the table.
    assert!(
        row.message.starts_with("HTTP 500 Internal Server Error: {") && row.message.contains("mock failure"),
        "{}",
        row.message
    );
    // Streaming errors arrive as a 200 with an error event, as OpenAI sends them.
    let row = level.failures.iter().find(|row| row.task == "failing stream").unwrap();
    assert_eq!(
        (row.kind, row.message.as_str()),
        (loadscope::testing::run::FailureKind::ApiError, "API error: mock failure")
    );
    println!(
        "mock-llm, {CHUNK_INTERVAL_MILLIS} ms chunk interval: TTFT p50 {}µs p95 {}µs, ITL p50 {}µs p95 {}µs",
        chat.ttft_p50_micros, chat.ttft_p95_micros, chat.itl_p50_micros, chat.itl_p95_micros
    );
}

#[test]
fn a_capacity_search_against_the_mock_reaches_its_maximum_or_finds_no_load_within_a_limit_below_its_delay() {
    // Every streamed reply takes ten chunks 20 ms apart: about 200 ms, whatever the load (the
    // mock serves any number of streams at once).
    let mock = NodeServer::start(
        "mock-llm",
        &["--config", "mock-llm.yaml"],
        &[("PORT", "{port}".into()), ("HOST", "127.0.0.1".into())],
        &[("mock-llm.yaml", &config())],
    );
    let search = |limit: &str| {
        format!(
            "[[scenario]]\nname = \"mock\"\n[scenario.service]\nbase_url = \"{}\"\n{}[scenario.capacity]\nover = \"users\"\nstart = 4\nmax = 16\nstep = \"2s\"\nwarmup = \"1s\"\n[[scenario.target]]\nexpr = \"p95 < {limit}\"\n",
            mock.url(),
            task("streamed", "hello", true),
        )
    };
    let (_dir, out) = common::out_path();
    let (record, _) = common::run_text(&search("600ms"), &out);
    let capacity = record.scenarios[0].capacity.clone().unwrap();
    let loads: Vec<(f64, bool)> = capacity.steps.iter().map(|step| (step.load, step.held)).collect();
    assert_eq!(loads, vec![(4.0, true), (8.0, true), (16.0, true)], "doubling up to the maximum");
    assert_eq!((capacity.capacity, capacity.done, record.passed), (Some(16.0), true, Some(true)));

    // A limit below the mock's own delay holds at no load: the search steps down to one user.
    let (_dir, out) = common::out_path();
    let (record, _) = common::run_text(&search("150ms"), &out);
    let capacity = record.scenarios[0].capacity.clone().unwrap();
    let loads: Vec<f64> = capacity.steps.iter().map(|step| step.load).collect();
    assert_eq!(loads, vec![4.0, 2.0, 1.0]);
    assert!(
        capacity
            .steps
            .iter()
            .all(|step| step.why.as_deref().is_some_and(|why| why.starts_with("p95 < 150ms (observed")))
    );
    assert_eq!((capacity.capacity, record.passed), (None, Some(false)));
}
