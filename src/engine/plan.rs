//! The run plan: a compiled preset with secrets resolved and every request part prepared, so
//! the request path only clones ready values (and renders templates where a task has them).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;
use hyper::header::{CONTENT_TYPE, HOST, HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use hyper::http::{Method, Uri};
use rand::RngExt;
use rand::rngs::SmallRng;

use crate::engine::protocols::http::Endpoint;
use crate::preset::CompiledPreset;
use crate::preset::compile::{CheckRule, CompiledScenario, TextSource};
use crate::preset::model::ExpectStatus;
use crate::preset::secrets;
use crate::preset::template::request_context;

/// Why a compiled preset cannot run as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("preset {preset}, scenario {scenario:?}, header {header}: {source}")]
    MissingSecret {
        preset: String,
        scenario: String,
        header: String,
        source: secrets::MissingSecret,
    },
    #[error("preset {preset}, scenario {scenario:?}: {message}")]
    Endpoint { preset: String, scenario: String, message: String },
}

/// Everything a run needs.
#[derive(Clone)]
pub struct RunPlan {
    pub preset: CompiledPreset,
    pub scenarios: Vec<Arc<ScenarioPlan>>,
    /// Where the run file goes.
    pub out_path: PathBuf,
    /// How often the run file is rewritten during the run.
    pub autosave_every: Duration,
    /// Worker threads (each a current-thread runtime); users are spread over them.
    pub workers: usize,
    /// Check each service's health before the first level.
    pub preflight: bool,
}

impl RunPlan {
    /// Prepares a compiled preset, resolving `${VAR}` secrets with `lookup`.
    pub fn new(preset: CompiledPreset, out_path: PathBuf, lookup: &dyn Fn(&str) -> Option<String>) -> Result<RunPlan, PlanError> {
        let mut scenarios = Vec::new();
        for scenario in &preset.scenarios {
            scenarios.push(Arc::new(ScenarioPlan::new(&preset.source, scenario, lookup)?));
        }
        Ok(RunPlan {
            preset,
            scenarios,
            out_path,
            autosave_every: Duration::from_secs(2),
            workers: std::thread::available_parallelism().map(usize::from).unwrap_or(1),
            preflight: true,
        })
    }

    /// The number of stages (levels across all scenarios).
    pub fn stage_count(&self) -> usize {
        self.scenarios.iter().map(|scenario| scenario.compiled.levels.len()).sum()
    }
}

/// A scenario ready to send requests.
pub struct ScenarioPlan {
    pub compiled: CompiledScenario,
    pub endpoint: Endpoint,
    pub tasks: Vec<TaskPlan>,
    cumulative_weights: Vec<u32>,
}

/// A task ready to send requests.
pub struct TaskPlan {
    pub name: String,
    method: Method,
    path: PreparedText<Uri>,
    headers: HeaderMap,
    body: Option<PreparedText<Bytes>>,
    pub expect_status: Option<ExpectStatus>,
    pub checks: Vec<CheckRule>,
}

enum PreparedText<T> {
    Ready(T),
    Template(String),
}

