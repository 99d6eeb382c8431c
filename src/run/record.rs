//! The run file: the versioned, self-describing JSON record of one execution. Readable by
//! other tools: latency in microseconds, histograms as base64 of HdrHistogram's V2 deflate
//! form, times as RFC 3339 and as seconds since the run started.

use serde::{Deserialize, Serialize};

use super::FailureKind;
use crate::format;
use crate::measure::{LoadModel, Metric};

/// The `format` field of every run file.
pub(crate) const RUN_FORMAT: &str = "loadscope-run";
/// The current run file version. Readers accept this version and older. Version 2 added
/// `warnings`, per-level `generator`, `unfinished` and `generator_failures` counts, failure
/// first/last seen times and the `host_busy` / `generator_limits` findings (version 1 files read
/// with those empty; a version 1 reader refuses a version 2 file by its version). Version 3
/// stores failure kinds as serde names (`"api_error"`, `{"status": 500}`) instead of their
/// display text; older files' text still reads.
pub(crate) const RUN_VERSION: u32 = 3;

/// One run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Written by [`super::save::run_file_json`] ahead of the summary, so not serialized here.
    #[serde(skip_serializing)]
    pub format: String,
    #[serde(skip_serializing)]
    pub version: u32,
    pub app_version: String,
    /// Unique id (also the file stem by default).
    pub id: String,
    pub host: HostInfo,
    /// RFC 3339, UTC.
    pub started_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    /// When this file was last written; an unfinished run whose file stopped being written is
    /// read as interrupted.
    pub saved_at: String,
    pub status: RunStatus,
    /// Why the run ended early, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
    pub preset: PresetRecord,
    pub scenarios: Vec<ScenarioRecord>,
    /// One point per second of the run.
    pub series: Vec<SeriesPoint>,
    /// Every target verdict held (None until the run has verdicts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
    /// All requests of the run together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<TaskSummary>,
    /// What each monitor could sample (None for runs from before monitors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitors: Option<crate::monitor::MonitorStatus>,
    /// Free-form notes.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// A name given in the run library (the preset's name is shown when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Labels given in the run library (`release-1.4`, `after-fix`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// What the analysis noticed about the finished run (bottleneck indicators with evidence).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// What the run warned about as it started (https not verified, an open-file limit below
    /// what the levels need).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Set for a run another tool measured and Loadscope read in (`loadscope import locust`):
    /// its numbers are that tool's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<ImportedFrom>,
    /// Set for one segment of a run split over processes (`run --segment i/n`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<SegmentRecord>,
    /// Set for a run merged from segments (`loadscope merge`): where each came from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<MergedSegment>,
    /// A partial merge (`merge --partial`): the segments that were not there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_segments: Vec<u32>,
    /// Set for one of N runs of a preset (`run --repeat N`): its group and place in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<RepeatRecord>,
}

/// One run of a repeated preset (`run --repeat N`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepeatRecord {
    /// The id every run of the group carries (the first run's id).
    pub group: String,
    /// From 1.
    pub index: u32,
    pub count: u32,
}

/// Which share of a split run this file holds, and how its start met `--start-at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentRecord {
    /// From 0.
    pub index: u32,
    pub count: u32,
    /// `--start-at`, RFC 3339 (None: it started when ready).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_at: Option<String>,
    /// When its first level began against `--start-at`, in milliseconds (positive: late).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_offset_millis: Option<f64>,
}

/// One segment of a merged run: its file, host and start, and what its monitors saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergedSegment {
    pub index: u32,
    pub file: String,
    pub host: HostInfo,
    pub started_at: String,
    pub status: RunStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_offset_millis: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitors: Option<crate::monitor::MonitorStatus>,
    /// Each level's resource peaks on this host, by scenario and level index.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<(usize, usize, crate::monitor::ResourcePeaks)>,
}

/// Where an imported run came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedFrom {
    /// `locust`.
    pub tool: String,
    /// The files read.
    pub files: Vec<String>,
}

impl RunRecord {
    /// The name people see: the title given in the library, else the preset's name.
    pub fn display_name(&self) -> &str {
        self.title.as_deref().filter(|title| !title.is_empty()).unwrap_or(&self.preset.name)
    }

    /// Every level's target checks that judge the run, with their scenario and level: a
    /// capacity search's steps are left out (they are how it found its answer).
    pub fn checked_verdicts(&self) -> impl Iterator<Item = (&ScenarioRecord, &LevelRecord, &Verdict)> {
        self.scenarios
            .iter()
            .filter(|scenario| scenario.capacity.is_none())
            .flat_map(|scenario| {
                scenario
                    .levels
                    .iter()
                    .flat_map(move |level| level.verdicts.iter().map(move |verdict| (scenario, level, verdict)))
            })
    }

    /// Seconds from start to the last level's end (or the last series point).
    pub fn duration_secs(&self) -> f64 {
        let levels_end = self
            .scenarios
            .iter()
            .flat_map(|scenario| scenario.levels.iter())
            .filter_map(|level| level.ended_offset_secs)
            .fold(0.0, f64::max);
        let series_end = self.series.last().map(|point| point.second as f64 + 1.0).unwrap_or(0.0);
        levels_end.max(series_end)
    }
}

