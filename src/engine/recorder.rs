//! Recording: latency and connect-time histograms per (level, task), per-second histograms,
//! counts, bytes and failures grouped by kind and message. Each worker thread owns one
//! `Recorder` (no lock on the request path) and hands its contents to the controller every
//! 250 ms, which merges them into the run's own `Recorder`.

use std::collections::{BTreeMap, HashMap};

use hdrhistogram::Histogram;

use crate::engine::outcome::{ChatMetrics, FailureKind, Resend, TokenSource};
use crate::run::SecondStats;
use crate::run::histogram::{new_histogram, record};

/// Which (stage, task) a request belongs to. A stage is one level of one scenario, numbered
/// across the whole suite.
pub(crate) type StageTask = (u32, u32);

/// Totals for one (stage, task).
#[derive(Debug, Clone)]
pub struct TaskAccum {
    pub latency: Histogram<u64>,
    pub connect: Histogram<u64>,
    pub requests: u64,
    pub failures: u64,
    pub bytes_received: u64,
    /// Calls that should have been refused and were not.
    pub sandbox_violations: u64,
    /// Failures that signalled a concurrency limit.
    pub limited: u64,
    /// Failures that were the load generator's own (no descriptors or ports left).
    pub generator: u64,
    /// Requests still open when the run ended (neither finished nor timed out).
    pub unfinished: u64,
    /// Redirects followed (every hop of every request).
    pub redirects: u64,
    /// Requests their users stopped part way (`cancel_after`): counted in `requests`, not in
    /// failures or latency; their time to first token and tokens so far are in `chat`.
    pub cancelled: u64,
    /// Failures per failure class.
    pub classes: BTreeMap<String, u64>,
    /// Chat replies' own measurements (only for chat tasks).
    pub chat: Option<Box<ChatAccum>>,
    /// Requests measured against the scenario's per-request objectives (only when it has some).
    pub objectives: Option<ObjectivesAccum>,
}

/// Requests that met every per-request objective, and the output tokens of those that were
/// chat replies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ObjectivesAccum {
    pub met: u64,
    pub met_output_tokens: u64,
}

/// Chat measurements of one (stage, task).
#[derive(Debug, Clone)]
pub struct ChatAccum {
    pub ttfb: Histogram<u64>,
    pub ttft: Histogram<u64>,
    pub itl: Histogram<u64>,
    /// Output tokens per second of each reply, in hundredths.
    pub tokens_per_sec_x100: Histogram<u64>,
    /// Successful replies, and how many of them were streamed.
    pub replies: u64,
    pub streamed: u64,
    pub output_tokens: u64,
    pub prompt_tokens: u64,
    /// Replies whose prompt tokens came from usage, and from the tokenizer's count.
    pub prompt_from_usage: u64,
    pub prompt_counted: u64,
    /// Replies whose output tokens came from usage, from counted chunks, from an estimate.
    pub from_usage: u64,
    pub from_chunks: u64,
    pub estimated: u64,
}

impl Default for ChatAccum {
    fn default() -> Self {
        ChatAccum {
            ttfb: new_histogram(),
            ttft: new_histogram(),
            itl: new_histogram(),
            tokens_per_sec_x100: new_histogram(),
            replies: 0,
            streamed: 0,
            output_tokens: 0,
            prompt_tokens: 0,
            prompt_from_usage: 0,
            prompt_counted: 0,
            from_usage: 0,
            from_chunks: 0,
            estimated: 0,
        }
    }
}

impl ChatAccum {
    fn merge(&mut self, other: &ChatAccum) {
        let _ = self.ttfb.add(&other.ttfb);
        let _ = self.ttft.add(&other.ttft);
        let _ = self.itl.add(&other.itl);
        let _ = self.tokens_per_sec_x100.add(&other.tokens_per_sec_x100);
        self.replies += other.replies;
        self.streamed += other.streamed;
        self.output_tokens += other.output_tokens;
        self.prompt_tokens += other.prompt_tokens;
        self.prompt_from_usage += other.prompt_from_usage;
        self.prompt_counted += other.prompt_counted;
        self.from_usage += other.from_usage;
        self.from_chunks += other.from_chunks;
        self.estimated += other.estimated;
    }

