//! Durations as people write them in presets and on the command line: `"5m"`, `"90s"`,
//! `"1m30s"`, `"250ms"`, or a bare number of seconds.

use std::fmt;
use std::time::Duration;

use crate::format;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration that reads and writes in human form (`"5m"`, `"90s"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    /// Seconds as a float, for rates and display.
    pub fn as_secs_f64(&self) -> f64 {
        self.0.as_secs_f64()
    }
}

/// Why a text is not a duration.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum DurationError {
    #[error("empty duration (write e.g. \"90s\", \"5m\" or \"250ms\")")]
    Empty,
    #[error("invalid duration {text:?}: {why} (write e.g. \"90s\", \"5m\", \"1m30s\" or \"250ms\")")]
    Invalid { text: String, why: String },
    #[error("invalid duration {0}: must be zero or positive")]
    Negative(f64),
}

/// Parses `"5m"`, `"90s"`, `"1m30s"`, `"250ms"`, `"1.5s"` or `"30"` (seconds).
pub(crate) fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(DurationError::Empty);
    }
    if let Ok(secs) = trimmed.parse::<f64>() {
        return secs_to_duration(secs);
    }
    // humantime has no fractional units ("1.5s"); handle the common "<float><unit>" form first.
    for (suffix, scale) in [("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0)] {
        if let Some(number) = trimmed.strip_suffix(suffix)
            && let Ok(value) = number.trim().parse::<f64>()
        {
            return secs_to_duration(value * scale);
        }
    }
    humantime::parse_duration(trimmed).map_err(|err| DurationError::Invalid {
        text: trimmed.to_string(),
        why: err.to_string(),
    })
}

fn secs_to_duration(secs: f64) -> Result<Duration, DurationError> {
    if !secs.is_finite() || secs < 0.0 {
        return Err(DurationError::Negative(secs));
    }
    Ok(Duration::from_secs_f64(secs))
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format::duration(self.0))
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format::duration(self.0))
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;
        impl Visitor<'_> for DurationVisitor {
            type Value = HumanDuration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as \"90s\", \"5m\" or \"250ms\", or a number of seconds")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<HumanDuration, E> {
                parse_duration(v).map(HumanDuration).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<HumanDuration, E> {
                secs_to_duration(v as f64).map(HumanDuration).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<HumanDuration, E> {
                secs_to_duration(v as f64).map(HumanDuration).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<HumanDuration, E> {
                secs_to_duration(v).map(HumanDuration).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(DurationVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_presets_use() {
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("five minutes").is_err());
        assert!(parse_duration("-3s").is_err());
    }

    #[test]
    fn formats_round_trip() {
        for text in ["5m", "90s", "250ms", "1.5s", "2h"] {
            let parsed = parse_duration(text).expect("valid");
            assert_eq!(parse_duration(&format::duration(parsed)), Ok(parsed), "{text}");
        }
        assert_eq!(format::duration(Duration::from_secs(300)), "5m");
        assert_eq!(format::duration(Duration::from_millis(250)), "250ms");
    }
}
