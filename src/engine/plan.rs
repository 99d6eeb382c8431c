//! The run plan: a compiled preset with secrets resolved and every request part prepared, so
//! the request path only clones ready values (and renders templates where a task has them).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::header::{CONTENT_TYPE, HOST, HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use hyper::http::{Method, Uri};
use rand::RngExt;
use rand::SeedableRng;
use rand::rngs::SmallRng;

use crate::engine::conversation::{ChatSession, UserTurn};
use crate::engine::protocols::chat::ChatExtras;
use crate::engine::protocols::http::Endpoint;
use crate::engine::protocols::mcp::McpSession;
use crate::preset::CompiledPreset;
use crate::preset::compiled::{ChatSpec, CheckRule, CompiledScenario, CompiledService, CompiledTask, McpCall, TextSource};
use crate::preset::model::ExpectStatus;
use crate::preset::secrets;
use crate::preset::segment::Segment;
use crate::preset::template::{journey_context, request_context};
use crate::tokens::SyntheticPrompts;

/// Why a compiled preset cannot run as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("preset {preset}, scenario {scenario:?}, {field}: {source}")]
    MissingSecret {
        preset: String,
        scenario: String,
        /// Where the reference is: `header Authorization`, `task "search" path`, ...
        field: String,
        source: secrets::MissingSecret,
    },
    #[error("preset {preset}, scenario {scenario:?}: {message}")]
    Endpoint { preset: String, scenario: String, message: String },
    /// A saved baseline run the preset names cannot be used.
    #[error("{0}")]
    Baseline(crate::preset::PresetErrors),
}

/// Everything a run needs.
#[derive(Clone)]
pub struct RunPlan {
    pub preset: CompiledPreset,
    pub scenarios: Vec<Arc<ScenarioPlan>>,
    /// The run's id (start time and a random suffix): unique across runs started together.
    pub run_id: String,
    /// Where the run file goes.
    pub out_path: PathBuf,
    /// The file must not exist yet (a library name); false for a path the person named, which
    /// a new run replaces as `-o` does.
    pub out_must_be_new: bool,
    /// How often the run file is rewritten during the run.
    pub autosave_every: Duration,
    /// Worker threads (each a current-thread runtime); users are spread over them.
    pub workers: usize,
    /// Check each service's health before the first level.
    pub preflight: bool,
    /// `--segment i/n`: this process runs one share of every level (see [`RunPlan::set_segment`]).
    pub segment: Option<Segment>,
    /// `--start-at`: the first level starts at this wall-clock time (after the checks).
    pub start_at: Option<std::time::SystemTime>,
    /// `--repeat N`: this run is one of N of the preset.
    pub repeat: Option<crate::run::RepeatRecord>,
}

impl RunPlan {
    /// Prepares a compiled preset that writes its run to `out_path` (replacing a file there),
    /// resolving `${VAR}` secrets with `lookup`.
    pub fn new(mut preset: CompiledPreset, out_path: PathBuf, lookup: &dyn Fn(&str) -> Option<String>) -> Result<RunPlan, PlanError> {
        // Callers that checked the preset already read its saved baselines; this reads any left.
        crate::analysis::baseline::resolve_saved_baselines(&mut preset).map_err(PlanError::Baseline)?;
        let run_id = crate::run::library::new_run_id(std::time::SystemTime::now());
        let mut scenarios = Vec::new();
        for scenario in &preset.scenarios {
            scenarios.push(Arc::new(ScenarioPlan::new(&preset.source, scenario, lookup)?));
        }
        Ok(RunPlan {
            preset,
            scenarios,
            run_id,
            out_path,
            out_must_be_new: false,
            autosave_every: Duration::from_secs(2),
            workers: std::thread::available_parallelism().map(usize::from).unwrap_or(1),
            preflight: true,
            segment: None,
            start_at: None,
            repeat: None,
        })
    }

    /// Makes this plan segment `segment` of a run: its users get ids no other segment uses.
    /// (The levels' loads are split before planning, by `Segment::apply` on the preset.)
    pub fn set_segment(&mut self, segment: Segment) {
        self.segment = Some(segment);
        for scenario in &mut self.scenarios {
            match Arc::get_mut(scenario) {
                Some(scenario) => scenario.segment = Some(segment),
                None => unreachable!("a plan's scenarios are not shared before it starts"),
            }
        }
    }

    /// Like [`RunPlan::new`], writing a new file named after the run in the library folder
    /// `runs_dir` (never over another run's).
    pub fn in_library(
        preset: CompiledPreset,
        runs_dir: &std::path::Path,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<RunPlan, PlanError> {
        let mut plan = RunPlan::new(preset, PathBuf::new(), lookup)?;
        plan.out_path = runs_dir.join(crate::run::library::library_file_name(&plan.run_id, &plan.preset.name));
        plan.out_must_be_new = true;
        Ok(plan)
    }

    /// The number of stages (levels across all scenarios).
    pub fn stage_count(&self) -> usize {
        self.scenarios.iter().map(|scenario| scenario.compiled.levels.len()).sum()
    }
}

/// A scenario ready to send requests.
pub struct ScenarioPlan {
    pub compiled: CompiledScenario,
    /// Where each service's requests go (the scenario's services, in order).
    pub endpoints: Vec<Endpoint>,
    /// The preset's tasks and journey steps, their tool-call rows, then (for scenarios with
    /// MCP) the session-opening row.
    pub tasks: Vec<TaskPlan>,
    /// What a user picks from: each task and journey with a weight, and the running total.
    picks: Vec<(Work, u32)>,
    /// Index of the "MCP initialize" row, when the scenario has MCP tasks.
    pub mcp_init_task: Option<usize>,
    /// The setup steps, ready to send.
    setup: Vec<SetupPlan>,
    /// What the setup steps saved (`setup.NAME` in templates); set before the first level.
    setup_values: std::sync::RwLock<minijinja::Value>,
    /// The `${VAR}` values this scenario sends: filled into rendered templates, and taken
    /// back out of every failure message and report before it is recorded.
    pub secrets: secrets::Secrets,
    /// Each service's headers, resolved (for the preflight's health check).
    pub service_headers: Vec<HeaderMap>,
    /// This process's segment of the run: user ids interleave with the other segments'.
    segment: Option<Segment>,
}

/// A setup step ready to send.
struct SetupPlan {
    /// Its service's path prefix (a templated path goes below it).
    path_prefix: String,
    method: Method,
    path: PreparedText<String>,
    header_lines: Vec<u8>,
    body: Option<PreparedText<Bytes>>,
}

/// What a user does next: one task's request, or a whole journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    Task(usize),
    Journey(usize),
}

