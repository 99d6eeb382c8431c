//! `loadscope probe`: what each resource monitor can see right now, with one sample each, and
//! why a monitor is unavailable. Exit 0 whatever is unavailable (no GPU is a normal state).

use super::{EXIT_BAD_INPUT, EXIT_PASSED, ProbeArgs};
use crate::format;
use crate::monitor::sampler::probe as take_probe;
use crate::monitor::{Availability, ContainerFilter, MonitorSettings, MonitorStatus, PrometheusEndpoint, ResourceSample};

/// Runs `loadscope probe` and returns the exit code.
pub(crate) fn probe(args: ProbeArgs) -> u8 {
    if let Some(pattern) = &args.containers
        && let Err(err) = regex::Regex::new(pattern)
    {
        eprintln!("--containers {pattern:?}: not a valid regular expression: {err}");
        return EXIT_BAD_INPUT;
    }
    for url in &args.prometheus {
        if let Err(why) = crate::preset::compiled::BaseUrl::parse(url) {
            eprintln!("--prometheus {url:?}: {why}");
            return EXIT_BAD_INPUT;
        }
    }
    let settings = MonitorSettings {
        gpu: true,
        host: true,
        // Without a filter, probe looks at every running container.
        containers: Some(ContainerFilter {
            name: args.containers.clone(),
            compose_project: args.compose_project.clone(),
        }),
        prometheus: args
            .prometheus
            .iter()
            .map(|url| PrometheusEndpoint {
                url: url.clone(),
                metrics: Vec::new(),
            })
            .collect(),
        interval_secs: 1.0,
    };
    match take_probe(settings) {
        Ok(report) if args.json => {
            super::json::print(&super::json::ProbeDocument {
                kind: "probe",
                version: super::json::JSON_VERSION,
                monitors: &report.status,
                sample: &report.sample,
            });
            EXIT_PASSED
        }
        Ok(report) => {
            for line in status_lines(&report.status) {
                println!("{line}");
            }
            for line in sample_lines(&report.sample) {
                println!("{line}");
            }
            EXIT_PASSED
        }
        Err(err) => {
            eprintln!("probe: {err}");
            EXIT_BAD_INPUT
        }
    }
}

/// One line per monitor: what it sees or why it cannot.
pub(crate) fn status_lines(status: &MonitorStatus) -> Vec<String> {
    [
        ("GPU", &status.gpu),
        ("Containers", &status.containers),
        ("Host", &status.host),
        ("Prometheus", &status.prometheus),
    ]
    .into_iter()
    .map(|(name, availability)| {
        let mark = match availability {
            Availability::Available(_) => "ok  ",
            Availability::Unavailable(_) => "--  ",
            Availability::Off => "off ",
        };
        format!("{mark}{name:<11} {}", availability.describe())
    })
    .collect()
}

fn sample_lines(sample: &ResourceSample) -> Vec<String> {
    let gib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0 * 1024.0);
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    let mut lines = Vec::new();
    for gpu in &sample.gpus {
        lines.push(format!(
            "GPU {} {}: util {}, memory {:.1} / {:.1} GiB ({}){}{}",
            gpu.index,
            gpu.name,
            format::whole_percent(gpu.util_percent),
            gib(gpu.mem_used_bytes),
            gib(gpu.mem_total_bytes),
            format::whole_percent(gpu.mem_used_percent()),
            gpu.temperature_celsius.map(|t| format!(", {t:.0} °C")).unwrap_or_default(),
            gpu.power_watts.map(|w| format!(", {w:.0} W")).unwrap_or_default(),
        ));
    }
    for container in &sample.containers {
        lines.push(format!(
            "container {}: CPU {}, memory {:.1} MiB / {:.1} MiB, net rx {} B/s tx {} B/s",
            container.name,
            format::percent(container.cpu_percent),
            mib(container.mem_bytes),
            mib(container.mem_limit_bytes),
            format::whole(container.net_rx_bytes_per_sec),
            format::whole(container.net_tx_bytes_per_sec)
        ));
    }
    if let Some(host) = &sample.host {
        lines.push(format!(
            "host: CPU {}, memory {:.1} / {:.1} GiB",
            format::percent(host.cpu_percent),
            gib(host.mem_used_bytes),
            gib(host.mem_total_bytes)
        ));
    }
    for metric in &sample.metrics {
        lines.push(format!("metric {} = {}", metric.name, metric.value));
    }
    lines
}
