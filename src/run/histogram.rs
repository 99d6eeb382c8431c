//! Latency histograms: HDR histograms of microseconds at 3 significant digits, and their
//! run-file encoding (base64 of the V2 deflate serialization, readable by any HdrHistogram
//! implementation).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};

/// Significant digits kept by every latency histogram.
pub(crate) const SIGNIFICANT_DIGITS: u8 = 3;

/// A new, empty, auto-resizing latency histogram.
pub fn new_histogram() -> Histogram<u64> {
    // Cannot fail: 3 significant digits is within 0..=5.
    Histogram::new(SIGNIFICANT_DIGITS).unwrap_or_else(|_| unreachable!("3 significant digits is valid"))
}

/// Records a value, growing the histogram as needed. (`saturating_record` would clamp to the
/// current upper bound instead of growing an auto-resizing histogram.)
pub(crate) fn record(histogram: &mut Histogram<u64>, value: u64) {
    if histogram.record(value).is_err() {
        histogram.saturating_record(value);
    }
}

/// Encodes a histogram for the run file.
pub(crate) fn encode(histogram: &Histogram<u64>) -> String {
    let mut bytes = Vec::new();
    match V2DeflateSerializer::new().serialize(histogram, &mut bytes) {
        Ok(_) => STANDARD.encode(bytes),
        // Serializing into a Vec only fails on impossible histogram states; keep the file valid.
        Err(_) => String::new(),
    }
}

/// Why a stored histogram could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("histogram is not valid base64: {0}")]
    Base64(#[from] base64::DecodeError),
    #[error("histogram is not a valid HdrHistogram V2 serialization: {0:?}")]
    Histogram(hdrhistogram::serialization::DeserializeError),
}

/// Decodes a run-file histogram; an empty string is an empty histogram.
pub fn decode(text: &str) -> Result<Histogram<u64>, DecodeError> {
    if text.is_empty() {
        return Ok(new_histogram());
    }
    let bytes = STANDARD.decode(text)?;
    let mut histogram: Histogram<u64> = Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(DecodeError::Histogram)?;
    histogram.auto(true);
    Ok(histogram)
}

/// The bounds (µs) at which distributions are counted for tools that want fixed buckets
/// (Prometheus histograms' `le`): 0.1 ms to 60 s at about ten bounds a decade (1, 1.25, 1.5, 2,
/// 2.5, 3, 4, 5, 6, 8), so a quantile Prometheus interpolates lands within a third of its
/// bucket's bounds; then everything above.
pub const BUCKET_BOUNDS_MICROS: [u64; 59] = [
    100, 125, 150, 200, 250, 300, 400, 500, 600, 800, 1_000, 1_250, 1_500, 2_000, 2_500, 3_000, 4_000, 5_000, 6_000, 8_000, 10_000, 12_500,
    15_000, 20_000, 25_000, 30_000, 40_000, 50_000, 60_000, 80_000, 100_000, 125_000, 150_000, 200_000, 250_000, 300_000, 400_000, 500_000,
    600_000, 800_000, 1_000_000, 1_250_000, 1_500_000, 2_000_000, 2_500_000, 3_000_000, 4_000_000, 5_000_000, 6_000_000, 8_000_000,
    10_000_000, 12_500_000, 15_000_000, 20_000_000, 25_000_000, 30_000_000, 40_000_000, 50_000_000, 60_000_000,
];

/// A histogram counted at [`BUCKET_BOUNDS_MICROS`].
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BucketCounts {
    /// Values at or below each bound, one per bound (cumulative).
    pub cumulative: Vec<u64>,
    /// All values, the ones above the last bound included.
    pub count: u64,
    /// The values' sum, from the histogram (within its 3 significant digits).
    pub sum_micros: f64,
}

/// Counts `histogram` at the fixed bounds. Each of its buckets (3 significant digits wide) is
/// counted at the first bound at or above the bucket's lowest value.
pub(crate) fn bucket_counts(histogram: &Histogram<u64>) -> BucketCounts {
    let mut per_bound = [0u64; BUCKET_BOUNDS_MICROS.len()];
    for value in histogram.iter_recorded() {
        let lowest = histogram.lowest_equivalent(value.value_iterated_to());
        if let Some(bound) = BUCKET_BOUNDS_MICROS.iter().position(|&bound| lowest <= bound) {
            per_bound[bound] += value.count_at_value();
        }
    }
    let cumulative = per_bound
        .iter()
        .scan(0u64, |total, &count| {
            *total += count;
            Some(*total)
        })
        .collect();
    let count = histogram.len();
    BucketCounts {
        cumulative,
        count,
        sum_micros: if count == 0 { 0.0 } else { histogram.mean() * count as f64 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_percentiles() {
        let mut histogram = new_histogram();
        for micros in 1..=10_000u64 {
            record(&mut histogram, micros * 100);
        }
        let decoded = decode(&encode(&histogram)).expect("decodes");
        assert_eq!(decoded.len(), 10_000);
        assert_eq!(decoded.value_at_quantile(0.95), histogram.value_at_quantile(0.95));
        let p95 = decoded.value_at_quantile(0.95) as f64;
        assert!((p95 - 950_000.0).abs() / 950_000.0 < 0.001, "p95 {p95}");
        assert!(decode("not base64!").is_err());
        assert_eq!(decode("").expect("empty").len(), 0);
    }

    #[test]
    fn bucket_counts_are_cumulative_at_the_bounds() {
        let mut histogram = new_histogram();
        for micros in [50, 100, 101, 999, 1_000, 42_000, 42_000, 99_000_000] {
            record(&mut histogram, micros);
        }
        let buckets = bucket_counts(&histogram);
        let at = |bound: u64| buckets.cumulative[BUCKET_BOUNDS_MICROS.iter().position(|&b| b == bound).expect("a bound")];
        assert_eq!(
            (at(100), at(250), at(1_000), at(25_000), at(50_000), at(60_000_000)),
            (2, 3, 5, 5, 7, 7)
        );
        assert_eq!(buckets.count, 8);
        let sum: f64 = [50.0, 100.0, 101.0, 999.0, 1_000.0, 42_000.0, 42_000.0, 99_000_000.0].iter().sum();
        assert!((buckets.sum_micros - sum).abs() / sum < 0.001, "{}", buckets.sum_micros);
        assert_eq!(
            bucket_counts(&new_histogram()),
            BucketCounts {
                cumulative: vec![0; BUCKET_BOUNDS_MICROS.len()],
                count: 0,
                sum_micros: 0.0
            }
        );
    }
}