/// A task ready to send requests.
pub struct TaskPlan {
    pub name: String,
    /// The service it sends to.
    pub service: usize,
    method: Method,
    /// The request target (base path prefix included).
    path: PreparedText<String>,
    /// `name: value\r\n` for every header (Host first), without Content-Length.
    header_lines: Vec<u8>,
    body: Body,
    /// The whole serialized request, when neither path nor body is a template.
    ready: Option<Bytes>,
    /// HEAD responses have no body, whatever their headers say.
    pub head_request: bool,
    pub expect_status: Option<ExpectStatus>,
    pub checks: Vec<CheckRule>,
    /// How the reply is read and measured.
    pub reply: Reply,
    /// MCP tasks: the call to make.
    pub mcp: Option<McpCall>,
    /// Chat with tools: the MCP service and the loop's limits.
    pub tools: Option<crate::preset::compiled::ToolLoop>,
    /// The most of a reply body kept for checks and parsing.
    pub max_body_bytes: usize,
    /// Redirects are followed (up to 10), each hop in the request's time.
    pub follow_redirects: bool,
    /// Chat tasks with synthetic prompts: the pool each request picks from.
    synthetic: Option<Arc<SyntheticPrompts>>,
    /// Chat tasks whose users hold conversations over several turns.
    pub multi_turn: bool,
    /// Chat tasks whose body never changes: its prompt tokens, counted once.
    ready_prompt_tokens: Option<u64>,
}

/// A request ready to send, and what it asks of a chat model.
pub struct PreparedRequest {
    pub bytes: Bytes,
    /// A chat request's prompt tokens as its tokenizer counts them.
    pub prompt_tokens: Option<u64>,
    /// A multi-turn chat request followed by another turn: this turn's user message (joins the
    /// history with the reply, which is kept only then).
    pub turn: Option<UserTurn>,
}

/// One chat request's body, its prompt tokens and (multi-turn) its user message.
struct ChatTurn {
    body: Bytes,
    prompt_tokens: u64,
    turn: Option<UserTurn>,
}

/// Builds a chat request: the task's messages (rendered as `contents`), then what this request
/// adds: a dataset conversation's prompt, a synthetic prompt, or, in a conversation, its
/// history and the turn's user message. Prompt tokens are counted with the task's tokenizer,
/// reusing the counts already known (synthetic prompts, dataset prompts, the history).
fn chat_turn(
    chat: &ChatSpec,
    synthetic: Option<&SyntheticPrompts>,
    contents: &[String],
    key: u64,
    session: Option<&mut ChatSession>,
) -> Result<ChatTurn, RequestError> {
    use crate::tokens::{CHAT_REPLY_PRIMING_TOKENS, CHAT_TOKENS_PER_MESSAGE};
    let tokenizer = chat.tokenizer;
    let session = match (&chat.turns, session) {
        (Some(turns), Some(session)) => {
            if !session.active() {
                session.end();
                session.turns = turns.sample(&mut SmallRng::seed_from_u64(key.rotate_left(29))).max(1);
                if let Some(dataset) = &chat.dataset {
                    let index = (key % dataset.conversations.len() as u64) as usize;
                    session.conversation = Some(index);
                    let available = dataset.conversations[index].user_turns().max(1) as u32;
                    session.turns = session.turns.min(available);
                }
            }
            Some(&*session)
        }
        _ => None,
    };
    // In a conversation without a dataset or synthetic prompts, the task's last user message is
    // the turn's: it renders anew each turn, after the history.
    let turn_slot = match (session, synthetic, &chat.dataset) {
        (Some(_), None, None) => chat.messages.iter().rposition(|(role, _)| role == "user"),
        _ => None,
    };
    let mut messages: Vec<(&str, &str)> = Vec::with_capacity(chat.messages.len() + 4);
    // Messages the tokenizer counts now; the rest add their known counts.
    let mut counted: Vec<(&str, &str)> = Vec::new();
    let mut known_tokens = 0u64;
    for (index, ((role, _), content)) in chat.messages.iter().zip(contents).enumerate() {
        if Some(index) != turn_slot {
            messages.push((role, content));
            counted.push((role, content));
        }
    }
    let conversation = chat.dataset.as_ref().map(|dataset| {
        let index = session
            .and_then(|session| session.conversation)
            .unwrap_or((key % dataset.conversations.len() as u64) as usize);
        &dataset.conversations[index]
    });
    fn add_history<'a>(session: Option<&'a ChatSession>, messages: &mut Vec<(&'a str, &'a str)>, known: &mut u64) {
        if let Some(session) = session {
            messages.extend(session.messages());
            *known += session.history_tokens;
        }
    }
    // The turn's user message: its tokens are counted once, here, and join the history's with
    // the reply when a later turn follows.
    let keeps_turn = session.is_some_and(ChatSession::has_next_turn);
    let mut turn = None;
    let mut user_turn = |text: &str, tokens: u64, known: &mut u64| {
        *known += tokens;
        if keeps_turn {
            turn = Some(UserTurn {
                text: text.to_string(),
                tokens,
            });
        }
    };
    match (conversation, synthetic.map(|pool| pool.pick(key))) {
        (Some(conversation), _) => match session {
            None => {
                messages.extend(
                    conversation
                        .first_prompt()
                        .iter()
                        .map(|(role, content)| (role.as_str(), content.as_str())),
                );
                known_tokens += conversation.first_prompt_tokens() - CHAT_REPLY_PRIMING_TOKENS;
            }
            Some(active) => {
                for (role, content) in conversation.messages.iter().take_while(|(role, _)| role != "user") {
                    messages.push((role, content));
                    counted.push((role, content));
                }
                add_history(Some(active), &mut messages, &mut known_tokens);
                let text = conversation
                    .messages
                    .iter()
                    .filter(|(role, _)| role == "user")
                    .nth(active.turn as usize)
                    .map(|(_, content)| content.as_str())
                    .unwrap_or_default();
                messages.push(("user", text));
                user_turn(text, tokenizer.message_tokens("user", text), &mut known_tokens);
            }
        },
        (None, Some((text, tokens))) => {
            add_history(session, &mut messages, &mut known_tokens);
            messages.push(("user", text));
            user_turn(text, CHAT_TOKENS_PER_MESSAGE + tokenizer.count("user") + tokens, &mut known_tokens);
        }
        (None, None) => {
            if let Some(slot) = turn_slot {
                add_history(session, &mut messages, &mut known_tokens);
                let (role, text) = (chat.messages[slot].0.as_str(), contents[slot].as_str());
                messages.push((role, text));
                user_turn(text, tokenizer.message_tokens(role, text), &mut known_tokens);
            }
        }
    }
    let max_tokens = chat
        .synthetic
        .as_ref()
        .and_then(|spec| spec.output_tokens.as_ref())
        .map(|dist| dist.sample(&mut SmallRng::seed_from_u64(key.rotate_left(17))));
    let extras = ChatExtras {
        max_tokens,
        exact_output: chat.synthetic.as_ref().is_some_and(|spec| spec.exact_output),
    };
    Ok(ChatTurn {
        body: Bytes::from(super::protocols::chat::request_body(chat, &messages, &extras)),
        prompt_tokens: tokenizer.chat_prompt_tokens(counted) + known_tokens,
        turn,
    })
}

