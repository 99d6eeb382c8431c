//! The capacity search against the demo gateway, whose capacity follows from its model: four
//! GPU slots, each reply's service time a prefill plus 1.5 ms a token. In the closed model with
//! no think time, a saturated service answers in users x service time / slots on average, so
//! the most users within an average-latency limit is limit x slots / service time.
#![allow(clippy::unwrap_used)]

mod common;

use common::{loadscope, text};

#[test]
fn the_search_lands_within_ten_percent_of_the_demos_computed_capacity() {
    let demo = common::seeded_demo(11);
    let dir = tempfile::tempdir().unwrap();
    let preset = format!(
        r#"
[[scenario]]
name = "Gateway capacity"
timeout = "30s"
[scenario.service]
base_url = "{}"
[[scenario.task]]
name = "chat"
kind = "chat"
model = "demo-llm"
messages = [{{ role = "user", content = "hi" }}]
max_tokens = 64
[scenario.capacity]
over = "users"
start = 8
max = 128
step = "3s"
warmup = "1s"
precision = "5%"
[[scenario.target]]
expr = "avg < 500ms"
[[scenario.target]]
expr = "capacity_users >= 15"
"#,
        demo.urls()[0]
    );
    let path = dir.path().join("capacity.toml");
    std::fs::write(&path, preset).unwrap();
    let out = dir.path().join("run.json");
    let output = loadscope(&["run", path.to_str().unwrap(), "--out", out.to_str().unwrap()], dir.path());
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}{}", text(&output.stderr));

    // The demo's parameters: a reply of "hi" has its prompt counted as OpenAI counts it; the
    // prefill is 20 ms + 0.05 ms a prompt token, drawn within ±30% with one in fifty taking
    // three times as long (a mean factor of 1.04); a reply is 32 to 64 tokens (48 on average)
    // at 1.5 ms each; four slots.
    let prompt_tokens = loadscope::testing::tokens::Tokenizer::O200kBase.chat_prompt_tokens([("user", "hi")]) as f64;
    let service_millis = (20.0 + 0.05 * prompt_tokens) * 1.04 + 48.0 * 1.5;
    let computed = 500.0 * 4.0 / service_millis;

    let record = loadscope::testing::run::load(&out).unwrap();
    let scenario = &record.scenarios[0];
    let capacity = scenario.capacity.as_ref().unwrap();
    let found = capacity.capacity.unwrap();
    println!("capacity search: found {found} users, computed {computed:.1} from the demo's parameters");
    assert!(capacity.done, "the search reached its precision");
    assert!(
        (found - computed).abs() <= computed * 0.10,
        "found {found} users, computed {computed:.1} ({:?})",
        capacity.steps
    );
    // The steps that failed are the search's evidence; the run passes on its result.
    assert_eq!(record.passed, Some(true));
    let verdict = &capacity.verdicts[0];
    assert_eq!(
        (verdict.target.as_str(), verdict.observed, verdict.passed),
        ("capacity_users >= 15", Some(found), true)
    );
    assert!(
        stdout.contains(&format!("Gateway capacity: capacity search {found:.0} users within every target")),
        "{stdout}"
    );
    // Its last line says so; every step is a level of the run with its verdict, warm-ups not.
    assert_eq!(
        stdout.lines().last(),
        Some(format!("capacity: {found:.0} users").as_str()),
        "{stdout}"
    );
    assert_eq!(scenario.levels.len(), capacity.steps.len());
    for (level, step) in scenario.levels.iter().zip(&capacity.steps) {
        assert_eq!(
            level.load,
            loadscope::testing::measure::LoadModel::Closed {
                users: step.load as u32,
                spawn_rate: None
            }
        );
        assert_eq!(level.verdicts.iter().all(|verdict| verdict.passed), step.held, "{}", level.name);
    }
    // It doubled from the start until a step failed, then bisected.
    let loads: Vec<f64> = capacity.steps.iter().map(|step| step.load).collect();
    assert_eq!(loads[..2], [8.0, 16.0], "{loads:?}");
    assert!(loads.len() <= 8, "{loads:?}");
}