    /// A reply stopped part way: its time to first token and gaps, and its tokens so far; not
    /// a reply (no tokens per second, no token source).
    fn record_cancelled(&mut self, metrics: &ChatMetrics) {
        if let Some(ttft) = metrics.ttft_micros {
            record(&mut self.ttft, ttft);
        }
        for gap in &metrics.itl_micros {
            record(&mut self.itl, *gap);
        }
        self.output_tokens += metrics.output_tokens;
    }

    fn record(&mut self, metrics: &ChatMetrics, reply_micros: u64) {
        record(&mut self.ttfb, metrics.ttfb_micros);
        if let Some(ttft) = metrics.ttft_micros {
            record(&mut self.ttft, ttft);
            self.streamed += 1;
        }
        for gap in &metrics.itl_micros {
            record(&mut self.itl, *gap);
        }
        if let Some(per_sec_x100) = (metrics.output_tokens * 100_000_000).checked_div(reply_micros) {
            record(&mut self.tokens_per_sec_x100, per_sec_x100);
        }
        self.replies += 1;
        self.output_tokens += metrics.output_tokens;
        if let Some(tokens) = metrics.prompt_tokens {
            self.prompt_tokens += tokens;
            if metrics.prompt_counted {
                self.prompt_counted += 1;
            } else {
                self.prompt_from_usage += 1;
            }
        }
        match metrics.source {
            TokenSource::Usage => self.from_usage += 1,
            TokenSource::Chunks => self.from_chunks += 1,
            TokenSource::Estimated => self.estimated += 1,
        }
    }
}

impl Default for TaskAccum {
    fn default() -> Self {
        TaskAccum {
            latency: new_histogram(),
            connect: new_histogram(),
            requests: 0,
            failures: 0,
            bytes_received: 0,
            sandbox_violations: 0,
            limited: 0,
            generator: 0,
            unfinished: 0,
            redirects: 0,
            cancelled: 0,
            classes: BTreeMap::new(),
            chat: None,
            objectives: None,
        }
    }
}

impl TaskAccum {
    /// Adds another accumulation into this one.
    pub fn merge(&mut self, other: &TaskAccum) {
        if let Some(theirs) = &other.chat {
            self.chat.get_or_insert_with(Default::default).merge(theirs);
        }
        if let Some(theirs) = other.objectives {
            let mine = self.objectives.get_or_insert_with(Default::default);
            mine.met += theirs.met;
            mine.met_output_tokens += theirs.met_output_tokens;
        }
        // Auto-resizing histograms of the same precision always add.
        let _ = self.latency.add(&other.latency);
        let _ = self.connect.add(&other.connect);
        self.requests += other.requests;
        self.failures += other.failures;
        self.bytes_received += other.bytes_received;
        self.sandbox_violations += other.sandbox_violations;
        self.limited += other.limited;
        self.generator += other.generator;
        self.unfinished += other.unfinished;
        self.redirects += other.redirects;
        self.cancelled += other.cancelled;
        for (class, count) in &other.classes {
            *self.classes.entry(class.clone()).or_insert(0) += count;
        }
    }
}

/// Which (stage, journey) a journey belongs to: the stage it started in.
pub(crate) type StageJourney = (u32, u32);

