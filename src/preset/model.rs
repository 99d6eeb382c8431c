//! The preset file format: a suite of scenarios, each with a service, tasks, levels and
//! targets. These types are exactly what the TOML holds (with source spans kept for the fields
//! whose mistakes are found after parsing), and they serialize back to the same shape, which is
//! how a run file records "the preset as run".

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use toml::Spanned;

use crate::measure::duration::HumanDuration;

/// A preset: one or more scenarios run in order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    /// A display name; defaults to the file name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The scenarios, written as `[[scenario]]` tables.
    #[serde(rename = "scenario", default)]
    pub scenarios: Vec<Scenario>,
    /// What to sample beside the load: GPUs, containers, the host, Prometheus endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitors: Option<MonitorsSpec>,
    /// What Loadscope shows other tools while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export: Option<ExportSpec>,
}

/// `[export]`: live metrics for Prometheus.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportSpec {
    /// Serve `/metrics` here during runs: `HOST:PORT`, or a port alone for 127.0.0.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_addr: Option<Spanned<String>>,
    /// After a run stopped by a signal, how long to wait for Prometheus's last scrape once
    /// every output is written (default 5s; a container's grace period must cover it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_scrape_wait: Option<Spanned<HumanDuration>>,
}

/// `[monitors]`: GPU and host sampling are on unless turned off; containers and Prometheus
/// endpoints are watched when named.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorsSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<bool>,
    /// How often to sample (default 1s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Spanned<HumanDuration>>,
    /// `{ name = "REGEX", compose_project = "NAME" }`; `{}` watches every running container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub containers: Option<Spanned<crate::monitor::ContainerFilter>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prometheus: Vec<Spanned<crate::monitor::PrometheusEndpoint>>,
}

/// One service under test and how to load it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: Spanned<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The service under test (`[scenario.service]`); a scenario that loads several names
    /// them in `services` instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<Service>,
    /// Several services by name (`[scenario.services.gateway]`, `[scenario.services.rag]`);
    /// each task and journey step says which it uses with `service = "NAME"`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, Service>,
    /// Pause between a user's requests.
    #[serde(default)]
    pub think_time: ThinkTime,
    /// Per-request timeout (connect, send and read the whole body).
    #[serde(default = "default_timeout")]
    pub timeout: HumanDuration,
    /// Data pools for templates: `pool.NAME` in a template.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pools: BTreeMap<String, Spanned<PoolSpec>>,
    #[serde(rename = "task", default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<Spanned<Task>>,
    /// One user's turn through several services, step by step (`[[scenario.journey]]`),
    /// picked by weight among the tasks.
    #[serde(rename = "journey", default, skip_serializing_if = "Vec::is_empty")]
    pub journeys: Vec<Spanned<JourneySpec>>,
    #[serde(rename = "level", default)]
    pub levels: Vec<Spanned<Level>>,
    #[serde(rename = "target", default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Spanned<TargetSpec>>,
    /// Settings for the scenario's MCP sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp: Option<McpSettings>,
    /// Requests run once before the first level (create a collection, log in), not counted.
    #[serde(rename = "setup", default, skip_serializing_if = "Vec::is_empty")]
    pub setup: Vec<Spanned<SetupStep>>,
    /// Named kinds of failure, counted per level and usable in targets.
    #[serde(rename = "failure_class", default, skip_serializing_if = "Vec::is_empty")]
    pub failure_classes: Vec<Spanned<FailureClassSpec>>,
    /// What `degradation` targets compare against: an earlier scenario of this suite
    /// (`{ scenario = "API Gateway baseline" }`) or a saved run
    /// (`{ run = "runs/baseline.json", scenario = "API Gateway baseline" }`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Spanned<BaselineSpec>>,
    /// Per-request objectives (`[scenario.objectives]`): what one request must meet to count
    /// as good, for SLO attainment and goodput.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objectives: Option<Spanned<ObjectivesSpec>>,
    /// A capacity search instead of fixed levels (`[scenario.capacity]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<Spanned<CapacitySpec>>,
    /// Requests replayed at their recorded times instead of levels (`[scenario.trace]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Spanned<TraceSpec>>,
}

