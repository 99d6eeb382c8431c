//! The metrics targets can name, in one table: each metric's written name, the unit its
//! threshold is written and shown in, and where its value comes from. Everything else about a
//! metric (parsing a target, formatting a value, whether it needs a chat task) reads the table.

use serde::{Deserialize, Serialize};

use crate::format;

/// What a target measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    P50,
    P90,
    P95,
    P99,
    Max,
    Min,
    Avg,
    ErrorRate,
    SuccessRate,
    Rps,
    Requests,
    Failures,
    TtfbP95,
    TtftP50,
    TtftP90,
    TtftP95,
    TtftP99,
    ItlP50,
    ItlP95,
    ItlP99,
    /// Median output tokens per second of a chat reply.
    TokensPerSec,
    /// Output tokens per second over the level, all replies together.
    OutputTokensPerSec,
    /// MCP calls with `expect = "error"` that succeeded.
    SandboxViolations,
    /// Failures that signalled a concurrency limit (429, 503 with Retry-After, named RPC codes).
    Limited,
    LimitedRate,
    /// Failures other than limited ones: "the concurrency limit was respected" is
    /// `hard_failures == 0`.
    HardFailures,
    HardErrorRate,
    /// Failures of a preset's failure class (the class is named in the target).
    ClassCount,
    ClassRate,
    /// Resource peaks over the level, from the monitors: the busiest GPU's utilisation and
    /// memory, the busiest container's CPU, the load generator's own host CPU.
    GpuUtilMax,
    GpuMemMax,
    ContainerCpuMax,
    HostCpuMax,
    /// Requests that met every per-request objective of the scenario, as a percentage of all
    /// requests (failures count against it).
    SloAttainment,
    /// Requests per second that met every objective.
    Goodput,
    /// Output tokens per second of the chat replies that met every objective.
    TokenGoodput,
    /// A capacity search's result: the most users (closed model) or arrivals per second (open
    /// model) at which every other target held.
    CapacityUsers,
    CapacityRate,
    /// p95 now against the scenario's baseline p95, in percent:
    /// `(p95 - baseline p95) / baseline p95 x 100` (the guide's degradation formula).
    Degradation,
    /// A journey's end-to-end latency, first step sent to last reply.
    JourneyP50,
    JourneyP95,
    JourneyP99,
    /// Journeys that completed, as a percentage of those that ended.
    JourneySuccessRate,
    /// Journeys completed per second.
    JourneysPerSec,
    /// Tool calls the model asked for per journey, on average.
    ToolCallsPerJourney,
}

/// The unit a metric's threshold is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricUnit {
    /// Microseconds (written as `2s`, `500ms`, or a bare number of milliseconds).
    LatencyMicros,
    /// Percent (written as `1%`).
    Percent,
    /// Per second (a bare number).
    PerSecond,
    /// A plain count.
    Count,
    /// An average count per item (tool calls per journey), shown with two decimals.
    Mean,
}

impl MetricUnit {
    /// A value of this unit for people: `1.24s`, `830ms`, `0.50%`, `35.2/s`, `12`.
    pub fn format(self, value: f64) -> String {
        match self {
            MetricUnit::LatencyMicros => format::micros(value),
            MetricUnit::Percent => format!("{value:.2}%"),
            MetricUnit::PerSecond => format!("{value:.1}/s"),
            MetricUnit::Count => format!("{value:.0}"),
            MetricUnit::Mean => format!("{value:.2}"),
        }
    }

    /// A value of this unit for a spreadsheet: the bare number and its unit (`830.000`, `ms`).
    pub fn copy(self, value: f64) -> (String, &'static str) {
        match self {
            MetricUnit::LatencyMicros => (format!("{:.3}", value / 1000.0), "ms"),
            MetricUnit::Percent => (format!("{value:.4}"), "%"),
            MetricUnit::PerSecond => (format!("{value:.3}"), "/s"),
            MetricUnit::Count => (format!("{value:.0}"), ""),
            MetricUnit::Mean => (format!("{value:.2}"), ""),
        }
    }
}

