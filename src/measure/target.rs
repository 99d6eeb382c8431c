//! Target expressions, written like k6 thresholds: `"p95 < 2s"`, `"error_rate < 1%"`,
//! `"success_rate > 99%"`, `"rps > 20"`. Thresholds are kept in canonical units: latency in
//! microseconds, rates in percent, throughput in requests per second, counts as counts.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::metric::{Metric, MetricUnit};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Comparison {
    #[serde(rename = "<")]
    Less,
    #[serde(rename = "<=")]
    LessOrEqual,
    #[serde(rename = ">")]
    Greater,
    #[serde(rename = ">=")]
    GreaterOrEqual,
    #[serde(rename = "==")]
    Equal,
}

impl Comparison {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Less => "<",
            Comparison::LessOrEqual => "<=",
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => ">=",
            Comparison::Equal => "==",
        }
    }

    /// Whether `observed <op> threshold` holds.
    pub fn holds(self, observed: f64, threshold: f64) -> bool {
        match self {
            Comparison::Less => observed < threshold,
            Comparison::LessOrEqual => observed <= threshold,
            Comparison::Greater => observed > threshold,
            Comparison::GreaterOrEqual => observed >= threshold,
            Comparison::Equal => (observed - threshold).abs() < 1e-9,
        }
    }
}

/// A parsed target expression.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetExpr {
    pub metric: Metric,
    /// The failure class a ClassCount/ClassRate target counts.
    pub class: Option<String>,
    pub comparison: Comparison,
    /// In the metric's canonical unit (see [`MetricUnit`]).
    pub threshold: f64,
}

/// Why a target's text is not a target; each names the text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TargetError {
    #[error("target {0:?} has no comparison: write it like \"p95 < 2s\", \"error_rate < 1%\" or \"rps > 20\"")]
    NoComparison(String),
    #[error("target {0:?}: unknown comparison (use <, <=, >, >= or ==)")]
    UnknownComparison(String),
    /// `expected` lists the metrics (and failure classes) there are.
    #[error("target {target:?}: unknown metric {metric:?} (expected one of {expected})")]
    UnknownMetric { target: String, metric: String, expected: String },
    #[error("target {target:?} has no threshold after {symbol:?}")]
    NoThreshold { target: String, symbol: &'static str },
    #[error("target {target:?}: {problem}")]
    BadThreshold { target: String, problem: ThresholdProblem },
}

/// What is wrong with a target's threshold.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ThresholdProblem {
    #[error("latency threshold {0:?} is not a duration (write e.g. 2s or 500ms)")]
    NotADuration(String),
    #[error("{metric} threshold {text:?} needs a percent sign (write e.g. 1%)")]
    NoPercentSign { metric: &'static str, text: String },
    #[error("{0:?} is not a percentage (write e.g. 1% or 99.5%)")]
    NotAPercentage(String),
    #[error("{0:?} is not a percentage (write e.g. 150%)")]
    NotAChange(String),
    #[error("{0:?} is outside 0% to 100%")]
    OutsideShare(String),
    #[error("threshold {0:?} is not a non-negative number")]
    NotANumber(String),
}

impl TargetExpr {
    /// Parses `"<metric> <op> <value>"` where the metric is a built-in one, a failure class
    /// (`db_error == 0`) or a class rate (`qdrant_timeout_rate < 0.1%`).
    pub fn parse_with_classes(text: &str, classes: &[&str]) -> Result<TargetExpr, TargetError> {
        Self::parse_inner(text, classes)
    }

    /// Parses a target that uses only built-in metrics.
    pub fn parse(text: &str) -> Result<TargetExpr, TargetError> {
        Self::parse_inner(text, &[])
    }

    fn parse_inner(text: &str, classes: &[&str]) -> Result<TargetExpr, TargetError> {
        let trimmed = text.trim();
        let op_start = trimmed
            .find(['<', '>', '='])
            .ok_or_else(|| TargetError::NoComparison(trimmed.to_string()))?;
        let metric_text = trimmed[..op_start].trim();
        let rest = &trimmed[op_start..];
        let (comparison, value_text) = [
            ("<=", Comparison::LessOrEqual),
            (">=", Comparison::GreaterOrEqual),
            ("==", Comparison::Equal),
            ("<", Comparison::Less),
            (">", Comparison::Greater),
        ]
        .iter()
        .find_map(|(symbol, comparison)| rest.strip_prefix(symbol).map(|value| (*comparison, value.trim())))
        .ok_or_else(|| TargetError::UnknownComparison(trimmed.to_string()))?;
        let (metric, class) = match Metric::from_name(metric_text) {
            Some(metric) => (metric, None),
            None if classes.contains(&metric_text) => (Metric::ClassCount, Some(metric_text.to_string())),
            None => match metric_text.strip_suffix("_rate").filter(|class| classes.contains(class)) {
                Some(class) => (Metric::ClassRate, Some(class.to_string())),
                None => {
                    let known: Vec<&str> = Metric::all().map(Metric::name).collect();
                    let classes = if classes.is_empty() {
                        String::new()
                    } else {
                        format!(", or a failure class: {} (count) / NAME_rate (%)", classes.join(", "))
                    };
                    return Err(TargetError::UnknownMetric {
                        target: trimmed.to_string(),
                        metric: metric_text.to_string(),
                        expected: format!("{}{classes}", known.join(", ")),
                    });
                }
            },
        };
        if value_text.is_empty() {
            return Err(TargetError::NoThreshold {
                target: trimmed.to_string(),
                symbol: comparison.symbol(),
            });
        }
        let threshold = parse_threshold(metric, value_text).map_err(|problem| TargetError::BadThreshold {
            target: trimmed.to_string(),
            problem,
        })?;
        Ok(TargetExpr {
            metric,
            class,
            comparison,
            threshold,
        })
    }