/// Totals for one (stage, journey).
#[derive(Debug, Clone)]
pub struct JourneyAccum {
    /// End-to-end latency of the journeys that ended (completed or failed).
    pub latency: Histogram<u64>,
    /// End-to-end latency of the completed ones.
    pub completed_latency: Histogram<u64>,
    pub started: u64,
    pub completed: u64,
    pub failed: u64,
    /// Journeys whose user stopped a reply (`cancel_after`).
    pub cancelled: u64,
    /// Completed journeys whose every request met the objectives (scenarios with objectives).
    pub met: Option<u64>,
    /// Steps run (optional ones that failed included), over the journeys that ended.
    pub steps: u64,
    /// Tool calls the model asked for, rounds of them, and calls whose tool answered with
    /// an error (sent back to the model).
    pub tool_calls: u64,
    pub tool_rounds: u64,
    pub tool_errors: u64,
    /// Time spent waiting on each service (by index), over the journeys that ended.
    pub service_micros: Vec<u64>,
}

impl Default for JourneyAccum {
    fn default() -> Self {
        JourneyAccum {
            latency: new_histogram(),
            completed_latency: new_histogram(),
            started: 0,
            completed: 0,
            failed: 0,
            cancelled: 0,
            met: None,
            steps: 0,
            tool_calls: 0,
            tool_rounds: 0,
            tool_errors: 0,
            service_micros: Vec::new(),
        }
    }
}

impl JourneyAccum {
    pub fn merge(&mut self, other: &JourneyAccum) {
        let _ = self.latency.add(&other.latency);
        let _ = self.completed_latency.add(&other.completed_latency);
        self.started += other.started;
        self.completed += other.completed;
        self.failed += other.failed;
        self.cancelled += other.cancelled;
        if let Some(met) = other.met {
            *self.met.get_or_insert(0) += met;
        }
        self.steps += other.steps;
        self.tool_calls += other.tool_calls;
        self.tool_rounds += other.tool_rounds;
        self.tool_errors += other.tool_errors;
        add_per_service(&mut self.service_micros, &other.service_micros);
    }
}

fn add_per_service(mine: &mut Vec<u64>, theirs: &[u64]) {
    if mine.len() < theirs.len() {
        mine.resize(theirs.len(), 0);
    }
    for (mine, theirs) in mine.iter_mut().zip(theirs) {
        *mine += theirs;
    }
}

/// One journey that ended, as recorded.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct JourneySample {
    pub stage: u32,
    pub journey: u32,
    /// Seconds since the run started, at the end.
    pub second: u32,
    pub latency_micros: u64,
    pub completed: bool,
    /// Its user stopped a step's reply: neither completed nor failed.
    pub cancelled: bool,
    /// It completed and every request of it met the scenario's objectives (None without).
    pub met: Option<bool>,
    pub steps: u64,
    pub tool_calls: u64,
    pub tool_rounds: u64,
    pub tool_errors: u64,
    pub service_micros: Vec<u64>,
}

/// One journey's ends in one second of the run.
#[derive(Debug, Clone)]
pub(crate) struct JourneySecondAccum {
    pub latency: Histogram<u64>,
    pub completed: u64,
    pub failed: u64,
}

impl Default for JourneySecondAccum {
    fn default() -> Self {
        JourneySecondAccum {
            latency: new_histogram(),
            completed: 0,
            failed: 0,
        }
    }
}

impl JourneySecondAccum {
    /// This second's journeys as the run file keeps them.
    pub(crate) fn stats(&self) -> crate::run::JourneySecond {
        let has = !self.latency.is_empty();
        crate::run::JourneySecond {
            completed_per_sec: self.completed as f64,
            failed_per_sec: self.failed as f64,
            p50_micros: has.then(|| self.latency.value_at_quantile(0.50)),
            p95_micros: has.then(|| self.latency.value_at_quantile(0.95)),
        }
    }

    pub(crate) fn merge(&mut self, other: &JourneySecondAccum) {
        let _ = self.latency.add(&other.latency);
        self.completed += other.completed;
        self.failed += other.failed;
    }
}

