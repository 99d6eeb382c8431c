//! Shipped presets match the reference guide, and broken presets get messages with file,
//! line, column and what was expected.
#![allow(clippy::unwrap_used)]

use loadscope::testing::measure::LoadModel;
use loadscope::testing::preset::shipped;
use loadscope::testing::preset::{CompiledPreset, Overrides, PresetSource, compile, load};
use std::time::Duration;

fn shipped_preset(name: &str) -> CompiledPreset {
    load(name, &Overrides::default()).unwrap_or_else(|err| panic!("{name}: {err}"))
}

fn levels(preset: &CompiledPreset, scenario: usize) -> Vec<(u32, Option<f64>, u64)> {
    preset.scenarios[scenario]
        .levels
        .iter()
        .map(|level| match level.load {
            LoadModel::Closed { users, spawn_rate } => (users, spawn_rate, level.duration.as_secs()),
            LoadModel::Open { .. } => panic!("the guide's levels are closed-model"),
        })
        .collect()
}

fn weights(preset: &CompiledPreset, scenario: usize) -> Vec<(String, u32)> {
    preset.scenarios[scenario]
        .tasks
        .iter()
        .map(|task| (task.name.clone(), task.weight))
        .collect()
}

fn targets(preset: &CompiledPreset, scenario: usize) -> Vec<(String, Option<usize>, Option<usize>)> {
    preset.scenarios[scenario]
        .targets
        .iter()
        .map(|target| (target.text.clone(), target.level, target.task))
        .collect()
}

#[test]
fn every_shipped_preset_compiles() {
    for name in shipped::names() {
        let preset = shipped_preset(name);
        assert!(!preset.scenarios.is_empty(), "{name}");
    }
}

#[test]
fn api_gateway_has_the_guides_levels_and_targets() {
    let preset = shipped_preset("api-gateway");
    let scenario = &preset.scenarios[0];
    assert_eq!(scenario.primary().base.url(""), "http://localhost:8000");
    assert_eq!(
        levels(&preset, 0),
        vec![(10, Some(1.0), 300), (50, Some(5.0), 300), (100, Some(10.0), 300)]
    );
    assert_eq!(
        targets(&preset, 0),
        vec![
            ("success_rate > 99%".into(), Some(0), None),
            ("error_rate < 1%".into(), Some(1), None),
            ("p95 < 2s".into(), Some(2), None),
            ("gpu_util_max < 95%".into(), None, None),
            ("gpu_mem_max < 95%".into(), None, None),
            ("host_cpu_max < 90%".into(), None, None),
        ]
    );
    // The guide's nvidia-smi and docker stats terminals, sampled by the run.
    assert!(preset.monitors.gpu && preset.monitors.host);
    assert_eq!(
        preset.monitors.containers,
        Some(loadscope::testing::monitor::ContainerFilter::default())
    );
    let health = scenario.primary().health.as_ref().unwrap();
    assert_eq!(
        (health.url.as_str(), health.start_hint.as_deref()),
        ("http://localhost:8000/health", Some("make up-p2"))
    );
}

#[test]
fn rag_service_mixes_70_query_30_index() {
    let preset = shipped_preset("rag-service");
    assert_eq!(preset.scenarios[0].primary().base.url(""), "http://localhost:8002");
    assert_eq!(weights(&preset, 0), vec![("query".into(), 70), ("index".into(), 30)]);
    assert_eq!(
        levels(&preset, 0),
        vec![(5, Some(1.0), 300), (25, Some(3.0), 300), (50, Some(5.0), 300)]
    );
    assert_eq!(
        targets(&preset, 0),
        vec![
            ("p95 < 3s".into(), Some(2), Some(0)),
            ("p95 < 4s".into(), Some(2), Some(1)),
            ("qdrant_timeout == 0".into(), Some(0), None),
            ("qdrant_timeout_rate < 0.1%".into(), Some(2), None),
            ("db_error == 0".into(), None, None)
        ]
    );
    let classes: Vec<&str> = preset.scenarios[0]
        .failure_classes
        .iter()
        .map(|class| class.name.as_str())
        .collect();
    assert_eq!(classes, vec!["qdrant_timeout", "db_error"]);
    assert!(preset.scenarios[0].failure_classes[0].matches(Some(504), b"{\"detail\": \"Qdrant search TIMEOUT\"}", ""));
}