/// A pause drawn per a think-time setting (a scenario's between requests, a journey's between
/// steps).
pub(crate) fn draw_think_time(think: crate::preset::model::ThinkTime, rng: &mut SmallRng) -> Duration {
    use crate::preset::model::ThinkTime;
    match think {
        ThinkTime::None => Duration::ZERO,
        ThinkTime::Constant(duration) => duration.0,
        ThinkTime::Between { min, max } if min >= max => min.0,
        ThinkTime::Between { min, max } => Duration::from_secs_f64(rng.random_range(min.0.as_secs_f64()..max.0.as_secs_f64())),
    }
}

/// Mixes a task's seed with who sends a request and when, for per-request draws that repeat
/// with the seed (SplitMix64's finaliser).
pub(crate) fn request_key(seed: u64, user_id: u64, seq: u64) -> u64 {
    let mut z = seed ^ user_id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ seq.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// How a task's reply is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// Status and checks.
    Plain,
    /// An OpenAI-compatible chat completion, as one JSON body or as server-sent events.
    Chat { stream: bool },
    /// A tool call on the client's MCP session.
    Mcp,
    /// Opening an MCP session (initialize + initialized), recorded as its own task.
    McpInit,
    /// The tool calls a chat with tools runs on its MCP service, built from the model's reply.
    ToolCalls,
}

/// The name of the task row that records MCP session openings.
pub(crate) const MCP_INIT_TASK: &str = "MCP initialize";

enum Body {
    None,
    Ready(Bytes),
    Template(String),
    /// A chat body whose message contents are templates.
    Chat(Arc<ChatSpec>),
}

enum PreparedText<T> {
    Ready(T),
    Template(String),
}

impl ScenarioPlan {
    fn new(preset: &str, scenario: &CompiledScenario, lookup: &dyn Fn(&str) -> Option<String>) -> Result<ScenarioPlan, PlanError> {
        let mut preparing = Preparing {
            preset,
            scenario,
            lookup,
            secrets: secrets::Secrets::default(),
        };
        let mut endpoints = Vec::new();
        let mut base_headers = Vec::new();
        for service in &scenario.services {
            endpoints.push(
                Endpoint::new(&service.base, &service.extra_roots, service.tls_verify)
                    .map_err(|err| preparing.endpoint_error(format!("service {:?}: {err}", service.name)))?,
            );
            base_headers.push(preparing.base_headers(service)?);
        }
        let service_headers = base_headers
            .iter()
            .map(|headers| {
                let mut headers = headers.clone();
                headers.remove(HOST);
                headers
            })
            .collect();
        let mut tasks = scenario
            .tasks
            .iter()
            .map(|task| preparing.task(task, &base_headers[task.service]))
            .collect::<Result<Vec<TaskPlan>, PlanError>>()?;
        // Sessions are opened on the first MCP row's endpoint and recorded as a task of their
        // own (each MCP service's sessions open on that service).
        let mcp_init_task = tasks
            .iter()
            .position(|task| matches!(task.reply, Reply::Mcp | Reply::ToolCalls))
            .map(|first| {
                let init = mcp_init_plan(&tasks[first]);
                tasks.push(init);
                tasks.len() - 1
            });
        let setup = scenario
            .setup
            .iter()
            .map(|step| preparing.setup_step(step, &base_headers[step.service]))
            .collect::<Result<Vec<SetupPlan>, PlanError>>()?;
        if let Some(trace) = &scenario.trace
            && let Some(chat) = scenario.tasks.get(trace.task).and_then(|task| task.chat.as_ref())
        {
            // The corpus is encoded once per process: here, not on the first arrival's time.
            let _ = crate::tokens::synthetic::block_prompt(chat.tokenizer, &[], 1, 1, 0);
        }
        let mut total = 0;
        let works = scenario
            .tasks
            .iter()
            .enumerate()
            .map(|(index, task)| (Work::Task(index), task.weight))
            .chain(
                scenario
                    .journeys
                    .iter()
                    .enumerate()
                    .map(|(index, journey)| (Work::Journey(index), journey.weight)),
            );
        let picks = works
            .filter(|(_, weight)| *weight > 0)
            .map(|(work, weight)| {
                total += weight;
                (work, total)
            })
            .collect();
        Ok(ScenarioPlan {
            compiled: scenario.clone(),
            endpoints,
            tasks,
            picks,
            mcp_init_task,
            setup,
            setup_values: std::sync::RwLock::new(minijinja::Value::from(std::collections::BTreeMap::<String, minijinja::Value>::new())),
            secrets: preparing.secrets,
            service_headers,
            segment: None,
        })
    }

