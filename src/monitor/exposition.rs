//! The Prometheus text exposition format (version 0.0.4, and the OpenMetrics text that most
//! exporters also accept): `# TYPE` lines and samples `name{label="value",...} value [time]`.
//! Written here instead of linking a parser crate: the one that takes vLLM's `vllm:` names is
//! LGPL and brings 22 crates for a few gauges, and the format is small.

use super::error::{ExpositionError, LineProblem};
use std::collections::HashMap;

/// The kind a `# TYPE` line gives a metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FamilyType {
    Counter,
    Gauge,
    Histogram,
    GaugeHistogram,
    Summary,
    Info,
    StateSet,
    Untyped,
}

impl FamilyType {
    fn parse(word: &str) -> FamilyType {
        match word {
            "counter" => FamilyType::Counter,
            "gauge" => FamilyType::Gauge,
            "histogram" => FamilyType::Histogram,
            "gaugehistogram" => FamilyType::GaugeHistogram,
            "summary" => FamilyType::Summary,
            "info" => FamilyType::Info,
            "stateset" => FamilyType::StateSet,
            _ => FamilyType::Untyped,
        }
    }

    /// The suffixes a sample of this family may carry after the family's name.
    fn suffixes(self) -> &'static [&'static str] {
        match self {
            FamilyType::Counter => &["_total", "_created"],
            FamilyType::Histogram => &["_bucket", "_sum", "_count", "_created"],
            FamilyType::GaugeHistogram => &["_bucket", "_gsum", "_gcount"],
            FamilyType::Summary => &["_sum", "_count", "_created"],
            FamilyType::Info => &["_info"],
            FamilyType::Gauge | FamilyType::StateSet | FamilyType::Untyped => &[],
        }
    }
}

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sample {
    /// The family it belongs to (the `# TYPE` name; its own name when untyped).
    pub family: String,
    pub family_type: FamilyType,
    /// The suffix after the family's name (`_bucket`, `_total`...), empty for none.
    pub suffix: String,
    /// Labels in the order written.
    pub labels: Labels,
    pub value: f64,
}

/// Every sample of a page, in order; a line that is not the format is an error naming it.
pub(crate) fn parse(text: &str) -> Result<Vec<Sample>, ExpositionError> {
    let mut types = Types::default();
    let mut samples = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        let at = |problem: LineProblem| ExpositionError { line: index + 1, problem };
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let mut words = comment.split_whitespace();
            if words.next() == Some("TYPE") {
                let name = words.next().ok_or_else(|| at(LineProblem::TypeWithoutName))?;
                let kind = words.next().ok_or_else(|| at(LineProblem::TypeWithoutKind(name.to_string())))?;
                types.insert(name, FamilyType::parse(kind));
            }
            continue;
        }
        let (name, labels, value) = sample_line(line).map_err(at)?;
        let (family, family_type, suffix) = types.family_of(name);
        samples.push(Sample {
            family,
            family_type,
            suffix,
            labels,
            value,
        });
    }
    Ok(samples)
}

/// The families `# TYPE` lines named so far.
#[derive(Default)]
struct Types {
    by_name: HashMap<String, FamilyType>,
    /// The same, by the name with `:` written as `_`: prometheus_client's OpenMetrics output
    /// types `vllm:x` but writes its samples as `vllm_x`.
    by_escaped_name: HashMap<String, (String, FamilyType)>,
}

impl Types {
    fn insert(&mut self, name: &str, kind: FamilyType) {
        self.by_name.insert(name.to_string(), kind);
        if name.contains(':') {
            self.by_escaped_name.insert(name.replace(':', "_"), (name.to_string(), kind));
        }
    }

    fn get(&self, name: &str) -> Option<(String, FamilyType)> {
        match self.by_name.get(name) {
            Some(kind) => Some((name.to_string(), *kind)),
            None => self.by_escaped_name.get(name).cloned(),
        }
    }

    /// The family a sample name belongs to: a typed family of that name, or one whose name
    /// plus one of its type's suffixes is the sample's; else the sample's own, untyped.
    fn family_of(&self, name: &str) -> (String, FamilyType, String) {
        if let Some((family, kind)) = self.get(name) {
            return (family, kind, String::new());
        }
        for (cut, _) in name.match_indices('_') {
            let (base, suffix) = name.split_at(cut);
            if let Some((family, kind)) = self.get(base)
                && kind.suffixes().contains(&suffix)
            {
                return (family, kind, suffix.to_string());
            }
        }
        (name.to_string(), FamilyType::Untyped, String::new())
    }
}

/// Label names and values, in the order written.
type Labels = Vec<(String, String)>;

