//! What Loadscope exports to Prometheus, built from the engine's events: counters and
//! histograms per scenario, task and level (a level's final values are its run-file record's),
//! gauges for the level running now, one gauge per target verdict, and an info metric naming
//! the run. Encoded with prometheus-client's text encoder at each scrape.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use crate::engine::summary::TaskBuckets;
use crate::engine::{Event, Snapshot};
use crate::measure::LoadModel;
use crate::run::histogram::{BUCKET_BOUNDS_MICROS, BucketCounts};
use crate::run::{FailureRow, JourneyStats, TaskStats, Verdict};

/// Every metric name Loadscope exports (the dashboard's queries are checked against it).
pub const METRIC_NAMES: [&str; 24] = [
    "loadscope_run_info",
    "loadscope_run_warnings_total",
    "loadscope_requests_total",
    "loadscope_failures_total",
    "loadscope_request_duration_seconds",
    "loadscope_time_to_first_token_seconds",
    "loadscope_inter_token_latency_seconds",
    "loadscope_output_tokens_total",
    "loadscope_prompt_tokens_total",
    "loadscope_requests_meeting_objectives_total",
    "loadscope_users",
    "loadscope_in_flight_requests",
    "loadscope_arrival_rate_asked",
    "loadscope_arrival_rate_achieved",
    "loadscope_level_info",
    "loadscope_target_passing",
    "loadscope_target_observed",
    "loadscope_requests_cancelled_total",
    "loadscope_journey_started_total",
    "loadscope_journey_completed_total",
    "loadscope_journey_failed_total",
    "loadscope_journey_cancelled_total",
    "loadscope_journey_tool_calls_total",
    "loadscope_journey_duration_seconds",
];

/// One level of one scenario: its latest numbers (final once it has finished).
#[derive(Debug, Clone, Default)]
struct LevelMetrics {
    scenario: String,
    level: String,
    tasks: Vec<(String, TaskStats)>,
    buckets: Vec<TaskBuckets>,
    failures: Vec<FailureRow>,
    verdicts: Vec<Verdict>,
    /// Each journey's numbers and its end-to-end latency at fixed bounds.
    journeys: Vec<(String, JourneyStats)>,
    journey_buckets: Vec<(String, BucketCounts)>,
    /// Its record is in: later snapshots do not replace it.
    finished: bool,
}

/// The level running now, for the gauges.
#[derive(Debug, Clone)]
struct Current {
    scenario: String,
    level: String,
    load: LoadModel,
    users: u32,
    level_requests: u64,
    level_elapsed_secs: f64,
}

/// Everything exported, updated from events.
#[derive(Debug, Clone, Default)]
struct State {
    run_id: Option<String>,
    preset: String,
    /// Keyed by (scenario index, level index) in run order.
    levels: BTreeMap<(usize, usize), LevelMetrics>,
    scenario_indices: BTreeMap<String, usize>,
    current: Option<Current>,
    finished: bool,
    /// Warnings about the run so far, by kind (those sent before it started included).
    warnings: BTreeMap<&'static str, u64>,
    /// The warnings are the finished run's: the next warning or start begins a new count.
    warnings_stale: bool,
}

/// The exported state, shared by the engine's event path and the HTTP endpoint.
#[derive(Debug, Clone, Default)]
pub struct RunMetrics {
    state: Arc<Mutex<State>>,
}

impl RunMetrics {
    /// Metrics for runs of `preset` (its name, for the info metric).
    pub fn new(preset: &str) -> RunMetrics {
        let metrics = RunMetrics::default();
        metrics.lock().preset = preset.to_string();
        metrics
    }

