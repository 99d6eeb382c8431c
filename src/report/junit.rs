//! A run's verdicts as JUnit XML, the test-report format CI systems read (GitHub Actions via
//! reporters, GitLab, Jenkins, Azure, CircleCI): one `<testsuite>` per scenario, one
//! `<testcase>` per target at each level, a `<failure>` carrying the value observed and the
//! limit. A capacity search is one case for its result and one per capacity target (its steps'
//! checks are the search's evidence, not its verdict). A run that ended early (aborted,
//! stopped, interrupted) adds an `<error>` case, since its targets were not all checked.

use std::fmt::Write as _;

use crate::run::{LevelRecord, RunRecord, RunStatus, ScenarioRecord, Verdict};

/// One test case.
struct Case {
    name: String,
    classname: String,
    time_secs: f64,
    outcome: Outcome,
}

enum Outcome {
    Passed,
    /// The check ran and failed: a short message and the detail.
    Failed {
        message: String,
        detail: String,
    },
    /// The check could not be made (no requests at the level).
    Skipped {
        message: String,
    },
    /// The run did not get to its checks.
    Error {
        message: String,
    },
}

/// The JUnit XML of a run.
pub fn render(record: &RunRecord) -> String {
    let suites: Vec<(&ScenarioRecord, Vec<Case>)> = record
        .scenarios
        .iter()
        .map(|scenario| (scenario, cases(record, scenario)))
        .collect();
    let all: Vec<&Case> = suites.iter().flat_map(|(_, cases)| cases.iter()).collect();
    let count = |pick: fn(&Outcome) -> bool| all.iter().filter(|case| pick(&case.outcome)).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\" timestamp=\"{}\">",
        escape(&format!("Loadscope: {}", record.preset.name)),
        all.len(),
        count(|outcome| matches!(outcome, Outcome::Failed { .. })),
        count(|outcome| matches!(outcome, Outcome::Error { .. })),
        count(|outcome| matches!(outcome, Outcome::Skipped { .. })),
        run_secs(record),
        escape(&record.started_at),
    );
    for (scenario, cases) in &suites {
        let failures = cases.iter().filter(|case| matches!(case.outcome, Outcome::Failed { .. })).count();
        let errors = cases.iter().filter(|case| matches!(case.outcome, Outcome::Error { .. })).count();
        let skipped = cases.iter().filter(|case| matches!(case.outcome, Outcome::Skipped { .. })).count();
        let time: f64 = scenario.levels.iter().map(level_secs).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{time:.3}\" timestamp=\"{}\">",
            escape(&scenario.name),
            cases.len(),
            escape(&record.started_at),
        );
        out.push_str("    <properties>\n");
        for (name, value) in [
            ("run_id", record.id.as_str()),
            ("preset", record.preset.source.as_str()),
            ("base_url", scenario.base_url.as_str()),
            ("status", record.status.label()),
            ("loadscope_version", record.app_version.as_str()),
        ] {
            let _ = writeln!(out, "      <property name=\"{name}\" value=\"{}\"/>", escape(value));
        }
        out.push_str("    </properties>\n");
        for case in cases {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
                escape(&case.name),
                escape(&case.classname),
                case.time_secs
            );
            match &case.outcome {
                Outcome::Passed => out.push_str("/>\n"),
                Outcome::Failed { message, detail } => {
                    let _ = write!(
                        out,
                        ">\n      <failure message=\"{}\" type=\"TargetFailed\">{}</failure>\n    </testcase>\n",
                        escape(message),
                        escape_text(detail)
                    );
                }
                Outcome::Skipped { message } => {
                    let _ = write!(out, ">\n      <skipped message=\"{}\"/>\n    </testcase>\n", escape(message));
                }
                Outcome::Error { message } => {
                    let _ = write!(
                        out,
                        ">\n      <error message=\"{}\" type=\"RunEndedEarly\">{}</error>\n    </testcase>\n",
                        escape(message),
                        escape_text(message)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

fn cases(record: &RunRecord, scenario: &ScenarioRecord) -> Vec<Case> {
    let classname = format!("{}.{}", record.preset.name, scenario.name);
    let mut cases = Vec::new();
    if let Some(capacity) = &scenario.capacity {
        let time = scenario.levels.iter().map(level_secs).sum();
        let outcome = match (&capacity.stopped, capacity.capacity) {
            (Some(stopped), _) => Outcome::Failed {
                message: format!("capacity unknown: {}", stopped.describe()),
                detail: format!("{} steps ran; the search stopped: {}", capacity.steps.len(), stopped.describe()),
            },
            (None, Some(_)) if !capacity.done => Outcome::Error {
                message: "the search did not reach its precision (the run ended first)".into(),
            },
            (None, Some(_)) => Outcome::Passed,
            (None, None) => Outcome::Failed {
                message: "no load held every target".into(),
                detail: format!("{} steps ran; none held every target", capacity.steps.len()),
            },
        };
        let found = capacity.answer();
        cases.push(Case {
            name: format!("capacity search: {found}"),
            classname: classname.clone(),
            time_secs: time,
            outcome,
        });
        for verdict in &capacity.verdicts {
            let observed = verdict
                .observed
                .map(|load| capacity.axis.format(load))
                .unwrap_or_else(|| "none".into());
            cases.push(Case {
                name: verdict.target.clone(),
                classname: classname.clone(),
                time_secs: 0.0,
                outcome: if verdict.passed {
                    Outcome::Passed
                } else {
                    Outcome::Failed {
                        message: format!("{}: observed {observed}", verdict.target),
                        detail: format!(
                            "target: {}\nobserved: {observed}\nlimit: {}",
                            verdict.target,
                            capacity.axis.format(verdict.threshold)
                        ),
                    }
                },
            });
        }
    } else {
        for level in &scenario.levels {
            for verdict in &level.verdicts {
                cases.push(level_case(&classname, level, verdict));
            }
        }
    }
    if record.status == RunStatus::Partial {
        let why = record
            .warnings
            .first()
            .cloned()
            .unwrap_or_else(|| "a partial merge: some segments are missing or unfinished".into());
        cases.push(Case {
            name: "all segments merged".into(),
            classname: classname.clone(),
            time_secs: 0.0,
            outcome: Outcome::Error { message: why },
        });
    }
    if matches!(
        record.status,
        RunStatus::Aborted | RunStatus::Stopped | RunStatus::Interrupted | RunStatus::Running
    ) {
        let why = record
            .stop_reason
            .clone()
            .unwrap_or_else(|| format!("the run was {}", record.status.label()));
        cases.push(Case {
            name: "run finished".into(),
            classname,
            time_secs: 0.0,
            outcome: Outcome::Error {
                message: format!("{why}: levels after it were not run or checked"),
            },
        });
    }
    cases
}

fn level_case(classname: &str, level: &LevelRecord, verdict: &Verdict) -> Case {
    let task = verdict.scope_label();
    let name = format!("{}: {}{task}", level.name, verdict.target);
    let outcome = match verdict.observed {
        _ if verdict.passed => Outcome::Passed,
        None => Outcome::Skipped {
            message: format!(
                "{} at level {} to check {} on",
                verdict.nothing_measured(),
                level.name,
                verdict.target
            ),
        },
        Some(observed) => {
            let observed = verdict.metric.format_value(observed);
            let limit = verdict.metric.format_value(verdict.threshold);
            Outcome::Failed {
                message: format!(
                    "{}{task} at level {}: observed {observed}, limit {limit}",
                    verdict.target, level.name
                ),
                detail: format!(
                    "target: {}{task}\nlevel: {} ({})\nobserved: {observed}\nlimit: {limit}",
                    verdict.target, level.name, level.load
                ),
            }
        }
    };
    Case {
        name,
        classname: classname.to_string(),
        time_secs: level_secs(level),
        outcome,
    }
}

fn level_secs(level: &LevelRecord) -> f64 {
    level
        .ended_offset_secs
        .map(|ended| (ended - level.started_offset_secs).max(0.0))
        .unwrap_or(0.0)
}

/// From the first level's start to the last one's end.
fn run_secs(record: &RunRecord) -> f64 {
    let levels = || record.scenarios.iter().flat_map(|scenario| scenario.levels.iter());
    let start = levels().map(|level| level.started_offset_secs).fold(f64::INFINITY, f64::min);
    let end = levels().filter_map(|level| level.ended_offset_secs).fold(0.0, f64::max);
    if start.is_finite() { (end - start).max(0.0) } else { 0.0 }
}

/// Text for an element's content: as [`escape`], with line breaks kept as they are.
fn escape_text(text: &str) -> String {
    text.split('\n').map(escape).collect::<Vec<_>>().join("\n")
}

/// Text for an XML attribute: markup characters escaped, and characters XML 1.0
/// cannot hold (control characters but tab and newlines) replaced.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            '\r' => out.push_str("&#13;"),
            ch if (ch as u32) < 0x20 || ch == '\u{FFFE}' || ch == '\u{FFFF}' => out.push('\u{FFFD}'),
            ch => out.push(ch),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_characters_xml_cannot_hold() {
        assert_eq!(escape("p95 < 2s & \"x\"\u{1}"), "p95 &lt; 2s &amp; &quot;x&quot;\u{FFFD}");
        assert_eq!(escape("a\nb"), "a&#10;b");
        assert_eq!(escape_text("a <b>\nc"), "a &lt;b&gt;\nc");
    }
}