/// `[scenario.trace]`: a trace file's requests sent at their recorded times (open model), as
/// chat completions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceSpec {
    /// JSONL, relative to the preset.
    pub file: String,
    /// `mooncake` (`timestamp` ms, `input_length`, `output_length`, `hash_ids`) or `requests`
    /// (`{timestamp, body}` OpenAI request bodies).
    pub format: String,
    /// 2 = twice as fast (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speedup: Option<f64>,
    /// Start again from the first request when the last was sent, until `duration`.
    #[serde(rename = "loop", default, skip_serializing_if = "Option::is_none")]
    pub looped: Option<bool>,
    /// How long the replay runs (default: the trace's span once, sped up); needed with loop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<HumanDuration>,
    /// Mooncake: tokens in each shared prompt block a hash id names (default 512).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_tokens: Option<u32>,
    /// Mooncake: the model named in each request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Mooncake: stream the replies (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// Where the requests go below the base URL (default /v1/chat/completions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Which of `[scenario.services]` (with several).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<Spanned<String>>,
    /// The most requests in flight at once (default 1000); later arrivals wait and are late.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<u32>,
}

/// `[scenario.capacity]`: search for the highest load at which every target holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacitySpec {
    /// `users` (closed model) or `rate` (open model, arrivals per second).
    pub over: String,
    /// The first step's load.
    pub start: f64,
    /// The highest load tried.
    pub max: f64,
    /// While targets hold, each step is this many times the last (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub growth: Option<f64>,
    /// Bisecting stops when the failing load is within this much of the held one (default "10%").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<String>,
    /// How long each step is measured.
    pub step: HumanDuration,
    /// Before each step's measurement, not counted (default 5s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup: Option<HumanDuration>,
    /// Users joining per second (closed model; default all at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spawn_rate: Option<f64>,
    /// The in-flight cap (open model; default 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<u32>,
}

/// `[scenario.objectives]`: limits on one request. Durations as elsewhere (`"500ms"`, `"2s"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectivesSpec {
    /// Time to first token, at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft: Option<HumanDuration>,
    /// Inter-token latency within a reply, at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub itl: Option<HumanDuration>,
    /// Which of a reply's gaps `itl` limits: `mean` (default), `p50`, `p90`, `p95`, `p99`, `max`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub itl_within: Option<String>,
    /// End-to-end latency, at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<HumanDuration>,
    /// A reply's output tokens per second, at least.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens_per_sec: Option<f64>,
}

/// A scenario's baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineSpec {
    /// A saved run file (relative to the preset's folder); absent: this suite's own run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// The baseline scenario's name (in the saved run, may be left out when it has one scenario
    /// or one named like this scenario or "<this scenario> baseline").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// Set when `--scenario` left the baseline scenario out of this run.
    #[serde(skip)]
    pub left_out: bool,
}

/// A named kind of failure: failed requests whose status is listed (any, when none is) and
/// whose body or failure message matches `matches` (a regex; any, when absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureClassSpec {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub status: Vec<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<String>,
}

fn default_timeout() -> HumanDuration {
    HumanDuration(std::time::Duration::from_secs(30))
}

/// Where the service lives and how to tell it is up.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// `http://host:port` (an optional path prefix is kept).
    pub base_url: Spanned<String>,
    /// Headers sent with every request; values may reference `${ENV_VAR}` secrets.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Path checked before the run (GET); no preflight when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_path: Option<String>,
    #[serde(default = "default_health_status")]
    pub health_status: u16,
    /// What to tell people when the health check fails, e.g. `make up-p2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_hint: Option<String>,
    /// PEM file of extra root certificates for https (a private CA), relative to the preset.
    /// A certificate in it that the server presents as its own is trusted as itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<Spanned<String>>,
    /// false: accept any https certificate (a development server); the run, the app and the
    /// reports say so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_verify: Option<bool>,
}

