//! MCP tasks: sessions, tool calls and per-tool stats against the reference MCP server
//! (`@modelcontextprotocol/server-everything`, streamable HTTP, pinned in
//! scripts/test-deps.sh), and sandbox probes and session cleanup against the demo server.
#![allow(clippy::unwrap_used)]

mod common;

use common::NodeServer;
use loadscope::testing::engine::{Event, run_blocking};

fn everything() -> NodeServer {
    NodeServer::start("mcp-server-everything", &["streamableHttp"], &[("PORT", "{port}".into())], &[])
}

fn preset(url: &str, users: u32, churn: u32, extra_task: &str) -> String {
    format!(
        r#"
[[scenario]]
name = "everything"
[scenario.service]
base_url = "{url}"
[scenario.mcp]
session_churn = {churn}
[scenario.pools]
words = ["alpha", "beta", "gamma"]
[[scenario.task]]
name = "echo"
kind = "mcp"
tool = "echo"
arguments = {{ message = "{{{{ pool.words | random }}}} #{{{{ seq }}}}" }}
[[scenario.task]]
name = "sum"
kind = "mcp"
tool = "get-sum"
arguments = {{ a = 2, b = 3 }}
{extra_task}
[[scenario.level]]
users = {users}
duration = "2s"
"#
    )
}

#[test]
fn sessions_calls_and_per_tool_stats_against_the_reference_server() {
    let server = everything();
    let (_dir, out) = common::out_path();
    let nope = "[[scenario.task]]\nname = \"nope\"\nkind = \"mcp\"\ntool = \"no-such-tool\"\n";
    let mut plan = common::plan_from_text(&preset(&server.url(), 4, 0, nope), &out, &|_| None);
    // The preflight would refuse the unknown tool (tested below); here it must reach the server.
    plan.preflight = false;
    let record = run_blocking(plan, |_| {}).unwrap().unwrap();
    let level = &record.scenarios[0].levels[0];
    let row = |name: &str| level.tasks.iter().find(|task| task.task == name).unwrap();
    assert_eq!(record.scenarios[0].tasks, vec!["echo", "sum", "nope", "MCP initialize"]);
    for tool in ["echo", "sum"] {
        assert!(row(tool).stats.requests > 20, "{tool}: {:?}", row(tool).stats);
        assert_eq!(row(tool).stats.failures, 0, "{tool}: {:?}", level.failures);
    }
    assert_eq!(row("MCP initialize").stats.requests, 4, "one session per user");
    assert_eq!(row("MCP initialize").stats.failures, 0);
    let nope = row("nope");
    assert_eq!(nope.stats.failures, nope.stats.requests);
    let failure = level.failures.iter().find(|failure| failure.task == "nope").unwrap();
    assert_eq!(failure.kind, loadscope::testing::run::FailureKind::RpcError);
    assert!(failure.message.starts_with("JSON-RPC error -32602"), "{}", failure.message);
    // Every user deleted its session when the run ended (the server logs each DELETE).
    let deleted = server.log().matches("Received session termination request").count();
    assert_eq!(deleted, 4, "one DELETE per user session");
    let calls_per_sec = (row("echo").stats.rps + row("sum").stats.rps + nope.stats.rps).round();
    println!("server-everything, 4 users, no think time: {calls_per_sec} calls/s");

    // A new session for every call: sessions/s.
    let (_dir2, out2) = common::out_path();
    let (record, _) = common::run_text(&preset(&server.url(), 4, 1, ""), &out2);
    let level = &record.scenarios[0].levels[0];
    let init = level.tasks.iter().find(|task| task.task == "MCP initialize").unwrap();
    let calls = level.tasks[0].stats.requests + level.tasks[1].stats.requests;
    assert_eq!(level.total.stats.failures, 0, "{:?}", level.failures);
    assert!(
        init.stats.requests + 4 >= calls && init.stats.requests <= calls + 4,
        "{} sessions for {calls} calls",
        init.stats.requests
    );
    println!("server-everything, session churn 1: {:.0} sessions/s", init.stats.rps);
}

#[test]
fn preflight_names_tools_the_server_lacks() {
    let server = everything();
    let (_dir, out) = common::out_path();
    let missing = "[[scenario.task]]\nname = \"missing\"\nkind = \"mcp\"\ntool = \"no-such-tool\"\n";
    let plan = common::plan_from_text(&preset(&server.url(), 1, 0, missing), &out, &|_| None);
    let mut reports = None;
    let record = run_blocking(plan, |event| {
        if let Event::PreflightFailed(failed) = event {
            reports = Some(failed.clone());
        }
    })
    .unwrap();
    assert!(record.is_none());
    let line = reports.unwrap()[0].describe();
    assert!(line.contains("does not offer \"no-such-tool\""), "{line}");
    assert!(
        line.contains("echo") && line.contains("get-sum"),
        "lists what the server has: {line}"
    );
}

#[test]
fn sandbox_probes_count_violations_and_users_close_their_sessions() {
    let demo = common::seeded_demo(5);
    let text = format!(
        r#"
[[scenario]]
name = "sandbox"
think_time = "20ms"
[scenario.service]
base_url = "{}"
[[scenario.task]]
name = "read"
kind = "mcp"
tool = "read_file"
arguments = {{ path = "/sandbox/notes.txt" }}
[[scenario.task]]
name = "escape probe"
kind = "mcp"
tool = "read_file"
arguments = {{ path = "/etc/passwd" }}
expect = "error"
[[scenario.task]]
name = "wrong probe"
kind = "mcp"
tool = "read_file"
arguments = {{ path = "/sandbox/allowed.txt" }}
expect = "error"
[[scenario.level]]
users = 3
duration = "2s"
[[scenario.target]]
expr = "sandbox_violations == 0"
[[scenario.target]]
expr = "success_rate > 99%"
task = "escape probe"
"#,
        demo.urls()[2]
    );
    let (_dir, out) = common::out_path();
    let (record, _) = common::run_text(&text, &out);
    let level = &record.scenarios[0].levels[0];
    let row = |name: &str| level.tasks.iter().find(|task| task.task == name).unwrap();
    assert_eq!(row("read").stats.failures, 0);
    assert_eq!(row("escape probe").stats.failures, 0, "refused as expected");
    let wrong = row("wrong probe");
    assert_eq!(
        wrong.stats.sandbox_violations, wrong.stats.requests,
        "the server allowed what the probe expected refused"
    );
    assert_eq!(level.total.stats.sandbox_violations, wrong.stats.requests);
    let violations = level
        .verdicts
        .iter()
        .find(|verdict| verdict.target == "sandbox_violations == 0")
        .unwrap();
    assert!(!violations.passed && violations.observed == Some(wrong.stats.requests as f64));
    assert!(
        level
            .verdicts
            .iter()
            .find(|verdict| verdict.task.as_deref() == Some("escape probe"))
            .unwrap()
            .passed
    );
    let failure = level
        .failures
        .iter()
        .find(|failure| failure.kind == loadscope::testing::run::FailureKind::SandboxViolation)
        .unwrap();
    assert_eq!(failure.task, "wrong probe");
    assert_eq!(row("MCP initialize").stats.requests, 3);
    assert_eq!(demo.open_mcp_sessions(), 0, "every user deleted its session when the run ended");
}