/// What a finding is about: one of the guide's bottleneck indicators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingRule {
    /// Error rate climbs with the number of users across levels.
    ErrorRateRising,
    /// p95 jumps between two consecutive levels by more than the knee factor.
    LatencyKnee,
    /// GPU memory close to full.
    GpuMemoryHigh,
    /// Connection errors appear at a level that had none before.
    ConnectionErrors,
    /// Timeouts appear at a level that had none before.
    Timeouts,
    /// Failures accelerate within a level.
    CascadingFailure,
    /// Failures stay high after the load drops.
    NoRecovery,
    /// The load generator's own CPU was saturated: the level's numbers are not trustworthy.
    GeneratorSaturated,
    /// Open-model requests that could not start on time.
    LateStarts,
    /// The host's CPU was full with other work while the generator kept up.
    HostBusy,
    /// The load generator ran out of file descriptors or local ports.
    GeneratorLimits,
}

impl FindingRule {
    pub fn label(self) -> &'static str {
        match self {
            FindingRule::ErrorRateRising => "Error rate rises with users",
            FindingRule::LatencyKnee => "Latency knee",
            FindingRule::GpuMemoryHigh => "GPU memory near full",
            FindingRule::ConnectionErrors => "Connection errors appear",
            FindingRule::Timeouts => "Timeouts appear",
            FindingRule::CascadingFailure => "Cascading failure",
            FindingRule::NoRecovery => "No recovery after load drops",
            FindingRule::GeneratorSaturated => "Load generator saturated",
            FindingRule::LateStarts => "Requests started late",
            FindingRule::HostBusy => "Host busy with other work",
            FindingRule::GeneratorLimits => "Load generator out of connections",
        }
    }
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth a look.
    Notice,
    /// A bottleneck indicator.
    Warning,
    /// The numbers are not trustworthy, or the service is failing.
    Critical,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Notice => "notice",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// One finding: where, which metric, the numbers, and what it suggests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: FindingRule,
    pub severity: Severity,
    pub scenario: String,
    /// 0-based index of the level where it shows (None when it spans the scenario).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_name: Option<String>,
    /// The metric it is about (`p95`, `error_rate`, `gpu_mem_max`, ...).
    pub metric: String,
    /// One sentence with the numbers.
    pub summary: String,
    /// The values behind it, one per line (per level, per third of a level).
    pub evidence: Vec<String>,
    /// What to look at next.
    pub suggestion: String,
}

/// Where the run was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostInfo {
    pub hostname: String,
    pub os: String,
    pub arch: String,
    pub cpus: usize,
}

impl HostInfo {
    /// This machine.
    pub fn current() -> HostInfo {
        // The system's own call on every platform (gethostname, GetComputerNameEx), not a
        // shell variable a GUI launch does not have.
        let hostname = sysinfo::System::host_name()
            .ok()
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "unknown".into());
        HostInfo {
            hostname,
            os: std::env::consts::OS.into(),
            arch: std::env::consts::ARCH.into(),
            cpus: std::thread::available_parallelism().map(usize::from).unwrap_or(1),
        }
    }
}

/// How the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Still being written (autosaves carry this).
    Running,
    /// Every level ran to its end.
    Completed,
    /// Stopped by a person.
    Stopped,
    /// Stopped by an abort_on_fail target.
    Aborted,
    /// The process died before finishing; the data up to the last save is kept.
    Interrupted,
    /// Merged from segments some of which are missing or did not finish (`merge --partial`):
    /// its numbers are short of the run's load, and it never passes.
    Partial,
}

impl RunStatus {
    pub fn label(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::Stopped => "stopped",
            RunStatus::Aborted => "aborted",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Partial => "partial",
        }
    }
}

/// The preset as run: command-line overrides applied, secrets left as `${VAR}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PresetRecord {
    pub name: String,
    /// A path or `shipped:NAME`.
    pub source: String,
    pub document: serde_json::Value,
    /// `sha256:` and the hex SHA-256 of `document` as JSON: two runs with the same hash ran
    /// the same preset, overrides included (files before 0.3 lack it; [`Self::hash`] computes
    /// it from the document then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

impl PresetRecord {
    /// A placeholder for a record whose preset is filled in later (the autosave's, whose saver
    /// holds the preset).
    pub(crate) fn empty() -> PresetRecord {
        PresetRecord {
            name: String::new(),
            source: String::new(),
            document: serde_json::Value::Null,
            sha256: None,
        }
    }
    /// A preset record with its hash.
    pub fn new(name: String, source: String, document: serde_json::Value) -> PresetRecord {
        let sha256 = Some(document_hash(&document));
        PresetRecord {
            name,
            source,
            document,
            sha256,
        }
    }

    /// The stored hash, or one computed from the document for files that stored none.
    pub fn hash(&self) -> String {
        self.sha256.clone().unwrap_or_else(|| document_hash(&self.document))
    }
}

/// `sha256:` and the hex SHA-256 of a preset document's JSON (its maps' keys in order, so the
/// same preset always hashes the same).
fn document_hash(document: &serde_json::Value) -> String {
    let bytes = serde_json::to_vec(&canonical(document)).unwrap_or_default();
    let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
    let hex: String = digest.as_ref().iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}

