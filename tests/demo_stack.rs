//! The embedded demo stack: its protocols answer like the real thing, its latency bends under
//! load, and the shipped demo preset runs against it.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use loadscope::testing::demo::{DemoConfig, DemoStack};
use loadscope::testing::engine::{RunPlan, run_blocking};
use loadscope::testing::measure::duration::HumanDuration;
use loadscope::testing::preset::{Overrides, PresetSource, compile};
use serde_json::{Value, json};

fn stack(config: DemoConfig) -> DemoStack {
    DemoStack::start(DemoConfig {
        base_port: 0,
        seed: Some(7),
        error_rate: 0.0,
        ..config
    })
    .unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn client() -> reqwest::Client {
    loadscope::testing::engine::preflight::http_client(Duration::from_secs(10)).unwrap()
}

async fn get_json(client: &reqwest::Client, url: &str) -> Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

#[test]
fn gateway_answers_openai_chat_with_and_without_streaming() {
    let demo = stack(DemoConfig::default());
    let [gateway, _, _] = demo.urls();
    runtime().block_on(async {
        let client = client();
        let models = get_json(&client, &format!("{gateway}/v1/models")).await;
        assert_eq!(models["data"][0]["id"], "demo-llm");

        let body = json!({"model": "demo-llm", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]});
        let reply: Value = client
            .post(format!("{gateway}/v1/chat/completions"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let completion = reply["usage"]["completion_tokens"].as_u64().unwrap();
        assert!((4..=8).contains(&completion), "{reply}");
        assert_eq!(
            reply["choices"][0]["message"]["content"].as_str().unwrap().split(' ').count() as u64,
            completion
        );

        let streamed = json!({"model": "demo-llm", "max_tokens": 6, "stream": true, "stream_options": {"include_usage": true},
                              "messages": [{"role": "user", "content": "hi"}]});
        let response = client
            .post(format!("{gateway}/v1/chat/completions"))
            .json(&streamed)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        let text = response.text().await.unwrap();
        let events: Vec<&str> = text.split("\n\n").filter(|event| !event.is_empty()).collect();
        assert_eq!(*events.last().unwrap(), "data: [DONE]");
        let chunks: Vec<Value> = events[..events.len() - 1]
            .iter()
            .map(|event| serde_json::from_str(event.strip_prefix("data: ").unwrap()).unwrap())
            .collect();
        let content_chunks = chunks
            .iter()
            .filter(|chunk| chunk["choices"][0]["delta"]["content"].as_str().is_some_and(|c| !c.is_empty()))
            .count();
        let usage = chunks.last().unwrap()["usage"]["completion_tokens"].as_u64().unwrap();
        assert_eq!(content_chunks as u64, usage, "one content chunk per token, and usage says how many");

        let bad = client
            .post(format!("{gateway}/v1/chat/completions"))
            .body("{oops")
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 400);
    });
}

#[test]
fn mcp_sessions_tools_and_the_sandbox() {
    let demo = stack(DemoConfig::default());
    let [_, _, mcp] = demo.urls();
    let url = format!("{mcp}/mcp");
    runtime().block_on(async {
        let client = client();
        let accept = "application/json, text/event-stream";
        let init = client
            .post(&url)
            .header("Accept", accept)
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                          "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}}))
            .send()
            .await
            .unwrap();
        let session = init.headers()["mcp-session-id"].to_str().unwrap().to_string();
        let init: Value = init.json().await.unwrap();
        assert_eq!(init["result"]["protocolVersion"], "2025-06-18");
        let notified = client
            .post(&url)
            .header("Mcp-Session-Id", &session)
            .json(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .send()
            .await
            .unwrap();
        assert_eq!(notified.status(), 202);

        let listed: Value = client
            .post(&url)
            .header("Mcp-Session-Id", &session)
            .json(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let names: Vec<&str> = listed["result"]["tools"].as_array().unwrap().iter().map(|tool| tool["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"read_file") && names.contains(&"git_log") && names.contains(&"web_fetch"), "{names:?}");

        // A session client that accepts SSE gets SSE.
        let call = client
            .post(&url)
            .header("Mcp-Session-Id", &session)
            .header("Accept", accept)
            .json(&json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "read_file", "arguments": {"path": "/etc/passwd"}}}))
            .send()
            .await
            .unwrap();
        assert_eq!(call.headers()["content-type"], "text/event-stream");
        let text = call.text().await.unwrap();
        let data = text.lines().find_map(|line| line.strip_prefix("data: ")).unwrap();
        let refused: Value = serde_json::from_str(data).unwrap();
        assert_eq!(refused["result"]["isError"], true, "paths outside /sandbox are refused");

        let allowed: Value = client
            .post(&url)
            .json(&json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "read_file", "arguments": {"path": "/sandbox/a.txt"}}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(allowed["result"]["isError"], false, "stateless call without a session");

        let deleted = client.delete(&url).header("Mcp-Session-Id", &session).send().await.unwrap();
        assert_eq!(deleted.status(), 200);
        let gone = client
            .post(&url)
            .header("Mcp-Session-Id", &session)
            .json(&json!({"jsonrpc": "2.0", "id": 5, "method": "ping"}))
            .send()
            .await
            .unwrap();
        assert_eq!(gone.status(), 404);
    });
}

#[test]
fn rag_answers_queries_and_indexes() {
    let demo = stack(DemoConfig::default());
    let [_, rag, _] = demo.urls();
    runtime().block_on(async {
        let client = client();
        let found: Value = client
            .post(format!("{rag}/query"))
            .json(&json!({"query": "refunds", "top_k": 3}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(found["results"].as_array().unwrap().len(), 3);
        let indexed: Value = client
            .post(format!("{rag}/index"))
            .json(&json!({"documents": ["a", "b"]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(indexed["indexed"], 2);
        let missing = client.post(format!("{rag}/query")).json(&json!({})).send().await.unwrap();
        assert_eq!(missing.status(), 422);
    });
}

#[test]
fn a_full_queue_refuses_requests() {
    let demo = stack(DemoConfig {
        gateway_slots: 1,
        gateway_queue: 2,
        ..DemoConfig::default()
    });
    let [gateway, _, _] = demo.urls();
    let statuses = runtime().block_on(async {
        let client = client();
        let body = json!({"max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]});
        let requests = (0..8).map(|_| client.post(format!("{gateway}/v1/chat/completions")).json(&body).send());
        let mut statuses = Vec::new();
        for response in futures_join(requests.collect()).await {
            statuses.push(response.unwrap().status().as_u16());
        }
        statuses
    });
    let ok = statuses.iter().filter(|status| **status == 200).count();
    let refused = statuses.iter().filter(|status| **status == 503).count();
    assert_eq!(ok + refused, 8, "{statuses:?}");
    assert!(
        ok >= 3 && refused >= 1,
        "1 running + 2 waiting are served, the rest refused: {statuses:?}"
    );
}

async fn futures_join<F>(futures: Vec<F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(handle.await.unwrap());
    }
    outputs
}

#[test]
fn the_demo_preset_shows_a_knee() {
    let demo = stack(DemoConfig::default());
    let urls = demo.urls();
    let mut loaded = PresetSource::locate("demo").unwrap().parse().unwrap();
    Overrides {
        scenario: Some("API Gateway".into()),
        duration: Some(HumanDuration(Duration::from_secs(4))),
        ..Overrides::default()
    }
    .apply(&mut loaded.preset)
    .unwrap();
    *loaded.preset.scenarios[0].service.as_mut().unwrap().base_url.get_mut() = urls[0].clone();
    let compiled = compile(&loaded).unwrap();
    let (_dir, out) = common::out_path();
    let mut plan = RunPlan::new(compiled, out, &|_| None).unwrap();
    plan.workers = 1;
    let record = run_blocking(plan, |_| {}).unwrap().unwrap();
    let levels = &record.scenarios[0].levels;
    let chat_p95 = |level: usize| levels[level].tasks[0].stats.p95_micros;
    let (low, high) = (chat_p95(0), chat_p95(2));
    assert!(low > 50_000, "a generation takes prefill + tokens: p95 {low}µs");
    assert!(
        high > low * 2,
        "40 users queue for 4 GPU slots: p95 {low}µs at 5 users, {high}µs at 40"
    );
    assert!(levels[2].total.stats.rps > levels[0].total.stats.rps);
}

#[test]
fn open_model_counts_requests_that_could_not_start_on_time() {
    let demo = stack(DemoConfig::default());
    let text = format!(
        r#"
[[scenario]]
name = "capped"
[scenario.service]
base_url = "{}"
[[scenario.task]]
name = "chat"
method = "POST"
path = "/v1/chat/completions"
body = '{{"max_tokens": 32, "messages": [{{"role": "user", "content": "hi"}}]}}'
[[scenario.level]]
rate_per_sec = 80
max_in_flight = 2
duration = "3s"
"#,
        demo.urls()[0]
    );
    let (_dir, out) = common::out_path();
    let (record, _) = common::run_text(&text, &out);
    let level = &record.scenarios[0].levels[0];
    // Two requests of ~55 ms at a time carry ~36/s of the 80/s asked; the rest wait for a slot.
    assert!(level.late_starts > 60, "late starts {}", level.late_starts);
    // Latency runs from the scheduled start, so the wait shows in it (no coordinated omission):
    // the backlog grows by ~40 requests a second, over a second of delay by the end.
    assert!(level.total.stats.p95_micros > 800_000, "p95 {}µs", level.total.stats.p95_micros);
}

#[test]
fn with_known_delays_the_demo_reports_how_late_its_own_sleeps_ended() {
    let exact = stack(DemoConfig {
        exact: true,
        time_scale: 0.2,
        ..DemoConfig::default()
    });
    let plain = stack(DemoConfig::default());
    let [exact_gateway, _, _] = exact.urls();
    let [plain_gateway, _, _] = plain.urls();
    runtime().block_on(async {
        let client = client();
        let before = get_json(&client, &format!("{exact_gateway}/demo/lateness")).await;
        assert_eq!(before["sleeps"], 0, "{before}");
        let body = json!({"model": "demo-llm", "max_tokens": 4, "stream": true,
                          "messages": [{"role": "user", "content": "hi"}]});
        let response = client
            .post(format!("{exact_gateway}/v1/chat/completions"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.text().await.unwrap();
        let after = get_json(&client, &format!("{exact_gateway}/demo/lateness")).await;
        // The prefill and the three gaps between four tokens.
        assert!(after["sleeps"].as_u64().unwrap() >= 4, "{after}");
        for field in ["mean_micros", "p50_micros", "p99_micros", "max_micros"] {
            assert!(after[field].as_f64().unwrap() >= 0.0, "{field}: {after}");
        }
        assert!(after["max_micros"].as_u64().unwrap() < 1_000_000, "{after}");

        let refused = client.get(format!("{plain_gateway}/demo/lateness")).send().await.unwrap();
        assert_eq!(refused.status(), 404);
        assert!(refused.text().await.unwrap().contains("--exact"));
    });
}
