//! Containers through the Docker engine API (bollard): the containers that match a name
//! pattern or a Compose project, each with CPU % computed as the docker CLI computes it,
//! memory without the inactive file cache, and network and block I/O rates. Counters are
//! differenced between this sampler's own consecutive readings, so a container appears from
//! its second reading and disappears when it stops.

use super::error::MonitorError;
use std::collections::HashMap;
use std::time::Instant;

use bollard::Docker;
use bollard::models::ContainerStatsResponse;
use bollard::query_parameters::{ListContainersOptionsBuilder, StatsOptionsBuilder};
use futures_util::StreamExt;
use regex::Regex;

use super::{ContainerFilter, ContainerSample};

/// The label Docker Compose puts on a project's containers.
pub(crate) const COMPOSE_PROJECT_LABEL: &str = "com.docker.compose.project";

/// Counters of one container at one reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Counters {
    pub cpu_total: u64,
    pub system_cpu: u64,
    pub online_cpus: u32,
    pub net_rx: u64,
    pub net_tx: u64,
    pub block_read: u64,
    pub block_write: u64,
    pub at: Instant,
}

/// CPU % between two readings, as `docker stats` computes it: the container's CPU time delta
/// over the host's CPU time delta, times the online CPUs, times 100.
pub(crate) fn cpu_percent(previous: &Counters, current: &Counters) -> f64 {
    let cpu_delta = current.cpu_total.saturating_sub(previous.cpu_total) as f64;
    let system_delta = current.system_cpu.saturating_sub(previous.system_cpu) as f64;
    if system_delta <= 0.0 {
        return 0.0;
    }
    cpu_delta / system_delta * f64::from(current.online_cpus.max(1)) * 100.0
}

/// Memory as `docker stats` shows it: usage minus the inactive file cache (`total_inactive_file`
/// on cgroup v1, `inactive_file` on cgroup v2).
pub(crate) fn memory_without_cache(usage: u64, stats: Option<&HashMap<String, u64>>) -> u64 {
    let cache = stats.and_then(|stats| {
        stats
            .get("total_inactive_file")
            .filter(|value| **value < usage)
            .or_else(|| stats.get("inactive_file").filter(|value| **value < usage))
            .copied()
    });
    usage - cache.unwrap_or(0)
}

fn counters(stats: &ContainerStatsResponse, at: Instant) -> Counters {
    let cpu = stats.cpu_stats.as_ref();
    let usage = cpu.and_then(|cpu| cpu.cpu_usage.as_ref());
    let online_cpus = cpu
        .and_then(|cpu| cpu.online_cpus)
        .filter(|cpus| *cpus > 0)
        .or_else(|| usage.and_then(|usage| usage.percpu_usage.as_ref()).map(|per| per.len() as u32))
        .unwrap_or(1);
    let (net_rx, net_tx) = stats
        .networks
        .as_ref()
        .map(|networks| {
            networks.values().fold((0, 0), |(rx, tx), network| {
                (rx + network.rx_bytes.unwrap_or(0), tx + network.tx_bytes.unwrap_or(0))
            })
        })
        .unwrap_or((0, 0));
    let (block_read, block_write) = stats
        .blkio_stats
        .as_ref()
        .and_then(|blkio| blkio.io_service_bytes_recursive.as_ref())
        .map(|entries| {
            entries.iter().fold((0, 0), |(read, write), entry| {
                match entry.op.as_deref().map(str::to_ascii_lowercase).as_deref() {
                    Some("read") => (read + entry.value.unwrap_or(0), write),
                    Some("write") => (read, write + entry.value.unwrap_or(0)),
                    _ => (read, write),
                }
            })
        })
        .unwrap_or((0, 0));
    Counters {
        cpu_total: usage.and_then(|usage| usage.total_usage).unwrap_or(0),
        system_cpu: cpu.and_then(|cpu| cpu.system_cpu_usage).unwrap_or(0),
        online_cpus,
        net_rx,
        net_tx,
        block_read,
        block_write,
        at,
    }
}

/// A connection to the Docker engine and the previous reading of each watched container.
pub struct DockerSampler {
    docker: Docker,
    filter: ContainerFilter,
    name_pattern: Option<Regex>,
    previous: HashMap<String, Counters>,
    api_version: String,
}

