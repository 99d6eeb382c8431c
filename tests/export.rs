//! Live metrics for Prometheus: a real Prometheus (Debian's package, installed by
//! scripts/test-deps.sh) scrapes `loadscope run --metrics-addr` every second, and what it stored
//! is compared with the run file; the shipped Grafana dashboard asks only for metrics that are
//! exported.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, loadscope, own_group, stop_group, text};
use loadscope::testing::export::metrics::{METRIC_NAMES, RunMetrics};

/// A GET on 127.0.0.1 (HTTP/1.0, so the reply ends with the connection): status and body.
fn http_get(port: u16, path_and_query: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(stream, "GET {path_and_query} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply).ok()?;
    let status = reply.split(' ').nth(1)?.parse().ok()?;
    let body = reply.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

/// Prometheus on a free loopback port, scraping `target_port` every second.
struct Prometheus {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    fn start(target_port: u16) -> Prometheus {
        let binary = ["/usr/bin/prometheus", "/usr/local/bin/prometheus"]
            .into_iter()
            .find(|path| Path::new(path).exists())
            .expect("prometheus is not installed: run scripts/test-deps.sh (apt-get install prometheus)");
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: loadscope\n    static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let mut command = Command::new(binary);
        command
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("prometheus.log")).unwrap());
        let child = own_group(&mut command).spawn().unwrap();
        let prometheus = Prometheus { child, port, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(30);
        while http_get(port, "/-/ready").map(|(status, _)| status) != Some(200) {
            assert!(Instant::now() < deadline, "prometheus did not become ready: {}", prometheus.log());
            std::thread::sleep(Duration::from_millis(100));
        }
        // Prometheus applies new targets some seconds after it starts: wait for its first try
        // at ours, so the whole run is scraped.
        while !prometheus.has_tried_its_target() {
            assert!(
                Instant::now() < deadline,
                "prometheus never scraped its target: {}",
                prometheus.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        prometheus
    }

    fn has_tried_its_target(&self) -> bool {
        let Some((200, body)) = http_get(self.port, "/api/v1/targets") else {
            return false;
        };
        let targets: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        targets["data"]["activeTargets"]
            .as_array()
            .and_then(|targets| targets.first())
            .and_then(|target| target["lastScrape"].as_str())
            .is_some_and(|last| !last.starts_with("0001-"))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("prometheus.log")).unwrap_or_default()
    }

    /// An instant query's vector result: each series' labels and value.
    fn query(&self, promql: &str) -> Vec<(serde_json::Value, f64)> {
        let encoded: String = promql
            .bytes()
            .map(|byte| match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (byte as char).to_string(),
                _ => format!("%{byte:02X}"),
            })
            .collect();
        let (status, body) = http_get(self.port, &format!("/api/v1/query?query={encoded}")).expect("prometheus answers");
        assert_eq!(status, 200, "{promql}: {body}");
        let reply: serde_json::Value = serde_json::from_str(&body).unwrap();
        reply["data"]["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|series| (series["metric"].clone(), series["value"][1].as_str().unwrap().parse().unwrap()))
            .collect()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        stop_group(&mut self.child);
    }
}

fn chat_preset(gateway: &str) -> String {
    format!(
        r#"
name = "Metrics export"
[[scenario]]
name = "Gateway"
[scenario.service]
base_url = "{gateway}"
[[scenario.task]]
name = "chat"
kind = "chat"
model = "demo-llm"
messages = [{{ role = "user", content = "hi" }}]
max_tokens = 16
stream = true
[[scenario.level]]
name = "light"
users = 2
duration = "3s"
[[scenario.level]]
name = "heavy"
users = 6
duration = "3s"
[[scenario.target]]
expr = "p95 < 5s"
"#
    )
}

#[test]
fn prometheus_scrapes_the_run_and_stores_the_run_files_counts() {
    let demo = common::seeded_demo(5);
    let dir = tempfile::tempdir().unwrap();
    let preset = dir.path().join("export.toml");
    std::fs::write(&preset, chat_preset(&demo.urls()[0])).unwrap();
    let out = dir.path().join("run.json");
    let metrics_port = free_port();
    let prometheus = Prometheus::start(metrics_port);

    let output = loadscope(
        &[
            "run",
            preset.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--metrics-addr",
            &format!("127.0.0.1:{metrics_port}"),
        ],
        dir.path(),
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{}{stderr}", text(&output.stdout));
    assert!(stderr.contains(&format!("http://127.0.0.1:{metrics_port}/metrics")), "{stderr}");

    let record = loadscope::testing::run::load(&out).unwrap();
    let scenario = &record.scenarios[0];
    // The exposition parsed: scrapes succeeded and took in samples. (Scrapes after the
    // process ended fail, as they should.)
    let scraped = prometheus.query("sum_over_time(up[5m])");
    assert!(scraped[0].1 >= 3.0, "successful scrapes: {scraped:?}; {}", prometheus.log());
    let samples = prometheus.query("max_over_time(scrape_samples_scraped[5m])");
    assert!(samples[0].1 > 50.0, "{samples:?}");

    // Once the run has ended Prometheus marks its series stale, so instant queries read each
    // series' last sample. Each level's request count as Prometheus stored it is the run file's.
    let last = |selector: String| prometheus.query(&format!("last_over_time({selector}[5m])"));
    for level in &scenario.levels {
        let stored = last(format!(
            "loadscope_requests_total{{scenario=\"Gateway\",task=\"chat\",level=\"{}\"}}",
            level.name
        ));
        assert_eq!(stored.len(), 1, "level {}: {stored:?}", level.name);
        assert_eq!(stored[0].1, level.tasks[0].stats.requests as f64, "level {}", level.name);
        assert!(level.tasks[0].stats.requests > 0);
        let counted = last(format!("loadscope_request_duration_seconds_count{{level=\"{}\"}}", level.name));
        let histogram = loadscope::testing::run::histogram::decode(&level.tasks[0].histogram).unwrap();
        assert_eq!(counted[0].1, histogram.len() as f64, "level {}", level.name);
        let tokens = last(format!("loadscope_output_tokens_total{{level=\"{}\"}}", level.name));
        assert_eq!(tokens[0].1, level.tasks[0].stats.chat.as_ref().unwrap().output_tokens as f64);
        let passing = last(format!("loadscope_target_passing{{level=\"{}\"}}", level.name));
        assert_eq!(passing[0].1, 1.0, "p95 < 5s holds at level {}", level.name);
        // The value checked, in seconds (Prometheus's base unit), as the run file's p95.
        let observed = last(format!("loadscope_target_observed{{level=\"{}\",unit=\"seconds\"}}", level.name));
        let file_p95 = level.tasks[0].stats.p95_micros as f64 / 1e6;
        assert!(
            (observed[0].1 - file_p95).abs() <= file_p95 * 0.05 + 0.002,
            "{observed:?} against {file_p95} s"
        );
        // Prometheus's p95 from the buckets lies in the bucket that holds the file's p95.
        let p95 = prometheus.query(&format!(
            "histogram_quantile(0.95, sum by (le) (last_over_time(loadscope_request_duration_seconds_bucket{{level=\"{}\"}}[5m])))",
            level.name
        ))[0]
            .1;
        let exact = level.tasks[0].stats.p95_micros;
        let bounds = &loadscope::testing::run::histogram::BUCKET_BOUNDS_MICROS;
        // The file's value is the HDR histogram's (3 significant digits): the latency behind it
        // lies within 0.1% of it, so a value that close to a bucket bound (100,031 µs, read
        // 0.0998 s) may sit in the bucket on either side.
        let (low, high) = (exact - exact / 1000, exact + exact / 1000);
        let upper = bounds.iter().copied().find(|&bound| bound >= high).unwrap() as f64 / 1e6;
        let lower = bounds.iter().copied().rev().find(|&bound| bound < low).unwrap_or(0) as f64 / 1e6;
        assert!(
            p95 >= lower && p95 <= upper,
            "level {}: Prometheus p95 {p95} s, the file's {exact} µs",
            level.name
        );
    }
    let total = prometheus.query("sum(last_over_time(loadscope_requests_total[5m]))");
    let file_total: u64 = scenario.levels.iter().map(|level| level.total.stats.requests).sum();
    assert_eq!(total[0].1, file_total as f64);

    // The run is named by its id, and the users gauge followed the levels.
    let info = prometheus.query("last_over_time(loadscope_run_info[5m])");
    assert_eq!(info[0].0["run_id"], serde_json::json!(record.id), "{info:?}");
    let peak_users = prometheus.query("max_over_time(loadscope_users[5m])");
    assert_eq!(peak_users[0].1, 6.0);
    // TTFT is a histogram Prometheus can take quantiles of.
    let ttft = prometheus.query("histogram_quantile(0.5, sum by (le) (last_over_time(loadscope_time_to_first_token_seconds_bucket[5m])))");
    assert!(ttft[0].1 > 0.0 && ttft[0].1 < 5.0, "{ttft:?}");

    // Every query of the shipped dashboard is PromQL this Prometheus accepts (with Grafana's
    // variables filled in as Grafana would), and its Loadscope panels find the run.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/grafana/loadscope.json");
    let dashboard: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut found_data = 0;
    let mut exprs = Vec::new();
    dashboard_exprs(&dashboard, &mut exprs);
    // Panels, the level annotations and the variables' queries (label_values(...) is Grafana's,
    // not PromQL: its inner selector is checked).
    for expr in exprs.iter().filter(|expr| !expr.starts_with("${")) {
        let expr = expr
            .strip_prefix("label_values(")
            .and_then(|inner| inner.rsplit_once(',').map(|(selector, _)| selector))
            .unwrap_or(expr);
        let filled = expr
            .replace("$__rate_interval", "5m")
            .replace("$scenario", ".*")
            .replace("$vllm_job", ".*");
        // `query` asserts Prometheus answered 200 (a syntax error is a 400).
        let result = prometheus.query(&filled);
        if expr.contains("loadscope_") && !expr.contains("vllm:") && !result.is_empty() {
            found_data += 1;
        }
    }
    assert!(found_data >= 5, "the Loadscope panels' queries find the run: {found_data}");
}

#[test]
fn a_taken_metrics_port_is_refused_before_any_load() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let output = loadscope(
        &["run", "demo", "--demo-stack", "--metrics-addr", &port.to_string(), "-t", "1s"],
        dir.path(),
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("metrics address 127.0.0.1:{port}")) && stderr.contains("pick a free port"),
        "{stderr}"
    );
    assert!(!stderr.contains("Load started"), "{stderr}");

    let output = loadscope(&["run", "demo", "--metrics-addr", "localhost:9464"], dir.path());
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--metrics-addr") && stderr.contains("127.0.0.1:9464"), "{stderr}");
}

/// Metric names a PromQL expression reads (`loadscope_…`, histogram suffixes taken off).
fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = expr.as_bytes();
    let mut at = 0;
    while let Some(found) = expr[at..].find("loadscope_") {
        let start = at + found;
        let mut end = start;
        while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
            end += 1;
        }
        let name = &expr[start..end];
        let name = ["_bucket", "_count", "_sum"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .unwrap_or(name);
        names.insert(name.to_string());
        at = end;
    }
    names
}

