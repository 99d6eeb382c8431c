//! Latency histograms: HDR histograms of microseconds at 3 significant digits, and their
//! run-file encoding (base64 of the V2 deflate serialization, readable by any HdrHistogram
//! implementation).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};

/// Significant digits kept by every latency histogram.
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// A new, empty, auto-resizing latency histogram.
pub fn new_histogram() -> Histogram<u64> {
    // Cannot fail: 3 significant digits is within 0..=5.
    Histogram::new(SIGNIFICANT_DIGITS).unwrap_or_else(|_| unreachable!("3 significant digits is valid"))
}

/// Records a value, growing the histogram as needed. (`saturating_record` would clamp to the
/// current upper bound instead of growing an auto-resizing histogram.)
pub fn record(histogram: &mut Histogram<u64>, value: u64) {
    if histogram.record(value).is_err() {
        histogram.saturating_record(value);
    }
}

/// Encodes a histogram for the run file.
pub fn encode(histogram: &Histogram<u64>) -> String {
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
}