    /// Names the preset of the runs to come.
    pub fn set_preset(&self, preset: &str) {
        self.lock().preset = preset.to_string();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-written in a way that
        // matters for a scrape; keep serving.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes in one engine event.
    pub fn observe(&self, event: &Event) {
        let mut state = self.lock();
        match event {
            Event::Started { run_id, .. } => {
                let preset = std::mem::take(&mut state.preset);
                // A run's start warnings are sent before it starts: they stay its own.
                let warnings = if state.warnings_stale {
                    BTreeMap::new()
                } else {
                    std::mem::take(&mut state.warnings)
                };
                *state = State {
                    run_id: Some(run_id.clone()),
                    preset,
                    warnings,
                    ..State::default()
                };
            }
            Event::Warning(warning) => {
                if std::mem::take(&mut state.warnings_stale) {
                    // The first warning of the next run: the last run's count is done.
                    state.warnings.clear();
                }
                *state.warnings.entry(warning.kind()).or_default() += 1;
            }
            Event::Snapshot(snapshot) => state.absorb_snapshot(snapshot),
            Event::LevelFinished { scenario, level } => {
                let scenario_index = state.scenario_index(scenario);
                let buckets = level.tasks.iter().filter_map(|task| TaskBuckets::from_summary(task).ok()).collect();
                state.levels.insert(
                    (scenario_index, level.index),
                    LevelMetrics {
                        scenario: scenario.clone(),
                        level: level.name.clone(),
                        tasks: level.tasks.iter().map(|task| (task.task.clone(), task.stats.clone())).collect(),
                        buckets,
                        failures: level.failures.clone(),
                        verdicts: level.verdicts.clone(),
                        journeys: level
                            .journeys
                            .iter()
                            .map(|journey| (journey.name.clone(), journey.stats.clone()))
                            .collect(),
                        journey_buckets: level
                            .journeys
                            .iter()
                            .filter_map(|journey| {
                                let histogram = crate::run::histogram::decode(&journey.histogram).ok()?;
                                Some((journey.name.clone(), crate::run::histogram::bucket_counts(&histogram)))
                            })
                            .collect(),
                        finished: true,
                    },
                );
            }
            Event::Finished { .. } => {
                state.finished = true;
                state.warnings_stale = true;
                state.current = None;
            }
            _ => {}
        }
    }

    /// Whether the run has ended (its final numbers are in).
    pub fn finished(&self) -> bool {
        self.lock().finished
    }

    /// The Prometheus text exposition of the state now.
    pub fn encode(&self) -> String {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(Exposition(self.clone())));
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, &registry);
        text
    }
}

impl State {
    fn scenario_index(&mut self, scenario: &str) -> usize {
        let next = self.scenario_indices.len();
        *self.scenario_indices.entry(scenario.to_string()).or_insert(next)
    }

    fn absorb_snapshot(&mut self, snapshot: &Snapshot) {
        if snapshot.level_name.is_empty() {
            return;
        }
        self.scenario_indices
            .entry(snapshot.scenario_name.clone())
            .or_insert(snapshot.scenario_index);
        self.current = Some(Current {
            scenario: snapshot.scenario_name.clone(),
            level: snapshot.level_name.clone(),
            load: snapshot.load,
            users: snapshot.users,
            level_requests: snapshot.level_total.requests,
            level_elapsed_secs: snapshot.level_elapsed_secs,
        });
        let key = (snapshot.scenario_index, snapshot.level_index);
        // A capacity step's warm-up is not counted, as in the run file.
        if snapshot.warmup {
            return;
        }
        // A finished level keeps its record's numbers; a late snapshot does not replace them.
        if self.levels.get(&key).is_some_and(|level| level.finished) {
            return;
        }
        self.levels.insert(
            key,
            LevelMetrics {
                scenario: snapshot.scenario_name.clone(),
                level: snapshot.level_name.clone(),
                tasks: snapshot.level_tasks.clone(),
                buckets: snapshot.level_buckets.clone(),
                failures: snapshot.failures.clone(),
                verdicts: snapshot.verdicts.clone(),
                journeys: snapshot.level_journeys.clone(),
                journey_buckets: snapshot.level_journey_buckets.clone(),
                finished: false,
            },
        );
    }
}

/// Encodes the state at each scrape.
#[derive(Debug)]
struct Exposition(RunMetrics);

