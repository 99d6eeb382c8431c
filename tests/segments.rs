//! A run split over processes: four `loadscope run --segment i/4` processes against nginx,
//! started together with `--start-at`, merged by `loadscope merge`, and compared with one
//! process sending the same total load.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use common::{Nginx, loadscope, text};
use loadscope::testing::analysis::comparison::{Change, Measure, compare, delta};
use loadscope::testing::run::RunRecord;

const SEGMENTS: u32 = 4;

fn preset(url: &str) -> String {
    format!(
        r#"
name = "nginx split"
[[scenario]]
name = "nginx"
[scenario.service]
base_url = "{url}"
[[scenario.task]]
name = "hello"
weight = 3
path = "/hello"
[[scenario.task]]
name = "fail"
weight = 1
path = "/fail"
[[scenario.level]]
name = "Steady"
rate_per_sec = 400
max_in_flight = 64
duration = "4s"
[[scenario.target]]
expr = "p95 < 5s"
"#
    )
}

/// Starts the four segments, all told to begin their level `lead` from now.
fn run_segments(dir: &Path, preset: &Path, lead: Duration) -> Vec<PathBuf> {
    let start_at = humantime::format_rfc3339_millis(SystemTime::now() + lead).to_string();
    let children: Vec<(PathBuf, std::process::Child)> = (0..SEGMENTS)
        .map(|index| {
            let out = dir.join(format!("segment-{index}.json"));
            let child = Command::new(env!("CARGO_BIN_EXE_loadscope"))
                .args(["run", preset.to_str().unwrap(), "--segment", &format!("{index}/{SEGMENTS}")])
                .args(["--run-id", "split-test", "--start-at", &start_at, "--workers", "1", "-q", "--out"])
                .arg(&out)
                .env("LOADSCOPE_DATA_DIR", dir)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (out, child)
        })
        .collect();
    children
        .into_iter()
        .map(|(out, child)| {
            let output = child.wait_with_output().unwrap();
            assert_eq!(output.status.code(), Some(0), "{}: {}", out.display(), text(&output.stderr));
            out
        })
        .collect()
}