/// One task's requests in one second of the run.
#[derive(Debug, Clone)]
pub(crate) struct TaskSecondAccum {
    pub latency: Histogram<u64>,
    pub requests: u64,
    pub failures: u64,
    /// Streamed chat replies' time to first token; only allocated once a chat reply arrives.
    pub ttft: Option<Histogram<u64>>,
    /// Output tokens of the chat replies completed in this second.
    pub output_tokens: u64,
    /// Prompt tokens of the chat replies completed in this second (usage, else counted).
    pub prompt_tokens: u64,
    /// Requests that met every per-request objective (only when the scenario has some).
    pub objectives_met: Option<u64>,
}

impl Default for TaskSecondAccum {
    fn default() -> Self {
        TaskSecondAccum {
            latency: new_histogram(),
            requests: 0,
            failures: 0,
            ttft: None,
            output_tokens: 0,
            prompt_tokens: 0,
            objectives_met: None,
        }
    }
}

impl TaskSecondAccum {
    pub(crate) fn merge(&mut self, other: &TaskSecondAccum) {
        let _ = self.latency.add(&other.latency);
        self.requests += other.requests;
        self.failures += other.failures;
        self.output_tokens += other.output_tokens;
        self.prompt_tokens += other.prompt_tokens;
        if let Some(theirs) = other.objectives_met {
            *self.objectives_met.get_or_insert(0) += theirs;
        }
        match (&mut self.ttft, &other.ttft) {
            (Some(mine), Some(theirs)) => {
                let _ = mine.add(theirs);
            }
            (mine @ None, Some(theirs)) => *mine = Some(theirs.clone()),
            (_, None) => {}
        }
    }

    /// This second's numbers as the run file keeps them.
    pub(crate) fn stats(&self) -> SecondStats {
        let has = !self.latency.is_empty();
        SecondStats {
            rps: self.requests as f64,
            failures_per_sec: self.failures as f64,
            p50_micros: has.then(|| self.latency.value_at_quantile(0.50)),
            p95_micros: has.then(|| self.latency.value_at_quantile(0.95)),
            p99_micros: has.then(|| self.latency.value_at_quantile(0.99)),
            ttft_p50_micros: self.ttft.as_ref().map(|ttft| ttft.value_at_quantile(0.50)),
            ttft_p95_micros: self.ttft.as_ref().map(|ttft| ttft.value_at_quantile(0.95)),
            output_tokens_per_sec: (self.output_tokens > 0 || self.ttft.is_some()).then_some(self.output_tokens as f64),
            prompt_tokens_per_sec: (self.prompt_tokens > 0).then_some(self.prompt_tokens as f64),
            goodput_per_sec: self.objectives_met.map(|met| met as f64),
        }
    }
}

/// One second of the run, per (stage, task). A request is recorded once, into its task's
/// entry (a short list: a scenario has a handful of tasks); the second's totals are the merge
/// of its entries, taken when the second closes, so per-task charts cost the request path
/// nothing.
#[derive(Debug, Clone, Default)]
pub(crate) struct SecondAccum {
    pub tasks: Vec<(StageTask, TaskSecondAccum)>,
    /// Journeys that ended in the second, per (stage, journey).
    pub journeys: Vec<(StageJourney, JourneySecondAccum)>,
}

impl SecondAccum {
    fn task(&mut self, key: StageTask) -> &mut TaskSecondAccum {
        let index = match self.tasks.iter().position(|(known, _)| *known == key) {
            Some(index) => index,
            None => {
                self.tasks.push((key, TaskSecondAccum::default()));
                self.tasks.len() - 1
            }
        };
        &mut self.tasks[index].1
    }

    fn journey(&mut self, key: StageJourney) -> &mut JourneySecondAccum {
        let index = match self.journeys.iter().position(|(known, _)| *known == key) {
            Some(index) => index,
            None => {
                self.journeys.push((key, JourneySecondAccum::default()));
                self.journeys.len() - 1
            }
        };
        &mut self.journeys[index].1
    }

