//! A compiled preset: what passed every check, in the shape the engine plans from. Types only;
//! `compile` builds them and the engine's protocol code sends and judges what they describe.

use std::sync::Arc;
use std::time::Duration;

use hyper::http::{Method, Uri};
use minijinja::Environment;
use serde::{Deserialize, Serialize};

use super::diagnostic::Diagnostic;
use super::model::{ExpectStatus, McpSettings, Preset, ThinkTime};
use crate::measure::{LoadModel, TargetExpr};

/// A preset that passed every check.
#[derive(Debug, Clone)]
pub struct CompiledPreset {
    /// Display name (the preset's `name`, else its file stem).
    pub name: String,
    /// Where it came from: a path or `shipped:NAME`.
    pub source: String,
    /// The model as written (with any command-line overrides applied).
    pub document: Preset,
    pub scenarios: Vec<CompiledScenario>,
    /// What the monitors sample during the run.
    pub monitors: crate::monitor::MonitorSettings,
    /// Where to serve `/metrics` during the run (`[export] metrics_addr`, or `--metrics-addr`).
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// After a run stopped by a signal, the longest wait for Prometheus's last scrape
    /// (`[export] final_scrape_wait`).
    pub final_scrape_wait: std::time::Duration,
}

impl CompiledScenario {
    /// Each task whose dataset passed over entries, with its dataset and what was passed over
    /// ("skipped 37 of 90,000 conversations (no user turn)"): `validate` prints them, and a
    /// run keeps them as warnings (`engine::RunWarning::DatasetSkipped` words them).
    pub fn skipped_datasets(&self) -> impl Iterator<Item = (&CompiledTask, &CompiledDataset, &str)> {
        self.tasks.iter().filter_map(|task| {
            let dataset = task.chat.as_ref()?.dataset.as_ref()?;
            let note = dataset.skipped_note.as_deref()?;
            Some((task, dataset, note))
        })
    }
}

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Http,
    Https,
}

/// A parsed base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    pub scheme: Scheme,
    pub host: String,
    pub port: u16,
    /// Path prefix without a trailing slash ("" for none).
    pub path_prefix: String,
    /// The URL for display and for files: as written, with any password as `***`.
    pub text: String,
    /// `user:password@` before the host, as written (either may hold `${VAR}`): sent as Basic
    /// credentials, as curl and k6 do, and never shown.
    pub credentials: Option<(String, String)>,
}

/// Why a `base_url` is not one (the URL shown with its password masked).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BaseUrlError {
    #[error("base_url {shown:?} is not a URL ({why}); write e.g. \"http://localhost:8000\"")]
    NotAUrl { shown: String, why: String },
    #[error("base_url {shown:?}: scheme {scheme:?} is not supported (use http or https)")]
    Scheme { shown: String, scheme: String },
    #[error("base_url {0:?} has no scheme; write e.g. \"http://{0}\"")]
    NoScheme(String),
    #[error("base_url {0:?} has no host")]
    NoHost(String),
    #[error("base_url {0:?} has a query string; put queries in the task's path")]
    Query(String),
}

impl BaseUrl {
    /// Parses `http(s)://[user[:password]@]host[:port][/prefix]`.
    pub fn parse(text: &str) -> Result<BaseUrl, BaseUrlError> {
        let (credentials, without) = split_credentials(text);
        let shown = mask_password(text);
        let uri: Uri = without.parse().map_err(|err: hyper::http::uri::InvalidUri| BaseUrlError::NotAUrl {
            shown: shown.clone(),
            why: err.to_string(),
        })?;
        let text = shown.as_str();
        let scheme = match uri.scheme_str() {
            Some("http") => Scheme::Http,
            Some("https") => Scheme::Https,
            Some(other) => {
                return Err(BaseUrlError::Scheme {
                    shown: text.to_string(),
                    scheme: other.to_string(),
                });
            }
            None => return Err(BaseUrlError::NoScheme(text.to_string())),
        };
        let host = uri
            .host()
            .ok_or_else(|| BaseUrlError::NoHost(text.to_string()))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = uri.port_u16().unwrap_or(match scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
        });
        if uri.query().is_some() {
            return Err(BaseUrlError::Query(text.to_string()));
        }
        Ok(BaseUrl {
            scheme,
            host,
            port,
            path_prefix: uri.path().trim_end_matches('/').to_string(),
            text: text.to_string(),
            credentials,
        })
    }

    /// `host:port` as the Host header wants it.
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let default_port = match self.scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
        };
        if self.port == default_port {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// The full URL of a path below this base.
    pub fn url(&self, path: &str) -> String {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        format!("{scheme}://{}{}{}", self.authority(), self.path_prefix, path)
    }
}