fn default_health_status() -> u16 {
    200
}

/// `[[scenario.journey]]`: steps run in order by one user, values carried from one reply into
/// the next (`save`, then `{{ journey.NAME }}`), measured end to end.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JourneySpec {
    pub name: String,
    /// Picked by weight among the scenario's tasks and journeys.
    #[serde(default = "default_weight")]
    pub weight: u32,
    /// Pause between one step and the next (a person reading the reply).
    #[serde(default)]
    pub think_time: ThinkTime,
    /// The steps in order: `[[scenario.journey.step]]` tables, each an http, chat or mcp
    /// request with the fields tasks have, a `service`, what it `save`s, and whether it is
    /// `optional`.
    #[serde(rename = "step", alias = "steps", default)]
    pub steps: Vec<Spanned<Task>>,
}

/// A constant pause, or a uniformly random one between two bounds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum ThinkTime {
    #[default]
    None,
    Constant(HumanDuration),
    Between {
        min: HumanDuration,
        max: HumanDuration,
    },
}

impl Serialize for ThinkTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        match self {
            ThinkTime::None => serializer.serialize_str("0s"),
            ThinkTime::Constant(duration) => duration.serialize(serializer),
            ThinkTime::Between { min, max } => {
                let mut table = serializer.serialize_struct("ThinkTime", 2)?;
                table.serialize_field("min", min)?;
                table.serialize_field("max", max)?;
                table.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for ThinkTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Bounds {
            min: HumanDuration,
            max: HumanDuration,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Constant(HumanDuration),
            Between(Bounds),
        }
        match Raw::deserialize(deserializer) {
            Ok(Raw::Constant(duration)) if duration.0.is_zero() => Ok(ThinkTime::None),
            Ok(Raw::Constant(duration)) => Ok(ThinkTime::Constant(duration)),
            Ok(Raw::Between(bounds)) => {
                if bounds.min > bounds.max {
                    return Err(serde::de::Error::custom(format!(
                        "think_time min {} is larger than max {}",
                        bounds.min, bounds.max
                    )));
                }
                Ok(ThinkTime::Between {
                    min: bounds.min,
                    max: bounds.max,
                })
            }
            Err(_) => Err(serde::de::Error::custom(
                "think_time must be a duration (\"1s\") or a range ({ min = \"1s\", max = \"3s\" })",
            )),
        }
    }
}

/// A data pool: an inline list, a file (one item a line, or a JSON array of strings), or a
/// folder (each file one item, e.g. documents to index).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PoolSpec {
    Inline(Vec<String>),
    File { file: String },
    Dir { dir: String },
}

/// A request made once before a scenario's first level, not counted; `save` keeps values from
/// its JSON reply (by JSON pointer) for templates as `setup.NAME`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupStep {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    pub path: Spanned<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_status: Option<ExpectStatus>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub save: BTreeMap<String, String>,
    /// Which of `[scenario.services]` it goes to (needed when there are several).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

/// The kind of request a task makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TaskKind {
    /// Any HTTP request.
    #[default]
    Http,
    /// An OpenAI-compatible chat completion, streamed or not.
    Chat,
    /// A tool call on an MCP session (streamable HTTP).
    Mcp,
}

/// MCP settings of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct McpSettings {
    /// Sent in `initialize` (default 2025-06-18).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<String>,
    /// Close the session and open a new one after this many calls (0 or absent: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_churn: Option<u32>,
    /// JSON-RPC error codes that mean "too many concurrent calls": counted as `limited`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub limit_error_codes: Vec<i64>,
}

/// One chat message; `content` is a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

