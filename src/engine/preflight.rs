//! Preflight: each service's health check before the first level, so a run against a stack
//! that is down fails in a second with the URL, what came back and how to start it.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::plan::RunPlan;

/// The result of one health check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthReport {
    pub scenario: String,
    pub url: String,
    pub expected_status: u16,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub start_hint: Option<String>,
    pub elapsed_micros: u64,
}

impl HealthReport {
    /// Whether the service answered as expected.
    pub fn ok(&self) -> bool {
        self.error.is_none() && self.status == Some(self.expected_status)
    }

    /// One line for people: what was asked, what came back, what to do.
    pub fn describe(&self) -> String {
        let outcome = match (&self.error, self.status) {
            (Some(error), _) => error.clone(),
            (None, Some(status)) if status == self.expected_status => format!("HTTP {status} (ok)"),
            (None, Some(status)) => format!("HTTP {status}, expected {}", self.expected_status),
            (None, None) => "no answer".into(),
        };
        let mut line = format!("{}: GET {} -> {outcome}", self.scenario, self.url);
        if !self.ok() {
            match &self.start_hint {
                Some(hint) => line.push_str(&format!(". Start it with: {hint}")),
                None => line.push_str(". Is the service running? Check base_url, or pass --host"),
            }
        }
        line
    }
}

/// Installs rustls' ring provider for reqwest (once per process).
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A client for everything off the hot path.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, String> {
    install_crypto_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(concat!("loadscope/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|err| format!("cannot build an HTTP client: {err}"))
}

/// Checks every scenario that has a health path, all at once.
pub async fn check(plan: &RunPlan) -> Vec<HealthReport> {
    let client = match http_client(Duration::from_secs(5)) {
        Ok(client) => client,
        Err(error) => {
            return plan
                .scenarios
                .iter()
                .filter_map(|scenario| scenario.compiled.health.as_ref().map(|health| (scenario, health)))
                .map(|(scenario, health)| HealthReport {
                    scenario: scenario.compiled.name.clone(),
                    url: health.url.clone(),
                    expected_status: health.expect_status,
                    status: None,
                    error: Some(error.clone()),
                    start_hint: health.start_hint.clone(),
                    elapsed_micros: 0,
                })
                .collect();
        }
    };
    let checks = plan.scenarios.iter().filter_map(|scenario| {
        let health = scenario.compiled.health.clone()?;
        let name = scenario.compiled.name.clone();
        let client = client.clone();
        Some(async move {
            let started = Instant::now();
            let result = client.get(&health.url).send().await;
            let (status, error) = match result {
                Ok(response) => (Some(response.status().as_u16()), None),
                Err(err) => (None, Some(describe_reqwest_error(&err))),
            };
            HealthReport {
                scenario: name,
                url: health.url,
                expected_status: health.expect_status,
                status,
                error,
                start_hint: health.start_hint,
                elapsed_micros: started.elapsed().as_micros() as u64,
            }
        })
    });
    let handles: Vec<_> = checks.map(tokio::spawn).collect();
    let mut reports = Vec::new();
    for handle in handles {
        if let Ok(report) = handle.await {
            reports.push(report);
        }
    }
    reports
}

fn describe_reqwest_error(err: &reqwest::Error) -> String {
    use std::error::Error as _;
    if err.is_timeout() {
        return "no answer within 5s".into();
    }
    let mut deepest = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        deepest = cause.to_string();
        source = cause.source();
    }
    if err.is_connect() {
        format!("cannot connect ({deepest})")
    } else {
        deepest
    }
}
