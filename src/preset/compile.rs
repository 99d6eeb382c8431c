//! Checks a parsed preset and turns it into what the engine runs: URLs parsed, templates
//! compiled, pools loaded, levels and targets resolved. Every mistake becomes a [`Diagnostic`]
//! at its line and column; all of them are collected, not just the first.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use hyper::http::{HeaderName, HeaderValue, Method, Uri};
use minijinja::Environment;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::diagnostic::{Diagnostic, PresetErrors};
use super::model::{Check, ExpectStatus, LevelRef, McpSettings, Preset, Scenario, TaskKind, ThinkTime};
use super::pools::load_pools;
use super::source::LoadedPreset;
use super::target::{Metric, TargetExpr};
use super::template;

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
    /// The original text, for display.
    pub text: String,
}

impl BaseUrl {
    /// Parses `http(s)://host[:port][/prefix]`.
    pub fn parse(text: &str) -> Result<BaseUrl, String> {
        let uri: Uri = text
            .parse()
            .map_err(|err| format!("base_url {text:?} is not a URL ({err}); write e.g. \"http://localhost:8000\""))?;
        let scheme = match uri.scheme_str() {
            Some("http") => Scheme::Http,
            Some("https") => Scheme::Https,
            Some(other) => return Err(format!("base_url {text:?}: scheme {other:?} is not supported (use http or https)")),
            None => return Err(format!("base_url {text:?} has no scheme; write e.g. \"http://{text}\"")),
        };
        let host = uri
            .host()
            .ok_or_else(|| format!("base_url {text:?} has no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = uri.port_u16().unwrap_or(match scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
        });
        if uri.query().is_some() {
            return Err(format!("base_url {text:?} has a query string; put queries in the task's path"));
        }
        Ok(BaseUrl {
            scheme,
            host,
            port,
            path_prefix: uri.path().trim_end_matches('/').to_string(),
            text: text.to_string(),
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

/// One scenario, ready to run.
#[derive(Debug, Clone)]
pub struct CompiledScenario {
    pub name: String,
    pub base: BaseUrl,
    /// Extra https root certificates (DER) from the service's ca_file.
    pub extra_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
    /// Whether https certificates are verified (`tls_verify = false` or `--insecure`: not).
    pub tls_verify: bool,
    /// Service headers as written (values may hold `${VAR}`).
    pub headers: Vec<(String, String)>,
    pub health: Option<HealthCheck>,
    pub think_time: ThinkTime,
    pub timeout: Duration,
    /// The `pool` template variable.
    pub pools: minijinja::Value,
    /// Every task's templates, named `task{index}.path` / `task{index}.body`.
    pub templates: Arc<Environment<'static>>,
    pub tasks: Vec<CompiledTask>,
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
}

/// A scenario's baseline, resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum CompiledBaseline {
    /// An earlier scenario of the same suite, by name: its numbers once it has run.
    Scenario(String),
    /// A saved run's scenario, read when the preset was compiled.
    Run(Box<crate::run::BaselineRecord>),
}

/// A setup step, ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledSetup {
    pub name: String,
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
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// One task, ready to run.
#[derive(Debug, Clone)]
pub struct CompiledTask {
    pub name: String,
    pub weight: u32,
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
pub const MCP_PATH: &str = "/mcp";

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
}

impl ChatSpec {
    /// The request body, with each message's content already rendered.
    pub fn body(&self, contents: &[String]) -> Vec<u8> {
        use serde_json::{Value, json};
        let messages: Vec<Value> = self
            .messages
            .iter()
            .zip(contents)
            .map(|((role, _), content)| json!({"role": role, "content": content}))
            .collect();
        let mut body = serde_json::Map::new();
        body.insert("model".into(), Value::from(self.model.clone()));
        body.insert("messages".into(), Value::from(messages));
        if let Some(max_tokens) = self.max_tokens {
            body.insert("max_tokens".into(), Value::from(max_tokens));
        }
        if let Some(temperature) = self.temperature {
            body.insert("temperature".into(), Value::from(temperature));
        }
        body.insert("stream".into(), Value::from(self.stream));
        if self.stream && self.include_usage {
            body.insert("stream_options".into(), json!({"include_usage": true}));
        }
        for (key, value) in &self.extra {
            body.insert(key.clone(), value.clone());
        }
        serde_json::to_vec(&Value::Object(body)).unwrap_or_default()
    }
}

/// Where chat tasks post when no path is given.
pub const CHAT_COMPLETIONS_PATH: &str = "/v1/chat/completions";

/// A check on a response body.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckRule {
    JsonExists(String),
    JsonAbsent(String),
    JsonEquals(String, serde_json::Value),
    BodyContains(String),
}

impl CheckRule {
    /// Whether the body passes; the description of the check is the failure message.
    pub fn passes(&self, body: &[u8], json: &mut Option<Option<serde_json::Value>>) -> bool {
        match self {
            CheckRule::BodyContains(needle) => {
                let needle = needle.as_bytes();
                !needle.is_empty() && body.windows(needle.len()).any(|window| window == needle)
            }
            CheckRule::JsonExists(pointer) | CheckRule::JsonAbsent(pointer) | CheckRule::JsonEquals(pointer, _) => {
                let parsed = json.get_or_insert_with(|| serde_json::from_slice(body).ok());
                let found = parsed.as_ref().and_then(|value| value.pointer(pointer));
                match self {
                    CheckRule::JsonExists(_) => found.is_some(),
                    CheckRule::JsonAbsent(_) => parsed.is_some() && found.is_none(),
                    CheckRule::JsonEquals(_, expected) => found == Some(expected),
                    CheckRule::BodyContains(_) => false,
                }
            }
        }
    }

    /// What the check asks for, used as the failure message.
    pub fn describe(&self) -> String {
        match self {
            CheckRule::JsonExists(pointer) => format!("check failed: JSON {pointer} missing"),
            CheckRule::JsonAbsent(pointer) => format!("check failed: JSON {pointer} present (expected absent)"),
            CheckRule::JsonEquals(pointer, value) => format!("check failed: JSON {pointer} != {value}"),
            CheckRule::BodyContains(needle) => format!("check failed: body lacks {needle:?}"),
        }
    }
}

/// How a level applies load.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum LoadModel {
    /// A fixed number of users, each looping request → think time.
    Closed {
        users: u32,
        /// Users started per second; all at once when absent.
        spawn_rate: Option<f64>,
    },
    /// Requests started on a schedule, whatever the responses do.
    Open { rate_per_sec: f64, max_in_flight: u32 },
}

impl std::fmt::Display for LoadModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadModel::Closed {
                users,
                spawn_rate: Some(rate),
            } => write!(f, "{users} users, spawn {rate}/s"),
            LoadModel::Closed { users, spawn_rate: None } => write!(f, "{users} users"),
            LoadModel::Open {
                rate_per_sec,
                max_in_flight,
            } => write!(f, "{rate_per_sec} req/s, max {max_in_flight} in flight"),
        }
    }
}

