//! The `loadscope` binary as CI uses it: exit codes, output, overrides, validate, runs.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::{Nginx, loadscope, text};

fn preset(url: &str, path: &str, target: &str) -> String {
    format!(
        r#"
name = "cli test"
[[scenario]]
name = "nginx"
[scenario.service]
base_url = "{url}"
health_path = "/health"
start_hint = "systemctl start nginx"
[[scenario.task]]
name = "get"
path = "{path}"
[[scenario.level]]
name = "only"
users = 2
duration = "1s"
[[scenario.target]]
expr = "{target}"
"#
    )
}

#[test]
fn exit_codes_follow_the_verdicts() {
    let nginx = Nginx::start();
    let dir = tempfile::tempdir().unwrap();
    let passing = dir.path().join("pass.toml");
    std::fs::write(&passing, preset(&nginx.url(), "/hello", "p95 < 5s")).unwrap();
    let out = dir.path().join("pass.json");
    let output = loadscope(
        &["run", passing.to_str().unwrap(), "--out", out.to_str().unwrap(), "-q"],
        dir.path(),
    );
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&output.stderr)
    );
    assert!(stdout.contains("nginx / only (2 users)"), "{stdout}");
    assert!(stdout.contains("Aggregated"), "{stdout}");
    assert!(stdout.contains("PASS  p95 < 5s"), "{stdout}");
    assert!(stdout.contains("All 1 target checks passed."), "{stdout}");
    assert!(out.exists());

    let failing = dir.path().join("fail.toml");
    std::fs::write(&failing, preset(&nginx.url(), "/fail", "error_rate < 1%")).unwrap();
    let output = loadscope(
        &[
            "run",
            failing.to_str().unwrap(),
            "--out",
            dir.path().join("fail.json").to_str().unwrap(),
            "-q",
        ],
        dir.path(),
    );
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL  error_rate < 1%  observed 100.00%"), "{stdout}");
    assert!(
        stdout.contains("status 500") && stdout.contains("HTTP 500 Internal Server Error"),
        "{stdout}"
    );
}

#[test]
fn a_service_that_is_down_exits_2_with_the_url_and_the_hint() {
    let dir = tempfile::tempdir().unwrap();
    let port = common::closed_port();
    let path = dir.path().join("down.toml");
    std::fs::write(&path, preset(&format!("http://127.0.0.1:{port}"), "/hello", "p95 < 5s")).unwrap();
    let output = loadscope(&["run", path.to_str().unwrap(), "-q"], dir.path());
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("GET http://127.0.0.1:{port}/health")), "{stderr}");
    assert!(stderr.contains("Start it with: systemctl start nginx"), "{stderr}");
    assert!(!dir.path().join("runs").exists(), "nothing ran, nothing saved");
}

#[test]
fn host_users_and_duration_flags_override_the_preset() {
    let nginx = Nginx::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    // The preset points at a closed port; --host sends the run to nginx instead.
    std::fs::write(
        &path,
        preset(&format!("http://127.0.0.1:{}", common::closed_port()), "/hello", "p95 < 5s"),
    )
    .unwrap();
    let out = dir.path().join("run.json");
    let output = loadscope(
        &[
            "run",
            path.to_str().unwrap(),
            "--host",
            &nginx.url(),
            "-u",
            "3",
            "-r",
            "3",
            "-t",
            "2s",
            "--out",
            out.to_str().unwrap(),
            "-q",
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let record = loadscope::testing::run::load(&out).unwrap();
    let level = &record.scenarios[0].levels[0];
    assert_eq!(
        level.load,
        loadscope::testing::measure::LoadModel::Closed {
            users: 3,
            spawn_rate: Some(3.0)
        }
    );
    assert_eq!(level.planned_duration_secs, 2.0);
    assert_eq!(record.scenarios[0].base_url, nginx.url());
    assert_eq!(
        record.preset.document["scenario"][0]["service"]["base_url"],
        nginx.url(),
        "the preset as run"
    );

    let bad = loadscope(&["run", path.to_str().unwrap(), "--host", "nginx:80"], dir.path());
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("--host: base_url \"nginx:80\" has no scheme"),
        "{}",
        text(&bad.stderr)
    );
    let bad = loadscope(&["run", path.to_str().unwrap(), "-t", "soon"], dir.path());
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("invalid duration"), "{}", text(&bad.stderr));
}