impl DockerSampler {
    /// Connects through `DOCKER_HOST` or the default socket and agrees on an API version.
    pub async fn connect(filter: ContainerFilter) -> Result<DockerSampler, MonitorError> {
        let name_pattern = match &filter.name {
            Some(pattern) => Some(Regex::new(pattern).map_err(|err| MonitorError::BadPattern {
                pattern: pattern.clone(),
                why: err.to_string(),
            })?),
            None => None,
        };
        let docker = Docker::connect_with_defaults().map_err(|err| MonitorError::DockerUnreachable(err.to_string()))?;
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|err| MonitorError::DockerNoAnswer(err.to_string()))?;
        let api_version = docker.client_version().to_string();
        Ok(DockerSampler {
            docker,
            filter,
            name_pattern,
            previous: HashMap::new(),
            api_version,
        })
    }

    /// What the sampler watches, for the status line.
    pub fn describe(&self, watched: usize) -> String {
        let what = match (&self.filter.name, &self.filter.compose_project) {
            (Some(name), Some(project)) => format!("names ~ {name:?} in project {project:?}"),
            (Some(name), None) => format!("names ~ {name:?}"),
            (None, Some(project)) => format!("Compose project {project:?}"),
            (None, None) => "all running containers".to_string(),
        };
        format!("Docker API {}: {watched} container(s), {what}", self.api_version)
    }

    /// The running containers that match, as `(id, name)`.
    pub async fn matching(&self) -> Result<Vec<(String, String)>, MonitorError> {
        let mut filters: HashMap<String, Vec<String>> = HashMap::new();
        filters.insert("status".into(), vec!["running".into()]);
        if let Some(project) = &self.filter.compose_project {
            filters.insert("label".into(), vec![format!("{COMPOSE_PROJECT_LABEL}={project}")]);
        }
        let options = ListContainersOptionsBuilder::new().all(false).filters(&filters).build();
        let containers = self
            .docker
            .list_containers(Some(options))
            .await
            .map_err(|err| MonitorError::DockerList(err.to_string()))?;
        Ok(containers
            .into_iter()
            .filter_map(|container| {
                let id = container.id?;
                let name = container
                    .names
                    .and_then(|names| names.into_iter().next())
                    .map(|name| name.trim_start_matches('/').to_string())
                    .unwrap_or_else(|| id.chars().take(12).collect());
                let wanted = self.name_pattern.as_ref().is_none_or(|pattern| pattern.is_match(&name));
                wanted.then_some((id, name))
            })
            .collect())
    }

    /// One reading of every matching container; containers seen for the first time join from
    /// the next reading (their rates need two).
    pub async fn sample(&mut self) -> Result<Vec<ContainerSample>, MonitorError> {
        let containers = self.matching().await?;
        let mut readings = tokio::task::JoinSet::new();
        for (id, name) in containers {
            let docker = self.docker.clone();
            readings.spawn(async move {
                let options = StatsOptionsBuilder::new().stream(false).one_shot(true).build();
                let mut stream = docker.stats(&id, Some(options));
                let reading = stream.next().await;
                (id, name, reading, Instant::now())
            });
        }
        let mut samples = Vec::new();
        let mut seen = HashMap::new();
        while let Some(joined) = readings.join_next().await {
            let Ok((id, name, Some(Ok(stats)), at)) = joined else { continue };
            let current = counters(&stats, at);
            if let Some(previous) = self.previous.get(&id) {
                let elapsed = current.at.duration_since(previous.at).as_secs_f64().max(1e-3);
                let rate = |now: u64, before: u64| now.saturating_sub(before) as f64 / elapsed;
                let memory = stats.memory_stats.as_ref();
                samples.push(ContainerSample {
                    name,
                    cpu_percent: cpu_percent(previous, &current),
                    mem_bytes: memory_without_cache(
                        memory.and_then(|memory| memory.usage).unwrap_or(0),
                        memory.and_then(|memory| memory.stats.as_ref()),
                    ),
                    mem_limit_bytes: memory.and_then(|memory| memory.limit).unwrap_or(0),
                    net_rx_bytes_per_sec: rate(current.net_rx, previous.net_rx),
                    net_tx_bytes_per_sec: rate(current.net_tx, previous.net_tx),
                    block_read_bytes_per_sec: rate(current.block_read, previous.block_read),
                    block_write_bytes_per_sec: rate(current.block_write, previous.block_write),
                });
            }
            seen.insert(id, current);
        }
        // Containers that stopped are forgotten, so one that restarts starts afresh.
        self.previous = seen;
        samples.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(samples)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(cpu_total: u64, system_cpu: u64, online_cpus: u32) -> Counters {
        Counters {
            cpu_total,
            system_cpu,
            online_cpus,
            net_rx: 0,
            net_tx: 0,
            block_read: 0,
            block_write: 0,
            at: Instant::now(),
        }
    }

    #[test]
    fn cpu_percent_matches_the_docker_cli_formula() {
        // Half a CPU for a second on a 2-CPU host: the host counted 2 s of CPU time.
        let before = reading(0, 0, 2);
        let after = reading(500_000_000, 2_000_000_000, 2);
        assert!((cpu_percent(&before, &after) - 50.0).abs() < 1e-9);
        assert_eq!(cpu_percent(&after, &after), 0.0, "no host time, no percentage");
    }

    #[test]
    fn memory_leaves_out_the_inactive_file_cache() {
        let v2: HashMap<String, u64> = [("inactive_file".to_string(), 30)].into();
        assert_eq!(memory_without_cache(100, Some(&v2)), 70);
        let v1: HashMap<String, u64> = [("total_inactive_file".to_string(), 40), ("inactive_file".to_string(), 10)].into();
        assert_eq!(memory_without_cache(100, Some(&v1)), 60);
        assert_eq!(memory_without_cache(100, None), 100);
        let bigger: HashMap<String, u64> = [("inactive_file".to_string(), 300)].into();
        assert_eq!(memory_without_cache(100, Some(&bigger)), 100);
    }
}