    /// Whether an observed value (canonical unit) meets this target.
    pub fn holds(&self, observed: f64) -> bool {
        self.comparison.holds(observed, self.threshold)
    }
}

fn parse_threshold(metric: Metric, text: &str) -> Result<f64, ThresholdProblem> {
    match metric.unit() {
        MetricUnit::LatencyMicros => {
            if let Ok(millis) = text.parse::<f64>() {
                return Ok(millis * 1000.0);
            }
            super::duration::parse_duration(text)
                .map(|duration| duration.as_secs_f64() * 1_000_000.0)
                .map_err(|_| ThresholdProblem::NotADuration(text.to_string()))
        }
        MetricUnit::Percent => {
            let number = text.strip_suffix('%').ok_or_else(|| ThresholdProblem::NoPercentSign {
                metric: metric.name(),
                text: text.to_string(),
            })?;
            let value = number
                .trim()
                .parse::<f64>()
                .map_err(|_| ThresholdProblem::NotAPercentage(text.to_string()))?;
            // Degradation is a change (-50% to +150%); every other percent is a share.
            if metric == Metric::Degradation {
                if !value.is_finite() {
                    return Err(ThresholdProblem::NotAChange(text.to_string()));
                }
            } else if !(0.0..=100.0).contains(&value) {
                return Err(ThresholdProblem::OutsideShare(text.to_string()));
            }
            Ok(value)
        }
        MetricUnit::PerSecond | MetricUnit::Count | MetricUnit::Mean => text
            .parse::<f64>()
            .ok()
            .filter(|value| value.is_finite() && *value >= 0.0)
            .ok_or_else(|| ThresholdProblem::NotANumber(text.to_string())),
    }
}

impl fmt::Display for TargetExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = match self.metric.unit() {
            MetricUnit::LatencyMicros => crate::format::micros(self.threshold),
            MetricUnit::Percent => format!("{}%", self.threshold),
            _ => format!("{}", self.threshold),
        };
        let name = match (&self.class, self.metric) {
            (Some(class), Metric::ClassRate) => format!("{class}_rate"),
            (Some(class), _) => class.clone(),
            (None, metric) => metric.name().to_string(),
        };
        write!(f, "{name} {} {value}", self.comparison.symbol())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_guide_targets() {
        let p95 = TargetExpr::parse("p95 < 2s").expect("valid");
        assert_eq!(p95.metric, Metric::P95);
        assert_eq!(p95.comparison, Comparison::Less);
        assert_eq!(p95.threshold, 2_000_000.0);
        assert!(p95.holds(1_999_999.0));
        assert!(!p95.holds(2_000_000.0));

        let errors = TargetExpr::parse("error_rate < 1%").expect("valid");
        assert_eq!((errors.metric, errors.threshold), (Metric::ErrorRate, 1.0));
        let success = TargetExpr::parse("success_rate>99%").expect("valid");
        assert_eq!(success.comparison, Comparison::Greater);
        let rps = TargetExpr::parse("rps >= 20").expect("valid");
        assert_eq!(
            (rps.metric, rps.comparison, rps.threshold),
            (Metric::Rps, Comparison::GreaterOrEqual, 20.0)
        );
        let millis = TargetExpr::parse("p99 <= 500ms").expect("valid");
        assert_eq!(millis.threshold, 500_000.0);
        let ttft = TargetExpr::parse("ttft_p95 < 500ms").expect("valid");
        assert_eq!((ttft.metric, ttft.threshold), (Metric::TtftP95, 500_000.0));
        let itl = TargetExpr::parse("itl_p95 < 50ms").expect("valid");
        assert_eq!((itl.metric, itl.threshold), (Metric::ItlP95, 50_000.0));
        let tokens = TargetExpr::parse("tokens_per_sec > 20").expect("valid");
        assert_eq!((tokens.metric, tokens.threshold), (Metric::TokensPerSec, 20.0));
        let classes = ["qdrant_timeout", "db_error"];
        let rate = TargetExpr::parse_with_classes("qdrant_timeout_rate < 0.1%", &classes).expect("valid");
        assert_eq!(
            (rate.metric, rate.class.as_deref(), rate.threshold),
            (Metric::ClassRate, Some("qdrant_timeout"), 0.1)
        );
        let count = TargetExpr::parse_with_classes("db_error == 0", &classes).expect("valid");
        assert_eq!((count.metric, count.class.as_deref()), (Metric::ClassCount, Some("db_error")));
        let unknown = TargetExpr::parse_with_classes("cuda_oom == 0", &classes)
            .expect_err("not a class")
            .to_string();
        assert!(unknown.contains("or a failure class: qdrant_timeout, db_error"), "{unknown}");
        let bare = TargetExpr::parse("avg < 250").expect("valid");
        assert_eq!(bare.threshold, 250_000.0, "bare latency numbers are milliseconds, as in k6");
    }

    #[test]
    fn explains_bad_targets() {
        let unknown = TargetExpr::parse("p96 < 2s").expect_err("unknown metric").to_string();
        assert!(unknown.contains("unknown metric \"p96\""), "{unknown}");
        assert!(
            TargetExpr::parse("error_rate < 1")
                .expect_err("no %")
                .to_string()
                .contains("percent sign")
        );
        assert!(
            TargetExpr::parse("p95 2s")
                .expect_err("no op")
                .to_string()
                .contains("no comparison")
        );
        assert!(
            TargetExpr::parse("p95 < soon")
                .expect_err("bad value")
                .to_string()
                .contains("not a duration")
        );
        assert!(
            TargetExpr::parse("error_rate < 120%")
                .expect_err("range")
                .to_string()
                .contains("outside")
        );
    }
}
