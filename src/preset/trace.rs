//! Trace files replayed at their recorded times (`[scenario.trace]`): Mooncake's JSONL
//! (`timestamp` in ms, `input_length`, `output_length`, optional `hash_ids`: blocks of prompt
//! shared between requests, as AIPerf and Mooncake's own replayer read them) or JSONL of
//! `{timestamp, body}` OpenAI request bodies (a gateway's log). Read once per version of the
//! file (off the window's thread in the app), and kept as arrivals the engine schedules.

use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

/// The file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TraceFormat {
    Mooncake,
    Requests,
}

impl TraceFormat {
    pub fn from_name(name: &str) -> Option<TraceFormat> {
        match name {
            "mooncake" => Some(TraceFormat::Mooncake),
            "requests" => Some(TraceFormat::Requests),
            _ => None,
        }
    }
}

/// One recorded request.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceEntry {
    /// Since the trace's first request, in microseconds (before any speed-up).
    pub offset_micros: u64,
    /// Mooncake: the prompt's and the reply's tokens, and the prompt's shared blocks.
    pub input_tokens: u32,
    pub output_tokens: u32,
    pub hash_ids: Vec<u64>,
    /// Requests: the body as recorded (serialized once, sent as it is).
    pub body: Option<Arc<[u8]>>,
}

/// A trace, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    pub entries: Vec<TraceEntry>,
    /// Requests: whether the bodies ask for a stream (every entry the same).
    pub stream: bool,
}

impl Trace {
    /// From the first request to the last, in microseconds (before any speed-up).
    pub fn span_micros(&self) -> u64 {
        self.entries.last().map(|entry| entry.offset_micros).unwrap_or(0)
    }
}

/// Why a trace cannot be replayed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TraceError {
    #[error("trace {file}: cannot read it: {reason} (paths are relative to the preset file)")]
    Unreadable { file: String, reason: String },
    /// Being read on a thread of its own (the app).
    #[error("reading trace {0}; the preset is checked again when it has been read")]
    Reading(String),
    #[error("trace {file} line {line}: {why}")]
    Line { file: String, line: usize, why: String },
    #[error("trace {0}: has no requests")]
    Empty(String),
    #[error(
        "trace {file}: line {first} asks for a stream and line {other} does not; Loadscope replays one kind of reply per trace (split the file, or set \"stream\" alike)"
    )]
    MixedStream { file: String, first: usize, other: usize },
}

#[derive(Deserialize)]
struct MooncakeLine {
    timestamp: f64,
    input_length: u32,
    output_length: u32,
    #[serde(default)]
    hash_ids: Vec<u64>,
}

#[derive(Deserialize)]
struct RequestLine {
    timestamp: f64,
    body: serde_json::Value,
}

/// Traces shipped in the binary, named `shipped:NAME` (made by `scripts/make-sample-trace.py`).
const SHIPPED_TRACES: &[(&str, &str)] = &[("sample-trace.jsonl", include_str!("../../presets/data/sample-trace.jsonl"))];

/// Reads trace `written` (relative to `base_dir`, or `shipped:NAME`) in `format`.
pub fn load(written: &str, base_dir: Option<&Path>, format: TraceFormat) -> Result<Arc<Trace>, TraceError> {
    if let Some(name) = written.strip_prefix("shipped:") {
        let Some((_, text)) = SHIPPED_TRACES.iter().find(|(known, _)| *known == name) else {
            let known: Vec<String> = SHIPPED_TRACES.iter().map(|(name, _)| format!("shipped:{name}")).collect();
            return Err(TraceError::Unreadable {
                file: written.to_string(),
                reason: format!("no such shipped trace (shipped: {})", known.join(", ")),
            });
        };
        return parse(written, text, format).map(Arc::new);
    }
    let path = match base_dir {
        Some(dir) => dir.join(written),
        None => std::path::PathBuf::from(written),
    };
    let file = written.to_string();
    let fetched = super::file_reads::fetch(&format!("trace {format:?}"), &path, move |path| {
        let text = std::fs::read_to_string(path).map_err(|err| TraceError::Unreadable {
            file: file.clone(),
            reason: err.to_string(),
        })?;
        parse(&file, &text, format).map(Arc::new)
    });
    match fetched {
        super::file_reads::Fetched::Done(result) => result.as_ref().clone(),
        super::file_reads::Fetched::Reading => Err(TraceError::Reading(written.to_string())),
    }
}

