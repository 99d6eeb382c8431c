//! Journeys: one user's turn through several services, step by step, with values carried from
//! one reply into the next and a chat's tool calls run on an MCP server. Against the demo
//! stack (the shipped agent-journey preset), a streamed tool-call reply split over many
//! deltas, and real servers no one here wrote: `@dwmkerr/mock-llm` answering with tool calls
//! and `@modelcontextprotocol/server-everything` running them.
#![allow(clippy::unwrap_used)]

mod common;

use common::NodeServer;
use common::faulty::Faulty;
use loadscope::testing::preset::{PresetSource, compile};

/// The shipped agent-journey preset pointed at `stack`, one level of `users` for `duration`.
fn agent_journey(stack: &loadscope::testing::demo::DemoStack, users: u32, duration: &str) -> String {
    let [gateway, rag, mcp] = stack.urls();
    let text = loadscope::testing::preset::shipped::find("agent-journey").unwrap();
    let levels_start = text.find("[[scenario.level]]").unwrap();
    let targets_start = text.find("[[scenario.target]]").unwrap();
    format!(
        "{}[[scenario.level]]\nname = \"Only\"\nusers = {users}\nduration = \"{duration}\"\n\n{}",
        &text[..levels_start],
        &text[targets_start..]
    )
    .replace("http://localhost:8000", &gateway)
    .replace("http://localhost:8002", &rag)
    .replace("http://localhost:8020", &mcp)
}

#[test]
fn an_agent_journey_runs_across_the_demo_stack_end_to_end_and_per_step() {
    let stack = common::seeded_demo(7);
    let (_dir, out) = common::out_path();
    let (record, _) = common::run_text(&agent_journey(&stack, 4, "3s"), &out);
    let level = &record.scenarios[0].levels[0];
    let journey = &level.journeys[0];
    let stats = &journey.stats;
    assert_eq!(journey.name, "ask agent");
    assert!(stats.completed >= 5, "{stats:?}");
    assert_eq!(stats.failed, 0, "{:?}", level.failures);
    assert!(
        stats.started >= stats.completed,
        "journeys cut off by the level's end are started, not ended"
    );
    assert!(
        (stats.steps_avg - 3.0).abs() < 1e-9,
        "every journey ran its three steps: {}",
        stats.steps_avg
    );
    // Each tool call the model asked for was made once on the MCP server, in its own row.
    let row = |name: &str| {
        level
            .tasks
            .iter()
            .find(|task| task.task == name)
            .unwrap_or_else(|| panic!("no row {name}"))
    };
    let calls = row("ask agent / answer with tools / tool calls");
    assert!(
        stats.tool_calls >= stats.completed,
        "the demo model asks for one or two tools: {stats:?}"
    );
    assert!(
        calls.stats.requests >= stats.tool_calls,
        "{} calls recorded for {} asked",
        calls.stats.requests,
        stats.tool_calls
    );
    assert!(stats.tool_rounds_avg >= 1.0, "{stats:?}");
    // A chat round for each tool round, and the answer: at least two replies a journey.
    let chat = row("ask agent / answer with tools");
    assert!(chat.stats.requests >= 2 * stats.completed, "{:?}", chat.stats);
    assert!(row("ask agent / retrieve").stats.requests >= stats.completed);
    assert!(row("ask agent / save answer").stats.failures == 0);
    // End to end is at least the sum of its steps' medians, and the time splits over the three.
    let step_medians: u64 = ["ask agent / retrieve", "ask agent / answer with tools", "ask agent / save answer"]
        .iter()
        .map(|name| row(name).stats.p50_micros)
        .sum();
    assert!(
        stats.latency_p50_micros >= step_medians,
        "{} < {step_medians}",
        stats.latency_p50_micros
    );
    let shares = &stats.service_share_percent;
    assert_eq!(shares.keys().map(String::as_str).collect::<Vec<_>>(), ["gateway", "mcp", "rag"]);
    assert!((shares.values().sum::<f64>() - 100.0).abs() < 0.01, "{shares:?}");
    assert!(shares["gateway"] > shares["rag"], "the model is the slow part: {shares:?}");
    // Journey targets are judged on the journeys.
    let verdict = level.verdicts.iter().find(|verdict| verdict.target == "journey_p95 < 8s").unwrap();
    assert_eq!(verdict.observed, Some(stats.latency_p95_micros as f64));
    let per_journey = level
        .verdicts
        .iter()
        .find(|verdict| verdict.target == "tool_calls_per_journey < 4")
        .unwrap();
    assert_eq!(per_journey.observed, stats.tool_calls_per_journey());
    // The file holds the same numbers.
    let saved = loadscope::testing::run::load(&out).unwrap();
    assert_eq!(saved.scenarios[0].levels[0].journeys, level.journeys);
    assert!(saved.series.iter().any(|point| point.journeys.is_some()));
}