    fn merge(&mut self, other: SecondAccum) {
        for (key, accum) in &other.tasks {
            self.task(*key).merge(accum);
        }
        for (key, accum) in &other.journeys {
            self.journey(*key).merge(accum);
        }
    }

    /// Every journey that ended in the second, together (None when none did).
    pub(crate) fn journeys_total(&self) -> Option<JourneySecondAccum> {
        if self.journeys.is_empty() {
            return None;
        }
        let mut total = JourneySecondAccum::default();
        for (_, accum) in &self.journeys {
            total.merge(accum);
        }
        Some(total)
    }

    /// Every task of the second together.
    pub(crate) fn total(&self) -> TaskSecondAccum {
        let mut total = TaskSecondAccum::default();
        for (_, accum) in &self.tasks {
            total.merge(accum);
        }
        total
    }
}

/// A failure group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct FailureKey {
    pub stage: u32,
    pub task: u32,
    pub kind: FailureKind,
    pub message: String,
}

/// How often a failure group happened, and when (seconds since the run started).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FailureCount {
    pub count: u64,
    pub first_second: u32,
    pub last_second: u32,
}

impl FailureCount {
    fn add(&mut self, other: FailureCount) {
        self.count += other.count;
        self.first_second = self.first_second.min(other.first_second);
        self.last_second = self.last_second.max(other.last_second);
    }
}

/// One finished request, as recorded.
pub(crate) struct Sample<'a> {
    pub stage: u32,
    pub task: u32,
    /// Seconds since the run started at completion.
    pub second: u32,
    /// Microseconds since the run started at completion.
    pub done_micros: u64,
    pub latency_micros: u64,
    pub connect_micros: Option<u64>,
    pub bytes_received: u64,
    pub failure: Option<(FailureKind, &'a str)>,
    /// A successful chat reply's measurements, and how long the reply took (send to end).
    pub chat: Option<(&'a ChatMetrics, u64)>,
    /// The failure class the failure belongs to.
    pub class: Option<&'a str>,
    /// Whether the request met every per-request objective (None: the scenario declares none).
    pub objectives_met: Option<bool>,
    /// Whether it needed a new connection or a second send.
    pub resend: Resend,
    /// Its user stopped it part way: `chat` holds what arrived, and no latency is recorded.
    pub cancelled: bool,
}

/// A stage's requests that needed a new connection (a kept-alive one was found closed before
/// sending) or a second send (an idempotent request the server dropped unanswered).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ResendCounts {
    pub reconnects: u64,
    pub retries: u64,
}

/// Everything recorded (by a worker since its last hand-over, or by the run so far).
#[derive(Debug, Default, Clone)]
pub(crate) struct Recorder {
    pub tasks: HashMap<StageTask, TaskAccum>,
    pub seconds: BTreeMap<u32, SecondAccum>,
    pub failures: HashMap<FailureKey, FailureCount>,
    /// Open model: requests per stage that could not start at their scheduled time.
    pub late_starts: HashMap<u32, u64>,
    /// How late the workers' periodic timers fired, per stage: the generator's own load.
    pub scheduling_lag: HashMap<u32, Histogram<u64>>,
    /// CPU time the worker threads spent, per stage.
    pub worker_cpu_micros: HashMap<u32, u64>,
    /// Reconnects and retries per stage.
    pub resends: HashMap<u32, ResendCounts>,
    /// Journeys per (stage, journey).
    pub journeys: HashMap<StageJourney, JourneyAccum>,
    /// When each stage's latest request finished, in microseconds since the run started: where
    /// a level counted in `requests` really ended.
    pub last_done_micros: HashMap<u32, u64>,
    /// Distinct failure messages per (stage, task, kind), for the cap.
    failure_messages: HashMap<(u32, u32, FailureKind), usize>,
}

/// Distinct failure messages kept per (level, task, kind); later ones are counted together.
pub(crate) const MAX_MESSAGES_PER_KIND: usize = 50;
/// The message of the row that counts the rest.
pub(crate) const OTHER_MESSAGES: &str = "(other messages; the first 50 are listed)";