fn dashboard_exprs(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                if (key == "expr" || key == "query" || key == "definition") && value.is_string() {
                    found.push(value.as_str().unwrap().to_string());
                } else {
                    dashboard_exprs(value, found);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| dashboard_exprs(item, found)),
        _ => {}
    }
}

#[test]
fn every_metric_the_grafana_dashboard_reads_is_exported() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/grafana/loadscope.json");
    let dashboard: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut exprs = Vec::new();
    dashboard_exprs(&dashboard, &mut exprs);
    let read: BTreeSet<String> = exprs.iter().flat_map(|expr| metric_names(expr)).collect();
    assert!(read.len() >= 8, "the dashboard reads Loadscope's metrics: {read:?}");

    // What a real run exports: every `# TYPE` line of the exposition after a demo run.
    let demo = common::seeded_demo(6);
    let (_dir, out) = common::out_path();
    let plan = common::plan_from_text(&chat_preset(&demo.urls()[0]).replace("\"3s\"", "\"1s\""), &out, &|_| None);
    let metrics = RunMetrics::new("Metrics export");
    loadscope::testing::engine::run_blocking(plan, |event| metrics.observe(event))
        .unwrap()
        .unwrap();
    let exposition = metrics.encode();
    let exported: BTreeSet<String> = exposition
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .map(|line| line.split_once(' ').unwrap().0.to_string())
        .collect();
    for name in &read {
        assert!(
            exported.contains(name),
            "the dashboard reads {name}, which is not exported; exported: {exported:?}"
        );
    }
    assert_eq!(
        exported,
        METRIC_NAMES.iter().map(|name| name.to_string()).collect(),
        "METRIC_NAMES lists what is exported"
    );
    // The dashboard's own variables name the service's metrics (vLLM) beside Loadscope's.
    assert!(exprs.iter().any(|expr| expr.contains("vllm:")), "{exprs:?}");
}