/// Where a metric's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricSource {
    /// The requests' own numbers (latency, counts, rates).
    Requests,
    /// Chat replies, streamed or not.
    ChatReplies,
    /// Streamed chat replies only (time to first token, inter-token latency).
    StreamedChat,
    /// Failures of a class the preset defines; the target names the class.
    FailureClass,
    /// The resource monitors' peaks over the level.
    Monitors,
    /// The requests' p95 against the scenario's baseline.
    Baseline,
    /// The scenario's per-request objectives (`[scenario.objectives]`).
    Objectives,
    /// The scenario's capacity search (`[scenario.capacity]`), once it is done.
    Capacity,
    /// The scenario's journeys (`[[scenario.journey]]`), end to end.
    Journeys,
}

/// One row of the metric table.
struct MetricInfo {
    metric: Metric,
    /// The name written in targets; class metrics are written by their class's name.
    name: &'static str,
    /// The name people read in a headline: `Time to first token p95`.
    people: &'static str,
    unit: MetricUnit,
    source: MetricSource,
}

const fn row(metric: Metric, name: &'static str, people: &'static str, unit: MetricUnit, source: MetricSource) -> MetricInfo {
    MetricInfo {
        metric,
        name,
        people,
        unit,
        source,
    }
}

use MetricSource::{Baseline, Capacity, ChatReplies, FailureClass, Journeys, Monitors, Objectives, Requests, StreamedChat};
use MetricUnit::{Count, LatencyMicros, Mean, PerSecond, Percent};

/// Every metric, once. The order is the order the error message for an unknown metric lists.
const METRICS: [MetricInfo; 45] = [
    row(Metric::P50, "p50", "Response time p50", LatencyMicros, Requests),
    row(Metric::P90, "p90", "Response time p90", LatencyMicros, Requests),
    row(Metric::P95, "p95", "Response time p95", LatencyMicros, Requests),
    row(Metric::P99, "p99", "Response time p99", LatencyMicros, Requests),
    row(Metric::Max, "max", "Slowest response", LatencyMicros, Requests),
    row(Metric::Min, "min", "Fastest response", LatencyMicros, Requests),
    row(Metric::Avg, "avg", "Mean response time", LatencyMicros, Requests),
    row(Metric::ErrorRate, "error_rate", "Error rate", Percent, Requests),
    row(Metric::SuccessRate, "success_rate", "Success rate", Percent, Requests),
    row(Metric::Rps, "rps", "Requests per second", PerSecond, Requests),
    row(Metric::Requests, "requests", "Requests", Count, Requests),
    row(Metric::Failures, "failures", "Failures", Count, Requests),
    row(Metric::TtfbP95, "ttfb_p95", "Time to first byte p95", LatencyMicros, ChatReplies),
    row(Metric::TtftP50, "ttft_p50", "Time to first token p50", LatencyMicros, StreamedChat),
    row(Metric::TtftP90, "ttft_p90", "Time to first token p90", LatencyMicros, StreamedChat),
    row(Metric::TtftP95, "ttft_p95", "Time to first token p95", LatencyMicros, StreamedChat),
    row(Metric::TtftP99, "ttft_p99", "Time to first token p99", LatencyMicros, StreamedChat),
    row(Metric::ItlP50, "itl_p50", "Time between tokens p50", LatencyMicros, StreamedChat),
    row(Metric::ItlP95, "itl_p95", "Time between tokens p95", LatencyMicros, StreamedChat),
    row(Metric::ItlP99, "itl_p99", "Time between tokens p99", LatencyMicros, StreamedChat),
    row(Metric::TokensPerSec, "tokens_per_sec", "Tokens per second", PerSecond, ChatReplies),
    row(
        Metric::OutputTokensPerSec,
        "output_tokens_per_sec",
        "Output tokens per second",
        PerSecond,
        ChatReplies,
    ),
    row(
        Metric::SandboxViolations,
        "sandbox_violations",
        "Sandbox violations",
        Count,
        Requests,
    ),
    row(Metric::Limited, "limited", "Rate-limited requests", Count, Requests),
    row(Metric::LimitedRate, "limited_rate", "Rate-limited share", Percent, Requests),
    row(Metric::HardFailures, "hard_failures", "Hard failures", Count, Requests),
    row(Metric::HardErrorRate, "hard_error_rate", "Hard error rate", Percent, Requests),
    row(Metric::GpuUtilMax, "gpu_util_max", "Peak GPU use", Percent, Monitors),
    row(Metric::GpuMemMax, "gpu_mem_max", "Peak GPU memory", Percent, Monitors),
    row(
        Metric::ContainerCpuMax,
        "container_cpu_max",
        "Peak container CPU",
        Percent,
        Monitors,
    ),
    row(Metric::HostCpuMax, "host_cpu_max", "Peak host CPU", Percent, Monitors),
    row(Metric::Degradation, "degradation", "Slowdown against one user", Percent, Baseline),
    row(
        Metric::SloAttainment,
        "slo_attainment",
        "Requests within objectives",
        Percent,
        Objectives,
    ),
    row(Metric::Goodput, "goodput", "Goodput", PerSecond, Objectives),
    row(Metric::TokenGoodput, "token_goodput", "Token goodput", PerSecond, Objectives),
    row(Metric::CapacityUsers, "capacity_users", "Capacity in users", Count, Capacity),
    row(
        Metric::CapacityRate,
        "capacity_rate",
        "Capacity in requests per second",
        PerSecond,
        Capacity,
    ),
    row(Metric::JourneyP50, "journey_p50", "Journey time p50", LatencyMicros, Journeys),
    row(Metric::JourneyP95, "journey_p95", "Journey time p95", LatencyMicros, Journeys),
    row(Metric::JourneyP99, "journey_p99", "Journey time p99", LatencyMicros, Journeys),
    row(
        Metric::JourneySuccessRate,
        "journey_success_rate",
        "Journeys completed",
        Percent,
        Journeys,
    ),
    row(
        Metric::JourneysPerSec,
        "journeys_per_sec",
        "Journeys per second",
        PerSecond,
        Journeys,
    ),
    row(
        Metric::ToolCallsPerJourney,
        "tool_calls_per_journey",
        "Tool calls per journey",
        Mean,
        Journeys,
    ),
    row(Metric::ClassCount, "?", "Failures of a class", Count, FailureClass),
    row(Metric::ClassRate, "?", "Share of a class of failure", Percent, FailureClass),
];