    /// Picks a task or a journey by weight.
    pub fn pick_work(&self, rng: &mut SmallRng) -> Work {
        let total = self.picks.last().map(|(_, total)| *total).unwrap_or(0);
        if self.picks.len() <= 1 || total == 0 {
            return self.picks.first().map(|(work, _)| *work).unwrap_or(Work::Task(0));
        }
        let roll = rng.random_range(0..total);
        let index = self.picks.partition_point(|(_, bound)| *bound <= roll);
        self.picks[index.min(self.picks.len() - 1)].0
    }

    /// Where task `task`'s requests go.
    pub fn endpoint(&self, task: usize) -> &Endpoint {
        &self.endpoints[self.tasks[task].service]
    }

    /// A random think time per the scenario's setting.
    pub fn think_time(&self, rng: &mut SmallRng) -> Duration {
        draw_think_time(self.compiled.think_time, rng)
    }

    /// The bytes of task `task`'s request for user `user_id`'s `seq`-th request.
    /// The tokenizer a chat task counts prompt tokens with (the default for other tasks).
    /// What a chat task sends (None for other kinds).
    pub fn chat_spec(&self, task: usize) -> Option<&ChatSpec> {
        self.compiled.tasks.get(task).and_then(|task| task.chat.as_ref())
    }

    pub fn request_bytes(
        &self,
        task: usize,
        user_id: u64,
        seq: u64,
        session: Option<&mut ChatSession>,
    ) -> Result<PreparedRequest, RequestError> {
        self.step_request_bytes(task, user_id, seq, session, None)
    }

    /// Like [`ScenarioPlan::request_bytes`], for a journey's step: its templates also see what
    /// earlier steps saved (`journey`).
    pub fn step_request_bytes(
        &self,
        task: usize,
        user_id: u64,
        seq: u64,
        session: Option<&mut ChatSession>,
        journey: Option<&minijinja::Value>,
    ) -> Result<PreparedRequest, RequestError> {
        let user_id = self.run_user_id(user_id);
        let plan = &self.tasks[task];
        if let Some(ready) = &plan.ready {
            return Ok(PreparedRequest {
                bytes: ready.clone(),
                prompt_tokens: plan.ready_prompt_tokens,
                turn: None,
            });
        }
        let mut prompt_tokens = plan.ready_prompt_tokens;
        let mut turn = None;
        let render = |name: &str| self.render(name, user_id, seq, Some(&plan.name), journey);
        let target = match &plan.path {
            PreparedText::Ready(target) => target.clone(),
            PreparedText::Template(name) => {
                let target = format!("{}{}", self.compiled.services[plan.service].base.path_prefix, render(name)?);
                check_request_target(&target)?;
                target
            }
        };
        let body = match &plan.body {
            Body::None => Bytes::new(),
            Body::Ready(bytes) => bytes.clone(),
            Body::Template(name) => Bytes::from(render(name)?),
            Body::Chat(chat) => {
                let mut contents = Vec::with_capacity(chat.messages.len());
                for (_, content) in &chat.messages {
                    contents.push(match content {
                        TextSource::Literal(text) => text.clone(),
                        TextSource::Template(name) => render(name)?,
                    });
                }
                let seed = chat
                    .synthetic
                    .as_ref()
                    .map(|spec| spec.seed)
                    .or(chat.dataset.as_ref().map(|dataset| dataset.seed))
                    .unwrap_or(0);
                let key = request_key(seed, user_id, seq);
                let built = chat_turn(chat, plan.synthetic.as_deref(), &contents, key, session)?;
                prompt_tokens = Some(built.prompt_tokens);
                turn = built.turn;
                built.body
            }
        };
        Ok(PreparedRequest {
            bytes: Bytes::from(serialize(&plan.method, &target, &plan.header_lines, &body)),
            prompt_tokens,
            turn,
        })
    }
}

impl ScenarioPlan {
    /// A user's id in the whole run: the same in one process, interleaved with the other
    /// segments' in a segmented run.
    fn run_user_id(&self, local: u64) -> u64 {
        self.segment.map(|segment| segment.user_id(local)).unwrap_or(local)
    }

    /// Renders template `name` for user `user_id`'s `seq`-th request, secrets substituted; a
    /// failure names the task it belongs to (none for setup steps).
    fn render(
        &self,
        name: &str,
        user_id: u64,
        seq: u64,
        task: Option<&str>,
        journey: Option<&minijinja::Value>,
    ) -> Result<String, RequestError> {
        let template = self
            .compiled
            .templates
            .get_template(name)
            .map_err(|err| RequestError::NoTemplate(err.to_string()))?;
        let context = match journey {
            Some(journey) => journey_context(&self.compiled.pools, &self.setup_values(), user_id, seq, journey),
            None => request_context(&self.compiled.pools, &self.setup_values(), user_id, seq),
        };
        template
            .render(context)
            .map(|text| self.secrets.substitute(&text).into_owned())
            .map_err(|err| RequestError::Render {
                task: task.map(str::to_string),
                detail: err.detail().unwrap_or("render failed").to_string(),
            })
    }