impl LoadModel {
    /// The load in a few words: `15 users` or `20 req/s`.
    pub fn brief(&self) -> String {
        match self {
            LoadModel::Closed { users: 1, .. } => "1 user".to_string(),
            LoadModel::Closed { users, .. } => format!("{users} users"),
            LoadModel::Open { rate_per_sec, .. } => format!("{rate_per_sec} req/s"),
        }
    }

    /// How hard the level pushes: users (closed model) or arrivals per second (open model).
    pub fn intensity(&self) -> f64 {
        match self {
            LoadModel::Closed { users, .. } => *users as f64,
            LoadModel::Open { rate_per_sec, .. } => *rate_per_sec,
        }
    }
}

/// One level, ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledLevel {
    pub name: String,
    pub load: LoadModel,
    pub duration: Duration,
}

/// Default in-flight cap for open-model levels.
pub const DEFAULT_MAX_IN_FLIGHT: u32 = 1000;

/// One target, resolved to level and task indexes.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledTarget {
    /// The expression as written.
    pub text: String,
    pub expr: TargetExpr,
    pub level: Option<usize>,
    pub task: Option<usize>,
    pub abort_on_fail: bool,
    pub abort_delay: Duration,
}

/// Checks the whole preset; returns every mistake found.
pub fn compile(loaded: &LoadedPreset) -> Result<CompiledPreset, PresetErrors> {
    let mut errors = Errors {
        source: &loaded.source.name,
        text: &loaded.source.text,
        found: Vec::new(),
    };
    let preset = &loaded.preset;
    if preset.scenarios.is_empty() {
        errors.push(None, "no scenarios: add at least one [[scenario]] table");
    }
    let mut names = HashSet::new();
    let mut scenarios = Vec::new();
    for scenario in &preset.scenarios {
        if !names.insert(scenario.name.get_ref().clone()) {
            errors.push_at(
                &scenario.name,
                format!("scenario name {:?} is used twice; names must be unique", scenario.name.get_ref()),
            );
        }
        let baseline = compile_baseline(scenario, &preset.scenarios, loaded, &mut errors);
        if let Some(mut compiled) = compile_scenario(scenario, loaded, &mut errors) {
            compiled.baseline = baseline;
            scenarios.push(compiled);
        }
    }
    let monitors = compile_monitors(preset.monitors.as_ref(), &mut errors);
    if !errors.found.is_empty() {
        return Err(PresetErrors(errors.found));
    }
    Ok(CompiledPreset {
        name: loaded.display_name(),
        source: loaded.source.name.clone(),
        document: preset.clone(),
        scenarios,
        monitors,
    })
}

/// `[monitors]`: checks the container pattern, the endpoints' URLs and the interval.
fn compile_monitors(spec: Option<&super::model::MonitorsSpec>, errors: &mut Errors<'_>) -> crate::monitor::MonitorSettings {
    let mut settings = crate::monitor::MonitorSettings::default();
    let Some(spec) = spec else { return settings };
    settings.gpu = spec.gpu.unwrap_or(true);
    settings.host = spec.host.unwrap_or(true);
    if let Some(interval) = &spec.interval {
        let secs = interval.get_ref().0.as_secs_f64();
        if !(0.1..=60.0).contains(&secs) {
            errors.push_at(
                interval,
                format!("monitors interval {} is out of range: use 100ms to 60s", interval.get_ref()),
            );
        }
        settings.interval_secs = secs.clamp(0.1, 60.0);
    }
    if let Some(filter) = &spec.containers {
        if let Some(pattern) = &filter.get_ref().name
            && let Err(err) = regex::Regex::new(pattern)
        {
            errors.push_at(
                filter,
                format!("containers name {pattern:?} is not a valid regular expression: {err}"),
            );
        }
        settings.containers = Some(filter.get_ref().clone());
    }
    for endpoint in &spec.prometheus {
        let url = &endpoint.get_ref().url;
        if let Err(why) = BaseUrl::parse(url) {
            errors.push_at(endpoint, format!("prometheus url {url:?}: {why}"));
        }
        settings.prometheus.push(endpoint.get_ref().clone());
    }
    settings
}