type Labels = Vec<(&'static str, String)>;

fn task_labels(level: &LevelMetrics, task: &str) -> Labels {
    vec![
        ("scenario", level.scenario.clone()),
        ("task", task.to_string()),
        ("level", level.level.clone()),
    ]
}

fn counter(encoder: &mut DescriptorEncoder, name: &str, help: &str, rows: Vec<(Labels, u64)>) -> Result<(), std::fmt::Error> {
    // prometheus-client writes a counter's name with `_total`.
    let name = name.strip_suffix("_total").unwrap_or(name);
    let mut metric = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (labels, value) in rows {
        metric
            .encode_family(&labels)?
            .encode_counter::<NoLabelSet, u64, f64>(&value, None)?;
    }
    Ok(())
}

fn gauge(encoder: &mut DescriptorEncoder, name: &str, help: &str, rows: Vec<(Labels, f64)>) -> Result<(), std::fmt::Error> {
    let mut metric = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for (labels, value) in rows {
        metric.encode_family(&labels)?.encode_gauge(&value)?;
    }
    Ok(())
}

fn histogram(encoder: &mut DescriptorEncoder, name: &str, help: &str, rows: Vec<(Labels, &BucketCounts)>) -> Result<(), std::fmt::Error> {
    let mut metric = encoder.encode_descriptor(name, help, None, MetricType::Histogram)?;
    for (labels, counts) in rows {
        // The encoder takes each bucket's own count and sums them itself.
        let mut below = 0;
        let mut buckets: Vec<(f64, u64)> = BUCKET_BOUNDS_MICROS
            .iter()
            .zip(&counts.cumulative)
            .map(|(&bound, &cumulative)| {
                let own = cumulative.saturating_sub(below);
                below = cumulative;
                (bound as f64 / 1e6, own)
            })
            .collect();
        buckets.push((f64::INFINITY, counts.count.saturating_sub(below)));
        metric
            .encode_family(&labels)?
            .encode_histogram::<NoLabelSet>(counts.sum_micros / 1e6, counts.count, &buckets, None)?;
    }
    Ok(())
}

impl Collector for Exposition {
    /// The run's counters and histograms, then the running level's gauges, then each target's
    /// gauges.
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        // A copy, so the engine's thread (which updates the state) never waits on an encoding.
        let state = self.0.lock().clone();
        let levels: Vec<&LevelMetrics> = state.levels.values().collect();
        let per_task = |value: &dyn Fn(&TaskStats) -> Option<u64>| -> Vec<(Labels, u64)> {
            levels
                .iter()
                .flat_map(|level| {
                    level
                        .tasks
                        .iter()
                        .filter_map(|(task, stats)| Some((task_labels(level, task), value(stats)?)))
                })
                .collect()
        };

        {
            let mut info = encoder.encode_descriptor(
                "loadscope_run",
                "The run being measured (its id as in its run file) and its preset.",
                None,
                MetricType::Info,
            )?;
            if let Some(run_id) = &state.run_id {
                let labels: Labels = vec![("run_id", run_id.clone()), ("preset", state.preset.clone())];
                info.encode_info(&labels)?;
            }
        }
        counter(
            &mut encoder,
            "loadscope_run_warnings_total",
            "Warnings about the run that did not stop it (the CLI and the app say what each was), by kind.",
            state
                .warnings
                .iter()
                .map(|(kind, count)| (vec![("kind", kind.to_string())], *count))
                .collect(),
        )?;

        counter(
            &mut encoder,
            "loadscope_requests_total",
            "Requests completed (succeeded or failed).",
            per_task(&|stats| Some(stats.requests)),
        )?;
        let failures = levels
            .iter()
            .flat_map(|level| {
                let mut by_kind: BTreeMap<(String, String), u64> = BTreeMap::new();
                for row in &level.failures {
                    *by_kind.entry((row.task.clone(), row.kind.label())).or_default() += row.count;
                }
                by_kind.into_iter().map(|((task, kind), count)| {
                    let mut labels = task_labels(level, &task);
                    labels.push(("kind", kind));
                    (labels, count)
                })
            })
            .collect();
        counter(
            &mut encoder,
            "loadscope_failures_total",
            "Failed requests, by how they failed.",
            failures,
        )?;

        type Pick = fn(&TaskBuckets) -> Option<&BucketCounts>;
        let distributions: [(&str, &str, Pick); 3] = [
            ("loadscope_request_duration_seconds", "Request latency: send to last byte.", |b| {
                Some(&b.latency)
            }),
            (
                "loadscope_time_to_first_token_seconds",
                "Chat tasks: send to the first content token of a streamed reply.",
                |b| b.ttft.as_ref(),
            ),
            (
                "loadscope_inter_token_latency_seconds",
                "Chat tasks: gaps between a streamed reply's content tokens.",
                |b| b.itl.as_ref(),
            ),
        ];
        for (name, help, pick) in distributions {
            let rows = levels
                .iter()
                .flat_map(|level| {
                    level
                        .buckets
                        .iter()
                        .filter_map(|buckets| Some((task_labels(level, &buckets.task), pick(buckets)?)))
                })
                .collect();
            histogram(&mut encoder, name, help, rows)?;
        }

        counter(
            &mut encoder,
            "loadscope_output_tokens_total",
            "Chat tasks: output tokens of successful replies.",
            per_task(&|stats| stats.chat.as_ref().map(|chat| chat.output_tokens)),
        )?;
        counter(
            &mut encoder,
            "loadscope_prompt_tokens_total",
            "Chat tasks: prompt tokens of successful replies.",
            per_task(&|stats| stats.chat.as_ref().map(|chat| chat.prompt_tokens)),
        )?;
        counter(
            &mut encoder,
            "loadscope_requests_meeting_objectives_total",
            "Scenarios with objectives: requests that succeeded and met every objective (goodput is its rate).",
            per_task(&|stats| stats.objectives.as_ref().map(|objectives| objectives.met)),
        )?;

        counter(
            &mut encoder,
            "loadscope_requests_cancelled_total",
            "Chat tasks: requests their users stopped part way (cancel_after); in requests_total, not failures.",
            per_task(&|stats| (stats.cancelled > 0).then_some(stats.cancelled)),
        )?;
        encode_journeys(&mut encoder, &levels)?;

        encode_level_gauges(&mut encoder, state.current.as_ref())?;
        encode_targets(&mut encoder, &levels)?;
        Ok(())
    }
}

