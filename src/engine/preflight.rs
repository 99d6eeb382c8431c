//! Preflight: each service's health check before the first level, so a run against a stack
//! that is down fails in a second with the URL, what came back and how to start it.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::plan::RunPlan;

/// The result of one health check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthReport {
    pub scenario: String,
    pub check: PreflightCheck,
    pub url: String,
    pub expected_status: u16,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub start_hint: Option<String>,
    pub elapsed_micros: u64,
    /// The start of the reply's body when the status was not the expected one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_start: Option<String>,
    /// Nothing listened at the address (so "start the service" is the advice).
    #[serde(default)]
    pub refused: bool,
}

/// What a preflight check asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PreflightCheck {
    /// GET of the service's health path.
    Health,
    /// An MCP session's tools/list, compared with the tools the preset calls.
    McpTools,
    /// A setup step of the preset.
    Setup,
}

impl HealthReport {
    /// Whether the service answered as expected.
    pub fn ok(&self) -> bool {
        match self.check {
            PreflightCheck::Health => self.error.is_none() && self.status == Some(self.expected_status),
            // Setup steps and tool lists judge their own replies and report an error when wrong.
            PreflightCheck::McpTools | PreflightCheck::Setup => self.error.is_none(),
        }
    }

    /// One line for people: what was asked, what came back, what to do.
    pub fn describe(&self) -> String {
        let outcome = match (&self.error, self.status) {
            (Some(error), _) => error.clone(),
            (None, Some(status)) if self.ok() => format!("HTTP {status} (ok)"),
            (None, Some(status)) => match &self.body_start {
                Some(body) => format!("HTTP {status}, expected {}: {body}", self.expected_status),
                None => format!("HTTP {status}, expected {}", self.expected_status),
            },
            (None, None) => "no answer".into(),
        };
        let asked = match self.check {
            PreflightCheck::Health => format!("GET {}", self.url),
            PreflightCheck::McpTools => format!("MCP tools/list at {}", self.url),
            PreflightCheck::Setup => self.url.clone(),
        };
        let mut line = format!("{}: {asked} -> {outcome}", self.scenario);
        if !self.ok() && self.check == PreflightCheck::Health && self.refused {
            match &self.start_hint {
                Some(hint) => line.push_str(&format!(". Start it with: {hint}")),
                None => line.push_str(". Is the service running? Check base_url, or pass --host"),
            }
        }
        line
    }
}