    /// What the setup steps saved, as templates see it.
    pub fn setup_values(&self) -> minijinja::Value {
        match self.setup_values.read() {
            Ok(values) => values.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces what the setup steps saved (before the first level).
    pub fn set_setup_values(&self, values: &std::collections::BTreeMap<String, serde_json::Value>) {
        let value = minijinja::Value::from(minijinja::value::Serde(values));
        match self.setup_values.write() {
            Ok(mut slot) => *slot = value,
            Err(poisoned) => *poisoned.into_inner() = value,
        }
    }

    /// The bytes of setup step `index`, rendered with the values saved so far.
    pub fn setup_request(&self, index: usize) -> Result<Bytes, RequestError> {
        let step = &self.setup[index];
        let render = |name: &str| self.render(name, 0, 0, None, None);
        let target = match &step.path {
            PreparedText::Ready(target) => target.clone(),
            PreparedText::Template(name) => format!("{}{}", step.path_prefix, render(name)?),
        };
        check_request_target(&target)?;
        let body = match &step.body {
            None => Bytes::new(),
            Some(PreparedText::Ready(bytes)) => bytes.clone(),
            Some(PreparedText::Template(name)) => Bytes::from(render(name)?),
        };
        Ok(Bytes::from(serialize(&step.method, &target, &step.header_lines, &body)))
    }

    /// The tools/call body of MCP task `task`, arguments rendered (with what earlier steps
    /// saved, for a journey's step).
    pub fn mcp_call_body(
        &self,
        task: usize,
        user_id: u64,
        seq: u64,
        rpc_id: u64,
        journey: Option<&minijinja::Value>,
    ) -> Result<Vec<u8>, RequestError> {
        let user_id = self.run_user_id(user_id);
        let plan = &self.tasks[task];
        let Some(call) = &plan.mcp else {
            return Err(RequestError::NotMcp(plan.name.clone()));
        };
        let mut arguments = call.arguments.clone();
        for (pointer, name) in &call.templated {
            let rendered = self.render(name, user_id, seq, Some(&plan.name), journey)?;
            if let Some(slot) = arguments.pointer_mut(pointer) {
                *slot = serde_json::Value::String(rendered);
            }
        }
        Ok(crate::engine::protocols::mcp::call_body(rpc_id, &call.tool, &arguments))
    }

    /// The request of trace entry `index` (the scenario has a trace): a Mooncake entry's prompt
    /// of its length, its shared blocks first, asking for exactly its output length; a recorded
    /// body as it was.
    pub fn trace_request(&self, index: usize) -> Option<PreparedRequest> {
        let trace = self.compiled.trace.as_ref()?;
        let entry = trace.trace.entries.get(index)?;
        let plan = &self.tasks[trace.task];
        let chat = self.chat_spec(trace.task)?;
        let PreparedText::Ready(target) = &plan.path else { return None };
        let (body, prompt_tokens) = match &entry.body {
            Some(body) => (body.to_vec(), None),
            None => {
                let prompt = crate::tokens::synthetic::block_prompt(
                    chat.tokenizer,
                    &entry.hash_ids,
                    trace.block_tokens,
                    entry.input_tokens,
                    index as u64,
                );
                let extras = ChatExtras {
                    max_tokens: Some(entry.output_tokens),
                    exact_output: true,
                };
                let body = super::protocols::chat::request_body(chat, &[("user", prompt.as_str())], &extras);
                (body, Some(u64::from(entry.input_tokens)))
            }
        };
        Some(PreparedRequest {
            bytes: Bytes::from(serialize(&Method::POST, target, &plan.header_lines, &body)),
            prompt_tokens,
            turn: None,
        })
    }

    /// An HTTP request to task `task`'s MCP endpoint carrying the session's headers.
    pub fn mcp_request(&self, task: usize, session: &McpSession, method: &Method, body: &[u8]) -> Bytes {
        let plan = &self.tasks[task];
        let target = match &plan.path {
            PreparedText::Ready(target) => target.as_str(),
            // Checked at compile time: MCP endpoints are literal paths.
            PreparedText::Template(_) => crate::preset::compiled::MCP_PATH,
        };
        let mut header_lines = plan.header_lines.clone();
        if let Some(id) = &session.id {
            header_lines.extend_from_slice(format!("mcp-session-id: {id}\r\n").as_bytes());
        }
        if session.open {
            header_lines.extend_from_slice(format!("mcp-protocol-version: {}\r\n", session.protocol_version).as_bytes());
        }
        Bytes::from(serialize(method, target, &header_lines, body))
    }
}

/// A scenario being planned: every `${VAR}` it sends resolved (one rule: wherever a preset
/// value is sent, in headers, paths, queries, bodies, chat messages, MCP arguments and setup
/// steps; in templates, after rendering), and the values collected to be taken out of outputs.
struct Preparing<'a> {
    preset: &'a str,
    scenario: &'a CompiledScenario,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    secrets: secrets::Secrets,
}

impl Preparing<'_> {
    fn endpoint_error(&self, message: String) -> PlanError {
        PlanError::Endpoint {
            preset: self.preset.to_string(),
            scenario: self.scenario.name.clone(),
            message,
        }
    }

    /// A `${VAR}` at `field` has no value.
    fn missing(&self, field: String) -> impl FnOnce(secrets::MissingSecret) -> PlanError + use<> {
        let (preset, scenario) = (self.preset.to_string(), self.scenario.name.clone());
        move |source| PlanError::MissingSecret {
            preset,
            scenario,
            field,
            source,
        }
    }

    /// `text` with its `${VAR}` values filled in; `field` names it if one has no value.
    fn resolve(&mut self, text: &str, field: String) -> Result<String, PlanError> {
        let missing = self.missing(field);
        self.secrets.resolve(text, self.lookup).map_err(missing)
    }

    /// Resolves the `${VAR}` references in template `name`'s source.
    fn resolve_template(&mut self, name: &str, field: String) -> Result<(), PlanError> {
        let missing = self.missing(field);
        resolve_template_source(&mut self.secrets, &self.scenario.templates, name, self.lookup).map_err(missing)
    }

