//! Resource monitors: GPUs (NVML), containers (Docker engine API), the host Loadscope runs on,
//! and Prometheus endpoints of the target. A sampler thread takes one [`ResourceSample`] per
//! interval and reports it with each sampler's [`Availability`]; the engine puts the samples
//! on the run's timeline. Nothing here knows about the engine or the UI.

pub(crate) mod docker;
mod error;
pub(crate) mod exposition;
pub(crate) mod gpu;
pub(crate) mod host;
pub(crate) mod prometheus;
pub(crate) mod sampler;

use serde::{Deserialize, Serialize};

pub use error::MonitorError;
pub use sampler::{MonitorReport, Monitors};

/// What to sample (the preset's `[monitors]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorSettings {
    pub gpu: bool,
    pub host: bool,
    /// Containers to watch; None watches none.
    pub containers: Option<ContainerFilter>,
    pub prometheus: Vec<PrometheusEndpoint>,
    pub interval_secs: f64,
}

impl Default for MonitorSettings {
    fn default() -> Self {
        MonitorSettings {
            gpu: true,
            host: true,
            containers: None,
            prometheus: Vec::new(),
            interval_secs: 1.0,
        }
    }
}

/// Which containers to watch: names matching a regular expression and/or one Compose project.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compose_project: Option<String>,
}

/// A Prometheus text endpoint and the series to keep from it (all when empty).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrometheusEndpoint {
    pub url: String,
    #[serde(default)]
    pub metrics: Vec<String>,
}

/// Whether a sampler can see anything, and if not, why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", content = "detail", rename_all = "snake_case")]
pub enum Availability {
    /// Not asked for in the preset.
    Off,
    /// Working; the detail says what it sees ("1 GPU: NVIDIA H100").
    Available(String),
    /// Asked for but cannot sample; the reason says why and what to do.
    Unavailable(String),
}

impl Availability {
    pub fn describe(&self) -> String {
        match self {
            Availability::Off => "off".to_string(),
            Availability::Available(detail) => detail.clone(),
            Availability::Unavailable(reason) => format!("unavailable: {reason}"),
        }
    }
}

/// Each sampler's availability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorStatus {
    pub gpu: Availability,
    pub containers: Availability,
    pub host: Availability,
    pub prometheus: Availability,
}

impl Default for MonitorStatus {
    fn default() -> Self {
        MonitorStatus {
            gpu: Availability::Off,
            containers: Availability::Off,
            host: Availability::Off,
            prometheus: Availability::Off,
        }
    }
}

/// One GPU at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GpuSample {
    pub index: u32,
    pub name: String,
    pub util_percent: f64,
    pub mem_util_percent: f64,
    pub mem_used_bytes: u64,
    pub mem_total_bytes: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature_celsius: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_watts: Option<f64>,
}

impl GpuSample {
    /// Memory used as a share of the total, in percent.
    pub fn mem_used_percent(&self) -> f64 {
        if self.mem_total_bytes == 0 {
            0.0
        } else {
            self.mem_used_bytes as f64 * 100.0 / self.mem_total_bytes as f64
        }
    }
}

/// One container over the last interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerSample {
    pub name: String,
    /// As `docker stats` computes it: 100% is one CPU fully busy.
    pub cpu_percent: f64,
    /// Usage without the inactive file cache, as `docker stats` shows it.
    pub mem_bytes: u64,
    pub mem_limit_bytes: u64,
    pub net_rx_bytes_per_sec: f64,
    pub net_tx_bytes_per_sec: f64,
    pub block_read_bytes_per_sec: f64,
    pub block_write_bytes_per_sec: f64,
}

/// The machine Loadscope runs on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostSample {
    pub cpu_percent: f64,
    pub mem_used_bytes: u64,
    pub mem_total_bytes: u64,
}

/// One scraped value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSample {
    /// The series name with its labels, as Prometheus writes it.
    pub name: String,
    pub value: f64,
}

/// Everything sampled in one round.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceSample {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gpus: Vec<GpuSample>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<ContainerSample>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<HostSample>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<MetricSample>,
}

impl ResourceSample {
    pub fn gpu_util_max(&self) -> Option<f64> {
        self.gpus.iter().map(|gpu| gpu.util_percent).reduce(f64::max)
    }

    pub fn gpu_mem_max(&self) -> Option<f64> {
        self.gpus.iter().map(GpuSample::mem_used_percent).reduce(f64::max)
    }

    pub fn container_cpu_max(&self) -> Option<f64> {
        self.containers.iter().map(|container| container.cpu_percent).reduce(f64::max)
    }

    pub fn host_cpu(&self) -> Option<f64> {
        self.host.as_ref().map(|host| host.cpu_percent)
    }

    /// The container using the most CPU.
    pub fn busiest_container(&self) -> Option<&ContainerSample> {
        self.containers.iter().max_by(|a, b| a.cpu_percent.total_cmp(&b.cpu_percent))
    }
}

/// The highest resource readings over a level, for targets and reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourcePeaks {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_util_max_percent: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_mem_max_percent: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_cpu_max_percent: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_cpu_max_percent: Option<f64>,
}

impl ResourcePeaks {
    /// Takes in one sample.
    pub fn add(&mut self, sample: &ResourceSample) {
        fn raise(slot: &mut Option<f64>, value: Option<f64>) {
            if let Some(value) = value {
                *slot = Some(slot.map_or(value, |known| known.max(value)));
            }
        }
        raise(&mut self.gpu_util_max_percent, sample.gpu_util_max());
        raise(&mut self.gpu_mem_max_percent, sample.gpu_mem_max());
        raise(&mut self.container_cpu_max_percent, sample.container_cpu_max());
        raise(&mut self.host_cpu_max_percent, sample.host_cpu());
    }

    pub fn is_empty(&self) -> bool {
        *self == ResourcePeaks::default()
    }
}
