//! Turning recorded histograms and counts into the numbers people read (TaskStats) and the
//! summaries a run file stores (TaskSummary, with encoded histograms).

use crate::engine::recorder::{ChatAccum, JourneyAccum, TaskAccum};
use crate::run::histogram::{BucketCounts, bucket_counts, decode, encode};
use crate::run::{ChatHistograms, ChatStats, JourneyStats, JourneySummary, ObjectiveStats, TaskStats, TaskSummary, TokenCountSource};

/// The numbers of one accumulation over `duration_secs`.
pub(crate) fn stats(accum: &TaskAccum, duration_secs: f64) -> TaskStats {
    let latency = &accum.latency;
    let connect = &accum.connect;
    let duration = if duration_secs > 0.0 { duration_secs } else { f64::INFINITY };
    let has = !latency.is_empty();
    let has_connect = !connect.is_empty();
    TaskStats {
        requests: accum.requests,
        failures: accum.failures,
        min_micros: if has { latency.min() } else { 0 },
        avg_micros: if has { latency.mean() } else { 0.0 },
        p50_micros: if has { latency.value_at_quantile(0.50) } else { 0 },
        p90_micros: if has { latency.value_at_quantile(0.90) } else { 0 },
        p95_micros: if has { latency.value_at_quantile(0.95) } else { 0 },
        p99_micros: if has { latency.value_at_quantile(0.99) } else { 0 },
        max_micros: if has { latency.max() } else { 0 },
        rps: accum.requests as f64 / duration,
        failures_per_sec: accum.failures as f64 / duration,
        bytes_received: accum.bytes_received,
        avg_bytes: if accum.requests > 0 {
            accum.bytes_received as f64 / accum.requests as f64
        } else {
            0.0
        },
        connections: connect.len(),
        connect_p50_micros: if has_connect { connect.value_at_quantile(0.50) } else { 0 },
        connect_p95_micros: if has_connect { connect.value_at_quantile(0.95) } else { 0 },
        connect_max_micros: if has_connect { connect.max() } else { 0 },
        sandbox_violations: accum.sandbox_violations,
        limited: accum.limited,
        generator_failures: accum.generator,
        unfinished: accum.unfinished,
        redirects: accum.redirects,
        cancelled: accum.cancelled,
        failure_classes: accum.classes.clone(),
        chat: accum.chat.as_deref().map(|chat| chat_stats(chat, duration)),
        objectives: accum
            .objectives
            .map(|objectives| ObjectiveStats::new(objectives.met, objectives.met_output_tokens, accum.requests, duration_secs)),
    }
}

/// One task's distributions counted at fixed bounds, for tools that read buckets (Prometheus).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TaskBuckets {
    pub task: String,
    pub latency: BucketCounts,
    /// Chat tasks only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft: Option<BucketCounts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub itl: Option<BucketCounts>,
}

impl TaskBuckets {
    /// From a live accumulation.
    pub fn new(task: &str, accum: &TaskAccum) -> TaskBuckets {
        TaskBuckets {
            task: task.to_string(),
            latency: bucket_counts(&accum.latency),
            ttft: accum.chat.as_deref().map(|chat| bucket_counts(&chat.ttft)),
            itl: accum.chat.as_deref().map(|chat| bucket_counts(&chat.itl)),
        }
    }

    /// From a saved summary (its encoded histograms), so final numbers are the run file's.
    pub fn from_summary(summary: &TaskSummary) -> Result<TaskBuckets, crate::run::histogram::DecodeError> {
        let chat = match &summary.chat_histograms {
            Some(chat) => Some((bucket_counts(&decode(&chat.ttft)?), bucket_counts(&decode(&chat.itl)?))),
            None => None,
        };
        Ok(TaskBuckets {
            task: summary.task.clone(),
            latency: bucket_counts(&decode(&summary.histogram)?),
            ttft: chat.as_ref().map(|(ttft, _)| ttft.clone()),
            itl: chat.map(|(_, itl)| itl),
        })
    }
}

fn chat_stats(chat: &ChatAccum, duration_secs: f64) -> ChatStats {
    let quantile = |histogram: &hdrhistogram::Histogram<u64>, q: f64| if histogram.is_empty() { 0 } else { histogram.value_at_quantile(q) };
    let per_sec = &chat.tokens_per_sec_x100;
    let token_source = match (chat.from_usage > 0, chat.from_chunks > 0, chat.estimated > 0) {
        (true, false, false) => TokenCountSource::Usage,
        (false, true, false) => TokenCountSource::Chunks,
        (false, false, true) => TokenCountSource::Estimated,
        (false, false, false) => TokenCountSource::None,
        _ => TokenCountSource::Mixed,
    };
    ChatStats {
        replies: chat.replies,
        streamed: chat.streamed,
        ttfb_p50_micros: quantile(&chat.ttfb, 0.50),
        ttfb_p95_micros: quantile(&chat.ttfb, 0.95),
        ttft_p50_micros: quantile(&chat.ttft, 0.50),
        ttft_p90_micros: quantile(&chat.ttft, 0.90),
        ttft_p95_micros: quantile(&chat.ttft, 0.95),
        ttft_p99_micros: quantile(&chat.ttft, 0.99),
        itl_p50_micros: quantile(&chat.itl, 0.50),
        itl_p95_micros: quantile(&chat.itl, 0.95),
        itl_p99_micros: quantile(&chat.itl, 0.99),
        tokens_per_sec_p50: quantile(per_sec, 0.50) as f64 / 100.0,
        tokens_per_sec_avg: if per_sec.is_empty() { 0.0 } else { per_sec.mean() / 100.0 },
        output_tokens: chat.output_tokens,
        prompt_tokens: chat.prompt_tokens,
        prompt_tokens_per_sec: Some(chat.prompt_tokens as f64 / duration_secs),
        prompt_token_source: match (chat.prompt_from_usage > 0, chat.prompt_counted > 0) {
            (true, false) => TokenCountSource::Usage,
            (false, true) => TokenCountSource::Tokenizer,
            (false, false) => TokenCountSource::None,
            (true, true) => TokenCountSource::Mixed,
        },
        output_tokens_per_sec: chat.output_tokens as f64 / duration_secs,
        token_source,
    }
}