#[test]
fn validate_reports_every_mistake_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.toml");
    std::fs::write(
        &path,
        "[[scenario]]\nname = \"s\"\n[scenario.service]\nbase_url = \"http://x\"\n[[scenario.task]]\nname = \"t\"\npath = \"/\"\n[[scenario.level]]\nduration = \"1m\"\n[[scenario.target]]\nexpr = \"latency < 2s\"\n",
    )
    .unwrap();
    let output = loadscope(&["validate", "api-gateway", path.to_str().unwrap()], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stdout).contains("ok  api-gateway: 1 scenario(s), 3 level(s), 6 target(s)"));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("line 8 column 1") && stderr.contains("needs users (closed model) or rate_per_sec"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 11 column 8") && stderr.contains("unknown metric \"latency\""),
        "{stderr}"
    );
    let unknown = loadscope(&["validate", "no-such-preset"], dir.path());
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown.stderr).contains("shipped: api-gateway, rag-service"),
        "{}",
        text(&unknown.stderr)
    );
}

#[test]
fn validate_reads_the_saved_baseline_run_a_preset_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baselined.toml");
    std::fs::write(
        &path,
        "[[scenario]]\nname = \"Gateway\"\nbaseline = { run = \"nope.json\" }\n[scenario.service]\nbase_url = \"http://127.0.0.1:9\"\n[[scenario.task]]\nname = \"t\"\npath = \"/\"\n[[scenario.level]]\nusers = 1\nduration = \"1s\"\n[[scenario.target]]\nexpr = \"degradation < 50%\"\n",
    )
    .unwrap();
    let output = loadscope(&["validate", path.to_str().unwrap()], dir.path());
    assert_eq!(output.status.code(), Some(2), "a missing baseline run is a mistake");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("line 3") && stderr.contains("nope.json") && stderr.contains("save a baseline run first"),
        "{stderr}"
    );
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/runs/baseline.json"),
        dir.path().join("nope.json"),
    )
    .unwrap();
    let output = loadscope(&["validate", path.to_str().unwrap()], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

#[test]
fn runs_lists_saved_runs_and_unreadable_files() {
    let nginx = Nginx::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    std::fs::write(&path, preset(&nginx.url(), "/hello", "p95 < 5s")).unwrap();
    // Default output: the data dir's runs/.
    let output = loadscope(&["run", path.to_str().unwrap(), "-q"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let runs_dir = dir.path().join("runs");
    std::fs::write(runs_dir.join("00000000-garbage.json"), "{ not json").unwrap();
    let output = loadscope(&["runs"], dir.path());
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stdout.contains("cli test") && stdout.contains("completed") && stdout.contains("pass"),
        "{stdout}"
    );
    assert!(
        stdout.contains("unreadable: run file") && stdout.contains("garbage.json"),
        "{stdout}"
    );
}

#[test]
fn a_killed_run_leaves_a_readable_file_with_its_data() {
    let nginx = Nginx::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    std::fs::write(
        &path,
        preset(&nginx.url(), "/hello", "p95 < 5s").replace("duration = \"1s\"", "duration = \"60s\""),
    )
    .unwrap();
    let out = dir.path().join("killed.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_loadscope"))
        .args(["run", path.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .env("LOADSCOPE_DATA_DIR", dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("stderr.txt")).unwrap())
        .spawn()
        .unwrap();
    // Wait for an autosave that holds a few seconds of the run, then kill without warning.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let saved_seconds = loop {
        let seconds = loadscope::testing::run::load(&out).map(|record| record.series.len()).unwrap_or(0);
        if seconds >= 2 || std::time::Instant::now() > deadline {
            break seconds;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    child.kill().unwrap(); // SIGKILL: no chance to save
    child.wait().unwrap();
    let stderr = std::fs::read_to_string(dir.path().join("stderr.txt")).unwrap_or_default();
    assert!(
        saved_seconds >= 2,
        "the run was saved every few seconds while running; loadscope said:\n{stderr}"
    );
    let record = loadscope::testing::run::load(&out).unwrap();
    assert_eq!(
        record.status,
        loadscope::testing::run::RunStatus::Running,
        "saved mid-run; read as interrupted once stale"
    );
    let level = &record.scenarios[0].levels[0];
    assert!(level.total.stats.requests > 100, "{} requests kept", level.total.stats.requests);
    assert!(
        record.series.len() >= 2,
        "at most a few seconds lost: {} series points",
        record.series.len()
    );
}

#[test]
fn probe_says_what_each_monitor_sees_and_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let output = loadscope(&["probe"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let gpu = stdout.lines().find(|line| line.contains("GPU ")).expect("a GPU line");
    assert!(
        gpu.starts_with("ok  ") || gpu.contains("unavailable: NVML") || gpu.contains("unavailable: the NVIDIA driver"),
        "{stdout}"
    );
    assert!(stdout.lines().any(|line| line.starts_with("ok  Host")), "{stdout}");
    let host = stdout.lines().find(|line| line.starts_with("host: CPU ")).expect("a host sample");
    assert!(host.contains("GiB"), "{host}");
    let bad = loadscope(&["probe", "--containers", "(unclosed"], dir.path());
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("--containers \"(unclosed\": not a valid regular expression"),
        "{}",
        text(&bad.stderr)
    );
}

/// One JSON document on standard output, of the kind and version asked for.
fn json_document(output: &std::process::Output, kind: &str) -> serde_json::Value {
    let stdout = text(&output.stdout);
    let document: serde_json::Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|err| panic!("not one JSON document ({err}): {stdout}{}", text(&output.stderr)));
    assert_eq!(document["kind"], kind, "{document}");
    assert_eq!(document["version"], 1, "{document}");
    document
}

#[test]
fn json_outputs_carry_the_numbers_the_run_files_hold() {
    let nginx = Nginx::start();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, preset(&nginx.url(), "/hello", "p95 < 5s")).unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, preset(&nginx.url(), "/hello", "p95 <<< 5s")).unwrap();

    let output = loadscope(&["validate", good.to_str().unwrap(), bad.to_str().unwrap(), "--json"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    let validation = json_document(&output, "validation");
    let presets = validation["presets"].as_array().unwrap();
    assert_eq!(presets[0]["ok"], true);
    assert_eq!(
        (
            presets[0]["scenarios"].as_u64(),
            presets[0]["levels"].as_u64(),
            presets[0]["targets"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(presets[1]["ok"], false);
    let error = &presets[1]["errors"][0];
    assert_eq!(error["source"], bad.display().to_string());
    assert_eq!((error["line"].as_u64(), error["column"].as_u64()), (Some(17), Some(8)), "{error}");
    assert!(error["message"].as_str().unwrap().contains("p95 <<< 5s"), "{error}");

    // Two runs into the library, each summary as JSON; tables and lines went to stderr.
    let mut summaries = Vec::new();
    for _ in 0..2 {
        let output = loadscope(&["run", good.to_str().unwrap(), "--json", "-q"], dir.path());
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        assert!(text(&output.stderr).contains("Run saved to"));
        summaries.push(json_document(&output, "run"));
    }
    let summary = &summaries[1];
    assert_eq!(summary["exit_code"], 0);
    assert_eq!(summary["passed"], true);
    let record = loadscope::testing::run::load(std::path::Path::new(summary["path"].as_str().unwrap())).unwrap();
    assert_eq!(summary["id"], serde_json::json!(record.id));
    let level = &record.scenarios[0].levels[0];
    let level_json = &summary["scenarios"][0]["levels"][0];
    assert_eq!(level_json["total"]["requests"], level.total.stats.requests);
    assert_eq!(level_json["total"]["p95_micros"], level.total.stats.p95_micros);
    assert_eq!(level_json["tasks"][0]["task"], "get");
    let verdict = &level_json["verdicts"][0];
    assert_eq!(verdict["target"], "p95 < 5s");
    assert_eq!(verdict["observed"], serde_json::json!(level.verdicts[0].observed));
    assert_eq!(summary["total"]["requests"], record.total.as_ref().unwrap().stats.requests);

    let output = loadscope(&["runs", "--json"], dir.path());
    assert_eq!(output.status.code(), Some(0));
    let runs = json_document(&output, "runs");
    let listed: Vec<&str> = runs["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| run["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        vec![summaries[1]["id"].as_str().unwrap(), summaries[0]["id"].as_str().unwrap()],
        "newest first"
    );
    assert_eq!(runs["runs"][0]["requests"], record.total.as_ref().unwrap().stats.requests);
    assert_eq!(runs["runs"][0]["status"], "completed");

    let first = summaries[0]["id"].as_str().unwrap();
    let output = loadscope(&["compare", first, "latest", "--json"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let comparison = json_document(&output, "comparison");
    assert_eq!(comparison["baseline"], "A");
    let row = comparison["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["task"] == "get")
        .unwrap();
    assert_eq!(row["level_name"], "only");
    assert_eq!(row["cells"][1]["p95_micros"], level.tasks[0].stats.p95_micros);
    assert!(
        row["cells"][0]["changes"].as_array().unwrap().is_empty(),
        "the baseline's own cell has no changes"
    );
    let change = row["cells"][1]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|change| change["measure"] == "p95")
        .unwrap();
    let base_p95 = row["cells"][0]["p95_micros"].as_f64().unwrap();
    assert_eq!(
        change["absolute"].as_f64().unwrap(),
        level.tasks[0].stats.p95_micros as f64 - base_p95
    );
    assert!(["better", "worse", "same"].contains(&change["change"].as_str().unwrap()));

    let output = loadscope(&["probe", "--json"], dir.path());
    assert_eq!(output.status.code(), Some(0));
    let probe = json_document(&output, "probe");
    assert_eq!(probe["monitors"]["host"]["state"], "available", "{probe}");
    assert!(
        ["available", "unavailable"].contains(&probe["monitors"]["gpu"]["state"].as_str().unwrap()),
        "{probe}"
    );
    assert!(probe["sample"]["host"]["cpu_percent"].is_number(), "{probe}");
}

/// What bash's completion function (from `loadscope generate bash`) gets back for `words`, the
/// last one being completed.
fn bash_completions(words: &[&str], data_dir: &std::path::Path) -> Vec<String> {
    let output = Command::new(env!("CARGO_BIN_EXE_loadscope"))
        .arg("--")
        .args(words)
        .env("LOADSCOPE_DATA_DIR", data_dir)
        .env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
        .env("_CLAP_COMPLETE_COMP_TYPE", "9")
        .env("_CLAP_COMPLETE_SPACE", "true")
        .env("_CLAP_IFS", "\n")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    text(&output.stdout).lines().map(str::to_string).collect()
}

#[test]
fn completions_offer_preset_names_and_run_ids_and_user_presets_run_by_name() {
    let data = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(data.path().join("presets")).unwrap();
    std::fs::create_dir_all(data.path().join("runs")).unwrap();
    std::fs::write(
        data.path().join("presets/nightly.loadscope.toml"),
        preset("http://127.0.0.1:9", "/hello", "p95 < 1s"),
    )
    .unwrap();
    std::fs::write(data.path().join("runs/20261201T100000Z-cli-test-abc123.json"), "{}").unwrap();

    let presets = bash_completions(&["loadscope", "run", ""], data.path());
    for name in ["api-gateway", "llm-capacity", "nightly"] {
        assert!(presets.contains(&name.to_string()), "{name} not in {presets:?}");
    }
    assert_eq!(bash_completions(&["loadscope", "validate", "nig"], data.path()), vec!["nightly"]);
    let runs = bash_completions(&["loadscope", "compare", "2026"], data.path());
    assert_eq!(runs, vec!["20261201T100000Z-cli-test-abc123"]);
    assert!(bash_completions(&["loadscope", "report", "l"], data.path()).contains(&"latest".to_string()));

    // The name completed is a name `run` and `validate` find.
    let validated = loadscope(&["validate", "nightly"], data.path());
    assert_eq!(validated.status.code(), Some(0), "{}", text(&validated.stderr));
    let unknown = loadscope(&["validate", "nope"], data.path());
    assert!(text(&unknown.stdout).contains("nightly") || text(&unknown.stderr).contains("nightly"));

    // The bash script registers the callback.
    let script = loadscope(&["generate", "bash"], data.path());
    assert!(text(&script.stdout).contains("COMPLETE=\"bash\""), "{}", text(&script.stdout));
}

#[test]
fn the_demo_stack_moves_with_base_port_and_a_taken_port_names_the_flag() {
    let data = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let refused = loadscope(
        &["run", "api-gateway", "--demo-stack", "--base-port", &port, "-n", "1"],
        data.path(),
    );
    assert_eq!(refused.status.code(), Some(2));
    let stderr = text(&refused.stderr);
    assert!(stderr.contains(&format!("another program holds port {port}")), "{stderr}");
    assert!(stderr.contains("give --base-port N"), "{stderr}");
    drop(taken);

    let free = common::free_port();
    let output = loadscope(
        &[
            "run",
            "api-gateway",
            "--demo-stack",
            "--base-port",
            &free.to_string(),
            "-u",
            "2",
            "-n",
            "2",
            "-q",
        ],
        data.path(),
    );
    let stderr = text(&output.stderr);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{stderr}");
    assert!(stderr.contains(&format!("gateway http://127.0.0.1:{free}")), "{stderr}");
    // Three levels of two requests each, all answered by the stack on the moved ports (the
    // demo injects a 0.2% error rate, so failures are not counted here).
    assert!(text(&output.stdout).contains("6 requests, "), "{}", text(&output.stdout));
    assert!(!text(&output.stdout).contains("connection refused"), "{}", text(&output.stdout));

    let without = loadscope(&["run", "api-gateway", "--base-port", "18000"], data.path());
    assert_eq!(without.status.code(), Some(2));
    assert!(text(&without.stderr).contains("--demo-stack"), "{}", text(&without.stderr));
}