/// Each journey's counts and its end-to-end latency (completed journeys), by scenario,
/// journey and level.
fn encode_journeys(encoder: &mut DescriptorEncoder, levels: &[&LevelMetrics]) -> Result<(), std::fmt::Error> {
    let labels = |level: &LevelMetrics, journey: &str| -> Labels {
        vec![
            ("scenario", level.scenario.clone()),
            ("journey", journey.to_string()),
            ("level", level.level.clone()),
        ]
    };
    let per_journey = |value: fn(&JourneyStats) -> u64| -> Vec<(Labels, u64)> {
        levels
            .iter()
            .flat_map(|level| level.journeys.iter().map(move |(name, stats)| (labels(level, name), value(stats))))
            .collect()
    };
    type Count = fn(&JourneyStats) -> u64;
    let counts: [(&str, &str, Count); 5] = [
        ("loadscope_journey_started_total", "Journeys started.", |stats| stats.started),
        (
            "loadscope_journey_completed_total",
            "Journeys whose every required step succeeded.",
            |stats| stats.completed,
        ),
        ("loadscope_journey_failed_total", "Journeys ended by a failed step.", |stats| {
            stats.failed
        }),
        (
            "loadscope_journey_cancelled_total",
            "Journeys whose user stopped a reply (cancel_after).",
            |stats| stats.cancelled,
        ),
        (
            "loadscope_journey_tool_calls_total",
            "Tool calls the model asked for in journeys that ended.",
            |stats| stats.tool_calls,
        ),
    ];
    for (name, help, value) in counts {
        counter(encoder, name, help, per_journey(value))?;
    }
    let rows = levels
        .iter()
        .flat_map(|level| {
            level
                .journey_buckets
                .iter()
                .map(move |(name, buckets)| (labels(level, name), buckets))
        })
        .collect();
    histogram(
        encoder,
        "loadscope_journey_duration_seconds",
        "Journeys: end to end, first step sent to last reply (completed journeys).",
        rows,
    )
}