/// Names people also write: `median`, `mean`.
const ALIASES: [(&str, Metric); 3] = [("median", Metric::P50), ("avg_latency", Metric::Avg), ("mean", Metric::Avg)];

impl Metric {
    fn info(self) -> &'static MetricInfo {
        // Every variant has a row (the table test checks), so the fallback is never taken.
        METRICS.iter().find(|info| info.metric == self).unwrap_or(&METRICS[0])
    }

    /// The built-in metrics a target can name, in table order.
    pub fn all() -> impl Iterator<Item = Metric> {
        METRICS.iter().filter(|info| info.source != FailureClass).map(|info| info.metric)
    }

    /// The name used in expressions (`?` for class metrics, which are written by class name).
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The built-in metric with this written name (or alias).
    /// The name people read (`Time to first token p95`); a class metric's is generic, and
    /// [`crate::run::Verdict::measure_words`] names its class.
    pub fn people_name(self) -> &'static str {
        self.info().people
    }

    pub(crate) fn from_name(name: &str) -> Option<Metric> {
        if let Some((_, metric)) = ALIASES.iter().find(|(alias, _)| *alias == name) {
            return Some(*metric);
        }
        METRICS
            .iter()
            .find(|info| info.source != FailureClass && info.name == name)
            .map(|info| info.metric)
    }

    /// The unit of this metric's threshold.
    pub fn unit(self) -> MetricUnit {
        self.info().unit
    }

    /// Where the value comes from.
    pub fn source(self) -> MetricSource {
        self.info().source
    }

    /// Whether the metric is measured on chat replies only.
    pub fn is_chat(self) -> bool {
        matches!(self.source(), ChatReplies | StreamedChat)
    }

    /// Whether the metric counts requests against the scenario's per-request objectives.
    pub fn needs_objectives(self) -> bool {
        self.source() == Objectives
    }

    /// Whether the metric is a capacity search's result (checked once the search is done, not
    /// at each step).
    pub fn is_capacity(self) -> bool {
        self.source() == Capacity
    }

    /// Whether the metric measures journeys end to end rather than requests.
    pub fn is_journey(self) -> bool {
        self.source() == Journeys
    }

    /// Whether the metric comes from the resource monitors rather than the requests.
    pub fn is_resource(self) -> bool {
        self.source() == Monitors
    }

    /// Whether the metric is a share of a level's requests (error rate, success rate, SLO
    /// attainment, ...): a count out of the requests, whose sampling noise is binomial.
    pub fn is_share_of_requests(self) -> bool {
        self.unit() == Percent && matches!(self.source(), Requests | FailureClass | Objectives)
    }

    /// Whether a target on this metric is drawn as a line on the run's charts: latency, time to
    /// first token, throughput, goodput and resource targets. A target on one task is drawn only where the chart is
    /// that task's alone: time to first token (only chat tasks have one).
    pub fn charted(self, for_one_task: bool) -> bool {
        let time_to_first_token = matches!(self, Metric::TtftP50 | Metric::TtftP95);
        let latency = matches!(
            self,
            Metric::P50 | Metric::P95 | Metric::P99 | Metric::JourneyP50 | Metric::JourneyP95 | Metric::JourneyP99
        );
        if for_one_task {
            time_to_first_token
        } else {
            latency || time_to_first_token || matches!(self, Metric::Rps | Metric::Goodput | Metric::JourneysPerSec) || self.is_resource()
        }
    }

    /// A value of this metric for people: `1.24s`, `830ms`, `0.50%`, `35.2/s`.
    pub fn format_value(self, value: f64) -> String {
        self.unit().format(value)
    }

    /// A value in a sentence people read: `251 ms`, `1.24 s`, `0.50%`, `35.2/s`.
    pub fn format_words(self, value: f64) -> String {
        match self.unit() {
            MetricUnit::LatencyMicros => format::micros_words(value),
            unit => unit.format(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_has_one_row_and_names_are_unique() {
        for (index, info) in METRICS.iter().enumerate() {
            assert_eq!(
                METRICS.iter().filter(|other| other.metric == info.metric).count(),
                1,
                "{:?} has more than one row",
                info.metric
            );
            if info.source != FailureClass {
                assert_eq!(Metric::from_name(info.name), Some(info.metric), "row {index}");
            }
        }
        // Adding a variant breaks this match: give it a row in METRICS too.
        let _every_variant = |metric: Metric| match metric {
            Metric::P50
            | Metric::P90
            | Metric::P95
            | Metric::P99
            | Metric::Max
            | Metric::Min
            | Metric::Avg
            | Metric::ErrorRate
            | Metric::SuccessRate
            | Metric::Rps
            | Metric::Requests
            | Metric::Failures
            | Metric::TtfbP95
            | Metric::TtftP50
            | Metric::TtftP90
            | Metric::TtftP95
            | Metric::TtftP99
            | Metric::ItlP50
            | Metric::ItlP95
            | Metric::ItlP99
            | Metric::TokensPerSec
            | Metric::OutputTokensPerSec
            | Metric::SandboxViolations
            | Metric::Limited
            | Metric::LimitedRate
            | Metric::HardFailures
            | Metric::HardErrorRate
            | Metric::ClassCount
            | Metric::ClassRate
            | Metric::GpuUtilMax
            | Metric::GpuMemMax
            | Metric::ContainerCpuMax
            | Metric::HostCpuMax
            | Metric::Degradation
            | Metric::SloAttainment
            | Metric::Goodput
            | Metric::TokenGoodput
            | Metric::CapacityUsers
            | Metric::CapacityRate
            | Metric::JourneyP50
            | Metric::JourneyP95
            | Metric::JourneyP99
            | Metric::JourneySuccessRate
            | Metric::JourneysPerSec
            | Metric::ToolCallsPerJourney => (),
        };
        assert_eq!(METRICS.len(), 45, "one row per variant");
        // Serde's snake_case names are the written names, so run files and presets agree.
        for metric in Metric::all() {
            let serialized = serde_json::to_value(metric).expect("serializes");
            assert_eq!(serialized, serde_json::Value::from(metric.name()));
        }
    }
}