/// `scheme://user:password@rest` split into the credentials (user, password; "" when there is
/// no `:`) and the URL without them. A `${VAR}` in the password may hold `@` or `/` once
/// resolved, so the user info ends at the last `@` before the path.
pub(crate) fn split_credentials(text: &str) -> (Option<(String, String)>, String) {
    let Some((scheme, rest)) = text.split_once("://") else {
        return (None, text.to_string());
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    // `${...}` may hold characters that end an authority; look past references.
    let authority_end = match rest[..authority_end].rfind("${") {
        Some(open) => rest[open..].find('}').map_or(authority_end, |close| {
            let after = open + close + 1;
            after + rest[after..].find(['/', '?', '#']).unwrap_or(rest.len() - after)
        }),
        None => authority_end,
    };
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return (None, text.to_string());
    };
    let userinfo = &authority[..at];
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    (
        Some((user.to_string(), password.to_string())),
        format!("{scheme}://{}{}", &authority[at + 1..], &rest[authority_end..]),
    )
}

/// A URL as it may be shown and stored: any password in its user info as `***`.
pub(crate) fn mask_password(text: &str) -> String {
    match split_credentials(text) {
        (Some((user, password)), without) if !password.is_empty() => {
            let (scheme, rest) = without.split_once("://").unwrap_or(("http", &without));
            format!("{scheme}://{user}:***@{rest}")
        }
        _ => text.to_string(),
    }
}

/// One scenario, ready to run.
#[derive(Debug, Clone)]
pub struct CompiledScenario {
    pub name: String,
    /// The services it loads: the one `[scenario.service]`, or each of `[scenario.services]`
    /// by name. Never empty; tasks and steps hold an index into it.
    pub services: Vec<CompiledService>,
    pub think_time: ThinkTime,
    pub timeout: Duration,
    /// The `pool` template variable.
    pub pools: minijinja::Value,
    /// Every task's templates, named `task{index}.path` / `task{index}.body`.
    pub templates: Arc<Environment<'static>>,
    /// The preset's tasks, then each journey's steps (weight 0: a step runs only in its
    /// journey), then a "tool calls" row for each chat with tools.
    pub tasks: Vec<CompiledTask>,
    /// The journeys, picked by weight with the tasks.
    pub journeys: Vec<CompiledJourney>,
    pub levels: Vec<CompiledLevel>,
    pub targets: Vec<CompiledTarget>,
    /// MCP session settings (used when the scenario has MCP tasks).
    pub mcp: McpSettings,
    /// Named failure classes, in the order they are tried.
    pub failure_classes: Vec<FailureClass>,
    /// Requests run once before the first level.
    pub setup: Vec<CompiledSetup>,
    /// What `degradation` targets compare against.
    pub baseline: Option<CompiledBaseline>,
    /// Per-request objectives (SLO attainment, goodput).
    pub objectives: Option<crate::measure::Objectives>,
    /// A capacity search in place of fixed levels (`levels` is then empty).
    pub capacity: Option<CompiledCapacity>,
    /// A trace replayed at its recorded times (one level, open model).
    pub trace: Option<CompiledTrace>,
}

/// A scenario's trace replay.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledTrace {
    /// The file as written.
    pub file: String,
    pub format: crate::preset::trace::TraceFormat,
    pub trace: Arc<crate::preset::trace::Trace>,
    pub speedup: f64,
    pub looped: bool,
    /// Mooncake: tokens a hash id's shared block holds.
    pub block_tokens: u32,
    /// The task row its requests are recorded in (a chat task).
    pub task: usize,
}