#[test]
fn a_streamed_tool_call_split_over_many_deltas_is_assembled_and_run() {
    let stack = common::seeded_demo(3);
    let model = Faulty::start();
    let [_, _, mcp] = stack.urls();
    let text = format!(
        r#"
[[scenario]]
name = "split"
[scenario.services.model]
base_url = "{model}"
[scenario.services.tools]
base_url = "{mcp}"
[scenario.services.sink]
base_url = "{model}"

[[scenario.journey]]
name = "turn"

[[scenario.journey.step]]
name = "ask"
service = "model"
kind = "chat"
path = "/tool-stream"
model = "m"
stream = true
tools = "tools"
messages = [{{ role = "user", content = "go" }}]
save = {{ answer = "text" }}

[[scenario.journey.step]]
name = "report"
service = "sink"
method = "POST"
path = "/ok"
body = '{{"answer": {{{{ journey.answer | tojson }}}}}}'

[[scenario.level]]
users = 1
duration = "1s"
"#,
        model = model.url()
    );
    let (_dir, out) = common::out_path();
    let (record, _) = common::run_text(&text, &out);
    let level = &record.scenarios[0].levels[0];
    let stats = &level.journeys[0].stats;
    assert!(stats.completed >= 1 && stats.failed == 0, "{stats:?} {:?}", level.failures);
    assert_eq!(stats.tool_calls, 2 * stats.ended(), "two calls a journey");
    let answers = model.json_bodies("/ok");
    assert!(!answers.is_empty());
    for answer in answers {
        assert_eq!(answer["answer"], "tools ok", "the model was sent the wrong tool results");
    }
    // The calls went to the demo MCP server with the assembled arguments.
    let calls = level.tasks.iter().find(|task| task.task == "turn / ask / tool calls").unwrap();
    assert!(
        calls.stats.requests >= stats.tool_calls,
        "calls of journeys still running at the end count in the row only"
    );
    assert_eq!(calls.stats.failures, 0);
}

/// mock-llm asks for `echo` until it is sent a tool result, then answers with that result.
const MOCK_LLM_TOOLS: &str = r#"
rules:
  - path: "/v1/chat/completions"
    method: POST
    match: "body.messages[-1].role != 'tool'"
    response:
      status: 200
      content: |
        {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "mock",
         "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": null,
           "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "echo", "arguments": "{\"message\": \"from the model\"}"}}]}}],
         "usage": {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14}}
  - path: "/v1/chat/completions"
    method: POST
    match: "body.messages[-1].role == 'tool'"
    response:
      status: 200
      content: |
        {"id": "chatcmpl-2", "object": "chat.completion", "created": 1, "model": "mock",
         "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "{{jmes request body.messages[-1].content}}"}}],
         "usage": {"prompt_tokens": 20, "completion_tokens": 4, "total_tokens": 24}}
"#;