    /// Adds `pairs` to `headers`, their values resolved.
    fn add_headers(&mut self, headers: &mut HeaderMap, pairs: &[(String, String)]) -> Result<(), PlanError> {
        for (name, value) in pairs {
            let resolved = self.resolve(value, format!("header {name}"))?;
            // Names and values were checked when the preset compiled; a secret's value may
            // still hold characters HTTP refuses.
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|err| self.endpoint_error(format!("header {name}: {err}")))?;
            let value = HeaderValue::from_str(&resolved)
                .map_err(|_| self.endpoint_error(format!("header {name}: the resolved value holds characters HTTP does not allow")))?;
            headers.insert(name, value);
        }
        Ok(())
    }

    /// Host, User-Agent, the service's headers, and Basic credentials from its base URL.
    fn base_headers(&mut self, service: &CompiledService) -> Result<HeaderMap, PlanError> {
        let mut headers = HeaderMap::new();
        let host = HeaderValue::from_str(&service.base.authority()).map_err(|err| self.endpoint_error(format!("host: {err}")))?;
        headers.insert(HOST, host);
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("loadscope/", env!("CARGO_PKG_VERSION"))),
        );
        self.add_headers(&mut headers, &service.headers)?;
        // `http://user:password@host`: Basic credentials, as curl and k6 send them (an
        // Authorization header the scenario sets wins). The password and its encoding are
        // taken out of every output like a `${VAR}` value.
        if let Some((user, password)) = &service.base.credentials
            && !headers.contains_key(hyper::header::AUTHORIZATION)
        {
            let user = self.resolve(user, "base_url user".into())?;
            let password = self.resolve(password, "base_url password".into())?;
            use base64::Engine as _;
            let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            let written = service
                .base
                .credentials
                .as_ref()
                .map(|(_, written)| written.clone())
                .unwrap_or_default();
            let name = secrets::references(&written)
                .into_iter()
                .next()
                .unwrap_or_else(|| "base_url password".into());
            if !password.is_empty() {
                self.secrets.hide(&name, &password);
            }
            self.secrets.hide(&name, &encoded);
            let value = HeaderValue::from_str(&format!("Basic {encoded}"))
                .map_err(|_| self.endpoint_error("base_url: the credentials hold characters HTTP does not allow".into()))?;
            headers.insert(hyper::header::AUTHORIZATION, value);
        }
        Ok(headers)
    }

    /// One task, ready to send: its target, headers and body resolved, and its whole request
    /// prepared once when nothing in it changes per request.
    fn task(&mut self, task: &CompiledTask, base_headers: &HeaderMap) -> Result<TaskPlan, PlanError> {
        let index = self.scenario.tasks.iter().position(|known| std::ptr::eq(known, task));
        let is_tool_calls_row = self
            .scenario
            .tasks
            .iter()
            .any(|known| known.tools.as_ref().is_some_and(|tools| Some(tools.calls_row) == index));
        let mut headers = base_headers.clone();
        self.add_headers(&mut headers, &task.headers)?;
        let field = |part: &str| format!("task {:?} {part}", task.name);
        let path = match &task.path {
            TextSource::Literal(path) => {
                let path = self.resolve(path, field("path"))?;
                let target = format!("{}{}", self.scenario.services[task.service].base.path_prefix, path);
                check_request_target(&target).map_err(|why| self.endpoint_error(format!("task {:?}: {why}", task.name)))?;
                PreparedText::Ready(target)
            }
            TextSource::Template(name) => {
                self.resolve_template(name, field("path"))?;
                PreparedText::Template(name.clone())
            }
        };
        let chat = match &task.chat {
            Some(chat) => Some(self.chat(chat, &field)?),
            None => None,
        };
        let synthetic = match chat
            .as_ref()
            .and_then(|chat| chat.synthetic.as_ref().map(|spec| (chat.tokenizer, spec)))
        {
            Some((tokenizer, spec)) => Some(Arc::new(
                SyntheticPrompts::build(tokenizer, &spec.prompt_tokens, spec.shared_prefix_tokens, spec.seed)
                    .map_err(|why| self.endpoint_error(format!("task {:?}: {why}", task.name)))?,
            )),
            None => None,
        };
        let (body, ready_prompt_tokens) = match (&chat, &task.body) {
            (Some(chat), _) => chat_body(chat),
            (None, Some(TextSource::Literal(text))) => (Body::Ready(Bytes::from(self.resolve(text, field("body"))?)), None),
            (None, Some(TextSource::Template(name))) => {
                self.resolve_template(name, field("body"))?;
                (Body::Template(name.clone()), None)
            }
            (None, None) => (Body::None, None),
        };
        let mcp = match &task.mcp {
            Some(call) => {
                let mut call = call.clone();
                let missing = self.missing(field("arguments"));
                self.secrets.resolve_json(&mut call.arguments, self.lookup).map_err(missing)?;
                for (_, name) in &call.templated {
                    self.resolve_template(name, field("arguments"))?;
                }
                Some(call)
            }
            None => None,
        };
        add_content_headers(task, is_tool_calls_row, &mut headers);
        let header_lines = header_lines(&headers);
        let ready = match (&path, &body) {
            (PreparedText::Ready(target), Body::None) => Some(Bytes::from(serialize(&task.method, target, &header_lines, &[]))),
            (PreparedText::Ready(target), Body::Ready(bytes)) => Some(Bytes::from(serialize(&task.method, target, &header_lines, bytes))),
            _ => None,
        };
        Ok(TaskPlan {
            name: task.name.clone(),
            service: task.service,
            tools: task.tools.clone(),
            head_request: task.method == Method::HEAD,
            method: task.method.clone(),
            path,
            header_lines,
            body,
            ready,
            expect_status: task.expect_status.clone(),
            checks: task.checks.clone(),
            reply: match (&task.chat, &task.mcp) {
                (Some(chat), _) => Reply::Chat { stream: chat.stream },
                (None, Some(_)) => Reply::Mcp,
                (None, None) if is_tool_calls_row => Reply::ToolCalls,
                (None, None) => Reply::Plain,
            },
            mcp,
            max_body_bytes: task.max_body_bytes,
            follow_redirects: task.follow_redirects,
            synthetic,
            ready_prompt_tokens,
            multi_turn: task.chat.as_ref().is_some_and(|chat| chat.turns.is_some()),
        })
    }

    /// A chat task's spec with its model, messages and extra body fields resolved.
    fn chat(&mut self, chat: &ChatSpec, field: &dyn Fn(&str) -> String) -> Result<ChatSpec, PlanError> {
        let mut chat = chat.clone();
        chat.model = self.resolve(&chat.model, field("model"))?;
        for (_, content) in &mut chat.messages {
            match content {
                TextSource::Literal(text) => *text = self.resolve(text, field("message"))?,
                TextSource::Template(name) => self.resolve_template(name, field("message"))?,
            }
        }
        let mut extra = serde_json::Value::Object(chat.extra.clone());
        let missing = self.missing(field("body"));
        self.secrets.resolve_json(&mut extra, self.lookup).map_err(missing)?;
        if let serde_json::Value::Object(extra) = extra {
            chat.extra = extra;
        }
        Ok(chat)
    }

    /// One setup step, its path and body resolved.
    fn setup_step(&mut self, step: &crate::preset::compiled::CompiledSetup, base_headers: &HeaderMap) -> Result<SetupPlan, PlanError> {
        let mut headers = base_headers.clone();
        self.add_headers(&mut headers, &step.headers)?;
        let field = |part: &str| format!("setup {:?} {part}", step.name);
        let prefix = self.scenario.services[step.service].base.path_prefix.clone();
        if step.body.is_some() && !headers.contains_key(CONTENT_TYPE) {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        let path = match &step.path {
            TextSource::Literal(path) => PreparedText::Ready(format!("{}{}", prefix, self.resolve(path, field("path"))?)),
            TextSource::Template(name) => {
                self.resolve_template(name, field("path"))?;
                PreparedText::Template(name.clone())
            }
        };
        let body = match &step.body {
            Some(TextSource::Literal(text)) => Some(PreparedText::Ready(Bytes::from(self.resolve(text, field("body"))?))),
            Some(TextSource::Template(name)) => {
                self.resolve_template(name, field("body"))?;
                Some(PreparedText::Template(name.clone()))
            }
            None => None,
        };
        Ok(SetupPlan {
            path_prefix: prefix,
            method: step.method.clone(),
            path,
            header_lines: header_lines(&headers),
            body,
        })
    }
}

