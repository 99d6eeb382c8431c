//! `--junit FILE` and `report --format junit`, read back by junitparser (PyPI, pinned, installed
//! by scripts/test-deps.sh) and compared with the run file and the CLI's own verdict lines.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{loadscope, text};

/// What junitparser understood of a JUnit file.
fn read_junit(path: &Path) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/read_junit.py");
    let output = Command::new(common::python_bin("python3")).arg(script).arg(path).output().unwrap();
    assert!(
        output.status.success(),
        "junitparser could not read {}: {} (run scripts/test-deps.sh to install it)",
        path.display(),
        text(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn junit_has_a_suite_per_scenario_and_a_case_per_target_and_level() {
    let demo = common::seeded_demo(9);
    let dir = tempfile::tempdir().unwrap();
    let preset = dir.path().join("ci.toml");
    std::fs::write(
        &preset,
        format!(
            r#"
name = "CI <gate> & co"
[[scenario]]
name = "Gateway"
[scenario.service]
base_url = "{}"
[[scenario.task]]
name = "models"
path = "/v1/models"
[[scenario.level]]
name = "Light"
users = 1
duration = "1s"
[[scenario.level]]
name = "Busy"
users = 4
duration = "1s"
[[scenario.target]]
expr = "error_rate < 50%"
[[scenario.target]]
expr = "p95 < 1us"
[[scenario.target]]
expr = "rps > 1"
level = "Busy"
"#,
            demo.urls()[0]
        ),
    )
    .unwrap();
    let out = dir.path().join("run.json");
    let junit = dir.path().join("reports/junit.xml");
    let output = loadscope(
        &[
            "run",
            preset.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ],
        dir.path(),
    );
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "p95 < 1us fails: {stdout}{}", text(&output.stderr));
    assert!(text(&output.stderr).contains(&format!("JUnit results written to {}", junit.display())));

    let record = loadscope::testing::run::load(&out).unwrap();
    let read = read_junit(&junit);
    assert_eq!(read["name"], "Loadscope: CI <gate> & co", "names are escaped and read back whole");
    let suites = read["suites"].as_array().unwrap();
    assert_eq!(suites.len(), 1);
    let suite = &suites[0];
    assert_eq!(suite["name"], "Gateway");
    assert_eq!(suite["properties"]["run_id"], serde_json::json!(record.id));
    let cases = suite["cases"].as_array().unwrap();
    let verdicts: Vec<(&str, &loadscope::testing::run::Verdict)> = record.scenarios[0]
        .levels
        .iter()
        .flat_map(|level| level.verdicts.iter().map(move |verdict| (level.name.as_str(), verdict)))
        .collect();
    assert_eq!(verdicts.len(), 5, "two targets at both levels, one at Busy only");
    assert_eq!(cases.len(), verdicts.len());
    assert_eq!(suite["tests"], 5);
    let failed = verdicts.iter().filter(|(_, verdict)| !verdict.passed).count();
    assert_eq!(suite["failures"], failed);
    assert_eq!(read["failures"], failed);
    for (case, (level, verdict)) in cases.iter().zip(&verdicts) {
        assert_eq!(case["name"], format!("{level}: {}", verdict.target));
        assert_eq!(case["classname"], "CI <gate> & co.Gateway");
        let results = case["results"].as_array().unwrap();
        if verdict.passed {
            assert!(results.is_empty(), "{case}");
        } else {
            // The failure carries the observed value and the limit, as the CLI printed them.
            let observed = verdict.metric.format_value(verdict.observed.unwrap());
            let limit = verdict.metric.format_value(verdict.threshold);
            assert_eq!(results[0]["kind"], "failure");
            assert_eq!(
                results[0]["message"],
                format!("{} at level {level}: observed {observed}, limit {limit}", verdict.target)
            );
            assert!(
                results[0]["text"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("observed: {observed}\nlimit: {limit}"))
            );
            assert!(
                stdout.contains(&format!("FAIL  {}  observed {observed}", verdict.target)),
                "{stdout}"
            );
        }
    }

    // The report command writes the same file from the saved run.
    let again = dir.path().join("again.xml");
    let output = loadscope(
        &[
            "report",
            out.to_str().unwrap(),
            "--format",
            "junit",
            "--out",
            again.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(std::fs::read_to_string(&again).unwrap(), std::fs::read_to_string(&junit).unwrap());
}

#[test]
fn a_capacity_search_is_one_case_for_its_result_and_one_per_capacity_target() {
    let record = loadscope::testing::run::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ui-capacity-run.json")).unwrap();
    let xml = loadscope::testing::report::junit::render(&record);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("capacity.xml");
    std::fs::write(&path, &xml).unwrap();
    let read = read_junit(&path);
    let capacity = record.scenarios[0].capacity.as_ref().unwrap();
    let cases = read["suites"][0]["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 1 + capacity.verdicts.len(), "{read}");
    let found = capacity.axis.format(capacity.capacity.unwrap());
    assert_eq!(cases[0]["name"], format!("capacity search: {found}"));
}

#[test]
fn a_junit_path_that_cannot_be_written_is_refused_before_any_load() {
    let dir = tempfile::tempdir().unwrap();
    let output = loadscope(
        &["run", "demo", "--demo-stack", "-t", "1s", "--junit", dir.path().to_str().unwrap()],
        dir.path(),
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "--junit: cannot write the JUnit file {}: it is a folder",
            dir.path().display()
        )) && stderr.contains("--junit ")
            && stderr.contains("junit.xml"),
        "{stderr}"
    );
    assert!(!stderr.contains("Load started"), "{stderr}");
}