struct Errors<'a> {
    source: &'a str,
    text: &'a str,
    found: Vec<Diagnostic>,
}

impl Errors<'_> {
    fn push(&mut self, span: Option<std::ops::Range<usize>>, message: impl Into<String>) {
        self.found.push(Diagnostic::at(self.source, self.text, span, message));
    }
    fn push_at<T>(&mut self, spanned: &Spanned<T>, message: impl Into<String>) {
        self.push(Some(spanned.span()), message);
    }
}

fn compile_scenario(scenario: &Scenario, loaded: &LoadedPreset, errors: &mut Errors) -> Option<CompiledScenario> {
    let before = errors.found.len();
    let name = scenario.name.get_ref().clone();
    let scenario_label = format!("scenario {name:?}");

    // `${VAR}` is resolved in what requests send, not in where they go: a reference here
    // would be sent (and shown) literally.
    for (field, text) in [
        ("base_url", Some(scenario.service.base_url.get_ref())),
        ("health_path", scenario.service.health_path.as_ref()),
    ] {
        if let Some(text) = text
            && text.contains("${")
        {
            errors.push_at(
                &scenario.service.base_url,
                format!(
                    "{scenario_label}: {field} {text:?} holds a ${{VAR}} reference, which is resolved only in headers, paths, bodies and arguments; write the address itself, or pass --host URL"
                ),
            );
        }
    }
    let base = match BaseUrl::parse(scenario.service.base_url.get_ref()) {
        Ok(base) => Some(base),
        Err(why) => {
            errors.push_at(&scenario.service.base_url, why);
            None
        }
    };
    let headers_span = Some(scenario.service.base_url.span());
    let extra_roots = match &scenario.service.ca_file {
        None => Vec::new(),
        Some(file) => {
            use rustls::pki_types::pem::PemObject;
            let path = match loaded.source.base_dir.as_deref() {
                Some(dir) => dir.join(file.get_ref()),
                None => std::path::PathBuf::from(file.get_ref()),
            };
            match rustls::pki_types::CertificateDer::pem_file_iter(&path).and_then(|certs| certs.collect::<Result<Vec<_>, _>>()) {
                Ok(certs) if !certs.is_empty() => certs,
                Ok(_) => {
                    errors.push_at(file, format!("ca_file {}: no PEM certificates in it", path.display()));
                    Vec::new()
                }
                Err(err) => {
                    errors.push_at(
                        file,
                        format!(
                            "ca_file {}: cannot read PEM certificates: {err} (paths are relative to the preset file)",
                            path.display()
                        ),
                    );
                    Vec::new()
                }
            }
        }
    };
    check_headers(&scenario.service.headers, headers_span.clone(), &scenario_label, errors);
    if let Some(path) = &scenario.service.health_path
        && !path.starts_with('/')
    {
        errors.push(
            headers_span.clone(),
            format!("{scenario_label}: health_path {path:?} must start with '/'"),
        );
    }

    let pools = match load_pools(scenario, loaded.source.base_dir.as_deref()) {
        Ok(pools) => pools,
        Err((pool, why)) => {
            let span = scenario.pools.get(&pool).map(|spec| spec.span());
            errors.push(span, why);
            BTreeMap::new()
        }
    };
    // Dotted names templates may use: pool.NAME and setup.NAME.
    let known_names: Vec<String> = scenario
        .pools
        .keys()
        .map(|pool| format!("pool.{pool}"))
        .chain(
            scenario
                .setup
                .iter()
                .flat_map(|step| step.get_ref().save.keys().map(|name| format!("setup.{name}"))),
        )
        .collect();
    let pool_names: Vec<&str> = known_names.iter().map(String::as_str).collect();

    let mut env = template::new_environment();
    if scenario.tasks.is_empty() {
        errors.push_at(
            &scenario.name,
            format!("{scenario_label} has no tasks: add a [[scenario.task]] table"),
        );
    }
    let mut task_names = HashSet::new();
    let mut tasks = Vec::new();
    for (index, task) in scenario.tasks.iter().enumerate() {
        let span = task.span();
        let task = task.get_ref();
        let label = format!("task {:?}", task.name);
        if !task_names.insert(task.name.clone()) {
            errors.push(Some(span.clone()), format!("{label}: the name is used twice in {scenario_label}"));
        }
        let method = match (task.kind, task.method.as_deref()) {
            (TaskKind::Mcp, None) => Method::POST,
            (TaskKind::Mcp, Some(method)) => {
                errors.push(
                    Some(span.clone()),
                    format!("{label}: MCP calls always POST; remove method {method:?}"),
                );
                Method::POST
            }
            (TaskKind::Chat, None) => Method::POST,
            (TaskKind::Chat, Some(method)) if method.eq_ignore_ascii_case("POST") => Method::POST,
            (TaskKind::Chat, Some(method)) => {
                errors.push(
                    Some(span.clone()),
                    format!("{label}: chat tasks always POST; remove method {method:?}"),
                );
                Method::POST
            }
            (TaskKind::Http, None) => Method::GET,
            (TaskKind::Http, Some(method)) => match Method::from_bytes(method.to_ascii_uppercase().as_bytes()) {
                Ok(method) => method,
                Err(_) => {
                    errors.push(Some(span.clone()), format!("{label}: method {method:?} is not an HTTP method"));
                    Method::GET
                }
            },
        };
        let path = match (&task.path, task.kind) {
            (Some(path), _) => {
                let compiled = compile_text(&mut env, format!("task{index}.path"), path, &pool_names, &label, "path", errors);
                if let TextSource::Literal(text) = &compiled
                    && !text.starts_with('/')
                {
                    errors.push_at(path, format!("{label}: path {text:?} must start with '/'"));
                }
                compiled
            }
            (None, TaskKind::Chat) => TextSource::Literal(CHAT_COMPLETIONS_PATH.into()),
            (None, TaskKind::Mcp) => TextSource::Literal(MCP_PATH.into()),
            (None, TaskKind::Http) => {
                errors.push(
                    Some(span.clone()),
                    format!("{label}: http tasks need a path (e.g. path = \"/health\")"),
                );
                TextSource::Literal("/".into())
            }
        };
        let body = task
            .body
            .as_ref()
            .map(|body| compile_text(&mut env, format!("task{index}.body"), body, &pool_names, &label, "body", errors));
        let chat = compile_chat(index, task, &mut env, &pool_names, &label, span.clone(), errors);
        let mcp = compile_mcp(index, task, &mut env, &pool_names, &label, span.clone(), errors);
        if task.kind == TaskKind::Mcp && matches!(path, TextSource::Template(_)) {
            errors.push(Some(span.clone()), format!("{label}: an MCP endpoint path cannot be a template"));
        }
        check_headers(&task.headers, Some(span.clone()), &label, errors);
        let mut checks = Vec::new();
        for check in &task.checks {
            match compile_check(check.get_ref()) {
                Ok(rule) => checks.push(rule),
                Err(why) => errors.push_at(check, format!("{label}: {why}")),
            }
        }
        tasks.push(CompiledTask {
            name: task.name.clone(),
            weight: task.weight,
            method,
            path,
            headers: task.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            body,
            expect_status: task.expect_status.clone(),
            checks,
            chat,
            mcp,
            max_body_bytes: task
                .max_body_bytes
                .map(|bytes| usize::try_from(bytes).unwrap_or(usize::MAX))
                .unwrap_or(DEFAULT_MAX_BODY_BYTES),
        });
    }
    if !tasks.is_empty() && tasks.iter().all(|task| task.weight == 0) {
        errors.push_at(
            &scenario.name,
            format!("{scenario_label}: every task has weight 0; give one a positive weight"),
        );
    }

    let mut levels = Vec::new();
    if scenario.levels.is_empty() {
        errors.push_at(
            &scenario.name,
            format!("{scenario_label} has no levels: add a [[scenario.level]] table"),
        );
    }
    for (index, level) in scenario.levels.iter().enumerate() {
        match compile_level(index, level.get_ref()) {
            Ok(compiled) => levels.push(compiled),
            Err(why) => errors.push_at(level, format!("{scenario_label} level {}: {why}", index + 1)),
        }
    }

    let mut setup = Vec::new();
    for (index, step) in scenario.setup.iter().enumerate() {
        let span = step.span();
        let step = step.get_ref();
        let label = format!("setup step {:?}", step.name);
        let method_text = step
            .method
            .clone()
            .unwrap_or_else(|| if step.body.is_some() { "POST".into() } else { "GET".into() });
        let method = Method::from_bytes(method_text.to_ascii_uppercase().as_bytes()).unwrap_or_else(|_| {
            errors.push(Some(span.clone()), format!("{label}: method {method_text:?} is not an HTTP method"));
            Method::GET
        });
        let path = compile_text(
            &mut env,
            format!("setup{index}.path"),
            &step.path,
            &pool_names,
            &label,
            "path",
            errors,
        );
        if let TextSource::Literal(text) = &path
            && !text.starts_with('/')
        {
            errors.push_at(&step.path, format!("{label}: path {text:?} must start with '/'"));
        }
        let body = step
            .body
            .as_ref()
            .map(|body| compile_text(&mut env, format!("setup{index}.body"), body, &pool_names, &label, "body", errors));
        check_headers(&step.headers, Some(span.clone()), &label, errors);
        for (name, pointer) in &step.save {
            if !pointer.starts_with('/') {
                errors.push(
                    Some(span.clone()),
                    format!("{label}: save {name} = {pointer:?} must be a JSON pointer starting with '/'"),
                );
            }
        }
        setup.push(CompiledSetup {
            name: step.name.clone(),
            method,
            path,
            headers: step.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            body,
            expect_status: step.expect_status.clone(),
            save: step.save.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        });
    }

    let mut failure_classes = Vec::new();
    for class in &scenario.failure_classes {
        let spec = class.get_ref();
        let valid_name = !spec.name.is_empty() && spec.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_name {
            errors.push_at(
                class,
                format!(
                    "failure class name {:?} must be letters, digits and _ (it is used in targets)",
                    spec.name
                ),
            );
        } else if crate::preset::target::TargetExpr::parse(&format!("{} == 0", spec.name)).is_ok() {
            errors.push_at(
                class,
                format!("failure class name {:?} is a built-in metric; pick another", spec.name),
            );
        }
        if failure_classes.iter().any(|known: &FailureClass| known.name == spec.name) {
            errors.push_at(class, format!("failure class {:?} is defined twice", spec.name));
        }
        let matches = match spec.matches.as_deref().map(regex::Regex::new) {
            None => None,
            Some(Ok(regex)) => Some(regex),
            Some(Err(err)) => {
                errors.push_at(class, format!("failure class {:?}: matches is not a valid regex: {err}", spec.name));
                None
            }
        };
        failure_classes.push(FailureClass {
            name: spec.name.clone(),
            status: spec.status.clone(),
            matches,
        });
    }
    let class_names: Vec<&str> = failure_classes.iter().map(|class| class.name.as_str()).collect();

    let mut targets = Vec::new();
    for target in &scenario.targets {
        let spec = target.get_ref();
        let expr = match TargetExpr::parse_with_classes(spec.expr.get_ref(), &class_names) {
            Ok(expr) => Some(expr),
            Err(why) => {
                errors.push_at(&spec.expr, why);
                None
            }
        };
        let level = spec.level.as_ref().and_then(|level_ref| {
            let found = match level_ref.get_ref() {
                LevelRef::Number(number) => (*number >= 1 && *number <= levels.len()).then(|| number - 1),
                LevelRef::Name(wanted) => levels.iter().position(|level| &level.name == wanted),
            };
            if found.is_none() {
                let known: Vec<String> = levels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| format!("{} ({:?})", i + 1, l.name))
                    .collect();
                let known = if known.is_empty() {
                    "none valid".to_string()
                } else {
                    known.join(", ")
                };
                errors.push_at(
                    level_ref,
                    format!(
                        "target level {} does not exist in {scenario_label} (levels: {known})",
                        level_ref.get_ref()
                    ),
                );
            }
            found
        });
        let task = spec.task.as_ref().and_then(|task_ref| {
            let found = tasks.iter().position(|task| &task.name == task_ref.get_ref());
            if found.is_none() {
                let known: Vec<&str> = tasks.iter().map(|task| task.name.as_str()).collect();
                errors.push_at(
                    task_ref,
                    format!(
                        "target task {:?} does not exist in {scenario_label} (tasks: {})",
                        task_ref.get_ref(),
                        known.join(", ")
                    ),
                );
            }
            found
        });
        if let Some(expr) = &expr
            && expr.metric.is_chat()
        {
            let chat_tasks: Vec<&str> = tasks
                .iter()
                .filter(|task| task.chat.is_some())
                .map(|task| task.name.as_str())
                .collect();
            match task {
                Some(index) if tasks[index].chat.is_none() => errors.push_at(
                    &spec.expr,
                    format!(
                        "target {:?} measures chat replies, but task {:?} is not a chat task (chat tasks here: {}); name a chat task with task = \"...\"",
                        spec.expr.get_ref(),
                        tasks[index].name,
                        if chat_tasks.is_empty() { "none".to_string() } else { chat_tasks.join(", ") }
                    ),
                ),
                None if chat_tasks.is_empty() => errors.push_at(
                    &spec.expr,
                    format!(
                        "target {:?} measures chat replies, but {scenario_label} has no chat task (kind = \"chat\"); remove the target or add a chat task",
                        spec.expr.get_ref()
                    ),
                ),
                _ => {}
            }
        }
        if let Some(expr) = expr {
            targets.push(CompiledTarget {
                text: spec.expr.get_ref().clone(),
                expr,
                level,
                task,
                abort_on_fail: spec.abort_on_fail,
                abort_delay: spec.abort_delay.map(|delay| delay.0).unwrap_or(Duration::from_secs(5)),
            });
        }
    }

    if errors.found.len() > before {
        return None;
    }
    let base = base?;
    let health = scenario.service.health_path.as_ref().map(|path| HealthCheck {
        url: base.url(path),
        expect_status: scenario.service.health_status,
        start_hint: scenario.service.start_hint.clone(),
    });
    Some(CompiledScenario {
        name,
        base,
        extra_roots,
        tls_verify: scenario.service.tls_verify.unwrap_or(true),
        headers: scenario.service.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        health,
        think_time: scenario.think_time,
        timeout: scenario.timeout.0,
        pools: template::pools_value(&pools),
        templates: Arc::new(env),
        tasks,
        levels,
        targets,
        mcp: scenario.mcp.clone().unwrap_or_default(),
        failure_classes,
        setup,
        baseline: None,
    })
}