/// The document with every object's keys sorted.
fn canonical(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            serde_json::Value::Object(keys.into_iter().map(|key| (key.clone(), canonical(&map[key]))).collect())
        }
        serde_json::Value::Array(items) => serde_json::Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// One scenario of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioRecord {
    pub name: String,
    pub base_url: String,
    pub tasks: Vec<String>,
    /// The preset's failure class names (targets may name them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failure_classes: Vec<String>,
    pub targets: Vec<TargetRecord>,
    pub levels: Vec<LevelRecord>,
    /// All levels together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<TaskSummary>,
    /// The numbers `degradation` targets were measured against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineRecord>,
    /// The per-request objectives SLO attainment and goodput were measured against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objectives: Option<crate::measure::Objectives>,
    /// A capacity search's steps and result (its levels are the measured steps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<CapacityRecord>,
}

/// A capacity search as it went: how it moved, each step, and the highest load that held.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityRecord {
    pub axis: crate::measure::capacity::CapacityAxis,
    pub rule: crate::measure::capacity::SearchRule,
    /// The highest load at which every target held (None: not even the smallest).
    pub capacity: Option<f64>,
    pub steps: Vec<crate::measure::capacity::SearchStep>,
    /// The search reached its precision (false: stopped or still running).
    pub done: bool,
    /// The search ended without an answer about the service (it went away, or the load
    /// generator hit its own limit); `capacity` is then None.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<crate::measure::capacity::SearchStop>,
    /// Its capacity targets (`capacity_users >= 40`), checked against the result.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verdicts: Vec<CapacityVerdict>,
}

impl CapacityRecord {
    /// Whether the search held up: it found a load within every target, and its capacity
    /// targets pass.
    pub fn passed(&self) -> bool {
        self.stopped.is_none() && self.capacity.is_some() && self.verdicts.iter().all(|verdict| verdict.passed)
    }

    /// The answer in a few words: `24 users`, `at least 128 users (held at the maximum tried;
    /// raise max)`, `unknown (service unreachable during step 2: ...)`, `none (even 1 user
    /// failed)`. The CLI's last line, its JSON and JUnit, and the reports say it so.
    /// The answer in a few words, for a list: `24 users`, `at least 64 users`, `none`,
    /// `unknown`.
    pub fn short_answer(&self) -> String {
        if self.stopped.is_some() {
            return "unknown".into();
        }
        match self.capacity {
            Some(load) if crate::measure::capacity::CapacitySearch::held_at_max(&self.steps, &self.rule) => {
                format!("at least {}", self.axis.format(load))
            }
            Some(load) => self.axis.format(load),
            None => "none".into(),
        }
    }

    pub fn answer(&self) -> String {
        let short = self.short_answer();
        if let Some(stopped) = &self.stopped {
            return format!("{short} ({})", stopped.describe());
        }
        match self.capacity {
            Some(_) if crate::measure::capacity::CapacitySearch::held_at_max(&self.steps, &self.rule) => {
                format!("{short} (held at the maximum tried; raise max)")
            }
            Some(_) => short,
            None => match self.steps.iter().map(|step| step.load).reduce(f64::min) {
                Some(lowest) => format!("{short} (even {} failed)", self.axis.format(lowest)),
                None => format!("{short} (no step ran)"),
            },
        }
    }
}

/// A capacity target checked against a search's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapacityVerdict {
    pub target: String,
    pub threshold: f64,
    /// The capacity found (None: nothing held, or the search ran on the other axis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<f64>,
    pub passed: bool,
}

impl ScenarioRecord {
    /// A capacity search's answer with the p95 measured at that load, the sentence every face
    /// leads with: `capacity 24 users, p95 412 ms at that load`; None without a search.
    pub fn capacity_sentence(&self) -> Option<String> {
        let capacity = self.capacity.as_ref()?;
        let at_load = self.capacity_p95_words().map(|words| format!(", {words}"));
        Some(format!("capacity {}{}", capacity.answer(), at_load.unwrap_or_default()))
    }

    /// `p95 359 ms at that load`: [`Self::capacity_p95_micros`] in words.
    pub fn capacity_p95_words(&self) -> Option<String> {
        self.capacity_p95_micros()
            .map(|micros| format!("p95 {} at that load", crate::format::micros_words(micros as f64)))
    }

    /// The p95 measured at a capacity search's answer: the last step that held at that load
    /// (the steps and the levels are in the same order); None without an answer or requests.
    pub fn capacity_p95_micros(&self) -> Option<u64> {
        let capacity = self.capacity.as_ref()?;
        let load = capacity.capacity?;
        let index = capacity
            .steps
            .iter()
            .rposition(|step| step.held && (step.load - load).abs() < 1e-9)?;
        let stats = &self.levels.get(index)?.total.stats;
        (stats.requests > 0).then_some(stats.p95_micros)
    }

    /// One task's summaries, a level each (levels where it ran).
    pub fn task_parts(&self, task: &str) -> Vec<&TaskSummary> {
        self.levels
            .iter()
            .filter_map(|level| level.tasks.iter().find(|summary| summary.task == task))
            .collect()
    }
}

/// A scenario's baseline: the numbers of a single-user run it is compared with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineRecord {
    /// Where the numbers came from, in words (`scenario "API Gateway baseline" of this run`,
    /// or a run file and its scenario).
    pub source: String,
    /// The baseline scenario's name.
    pub scenario: String,
    /// The baseline run's id, when it was a saved run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// All tasks together.
    pub total: TaskStats,
    /// Per task, by task name.
    #[serde(default)]
    pub tasks: std::collections::BTreeMap<String, TaskStats>,
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetRecord {
    pub expr: String,
    /// 0-based level index; every level when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// The journey a journey metric's target names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journey: Option<String>,
    #[serde(default)]
    pub abort_on_fail: bool,
}