/// Installs rustls' ring provider for reqwest (once per process).
pub(crate) fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A client for everything off the hot path that no scenario's TLS settings apply to.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, super::protocols::ProtocolError> {
    install_crypto_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(concat!("loadscope/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|err| super::protocols::ProtocolError::Client(err.to_string()))
}

/// Checks every scenario that has a health path, all at once.
pub(crate) async fn check(plan: &RunPlan) -> Vec<HealthReport> {
    let services = plan.scenarios.iter().flat_map(|scenario| {
        scenario
            .compiled
            .services
            .iter()
            .enumerate()
            .map(move |(index, service)| (scenario, index, service))
    });
    let checks = services.filter_map(|(scenario, index, service)| {
        let health = service.health.clone()?;
        let name = match scenario.compiled.services.len() {
            1 => scenario.compiled.name.clone(),
            _ => format!("{} service {:?}", scenario.compiled.name, service.name),
        };
        // The service's own TLS settings (ca_file, tls_verify), as its requests will use.
        let client = scenario_client(Duration::from_secs(5), service);
        // The request carries the service's headers (an API key), as every request will.
        let headers = scenario.service_headers[index].clone();
        let secrets = scenario.secrets.clone();
        Some(async move {
            let started = Instant::now();
            let client = match client {
                Ok(client) => client,
                Err(error) => {
                    return HealthReport {
                        scenario: name,
                        check: PreflightCheck::Health,
                        url: secrets.redact(&health.url).into_owned(),
                        expected_status: health.expect_status,
                        status: None,
                        error: Some(error.to_string()),
                        start_hint: health.start_hint,
                        elapsed_micros: 0,
                        body_start: None,
                        refused: false,
                    };
                }
            };
            let result = client.get(&health.url).headers(headers).send().await;
            let mut refused = false;
            let (status, error, body_start) = match result {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body_start = if status == health.expect_status {
                        None
                    } else {
                        response
                            .bytes()
                            .await
                            .ok()
                            .map(|bytes| body_excerpt(&bytes, &secrets))
                            .filter(|text| !text.is_empty())
                    };
                    (Some(status), None, body_start)
                }
                Err(err) => {
                    refused = is_refused(&err);
                    (None, Some(describe_reqwest_error(&err)), None)
                }
            };
            HealthReport {
                scenario: name,
                check: PreflightCheck::Health,
                url: secrets.redact(&health.url).into_owned(),
                expected_status: health.expect_status,
                status,
                error: error.map(|error| secrets.redact(&error).into_owned()),
                start_hint: health.start_hint,
                elapsed_micros: started.elapsed().as_micros() as u64,
                body_start,
                refused,
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
    if reports.iter().all(HealthReport::ok) {
        for scenario in &plan.scenarios {
            reports.extend(check_mcp_tools(scenario).await);
        }
    }
    reports
}

/// For scenarios with MCP tasks: each MCP service's tools/list must offer every tool the
/// tasks call on it, and a service whose tools a chat offers must offer some.
async fn check_mcp_tools(scenario: &super::plan::ScenarioPlan) -> Vec<HealthReport> {
    let mut reports = Vec::new();
    for service in 0..scenario.compiled.services.len() {
        if let Some(report) = check_service_tools(scenario, service).await {
            reports.push(report);
        }
    }
    reports
}

async fn check_service_tools(scenario: &super::plan::ScenarioPlan, service: usize) -> Option<HealthReport> {
    use super::plan::Reply;
    let on_service = |task: &&super::plan::TaskPlan| task.service == service;
    let first = scenario
        .tasks
        .iter()
        .position(|task| task.service == service && matches!(task.reply, Reply::Mcp | Reply::ToolCalls))?;
    let wanted: Vec<&str> = scenario
        .tasks
        .iter()
        .filter(on_service)
        .filter_map(|task| task.mcp.as_ref().map(|call| call.tool.as_str()))
        .collect();
    let started = Instant::now();
    let url = scenario.compiled.services[service].base.url(crate::preset::compiled::MCP_PATH);
    let error = match super::protocols::mcp::session::list_tools(scenario, first).await {
        Err(why) => Some(why.to_string()),
        Ok(offered) if offered.is_empty() && wanted.is_empty() => {
            Some("tools/list offers no tools, so a chat with tools = ... would offer the model none; check the MCP server".to_string())
        }
        Ok(offered) => {
            let missing: Vec<&str> = wanted
                .iter()
                .copied()
                .filter(|tool| !offered.iter().any(|name| name == tool))
                .collect();
            (!missing.is_empty()).then(|| {
                format!(
                    "tools/list does not offer {} (the server has: {}); fix tool = \"...\" in the preset",
                    missing.iter().map(|tool| format!("{tool:?}")).collect::<Vec<_>>().join(", "),
                    offered.join(", ")
                )
            })
        }
    };
    Some(HealthReport {
        scenario: scenario.compiled.name.clone(),
        check: PreflightCheck::McpTools,
        url,
        expected_status: 200,
        status: Some(200),
        error: error.map(|error| scenario.secrets.redact(&error).into_owned()),
        start_hint: None,
        elapsed_micros: started.elapsed().as_micros() as u64,
        body_start: None,
        refused: false,
    })
}

/// A client for a service's off-path requests: its ca_file roots, and no verification when
/// the service says `tls_verify = false`.
pub(crate) fn scenario_client(
    timeout: Duration,
    service: &crate::preset::compiled::CompiledService,
) -> Result<reqwest::Client, super::protocols::ProtocolError> {
    tls_client(timeout, &service.extra_roots, service.tls_verify)
}

/// A client off the hot path with these extra roots, verifying certificates or not.
pub(crate) fn tls_client(
    timeout: Duration,
    extra_roots: &[rustls::pki_types::CertificateDer<'static>],
    verify: bool,
) -> Result<reqwest::Client, super::protocols::ProtocolError> {
    install_crypto_provider();
    let tls = super::protocols::tls::client_config(extra_roots, verify)?;
    reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(concat!("loadscope/", env!("CARGO_PKG_VERSION")))
        .tls_backend_preconfigured(tls)
        .build()
        .map_err(|err| super::protocols::ProtocolError::Client(err.to_string()))
}

/// The start of a reply body as one line (at most 200 characters), redacted before the cut.
fn body_excerpt(bytes: &[u8], secrets: &crate::preset::secrets::Secrets) -> String {
    let text: String = String::from_utf8_lossy(bytes).split_whitespace().collect::<Vec<_>>().join(" ");
    secrets.redact_and_cut(&text, 200)
}

fn causes(err: &reqwest::Error) -> Vec<String> {
    use std::error::Error as _;
    let mut found = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        found.push(cause.to_string());
        source = cause.source();
    }
    found
}

/// Whether nothing listened (connection refused): the one case where "start it" is advice.
fn is_refused(err: &reqwest::Error) -> bool {
    use std::error::Error as _;
    let mut source = err.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        source = cause.source();
    }
    err.is_connect() && causes(err).iter().any(|text| text.to_lowercase().contains("refused"))
}

pub(crate) fn describe_reqwest_error(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        return "no answer within 5s".into();
    }
    let chain = causes(err);
    let deepest = chain.last().cloned().unwrap_or_default();
    let certificate = chain
        .iter()
        .any(|text| text.contains("certificate") || text.contains("CaUsedAsEndEntity") || text.contains("UnknownIssuer"));
    let mut text = if err.is_connect() {
        format!("cannot connect ({deepest})")
    } else {
        deepest
    };
    if certificate {
        text.push_str(crate::engine::protocols::tls::TLS_FIXES);
    }
    text
}