/// Tokens in a Mooncake hash id's block when the trace does not say.
pub(crate) const DEFAULT_BLOCK_TOKENS: u32 = 512;

/// One service a scenario loads.
#[derive(Debug, Clone)]
pub struct CompiledService {
    /// Its name in `[scenario.services]`; `service` for a lone `[scenario.service]`.
    pub name: String,
    pub base: BaseUrl,
    /// Extra https root certificates (DER) from the service's ca_file.
    pub extra_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
    /// Whether https certificates are verified (`tls_verify = false` or `--insecure`: not).
    pub tls_verify: bool,
    /// Service headers as written (values may hold `${VAR}`).
    pub headers: Vec<(String, String)>,
    pub health: Option<HealthCheck>,
}

/// The name a lone `[scenario.service]` goes by.
pub(crate) const SOLE_SERVICE: &str = "service";

impl CompiledScenario {
    /// The service shown when a scenario is named by one address: its only one, or the
    /// first by name.
    pub fn primary(&self) -> &CompiledService {
        &self.services[0]
    }

    /// Every service's address, for display: `http://host:8000`, or
    /// `gateway http://...; rag http://...` for several.
    pub fn addresses(&self) -> String {
        match self.services.as_slice() {
            [one] => one.base.text.clone(),
            many => many
                .iter()
                .map(|service| format!("{} {}", service.name, service.base.text))
                .collect::<Vec<_>>()
                .join("; "),
        }
    }
}

/// A journey, ready to run: its steps are rows of the scenario's tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledJourney {
    pub name: String,
    pub weight: u32,
    /// Pause between steps.
    pub think_time: ThinkTime,
    pub steps: Vec<CompiledStep>,
}

/// One step of a journey.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledStep {
    /// Its row in the scenario's tasks (`journey / step`).
    pub task: usize,
    /// A failure here does not end the journey.
    pub optional: bool,
    /// What the step keeps from its reply, as `journey.NAME`.
    pub save: Vec<(String, SaveFrom)>,
}

/// Where a saved journey value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveFrom {
    /// A JSON pointer into the reply (for MCP, into the call's `result`).
    Pointer(String),
    /// A chat reply's text, or an MCP call's text content.
    Text,
}

/// A chat that offers an MCP service's tools and runs the calls the model makes.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolLoop {
    /// The MCP service's index in the scenario's services.
    pub service: usize,
    /// The row the tool calls are recorded in (`... / tool calls`).
    pub calls_row: usize,
    /// The most rounds of tool calls.
    pub max_rounds: u32,
}

/// Rounds of tool calls a chat step runs when it does not say.
pub(crate) const DEFAULT_MAX_TOOL_ROUNDS: u32 = 5;

/// A scenario's capacity search: how loads are chosen, and each step's timing.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledCapacity {
    pub rule: crate::measure::capacity::SearchRule,
    /// Each step's measured time.
    pub step: Duration,
    /// Each step's warm-up before it, not counted.
    pub warmup: Duration,
    pub spawn_rate: Option<f64>,
    pub max_in_flight: u32,
}

impl CompiledCapacity {
    /// The load model of a step at `load`.
    pub fn load_model(&self, load: f64) -> LoadModel {
        match self.rule.axis {
            crate::measure::capacity::CapacityAxis::Users => LoadModel::Closed {
                users: load.round().max(1.0) as u32,
                spawn_rate: self.spawn_rate,
            },
            crate::measure::capacity::CapacityAxis::Rate => LoadModel::Open {
                rate_per_sec: load,
                max_in_flight: self.max_in_flight,
            },
        }
    }
}

/// A scenario's baseline, resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum CompiledBaseline {
    /// An earlier scenario of the same suite, by name: its numbers once it has run.
    Scenario(String),
    /// A saved run's scenario, as the preset names it; read after compilation (see
    /// `analysis::baseline::resolve_saved_baselines`), which turns it into `Run`.
    SavedRun(SavedRunBaseline),
    /// A saved run's scenario, read.
    Run(Box<crate::run::BaselineRecord>),
}