/// A chat task's body: prepared once (with its prompt's token count) when every message is
/// literal and nothing is drawn per request; otherwise built per request from the spec.
fn chat_body(chat: &ChatSpec) -> (Body, Option<u64>) {
    let literal = chat.messages.iter().all(|(_, content)| matches!(content, TextSource::Literal(_)));
    if !(literal && chat.synthetic.is_none() && chat.dataset.is_none() && chat.turns.is_none()) {
        return (Body::Chat(Arc::new(chat.clone())), None);
    }
    let messages: Vec<(&str, &str)> = chat
        .messages
        .iter()
        .map(|(role, content)| match content {
            TextSource::Literal(text) | TextSource::Template(text) => (role.as_str(), text.as_str()),
        })
        .collect();
    let tokens = chat.tokenizer.chat_prompt_tokens(messages.iter().copied());
    let body = super::protocols::chat::request_body(chat, &messages, &ChatExtras::default());
    (Body::Ready(Bytes::from(body)), Some(tokens))
}

/// The Accept and Content-Type a task's kind needs, unless the task set them: MCP takes JSON
/// or an event stream, a chat request is JSON (a streamed one accepts an event stream), and a
/// body that looks like JSON is sent as JSON.
fn add_content_headers(task: &CompiledTask, tool_calls: bool, headers: &mut HeaderMap) {
    if task.mcp.is_some() || tool_calls {
        if !headers.contains_key(hyper::header::ACCEPT) {
            headers.insert(
                hyper::header::ACCEPT,
                HeaderValue::from_static("application/json, text/event-stream"),
            );
        }
        if !headers.contains_key(CONTENT_TYPE) {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
    }
    if task.chat.is_some() && !headers.contains_key(CONTENT_TYPE) {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    if let Some(chat) = &task.chat
        && chat.stream
        && !headers.contains_key(hyper::header::ACCEPT)
    {
        headers.insert(hyper::header::ACCEPT, HeaderValue::from_static("text/event-stream"));
    }
    if let Some(body) = &task.body
        && !headers.contains_key(CONTENT_TYPE)
    {
        let looks_json = match body {
            TextSource::Literal(text) => text.trim_start().starts_with(['{', '[']),
            // A template's first character is only known after rendering; presets with
            // JSON bodies are the norm, and a task can set Content-Type itself.
            TextSource::Template(_) => true,
        };
        if looks_json {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
    }
}

/// The row that opens MCP sessions: a POST to the first MCP task's endpoint with its headers.
fn mcp_init_plan(template: &TaskPlan) -> TaskPlan {
    TaskPlan {
        name: MCP_INIT_TASK.into(),
        service: template.service,
        tools: None,
        method: Method::POST,
        path: match &template.path {
            PreparedText::Ready(target) => PreparedText::Ready(target.clone()),
            PreparedText::Template(name) => PreparedText::Template(name.clone()),
        },
        header_lines: template.header_lines.clone(),
        body: Body::None,
        ready: None,
        head_request: false,
        expect_status: None,
        checks: Vec::new(),
        reply: Reply::McpInit,
        mcp: None,
        max_body_bytes: crate::preset::compiled::DEFAULT_MAX_BODY_BYTES,
        follow_redirects: false,
        synthetic: None,
        ready_prompt_tokens: None,
        multi_turn: false,
    }
}

/// Resolves the `${VAR}` references written in template `name`'s source, so rendering can
/// fill them in.
fn resolve_template_source(
    secrets: &mut secrets::Secrets,
    templates: &minijinja::Environment<'static>,
    name: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(), secrets::MissingSecret> {
    if let Ok(template) = templates.get_template(name) {
        secrets.resolve(template.source(), lookup)?;
    }
    Ok(())
}

/// `name: value\r\n` for every header. Host comes first, as servers expect: it is inserted
/// first and HeaderMap keeps insertion order.
fn header_lines(headers: &HeaderMap) -> Vec<u8> {
    let mut lines = Vec::new();
    for (name, value) in headers.iter() {
        lines.extend_from_slice(name.as_str().as_bytes());
        lines.extend_from_slice(b": ");
        lines.extend_from_slice(value.as_bytes());
        lines.extend_from_slice(b"\r\n");
    }
    lines
}

/// An HTTP/1.1 request: request line, headers, Content-Length where a body is or may be
/// expected, blank line, body.
fn serialize(method: &Method, target: &str, header_lines: &[u8], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(target.len() + header_lines.len() + body.len() + 64);
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    out.extend_from_slice(header_lines);
    if !body.is_empty() || matches!(*method, Method::POST | Method::PUT | Method::PATCH) {
        out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// A serialized request's head (request line and headers, without Content-Length) and its
/// body: a tool round sends the same request with a longer body ([`reframe`]).
pub(crate) fn split_request(bytes: &[u8]) -> (&[u8], &[u8]) {
    let Some(end) = bytes.windows(4).position(|window| window == b"\r\n\r\n") else {
        return (bytes, &[]);
    };
    let (head, body) = (&bytes[..end + 2], &bytes[end + 4..]);
    // `serialize` writes Content-Length last.
    let last_line = head[..head.len() - 2]
        .iter()
        .rposition(|byte| *byte == b'\n')
        .map_or(0, |at| at + 1);
    if head[last_line..].to_ascii_lowercase().starts_with(b"content-length:") {
        (&head[..last_line], body)
    } else {
        (head, body)
    }
}

/// A request from a head [`split_request`] gave and a new body.
pub(crate) fn reframe(head: &[u8], body: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(head.len() + body.len() + 32);
    out.extend_from_slice(head);
    out.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body);
    Bytes::from(out)
}

/// Why a request could not be built (it is recorded as not sent, with this as its message).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestError {
    #[error("template: {0}")]
    NoTemplate(String),
    /// A template failed to render; `task` names its task (none for a setup step).
    #[error("template{}: {detail}", task.as_ref().map(|task| format!(" {task}")).unwrap_or_default())]
    Render { task: Option<String>, detail: String },
    #[error("path {0:?} must start with '/'")]
    RelativePath(String),
    #[error("path {target:?} is not a valid request target: {why}")]
    BadTarget { target: String, why: String },
    #[error("task {0} is not an MCP task")]
    NotMcp(String),
}

/// A request target must parse as a URI path and query.
fn check_request_target(target: &str) -> Result<(), RequestError> {
    match target.parse::<Uri>() {
        Ok(uri) if uri.scheme().is_none() && target.starts_with('/') => Ok(()),
        Ok(_) => Err(RequestError::RelativePath(target.to_string())),
        Err(err) => Err(RequestError::BadTarget {
            target: target.to_string(),
            why: err.to_string(),
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::engine::conversation::{Conversations, exchange};
    use crate::preset::PresetSource;

    fn chat_plan(turns: &str) -> Arc<ScenarioPlan> {
        let text = format!(
            "[[scenario]]\nname = \"s\"\n[scenario.service]\nbase_url = \"http://127.0.0.1:9\"\n[[scenario.task]]\nname = \"chat\"\nkind = \"chat\"\nmodel = \"m\"\n{turns}\nmessages = [{{ role = \"user\", content = \"question {{{{ seq }}}}\" }}]\n[[scenario.level]]\nusers = 1\nduration = \"1s\"\n"
        );
        let loaded = PresetSource::from_text("chat.toml", &text, None).parse().unwrap();
        let plan = RunPlan::new(crate::preset::compile(&loaded).unwrap(), PathBuf::new(), &|_| None).unwrap();
        plan.scenarios[0].clone()
    }

    #[test]
    fn a_request_is_reframed_with_a_new_body() {
        let request = serialize(&Method::POST, "/v1/chat", b"host: x\r\naccept: */*\r\n", b"{\"a\":1}");
        let (head, body) = split_request(&request);
        assert_eq!(body, b"{\"a\":1}");
        assert_eq!(head, b"POST /v1/chat HTTP/1.1\r\nhost: x\r\naccept: */*\r\n");
        let longer = reframe(head, b"{\"a\":12345}");
        assert_eq!(
            &longer[..],
            &serialize(&Method::POST, "/v1/chat", b"host: x\r\naccept: */*\r\n", b"{\"a\":12345}")[..]
        );
    }

    #[test]
    fn a_turn_is_kept_for_its_reply_only_when_a_later_turn_sends_it_again() {
        let plan = chat_plan("turns = 1");
        let mut conversations = Conversations::default();
        for seq in 0..3 {
            let request = plan.request_bytes(0, 1, seq, Some(conversations.with(0))).unwrap();
            assert_eq!(request.turn, None, "turns = 1: no reply is ever sent again");
            assert!(request.prompt_tokens.is_some(), "the prompt is still counted");
            conversations.with(0).end();
        }
        let plan = chat_plan("turns = 3\nmax_history_tokens = 100000");
        let tokenizer = plan.chat_spec(0).unwrap().tokenizer;
        let session = conversations.with(0);
        let mut sent_tokens = Vec::new();
        for seq in 0..3 {
            let request = plan.request_bytes(0, 1, seq, Some(session)).unwrap();
            sent_tokens.push(request.prompt_tokens.unwrap());
            match request.turn {
                Some(turn) => {
                    assert_eq!(turn.text, format!("question {seq}"));
                    assert_eq!(turn.tokens, tokenizer.message_tokens("user", &turn.text));
                    // The server said the reply was 50 tokens: the history takes its word.
                    session.complete_turn(exchange(turn, "a reply".into(), Some(50), tokenizer), 100_000);
                }
                None => {
                    assert_eq!(seq, 2, "only the last turn keeps nothing");
                    session.end();
                }
            }
        }
        let reply_tokens = 3 + tokenizer.count("assistant") + 50;
        let turn_tokens = |seq: u64| tokenizer.message_tokens("user", &format!("question {seq}"));
        assert_eq!(
            sent_tokens[1],
            sent_tokens[0] + reply_tokens + turn_tokens(1),
            "the second turn's prompt holds the first exchange, counted from usage"
        );
    }
}
