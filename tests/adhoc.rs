//! `loadscope run URL`: a run from a URL and flags, as oha's and hey's users expect, against
//! nginx, the demo stack and the misbehaving server; and `-H`, `-n` on preset runs.
#![allow(clippy::unwrap_used)]

mod common;

use common::faulty::Faulty;
use common::{Nginx, loadscope, seeded_demo, text};

/// The one run file a data dir's library holds.
fn only_run(data_dir: &std::path::Path) -> serde_json::Value {
    let runs: Vec<_> = std::fs::read_dir(data_dir.join("runs"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    serde_json::from_str(&std::fs::read_to_string(&runs[0]).unwrap()).unwrap()
}

fn total_requests(run: &serde_json::Value) -> u64 {
    run["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|scenario| scenario["total"]["requests"].as_u64().unwrap())
        .sum()
}

#[test]
fn a_url_runs_for_its_duration_with_its_headers_and_is_saved() {
    let nginx = Nginx::start();
    let data = tempfile::tempdir().unwrap();
    let url = format!("{}/hello", nginx.url());
    let started = std::time::Instant::now();
    let output = loadscope(&["run", &url, "-u", "2", "-t", "3s", "-H", "X-Test: 1"], data.path());
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(started.elapsed() >= std::time::Duration::from_secs(3));
    assert!(stderr.contains("1 level of 3s"), "{stderr}");
    assert!(stdout.contains("GET /hello"), "{stdout}");
    let run = only_run(data.path());
    assert!(total_requests(&run) > 10, "{run}");
    let preset = run["preset"].to_string();
    assert!(preset.contains("X-Test"), "the run file keeps the header: {preset}");
}

#[test]
fn requests_stop_the_run_at_exactly_n_and_headers_arrive_with_credentials_held_out() {
    let server = Faulty::start();
    let data = tempfile::tempdir().unwrap();
    let saved = data.path().join("ok.loadscope.toml");
    let url = format!("{}/ok", server.url());
    let output = loadscope(
        &[
            "run",
            &url,
            "-u",
            "4",
            "-n",
            "25",
            "-H",
            "X-Test: 1",
            "-H",
            "Authorization: Bearer sk-adhoc-secret-99",
            "--save-preset",
            saved.to_str().unwrap(),
        ],
        data.path(),
    );
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("until 25 requests have finished"), "{stderr}");
    let seen = server.seen();
    assert_eq!(seen.len(), 25, "exactly -n requests are sent");
    assert!(seen.iter().all(|request| request.headers.to_lowercase().contains("x-test: 1")));
    assert!(seen.iter().all(|request| request.headers.contains("Bearer sk-adhoc-secret-99")));
    let run = only_run(data.path());
    assert_eq!(total_requests(&run), 25);
    // The level ended when its 25th request did, not when the controller next heard from the
    // workers (they hand in every 250 ms): 25 requests to a local server take a few ms.
    let level = &run["scenarios"][0]["levels"][0];
    let length = level["ended_offset_secs"].as_f64().unwrap() - level["started_offset_secs"].as_f64().unwrap();
    assert!(length < 0.2, "the level lasted {length} s");
    assert!(!stderr.contains("saturated"), "{stderr}");
    let run_text = run.to_string();
    assert!(!run_text.contains("sk-adhoc-secret"), "the credential is not in the run file");
    assert!(run_text.contains("LOADSCOPE_HEADER_AUTHORIZATION"), "{run_text}");
    let preset = std::fs::read_to_string(&saved).unwrap();
    assert!(!preset.contains("sk-adhoc-secret"), "{preset}");
    assert!(!stdout.contains("sk-adhoc-secret") && !stderr.contains("sk-adhoc-secret"));
    assert!(stderr.contains("export LOADSCOPE_HEADER_AUTHORIZATION"), "{stderr}");
    // The saved preset runs as a file, with the credential from the environment.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_loadscope"))
        .args(["run", saved.to_str().unwrap(), "-q"])
        .env("LOADSCOPE_DATA_DIR", data.path().join("again"))
        .env("LOADSCOPE_HEADER_AUTHORIZATION", "Bearer from-env-77")
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert_eq!(server.seen().len(), 50);
    assert!(
        server.seen()[25..]
            .iter()
            .all(|request| request.headers.contains("Bearer from-env-77"))
    );
}

#[test]
fn a_password_in_the_url_goes_as_basic_auth_and_nowhere_else() {
    let server = Faulty::start();
    let data = tempfile::tempdir().unwrap();
    let saved = data.path().join("auth.loadscope.toml");
    let url = format!("http://alice:s3cret-pw-41@127.0.0.1:{}/health-auth", server.port);
    let output = loadscope(
        &["run", &url, "-u", "1", "-n", "3", "--save-preset", saved.to_str().unwrap()],
        data.path(),
    );
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    // alice:s3cret-pw-41 in base64.
    assert!(
        seen.iter().all(|request| request.headers.contains("YWxpY2U6czNjcmV0LXB3LTQx")),
        "{:?}",
        seen[0].headers
    );
    let run = only_run(data.path());
    assert_eq!(
        run["scenarios"][0]["total"]["failures"].as_u64(),
        Some(0),
        "the server took the credentials"
    );
    let files: Vec<String> = std::fs::read_dir(data.path().join("runs"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for (place, content) in [
        ("stdout", stdout.clone()),
        ("stderr", stderr.clone()),
        ("the run file", run.to_string()),
        ("the run file's name", files.join(" ")),
        ("the saved preset", std::fs::read_to_string(&saved).unwrap()),
    ] {
        assert!(!content.contains("s3cret-pw-41"), "the password is in {place}: {content}");
    }
    assert!(stderr.contains("http://alice:***@127.0.0.1"), "{stderr}");
    assert!(stderr.contains("export LOADSCOPE_URL_PASSWORD"), "{stderr}");
}

#[test]
fn a_rate_with_a_request_count_reports_the_rate_it_sent() {
    let server = Faulty::start();
    let data = tempfile::tempdir().unwrap();
    let url = format!("{}/ok", server.url());
    let output = loadscope(&["run", &url, "--rate", "50", "-n", "30", "--json"], data.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(server.seen().len(), 30);
    let run = only_run(data.path());
    // 30 arrivals 20 ms apart span 0.58 s: about 50 a second, not 30 over the time until the
    // controller saw them finish (37.5 a second before the level ended at its last request).
    let rps = run["scenarios"][0]["levels"][0]["total"]["rps"].as_f64().unwrap();
    assert!((45.0..=60.0).contains(&rps), "{rps} req/s");
}

#[test]
fn chat_finds_the_model_the_server_lists() {
    let demo = seeded_demo(7);
    let [gateway, _, _] = demo.urls();
    let data = tempfile::tempdir().unwrap();
    let saved = data.path().join("chat.loadscope.toml");
    let output = loadscope(
        &[
            "run",
            "--chat",
            &gateway,
            "-u",
            "4",
            "-t",
            "2s",
            "--prompt-tokens",
            "64",
            "--max-tokens",
            "16",
            "--target",
            "ttft_p95 < 5s",
            "--save-preset",
            saved.to_str().unwrap(),
        ],
        data.path(),
    );
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("Model: demo-llm"), "{stderr}");
    assert!(stdout.contains("TTFT"), "{stdout}");
    let run = only_run(data.path());
    assert!(total_requests(&run) > 4);
    let preset = std::fs::read_to_string(&saved).unwrap();
    assert!(preset.contains("model = \"demo-llm\""), "{preset}");
    assert!(preset.contains("path = \"/v1/chat/completions\""), "{preset}");
    let validated = loadscope(&["validate", saved.to_str().unwrap()], data.path());
    assert_eq!(validated.status.code(), Some(0), "{}", text(&validated.stdout));
}

#[test]
fn chat_without_one_model_says_which_and_how_to_pick() {
    let server = Faulty::start();
    let data = tempfile::tempdir().unwrap();
    for (path, expected) in [
        (
            "/no-models/v1",
            "lists no models (the server has none loaded); load one, or give --model NAME",
        ),
        ("/two-models/v1", "lists 2 models (small, large); pick one with --model NAME"),
        ("/", "answered HTTP 404 instead of a model list; give --model NAME"),
    ] {
        let url = format!("{}{path}", server.url());
        let output = loadscope(&["run", "--chat", &url, "-n", "1"], data.path());
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{path}: {stderr}");
        assert!(stderr.contains(expected), "{path}: {stderr}");
        assert!(stderr.starts_with("--chat: "), "{stderr}");
    }
    assert!(
        server.seen().iter().all(|request| request.line.starts_with("GET ")),
        "no load is sent without a model"
    );
}

#[test]
fn preset_runs_take_headers_and_request_counts_but_refuse_url_flags() {
    let server = Faulty::start();
    let data = tempfile::tempdir().unwrap();
    let preset = data.path().join("p.toml");
    std::fs::write(
        &preset,
        format!(
            "name = \"p\"\n[[scenario]]\nname = \"s\"\n[scenario.service]\nbase_url = \"{}\"\nheaders = {{ X-Extra = \"preset\" }}\n[[scenario.task]]\nname = \"ok\"\npath = \"/ok\"\n[[scenario.level]]\nusers = 2\nduration = \"30s\"\n[[scenario.level]]\nusers = 3\nduration = \"30s\"\n",
            server.url()
        ),
    )
    .unwrap();
    let output = loadscope(
        &["run", preset.to_str().unwrap(), "-n", "6", "-H", "X-Extra: flag", "--no-preflight"],
        data.path(),
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("2 levels × 30s = 1m"), "{stderr}");
    let seen = server.seen();
    assert_eq!(seen.len(), 12, "each level ends at -n requests");
    assert!(
        seen.iter()
            .all(|request| request.headers.to_lowercase().contains("x-extra: flag") && !request.headers.contains("preset")),
        "{:?}",
        seen[0].headers
    );

    for flags in [vec!["--rate", "5"], vec!["--chat"], vec!["--target", "p95 < 1s"], vec!["-d", "{}"]] {
        let mut args = vec!["run", preset.to_str().unwrap()];
        args.extend(&flags);
        let output = loadscope(&args, data.path());
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains("applies to a run from a URL"), "{flags:?}: {stderr}");
    }
    let bad_header = loadscope(&["run", preset.to_str().unwrap(), "-H", "no colon here"], data.path());
    assert_eq!(bad_header.status.code(), Some(2));
    assert!(
        text(&bad_header.stderr).contains("write 'Name: value'"),
        "{}",
        text(&bad_header.stderr)
    );
    let missing_body = loadscope(
        &["run", &format!("{}/ok", server.url()), "-d", "@/nonexistent/body.json"],
        data.path(),
    );
    assert_eq!(missing_body.status.code(), Some(2));
    assert!(text(&missing_body.stderr).contains("-d @/nonexistent/body.json: cannot read the body file"));
}

#[test]
fn a_url_capacity_search_answers_over_users() {
    let server = Faulty::start();
    let data = tempfile::tempdir().unwrap();
    let url = format!("{}/slots/4/20", server.url());
    let output = loadscope(
        &[
            "run",
            &url,
            "--capacity",
            "-u",
            "8",
            "-t",
            "1s",
            "--target",
            "p95 < 60ms",
            "--target",
            "error_rate < 1%",
        ],
        data.path(),
    );
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(matches!(output.status.code(), Some(0 | 1)), "{stdout}\n{stderr}");
    assert!(stderr.contains("search over users from 1 users to 8 users"), "{stderr}");
    assert!(stdout.lines().last().unwrap_or_default().contains("capacity"), "{stdout}");

    // `loadscope capacity` takes presets; a URL is pointed at `run URL --capacity`.
    let output = loadscope(&["capacity", &url], data.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--capacity --target"), "{}", text(&output.stderr));
}

#[test]
fn shipped_presets_take_the_model_from_the_environment_or_the_flag() {
    let server = Faulty::start();
    let data = tempfile::tempdir().unwrap();
    let run = |extra: &[&str], env: Option<&str>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_loadscope"));
        command
            .args([
                "run",
                "api-gateway",
                "--host",
                &server.url(),
                "-u",
                "2",
                "-n",
                "2",
                "--no-preflight",
                "-q",
            ])
            .args(extra)
            .env("LOADSCOPE_DATA_DIR", data.path())
            .env_remove("LOADSCOPE_MODEL");
        if let Some(model) = env {
            command.env("LOADSCOPE_MODEL", model);
        }
        command.output().unwrap()
    };
    let models = |from: usize| -> Vec<String> {
        server.seen()[from..]
            .iter()
            .filter(|request| request.line.contains("/v1/chat/completions"))
            .map(|request| {
                serde_json::from_str::<serde_json::Value>(&request.body).unwrap()["model"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    run(&[], None);
    let seen = server.seen().len();
    assert!(
        !models(0).is_empty() && models(0).iter().all(|model| model == "demo-llm"),
        "{:?}",
        models(0)
    );
    run(&[], Some("llama-3"));
    let after_env = server.seen().len();
    assert!(
        !models(seen).is_empty() && models(seen).iter().all(|model| model == "llama-3"),
        "{:?}",
        models(seen)
    );
    run(&["--model", "qwen-7b"], None);
    assert!(models(after_env).iter().all(|model| model == "qwen-7b"), "{:?}", models(after_env));
}
