//! Per-request objectives: the limits one request must meet to count as good (time to first
//! token, inter-token latency, end-to-end latency, output tokens per second). A scenario
//! declares them; a level's SLO attainment is the share of its requests that met every one (a
//! failed request never does) and its goodput is those requests per second. GuideLLM, vLLM's
//! bench and inference-perf call this goodput; the definitions here are the same.

use serde::{Deserialize, Serialize};

use crate::format;

/// Which statistic of a reply's own token gaps the ITL objective limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItlWithin {
    /// The mean gap (the reply's decode time over its gaps).
    #[default]
    Mean,
    P50,
    P90,
    P95,
    P99,
    Max,
}

impl ItlWithin {
    pub const ALL: [ItlWithin; 6] = [
        ItlWithin::Mean,
        ItlWithin::P50,
        ItlWithin::P90,
        ItlWithin::P95,
        ItlWithin::P99,
        ItlWithin::Max,
    ];

    /// The name written in a preset (`mean`, `p95`, `max`).
    pub fn name(self) -> &'static str {
        match self {
            ItlWithin::Mean => "mean",
            ItlWithin::P50 => "p50",
            ItlWithin::P90 => "p90",
            ItlWithin::P95 => "p95",
            ItlWithin::P99 => "p99",
            ItlWithin::Max => "max",
        }
    }

    pub fn from_name(name: &str) -> Option<ItlWithin> {
        ItlWithin::ALL.into_iter().find(|within| within.name() == name)
    }

    /// This statistic of one reply's gaps (reordered in place); None without gaps.
    fn of(self, gaps_micros: &mut [u64]) -> Option<u64> {
        if gaps_micros.is_empty() {
            return None;
        }
        let quantile = |gaps: &mut [u64], q: f64| {
            // The nearest-rank quantile, as HdrHistogram reads one: the smallest gap with at
            // least q of the gaps at or below it.
            let rank = ((q * gaps.len() as f64).ceil() as usize).clamp(1, gaps.len());
            *gaps.select_nth_unstable(rank - 1).1
        };
        Some(match self {
            ItlWithin::Mean => gaps_micros.iter().sum::<u64>() / gaps_micros.len() as u64,
            ItlWithin::P50 => quantile(gaps_micros, 0.50),
            ItlWithin::P90 => quantile(gaps_micros, 0.90),
            ItlWithin::P95 => quantile(gaps_micros, 0.95),
            ItlWithin::P99 => quantile(gaps_micros, 0.99),
            ItlWithin::Max => gaps_micros.iter().copied().max().unwrap_or(0),
        })
    }
}

/// A scenario's per-request objectives. Each is optional; a request meets the objectives when
/// it succeeded and met every one that applies to it: latency applies to every request, the
/// token objectives to chat replies only (a reply that was not streamed has its first token
/// when the whole reply arrives, and no gaps).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Objectives {
    /// Time to first token, at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_micros: Option<u64>,
    /// Inter-token latency within a reply, at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub itl_micros: Option<u64>,
    #[serde(default)]
    pub itl_within: ItlWithin,
    /// End-to-end latency, at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_micros: Option<u64>,
    /// A reply's output tokens over its duration, at least.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens_per_sec: Option<f64>,
}

/// What one finished request measured, as the objectives read it.
pub struct RequestMeasures<'a> {
    pub failed: bool,
    pub latency_micros: u64,
    /// A chat reply's measures; None for other requests.
    pub reply: Option<ReplyMeasures<'a>>,
}

/// A chat reply's measures.
pub struct ReplyMeasures<'a> {
    /// None when the reply was not streamed.
    pub ttft_micros: Option<u64>,
    /// The gaps between its content events (reordered when a percentile is read).
    pub itl_micros: &'a mut [u64],
    pub output_tokens: u64,
    /// From sending to the reply's end.
    pub reply_micros: u64,
}

impl Objectives {
    /// Whether any objective is set.
    pub fn any(&self) -> bool {
        self.ttft_micros.is_some() || self.itl_micros.is_some() || self.latency_micros.is_some() || self.output_tokens_per_sec.is_some()
    }

    /// Whether any objective reads chat replies (TTFT, ITL, tokens/s).
    pub fn needs_chat(&self) -> bool {
        self.ttft_micros.is_some() || self.itl_micros.is_some() || self.output_tokens_per_sec.is_some()
    }