/// A saved baseline run, read once per version of the file: the editor validates the preset on
/// every keystroke, and a run file can hold megabytes of series and histograms.
fn read_baseline_run(path: &std::path::Path) -> Result<Arc<crate::run::RunRecord>, crate::run::RunFileError> {
    type Cache = std::collections::HashMap<std::path::PathBuf, (Option<std::time::SystemTime>, u64, Arc<crate::run::RunRecord>)>;
    static CACHE: std::sync::OnceLock<std::sync::Mutex<Cache>> = std::sync::OnceLock::new();
    let version = std::fs::metadata(path).ok().map(|meta| (meta.modified().ok(), meta.len()));
    let cache = CACHE.get_or_init(Default::default);
    if let Some((modified, len)) = version
        && let Ok(known) = cache.lock()
        && let Some((known_modified, known_len, record)) = known.get(path)
        && (*known_modified, *known_len) == (modified, len)
    {
        return Ok(record.clone());
    }
    let record = Arc::new(crate::run::load(path)?);
    if let (Some((modified, len)), Ok(mut known)) = (version, cache.lock()) {
        known.insert(path.to_path_buf(), (modified, len, record.clone()));
    }
    Ok(record)
}

/// `baseline = { scenario = "..." }` or `{ run = "...", scenario = "..." }`: an earlier scenario
/// of this suite, or a saved run read now. A `degradation` target needs one.
fn compile_baseline(scenario: &Scenario, all: &[Scenario], loaded: &LoadedPreset, errors: &mut Errors) -> Option<CompiledBaseline> {
    let name = scenario.name.get_ref();
    let Some(spec) = &scenario.baseline else {
        for target in &scenario.targets {
            let expr = target.get_ref().expr.get_ref();
            if TargetExpr::parse(expr).is_ok_and(|parsed| parsed.metric == Metric::Degradation) {
                errors.push_at(
                    &target.get_ref().expr,
                    format!(
                        "target {expr:?} needs a baseline: add baseline = {{ scenario = \"<an earlier scenario>\" }} or baseline = {{ run = \"<saved run file>\" }} to scenario {name:?}"
                    ),
                );
            }
        }
        return None;
    };
    let wanted = spec.get_ref().scenario.as_deref();
    match &spec.get_ref().run {
        None => {
            let Some(wanted) = wanted else {
                errors.push_at(
                    spec,
                    "baseline needs scenario = \"<an earlier scenario of this preset>\" or run = \"<saved run file>\"",
                );
                return None;
            };
            if spec.get_ref().left_out {
                return Some(CompiledBaseline::Scenario(wanted.to_string()));
            }
            let position = all.iter().position(|other| other.name.get_ref() == wanted);
            let own = all.iter().position(|other| other.name.get_ref() == name);
            match (position, own) {
                (Some(found), Some(own)) if found < own => Some(CompiledBaseline::Scenario(wanted.to_string())),
                (Some(_), _) => {
                    errors.push_at(
                        spec,
                        format!("baseline scenario {wanted:?} must come before {name:?} in the preset (scenarios run in order)"),
                    );
                    None
                }
                (None, _) => {
                    let known: Vec<&str> = all.iter().map(|other| other.name.get_ref().as_str()).collect();
                    errors.push_at(
                        spec,
                        format!("baseline scenario {wanted:?} does not exist (scenarios: {})", known.join(", ")),
                    );
                    None
                }
            }
        }
        Some(run) => {
            let path = match loaded.source.base_dir.as_deref() {
                Some(dir) => dir.join(run),
                None => std::path::PathBuf::from(run),
            };
            let record = match read_baseline_run(&path) {
                Ok(record) => record,
                Err(err) => {
                    errors.push_at(
                        spec,
                        format!(
                            "baseline run {}: {err} (save a baseline run first, e.g. loadscope run baseline --out {run})",
                            path.display()
                        ),
                    );
                    return None;
                }
            };
            match crate::analysis::baseline::pick_scenario(&record, wanted, name) {
                Ok(picked) => Some(CompiledBaseline::Run(Box::new(crate::analysis::baseline::from_scenario(
                    picked,
                    format!("run {}, scenario {:?}", path.display(), picked.name),
                    Some(record.id.clone()),
                )))),
                Err(why) => {
                    errors.push_at(spec, format!("baseline run {}: {why}", path.display()));
                    None
                }
            }
        }
    }
}