impl ScenarioPlan {
    fn new(preset: &str, scenario: &CompiledScenario, lookup: &dyn Fn(&str) -> Option<String>) -> Result<ScenarioPlan, PlanError> {
        let endpoint_error = |message: String| PlanError::Endpoint {
            preset: preset.to_string(),
            scenario: scenario.name.clone(),
            message,
        };
        let endpoint = Endpoint::new(&scenario.base).map_err(endpoint_error)?;
        let mut base_headers = HeaderMap::new();
        let host = HeaderValue::from_str(&scenario.base.authority()).map_err(|err| endpoint_error(format!("host: {err}")))?;
        base_headers.insert(HOST, host);
        base_headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("loadscope/", env!("CARGO_PKG_VERSION"))),
        );
        let resolve_into = |headers: &mut HeaderMap, pairs: &[(String, String)]| -> Result<(), PlanError> {
            for (name, value) in pairs {
                let resolved = secrets::resolve(value, lookup).map_err(|source| PlanError::MissingSecret {
                    preset: preset.to_string(),
                    scenario: scenario.name.clone(),
                    header: name.clone(),
                    source,
                })?;
                // Names and values were checked when the preset compiled; a secret's value may
                // still hold characters HTTP refuses.
                let name = HeaderName::from_bytes(name.as_bytes()).map_err(|err| endpoint_error(format!("header {name}: {err}")))?;
                let value = HeaderValue::from_str(&resolved)
                    .map_err(|_| endpoint_error(format!("header {name}: the resolved value holds characters HTTP does not allow")))?;
                headers.insert(name, value);
            }
            Ok(())
        };
        resolve_into(&mut base_headers, &scenario.headers)?;
        let mut tasks = Vec::new();
        for task in &scenario.tasks {
            let mut headers = base_headers.clone();
            resolve_into(&mut headers, &task.headers)?;
            let path = match &task.path {
                TextSource::Literal(path) => PreparedText::Ready(
                    format!("{}{}", scenario.base.path_prefix, path)
                        .parse::<Uri>()
                        .map_err(|err| endpoint_error(format!("task {:?}: path {path:?} is not valid: {err}", task.name)))?,
                ),
                TextSource::Template(name) => PreparedText::Template(name.clone()),
            };
            let body = task.body.as_ref().map(|body| match body {
                TextSource::Literal(text) => PreparedText::Ready(Bytes::from(text.clone())),
                TextSource::Template(name) => PreparedText::Template(name.clone()),
            });
            if let Some(body) = &task.body
                && !headers.contains_key(CONTENT_TYPE)
            {
                let text = match body {
                    TextSource::Literal(text) | TextSource::Template(text) => text,
                };
                let looks_json = match body {
                    TextSource::Literal(_) => text.trim_start().starts_with(['{', '[']),
                    // A template's first character is only known after rendering; presets with
                    // JSON bodies are the norm, and a task can set Content-Type itself.
                    TextSource::Template(_) => true,
                };
                if looks_json {
                    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                }
            }
            tasks.push(TaskPlan {
                name: task.name.clone(),
                method: task.method.clone(),
                path,
                headers,
                body,
                expect_status: task.expect_status.clone(),
                checks: task.checks.clone(),
            });
        }
        let mut total = 0;
        let cumulative_weights = scenario
            .tasks
            .iter()
            .map(|task| {
                total += task.weight;
                total
            })
            .collect();
        Ok(ScenarioPlan {
            compiled: scenario.clone(),
            endpoint,
            tasks,
            cumulative_weights,
        })
    }

    /// Picks a task by weight.
    pub fn pick_task(&self, rng: &mut SmallRng) -> usize {
        let total = self.cumulative_weights.last().copied().unwrap_or(0);
        if self.tasks.len() <= 1 || total == 0 {
            return 0;
        }
        let roll = rng.random_range(0..total);
        self.cumulative_weights.partition_point(|&bound| bound <= roll)
    }

    /// A random think time per the scenario's setting.
    pub fn think_time(&self, rng: &mut SmallRng) -> Duration {
        use crate::preset::model::ThinkTime;
        match self.compiled.think_time {
            ThinkTime::None => Duration::ZERO,
            ThinkTime::Constant(duration) => duration.0,
            ThinkTime::Between { min, max } => {
                if min >= max {
                    min.0
                } else {
                    Duration::from_secs_f64(rng.random_range(min.0.as_secs_f64()..max.0.as_secs_f64()))
                }
            }
        }
    }

    /// Builds task `task`'s request for user `user_id`'s `seq`-th request.
    pub fn build_request(&self, task: usize, user_id: u64, seq: u64) -> Result<Request<Full<Bytes>>, String> {
        let plan = &self.tasks[task];
        let render = |name: &str| -> Result<String, String> {
            let template = self
                .compiled
                .templates
                .get_template(name)
                .map_err(|err| format!("template: {err}"))?;
            template
                .render(request_context(&self.compiled.pools, user_id, seq))
                .map_err(|err| format!("template {}: {}", plan.name, err.detail().unwrap_or("render failed")))
        };
        let uri = match &plan.path {
            PreparedText::Ready(uri) => uri.clone(),
            PreparedText::Template(name) => {
                let path = render(name)?;
                format!("{}{}", self.compiled.base.path_prefix, path)
                    .parse::<Uri>()
                    .map_err(|err| format!("rendered path {path:?} is not valid: {err}"))?
            }
        };
        let body = match &plan.body {
            None => Bytes::new(),
            Some(PreparedText::Ready(bytes)) => bytes.clone(),
            Some(PreparedText::Template(name)) => Bytes::from(render(name)?),
        };
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = plan.method.clone();
        *request.uri_mut() = uri;
        *request.headers_mut() = plan.headers.clone();
        Ok(request)
    }
}