/// One level of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelRecord {
    pub index: usize,
    pub name: String,
    pub load: LoadModel,
    pub planned_duration_secs: f64,
    /// Seconds since the run started.
    pub started_offset_secs: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_offset_secs: Option<f64>,
    pub tasks: Vec<TaskSummary>,
    /// All tasks together ("Aggregated" in Locust's table).
    pub total: TaskSummary,
    /// Each journey's numbers (scenarios with journeys; absent in older files).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub journeys: Vec<JourneySummary>,
    /// Open model: requests that could not start at their scheduled time.
    #[serde(default)]
    pub late_starts: u64,
    /// Requests that went on a new connection because the kept-alive one was found closed
    /// before sending (the server never had them).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reconnects: u64,
    /// Idempotent requests sent a second time, on a new connection, after the server closed
    /// the first without a reply byte (timed from the first send).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retries: u64,
    /// Open model: requests in flight when the level began and when it ended (as the workers
    /// last reported, within 250 ms). A capacity step begins with what its warm-up left: the
    /// step before it drained first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_flight_at_start: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_flight_at_end: Option<u64>,
    pub failures: Vec<FailureRow>,
    pub verdicts: Vec<Verdict>,
    /// The highest GPU, container and host readings during the level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<crate::monitor::ResourcePeaks>,
    /// What the run noticed about this level that casts doubt on its numbers (a saturated
    /// load generator).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// How hard the load generator itself worked during the level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<GeneratorLoad>,
}

/// The load generator's own load during a level: how busy its worker threads were and how late
/// their timers fired (a saturated generator delays every request it sends). The process as a
/// whole is not measured: in the app it also draws the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratorLoad {
    /// The worker threads' CPU time over the level's wall time (100 = every worker thread busy
    /// all the time); absent where the platform cannot tell a thread's CPU time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_percent: Option<f64>,
    /// Worker threads (the share's denominator).
    pub workers: usize,
    /// Timer lateness on the worker threads: 99th percentile and maximum, and how many
    /// timer firings were measured.
    pub scheduling_lag_p99_micros: u64,
    pub scheduling_lag_max_micros: u64,
    pub scheduling_lag_samples: u64,
}

impl GeneratorLoad {
    /// Worker threads' CPU (share of their time) from which the generator counts as saturated.
    pub const SATURATED_CPU_PERCENT: f64 = 90.0;
    /// Worker timer lateness (p99) from which requests leave measurably late.
    pub const SATURATED_LAG_P99_MICROS: u64 = 20_000;
    /// Timer firings needed before the lag says anything (a second of one worker is 50).
    pub const MIN_LAG_SAMPLES: u64 = 50;

    /// Why the generator was saturated during the level, if it was.
    pub fn saturation(&self) -> Option<String> {
        let lagging =
            self.scheduling_lag_samples >= Self::MIN_LAG_SAMPLES && self.scheduling_lag_p99_micros >= Self::SATURATED_LAG_P99_MICROS;
        let busy = self.cpu_percent.is_some_and(|cpu| cpu >= Self::SATURATED_CPU_PERCENT);
        match (lagging, busy) {
            (false, false) => None,
            _ => Some(format!(
                "the load generator's worker timers fired {} late (p99; max {}) and its {} worker thread(s) were busy {}",
                format::micros(self.scheduling_lag_p99_micros as f64),
                format::micros(self.scheduling_lag_max_micros as f64),
                self.workers,
                self.cpu_percent
                    .map(|cpu| format!("{cpu:.0}% of the time"))
                    .unwrap_or_else(|| "(not measured here)".into())
            )),
        }
    }
}

impl LevelRecord {
    /// Seconds the level actually ran (planned duration while it is still running).
    pub fn duration_secs(&self) -> f64 {
        self.ended_offset_secs
            .map(|end| end - self.started_offset_secs)
            .unwrap_or(self.planned_duration_secs)
    }
}

/// Numbers for one task (or all tasks) over a span of time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskStats {
    pub requests: u64,
    pub failures: u64,
    pub min_micros: u64,
    pub avg_micros: f64,
    pub p50_micros: u64,
    pub p90_micros: u64,
    pub p95_micros: u64,
    pub p99_micros: u64,
    pub max_micros: u64,
    pub rps: f64,
    pub failures_per_sec: f64,
    pub bytes_received: u64,
    pub avg_bytes: f64,
    /// New connections opened, and how long they took.
    pub connections: u64,
    pub connect_p50_micros: u64,
    pub connect_p95_micros: u64,
    pub connect_max_micros: u64,
    /// MCP calls that should have been refused and succeeded.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sandbox_violations: u64,
    /// Failures that signalled a concurrency limit (429, 503 + Retry-After, named RPC codes).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub limited: u64,
    /// Failures that were the load generator's own: no file descriptors or local ports left.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub generator_failures: u64,
    /// Requests still open when the run ended: neither finished nor timed out, so in no other
    /// number (an open request at a level's end is counted when it finishes).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unfinished: u64,
    /// Redirects followed on the way to the replies (each hop once; `follow_redirects`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub redirects: u64,
    /// Requests their users stopped part way (`cancel_after`, `cancel_after_tokens`): counted
    /// in `requests`, neither failures nor in the latency columns; their time to first token
    /// and tokens so far are in `chat`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cancelled: u64,
    /// Failures per failure class of the preset.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub failure_classes: std::collections::BTreeMap<String, u64>,
    /// Chat tasks: time to first byte/token, inter-token latency, tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<ChatStats>,
    /// Scenarios with per-request objectives: how many requests met them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objectives: Option<ObjectiveStats>,
}

