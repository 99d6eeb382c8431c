//! Resource monitors against real components: a Docker engine (containers made from a
//! busybox image, see scripts/docker-engine.sh), the demo stack's Prometheus `/metrics`, and
//! this machine. The GPU sampler's unavailable path is covered by unit tests; a machine with
//! an NVIDIA GPU runs scripts/gpu-check.sh.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;
use std::time::Duration;

use loadscope::testing::demo::{DemoConfig, DemoStack};
use loadscope::testing::monitor::docker::DockerSampler;
use loadscope::testing::monitor::{Availability, ContainerFilter, MonitorSettings, Monitors};

const IMAGE: &str = "loadscope-busybox:test";

/// The container tests take turns: CPU readings are only exact on a machine that is not
/// running the other tests' busy containers and load at the same time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn take_turn() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A container removed when the test ends, however it ends.
struct Container(String);

impl Container {
    fn start(name: &str, args: &[&str], command: &str) -> Container {
        let status = Command::new("docker")
            .args(["run", "-d", "--rm", "--network", "none", "--name", name])
            .args(args)
            .args([IMAGE, "sh", "-c", command])
            .output()
            .expect("the docker CLI runs: install it with scripts/docker-engine.sh");
        assert!(
            status.status.success(),
            "docker run failed (run scripts/docker-engine.sh first): {}",
            String::from_utf8_lossy(&status.stderr)
        );
        Container(name.to_string())
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple().to_string().get(..6).unwrap_or("x")
    )
}

/// `docker stats`'s memory column in bytes ("1.5MiB / 23.4GiB").
fn cli_memory_bytes(name: &str) -> f64 {
    let output = Command::new("docker")
        .args(["stats", "--no-stream", "--format", "{{.MemUsage}}", name])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let used = text.split('/').next().unwrap().trim().to_string();
    let (number, unit) = used.split_at(used.find(|c: char| c.is_ascii_alphabetic()).unwrap());
    let factor = match unit {
        "B" => 1.0,
        "KiB" | "kB" => 1024.0,
        "MiB" | "MB" => 1024.0 * 1024.0,
        "GiB" | "GB" => 1024.0 * 1024.0 * 1024.0,
        other => panic!("unknown unit {other} in {text:?}"),
    };
    number.parse::<f64>().unwrap() * factor
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn a_container_held_to_half_a_cpu_reads_fifty_percent_and_its_memory_matches_docker_stats() {
    let _turn = take_turn();
    let name = unique("ls-spin");
    let _container = Container::start(&name, &["--cpus", "0.5"], "while :; do :; done");
    runtime().block_on(async {
        let filter = ContainerFilter {
            name: Some(format!("^{name}$")),
            compose_project: None,
        };
        let mut sampler = DockerSampler::connect(filter).await.unwrap();
        assert!(
            sampler.sample().await.unwrap().is_empty(),
            "a container needs two readings for its rates"
        );
        let mut readings = Vec::new();
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let samples = sampler.sample().await.unwrap();
            assert_eq!(samples.len(), 1, "{samples:?}");
            readings.push(samples[0].clone());
        }
        for reading in &readings {
            assert!(
                (40.0..=60.0).contains(&reading.cpu_percent),
                "--cpus 0.5 should read 50% +/- 10: {reading:?}"
            );
            assert!(reading.mem_limit_bytes > 0);
        }
        let ours = readings.last().unwrap().mem_bytes as f64;
        let theirs = cli_memory_bytes(&name);
        assert!(
            (ours - theirs).abs() < 3.0 * 1024.0 * 1024.0,
            "memory {ours} B vs docker stats {theirs} B"
        );
        assert!(sampler.describe(1).contains("API 1."), "{}", sampler.describe(1));
    });
}