fn compile_text(
    env: &mut Environment<'static>,
    name: String,
    text: &Spanned<String>,
    pool_names: &[&str],
    label: &str,
    field: &str,
    errors: &mut Errors,
) -> TextSource {
    if !template::is_template(text.get_ref()) {
        return TextSource::Literal(text.get_ref().clone());
    }
    if let Err(err) = env.add_template_owned(name.clone(), text.get_ref().clone()) {
        let detail = err.detail().unwrap_or("invalid template");
        let line = err.line().map(|line| format!(" (template line {line})")).unwrap_or_default();
        errors.push_at(text, format!("{label}: {field} template error{line}: {detail}"));
        return TextSource::Literal(text.get_ref().clone());
    }
    let unknown = template::unknown_names(env, &name, pool_names);
    if !unknown.is_empty() {
        let pools = if pool_names.is_empty() {
            "none defined".to_string()
        } else {
            pool_names.join(", ")
        };
        errors.push_at(
            text,
            format!(
                "{label}: {field} uses {} which nothing defines (pools: {pools}; variables: user_id, seq; functions: uuid(), random_int(a, b))",
                unknown.join(", ")
            ),
        );
    }
    TextSource::Template(name)
}

/// Reports each present field that belongs to another task kind.
fn refuse_fields(fields: &[(&str, bool)], kind_label: &str, kind: &str, label: &str, span: &std::ops::Range<usize>, errors: &mut Errors) {
    for (field, present) in fields {
        if *present {
            errors.push(
                Some(span.clone()),
                format!("{label}: {field} belongs to {kind_label} tasks; add kind = \"{kind}\" or remove it"),
            );
        }
    }
}