/// Requests measured against the scenario's per-request objectives over a span.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveStats {
    /// Requests that succeeded and met every objective.
    pub met: u64,
    /// Output tokens of the chat replies among them.
    pub met_output_tokens: u64,
    /// `met` over all requests, in percent (SLO attainment).
    pub attainment_percent: f64,
    /// `met` per second (goodput).
    pub goodput_per_sec: f64,
    /// `met_output_tokens` per second (token goodput).
    pub token_goodput_per_sec: f64,
}

impl ObjectiveStats {
    /// The numbers of `met` conforming requests (with `met_output_tokens` output tokens) out of
    /// `requests` over `duration_secs`.
    pub fn new(met: u64, met_output_tokens: u64, requests: u64, duration_secs: f64) -> ObjectiveStats {
        let duration = if duration_secs > 0.0 { duration_secs } else { f64::INFINITY };
        ObjectiveStats {
            met,
            met_output_tokens,
            attainment_percent: if requests == 0 { 0.0 } else { met as f64 * 100.0 / requests as f64 },
            goodput_per_sec: met as f64 / duration,
            token_goodput_per_sec: met_output_tokens as f64 / duration,
        }
    }
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// Where the output token counts of a span's chat replies came from. Stored as its snake_case
/// name (`"usage"`, `"chunks"`, ...), as run files have always had it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenCountSource {
    /// The server's `usage` objects.
    Usage,
    /// One token per content chunk of a stream.
    Chunks,
    /// Characters / 4 of replies without usage.
    Estimated,
    /// Prompt tokens: the tokenizer's count of what was sent.
    Tokenizer,
    /// Replies counted different ways.
    Mixed,
    /// No reply counted.
    #[default]
    None,
}

impl TokenCountSource {
    pub fn label(self) -> &'static str {
        match self {
            TokenCountSource::Usage => "usage",
            TokenCountSource::Chunks => "chunks",
            TokenCountSource::Estimated => "estimated",
            TokenCountSource::Tokenizer => "tokenizer",
            TokenCountSource::Mixed => "mixed",
            TokenCountSource::None => "none",
        }
    }
}

/// What chat replies measured. Token counts say where they came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatStats {
    /// Successful replies, and how many were streamed.
    pub replies: u64,
    pub streamed: u64,
    pub ttfb_p50_micros: u64,
    pub ttfb_p95_micros: u64,
    /// Streamed replies only.
    pub ttft_p50_micros: u64,
    pub ttft_p90_micros: u64,
    pub ttft_p95_micros: u64,
    pub ttft_p99_micros: u64,
    pub itl_p50_micros: u64,
    pub itl_p95_micros: u64,
    pub itl_p99_micros: u64,
    /// Output tokens per second of a reply (send to last byte): median and mean.
    pub tokens_per_sec_p50: f64,
    pub tokens_per_sec_avg: f64,
    pub output_tokens: u64,
    pub prompt_tokens: u64,
    /// Prompt (input) tokens per second over the whole span (None in files from before it
    /// was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_per_sec: Option<f64>,
    /// Where the prompt token counts came from: `usage`, `tokenizer` or `mixed`.
    #[serde(default)]
    pub prompt_token_source: TokenCountSource,
    /// Output tokens per second over the whole span (all replies together).
    pub output_tokens_per_sec: f64,
    /// `usage`, `chunks` (one per content event), `estimated` (characters / 4), or `mixed`.
    pub token_source: TokenCountSource,
}