/// `baseline = { run = "...", scenario = "..." }` before the file is read.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedRunBaseline {
    /// The run file, relative paths resolved against the preset's folder.
    pub path: std::path::PathBuf,
    /// The path as written in the preset.
    pub written: String,
    /// The run's scenario to compare with, when the preset names one.
    pub scenario: Option<String>,
    /// Where the `baseline` key is, for a mistake found when the run is read.
    pub place: Diagnostic,
}

/// A setup step, ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledSetup {
    pub name: String,
    /// The service it goes to.
    pub service: usize,
    pub method: Method,
    pub path: TextSource,
    pub headers: Vec<(String, String)>,
    pub body: Option<TextSource>,
    pub expect_status: Option<ExpectStatus>,
    /// (name, JSON pointer) of the values to keep as `setup.NAME`.
    pub save: Vec<(String, String)>,
}

/// A compiled failure class.
#[derive(Debug, Clone)]
pub struct FailureClass {
    pub name: String,
    pub status: Vec<u16>,
    pub matches: Option<regex::Regex>,
}

impl FailureClass {
    /// Whether a failure with this status, body and message belongs to the class.
    pub fn matches(&self, status: Option<u16>, body: &[u8], message: &str) -> bool {
        if !self.status.is_empty() && !status.is_some_and(|status| self.status.contains(&status)) {
            return false;
        }
        match &self.matches {
            None => true,
            Some(regex) => regex.is_match(message) || regex.is_match(&String::from_utf8_lossy(body)),
        }
    }

    /// Whether the class needs response bodies.
    pub fn reads_body(&self) -> bool {
        self.matches.is_some()
    }
}

/// The preflight check of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    pub url: String,
    pub expect_status: u16,
    pub start_hint: Option<String>,
}

/// Literal text, or the name of a template in the scenario's environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextSource {
    Literal(String),
    Template(String),
}

/// The most of a reply body kept for checks and parsing unless a task says otherwise
/// (`max_body_bytes`): a longer reply fails its checks instead of growing memory per user.
pub(crate) const DEFAULT_MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// One task, ready to run.
#[derive(Debug, Clone)]
pub struct CompiledTask {
    pub name: String,
    pub weight: u32,
    /// The service it sends to (an index into the scenario's services).
    pub service: usize,
    /// Chat with tools: the MCP service and the loop's limits.
    pub tools: Option<ToolLoop>,
    pub method: Method,
    /// The path below the base URL's prefix.
    pub path: TextSource,
    /// Task headers as written (values may hold `${VAR}`).
    pub headers: Vec<(String, String)>,
    pub body: Option<TextSource>,
    pub expect_status: Option<ExpectStatus>,
    pub checks: Vec<CheckRule>,
    /// Set for chat tasks: the body is built from it for each request.
    pub chat: Option<ChatSpec>,
    /// Set for MCP tasks: the tool call made on the user's session.
    pub mcp: Option<McpCall>,
    /// The most of a reply body kept for checks and parsing.
    pub max_body_bytes: usize,
    /// Redirects are followed (up to 10).
    pub follow_redirects: bool,
}

/// An MCP tool call.
#[derive(Debug, Clone, PartialEq)]
pub struct McpCall {
    pub tool: String,
    /// The arguments object; string leaves named in `templated` are rendered per call.
    pub arguments: serde_json::Value,
    /// (JSON pointer, template name) of each templated string in `arguments`.
    pub templated: Vec<(String, String)>,
    /// The server must refuse this call; a success counts as a sandbox violation.
    pub expect_error: bool,
}

/// Where MCP tasks post when no path is given.
pub(crate) const MCP_PATH: &str = "/mcp";