/// The level running now: its users or arrival rate, in-flight requests, and its name.
fn encode_level_gauges(encoder: &mut DescriptorEncoder, current: Option<&Current>) -> Result<(), std::fmt::Error> {
    let scenario_labels = |current: &Current| -> Labels { vec![("scenario", current.scenario.clone())] };
    let closed_users = current
        .and_then(|current| matches!(current.load, LoadModel::Closed { .. }).then(|| (scenario_labels(current), f64::from(current.users))));
    gauge(
        encoder,
        "loadscope_users",
        "Closed-model levels: virtual users running now.",
        closed_users.into_iter().collect(),
    )?;
    let open = current.and_then(|current| match current.load {
        LoadModel::Open { rate_per_sec, .. } => Some((current, rate_per_sec)),
        LoadModel::Closed { .. } => None,
    });
    gauge(
        encoder,
        "loadscope_in_flight_requests",
        "Open-model levels: requests sent and not yet answered.",
        open.map(|(current, _)| (scenario_labels(current), f64::from(current.users)))
            .into_iter()
            .collect(),
    )?;
    gauge(
        encoder,
        "loadscope_arrival_rate_asked",
        "Open-model levels: requests per second the level asks for.",
        open.map(|(current, rate)| (scenario_labels(current), rate)).into_iter().collect(),
    )?;
    gauge(
        encoder,
        "loadscope_arrival_rate_achieved",
        "Open-model levels: requests started per second so far in the level (answered plus in flight).",
        open.filter(|(current, _)| current.level_elapsed_secs > 0.0)
            .map(|(current, _)| {
                let started = current.level_requests + u64::from(current.users);
                (scenario_labels(current), started as f64 / current.level_elapsed_secs)
            })
            .into_iter()
            .collect(),
    )?;
    let level_info = current.map(|current| vec![("scenario", current.scenario.clone()), ("level", current.level.clone())]);
    gauge(
        encoder,
        "loadscope_level_info",
        "The level running now (1).",
        level_info.map(|labels| (labels, 1.0)).into_iter().collect(),
    )?;
    Ok(())
}

/// Each target at each level: whether it holds, and the value its metric has.
fn encode_targets(encoder: &mut DescriptorEncoder, levels: &[&LevelMetrics]) -> Result<(), std::fmt::Error> {
    let verdicts: Vec<(Labels, &Verdict)> = levels
        .iter()
        .flat_map(|level| {
            level.verdicts.iter().map(|verdict| {
                let mut labels = vec![
                    ("scenario", level.scenario.clone()),
                    ("level", level.level.clone()),
                    ("target", verdict.target.clone()),
                ];
                if let Some(task) = &verdict.task {
                    labels.push(("task", task.clone()));
                }
                (labels, verdict)
            })
        })
        .collect();
    gauge(
        encoder,
        "loadscope_target_passing",
        "Each target at each level: 1 while it holds, 0 when it fails (checked on the numbers so far).",
        verdicts
            .iter()
            .map(|(labels, verdict)| (labels.clone(), if verdict.passed { 1.0 } else { 0.0 }))
            .collect(),
    )?;
    gauge(
        encoder,
        "loadscope_target_observed",
        "Each target at each level: the value its metric has now, in base units as the unit label says (seconds for latency, a ratio for percentages).",
        verdicts
            .iter()
            .filter_map(|(labels, verdict)| {
                let (value, unit) = base_unit(verdict.metric.unit(), verdict.observed?);
                let mut labels = labels.clone();
                labels.push(("unit", unit.to_string()));
                Some((labels, value))
            })
            .collect(),
    )?;
    Ok(())
}

/// A value of `unit` in Prometheus's base units, and the unit's name: microseconds as seconds,
/// percent as a ratio (0 to 1).
pub(crate) fn base_unit(unit: crate::measure::metric::MetricUnit, value: f64) -> (f64, &'static str) {
    use crate::measure::metric::MetricUnit;
    match unit {
        MetricUnit::LatencyMicros => (value / 1e6, "seconds"),
        MetricUnit::Percent => (value / 100.0, "ratio"),
        MetricUnit::PerSecond => (value, "per_second"),
        MetricUnit::Count => (value, "count"),
        MetricUnit::Mean => (value, "mean"),
    }
}
