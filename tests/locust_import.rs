//! `loadscope import locust`: CSV files written by a real Locust 2.47 run (PyPI, pinned,
//! installed by scripts/test-deps.sh) against nginx, imported under a preset's names and
//! compared with a Loadscope run of that preset; malformed files refused line by line.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{Nginx, loadscope, text};

const LOCUSTFILE: &str = r#"
from locust import HttpUser, task, constant

class Api(HttpUser):
    wait_time = constant(0.01)

    @task(3)
    def hello(self):
        self.client.get("/hello")

    @task(1)
    def fail(self):
        self.client.get("/fail")
"#;

fn preset(url: &str) -> String {
    format!(
        r#"
name = "nginx api"
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
name = "Two"
users = 2
duration = "1s"
[[scenario.level]]
name = "Four"
users = 4
duration = "2s"
"#
    )
}

/// Runs Locust headless for 3 s at 4 users against `url`, writing `dir/locust_*.csv`.
fn run_locust(dir: &Path, url: &str) -> PathBuf {
    let locustfile = dir.join("locustfile.py");
    std::fs::write(&locustfile, LOCUSTFILE).unwrap();
    let prefix = dir.join("locust");
    let mut child = Command::new(common::python_bin("python3"))
        .args(["-m", "locust", "-f"])
        .arg(&locustfile)
        .args(["--headless", "-u", "4", "-r", "4", "-t", "3s", "-H", url, "--only-summary", "--csv"])
        .arg(&prefix)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(dir.join("locust.log")).unwrap())
        .spawn()
        .expect("python3 runs");
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!(
                "locust did not finish in 60 s: {}",
                std::fs::read_to_string(dir.join("locust.log")).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let log = std::fs::read_to_string(dir.join("locust.log")).unwrap_or_default();
    assert!(
        dir.join("locust_stats.csv").is_file(),
        "locust wrote no CSV (exit {status}; install it with scripts/test-deps.sh): {log}"
    );
    prefix
}

/// A stats.csv row's column, read independently of Loadscope.
fn csv_value(path: &Path, name: &str, column: &str) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let index = header.iter().position(|known| *known == column).unwrap();
    lines
        .map(|line| line.split(',').collect::<Vec<_>>())
        .find(|fields| fields[1] == name)
        .map(|fields| fields[index].to_string())
        .unwrap()
}