/// What a chat task sends.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatSpec {
    pub model: String,
    /// (role, content) pairs; content may be a template.
    pub messages: Vec<(String, TextSource)>,
    pub max_tokens: Option<u32>,
    pub temperature: Option<f64>,
    pub stream: bool,
    pub include_usage: bool,
    /// Extra body fields, merged last.
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// Token-shaped prompts and replies, when the task asks for them.
    pub synthetic: Option<CompiledSynthetic>,
    /// Prompts from a dataset file, when the task names one.
    pub dataset: Option<CompiledDataset>,
    /// Multi-turn: how many turns a user's conversation lasts.
    pub turns: Option<crate::tokens::TokenDist>,
    /// Multi-turn: the most prompt tokens of history a conversation sends again.
    pub max_history_tokens: u64,
    /// What prompt tokens are counted with when the server does not say.
    pub tokenizer: crate::tokens::Tokenizer,
    /// Users who stop the reply part way, when the task has them.
    pub cancel: Option<CancelRule>,
}

/// When a user stops a reply: after a time, after a number of output tokens, whichever comes
/// first; for a share of the requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CancelRule {
    pub after: Option<Duration>,
    pub after_tokens: Option<u32>,
    /// 0 to 1.
    pub share: f64,
}

/// The history a conversation keeps when the task does not say: a 128k context.
pub(crate) const DEFAULT_MAX_HISTORY_TOKENS: u64 = 131_072;

/// A chat task's dataset: the conversations within the length filter, and the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledDataset {
    /// The file as written (`shipped:...` or a path).
    pub file: String,
    pub conversations: std::sync::Arc<Vec<crate::preset::dataset::Conversation>>,
    pub seed: u64,
    /// What reading passed over ("skipped 37 of 90,000 conversations (no user turn)").
    pub skipped_note: Option<String>,
}

/// A chat task's synthetic prompts: lengths, the shared prefix, reply lengths, the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledSynthetic {
    pub prompt_tokens: crate::tokens::TokenDist,
    pub shared_prefix_tokens: u32,
    /// Drawn per request and sent as `max_tokens`.
    pub output_tokens: Option<crate::tokens::TokenDist>,
    /// Also send `min_tokens` (= max_tokens) and `ignore_eos`.
    pub exact_output: bool,
    pub seed: u64,
}

/// Where chat tasks post when no path is given.
pub(crate) const CHAT_COMPLETIONS_PATH: &str = "/v1/chat/completions";

/// A check on a response body.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckRule {
    JsonExists(String),
    JsonAbsent(String),
    JsonEquals(String, serde_json::Value),
    BodyContains(String),
}

/// One level, ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledLevel {
    pub name: String,
    pub load: LoadModel,
    pub duration: Duration,
    /// The level ends once this many requests have finished (or at `duration`): no more start
    /// after this many.
    pub requests: Option<u64>,
}

/// Default in-flight cap for open-model levels.
pub(crate) const DEFAULT_MAX_IN_FLIGHT: u32 = 1000;

/// One target, resolved to level and task indexes.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledTarget {
    /// The expression as written.
    pub text: String,
    pub expr: TargetExpr,
    pub level: Option<usize>,
    pub task: Option<usize>,
    /// A journey metric's journey (index into the scenario's journeys).
    pub journey: Option<usize>,
    pub abort_on_fail: bool,
    pub abort_delay: Duration,
}

impl CompiledScenario {
    /// Sends the scenario's traffic and its health check to `host:port` instead of where its
    /// base URL points (the same scheme and path prefix).
    pub fn redirect(&mut self, host: &str, port: u16) {
        for service in &mut self.services {
            service.redirect(host, port);
        }
    }
}

impl CompiledService {
    /// Sends this service's traffic and health check to `host:port` (the same scheme and
    /// path prefix).
    pub fn redirect(&mut self, host: &str, port: u16) {
        let old = self.base.url("");
        self.base.host = host.to_string();
        self.base.port = port;
        self.base.text = self.base.url("");
        if let Some(health) = &mut self.health
            && let Some(path) = health.url.strip_prefix(&old)
        {
            health.url = self.base.url(path);
        }
    }
}

/// The most users (or requests in flight) one level may ask of one load generator.
pub(crate) const MAX_USERS: u32 = 1_000_000;