/// One kind of request, picked by weight.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Task {
    pub name: String,
    #[serde(default = "default_weight")]
    pub weight: u32,
    #[serde(default)]
    pub kind: TaskKind,
    /// HTTP method; GET for http tasks when absent, always POST for chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Path below the base URL; may be a template. Chat tasks default to
    /// `/v1/chat/completions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Spanned<String>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Request body; a template (`{{ pool.queries | random | tojson }}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Spanned<String>>,
    /// Accepted statuses; any 2xx when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_status: Option<ExpectStatus>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Spanned<Check>>,
    /// The most of a reply body read for checks and parsing (default 8 MiB): a longer reply
    /// fails its checks instead of costing memory per user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_body_bytes: Option<u64>,
    /// Follow redirects (301, 302, 303, 307, 308), up to 10 (default true); false judges the
    /// redirect itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_redirects: Option<bool>,
    /// Chat: the model name sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Chat: the conversation (system + user from a pool, typically).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<ChatMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Chat: stream the reply as server-sent events (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// Chat, streamed: ask for a final usage chunk (`stream_options.include_usage`, default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_usage: Option<bool>,
    /// Chat: more fields merged into the request body (`top_p`, `seed`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<toml::Table>,
    /// Chat: prompts of a number of tokens drawn from a distribution, built from the shipped
    /// corpus (`[scenario.task.synthetic]`); the task's messages, if any, go before them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synthetic: Option<Spanned<SyntheticSpec>>,
    /// Chat: prompts from a dataset file (`[scenario.task.dataset]`), after the task's messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<Spanned<DatasetSpec>>,
    /// Chat: a user's conversation lasts this many turns (a number or a distribution), each
    /// reply appended to the history it sends next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turns: Option<TokenCountSpec>,
    /// Chat, multi-turn: the most prompt tokens of history a conversation sends again; the
    /// oldest exchanges are dropped past it, as chat clients do (default 131,072, a 128k
    /// context).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_history_tokens: Option<u64>,
    /// Chat: the tokenizer prompt tokens are counted with (`o200k_base`, `cl100k_base`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokenizer: Option<String>,
    /// MCP: the tool to call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// MCP: the tool's arguments; string values may be templates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<toml::Table>,
    /// MCP: `"error"` for probes the server must refuse (a success is a sandbox violation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<String>,
    /// Which of `[scenario.services]` the request goes to (needed when there are several).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<Spanned<String>>,
    /// Journey steps: values kept from the reply for later steps (`{{ journey.NAME }}`): a JSON
    /// pointer into the reply (`"/results/0/text"`), or `"text"` for a chat reply's text or an
    /// MCP call's text content.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub save: BTreeMap<String, String>,
    /// Journey steps: a failure here does not end the journey (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional: Option<bool>,
    /// Chat: offer the tools of this MCP service (`tools = "mcp"` names
    /// `[scenario.services.mcp]`) and run the model's tool calls there, sending the results
    /// back until a reply asks for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Spanned<String>>,
    /// Chat with tools: the most rounds of tool calls before the step gives up (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tool_rounds: Option<u32>,
    /// Chat: a user who stops the reply this long after sending (closing the stream, or the
    /// connection), as pressing Stop does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_after: Option<HumanDuration>,
    /// Chat, streamed: ...or once this many output tokens have arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_after_tokens: Option<u32>,
    /// Chat: the share of requests whose user cancels (0 to 1; default 1 when a cancel point
    /// is set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_share: Option<f64>,
}

/// `[scenario.task.dataset]`: prompts read from a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetSpec {
    /// A JSONL or ShareGPT file, relative to the preset (or `shipped:chat-prompts.jsonl`).
    pub file: String,
    /// `jsonl` (default) or `sharegpt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Keep only prompts of at least / at most this many tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_prompt_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_prompt_tokens: Option<u64>,
    /// Seeds which prompt each request gets (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