#[test]
fn a_rate_search_stops_overloaded_steps_early_and_stays_below_the_demos_throughput() {
    let demo = common::seeded_demo(12);
    let (_dir, out) = common::out_path();
    let preset = format!(
        r#"
[[scenario]]
name = "Gateway rate"
timeout = "10s"
[scenario.service]
base_url = "{}"
[[scenario.task]]
name = "chat"
kind = "chat"
model = "demo-llm"
messages = [{{ role = "user", content = "hi" }}]
max_tokens = 64
[scenario.capacity]
over = "rate"
start = 20
max = 400
growth = 4
step = "8s"
warmup = "1s"
precision = "20%"
max_in_flight = 400
[[scenario.target]]
expr = "p95 < 1s"
[[scenario.target]]
expr = "error_rate < 1%"
"#,
        demo.urls()[0]
    );
    let (record, _) = common::run_text(&preset, &out);
    let capacity = record.scenarios[0].capacity.as_ref().unwrap();
    // Four slots at about 93 ms a reply serve about 43 replies a second: 80 per second can
    // never hold, and its step ends early (the demo's waiting line fills and refuses).
    let bound = 4.0 * 1000.0 / ((20.0 + 0.05 * 8.0) * 1.04 + 48.0 * 1.5);
    let found = capacity.capacity.unwrap();
    assert!(
        found < bound && found > bound / 2.0,
        "found {found} req/s, bound {bound:.1} ({:?})",
        capacity.steps
    );
    let overloaded = capacity.steps.iter().find(|step| step.load == 80.0).unwrap();
    assert!(!overloaded.held);
    let why = overloaded.why.as_deref().unwrap();
    assert!(why.starts_with("stopped early: "), "{why}");
    let position = capacity.steps.iter().position(|step| step.load == 80.0).unwrap();
    let level = &record.scenarios[0].levels[position];
    assert!(level.duration_secs() < 7.0, "stopped before its 8 s: {}", level.duration_secs());
}

#[test]
fn loadscope_capacity_turns_a_presets_levels_into_a_search() {
    let demo = common::seeded_demo(12);
    let dir = tempfile::tempdir().unwrap();
    let preset = format!(
        r#"
[[scenario]]
name = "Gateway"
timeout = "30s"
[scenario.service]
base_url = "{}"
[[scenario.task]]
name = "chat"
kind = "chat"
model = "demo-llm"
messages = [{{ role = "user", content = "hi" }}]
max_tokens = 64
[[scenario.level]]
users = 2
duration = "2s"
[[scenario.level]]
name = "Peak"
users = 6
duration = "10s"
[[scenario.target]]
expr = "avg < 500ms"
level = "Peak"
"#,
        demo.urls()[0]
    );
    let path = dir.path().join("levels.toml");
    std::fs::write(&path, preset).unwrap();
    let preset_arg = path.to_str().unwrap();

    // Flags are checked before anything runs, each naming itself and the fix.
    let zero = loadscope(&["capacity", preset_arg, "--start", "0"], dir.path());
    assert_eq!(zero.status.code(), Some(2));
    assert!(
        text(&zero.stderr).contains("--start") && text(&zero.stderr).contains("positive number"),
        "{}",
        text(&zero.stderr)
    );
    let precision = loadscope(&["capacity", preset_arg, "--precision", "150%"], dir.path());
    assert_eq!(precision.status.code(), Some(2));
    assert!(
        text(&precision.stderr).contains("--precision") && text(&precision.stderr).contains("between 0% and 100%, e.g. 5%"),
        "{}",
        text(&precision.stderr)
    );
    let below = loadscope(&["capacity", preset_arg, "--max", "1"], dir.path());
    assert_eq!(below.status.code(), Some(2));
    assert!(
        text(&below.stderr).contains("scenario \"Gateway\": the search would start at 2 but stop at 1; give --start and --max"),
        "{}",
        text(&below.stderr)
    );
    let rate = loadscope(&["capacity", preset_arg, "--over", "rate"], dir.path());
    assert_eq!(rate.status.code(), Some(2));
    assert!(
        text(&rate.stderr).contains("no open-model (rate_per_sec) levels to start from; give --start and --max"),
        "{}",
        text(&rate.stderr)
    );

    // The search starts at the lowest level, each step as long as the first level; the target
    // that named the peak level is checked at every step.
    let out = dir.path().join("run.json");
    let output = loadscope(
        &[
            "capacity",
            preset_arg,
            "--max",
            "48",
            "--warmup",
            "1s",
            "--precision",
            "20%",
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stderr.contains("Gateway: search over users from 2 users to 48 users, doubling while every target holds, then bisecting to 20%; each step 1s warm-up and 2s measured; every step must hold avg < 500ms"),
        "{stderr}"
    );
    let record = loadscope::testing::run::load(&out).unwrap();
    let scenario = &record.scenarios[0];
    let capacity = scenario.capacity.as_ref().unwrap();
    assert_eq!(capacity.steps[0].load, 2.0);
    assert!(capacity.steps.iter().any(|step| !step.held), "{:?}", capacity.steps);
    for level in &scenario.levels {
        assert_eq!(level.verdicts.len(), 1, "{}", level.name);
        assert_eq!(level.verdicts[0].target, "avg < 500ms");
    }
    let found = capacity.capacity.unwrap();
    assert_eq!(
        stdout.lines().last(),
        Some(format!("capacity: {found:.0} users").as_str()),
        "{stdout}"
    );
}
