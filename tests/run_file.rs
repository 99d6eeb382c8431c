//! Run files: atomic saves, interrupted runs, unreadable files, other tools' view of them.
#![allow(clippy::unwrap_used)]

mod common;

use loadscope::testing::run::library::{LibraryEntry, list, run_file_name};
use loadscope::testing::run::{FailureKind, RunFileError, RunStatus, load, save_atomic};

fn sample_record() -> loadscope::testing::run::RunRecord {
    let nginx = common::Nginx::start();
    let (_dir, out) = common::out_path();
    let text = format!(
        "[[scenario]]\nname = \"n\"\n[scenario.service]\nbase_url = \"{}\"\n[[scenario.task]]\nname = \"t\"\npath = \"/hello\"\n[[scenario.level]]\nusers = 1\nduration = \"1s\"\n",
        nginx.url()
    );
    common::run_text(&text, &out).0
}

#[test]
fn a_run_file_left_running_reads_as_interrupted() {
    let mut record = sample_record();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crashed.json");
    record.status = RunStatus::Running;
    record.saved_at = humantime::format_rfc3339_millis(std::time::SystemTime::now() - std::time::Duration::from_secs(120)).to_string();
    save_atomic(&record, &path).unwrap();
    let reopened = load(&path).unwrap();
    assert_eq!(reopened.status, RunStatus::Interrupted, "its writer stopped saving two minutes ago");
    assert_eq!(reopened.scenarios, record.scenarios, "the data up to the last save is all there");

    record.saved_at = humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string();
    save_atomic(&record, &path).unwrap();
    assert_eq!(load(&path).unwrap().status, RunStatus::Running, "a fresh autosave is a live run");
}

#[test]
fn saving_replaces_the_file_whole_and_reports_bad_paths() {
    let record = sample_record();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/runs/run.json");
    save_atomic(&record, &path).unwrap();
    save_atomic(&record, &path).unwrap();
    let names: Vec<String> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["run.json".to_string()], "no temp files left behind");

    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let err = save_atomic(&record, &blocker.join("run.json")).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("cannot write run file") && message.contains("file/run.json") && message.contains("--out"),
        "{message}"
    );
}

#[test]
fn other_tools_can_read_the_file() {
    let record = sample_record();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.json");
    save_atomic(&record, &path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(json["format"], "loadscope-run");
    assert_eq!(json["version"], 3);
    let level = &json["scenarios"][0]["levels"][0];
    assert!(level["total"]["p95_micros"].as_u64().unwrap() > 0);
    assert!(
        level["total"]["histogram"].as_str().unwrap().starts_with("HISTF"),
        "base64 of the V2 deflate cookie"
    );
    assert!(!json["series"].as_array().unwrap().is_empty());
    assert!(json["host"]["cpus"].as_u64().unwrap() >= 1);
}

#[test]
fn the_library_lists_runs_and_explains_bad_files() {
    let record = sample_record();
    let dir = tempfile::tempdir().unwrap();
    save_atomic(&record, &dir.path().join(run_file_name("2026-11-27T10:00:00Z", "My Preset!"))).unwrap();
    std::fs::write(dir.path().join("other.json"), r#"{"format": "something-else"}"#).unwrap();
    let mut future: serde_json::Value = serde_json::from_slice(&loadscope::testing::run::save::run_file_json(&record).unwrap()).unwrap();
    future["version"] = 99.into();
    std::fs::write(dir.path().join("future.json"), future.to_string()).unwrap();
    let entries = list(dir.path()).unwrap().entries;
    assert_eq!(entries.len(), 3);
    let mut readable = 0;
    for entry in &entries {
        match entry {
            LibraryEntry::Run { path, .. } => {
                readable += 1;
                assert!(path.ends_with("20261127T100000Z-my-preset.json"), "{}", path.display());
            }
            LibraryEntry::Unreadable { path, error } if path.ends_with("other.json") => {
                assert!(matches!(error, RunFileError::NotARun { .. }), "{error}");
            }
            LibraryEntry::Unreadable { error, .. } => {
                assert!(error.to_string().contains("version 99, newer than this Loadscope reads"), "{error}");
            }
        }
    }
    assert_eq!(readable, 1);
    assert!(
        list(&dir.path().join("missing")).unwrap().entries.is_empty(),
        "no folder yet: no runs"
    );
}

#[test]
fn a_version_2_file_reads_with_its_failure_kinds_typed() {
    // Version 2 stored a failure's kind as display text ("status 404"); version 3 stores the
    // serde enum ({"status": 404}). The fixture was written by Loadscope at commit 035fc11.
    let path = common::run_fixture_path("v2");
    let text = std::fs::read_to_string(&path).unwrap();
    let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(raw["version"], 2);
    let written = raw["scenarios"][0]["levels"][0]["failures"][0]["kind"].clone();
    assert_eq!(written, "status 404", "the fixture holds the old text");
    let record = load(&path).unwrap();
    let failures = &record.scenarios[0].levels[0].failures;
    assert!(!failures.is_empty());
    assert!(failures.iter().all(|row| row.kind == FailureKind::Status(404)), "{failures:?}");
    // Saved again, it is a version 3 file with the typed kind, and reads back the same.
    let dir = tempfile::tempdir().unwrap();
    let again = dir.path().join("again.json");
    save_atomic(&record, &again).unwrap();
    let resaved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&again).unwrap()).unwrap();
    assert_eq!(resaved["version"], 3);
    assert_eq!(
        resaved["scenarios"][0]["levels"][0]["failures"][0]["kind"],
        serde_json::json!({"status": 404})
    );
    assert_eq!(load(&again).unwrap().scenarios, record.scenarios);
}
