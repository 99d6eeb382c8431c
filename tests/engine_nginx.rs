//! The engine against a real nginx on 127.0.0.1: counts, percentiles, per-level splits,
//! failure grouping, verdicts, the open model, stop, abort_on_fail and preflight.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::preset::{preset, scenario};
use common::{Nginx, out_path, plan_from_text, run_text};
use loadscope::testing::engine::{Command, Engine, Event};
use loadscope::testing::run::histogram::decode;
use loadscope::testing::run::{RunStatus, load};

fn two_level_preset(url: &str) -> String {
    preset(
        "nginx two levels",
        [scenario("nginx", url)
            .service(r#"health_path = "/health""#)
            .task_with("hello", "/hello", "weight = 3")
            .task("fail", "/fail")
            .task_with(
                "json",
                "/json",
                r#"checks = [{ json_pointer = "/status", equals = "ok" }, { json_pointer = "/items/5" }]"#,
            )
            .level(
                r#"name = "small"
                users = 2
                duration = "2s""#,
            )
            .level(
                r#"name = "large"
                users = 6
                spawn_rate = 100
                duration = "2s""#,
            )
            .target("p95 < 1s")
            .target_with("error_rate < 1%", r#"level = "large""#)
            .target_with("requests > 10", r#"task = "hello""#)],
    )
    .toml()
}

#[test]
fn counts_percentiles_levels_failures_and_verdicts() {
    let nginx = Nginx::start();
    let (_dir, out) = out_path();
    let (record, events) = run_text(&two_level_preset(&nginx.url()), &out);

    assert_eq!(record.status, RunStatus::Completed);
    assert!(
        events
            .iter()
            .any(|event| matches!(event, Event::PreflightPassed(reports) if reports.len() == 1))
    );
    let scenario = &record.scenarios[0];
    assert_eq!(scenario.levels.len(), 2);
    let (small, large) = (&scenario.levels[0], &scenario.levels[1]);
    assert_eq!((small.name.as_str(), large.name.as_str()), ("small", "large"));
    for level in [small, large] {
        let hello = &level.tasks[0];
        let fail = &level.tasks[1];
        let json = &level.tasks[2];
        assert!(hello.stats.requests > 100, "{} hello requests {}", level.name, hello.stats.requests);
        assert_eq!(hello.stats.failures, 0);
        assert_eq!(hello.stats.avg_bytes, 17.0, "nginx's /hello body is 17 bytes");
        assert_eq!(fail.stats.failures, fail.stats.requests, "every /fail is a 500");
        assert_eq!(
            json.stats.failures, json.stats.requests,
            "/items/5 does not exist, so the check fails"
        );
        // The weights are 3:1:1; allow sampling noise.
        let ratio = hello.stats.requests as f64 / fail.stats.requests.max(1) as f64;
        assert!((2.0..4.5).contains(&ratio), "hello:fail ratio {ratio}");
        assert_eq!(
            level.total.stats.requests,
            hello.stats.requests + fail.stats.requests + json.stats.requests
        );
        let p50 = level.total.stats.p50_micros;
        assert!(p50 > 0 && p50 < 50_000, "p50 {p50}µs against local nginx");
        assert!(level.total.stats.p99_micros >= p50);
        assert!(level.total.stats.connections >= 2, "one connection per user at least");
        // Failures grouped by kind and message, with counts that add up.
        let status_500 = level
            .failures
            .iter()
            .find(|row| row.kind == loadscope::testing::run::FailureKind::Status(500))
            .unwrap();
        assert_eq!(
            status_500.message, "HTTP 500 Internal Server Error: boom",
            "the reply's text is quoted"
        );
        assert_eq!(status_500.task, "fail");
        assert_eq!(status_500.count, fail.stats.requests);
        let check = level
            .failures
            .iter()
            .find(|row| row.kind == loadscope::testing::run::FailureKind::Check)
            .unwrap();
        assert_eq!(check.message, "check failed: JSON /items/5 missing");
        assert_eq!(check.count, json.stats.requests);
        // The histogram in the file holds the same requests.
        assert_eq!(decode(&level.total.histogram).unwrap().len(), level.total.stats.requests);
    }
    assert!(large.total.stats.rps > small.total.stats.rps, "6 users outrun 2 users");

    // Verdicts: p95 < 1s holds in both levels; error_rate < 1% fails in "large" only (40%);
    // requests > 10 for hello holds in both.
    let verdict = |level: &loadscope::testing::run::LevelRecord, expr: &str| level.verdicts.iter().find(|v| v.target == expr).cloned();
    assert!(verdict(small, "p95 < 1s").unwrap().passed);
    assert!(verdict(small, "error_rate < 1%").is_none(), "scoped to the large level");
    let errors = verdict(large, "error_rate < 1%").unwrap();
    assert!(!errors.passed);
    let observed = errors.observed.unwrap();
    assert!((25.0..55.0).contains(&observed), "error rate {observed}% (2 of 5 tasks fail)");
    assert!(verdict(large, "requests > 10").unwrap().passed);
    assert_eq!(record.passed, Some(false));

    // One series point per second; their requests add up to the run's.
    let series_total: f64 = record.series.iter().map(|point| point.requests.rps).sum();
    assert_eq!(series_total as u64, record.total.as_ref().unwrap().stats.requests);
    assert!(
        (4..=6).contains(&record.series.len()),
        "{} points for a 4 s run",
        record.series.len()
    );
    assert!(record.series.iter().any(|point| point.level == 1 && point.users == 6));
    // Each second per task: the tasks' requests and failures add up to the second's, each
    // task's per-second requests add up to its level totals, and a task that only fails
    // charts all failures.
    for point in &record.series {
        let requests: f64 = point.tasks.iter().map(|part| part.requests.rps).sum();
        let failures: f64 = point.tasks.iter().map(|part| part.requests.failures_per_sec).sum();
        assert_eq!(
            (requests, failures),
            (point.requests.rps, point.requests.failures_per_sec),
            "second {}",
            point.second
        );
        for part in &point.tasks {
            assert!(
                part.requests.p95_micros >= part.requests.p50_micros
                    && part.requests.p95_micros <= point.requests.p99_micros.max(part.requests.p99_micros)
            );
        }
    }
    for (index, name) in ["hello", "fail", "json"].iter().enumerate() {
        let charted: f64 = record
            .series
            .iter()
            .filter_map(|point| point.for_task(0, index))
            .map(|point| point.requests.rps)
            .sum();
        let summed: u64 = scenario.levels.iter().map(|level| level.tasks[index].stats.requests).sum();
        assert_eq!(charted as u64, summed, "task {name}: its seconds hold all its requests");
    }
    let fail_seconds: Vec<_> = record.series.iter().filter_map(|point| point.for_task(0, 1)).collect();
    assert!(!fail_seconds.is_empty());
    assert!(
        fail_seconds
            .iter()
            .all(|point| point.requests.failures_per_sec == point.requests.rps),
        "{fail_seconds:?}"
    );
    assert!(
        record.series.iter().all(|point| point.for_task(1, 0).is_none()),
        "no second scenario"
    );

    // The saved file is the record.
    let reloaded = load(&out).unwrap();
    assert!(reloaded == record, "the reloaded run file differs from the record");
    let leftovers: Vec<_> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "atomic saves leave no temp files");
}

#[test]
fn open_model_keeps_the_schedule() {
    let nginx = Nginx::start();
    let (_dir, out) = out_path();
    let text = scenario("open", &nginx.url()).task("hello", "/hello").rate(200.0, 20, "3s").toml();
    let (record, _) = run_text(&text, &out);
    let level = &record.scenarios[0].levels[0];
    let requests = level.total.stats.requests as f64;
    assert!((540.0..=620.0).contains(&requests), "200/s for 3 s gave {requests} requests");
    assert!(level.late_starts < 30, "{} late starts against an idle nginx", level.late_starts);
    assert_eq!(level.total.stats.failures, 0);
    assert!(
        level.total.stats.connections <= 20,
        "connections are reused within the in-flight cap"
    );
}

#[test]
fn secrets_are_resolved_for_requests_but_never_saved() {
    let nginx = Nginx::start();
    let (_dir, out) = out_path();
    let text = scenario("secret", &nginx.url())
        .service(r#"headers = { Authorization = "Bearer ${TEST_API_KEY}", X-Literal-Token = "tok-literal-999" }"#)
        .task("hello", "/hello")
        .users(1, "1s")
        .toml();
    let lookup = |name: &str| (name == "TEST_API_KEY").then(|| "sk-live-secret-123".to_string());
    let plan = plan_from_text(&text, &out, &lookup);
    let record = loadscope::testing::engine::run_blocking(plan, |_| {}).unwrap().unwrap();
    assert!(record.total.unwrap().stats.requests > 0);
    let saved = std::fs::read_to_string(&out).unwrap();
    assert!(!saved.contains("sk-live-secret-123"), "the secret value is not in the run file");
    assert!(!saved.contains("tok-literal-999"), "literal credentials in headers are redacted");
    assert!(saved.contains("Bearer ${TEST_API_KEY}"), "the reference is kept");

    let missing = loadscope::testing::engine::RunPlan::new(
        loadscope::testing::preset::compile(
            &loadscope::testing::preset::PresetSource::from_text("t.toml", &text, None)
                .parse()
                .unwrap(),
        )
        .unwrap(),
        out.clone(),
        &|_| None,
    );
    let message = missing.err().unwrap().to_string();
    assert!(
        message.contains("TEST_API_KEY") && message.contains("export TEST_API_KEY"),
        "{message}"
    );
}

#[test]
fn stop_ends_traffic_within_a_second_and_saves_a_stopped_run() {
    let nginx = Nginx::start();
    let (_dir, out) = out_path();
    let text = scenario("long", &nginx.url()).task("hello", "/hello").users(20, "60s").toml();
    let plan = plan_from_text(&text, &out, &|_| None);
    let engine = Engine::spawn(None).unwrap();
    engine.send(Command::Start(Box::new(plan)));
    let started = Instant::now();
    let mut autosaved = false;
    let mut stop_sent: Option<Instant> = None;
    let record = loop {
        let event = engine.recv_timeout(Duration::from_secs(10)).expect("events keep coming");
        if let Event::Saved { final_save: false, .. } = event {
            autosaved = true;
        }
        // Once an autosave holds requests (a readable, running run), stop.
        let partial = if stop_sent.is_none() && started.elapsed() > Duration::from_millis(2500) {
            load(&out).ok()
        } else {
            None
        };
        if let Some(partial) = partial
            && partial.scenarios[0].levels[0].total.stats.requests > 0
        {
            assert_eq!(partial.status, RunStatus::Running);
            engine.send(Command::Stop);
            stop_sent = Some(Instant::now());
        }
        if let Event::Finished { record, .. } = event {
            break record;
        }
    };
    let stop_to_finish = stop_sent.unwrap().elapsed();
    assert!(stop_to_finish < Duration::from_millis(1500), "stop took {stop_to_finish:?}");
    assert!(autosaved, "the run was saved while running");
    assert_eq!(record.status, RunStatus::Stopped);
    assert_eq!(record.stop_reason.as_deref(), Some("stopped by request"));
    let level = &record.scenarios[0].levels[0];
    assert!(level.duration_secs() < 5.0, "the 60 s level ended at the stop");
    assert_eq!(load(&out).unwrap().status, RunStatus::Stopped);
}

#[test]
fn abort_on_fail_stops_the_run_early() {
    let nginx = Nginx::start();
    let (_dir, out) = out_path();
    let text = scenario("failing", &nginx.url())
        .task("fail", "/fail")
        .users(2, "30s")
        .users(4, "30s")
        .target_with(
            "error_rate < 1%",
            r#"abort_on_fail = true
            abort_delay = "1s""#,
        )
        .toml();
    let started = Instant::now();
    let (record, _) = run_text(&text, &out);
    assert!(started.elapsed() < Duration::from_secs(10), "aborted long before 60 s");
    assert_eq!(record.status, RunStatus::Aborted);
    assert_eq!(record.passed, Some(false));
    assert_eq!(record.scenarios[0].levels.len(), 1, "the second level never ran");
    let reason = record.stop_reason.unwrap();
    assert!(reason.contains("error_rate < 1%") && reason.contains("100.00%"), "{reason}");
}

#[test]
fn preflight_failure_names_the_url_and_the_fix() {
    let port = common::closed_port();
    let (_dir, out) = out_path();
    let text = scenario("down", &format!("http://127.0.0.1:{port}"))
        .service(r#"health_path = "/health""#)
        .service(r#"start_hint = "make up-p2""#)
        .task("hello", "/hello")
        .users(1, "5s")
        .toml();
    let plan = plan_from_text(&text, &out, &|_| None);
    let mut failed = None;
    let record = loadscope::testing::engine::run_blocking(plan, |event| {
        if let Event::PreflightFailed(reports) = event {
            failed = Some(reports.clone());
        }
    })
    .unwrap();
    assert!(record.is_none(), "no run without a healthy service");
    assert!(!out.exists(), "no run file either");
    let reports = failed.unwrap();
    let line = reports[0].describe();
    assert!(line.contains(&format!("http://127.0.0.1:{port}/health")), "{line}");
    assert!(line.contains("cannot connect"), "{line}");
    assert!(line.contains("Start it with: make up-p2"), "{line}");
}

#[test]
fn live_commands_change_users_and_skip_levels() {
    let nginx = Nginx::start();
    let (_dir, out) = out_path();
    let text = scenario("live", &nginx.url())
        .line(r#"think_time = "50ms""#)
        .task("hello", "/hello")
        .level(
            r#"name = "first"
            users = 2
            duration = "60s""#,
        )
        .level(
            r#"name = "second"
            users = 3
            duration = "2s""#,
        )
        .toml();
    let plan = plan_from_text(&text, &out, &|_| None);
    let engine = Engine::spawn(None).unwrap();
    engine.send(Command::Start(Box::new(plan)));
    let started = Instant::now();
    let (mut raised, mut skipped) = (false, false);
    let mut snapshots = 0;
    let mut users_seen = Vec::new();
    let record = loop {
        let event = engine.recv_timeout(Duration::from_secs(10)).expect("events keep coming");
        if let Event::Snapshot(snapshot) = &event {
            snapshots += 1;
            users_seen.push((snapshot.level_index, snapshot.users));
        }
        if !raised && started.elapsed() > Duration::from_millis(1500) {
            engine.send(Command::SetUsers(8));
            raised = true;
        }
        if !skipped && started.elapsed() > Duration::from_millis(3500) {
            engine.send(Command::NextLevel);
            skipped = true;
        }
        if let Event::Finished { record, .. } = event {
            break record;
        }
    };
    assert!(started.elapsed() < Duration::from_secs(15), "the 60 s level was skipped");
    assert!(users_seen.contains(&(0, 2)) && users_seen.contains(&(0, 8)), "{users_seen:?}");
    assert!(
        users_seen.contains(&(1, 3)),
        "the next level ramps back to its own users: {users_seen:?}"
    );
    let elapsed = started.elapsed().as_secs_f64();
    assert!(
        snapshots as f64 >= elapsed * 3.0,
        "{snapshots} snapshots in {elapsed:.1}s: at least one per 250 ms"
    );
    let levels = &record.scenarios[0].levels;
    assert_eq!(levels.len(), 2);
    assert_eq!(
        levels[0].load,
        loadscope::testing::measure::LoadModel::Closed {
            users: 8,
            spawn_rate: None
        },
        "the live change is recorded"
    );
    assert!(levels[0].duration_secs() < 5.0);
    assert_eq!(record.status, RunStatus::Completed);
}

#[test]
fn limits_and_failure_classes_are_counted_and_checked() {
    let nginx = Nginx::start();
    let (_dir, out) = out_path();
    let text = scenario("limits", &nginx.url())
        .table(
            r#"[[scenario.failure_class]]
            name = "db_error"
            matches = "(?i)database error""#,
        )
        .table(
            r#"[[scenario.failure_class]]
            name = "unavailable"
            status = [503]"#,
        )
        .task("limited", "/limited")
        .task("busy", "/busy")
        .task("down", "/unavailable")
        .task("ok", "/hello")
        .users(2, "1s")
        .target_with("hard_failures == 0", r#"task = "limited""#)
        .target_with("hard_failures == 0", r#"task = "down""#)
        .target("db_error == 0")
        .target("unavailable_rate < 1%")
        .toml();
    let (record, _) = run_text(&text, &out);
    let level = &record.scenarios[0].levels[0];
    let row = |name: &str| level.tasks.iter().find(|task| task.task == name).unwrap();
    use loadscope::testing::run::FailureKind;
    let kinds = |task: &str| -> Vec<FailureKind> { level.failures.iter().filter(|f| f.task == task).map(|f| f.kind).collect() };
    assert_eq!(kinds("limited"), vec![FailureKind::Limited], "429 signals a concurrency limit");
    assert_eq!(kinds("busy"), vec![FailureKind::Limited], "503 with Retry-After too");
    assert_eq!(kinds("down"), vec![FailureKind::Status(503)], "a bare 503 is a hard failure");
    assert_eq!(row("limited").stats.limited, row("limited").stats.requests);
    // The first matching class wins: "down" matches db_error before unavailable.
    assert_eq!(row("down").stats.failure_classes.get("db_error"), Some(&row("down").stats.requests));
    assert_eq!(
        row("busy").stats.failure_classes.get("unavailable"),
        Some(&row("busy").stats.requests)
    );
    assert!(row("ok").stats.failure_classes.is_empty());
    let total = &level.total.stats;
    assert_eq!(total.failure_classes["db_error"], row("down").stats.requests);
    let verdict = |task: Option<&str>, expr: &str| {
        level
            .verdicts
            .iter()
            .find(|v| v.target == expr && v.task.as_deref() == task)
            .unwrap()
            .clone()
    };
    assert!(
        verdict(Some("limited"), "hard_failures == 0").passed,
        "limited responses are allowed"
    );
    assert!(!verdict(Some("down"), "hard_failures == 0").passed);
    let db = verdict(None, "db_error == 0");
    assert_eq!(db.observed, Some(row("down").stats.requests as f64));
    assert!(!db.passed);
    let unavailable = verdict(None, "unavailable_rate < 1%").observed.unwrap();
    let expected = row("busy").stats.requests as f64 * 100.0 / total.requests as f64;
    assert!((unavailable - expected).abs() < 1e-9, "{unavailable} vs {expected}");
}

#[test]
fn preflight_alone_checks_services_without_load() {
    let nginx = Nginx::start();
    let (_dir, out) = out_path();
    let text = |url: &str| {
        scenario("svc", url)
            .service(r#"health_path = "/health""#)
            .task("t", "/hello")
            .users(1, "60s")
            .toml()
    };
    let engine = Engine::spawn(None).unwrap();
    for (url, healthy) in [(nginx.url(), true), (format!("http://127.0.0.1:{}", common::closed_port()), false)] {
        engine.send(Command::Preflight(Box::new(plan_from_text(&text(&url), &out, &|_| None))));
        let verdict = loop {
            match engine.recv_timeout(Duration::from_secs(10)).expect("an answer") {
                Event::PreflightPassed(reports) => break (true, reports),
                Event::PreflightFailed(reports) => break (false, reports),
                Event::PreflightStarted => {}
                other => panic!("preflight sent no load, yet: {other:?}"),
            }
        };
        assert_eq!(verdict.0, healthy, "{url}: {:?}", verdict.1);
        assert_eq!(verdict.1[0].url, format!("{url}/health"));
    }
    assert!(!out.exists(), "no run, no run file");
}