    /// Whether the request met every objective that applies to it.
    pub fn met_by(&self, request: RequestMeasures<'_>) -> bool {
        if request.failed {
            return false;
        }
        if self.latency_micros.is_some_and(|limit| request.latency_micros > limit) {
            return false;
        }
        let Some(reply) = request.reply else { return true };
        let first_token = reply.ttft_micros.unwrap_or(reply.reply_micros);
        if self.ttft_micros.is_some_and(|limit| first_token > limit) {
            return false;
        }
        if let Some(limit) = self.itl_micros
            && self.itl_within.of(reply.itl_micros).is_some_and(|itl| itl > limit)
        {
            return false;
        }
        if let Some(floor) = self.output_tokens_per_sec {
            let per_sec = if reply.reply_micros == 0 {
                f64::INFINITY
            } else {
                reply.output_tokens as f64 * 1e6 / reply.reply_micros as f64
            };
            if per_sec < floor {
                return false;
            }
        }
        true
    }

    /// The objectives in words: `TTFT ≤ 500ms, ITL (p95 within a reply) ≤ 50ms`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(limit) = self.ttft_micros {
            parts.push(format!("TTFT ≤ {}", format::micros(limit as f64)));
        }
        if let Some(limit) = self.itl_micros {
            let within = match self.itl_within {
                ItlWithin::Mean => "ITL (mean within a reply)".to_string(),
                other => format!("ITL ({} within a reply)", other.name()),
            };
            parts.push(format!("{within} ≤ {}", format::micros(limit as f64)));
        }
        if let Some(limit) = self.latency_micros {
            parts.push(format!("latency ≤ {}", format::micros(limit as f64)));
        }
        if let Some(floor) = self.output_tokens_per_sec {
            parts.push(format!("output ≥ {floor} tokens/s"));
        }
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat(ttft: Option<u64>, gaps: &mut [u64], tokens: u64, reply_micros: u64) -> RequestMeasures<'_> {
        RequestMeasures {
            failed: false,
            latency_micros: reply_micros,
            reply: Some(ReplyMeasures {
                ttft_micros: ttft,
                itl_micros: gaps,
                output_tokens: tokens,
                reply_micros,
            }),
        }
    }

    #[test]
    fn a_request_meets_the_objectives_that_apply_to_it() {
        let objectives = Objectives {
            ttft_micros: Some(500_000),
            itl_micros: Some(50_000),
            itl_within: ItlWithin::P90,
            latency_micros: Some(2_000_000),
            output_tokens_per_sec: Some(10.0),
        };
        // Ten gaps of 40 ms and one of 200 ms: the p90 gap is 40 ms, the max 200 ms.
        let mut gaps = [40_000u64; 11];
        gaps[3] = 200_000;
        assert!(objectives.met_by(chat(Some(300_000), &mut gaps.clone(), 12, 1_000_000)));
        let strict_max = Objectives {
            itl_within: ItlWithin::Max,
            ..objectives.clone()
        };
        assert!(!strict_max.met_by(chat(Some(300_000), &mut gaps.clone(), 12, 1_000_000)));
        // The mean gap is (10 x 40 + 200) / 11 = 54.5 ms.
        let mean = Objectives {
            itl_within: ItlWithin::Mean,
            ..objectives.clone()
        };
        assert!(!mean.met_by(chat(Some(300_000), &mut gaps.clone(), 12, 1_000_000)));
        // Too slow a first token, too few tokens a second, too long a reply.
        assert!(!objectives.met_by(chat(Some(600_000), &mut gaps.clone(), 12, 1_000_000)));
        assert!(!objectives.met_by(chat(Some(300_000), &mut gaps.clone(), 9, 1_000_000)));
        assert!(!objectives.met_by(chat(Some(300_000), &mut gaps.clone(), 30, 2_500_000)));
        // A reply that was not streamed has its first token with the whole reply.
        assert!(!objectives.met_by(chat(None, &mut [], 12, 700_000)));
        assert!(objectives.met_by(chat(None, &mut [], 12, 400_000)));
        // A plain request answers to the latency objective alone; a failure never conforms.
        let plain = |latency_micros, failed| RequestMeasures {
            failed,
            latency_micros,
            reply: None,
        };
        assert!(objectives.met_by(plain(1_500_000, false)));
        assert!(!objectives.met_by(plain(2_500_000, false)));
        assert!(!objectives.met_by(plain(1_000, true)));
        assert_eq!(
            objectives.describe(),
            "TTFT ≤ 500ms, ITL (p90 within a reply) ≤ 50.0ms, latency ≤ 2.00s, output ≥ 10 tokens/s"
        );
    }
}