impl TaskStats {
    /// Failed requests as a percentage of all requests (0 when there were none).
    pub fn error_rate_percent(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.failures as f64 * 100.0 / self.requests as f64
        }
    }

    /// The value a target measures, in its metric's canonical unit; None without requests.
    pub fn value(&self, expr: &crate::measure::TargetExpr) -> Option<f64> {
        let percent = |count: u64| {
            if self.requests == 0 {
                0.0
            } else {
                count as f64 * 100.0 / self.requests as f64
            }
        };
        let class_count = || {
            expr.class
                .as_ref()
                .map(|class| self.failure_classes.get(class).copied().unwrap_or(0))
                .unwrap_or(0)
        };
        match expr.metric {
            Metric::ClassCount => return Some(class_count() as f64),
            Metric::ClassRate => return (self.requests > 0).then(|| percent(class_count())),
            Metric::Limited => return Some(self.limited as f64),
            Metric::HardFailures => return Some((self.failures - self.limited.min(self.failures)) as f64),
            Metric::LimitedRate => return (self.requests > 0).then(|| percent(self.limited)),
            Metric::HardErrorRate => return (self.requests > 0).then(|| percent(self.failures - self.limited.min(self.failures))),
            _ => {}
        }
        self.metric(expr.metric)
    }

    /// The value of a built-in metric, in its canonical unit; None without requests.
    pub fn metric(&self, metric: Metric) -> Option<f64> {
        if self.requests == 0
            && !matches!(
                metric,
                Metric::Requests | Metric::Failures | Metric::Rps | Metric::SandboxViolations
            )
        {
            return None;
        }
        if metric.needs_objectives() {
            let objectives = self.objectives.as_ref()?;
            return Some(match metric {
                Metric::SloAttainment => objectives.attainment_percent,
                Metric::Goodput => objectives.goodput_per_sec,
                _ => objectives.token_goodput_per_sec,
            });
        }
        if metric.is_chat() {
            let chat = self.chat.as_ref().filter(|chat| chat.replies > 0)?;
            let streamed = || (chat.streamed > 0).then_some(());
            return Some(match metric {
                Metric::TtfbP95 => chat.ttfb_p95_micros as f64,
                Metric::TtftP50 => streamed().map(|_| chat.ttft_p50_micros as f64)?,
                Metric::TtftP90 => streamed().map(|_| chat.ttft_p90_micros as f64)?,
                Metric::TtftP95 => streamed().map(|_| chat.ttft_p95_micros as f64)?,
                Metric::TtftP99 => streamed().map(|_| chat.ttft_p99_micros as f64)?,
                Metric::ItlP50 => streamed().map(|_| chat.itl_p50_micros as f64)?,
                Metric::ItlP95 => streamed().map(|_| chat.itl_p95_micros as f64)?,
                Metric::ItlP99 => streamed().map(|_| chat.itl_p99_micros as f64)?,
                Metric::TokensPerSec => chat.tokens_per_sec_p50,
                _ => chat.output_tokens_per_sec,
            });
        }
        Some(match metric {
            Metric::P50 => self.p50_micros as f64,
            Metric::P90 => self.p90_micros as f64,
            Metric::P95 => self.p95_micros as f64,
            Metric::P99 => self.p99_micros as f64,
            Metric::Max => self.max_micros as f64,
            Metric::Min => self.min_micros as f64,
            Metric::Avg => self.avg_micros,
            Metric::ErrorRate => self.error_rate_percent(),
            Metric::SuccessRate => 100.0 - self.error_rate_percent(),
            Metric::Rps => self.rps,
            Metric::Requests => self.requests as f64,
            Metric::Failures => self.failures as f64,
            Metric::SandboxViolations => self.sandbox_violations as f64,
            // Chat metrics returned above.
            _ => return None,
        })
    }
}

/// A journey's numbers over a level, with its latency histogram, as stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JourneySummary {
    pub name: String,
    #[serde(flatten)]
    pub stats: JourneyStats,
    /// End-to-end latency of the completed journeys (µs), base64 of HdrHistogram V2 deflate.
    pub histogram: String,
}

/// A journey's numbers over a level: how many started, completed and failed, their
/// end-to-end latency (completed ones), the steps and tool calls they took, and where their
/// time went.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JourneyStats {
    pub started: u64,
    pub completed: u64,
    pub failed: u64,
    /// Journeys whose user stopped a reply part way (`cancel_after`): neither completed nor
    /// failed, and not in the success rate.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cancelled: u64,
    pub latency_p50_micros: u64,
    pub latency_p95_micros: u64,
    pub latency_p99_micros: u64,
    pub latency_max_micros: u64,
    pub latency_avg_micros: f64,
    /// Completed journeys per second of the level.
    pub journeys_per_sec: f64,
    /// Steps run per journey that ended.
    pub steps_avg: f64,
    /// Tool calls the model asked for, in all journeys that ended.
    pub tool_calls: u64,
    /// Rounds of tool calls per journey that ended.
    pub tool_rounds_avg: f64,
    /// Tool calls whose tool answered with an error (sent back to the model).
    #[serde(default)]
    pub tool_errors: u64,
    /// The share of the journeys' time spent waiting on each service, in percent, by name.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub service_share_percent: std::collections::BTreeMap<String, f64>,
    /// Scenarios with objectives: completed journeys whose every request met them (a
    /// journey's SLO attainment is these over the journeys that ended, its goodput these per
    /// second).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objectives_met: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goodput_per_sec: Option<f64>,
}

impl JourneyStats {
    /// Journeys that ended.
    pub fn ended(&self) -> u64 {
        self.completed + self.failed
    }

    /// Completed journeys as a percentage of those that ended (None when none ended).
    pub fn success_rate_percent(&self) -> Option<f64> {
        let ended = self.ended();
        (ended > 0).then(|| self.completed as f64 * 100.0 / ended as f64)
    }

    /// Journeys that completed with every request within the objectives, as a percentage of
    /// those that ended (None without objectives, or when none ended).
    pub fn slo_attainment_percent(&self) -> Option<f64> {
        let ended = self.ended();
        let met = self.objectives_met?;
        (ended > 0).then(|| met as f64 * 100.0 / ended as f64)
    }

    /// Tool calls per journey that ended (None when none ended).
    pub fn tool_calls_per_journey(&self) -> Option<f64> {
        let ended = self.ended();
        (ended > 0).then(|| self.tool_calls as f64 / ended as f64)
    }

