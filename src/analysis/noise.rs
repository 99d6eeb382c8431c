//! Whether a change between two runs is beyond run-to-run noise: a 95% confidence interval for
//! each run's number (a latency percentile from its histogram, an error rate, a request rate)
//! and the tests that decide from them. A comparison calls a change better or worse only when
//! these say it is real; otherwise it says "no clear change" and shows the intervals.
//!
//! The rules, chosen to be simple to explain on hover and hard to fool with a short run:
//! - Percentiles: the distribution-free interval for a quantile. The rank of the q-quantile in
//!   n samples is binomial(n, q), so the values at ranks n·q ± 1.96·√(n·q·(1−q)) bound it. A
//!   percentile changed when the two runs' intervals do not overlap (conservative: at equal
//!   widths that is a test at about the 0.6% level, so a flagged change is rarely noise).
//! - Error rates: the two-proportion z-test at 5% (pooled standard error); each run's interval is
//!   Wilson's score interval.
//! - Request rates: the count in the level is Poisson, so the rate's interval is
//!   (n ± 1.96·√n) / seconds; a rate changed when the intervals do not overlap.

use hdrhistogram::Histogram;

/// The normal quantile of a two-sided 95% interval.
const Z_95: f64 = 1.959_964;

/// A 95% confidence interval, in the unit of the number it bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl Interval {
    /// Whether the two intervals share any value.
    pub fn overlaps(self, other: Interval) -> bool {
        self.low <= other.high && other.low <= self.high
    }

    fn scaled(self, factor: f64) -> Interval {
        Interval {
            low: self.low * factor,
            high: self.high * factor,
        }
    }
}

/// The 95% interval of the `quantile` (0..1) of the values in `histogram`; None when it is
/// empty.
pub(crate) fn quantile_interval(histogram: &Histogram<u64>, quantile: f64) -> Option<Interval> {
    let count = histogram.len() as f64;
    if count == 0.0 {
        return None;
    }
    let rank = count * quantile;
    let spread = Z_95 * (count * quantile * (1.0 - quantile)).sqrt();
    // Ranks are whole samples: widen to the samples on either side of the bounds.
    let low_rank = (rank - spread).floor().max(0.0);
    let high_rank = (rank + spread).ceil().min(count);
    Some(Interval {
        low: histogram.value_at_quantile(low_rank / count) as f64,
        high: histogram.value_at_quantile(high_rank / count) as f64,
    })
}

/// Wilson's 95% score interval of `failures` in `requests`, in percent; None without requests.
pub(crate) fn error_rate_interval_percent(failures: u64, requests: u64) -> Option<Interval> {
    if requests == 0 {
        return None;
    }
    let n = requests as f64;
    let p = failures as f64 / n;
    let z2 = Z_95 * Z_95;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z_95 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(
        Interval {
            low: (centre - half).max(0.0),
            high: (centre + half).min(1.0),
        }
        .scaled(100.0),
    )
}

/// Whether two error rates differ beyond noise: the two-proportion z-test at 5%.
pub(crate) fn error_rates_differ(base_failures: u64, base_requests: u64, failures: u64, requests: u64) -> bool {
    if base_requests == 0 || requests == 0 {
        return false;
    }
    let (n1, n2) = (base_requests as f64, requests as f64);
    let pooled = (base_failures + failures) as f64 / (n1 + n2);
    let standard_error = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    if standard_error == 0.0 {
        // Both rates are 0% or both 100%: nothing changed.
        return false;
    }
    let z = (failures as f64 / n2 - base_failures as f64 / n1) / standard_error;
    z.abs() > Z_95
}

/// The 95% interval of a rate of `count` events in `secs` seconds (per second).
pub(crate) fn rate_interval(count: u64, secs: f64) -> Option<Interval> {
    if !(secs.is_finite() && secs > 0.0) {
        return None;
    }
    let n = count as f64;
    let spread = Z_95 * n.sqrt();
    Some(Interval {
        low: (n - spread).max(0.0) / secs,
        high: (n + spread) / secs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::histogram::{new_histogram, record};

    fn histogram(values: impl IntoIterator<Item = u64>) -> Histogram<u64> {
        let mut histogram = new_histogram();
        for value in values {
            record(&mut histogram, value);
        }
        histogram
    }

    #[test]
    fn a_percentile_interval_narrows_with_more_requests() {
        // Uniform latencies 1..=n ms: p95's interval holds 0.95 n ms and shrinks as n grows.
        let small = quantile_interval(&histogram((1..=100).map(|ms| ms * 1000)), 0.95).expect("interval");
        let large = quantile_interval(&histogram((1..=10_000).map(|ms| ms * 100)), 0.95).expect("interval");
        assert!(small.low <= 95_000.0 && small.high >= 95_000.0, "{small:?}");
        assert!(large.low <= 950_000.0 && large.high >= 949_000.0, "{large:?}");
        let relative = |interval: Interval, p95: f64| (interval.high - interval.low) / p95;
        assert!(relative(small, 95_000.0) > 4.0 * relative(large, 950_000.0), "{small:?} {large:?}");
        assert!(quantile_interval(&new_histogram(), 0.95).is_none());
    }

    #[test]
    fn p99_of_a_short_run_reaches_its_maximum() {
        // 134 requests cannot say where p99 is beyond "somewhere near the slowest".
        let interval = quantile_interval(&histogram((1..=134).map(|ms| ms * 1000)), 0.99).expect("interval");
        assert!(interval.high >= 133_900.0, "{interval:?}");
        assert!(interval.low < 133_000.0, "{interval:?}");
    }

    #[test]
    fn error_rate_test_needs_enough_requests() {
        // 1 failure in 100 against 3 in 100: could be luck.
        assert!(!error_rates_differ(1, 100, 3, 100));
        // 1% against 3% over 10,000 requests each: real.
        assert!(error_rates_differ(100, 10_000, 300, 10_000));
        assert!(!error_rates_differ(0, 500, 0, 800));
        assert!(!error_rates_differ(0, 0, 5, 10));
        let wilson = error_rate_interval_percent(0, 100).expect("interval");
        assert_eq!(wilson.low, 0.0);
        assert!(wilson.high > 3.0 && wilson.high < 4.5, "{wilson:?}");
    }

    #[test]
    fn rate_intervals_follow_the_count() {
        let few = rate_interval(100, 10.0).expect("interval");
        assert!(few.low < 10.0 && few.high > 10.0);
        let more = rate_interval(140, 10.0).expect("interval");
        assert!(few.overlaps(more), "100 vs 140 in 10 s could be noise");
        let many = rate_interval(14_000, 10.0).expect("interval");
        assert!(!rate_interval(10_000, 10.0).expect("interval").overlaps(many));
        assert!(rate_interval(5, 0.0).is_none());
    }
}