#[test]
fn mcp_server_mixes_40_file_40_git_20_web() {
    let preset = shipped_preset("mcp-server");
    assert_eq!(preset.scenarios[0].primary().base.url(""), "http://localhost:8020");
    // The guide's 40/40/20 tool mix, plus a small sandbox probe for "Sandbox violations: 0".
    assert_eq!(
        weights(&preset, 0),
        vec![
            ("file ops".into(), 40),
            ("git".into(), 40),
            ("web".into(), 20),
            ("sandbox probe".into(), 2)
        ]
    );
    assert!(preset.scenarios[0].tasks[3].mcp.as_ref().unwrap().expect_error);
    assert_eq!(levels(&preset, 0), vec![(5, Some(1.0), 300), (20, Some(2.0), 300)]);
    assert_eq!(
        targets(&preset, 0),
        vec![
            ("success_rate > 99%".into(), None, None),
            ("sandbox_violations == 0".into(), Some(1), None),
            ("hard_failures == 0".into(), None, None)
        ]
    );
}

#[test]
fn full_suite_is_the_three_presets_in_order() {
    let suite = shipped_preset("full-suite");
    let parts = ["api-gateway", "rag-service", "mcp-server"].map(shipped_preset);
    assert_eq!(suite.scenarios.len(), 3);
    for (index, part) in parts.iter().enumerate() {
        let ours = serde_json::to_value(&suite.document.scenarios[index]).unwrap();
        let theirs = serde_json::to_value(&part.document.scenarios[0]).unwrap();
        assert_eq!(ours, theirs, "scenario {index} of full-suite differs from its own preset");
    }
}

#[test]
fn baseline_is_one_user_for_two_minutes_per_service() {
    let baseline = shipped_preset("baseline");
    let parts = ["api-gateway", "rag-service", "mcp-server"].map(shipped_preset);
    assert_eq!(baseline.scenarios.len(), 3);
    for (index, part) in parts.iter().enumerate() {
        assert_eq!(levels(&baseline, index), vec![(1, None, 120)]);
        assert_eq!(weights(&baseline, index), weights(part, 0), "same task mix as the real test");
        assert_eq!(baseline.scenarios[index].primary().base, part.scenarios[0].primary().base);
    }
}

#[test]
fn demo_takes_about_two_minutes() {
    let demo = shipped_preset("demo");
    let total: Duration = demo
        .scenarios
        .iter()
        .flat_map(|scenario| scenario.levels.iter().map(|level| level.duration))
        .sum();
    assert!((90..=150).contains(&total.as_secs()), "demo levels add up to {total:?}");
    let ports: Vec<u16> = demo.scenarios.iter().map(|scenario| scenario.primary().base.port).collect();
    assert_eq!(
        ports,
        vec![8000, 8000, 8002, 8020],
        "the gateway's baseline, then the three services"
    );
    assert!(
        matches!(&demo.scenarios[1].baseline, Some(loadscope::testing::preset::compiled::CompiledBaseline::Scenario(name)) if name == "API Gateway baseline"),
        "the gateway is checked against its single-user baseline"
    );
}

fn errors_of(text: &str) -> Vec<String> {
    let parsed = PresetSource::from_text("broken.toml", text, None).parse();
    match parsed {
        Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
        Ok(loaded) => match compile(&loaded) {
            Ok(_) => panic!("expected errors in:\n{text}"),
            Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
        },
    }
}

const GOOD_HEAD: &str = r#"
[[scenario]]
name = "s"
[scenario.service]
base_url = "http://127.0.0.1:8000"
"#;