impl Recorder {
    /// Records one finished request.
    pub(crate) fn record(&mut self, sample: Sample<'_>) {
        let last = self.last_done_micros.entry(sample.stage).or_insert(0);
        *last = (*last).max(sample.done_micros);
        if sample.cancelled {
            self.record_cancelled(&sample);
            return;
        }
        let accum = self.tasks.entry((sample.stage, sample.task)).or_default();
        record(&mut accum.latency, sample.latency_micros);
        if let Some(connect) = sample.connect_micros {
            record(&mut accum.connect, connect);
        }
        accum.requests += 1;
        accum.bytes_received += sample.bytes_received;
        accum.redirects += u64::from(sample.resend.redirects);
        if sample.resend.reconnected || sample.resend.retried {
            let counts = self.resends.entry(sample.stage).or_default();
            counts.reconnects += u64::from(sample.resend.reconnected);
            counts.retries += u64::from(sample.resend.retried);
        }
        if let Some((metrics, reply_micros)) = sample.chat {
            accum.chat.get_or_insert_with(Default::default).record(metrics, reply_micros);
        }
        if let Some(met) = sample.objectives_met {
            let objectives = accum.objectives.get_or_insert_with(Default::default);
            if met {
                objectives.met += 1;
                objectives.met_output_tokens += sample.chat.map(|(metrics, _)| metrics.output_tokens).unwrap_or(0);
            }
        }
        let second = self.seconds.entry(sample.second).or_default().task((sample.stage, sample.task));
        record(&mut second.latency, sample.latency_micros);
        second.requests += 1;
        if let Some(met) = sample.objectives_met {
            *second.objectives_met.get_or_insert(0) += u64::from(met);
        }
        if let Some((metrics, _)) = sample.chat {
            second.output_tokens += metrics.output_tokens;
            second.prompt_tokens += metrics.prompt_tokens.unwrap_or(0);
            if let Some(ttft) = metrics.ttft_micros {
                record(second.ttft.get_or_insert_with(new_histogram), ttft);
            }
        }
        if let Some((kind, message)) = sample.failure {
            accum.failures += 1;
            match kind {
                FailureKind::SandboxViolation => accum.sandbox_violations += 1,
                FailureKind::Limited => accum.limited += 1,
                FailureKind::Generator => accum.generator += 1,
                _ => {}
            }
            if let Some(class) = sample.class {
                match accum.classes.get_mut(class) {
                    Some(count) => *count += 1,
                    None => {
                        accum.classes.insert(class.to_string(), 1);
                    }
                }
            }
            second.failures += 1;
            let key = FailureKey {
                stage: sample.stage,
                task: sample.task,
                kind,
                message: message.to_string(),
            };
            self.add_failures(
                key,
                FailureCount {
                    count: 1,
                    first_second: sample.second,
                    last_second: sample.second,
                },
            );
        }
    }

    /// Counts a journey that started.
    pub(crate) fn record_journey_start(&mut self, stage: u32, journey: u32) {
        self.journeys.entry((stage, journey)).or_default().started += 1;
    }

    /// Records a journey that ended (completed, or failed at a step).
    pub(crate) fn record_journey(&mut self, sample: &JourneySample) {
        let accum = self.journeys.entry((sample.stage, sample.journey)).or_default();
        if sample.cancelled {
            // Its user left: no end-to-end time, and not in the per-journey averages.
            accum.cancelled += 1;
            return;
        }
        record(&mut accum.latency, sample.latency_micros);
        if sample.completed {
            accum.completed += 1;
            record(&mut accum.completed_latency, sample.latency_micros);
        } else {
            accum.failed += 1;
        }
        if let Some(met) = sample.met {
            *accum.met.get_or_insert(0) += u64::from(met);
        }
        accum.steps += sample.steps;
        accum.tool_calls += sample.tool_calls;
        accum.tool_rounds += sample.tool_rounds;
        accum.tool_errors += sample.tool_errors;
        add_per_service(&mut accum.service_micros, &sample.service_micros);
        let second = self
            .seconds
            .entry(sample.second)
            .or_default()
            .journey((sample.stage, sample.journey));
        record(&mut second.latency, sample.latency_micros);
        if sample.completed {
            second.completed += 1;
        } else {
            second.failed += 1;
        }
    }

