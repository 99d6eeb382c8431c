//! The short texts every report format and face says the same way: a verdict's word, the
//! monitors' line, where a finding is, the peak throughput line.

use crate::run::{Finding, RunRecord};

/// Said when no finding showed.
pub(crate) const NO_FINDINGS: &str = "None of the bottleneck indicators showed (error rate rising with users, latency knee, GPU memory near full, connection errors or timeouts appearing, cascading failure, no recovery, saturated load generator, late starts).";

/// `PASS`, `FAIL` or `no verdict`.
pub(crate) fn verdict_word(passed: Option<bool>) -> &'static str {
    match passed {
        Some(true) => "PASS",
        Some(false) => "FAIL",
        None => "no verdict",
    }
}

/// `GPU unavailable: ...; containers off; host ...; Prometheus off`.
pub(crate) fn monitors_line(monitors: &crate::monitor::MonitorStatus) -> String {
    format!(
        "GPU {}; containers {}; host {}; Prometheus {}",
        monitors.gpu.describe(),
        monitors.containers.describe(),
        monitors.host.describe(),
        monitors.prometheus.describe()
    )
}

/// `Gateway / Level 3`, or the scenario alone.
pub(crate) fn finding_place(finding: &Finding) -> String {
    match &finding.level_name {
        Some(level) => format!("{} / {level}", finding.scenario),
        None => finding.scenario.clone(),
    }
}

/// `48.6 req/s at Level 2 (12 users)`, or why there is none.
pub(crate) fn peak_line(run: &RunRecord) -> String {
    match crate::analysis::headline::headline(run).peak_rps_within_targets {
        Some((rps, label)) => format!("{} at {label}", crate::format::req_rate(rps)),
        None => "no level held all its targets".into(),
    }
}

/// Who measured the run: the load generator's host and Loadscope's version, or the tool an
/// imported run came from.
pub(crate) fn generator_line(run: &crate::run::RunRecord) -> String {
    match &run.imported {
        Some(imported) => format!(
            "{} (imported from {}; Loadscope did not measure this run)",
            imported.tool,
            imported.files.join(", ")
        ),
        None => format!(
            "{} ({} {}, {} CPUs), Loadscope {}",
            run.host.hostname, run.host.os, run.host.arch, run.host.cpus, run.app_version
        ),
    }
}

/// `Connections: 3 requests went on a new connection (...); 2 idempotent requests were sent
/// again (...)`, or None when every request went once on the connection it found.
pub fn resends(level: &crate::run::LevelRecord) -> Option<String> {
    let mut parts = Vec::new();
    if level.reconnects > 0 {
        parts.push(format!(
            "{} requests went on a new connection (the kept-alive one was closed before sending)",
            level.reconnects
        ));
    }
    if level.retries > 0 {
        parts.push(format!(
            "{} idempotent requests were sent again after the server closed without replying (timed from the first send)",
            level.retries
        ));
    }
    (!parts.is_empty()).then(|| format!("Connections: {}", parts.join("; ")))
}

/// `Cancelled: 12 requests were stopped by their users (...)`, or None when no user cancelled.
pub fn cancelled(stats: &crate::run::TaskStats) -> Option<String> {
    (stats.cancelled > 0).then(|| {
        format!(
            "Cancelled: {} of {} requests were stopped by their users part way (cancel_after): not failures and not in the latency columns; their time to first token and tokens so far are counted",
            stats.cancelled, stats.requests
        )
    })
}

/// Where a capacity search stands, for the live view's top bar: `capacity search: step 5 (32
/// users) failed, now bisecting; Step 6 warm-up at 24 users` (the default fonts have no arrow), and once it is done its answer:
/// `capacity: 24 users`. `now` is the level running (its name and load), if any.
pub(crate) fn search_state(capacity: &crate::run::CapacityRecord, now: Option<(&str, crate::measure::LoadModel)>) -> String {
    if capacity.done || capacity.stopped.is_some() {
        return format!("capacity: {}", capacity.answer());
    }
    let axis = capacity.axis;
    let mut parts = Vec::new();
    if let Some(last) = capacity.steps.last() {
        let any_held = capacity.steps.iter().any(|step| step.held);
        let any_failed = capacity.steps.iter().any(|step| !step.held);
        let next = match (any_held, any_failed) {
            (true, true) => "bisecting",
            (false, _) => "stepping down",
            (true, false) => "growing",
        };
        parts.push(format!(
            "step {} ({}) {}, now {next}",
            capacity.steps.len(),
            axis.format(last.load),
            if last.held { "held" } else { "failed" }
        ));
    }
    if let Some((name, load)) = now {
        parts.push(format!("{name} at {}", axis.format(load.intensity())));
    }
    format!("capacity search: {}", parts.join("; "))
}
