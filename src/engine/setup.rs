//! Setup steps: requests run once before a scenario's first level (create a collection, log
//! in), not counted in the run. Values saved from their JSON replies become `setup.NAME` in
//! every template of the scenario.

use std::collections::BTreeMap;
use std::time::Instant;

use super::plan::RunPlan;
use super::preflight::{HealthReport, PreflightCheck};
use super::protocols::http;

/// Runs every scenario's setup steps in order. Err holds the reports, the failed one last.
pub(crate) async fn run(plan: &RunPlan) -> Result<Vec<HealthReport>, Vec<HealthReport>> {
    let mut reports = Vec::new();
    for scenario in &plan.scenarios {
        let mut saved: BTreeMap<String, serde_json::Value> = BTreeMap::new();
        scenario.set_setup_values(&saved);
        // One connection per service: a kept-alive connection goes back to its own origin only.
        let mut slots: Vec<Option<http::Connection>> = scenario.compiled.services.iter().map(|_| None).collect();
        for (index, step) in scenario.compiled.setup.iter().enumerate() {
            let started = Instant::now();
            let target = match &step.path {
                crate::preset::compiled::TextSource::Literal(path) => path.clone(),
                crate::preset::compiled::TextSource::Template(_) => "(templated path)".into(),
            };
            let mut report = HealthReport {
                scenario: format!("{} setup {:?}", scenario.compiled.name, step.name),
                check: PreflightCheck::Setup,
                url: format!("{} {}", step.method, scenario.compiled.services[step.service].base.url(&target)),
                expected_status: 200,
                status: None,
                error: None,
                start_hint: None,
                elapsed_micros: 0,
                body_start: None,
                refused: false,
            };
            let outcome = async {
                let request = scenario.setup_request(index).map_err(|err| err.to_string())?;
                let exchange = http::exchange(
                    &scenario.endpoints[step.service],
                    &mut slots[step.service],
                    &request,
                    false,
                    Some(crate::preset::compiled::DEFAULT_MAX_BODY_BYTES),
                    scenario.compiled.timeout,
                    &mut |_, _| {},
                )
                .await;
                let response = exchange.result.map_err(|failure| failure.message)?;
                report.status = Some(response.status);
                let accepted = match &step.expect_status {
                    Some(expected) => expected.accepts(response.status),
                    None => (200..300).contains(&response.status),
                };
                let body = response.body.unwrap_or_default();
                if !accepted {
                    let snippet = scenario.secrets.redact_and_cut(&String::from_utf8_lossy(&body), 200);
                    return Err(format!("HTTP {}: {snippet}", response.status));
                }
                if !step.save.is_empty() {
                    let json: serde_json::Value = serde_json::from_slice(&body)
                        .map_err(|err| format!("reply is not JSON, so nothing can be saved from it: {err}"))?;
                    for (name, pointer) in &step.save {
                        let value = json
                            .pointer(pointer)
                            .ok_or_else(|| format!("reply has nothing at {pointer} to save as setup.{name}"))?;
                        saved.insert(name.clone(), value.clone());
                    }
                    scenario.set_setup_values(&saved);
                }
                Ok::<(), String>(())
            }
            .await;
            report.elapsed_micros = started.elapsed().as_micros() as u64;
            let failed = outcome.is_err();
            report.error = outcome.err().map(|error| scenario.secrets.redact(&error).into_owned());
            reports.push(report);
            if failed {
                return Err(reports);
            }
        }
    }
    Ok(reports)
}