#[test]
fn mock_llm_tool_calls_run_on_server_everything_and_the_result_goes_back() {
    let mock = NodeServer::start(
        "mock-llm",
        &["--config", "mock-llm.yaml"],
        &[("PORT", "{port}".into()), ("HOST", "127.0.0.1".into())],
        &[("mock-llm.yaml", MOCK_LLM_TOOLS)],
    );
    let everything = NodeServer::start("mcp-server-everything", &["streamableHttp"], &[("PORT", "{port}".into())], &[]);
    let sink = Faulty::start();
    let text = format!(
        r#"
[[scenario]]
name = "real servers"
[scenario.services.model]
base_url = "{model}"
[scenario.services.mcp]
base_url = "{mcp}"
[scenario.services.sink]
base_url = "{sink}"

[[scenario.journey]]
name = "echo turn"

[[scenario.journey.step]]
name = "ask"
service = "model"
kind = "chat"
model = "mock"
tools = "mcp"
messages = [{{ role = "user", content = "say it back" }}]
save = {{ answer = "text" }}

[[scenario.journey.step]]
name = "echo again"
service = "mcp"
kind = "mcp"
tool = "echo"
arguments = {{ message = "{{{{ journey.answer }}}}" }}
save = {{ echoed = "text" }}

[[scenario.journey.step]]
name = "report"
service = "sink"
method = "POST"
path = "/ok"
body = '{{"answer": {{{{ journey.answer | tojson }}}}, "echoed": {{{{ journey.echoed | tojson }}}}}}'

[[scenario.level]]
users = 2
duration = "2s"

[[scenario.target]]
expr = "journey_success_rate == 100%"

[[scenario.target]]
expr = "tool_calls_per_journey == 1"
"#,
        model = mock.url(),
        mcp = everything.url(),
        sink = sink.url(),
    );
    let (_dir, out) = common::out_path();
    let (record, _) = common::run_text(&text, &out);
    let level = &record.scenarios[0].levels[0];
    let stats = &level.journeys[0].stats;
    assert!(stats.completed >= 2, "{stats:?} {:?}", level.failures);
    assert_eq!(stats.failed, 0, "{:?}", level.failures);
    assert_eq!(stats.tool_calls, stats.ended(), "one echo call a journey");
    assert!(level.verdicts.iter().all(|verdict| verdict.passed), "{:?}", level.verdicts);
    let reports = sink.json_bodies("/ok");
    assert!(!reports.is_empty());
    for report in reports {
        // server-everything's echo answered the model's call; mock-llm sent that result back as
        // its answer; the MCP step echoed the answer again.
        assert_eq!(report["answer"], "Echo: from the model", "{report}");
        assert_eq!(report["echoed"], "Echo: Echo: from the model", "{report}");
    }
}

#[test]
fn a_failed_step_ends_the_journey_unless_it_is_optional() {
    let server = Faulty::start();
    let journey = |optional: bool| {
        format!(
            r#"
[[scenario]]
name = "steps"
[scenario.service]
base_url = "{url}"

[[scenario.journey]]
name = "turn"

[[scenario.journey.step]]
name = "first"
path = "/ok"

[[scenario.journey.step]]
name = "broken"
path = "/echo-headers"
optional = {optional}

[[scenario.journey.step]]
name = "last"
path = "/ok"

[[scenario.level]]
users = 1
duration = "1s"
"#,
            url = server.url()
        )
    };
    let (_dir, out) = common::out_path();
    let (record, _) = common::run_text(&journey(false), &out);
    let level = &record.scenarios[0].levels[0];
    let stats = &level.journeys[0].stats;
    assert!(stats.failed >= 1 && stats.completed == 0, "{stats:?}");
    let last = level.tasks.iter().find(|task| task.task == "turn / last").unwrap();
    assert_eq!(last.stats.requests, 0, "no step runs after a failed one");
    assert!((stats.steps_avg - 2.0).abs() < 1e-9);

    let (record, _) = common::run_text(&journey(true), &out);
    let level = &record.scenarios[0].levels[0];
    let stats = &level.journeys[0].stats;
    assert!(stats.completed >= 1 && stats.failed == 0, "{stats:?}");
    let broken = level.tasks.iter().find(|task| task.task == "turn / broken").unwrap();
    assert_eq!(
        broken.stats.failures, broken.stats.requests,
        "the optional step's failures stay in its row"
    );
}