#[test]
fn the_dashboard_imports_with_its_data_source_input_and_requires_what_it_uses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/grafana/loadscope.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&text).unwrap();
    // Every input Grafana's import asks for is used: the data source chosen becomes the
    // `datasource` variable every panel and the level annotations read.
    for input in dashboard["__inputs"].as_array().unwrap() {
        let name = input["name"].as_str().unwrap();
        assert!(
            text.contains(&format!("\"${{{name}}}\"")),
            "__inputs declares {name}, which nothing uses"
        );
    }
    let variable = dashboard["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|variable| variable["name"] == "datasource")
        .unwrap();
    assert_eq!(variable["current"]["value"], "${DS_PROMETHEUS}");
    // __requires names Grafana, Prometheus and every panel type.
    let required: BTreeSet<String> = dashboard["__requires"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| format!("{}:{}", item["type"].as_str().unwrap(), item["id"].as_str().unwrap()))
        .collect();
    fn panel_types(panels: &serde_json::Value, types: &mut BTreeSet<String>) {
        for panel in panels.as_array().into_iter().flatten() {
            if panel["type"] != "row" {
                types.insert(format!("panel:{}", panel["type"].as_str().unwrap()));
            }
            panel_types(&panel["panels"], types);
        }
    }
    let mut used = BTreeSet::from(["grafana:grafana".to_string(), "datasource:prometheus".to_string()]);
    panel_types(&dashboard["panels"], &mut used);
    assert_eq!(required, used);
    // Levels are annotations from loadscope_level_info.
    let annotations = dashboard["annotations"]["list"].as_array().unwrap();
    assert!(
        annotations
            .iter()
            .any(|annotation| annotation["expr"].as_str().unwrap_or_default().contains("loadscope_level_info")),
        "{annotations:?}"
    );
}