    /// The value of a journey metric (None for other metrics, or when nothing ended to
    /// measure it).
    pub fn value(&self, metric: Metric) -> Option<f64> {
        let latency = |micros: u64| (self.completed > 0).then_some(micros as f64);
        match metric {
            Metric::JourneyP50 => latency(self.latency_p50_micros),
            Metric::JourneyP95 => latency(self.latency_p95_micros),
            Metric::JourneyP99 => latency(self.latency_p99_micros),
            Metric::JourneySuccessRate => self.success_rate_percent(),
            Metric::JourneysPerSec => (self.started > 0).then_some(self.journeys_per_sec),
            Metric::ToolCallsPerJourney => self.tool_calls_per_journey(),
            Metric::SloAttainment => self.slo_attainment_percent(),
            Metric::Goodput => self.goodput_per_sec.filter(|_| self.started > 0),
            _ => None,
        }
    }
}

/// Every journey of a level together, from their stored summaries (None without journeys).
pub fn combined_journeys(journeys: &[JourneySummary]) -> Option<JourneyStats> {
    if journeys.is_empty() {
        return None;
    }
    let parts: Vec<&JourneySummary> = journeys.iter().collect();
    let mut stats = combine_journeys("", &parts).stats;
    stats.service_share_percent.clear();
    Some(stats)
}

/// Journey summaries added together (one journey's numbers from several segments, or several
/// journeys): counts summed, latency from the merged histograms, rates summed, averages and
/// service shares weighted by the journeys that ended.
pub fn combine_journeys(name: &str, parts: &[&JourneySummary]) -> JourneySummary {
    let mut latency = super::histogram::new_histogram();
    let mut total = JourneyStats::default();
    let (mut steps, mut rounds) = (0.0, 0.0);
    let mut shares: std::collections::BTreeMap<String, f64> = std::collections::BTreeMap::new();
    for journey in parts {
        if let Ok(histogram) = super::histogram::decode(&journey.histogram) {
            let _ = latency.add(&histogram);
        }
        let stats = &journey.stats;
        total.started += stats.started;
        total.completed += stats.completed;
        total.failed += stats.failed;
        total.cancelled += stats.cancelled;
        if let Some(met) = stats.objectives_met {
            *total.objectives_met.get_or_insert(0) += met;
        }
        if let Some(goodput) = stats.goodput_per_sec {
            *total.goodput_per_sec.get_or_insert(0.0) += goodput;
        }
        total.tool_calls += stats.tool_calls;
        total.tool_errors += stats.tool_errors;
        total.journeys_per_sec += stats.journeys_per_sec;
        let ended = stats.ended() as f64;
        steps += stats.steps_avg * ended;
        rounds += stats.tool_rounds_avg * ended;
        for (service, share) in &stats.service_share_percent {
            *shares.entry(service.clone()).or_insert(0.0) += share * ended;
        }
    }
    let ended = total.ended().max(1) as f64;
    total.steps_avg = steps / ended;
    total.tool_rounds_avg = rounds / ended;
    total.service_share_percent = shares.into_iter().map(|(service, weighted)| (service, weighted / ended)).collect();
    if !latency.is_empty() {
        total.latency_p50_micros = latency.value_at_quantile(0.50);
        total.latency_p95_micros = latency.value_at_quantile(0.95);
        total.latency_p99_micros = latency.value_at_quantile(0.99);
        total.latency_max_micros = latency.max();
        total.latency_avg_micros = latency.mean();
    }
    JourneySummary {
        name: name.to_string(),
        stats: total,
        histogram: super::histogram::encode(&latency),
    }
}

/// A task's numbers with its histograms, as stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskSummary {
    /// The task name, or "Aggregated".
    pub task: String,
    #[serde(flatten)]
    pub stats: TaskStats,
    /// Latency histogram (µs), base64 of HdrHistogram V2 deflate.
    pub histogram: String,
    /// Connect-time histogram (µs), same encoding.
    pub connect_histogram: String,
    /// Chat tasks: TTFB, TTFT, ITL (µs) and tokens/s x100 histograms, same encoding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_histograms: Option<ChatHistograms>,
}

/// A chat task's histograms.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatHistograms {
    pub ttfb: String,
    pub ttft: String,
    pub itl: String,
    pub tokens_per_sec_x100: String,
}

/// Failures of one kind and message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureRow {
    pub task: String,
    pub kind: FailureKind,
    pub message: String,
    pub count: u64,
    /// When the first and the last of them happened, in seconds since the run started (absent
    /// in files written before 0.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen_secs: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_secs: Option<u32>,
}

/// One second of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    /// Seconds since the run started (the second ending at `second + 1`).
    pub second: u32,
    pub scenario: usize,
    pub level: usize,
    pub users: u32,
    /// The requests completed in this second, all tasks together (stored inline, as the
    /// point's own fields).
    #[serde(flatten)]
    pub requests: SecondStats,
    /// What the monitors sampled in this second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<crate::monitor::ResourceSample>,
    /// The same numbers per task of the scenario. Optional within version 3: files written
    /// before per-task series read with none, and older readers skip it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<TaskSecond>,
    /// The journeys that ended in this second, all together (scenarios with journeys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journeys: Option<JourneySecond>,
}

/// The journeys that ended in one second.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JourneySecond {
    pub completed_per_sec: f64,
    pub failed_per_sec: f64,
    /// End-to-end latency of the journeys that ended in the second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50_micros: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_micros: Option<u64>,
}