#[test]
fn a_container_that_stops_mid_sampling_drops_out_cleanly() {
    let _turn = take_turn();
    let prefix = unique("ls-stop");
    let keeps = Container::start(&format!("{prefix}-a"), &[], "while :; do sleep 1; done");
    let stops = Container::start(&format!("{prefix}-b"), &[], "while :; do sleep 1; done");
    let mut monitors = Monitors::start(MonitorSettings {
        gpu: false,
        host: false,
        containers: Some(ContainerFilter {
            name: Some(format!("^{prefix}-")),
            compose_project: None,
        }),
        prometheus: Vec::new(),
        interval_secs: 0.5,
    })
    .unwrap();
    let mut both = false;
    for _ in 0..20 {
        let report = monitors.recv_timeout(Duration::from_secs(10)).expect("a report");
        if report.sample.containers.len() == 2 {
            both = true;
            break;
        }
    }
    assert!(both, "both containers were sampled");
    drop(stops);
    let mut only_one = false;
    for _ in 0..20 {
        let report = monitors
            .recv_timeout(Duration::from_secs(10))
            .expect("reports go on after a container stops");
        assert!(
            matches!(report.status.containers, Availability::Available(_)),
            "{:?}",
            report.status.containers
        );
        let names: Vec<&str> = report.sample.containers.iter().map(|container| container.name.as_str()).collect();
        if names == [keeps.0.as_str()] {
            only_one = true;
            break;
        }
    }
    assert!(only_one, "the stopped container left the samples");
}

#[test]
fn a_run_puts_containers_host_and_prometheus_metrics_on_its_timeline() {
    let _turn = take_turn();
    let name = unique("ls-run");
    let _container = Container::start(&name, &["--cpus", "0.5"], "while :; do :; done");
    let stack = DemoStack::start(DemoConfig {
        base_port: 0,
        seed: Some(3),
        ..DemoConfig::default()
    })
    .unwrap();
    let [gateway, _, _] = stack.urls();
    let preset = format!(
        r#"
name = "monitored"

[monitors]
interval = "500ms"
containers = {{ name = "^{name}$" }}
prometheus = [{{ url = "{gateway}/metrics", metrics = ["demo_num_requests_running", "demo_gpu_slots"] }}]

[[scenario]]
name = "gateway"
think_time = "100ms"
[scenario.service]
base_url = "{gateway}"
[[scenario.task]]
name = "models"
path = "/v1/models"
[[scenario.level]]
name = "only"
users = 2
duration = "4s"
[[scenario.target]]
expr = "container_cpu_max < 90%"
[[scenario.target]]
expr = "host_cpu_max <= 100%"
"#
    );
    let (_dir, out) = common::out_path();
    let (record, events) = common::run_text(&preset, &out);
    let status = record.monitors.clone().expect("the run records what the monitors saw");
    assert!(matches!(status.containers, Availability::Available(_)), "{status:?}");
    assert!(matches!(status.host, Availability::Available(_)), "{status:?}");
    assert!(matches!(status.prometheus, Availability::Available(_)), "{status:?}");
    assert!(
        !matches!(status.gpu, Availability::Off),
        "GPU sampling is on by default: {status:?}"
    );

    let sampled: Vec<_> = record.series.iter().filter_map(|point| point.resources.as_ref()).collect();
    assert!(sampled.len() >= 3, "one sample a second on the timeline: {}", sampled.len());
    let last = sampled.last().unwrap();
    assert_eq!(last.containers.len(), 1);
    assert!((40.0..=60.0).contains(&last.containers[0].cpu_percent), "{:?}", last.containers[0]);
    assert!(last.host.as_ref().is_some_and(|host| host.mem_total_bytes > 0));
    let slots = last
        .metrics
        .iter()
        .find(|metric| metric.name == "demo_gpu_slots")
        .expect("the scraped gauge");
    assert_eq!(slots.value, 4.0);
    assert!(
        last.metrics
            .iter()
            .any(|metric| metric.name == "demo_num_requests_running{model_name=\"demo-llm\"}")
    );

    let level = &record.scenarios[0].levels[0];
    let peaks = level.resources.as_ref().expect("level peaks");
    assert!(
        peaks.container_cpu_max_percent.is_some_and(|cpu| (40.0..=65.0).contains(&cpu)),
        "{peaks:?}"
    );
    let container_verdict = level
        .verdicts
        .iter()
        .find(|verdict| verdict.target == "container_cpu_max < 90%")
        .unwrap();
    assert!(container_verdict.passed, "{container_verdict:?}");
    assert!(
        level
            .verdicts
            .iter()
            .any(|verdict| verdict.target == "host_cpu_max <= 100%" && verdict.passed)
    );

    let live = events.iter().rev().find_map(|event| match event {
        loadscope::testing::engine::Event::Snapshot(snapshot) => snapshot.resources.clone(),
        _ => None,
    });
    assert!(
        live.is_some_and(|sample| sample.containers.len() == 1),
        "live snapshots carry the latest sample"
    );
}