/// `name{labels} value [timestamp]`.
fn sample_line(line: &str) -> Result<(&str, Labels, f64), LineProblem> {
    let name_end = line.find(|c: char| c == '{' || c.is_whitespace()).unwrap_or(line.len());
    let name = &line[..name_end];
    if !is_metric_name(name) {
        return Err(LineProblem::BadMetricName(name.to_string()));
    }
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(after_brace) = rest.strip_prefix('{') {
        let (parsed, after) = label_set(after_brace)?;
        labels = parsed;
        rest = after;
    }
    let mut fields = rest.split_whitespace();
    let value_text = fields.next().ok_or_else(|| LineProblem::NoValue(name.to_string()))?;
    let value = number(value_text).ok_or_else(|| LineProblem::NotANumber {
        name: name.to_string(),
        text: value_text.to_string(),
    })?;
    if let Some(timestamp) = fields.next()
        && timestamp.parse::<f64>().is_err()
    {
        return Err(LineProblem::BadTimestamp {
            name: name.to_string(),
            text: timestamp.to_string(),
        });
    }
    Ok((name, labels, value))
}

/// `key="value",...}` (after the opening brace); returns the labels and what follows the brace.
fn label_set(mut text: &str) -> Result<(Labels, &str), LineProblem> {
    let mut labels = Vec::new();
    loop {
        text = text.trim_start();
        if let Some(after) = text.strip_prefix('}') {
            return Ok((labels, after));
        }
        let equals = text.find('=').ok_or(LineProblem::LabelWithoutEquals)?;
        let key = text[..equals].trim();
        if !is_label_name(key) {
            return Err(LineProblem::BadLabelName(key.to_string()));
        }
        let value_start = text[equals + 1..].trim_start();
        let quoted = value_start
            .strip_prefix('"')
            .ok_or_else(|| LineProblem::Unquoted(key.to_string()))?;
        let mut value = String::new();
        let mut chars = quoted.char_indices();
        let end = loop {
            match chars.next() {
                None => return Err(LineProblem::Unclosed(key.to_string())),
                Some((at, '"')) => break at,
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, other)) => value.push(other),
                    None => return Err(LineProblem::TrailingBackslash(key.to_string())),
                },
                Some((_, other)) => value.push(other),
            }
        };
        labels.push((key.to_string(), value));
        text = quoted[end + 1..].trim_start();
        text = text.strip_prefix(',').unwrap_or(text);
    }
}

/// Go's float syntax as exporters write it, with `+Inf`, `-Inf` and `NaN`.
fn number(text: &str) -> Option<f64> {
    match text {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => text.parse().ok(),
    }
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`.
fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_formats_corners() {
        // From the exposition format's documentation: escapes, timestamps, NaN and infinities,
        // untyped series, a histogram and a summary.
        let text = r#"# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# Escaping in label values:
msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9

# Minimalistic line:
metric_without_timestamp_and_labels 12.47

# A weird metric from before the epoch:
something_weird{problem="division by zero"} +Inf -3982045

# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320

# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
"#;
        let samples = parse(text).expect("the documentation's example parses");
        assert_eq!(samples.len(), 12);
        assert_eq!(samples[0].family, "http_requests_total");
        assert_eq!(samples[0].family_type, FamilyType::Counter);
        assert_eq!(samples[1].value, 3.0);
        assert_eq!(
            samples[2].labels,
            vec![
                ("path".to_string(), "C:\\DIR\\FILE.TXT".to_string()),
                ("error".to_string(), "Cannot find file:\n\"FILE.TXT\"".to_string())
            ]
        );
        assert_eq!(samples[3].family_type, FamilyType::Untyped);
        assert_eq!(samples[4].value, f64::INFINITY);
        assert_eq!(
            (samples[6].family.as_str(), samples[6].family_type, samples[6].suffix.as_str()),
            ("http_request_duration_seconds", FamilyType::Histogram, "_bucket")
        );
        assert_eq!(samples[11].suffix, "_count");
    }

    #[test]
    fn names_a_line_that_is_not_the_format() {
        let bad = parse("ok 1\n{le=\"1\"} 2\n").expect_err("no name");
        assert_eq!(bad.line, 2);
        assert!(bad.to_string().starts_with("line 2:"), "{bad}");
        let unquoted = parse("x{a=b} 1").expect_err("unquoted");
        assert_eq!(unquoted.problem, LineProblem::Unquoted("a".into()));
        assert!(unquoted.to_string().contains("not quoted"), "{unquoted}");
        let value = parse("x 1.2.3").expect_err("value");
        assert!(matches!(value.problem, LineProblem::NotANumber { .. }), "{value}");
        assert!(parse("<html>").is_err(), "an HTML page is not Prometheus text");
    }
}