/// `[scenario.task.synthetic]`: token-shaped prompts and replies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyntheticSpec {
    /// The prompt's length in tokens: a number, or `{ dist = "normal", mean, stddev, min, max }`.
    pub prompt_tokens: TokenCountSpec,
    /// Tokens at the start of every prompt that are the same in all (prefix caching).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_prefix_tokens: Option<u32>,
    /// The reply's length: sent as `max_tokens`, drawn per request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<TokenCountSpec>,
    /// Ask vLLM-style servers to produce exactly `output_tokens` (`min_tokens` and `ignore_eos`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact_output: Option<bool>,
    /// Seeds the lengths and the prompts (default 0): the same seed, the same prompts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

/// A token count: a number, or a distribution table.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum TokenCountSpec {
    Fixed(u32),
    Shaped(TokenShapeSpec),
}

/// `{ dist = "uniform", min = 100, max = 300 }`, `{ dist = "normal", mean = 512, stddev = 64,
/// min = 128, max = 1024 }`, `{ dist = "histogram", buckets = [[128, 3], [1024, 1]] }` or
/// `{ dist = "fixed", value = 256 }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenShapeSpec {
    pub dist: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stddev: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
    /// (tokens, weight) pairs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buckets: Vec<(u32, f64)>,
}

impl<'de> Deserialize<'de> for TokenCountSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CountVisitor;
        impl<'de> serde::de::Visitor<'de> for CountVisitor {
            type Value = TokenCountSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number of tokens, or a table such as { dist = \"uniform\", min = 100, max = 300 }")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<TokenCountSpec, E> {
                u32::try_from(v)
                    .map(TokenCountSpec::Fixed)
                    .map_err(|_| E::custom(format!("{v} is not a number of tokens")))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<TokenCountSpec, E> {
                self.visit_i64(v as i64)
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, map: M) -> Result<TokenCountSpec, M::Error> {
                TokenShapeSpec::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(TokenCountSpec::Shaped)
            }
        }
        deserializer.deserialize_any(CountVisitor)
    }
}

fn default_weight() -> u32 {
    1
}

/// One status or a list of statuses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ExpectStatus {
    One(u16),
    Any(Vec<u16>),
}

impl ExpectStatus {
    /// Whether `status` is accepted.
    pub fn accepts(&self, status: u16) -> bool {
        match self {
            ExpectStatus::One(one) => *one == status,
            ExpectStatus::Any(list) => list.contains(&status),
        }
    }
}

/// A check on a response body. Exactly one of `json_pointer` or `body_contains` is set; with
/// `json_pointer`, `equals` compares the value and `exists = false` asks for absence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_pointer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_contains: Option<String>,
}

/// A load step. Closed model: `users` (+ `spawn_rate`); open model: `rate_per_sec` (+
/// `max_in_flight`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<u32>,
    /// Users started (or stopped) per second; all at once when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spawn_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_per_sec: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<u32>,
    pub duration: HumanDuration,
    /// The level ends once this many requests have finished (oha's `-n`), or at its duration,
    /// whichever comes first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
}

/// A target: an expression, optionally scoped to one level and/or one task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSpec {
    pub expr: Spanned<String>,
    /// A level's name or 1-based number; all levels when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Spanned<LevelRef>>,
    /// A task's name; all tasks together when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<Spanned<String>>,
    /// A journey's name, for journey metrics (`journey_p95`, ...); all journeys together when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journey: Option<Spanned<String>>,
    /// Stop the run as soon as this target fails (k6's abortOnFail).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub abort_on_fail: bool,
    /// How long a level runs before an abort_on_fail target is checked (k6's delayAbortEval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abort_delay: Option<HumanDuration>,
}

/// How a target names a level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LevelRef {
    Number(usize),
    Name(String),
}

impl std::fmt::Display for LevelRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LevelRef::Number(number) => write!(f, "{number}"),
            LevelRef::Name(name) => write!(f, "{name:?}"),
        }
    }
}