#[test]
fn four_segments_started_together_merge_into_the_load_of_one_process() {
    let nginx = Nginx::start();
    let dir = tempfile::tempdir().unwrap();
    let preset_path = dir.path().join("split.toml");
    std::fs::write(&preset_path, preset(&nginx.url())).unwrap();

    let files = run_segments(dir.path(), &preset_path, Duration::from_secs(3));
    let segments: Vec<RunRecord> = files.iter().map(|file| loadscope::testing::run::load(file).unwrap()).collect();
    for (index, segment) in segments.iter().enumerate() {
        let info = segment.segment.as_ref().unwrap();
        assert_eq!((info.index, info.count), (index as u32, SEGMENTS));
        assert_eq!(segment.id, "split-test");
        // Each ran a quarter of the arrival rate.
        assert_eq!(segment.scenarios[0].levels[0].load.to_string(), "100 req/s, max 16 in flight");
        let offset = info.start_offset_millis.unwrap();
        assert!(offset.abs() <= 50.0, "segment {index} started {offset} ms from --start-at");
        assert!(
            segment.warnings.iter().all(|warning| !warning.starts_with("Late start")),
            "{:?}",
            segment.warnings
        );
    }

    // The folder the segments wrote to merges the same as the files named one by one.
    let from_folder = dir.path().join("from-folder.json");
    let output = loadscope(
        &["merge", dir.path().to_str().unwrap(), "--out", from_folder.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let merged_path = dir.path().join("merged.json");
    let mut args = vec!["merge".to_string()];
    args.extend(files.iter().map(|file| file.display().to_string()));
    args.extend(["--out".to_string(), merged_path.display().to_string()]);
    let output = loadscope(&args.iter().map(String::as_str).collect::<Vec<_>>(), dir.path());
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains("Merged 4 segments into"), "{stdout}");
    let merged = loadscope::testing::run::load(&merged_path).unwrap();
    assert_eq!(merged.id, "split-test");
    let folder_merged = loadscope::testing::run::load(&from_folder).unwrap();
    assert_eq!(folder_merged.scenarios, merged.scenarios);
    // Merged again from the folder, the merged files beside the segments are passed over.
    let output = loadscope(
        &["merge", dir.path().to_str().unwrap(), "--out", from_folder.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("Passed over") && text(&output.stderr).contains("merged.json"));
    assert_eq!(merged.merged_from.len(), SEGMENTS as usize);
    let level = &merged.scenarios[0].levels[0];
    assert_eq!(level.load.to_string(), "400 req/s, max 64 in flight");

    // Counts are the sum of the segments'.
    let sum = |pick: fn(&RunRecord) -> u64| segments.iter().map(pick).sum::<u64>();
    assert_eq!(
        level.total.stats.requests,
        sum(|run| run.scenarios[0].levels[0].total.stats.requests)
    );
    assert_eq!(
        level.total.stats.failures,
        sum(|run| run.scenarios[0].levels[0].total.stats.failures)
    );
    for task in &level.tasks {
        let parts: u64 = segments
            .iter()
            .map(|run| {
                run.scenarios[0].levels[0]
                    .tasks
                    .iter()
                    .find(|other| other.task == task.task)
                    .unwrap()
                    .stats
                    .requests
            })
            .sum();
        assert_eq!(task.stats.requests, parts, "task {}", task.task);
    }
    assert_eq!(merged.total.as_ref().unwrap().stats.requests, level.total.stats.requests);
    let failures: u64 = level.failures.iter().map(|row| row.count).sum();
    assert_eq!(failures, level.total.stats.failures);

    // The merged p95 is the p95 of the segments' histograms added together.
    let mut added = loadscope::testing::run::histogram::new_histogram();
    for run in &segments {
        added
            .add(loadscope::testing::run::histogram::decode(&run.scenarios[0].levels[0].total.histogram).unwrap())
            .unwrap();
    }
    assert_eq!(added.len(), level.total.stats.requests);
    assert_eq!(level.total.stats.p95_micros, added.value_at_quantile(0.95));
    assert_eq!(level.total.stats.p99_micros, added.value_at_quantile(0.99));
    // Verdicts were checked on the merged numbers.
    assert_eq!(level.verdicts.len(), 1);
    assert_eq!(level.verdicts[0].observed, Some(added.value_at_quantile(0.95) as f64));
    assert_eq!(merged.passed, Some(true));
    // The series has every second once, with the segments' requests added.
    let series_requests: f64 = merged.series.iter().map(|point| point.requests.rps).sum();
    let segment_series: f64 = segments
        .iter()
        .flat_map(|run| run.series.iter())
        .map(|point| point.requests.rps)
        .sum();
    assert!((series_requests - segment_series).abs() < 1e-6);

    // One process sending the same total load: the merge is within noise of it.
    let single_path = dir.path().join("single.json");
    let output = loadscope(
        &[
            "run",
            preset_path.to_str().unwrap(),
            "--out",
            single_path.to_str().unwrap(),
            "-q",
            "--workers",
            "2",
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let single = loadscope::testing::run::load(&single_path).unwrap();
    let comparison = compare(&[&single, &merged], 0);
    let row = &comparison.rows[0];
    let (base, other) = (row.cells[0].as_ref().unwrap(), row.cells[1].as_ref().unwrap());
    // The load is the same: throughput within noise. (The error rate is a quarter of requests
    // drawn at random, so a 5% test would differ by chance one run in twenty; latency against
    // nginx's sub-millisecond replies is the generators' own scheduling, one process with two
    // worker threads against four processes with one each; both are printed, not compared.)
    let durations: Vec<f64> = segments.iter().map(|run| run.scenarios[0].levels[0].duration_secs()).collect();
    let measure = Measure::Rps;
    let change = delta(measure, base, other).unwrap();
    assert_eq!(
        change.change,
        Change::Same,
        "{}: one process {:?}, merged {:?} ({}); segment durations {durations:?} s",
        measure.label(),
        measure.value(base),
        measure.value(other),
        change.explain(measure)
    );
    eprintln!(
        "single: {} requests, error rate {:.1}%, p50 {} µs, p95 {} µs; merged: {} requests, error rate {:.1}%, p50 {} µs, p95 {} µs; starts {:?} ms",
        base.requests,
        base.error_rate_percent,
        base.p50_micros,
        base.p95_micros,
        other.requests,
        other.error_rate_percent,
        other.p50_micros,
        other.p95_micros,
        segments
            .iter()
            .map(|run| run.segment.as_ref().unwrap().start_offset_millis.unwrap())
            .collect::<Vec<_>>()
    );
}

#[test]
fn merge_refuses_files_that_are_not_one_runs_segments() {
    let nginx = Nginx::start();
    let dir = tempfile::tempdir().unwrap();
    let preset_path = dir.path().join("split.toml");
    std::fs::write(&preset_path, preset(&nginx.url()).replace("\"4s\"", "\"1s\"")).unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["run", preset_path.to_str().unwrap(), "-q", "--workers", "1"];
        all.extend_from_slice(args);
        let output = loadscope(&all, dir.path());
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    };
    let path = |name: &str| dir.path().join(name).display().to_string();
    run(&["--segment", "0/2", "--run-id", "a", "--out", &path("a0.json")]);
    run(&["--segment", "1/2", "--run-id", "b", "--out", &path("b1.json")]);
    run(&["--out", &path("plain.json")]);
    let refused = |files: &[&str], expected: &[&str]| {
        let mut args = vec!["merge"];
        let paths: Vec<String> = files.iter().map(|name| path(name)).collect();
        args.extend(paths.iter().map(String::as_str));
        let output = loadscope(&args, dir.path());
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        for part in expected {
            assert!(stderr.contains(part), "{part:?} in {stderr}");
        }
    };
    refused(
        &["a0.json", "b1.json"],
        &["b1.json belongs to run \"b\"", "a0.json to run \"a\"", "--run-id"],
    );
    refused(&["a0.json", "plain.json"], &["plain.json is not a segment of a run"]);
    refused(&["a0.json"], &["segment(s) 1 of 2 missing"]);

    // Bad flags are refused before any load.
    for (flags, expected) in [
        (vec!["--segment", "4/4"], "i must be below n"),
        (vec!["--run-id", "no spaces"], "letters, digits"),
        (vec!["--start-at", "tomorrow"], "not an RFC 3339 time"),
    ] {
        let mut args = vec!["run", preset_path.to_str().unwrap()];
        args.extend(flags);
        let output = loadscope(&args, dir.path());
        assert_eq!(output.status.code(), Some(2));
        assert!(text(&output.stderr).contains(expected), "{}", text(&output.stderr));
    }
}