/// Parses a trace's text; entries are sorted by time and timed from the first.
pub(crate) fn parse(file: &str, text: &str, format: TraceFormat) -> Result<Trace, TraceError> {
    let mut entries: Vec<(f64, TraceEntry)> = Vec::new();
    let mut stream_seen: Option<(bool, usize)> = None;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = |why: String| TraceError::Line {
            file: file.to_string(),
            line: number,
            why,
        };
        let (timestamp, entry) = match format {
            TraceFormat::Mooncake => {
                let parsed: MooncakeLine = serde_json::from_str(line).map_err(|err| {
                    bad(format!(
                        "{err} (a Mooncake line is {{\"timestamp\": ms, \"input_length\": N, \"output_length\": N, \"hash_ids\": [..]}})"
                    ))
                })?;
                if parsed.input_length == 0 {
                    return Err(bad("input_length is 0; a request needs a prompt".into()));
                }
                (
                    parsed.timestamp,
                    TraceEntry {
                        offset_micros: 0,
                        input_tokens: parsed.input_length,
                        output_tokens: parsed.output_length.max(1),
                        hash_ids: parsed.hash_ids,
                        body: None,
                    },
                )
            }
            TraceFormat::Requests => {
                let parsed: RequestLine = serde_json::from_str(line).map_err(|err| {
                    bad(format!(
                        "{err} (a line is {{\"timestamp\": ms, \"body\": {{...an OpenAI request...}}}})"
                    ))
                })?;
                if !parsed.body.is_object() || parsed.body.get("messages").is_none() {
                    return Err(bad("body is not a chat request (an object with \"messages\")".into()));
                }
                let stream = parsed.body.get("stream").and_then(serde_json::Value::as_bool).unwrap_or(false);
                match stream_seen {
                    None => stream_seen = Some((stream, number)),
                    Some((first, first_line)) if first != stream => {
                        return Err(TraceError::MixedStream {
                            file: file.to_string(),
                            first: first_line,
                            other: number,
                        });
                    }
                    Some(_) => {}
                }
                let body = serde_json::to_vec(&parsed.body).unwrap_or_default();
                (
                    parsed.timestamp,
                    TraceEntry {
                        offset_micros: 0,
                        input_tokens: 0,
                        output_tokens: 0,
                        hash_ids: Vec::new(),
                        body: Some(Arc::from(body)),
                    },
                )
            }
        };
        if !timestamp.is_finite() || timestamp < 0.0 {
            return Err(bad(format!("timestamp {timestamp} is not a time in milliseconds")));
        }
        entries.push((timestamp, entry));
    }
    if entries.is_empty() {
        return Err(TraceError::Empty(file.to_string()));
    }
    entries.sort_by(|a, b| a.0.total_cmp(&b.0));
    let first = entries[0].0;
    Ok(Trace {
        entries: entries
            .into_iter()
            .map(|(timestamp, mut entry)| {
                entry.offset_micros = ((timestamp - first) * 1000.0).round() as u64;
                entry
            })
            .collect(),
        stream: stream_seen.is_some_and(|(stream, _)| stream),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_formats_in_time_order_and_names_bad_lines() {
        let mooncake = "{\"timestamp\": 500, \"input_length\": 700, \"output_length\": 20, \"hash_ids\": [1, 2]}\n\n{\"timestamp\": 0, \"input_length\": 300, \"output_length\": 10}\n";
        let trace = parse("t.jsonl", mooncake, TraceFormat::Mooncake).unwrap();
        assert_eq!(trace.entries.len(), 2);
        assert_eq!(trace.entries[0].input_tokens, 300, "sorted by time");
        assert_eq!(trace.entries[1].offset_micros, 500_000);
        assert_eq!(trace.entries[1].hash_ids, vec![1, 2]);
        assert_eq!(trace.span_micros(), 500_000);

        let requests = "{\"timestamp\": 10, \"body\": {\"model\": \"m\", \"messages\": [], \"stream\": true}}\n{\"timestamp\": 20, \"body\": {\"model\": \"m\", \"messages\": []}}\n";
        let mixed = parse("r.jsonl", requests, TraceFormat::Requests).unwrap_err();
        assert!(
            mixed.to_string().contains("line 1 asks for a stream and line 2 does not"),
            "{mixed}"
        );

        let broken = parse("t.jsonl", "{\"timestamp\": 1}\n", TraceFormat::Mooncake).unwrap_err();
        assert!(
            broken.to_string().starts_with("trace t.jsonl line 1: missing field `input_length`"),
            "{broken}"
        );
        assert!(matches!(parse("t.jsonl", "\n", TraceFormat::Mooncake), Err(TraceError::Empty(_))));
    }
}