/// What the requests completed in one second measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SecondStats {
    /// Requests completed in this second.
    pub rps: f64,
    pub failures_per_sec: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50_micros: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_micros: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_micros: Option<u64>,
    /// Streamed chat replies completed in this second: time to first token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_p50_micros: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_p95_micros: Option<u64>,
    /// Chat replies completed in this second: their output tokens (None without chat replies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens_per_sec: Option<f64>,
    /// ...and their prompt (input) tokens (None without a count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_per_sec: Option<f64>,
    /// Requests completed in this second that met every per-request objective (None when the
    /// scenario declares none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goodput_per_sec: Option<f64>,
}

/// One task's requests in one second of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskSecond {
    /// The task's index in its scenario's `tasks`.
    pub task: usize,
    #[serde(flatten)]
    pub requests: SecondStats,
}

impl SeriesPoint {
    /// This second as one task of its scenario saw it: the task's requests, latency and tokens
    /// in place of the totals, the users and monitor samples as they were (a task that
    /// completed nothing in the second shows none). None when the point belongs to another
    /// scenario, or comes from a file without per-task seconds.
    pub fn for_task(&self, scenario: usize, task: usize) -> Option<SeriesPoint> {
        if self.scenario != scenario || (self.tasks.is_empty() && self.requests.rps > 0.0) {
            return None;
        }
        let requests = self
            .tasks
            .iter()
            .find(|part| part.task == task)
            .map(|part| part.requests.clone())
            .unwrap_or_default();
        Some(SeriesPoint {
            requests,
            tasks: Vec::new(),
            ..self.clone()
        })
    }
}

/// A target checked against one level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub target: String,
    pub level: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// The journey a journey metric's target names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journey: Option<String>,
    pub metric: Metric,
    pub threshold: f64,
    /// None when the level had no requests to measure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<f64>,
    pub passed: bool,
}

impl Verdict {
    /// What the target measures, in people's words with its scope: `Time to first token p95`,
    /// `Response time p95 of chat completion`, `db_error failures`.
    pub fn measure_words(&self) -> String {
        let class = || {
            let name = self.target.split_whitespace().next().unwrap_or("");
            name.strip_suffix("_rate").unwrap_or(name).to_string()
        };
        let measure = match self.metric {
            Metric::ClassCount => format!("{} failures", class()),
            Metric::ClassRate => format!("Share of {} failures", class()),
            metric => metric.people_name().to_string(),
        };
        match (&self.task, &self.journey) {
            (Some(task), _) => format!("{measure} of {task}"),
            (None, Some(journey)) => format!("{measure} of journey {journey}"),
            (None, None) => measure,
        }
    }

    /// What was measured, in a sentence: `251 ms`, or `no requests`.
    pub fn observed_words(&self) -> String {
        self.observed
            .map(|value| self.metric.format_words(value))
            .unwrap_or_else(|| "no requests".into())
    }

    /// The limit, in a sentence: `250 ms`.
    pub fn limit_words(&self) -> String {
        self.metric.format_words(self.threshold)
    }

    /// The whole miss (or hold) in people's words: `Time to first token p95 251 ms — limit
    /// 250 ms`.
    pub fn in_words(&self) -> String {
        format!("{} {} — limit {}", self.measure_words(), self.observed_words(), self.limit_words())
    }

    /// What the target is scoped to, as every face writes it: ` [task NAME]`, ` [journey
    /// NAME]`, or nothing for all requests.
    pub fn scope_label(&self) -> String {
        match (&self.task, &self.journey) {
            (Some(task), _) => format!(" [task {task}]"),
            (None, Some(journey)) => format!(" [journey {journey}]"),
            (None, None) => String::new(),
        }
    }

    /// What there was nothing of, when nothing was measured: `requests`, or `journeys ended`.
    pub fn nothing_measured(&self) -> &'static str {
        if self.metric.is_journey() {
            "no journey ended"
        } else {
            "no requests"
        }
    }
}

/// Where two preset documents first differ, for people: `scenarios/0/levels/1/users: 20 vs 40`;
/// None when they are equal.
pub(crate) fn preset_difference(first: &serde_json::Value, other: &serde_json::Value) -> Option<String> {
    fn shown(value: Option<&serde_json::Value>) -> String {
        let text = value.map(|value| value.to_string()).unwrap_or_else(|| "(absent)".into());
        crate::format::truncate(&text, 60)
    }
    fn walk(path: &str, first: Option<&serde_json::Value>, other: Option<&serde_json::Value>) -> Option<String> {
        use serde_json::Value;
        match (first, other) {
            (Some(Value::Object(a)), Some(Value::Object(b))) => {
                let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
                keys.sort();
                keys.dedup();
                keys.into_iter()
                    .find_map(|key| walk(&format!("{path}/{key}"), a.get(key), b.get(key)))
            }
            (Some(Value::Array(a)), Some(Value::Array(b))) => {
                (0..a.len().max(b.len())).find_map(|index| walk(&format!("{path}/{index}"), a.get(index), b.get(index)))
            }
            (a, b) if a == b => None,
            (a, b) => Some(format!("{}: {} vs {}", path.trim_start_matches('/'), shown(a), shown(b))),
        }
    }
    walk("", Some(first), Some(other))
}