    /// A request its user stopped: counted, with its time to first token and tokens so far;
    /// its cut-short time is no latency.
    fn record_cancelled(&mut self, sample: &Sample<'_>) {
        let accum = self.tasks.entry((sample.stage, sample.task)).or_default();
        accum.requests += 1;
        accum.cancelled += 1;
        if let Some((metrics, _)) = sample.chat {
            accum.chat.get_or_insert_with(Default::default).record_cancelled(metrics);
        }
        let second = self.seconds.entry(sample.second).or_default().task((sample.stage, sample.task));
        second.requests += 1;
        if let Some((metrics, _)) = sample.chat {
            second.output_tokens += metrics.output_tokens;
            if let Some(ttft) = metrics.ttft_micros {
                record(second.ttft.get_or_insert_with(new_histogram), ttft);
            }
        }
    }

    /// Counts requests of (stage, task) that were still open when the run ended.
    pub(crate) fn record_unfinished(&mut self, stage: u32, task: u32, count: u64) {
        self.tasks.entry((stage, task)).or_default().unfinished += count;
    }

    /// Records how late a worker's periodic timer fired during `stage`.
    pub(crate) fn record_lag(&mut self, stage: u32, lag_micros: u64) {
        record(self.scheduling_lag.entry(stage).or_insert_with(new_histogram), lag_micros);
    }

    /// Counts failures under their message, folding messages past the first
    /// [`MAX_MESSAGES_PER_KIND`] of a (stage, task, kind) into one row, so replies that put ids
    /// or times in their error text cannot grow the table without bound.
    fn add_failures(&mut self, mut key: FailureKey, count: FailureCount) {
        if key.message != OTHER_MESSAGES && !self.failures.contains_key(&key) {
            let group = (key.stage, key.task, key.kind);
            let distinct = self.failure_messages.entry(group).or_insert(0);
            if *distinct >= MAX_MESSAGES_PER_KIND {
                key.message = OTHER_MESSAGES.to_string();
            } else {
                *distinct += 1;
            }
        }
        match self.failures.get_mut(&key) {
            Some(existing) => existing.add(count),
            None => {
                self.failures.insert(key, count);
            }
        }
    }

    /// Counts an open-model request that started late.
    pub(crate) fn record_late_start(&mut self, stage: u32) {
        *self.late_starts.entry(stage).or_insert(0) += 1;
    }

    /// Takes everything recorded so far, leaving this recorder empty.
    pub(crate) fn take(&mut self) -> Recorder {
        std::mem::take(self)
    }