/// Checks the MCP fields of a task: required on MCP tasks, refused on others.
fn compile_mcp(
    index: usize,
    task: &super::model::Task,
    env: &mut Environment<'static>,
    pool_names: &[&str],
    label: &str,
    span: std::ops::Range<usize>,
    errors: &mut Errors,
) -> Option<McpCall> {
    if task.kind != TaskKind::Mcp {
        let fields = [
            ("tool", task.tool.is_some()),
            ("arguments", task.arguments.is_some()),
            ("expect", task.expect.is_some()),
        ];
        refuse_fields(&fields, "MCP", "mcp", label, &span, errors);
        return None;
    }
    if task.body.is_some() {
        errors.push(
            Some(span.clone()),
            format!("{label}: MCP tasks build their JSON-RPC body from tool and arguments; remove body"),
        );
    }
    let expect_error = match task.expect.as_deref() {
        None => false,
        Some("error") => true,
        Some(other) => {
            errors.push(
                Some(span.clone()),
                format!("{label}: expect = {other:?} is not known (write expect = \"error\" for calls the server must refuse)"),
            );
            false
        }
    };
    let Some(tool) = task.tool.clone() else {
        errors.push(Some(span), format!("{label}: MCP tasks need a tool (e.g. tool = \"echo\")"));
        return None;
    };
    let mut arguments = match task.arguments.as_ref().map(serde_json::to_value) {
        None => serde_json::json!({}),
        Some(Ok(value)) => value,
        Some(Err(err)) => {
            errors.push(Some(span.clone()), format!("{label}: arguments cannot be sent as JSON: {err}"));
            serde_json::json!({})
        }
    };
    let mut templated = Vec::new();
    let mut leaves = Vec::new();
    collect_string_leaves(&arguments, String::new(), &mut leaves);
    for (number, (pointer, text)) in leaves.into_iter().enumerate() {
        let spanned = Spanned::new(span.clone(), text);
        if let TextSource::Template(name) = compile_text(
            env,
            format!("task{index}.argument{number}"),
            &spanned,
            pool_names,
            label,
            "argument",
            errors,
        ) {
            templated.push((pointer, name));
        }
    }
    if !arguments.is_object() {
        arguments = serde_json::json!({});
    }
    Some(McpCall {
        tool,
        arguments,
        templated,
        expect_error,
    })
}