#[test]
fn a_value_the_reply_does_not_hold_fails_the_step_that_saves_it() {
    let server = Faulty::start();
    let text = format!(
        r#"
[[scenario]]
name = "save"
[scenario.service]
base_url = "{url}"

[[scenario.journey]]
name = "turn"

[[scenario.journey.step]]
name = "lookup"
path = "/encoded/identity"
save = {{ id = "/missing/field" }}

[[scenario.journey.step]]
name = "use"
path = "/ok?id={{{{ journey.id }}}}"

[[scenario.level]]
users = 1
duration = "1s"
"#,
        url = server.url()
    );
    let (_dir, out) = common::out_path();
    let (record, _) = common::run_text(&text, &out);
    let level = &record.scenarios[0].levels[0];
    assert!(level.journeys[0].stats.failed >= 1);
    let failure = level.failures.iter().find(|row| row.task == "turn / lookup").unwrap();
    assert!(
        failure.message.contains("nothing at /missing/field to save as journey.id"),
        "{}",
        failure.message
    );
    assert!(
        server.seen().iter().all(|seen| !seen.line.contains("/ok")),
        "the next step never ran"
    );
}

/// Compiles preset text, returning its mistakes as text.
fn mistakes(text: &str) -> String {
    let loaded = PresetSource::from_text("journey.toml", text, None).parse().unwrap();
    match compile(&loaded) {
        Ok(_) => String::new(),
        Err(errors) => errors.to_string(),
    }
}

#[test]
fn journey_mistakes_are_named_with_their_place_and_fix() {
    let base = r#"
[[scenario]]
name = "s"
[scenario.services.gateway]
base_url = "http://127.0.0.1:9"
[scenario.services.mcp]
base_url = "http://127.0.0.1:9"

[[scenario.journey]]
name = "turn"
"#;
    let level = "\n[[scenario.level]]\nusers = 1\nduration = \"1s\"\n";
    // A template that uses what no earlier step saved.
    let text = format!(
        "{base}[[scenario.journey.step]]\nname = \"a\"\nservice = \"gateway\"\npath = \"/x/{{{{ journey.later }}}}\"\n\n[[scenario.journey.step]]\nname = \"b\"\nservice = \"gateway\"\npath = \"/y\"\nsave = {{ later = \"/id\" }}\n{level}"
    );
    let found = mistakes(&text);
    assert!(
        found.contains("uses journey.later which no earlier step of the journey saves") && found.contains("journey.toml line 14"),
        "{found}"
    );
    // No service named, with several.
    let text = format!("{base}[[scenario.journey.step]]\nname = \"a\"\npath = \"/x\"\n{level}");
    let found = mistakes(&text);
    assert!(found.contains("service = \"NAME\"") && found.contains("gateway, mcp"), "{found}");
    // A service that does not exist, and tools on a request that is not a chat.
    let text = format!("{base}[[scenario.journey.step]]\nname = \"a\"\nservice = \"gatewey\"\npath = \"/x\"\ntools = \"mcp\"\n{level}");
    let found = mistakes(&text);
    assert!(
        found.contains("\"gatewey\" names no service") && found.contains("tools belong to chat"),
        "{found}"
    );
    // Saving a streamed chat's JSON.
    let text = format!(
        "{base}[[scenario.journey.step]]\nname = \"a\"\nservice = \"gateway\"\nkind = \"chat\"\nmodel = \"m\"\nstream = true\nmessages = [{{ role = \"user\", content = \"hi\" }}]\nsave = {{ x = \"/choices/0\" }}\n{level}"
    );
    assert!(mistakes(&text).contains("save = { x = \"text\" }"), "{}", mistakes(&text));
    // A journey target without journeys, and a journey scope on a request metric.
    let text = "[[scenario]]\nname = \"s\"\n[scenario.service]\nbase_url = \"http://127.0.0.1:9\"\n[[scenario.task]]\nname = \"t\"\npath = \"/\"\n[[scenario.level]]\nusers = 1\nduration = \"1s\"\n[[scenario.target]]\nexpr = \"journey_p95 < 2s\"\n[[scenario.target]]\nexpr = \"p95 < 2s\"\njourney = \"t\"\n";
    let found = mistakes(text);
    assert!(found.contains("measures journeys, but scenario \"s\" has none"), "{found}");
    assert!(found.contains("goes with journey metrics"), "{found}");
    // save on a plain task.
    let text = "[[scenario]]\nname = \"s\"\n[scenario.service]\nbase_url = \"http://127.0.0.1:9\"\n[[scenario.task]]\nname = \"t\"\npath = \"/\"\nsave = { a = \"/b\" }\n[[scenario.level]]\nusers = 1\nduration = \"1s\"\n";
    assert!(mistakes(text).contains("save belongs to journey steps"), "{}", mistakes(text));
}