/// Exposition text as the Prometheus client library vLLM serves its metrics with writes it, in
/// both its formats (text 0.0.4 and OpenMetrics).
fn prometheus_client_text(openmetrics: bool) -> String {
    let script = format!(
        r#"
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest as text
from prometheus_client.openmetrics.exposition import generate_latest as openmetrics
registry = CollectorRegistry()
Gauge("vllm:num_requests_waiting", "Requests waiting", ["model_name"], registry=registry).labels("llama").set(3)
Gauge("vllm:gpu_cache_usage_perc", "KV cache use", ["model_name"], registry=registry).labels('say "hi"\n').set(0.42)
Counter("vllm:request_success", "Finished", ["finished_reason", "model_name"], registry=registry).labels("stop", "llama").inc(120)
Histogram("vllm:e2e_request_latency_seconds", "Latency", ["model_name"], registry=registry).labels("llama").observe(0.5)
print(({})(registry).decode(), end="")
"#,
        if openmetrics { "openmetrics" } else { "text" }
    );
    let output = Command::new(common::python_bin("python3"))
        .args(["-c", &script])
        .output()
        .expect("python3 runs: install prometheus_client with scripts/test-deps.sh");
    assert!(
        output.status.success(),
        "prometheus_client is missing (scripts/test-deps.sh installs it): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn real_prometheus_client_text_reads_as_the_chosen_values() {
    use loadscope::testing::monitor::prometheus::parse;
    for openmetrics in [false, true] {
        let text = prometheus_client_text(openmetrics);
        let wanted = ["vllm:num_requests_waiting", "vllm:gpu_cache_usage_perc"].map(String::from);
        let samples = parse(&text, &wanted).unwrap_or_else(|why| panic!("{why}\n{text}"));
        let names: Vec<(&str, f64)> = samples.iter().map(|sample| (sample.name.as_str(), sample.value)).collect();
        assert_eq!(
            names,
            vec![
                ("vllm:gpu_cache_usage_perc{model_name=\"say \"hi\"\n\"}", 0.42),
                ("vllm:num_requests_waiting{model_name=\"llama\"}", 3.0),
            ],
            "openmetrics: {openmetrics}\n{text}"
        );
        // Everything: the counter's count, never its _created time or the histogram's buckets.
        let all = parse(&text, &[]).unwrap();
        let success: Vec<&str> = all
            .iter()
            .filter(|sample| sample.name.contains("request_success"))
            .map(|sample| sample.name.as_str())
            .collect();
        let expected_counter = if openmetrics {
            "vllm:request_success{finished_reason=\"stop\",model_name=\"llama\"}"
        } else {
            "vllm:request_success_total{finished_reason=\"stop\",model_name=\"llama\"}"
        };
        assert!(success.contains(&expected_counter), "openmetrics: {openmetrics}: {success:?}");
        assert!(
            all.iter().all(|sample| !sample.name.contains("_bucket")),
            "no histogram buckets: {all:?}"
        );
        assert!(
            all.iter()
                .all(|sample| !sample.name.contains("request_success_created") || !openmetrics),
            "no counter creation times: {all:?}"
        );
    }
}
