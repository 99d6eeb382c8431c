//! The sampler thread: opens each sampler the settings ask for, then every interval takes one
//! [`ResourceSample`] and sends it, with each sampler's availability, to whoever drains the
//! channel (the engine's controller, or `loadscope probe`). It runs on its own named thread
//! and runtime, so a slow Docker engine or exporter never delays the load.

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

use super::docker::DockerSampler;
use super::gpu::GpuSampler;
use super::host::HostSampler;
use super::{Availability, MonitorSettings, MonitorStatus, ResourceSample, prometheus};

/// One sampling round.
#[derive(Debug, Clone)]
pub struct MonitorReport {
    pub status: MonitorStatus,
    pub sample: ResourceSample,
    /// When the round finished.
    pub taken_at: Instant,
}

/// A running sampler thread; dropping it stops the thread.
pub struct Monitors {
    reports: mpsc::UnboundedReceiver<MonitorReport>,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl Monitors {
    /// Starts sampling every `settings.interval_secs`.
    pub fn start(settings: MonitorSettings) -> std::io::Result<Monitors> {
        let (report_tx, reports) = mpsc::unbounded_channel();
        let (stop, stop_rx) = watch::channel(false);
        let thread = std::thread::Builder::new().name("loadscope-monitors".into()).spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => runtime,
                Err(_) => return,
            };
            runtime.block_on(sample_loop(settings, report_tx, stop_rx));
        })?;
        Ok(Monitors {
            reports,
            stop,
            thread: Some(thread),
        })
    }

    /// The next report, waiting for it.
    pub async fn recv(&mut self) -> Option<MonitorReport> {
        self.reports.recv().await
    }

    /// A report, if one is waiting.
    pub fn try_recv(&mut self) -> Option<MonitorReport> {
        self.reports.try_recv().ok()
    }

    /// The next report, waiting up to `timeout` (for callers off any runtime).
    pub fn recv_timeout(&mut self, timeout: Duration) -> Option<MonitorReport> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(report) = self.try_recv() {
                return Some(report);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Monitors {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The samplers the settings asked for, opened.
struct Samplers {
    settings: MonitorSettings,
    gpu: Option<GpuSampler>,
    docker: Option<DockerSampler>,
    host: Option<HostSampler>,
    http: Option<reqwest::Client>,
    status: MonitorStatus,
}

impl Samplers {
    async fn open(settings: MonitorSettings) -> Samplers {
        let mut status = MonitorStatus::default();
        let gpu = if settings.gpu {
            match GpuSampler::open() {
                Ok(sampler) => {
                    status.gpu = Availability::Available(sampler.describe());
                    Some(sampler)
                }
                Err(reason) => {
                    status.gpu = Availability::Unavailable(reason.to_string());
                    None
                }
            }
        } else {
            None
        };
        let host = if settings.host {
            match HostSampler::new() {
                Ok(sampler) => {
                    status.host = Availability::Available("this machine (CPU, memory)".into());
                    Some(sampler)
                }
                Err(reason) => {
                    status.host = Availability::Unavailable(reason.to_string());
                    None
                }
            }
        } else {
            None
        };
        let http = (!settings.prometheus.is_empty()).then(|| {
            // reqwest is built without a default TLS provider; the engine uses ring.
            let _ = rustls::crypto::ring::default_provider().install_default();
            status.prometheus = Availability::Available(format!("{} endpoint(s)", settings.prometheus.len()));
            reqwest::Client::builder()
                .timeout(Duration::from_secs(2))
                .build()
                .unwrap_or_else(|_| reqwest::Client::new())
        });
        let mut samplers = Samplers {
            settings,
            gpu,
            docker: None,
            host,
            http,
            status,
        };
        samplers.connect_docker().await;
        samplers
    }

    async fn connect_docker(&mut self) {
        let Some(filter) = self.settings.containers.clone() else { return };
        match DockerSampler::connect(filter).await {
            Ok(sampler) => {
                self.status.containers = Availability::Available(sampler.describe(0));
                self.docker = Some(sampler);
            }
            Err(reason) => self.status.containers = Availability::Unavailable(reason.to_string()),
        }
    }

    async fn sample(&mut self) -> ResourceSample {
        let mut sample = ResourceSample::default();
        if let Some(gpu) = &self.gpu {
            sample.gpus = gpu.sample();
        }
        if let Some(host) = &mut self.host {
            sample.host = Some(host.sample());
        }
        if self.settings.containers.is_some() && self.docker.is_none() {
            // The engine was down: try again each round, so it joins when it comes up.
            self.connect_docker().await;
        }
        if let Some(docker) = &mut self.docker {
            match docker.sample().await {
                Ok(containers) => {
                    self.status.containers = Availability::Available(docker.describe(containers.len()));
                    sample.containers = containers;
                }
                Err(reason) => self.status.containers = Availability::Unavailable(reason.to_string()),
            }
        }
        if let Some(client) = &self.http {
            let mut failures = Vec::new();
            for endpoint in &self.settings.prometheus {
                match prometheus::scrape(client, endpoint).await {
                    Ok(mut metrics) => sample.metrics.append(&mut metrics),
                    Err(reason) => failures.push(reason.to_string()),
                }
            }
            self.status.prometheus = if failures.is_empty() {
                Availability::Available(format!(
                    "{} endpoint(s), {} series",
                    self.settings.prometheus.len(),
                    sample.metrics.len()
                ))
            } else {
                Availability::Unavailable(failures.join("; "))
            };
        }
        sample
    }
}

async fn sample_loop(settings: MonitorSettings, reports: mpsc::UnboundedSender<MonitorReport>, mut stop: watch::Receiver<bool>) {
    let interval = Duration::from_secs_f64(settings.interval_secs.clamp(0.1, 60.0));
    let mut samplers = Samplers::open(settings).await;
    // The first round waits one interval: CPU figures (host and containers) are differences
    // between two readings, and a reading taken right after opening would cover milliseconds.
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let sample = samplers.sample().await;
                let report = MonitorReport { status: samplers.status.clone(), sample, taken_at: Instant::now() };
                if reports.send(report).is_err() {
                    return;
                }
            }
            _ = stop.changed() => return,
        }
    }
}

/// What each sampler can see right now: two rounds one interval apart (CPU and container
/// rates need two readings), for `loadscope probe`.
pub(crate) fn probe(settings: MonitorSettings) -> std::io::Result<MonitorReport> {
    let wait = Duration::from_secs_f64(settings.interval_secs.clamp(0.1, 60.0) * 3.0 + 10.0);
    let mut monitors = Monitors::start(settings)?;
    let _first = monitors.recv_timeout(wait);
    monitors
        .recv_timeout(wait)
        .ok_or_else(|| std::io::Error::other("the samplers did not report in time"))
}