    /// Adds another recorder's contents into this one.
    pub(crate) fn merge(&mut self, other: Recorder) {
        for (key, accum) in other.tasks {
            match self.tasks.get_mut(&key) {
                Some(existing) => existing.merge(&accum),
                None => {
                    self.tasks.insert(key, accum);
                }
            }
        }
        for (second, accum) in other.seconds {
            match self.seconds.get_mut(&second) {
                Some(existing) => existing.merge(accum),
                None => {
                    self.seconds.insert(second, accum);
                }
            }
        }
        for (key, count) in other.failures {
            self.add_failures(key, count);
        }
        for (stage, count) in other.late_starts {
            *self.late_starts.entry(stage).or_insert(0) += count;
        }
        for (stage, counts) in other.resends {
            let mine = self.resends.entry(stage).or_default();
            mine.reconnects += counts.reconnects;
            mine.retries += counts.retries;
        }
        for (key, accum) in other.journeys {
            match self.journeys.get_mut(&key) {
                Some(existing) => existing.merge(&accum),
                None => {
                    self.journeys.insert(key, accum);
                }
            }
        }
        for (stage, micros) in other.last_done_micros {
            let last = self.last_done_micros.entry(stage).or_insert(0);
            *last = (*last).max(micros);
        }
        for (stage, micros) in other.worker_cpu_micros {
            *self.worker_cpu_micros.entry(stage).or_insert(0) += micros;
        }
        for (stage, lag) in other.scheduling_lag {
            match self.scheduling_lag.get_mut(&stage) {
                Some(existing) => {
                    let _ = existing.add(&lag);
                }
                None => {
                    self.scheduling_lag.insert(stage, lag);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_distinct_failure_messages() {
        let mut worker = Recorder::default();
        for id in 0..(MAX_MESSAGES_PER_KIND + 30) {
            let message = format!("request {id} failed");
            worker.record(Sample {
                stage: 0,
                task: 0,
                second: 0,
                done_micros: 0,
                latency_micros: 1,
                connect_micros: None,
                bytes_received: 0,
                failure: Some((FailureKind::ApiError, &message)),
                chat: None,
                class: None,
                objectives_met: None,
                resend: Default::default(),
                cancelled: false,
            });
        }
        let mut run = Recorder::default();
        run.merge(worker.take());
        assert_eq!(run.failures.len(), MAX_MESSAGES_PER_KIND + 1);
        let other = run
            .failures
            .iter()
            .find(|(key, _)| key.message == OTHER_MESSAGES)
            .map(|(_, count)| count.count);
        assert_eq!(other, Some(30));
        assert_eq!(
            run.failures.values().map(|count| count.count).sum::<u64>(),
            (MAX_MESSAGES_PER_KIND + 30) as u64,
            "nothing is lost"
        );
    }

    #[test]
    fn merges_worker_deltas() {
        let mut worker_a = Recorder::default();
        let mut worker_b = Recorder::default();
        for (recorder, latency) in [(&mut worker_a, 1_000), (&mut worker_b, 3_000)] {
            recorder.record(Sample {
                stage: 0,
                task: 1,
                second: 2,
                done_micros: 2_000_000,
                latency_micros: latency,
                connect_micros: Some(50),
                bytes_received: 17,
                failure: None,
                chat: None,
                class: None,
                objectives_met: None,
                resend: Default::default(),
                cancelled: false,
            });
        }
        worker_b.record(Sample {
            stage: 0,
            task: 1,
            second: 2,
            done_micros: 2_400_000,
            latency_micros: 9_000,
            connect_micros: None,
            bytes_received: 0,
            failure: Some((FailureKind::Status(500), "HTTP 500 Internal Server Error")),
            chat: None,
            class: None,
            objectives_met: None,
            resend: Default::default(),
            cancelled: false,
        });
        let mut run = Recorder::default();
        run.merge(worker_a.take());
        run.merge(worker_b.take());
        assert!(worker_a.tasks.is_empty() && worker_a.seconds.is_empty(), "taken whole");
        let accum = &run.tasks[&(0, 1)];
        assert_eq!((accum.requests, accum.failures, accum.bytes_received), (3, 1, 34));
        assert_eq!(accum.connect.len(), 2);
        assert!(accum.latency.equivalent(accum.latency.max(), 9_000), "max {}", accum.latency.max());
        assert_eq!(run.seconds[&2].tasks.iter().map(|(_, accum)| accum.requests).sum::<u64>(), 3);
        let (key, count) = run.failures.iter().next().expect("one failure group");
        assert_eq!((key.kind, count.count, count.first_second), (FailureKind::Status(500), 1, 2));
        assert_eq!(key.kind.to_string(), "status 500");
        // The stage's last request is the latest of any worker's.
        assert_eq!(run.last_done_micros[&0], 2_400_000);
    }
}