#[test]
fn host_cannot_replace_several_services() {
    let dir = tempfile::tempdir().unwrap();
    let output = common::loadscope(&["run", "agent-journey", "--host", "http://127.0.0.1:9", "-t", "1s"], dir.path());
    assert_eq!(output.status.code(), Some(2), "{}", common::text(&output.stderr));
    let stderr = common::text(&output.stderr);
    assert!(stderr.contains("--host") && stderr.contains("gateway, mcp, rag"), "{stderr}");
}

#[test]
fn journeys_read_the_same_in_the_json_summary_the_report_junit_and_metrics() {
    let stack = common::seeded_demo(5);
    let dir = tempfile::tempdir().unwrap();
    let preset = dir.path().join("agent.toml");
    std::fs::write(&preset, agent_journey(&stack, 3, "2s")).unwrap();
    let run_file = dir.path().join("run.json");
    let junit = dir.path().join("junit.xml");
    let output = common::loadscope(
        &[
            "run",
            preset.to_str().unwrap(),
            "--json",
            "--out",
            run_file.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", common::text(&output.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let record = loadscope::testing::run::load(&run_file).unwrap();
    let level = &record.scenarios[0].levels[0];
    let journey = &level.journeys[0];
    let printed = &summary["scenarios"][0]["levels"][0]["journeys"][0];
    assert_eq!(printed["name"], "ask agent");
    assert_eq!(printed["completed"], journey.stats.completed);
    assert_eq!(printed["latency_p95_micros"], journey.stats.latency_p95_micros);
    assert_eq!(printed["tool_calls"], journey.stats.tool_calls);
    let verdict = summary["scenarios"][0]["levels"][0]["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|verdict| verdict["target"] == "journey_p95 < 8s")
        .unwrap();
    assert_eq!(verdict["observed"], journey.stats.latency_p95_micros as f64);
    // The terminal's journeys table has the same cells.
    let stderr = common::text(&output.stderr);
    let p95 = loadscope::testing::format::micros(journey.stats.latency_p95_micros as f64);
    let line = stderr
        .lines()
        .find(|line| line.starts_with("ask agent ") && !line.contains(" / "))
        .unwrap();
    assert!(line.contains(&p95) && line.contains(&journey.stats.completed.to_string()), "{line}");
    // JUnit: a case per journey target.
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("Only: journey_p95 &lt; 8s") && xml.contains("Only: tool_calls_per_journey &lt; 4"),
        "{xml}"
    );
    // The Markdown report's journeys table.
    let report = common::loadscope(&["report", run_file.to_str().unwrap()], dir.path());
    let markdown = common::text(&report.stdout);
    assert!(markdown.contains("### Journeys"), "{markdown}");
    let row = markdown.lines().find(|line| line.contains("| ask agent |")).unwrap();
    assert!(row.contains(&p95), "{row}");
    // /metrics, fed the run's events, counts what the file holds.
    let (record, events) = common::run_text(&agent_journey(&stack, 2, "1s"), &dir.path().join("second.json"));
    let metrics = loadscope::testing::export::metrics::RunMetrics::new("agent");
    for event in &events {
        metrics.observe(event);
    }
    let text = metrics.encode();
    let completed = record.scenarios[0].levels[0].journeys[0].stats.completed;
    let wanted = format!("loadscope_journey_completed_total{{scenario=\"Agent\",journey=\"ask agent\",level=\"Only\"}} {completed}");
    assert!(text.contains(&wanted), "{wanted} not in:\n{text}");
    assert!(text.contains("loadscope_journey_duration_seconds_bucket{scenario=\"Agent\",journey=\"ask agent\",level=\"Only\",le="));
}

#[test]
fn compare_lays_journeys_side_by_side_and_calls_a_slower_one_worse() {
    let run = |time_scale: f64| {
        let stack = loadscope::testing::demo::DemoStack::start(loadscope::testing::demo::DemoConfig {
            base_port: 0,
            seed: Some(9),
            error_rate: 0.0,
            time_scale,
            ..loadscope::testing::demo::DemoConfig::default()
        })
        .unwrap();
        let (_dir, out) = common::out_path();
        // No think time between steps: journeys back to back, enough to judge (100 a level).
        let text = agent_journey(&stack, 12, "5s").replace("think_time = { min = \"100ms\", max = \"300ms\" }", "");
        common::run_text(&text, &out).0
    };
    let fast = run(0.2);
    let slow = run(0.5);
    use loadscope::testing::analysis::comparison::{Change, Measure, TaskRow, compare, delta};
    let comparison = compare(&[&fast, &slow], 0);
    let row = comparison
        .rows
        .iter()
        .find(|row| row.task == TaskRow::Journey("ask agent".into()))
        .expect("a journey row");
    assert_eq!(row.task.name(), "journey ask agent");
    let (before, after) = (row.cells[0].as_ref().unwrap(), row.cells[1].as_ref().unwrap());
    assert_eq!(before.p95_micros, fast.scenarios[0].levels[0].journeys[0].stats.latency_p95_micros);
    let p95 = delta(Measure::P95, before, after).unwrap();
    assert!(
        before.requests >= 100 && after.requests >= 100,
        "enough journeys to judge: {before:?} vs {after:?}"
    );
    assert_eq!(p95.change, Change::Worse, "2.5 times the delays: {before:?} vs {after:?}");
    // The same run against itself is no change.
    let same = compare(&[&fast, &fast], 0);
    let row = same.rows.iter().find(|row| matches!(row.task, TaskRow::Journey(_))).unwrap();
    let cell = row.cells[0].as_ref().unwrap();
    assert_eq!(delta(Measure::P95, cell, cell).unwrap().change, Change::Same);
}

#[test]
fn slo_attainment_and_goodput_count_journeys_whose_every_request_met_the_objectives() {
    let stack = common::seeded_demo(13);
    let with_objectives = |latency: &str| {
        agent_journey(&stack, 3, "2s").replace(
            "[[scenario.target]]\nexpr = \"journey_p95 < 8s\"",
            &format!(
                "[scenario.objectives]\nlatency = \"{latency}\"\n\n[[scenario.target]]\nexpr = \"slo_attainment > 50%\"\njourney = \"ask agent\"\n\n[[scenario.target]]\nexpr = \"goodput > 0\"\njourney = \"ask agent\"\n\n[[scenario.target]]\nexpr = \"journey_p95 < 8s\""
            ),
        )
    };
    let (_dir, out) = common::out_path();
    let (record, _) = common::run_text(&with_objectives("10s"), &out);
    let level = &record.scenarios[0].levels[0];
    let stats = &level.journeys[0].stats;
    assert_eq!(stats.objectives_met, Some(stats.completed), "every request within 10 s: {stats:?}");
    let attainment = level
        .verdicts
        .iter()
        .find(|verdict| verdict.target == "slo_attainment > 50%")
        .unwrap();
    assert_eq!(attainment.journey.as_deref(), Some("ask agent"));
    assert_eq!(attainment.observed, stats.slo_attainment_percent());
    assert!(attainment.passed);
    let goodput = level.verdicts.iter().find(|verdict| verdict.target == "goodput > 0").unwrap();
    assert_eq!(goodput.observed, stats.goodput_per_sec);

    let (record, _) = common::run_text(&with_objectives("1ms"), &out);
    let level = &record.scenarios[0].levels[0];
    let stats = &level.journeys[0].stats;
    assert_eq!(stats.objectives_met, Some(0), "no request is that fast: {stats:?}");
    let attainment = level
        .verdicts
        .iter()
        .find(|verdict| verdict.target == "slo_attainment > 50%")
        .unwrap();
    assert_eq!(attainment.observed, Some(0.0));
    assert!(!attainment.passed);
}