/// (JSON pointer, text) of every string in a JSON value.
fn collect_string_leaves(value: &serde_json::Value, pointer: String, out: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::String(text) => out.push((pointer, text.clone())),
        serde_json::Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                collect_string_leaves(item, format!("{pointer}/{index}"), out);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                collect_string_leaves(item, format!("{pointer}/{escaped}"), out);
            }
        }
        _ => {}
    }
}

/// Checks the chat fields of a task: required on chat tasks, refused on others.
fn compile_chat(
    index: usize,
    task: &super::model::Task,
    env: &mut Environment<'static>,
    pool_names: &[&str],
    label: &str,
    span: std::ops::Range<usize>,
    errors: &mut Errors,
) -> Option<ChatSpec> {
    let chat_fields = [
        ("model", task.model.is_some()),
        ("messages", !task.messages.is_empty()),
        ("max_tokens", task.max_tokens.is_some()),
        ("temperature", task.temperature.is_some()),
        ("stream", task.stream.is_some()),
        ("include_usage", task.include_usage.is_some()),
        ("extra", task.extra.is_some()),
    ];
    if task.kind != TaskKind::Chat {
        refuse_fields(&chat_fields, "chat", "chat", label, &span, errors);
        return None;
    }
    if task.body.is_some() {
        errors.push(
            Some(span.clone()),
            format!("{label}: chat tasks build their body from model and messages; remove body (put extra fields in extra = {{ ... }})"),
        );
    }
    let Some(model) = task.model.clone() else {
        errors.push(
            Some(span),
            format!("{label}: chat tasks need a model (e.g. model = \"gpt-4o-mini\")"),
        );
        return None;
    };
    if task.messages.is_empty() {
        errors.push(
            Some(span),
            format!(
                "{label}: chat tasks need messages, e.g. messages = [{{ role = \"user\", content = \"{{{{ pool.prompts | random }}}}\" }}]"
            ),
        );
        return None;
    }
    let mut messages = Vec::new();
    for (number, message) in task.messages.iter().enumerate() {
        if !["system", "user", "assistant", "developer", "tool"].contains(&message.role.as_str()) {
            errors.push(
                Some(span.clone()),
                format!(
                    "{label}: message {} has role {:?} (expected system, user, assistant, developer or tool)",
                    number + 1,
                    message.role
                ),
            );
        }
        let spanned = Spanned::new(span.clone(), message.content.clone());
        let content = compile_text(
            env,
            format!("task{index}.message{number}"),
            &spanned,
            pool_names,
            label,
            "message content",
            errors,
        );
        messages.push((message.role.clone(), content));
    }
    let extra = match task.extra.as_ref().map(serde_json::to_value) {
        None => serde_json::Map::new(),
        Some(Ok(serde_json::Value::Object(map))) => map,
        Some(_) => {
            errors.push(Some(span.clone()), format!("{label}: extra must be a table of body fields"));
            serde_json::Map::new()
        }
    };
    if let Some(temperature) = task.temperature
        && !(0.0..=2.0).contains(&temperature)
    {
        errors.push(Some(span.clone()), format!("{label}: temperature {temperature} is outside 0 to 2"));
    }
    let stream = task.stream.unwrap_or(false);
    Some(ChatSpec {
        model,
        messages,
        max_tokens: task.max_tokens,
        temperature: task.temperature,
        stream,
        include_usage: task.include_usage.unwrap_or(true),
        extra,
    })
}