#[test]
fn a_real_locust_run_imports_under_a_presets_names_and_compares_with_loadscopes() {
    let nginx = Nginx::start();
    let dir = tempfile::tempdir().unwrap();
    let prefix = run_locust(dir.path(), &nginx.url());
    let preset_path = dir.path().join("api.toml");
    std::fs::write(&preset_path, preset(&nginx.url())).unwrap();

    let output = loadscope(
        &[
            "import",
            "locust",
            prefix.to_str().unwrap(),
            "--preset",
            preset_path.to_str().unwrap(),
        ],
        dir.path(),
    );
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}{}", text(&output.stderr));
    assert!(
        stdout.contains("as level \"Four\" of \"nginx\""),
        "the level with Locust's 4 users: {stdout}"
    );
    let saved = PathBuf::from(stdout.lines().find_map(|line| line.strip_prefix("Saved to ")).unwrap());
    let imported = loadscope::testing::run::load(&saved).unwrap();
    assert_eq!(imported.preset.name, "nginx api");
    assert_eq!(imported.imported.as_ref().unwrap().tool, "locust");
    let level = &imported.scenarios[0].levels[0];
    assert_eq!((level.index, level.name.as_str()), (1, "Four"));
    let stats_csv = dir.path().join("locust_stats.csv");
    let hello = level
        .tasks
        .iter()
        .find(|task| task.task == "hello")
        .expect("/hello is the hello task");
    assert_eq!(hello.stats.requests.to_string(), csv_value(&stats_csv, "/hello", "Request Count"));
    let p95_millis: f64 = csv_value(&stats_csv, "/hello", "95%").parse().unwrap();
    assert_eq!(hello.stats.p95_micros, (p95_millis * 1000.0) as u64);
    assert_eq!(
        level.total.stats.requests.to_string(),
        csv_value(&stats_csv, "Aggregated", "Request Count")
    );
    let fail = level.tasks.iter().find(|task| task.task == "fail").unwrap();
    assert_eq!(fail.stats.failures, fail.stats.requests, "every /fail is a 500");
    assert_eq!(level.failures[0].kind, loadscope::testing::run::FailureKind::Status(500));
    assert_eq!(level.failures[0].task, "fail");
    assert!(!imported.series.is_empty(), "a point per history row");
    assert!(imported.series.iter().all(|point| point.users <= 4));

    // A Loadscope run of the same preset, then the two side by side.
    let output = loadscope(&["run", preset_path.to_str().unwrap(), "-q"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let output = loadscope(&["compare", &imported.id, "latest", "--json"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let comparison: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(comparison["runs"][0]["imported_from"], "locust");
    assert_eq!(comparison["runs"][1]["imported_from"], serde_json::Value::Null);
    let row = comparison["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["level_name"] == "Four" && row["task"] == "hello")
        .expect("a Four / hello row");
    assert_eq!(row["cells"][0]["requests"], hello.stats.requests, "Locust's column");
    assert!(row["cells"][1]["requests"].as_u64().unwrap() > 0, "Loadscope's column: {row}");
    assert!(
        row["cells"][1]["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|change| change["measure"] == "p95")
    );

    // The report says where the numbers came from.
    let output = loadscope(&["report", &imported.id, "--format", "md"], dir.path());
    let report = text(&output.stdout);
    assert!(
        report.contains("locust (imported from") && report.contains("approximate"),
        "{report}"
    );
}

#[test]
fn malformed_locust_files_are_refused_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let header = "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%";
    let good_stats = format!(
        "{header}\nGET,/hello,10,0,5,5.1,2,9,5.0,3.3,0.0,5,5,6,6,7,7,8,9,9,9,9\n,Aggregated,10,0,5,5.1,2,9,5.0,3.3,0.0,5,5,6,6,7,7,8,9,9,9,9\n"
    );
    let history = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size\n1796306112,0,,Aggregated,0,0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,0,0,0,0.0,0,0,0\n1796306113,2,,Aggregated,0,0,5,5,6,6,7,7,8,9,9,9,9,10,0,5,5.1,2,9,5.0\n";
    let failures = "Method,Name,Error,Occurrences,First Seen,Last Seen\n";
    let write = |name: &str, stats: &str, history: &str, failures: Option<&str>| -> PathBuf {
        let prefix = dir.path().join(name);
        std::fs::write(format!("{}_stats.csv", prefix.display()), stats).unwrap();
        std::fs::write(format!("{}_stats_history.csv", prefix.display()), history).unwrap();
        if let Some(failures) = failures {
            std::fs::write(format!("{}_failures.csv", prefix.display()), failures).unwrap();
        }
        prefix
    };
    let refused = |prefix: &Path, expected: &[&str]| {
        let output = loadscope(&["import", "locust", prefix.to_str().unwrap()], dir.path());
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        for part in expected {
            assert!(stderr.contains(part), "{part:?} in: {stderr}");
        }
    };

    let good = write("good", &good_stats, history, Some(failures));
    let output = loadscope(&["import", "locust", good.to_str().unwrap()], dir.path());
    assert_eq!(
        output.status.code(),
        Some(0),
        "the well-formed files import: {}",
        text(&output.stderr)
    );

    let bad_number = write(
        "number",
        &good_stats.replace("GET,/hello,10,", "GET,/hello,ten,"),
        history,
        Some(failures),
    );
    refused(
        &bad_number,
        &["number_stats.csv line 2, column \"Request Count\": \"ten\" is not a number"],
    );
    let cut = write(
        "cut",
        &good_stats,
        &history.replace(",10,0,5,5.1,2,9,5.0\n", ",10\n"),
        Some(failures),
    );
    refused(&cut, &["cut_stats_history.csv line 3: ", "fields where the header has 24"]);
    let missing = write("missing", &good_stats, history, None);
    refused(&missing, &["missing_failures.csv: cannot read it", "locust --csv PREFIX"]);
    let no_total = write("nototal", &good_stats.replace(",Aggregated,", ",Other,"), history, Some(failures));
    refused(&no_total, &["nototal_stats.csv: no Aggregated row"]);
    let not_locust = write("other", "a,b,c\n1,2,3\n", history, Some(failures));
    refused(
        &not_locust,
        &["other_stats.csv line 1: no column \"Type\"", "is this Locust's stats file?"],
    );
    let backwards = write(
        "backwards",
        &good_stats,
        &history.replace("1796306113,2", "1796306100,2"),
        Some(failures),
    );
    refused(&backwards, &["backwards_stats_history.csv: timestamps go back in time"]);
    let level = write("level", &good_stats, history, Some(failures));
    let preset_path = dir.path().join("api.toml");
    std::fs::write(&preset_path, preset("http://127.0.0.1:9")).unwrap();
    let output = loadscope(
        &[
            "import",
            "locust",
            level.to_str().unwrap(),
            "--preset",
            preset_path.to_str().unwrap(),
            "--level",
            "Nine",
        ],
        dir.path(),
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("--level \"Nine\": scenario \"nginx\" has no such level; it has Two, Four"),
        "{stderr}"
    );

    // Only the well-formed import was saved.
    let saved = std::fs::read_dir(dir.path().join("runs")).unwrap().count();
    assert_eq!(saved, 1);
}