#[test]
fn unknown_task_kind_names_the_line_and_the_choices() {
    let text = format!(
        "{GOOD_HEAD}[[scenario.task]]\nname = \"t\"\nkind = \"chta\"\npath = \"/\"\n[[scenario.level]]\nusers = 1\nduration = \"1s\"\n"
    );
    let errors = errors_of(&text);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("preset broken.toml line 8 column 8:"), "{}", errors[0]);
    assert!(errors[0].contains("chta") && errors[0].contains("http"), "{}", errors[0]);
}

#[test]
fn typos_in_field_names_are_caught() {
    let text = format!("{GOOD_HEAD}[[scenario.task]]\nname = \"t\"\nwieght = 3\npath = \"/\"\n");
    let errors = errors_of(&text);
    assert!(
        errors[0].contains("line 8") && errors[0].contains("unknown field `wieght`"),
        "{errors:?}"
    );
}

#[test]
fn semantic_mistakes_are_all_reported_at_their_lines() {
    let text = format!(
        r#"{GOOD_HEAD}
[scenario.pools]
queries = ["a"]

[[scenario.task]]
name = "t"
path = "/q"
body = '{{"q": {{{{ pool.quries | random }}}}}}'

[[scenario.level]]
users = 5
rate_per_sec = 10
duration = "1m"

[[scenario.level]]
users = 5
duration = "1m"

[[scenario.target]]
expr = "p96 < 2s"

[[scenario.target]]
expr = "p95 < 2s"
level = 4
"#
    );
    let errors = errors_of(&text);
    assert_eq!(errors.len(), 4, "{errors:#?}");
    let find = |needle: &str| {
        errors
            .iter()
            .find(|error| error.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in {errors:#?}"))
    };
    assert!(find("pool.quries").contains("line 13"), "template error at the body line");
    assert!(find("pool.quries").contains("pools: pool.queries"), "lists what exists");
    assert!(find("has both users").contains("line 15"));
    assert!(find("unknown metric \"p96\"").contains("line 25"));
    assert!(find("target level 4 does not exist").contains("line 29"));
}

#[test]
fn bad_syntax_and_durations_point_at_the_spot() {
    let errors = errors_of("[[scenario]\nname = 1\n");
    assert!(errors[0].contains("line 1"), "{errors:?}");

    let text =
        format!("{GOOD_HEAD}[[scenario.task]]\nname = \"t\"\npath = \"/\"\n[[scenario.level]]\nusers = 1\nduration = \"five minutes\"\n");
    let errors = errors_of(&text);
    assert!(
        errors[0].contains("line 11") && errors[0].contains("invalid duration"),
        "{errors:?}"
    );
}

#[test]
fn missing_pool_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{GOOD_HEAD}[scenario.pools]\nqueries = {{ file = \"data/queries.txt\" }}\n[[scenario.task]]\nname = \"t\"\npath = \"/\"\n[[scenario.level]]\nusers = 1\nduration = \"1s\"\n"
    );
    let path = dir.path().join("p.toml");
    std::fs::write(&path, &text).unwrap();
    let loaded = PresetSource::from_path(&path).unwrap().parse().unwrap();
    let errors = compile(&loaded).unwrap_err().to_string();
    assert!(errors.contains("data/queries.txt") && errors.contains("line 7"), "{errors}");
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/queries.txt"), "first\nsecond\n").unwrap();
    assert!(compile(&loaded).is_ok(), "relative to the preset's folder");

    // A folder pool: each file one item.
    let folder = dir.path().join("folder.toml");
    std::fs::write(&folder, text.replace("{ file = \"data/queries.txt\" }", "{ dir = \"data\" }")).unwrap();
    std::fs::write(dir.path().join("data/second.txt"), "another document").unwrap();
    let loaded = PresetSource::from_path(&folder).unwrap().parse().unwrap();
    let compiled = compile(&loaded).unwrap();
    let pool = compiled.scenarios[0].pools.get_attr("queries").unwrap();
    assert_eq!(pool.len(), Some(2), "two files, two documents");
}

#[test]
fn overrides_replace_host_users_and_duration() {
    let overrides = Overrides {
        scenario: Some("RAG Service".into()),
        host: Some("http://127.0.0.1:9999".into()),
        users: Some(3),
        spawn_rate: Some(2.0),
        duration: Some(loadscope::testing::measure::duration::HumanDuration(Duration::from_secs(7))),
        insecure: false,
        search: None,
        headers: vec![("X-Team".into(), "load".into())],
        requests: Some(40),
    };
    let preset = load("full-suite", &overrides).unwrap();
    assert_eq!(preset.scenarios[0].levels[0].requests, Some(40));
    assert_eq!(preset.scenarios.len(), 1);
    assert_eq!(preset.scenarios[0].name, "RAG Service");
    assert_eq!(preset.scenarios[0].primary().base.port, 9999);
    assert_eq!(levels(&preset, 0), vec![(3, Some(2.0), 7); 3]);
    let missing = load(
        "full-suite",
        &Overrides {
            scenario: Some("Nope".into()),
            ..Overrides::default()
        },
    )
    .unwrap_err();
    assert!(missing.to_string().contains("API Gateway, RAG Service, MCP Server"), "{missing}");
}

#[test]
fn chat_fields_are_checked_by_kind() {
    let http_with_model = format!(
        "{GOOD_HEAD}[[scenario.task]]\nname = \"t\"\npath = \"/\"\nmodel = \"m\"\n[[scenario.level]]\nusers = 1\nduration = \"1s\"\n"
    );
    let errors = errors_of(&http_with_model);
    assert!(errors[0].contains("model belongs to chat tasks; add kind = \"chat\""), "{errors:?}");

    let chat_with_body = format!(
        "{GOOD_HEAD}[[scenario.task]]\nname = \"c\"\nkind = \"chat\"\nmodel = \"m\"\nbody = \"{{}}\"\nmessages = [{{ role = \"user\", content = \"hi\" }}]\n[[scenario.level]]\nusers = 1\nduration = \"1s\"\n"
    );
    let errors = errors_of(&chat_with_body);
    assert!(
        errors[0].contains("chat tasks build their body") && errors[0].contains("line 6"),
        "{errors:?}"
    );

    let chat_without_model = format!(
        "{GOOD_HEAD}[[scenario.task]]\nname = \"c\"\nkind = \"chat\"\nmessages = [{{ role = \"robot\", content = \"{{{{ pool.nope }}}}\" }}]\n[[scenario.level]]\nusers = 1\nduration = \"1s\"\n"
    );
    let errors = errors_of(&chat_without_model);
    assert!(errors.iter().any(|e| e.contains("chat tasks need a model")), "{errors:?}");

    let api = shipped_preset("api-gateway");
    let chat = api.scenarios[0].tasks[0].chat.as_ref().unwrap();
    assert!(chat.stream && chat.include_usage);
    assert_eq!(api.scenarios[0].tasks[0].method.as_str(), "POST");
}

#[test]
fn failure_classes_are_checked() {
    let text = format!(
        "{GOOD_HEAD}[[scenario.failure_class]]\nname = \"p95\"\n[[scenario.failure_class]]\nname = \"oom\"\nmatches = \"CUDA (out\"\n[[scenario.task]]\nname = \"t\"\npath = \"/\"\n[[scenario.level]]\nusers = 1\nduration = \"1s\"\n[[scenario.target]]\nexpr = \"oom_rate < 1%\"\n[[scenario.target]]\nexpr = \"cuda_oom == 0\"\n"
    );
    let errors = errors_of(&text);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("\"p95\" is a built-in metric") && e.contains("line 6")),
        "{errors:#?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("not a valid regex") && e.contains("line 8")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("unknown metric \"cuda_oom\"") && e.contains("failure class: p95, oom")),
        "{errors:#?}"
    );
    assert_eq!(errors.len(), 3, "oom_rate is a valid class rate: {errors:#?}");
}