fn check_headers(headers: &BTreeMap<String, String>, span: Option<std::ops::Range<usize>>, label: &str, errors: &mut Errors) {
    for (name, value) in headers {
        if HeaderName::from_bytes(name.as_bytes()).is_err() {
            errors.push(span.clone(), format!("{label}: header name {name:?} is not valid"));
        }
        if HeaderValue::from_str(value).is_err() {
            errors.push(
                span.clone(),
                format!("{label}: header {name} has a value with characters HTTP does not allow"),
            );
        }
    }
}

fn compile_check(check: &Check) -> Result<CheckRule, String> {
    match (&check.json_pointer, &check.body_contains) {
        (Some(_), Some(_)) => Err("a check has both json_pointer and body_contains; split it into two checks".into()),
        (None, None) => Err("a check needs json_pointer or body_contains".into()),
        (None, Some(needle)) => {
            if check.equals.is_some() || check.exists.is_some() {
                return Err("equals/exists go with json_pointer, not body_contains".into());
            }
            if needle.is_empty() {
                return Err("body_contains is empty".into());
            }
            Ok(CheckRule::BodyContains(needle.clone()))
        }
        (Some(pointer), None) => {
            if !pointer.is_empty() && !pointer.starts_with('/') {
                return Err(format!(
                    "json_pointer {pointer:?} must start with '/' (RFC 6901, e.g. \"/choices/0\")"
                ));
            }
            match (&check.equals, check.exists) {
                (Some(_), Some(_)) => Err("a check has both equals and exists; use one".into()),
                (Some(value), None) => Ok(CheckRule::JsonEquals(pointer.clone(), value.clone())),
                (None, Some(false)) => Ok(CheckRule::JsonAbsent(pointer.clone())),
                (None, _) => Ok(CheckRule::JsonExists(pointer.clone())),
            }
        }
    }
}

/// The most users (or requests in flight) one level may ask of one load generator.
pub const MAX_USERS: u32 = 1_000_000;

fn compile_level(index: usize, level: &super::model::Level) -> Result<CompiledLevel, String> {
    let name = level.name.clone().unwrap_or_else(|| format!("Level {}", index + 1));
    if level.duration.0.is_zero() {
        return Err("duration must be longer than 0s".into());
    }
    let load = match (level.users, level.rate_per_sec) {
        (Some(_), Some(_)) => return Err("has both users (closed model) and rate_per_sec (open model); keep one".into()),
        (None, None) => return Err("needs users (closed model) or rate_per_sec (open model)".into()),
        (Some(users), None) => {
            if users == 0 {
                return Err("users = 0 sends nothing; a level needs at least 1 user (e.g. users = 10)".into());
            }
            if users > MAX_USERS {
                return Err(format!(
                    "users = {users} is more than one load generator can run (at most {MAX_USERS}); spread the load over machines"
                ));
            }
            if level.max_in_flight.is_some() {
                return Err("max_in_flight applies to open-model levels (rate_per_sec), not users".into());
            }
            if let Some(rate) = level.spawn_rate
                && !(rate.is_finite() && rate > 0.0)
            {
                return Err(format!("spawn_rate {rate} must be a positive number of users per second"));
            }
            LoadModel::Closed {
                users,
                spawn_rate: level.spawn_rate,
            }
        }
        (None, Some(rate)) => {
            if level.spawn_rate.is_some() {
                return Err("spawn_rate applies to closed-model levels (users), not rate_per_sec".into());
            }
            if !(rate.is_finite() && rate > 0.0) {
                return Err(format!("rate_per_sec {rate} must be a positive number"));
            }
            let max_in_flight = level.max_in_flight.unwrap_or(DEFAULT_MAX_IN_FLIGHT);
            if max_in_flight == 0 {
                return Err("max_in_flight must be at least 1".into());
            }
            if max_in_flight > MAX_USERS {
                return Err(format!(
                    "max_in_flight = {max_in_flight} is more than one load generator can hold (at most {MAX_USERS})"
                ));
            }
            LoadModel::Open {
                rate_per_sec: rate,
                max_in_flight,
            }
        }
    };
    Ok(CompiledLevel {
        name,
        load,
        duration: level.duration.0,
    })
}