/// A stored summary: the numbers plus both histograms.
pub(crate) fn summary(task: &str, accum: &TaskAccum, duration_secs: f64) -> TaskSummary {
    TaskSummary {
        task: task.to_string(),
        stats: stats(accum, duration_secs),
        histogram: encode(&accum.latency),
        connect_histogram: encode(&accum.connect),
        chat_histograms: accum.chat.as_deref().map(|chat| ChatHistograms {
            ttfb: encode(&chat.ttfb),
            ttft: encode(&chat.ttft),
            itl: encode(&chat.itl),
            tokens_per_sec_x100: encode(&chat.tokens_per_sec_x100),
        }),
    }
}

/// A journey's numbers over `duration_secs`; `services` names the services by index.
pub(crate) fn journey_stats(accum: &JourneyAccum, duration_secs: f64, services: &[String]) -> JourneyStats {
    let latency = &accum.completed_latency;
    let has = !latency.is_empty();
    let duration = if duration_secs > 0.0 { duration_secs } else { f64::INFINITY };
    let ended = accum.completed + accum.failed;
    let per_journey = |count: u64| if ended > 0 { count as f64 / ended as f64 } else { 0.0 };
    let waited: u64 = accum.service_micros.iter().sum();
    let service_share_percent = if waited > 0 && services.len() > 1 {
        services
            .iter()
            .zip(&accum.service_micros)
            .map(|(name, micros)| (name.clone(), *micros as f64 * 100.0 / waited as f64))
            .collect()
    } else {
        Default::default()
    };
    JourneyStats {
        started: accum.started,
        completed: accum.completed,
        failed: accum.failed,
        cancelled: accum.cancelled,
        latency_p50_micros: if has { latency.value_at_quantile(0.50) } else { 0 },
        latency_p95_micros: if has { latency.value_at_quantile(0.95) } else { 0 },
        latency_p99_micros: if has { latency.value_at_quantile(0.99) } else { 0 },
        latency_max_micros: if has { latency.max() } else { 0 },
        latency_avg_micros: if has { latency.mean() } else { 0.0 },
        journeys_per_sec: accum.completed as f64 / duration,
        steps_avg: per_journey(accum.steps),
        tool_calls: accum.tool_calls,
        tool_rounds_avg: per_journey(accum.tool_rounds),
        tool_errors: accum.tool_errors,
        service_share_percent,
        objectives_met: accum.met,
        goodput_per_sec: accum.met.map(|met| met as f64 / duration),
    }
}

/// A journey's summary as the run file keeps it.
pub(crate) fn journey_summary(name: &str, accum: &JourneyAccum, duration_secs: f64, services: &[String]) -> JourneySummary {
    JourneySummary {
        name: name.to_string(),
        stats: journey_stats(accum, duration_secs, services),
        histogram: encode(&accum.completed_latency),
    }
}

/// All of `parts` merged into one.
pub(crate) fn merged<'a>(parts: impl IntoIterator<Item = &'a TaskAccum>) -> TaskAccum {
    let mut total = TaskAccum::default();
    for part in parts {
        total.merge(part);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_locust_columns() {
        let mut accum = TaskAccum::default();
        for micros in [1_000u64, 2_000, 3_000, 4_000] {
            crate::run::histogram::record(&mut accum.latency, micros);
        }
        crate::run::histogram::record(&mut accum.connect, 300);
        accum.requests = 4;
        accum.failures = 1;
        accum.bytes_received = 68;
        let stats = stats(&accum, 2.0);
        // HDR histograms keep 3 significant digits: values come back within 0.1%.
        let close = |got: f64, want: f64| (got - want).abs() <= want * 0.001;
        assert!(close(stats.min_micros as f64, 1_000.0), "min {}", stats.min_micros);
        assert!(close(stats.max_micros as f64, 4_000.0), "max {}", stats.max_micros);
        assert!(close(stats.avg_micros, 2_500.0), "avg {}", stats.avg_micros);
        assert_eq!(stats.rps, 2.0);
        assert_eq!(stats.failures_per_sec, 0.5);
        assert_eq!(stats.avg_bytes, 17.0);
        assert_eq!(stats.error_rate_percent(), 25.0);
        assert_eq!(stats.connections, 1);
    }
}
