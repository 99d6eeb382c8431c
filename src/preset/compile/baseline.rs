//! `baseline = { scenario = "..." }` or `{ run = "...", scenario = "..." }`: an earlier scenario
//! of this suite, or a saved run. A saved run stays a reference here (the file is read after
//! compilation, by `analysis::baseline::resolve_saved_baselines`). A `degradation` target needs a baseline.

use super::Context;
use crate::measure::{Metric, TargetExpr};
use crate::preset::compiled::{CompiledBaseline, SavedRunBaseline};
use crate::preset::model::Scenario;

pub(super) fn compile(ctx: &mut Context<'_>, scenario: &Scenario, all: &[Scenario]) -> Option<CompiledBaseline> {
    let name = scenario.name.get_ref();
    let Some(spec) = &scenario.baseline else {
        for target in &scenario.targets {
            let expr = target.get_ref().expr.get_ref();
            if TargetExpr::parse(expr).is_ok_and(|parsed| parsed.metric == Metric::Degradation) {
                ctx.push_at(
                    &target.get_ref().expr,
                    format!(
                        "target {expr:?} needs a baseline: add baseline = {{ scenario = \"<an earlier scenario>\" }} or baseline = {{ run = \"<saved run file>\" }} to scenario {name:?}"
                    ),
                );
            }
        }
        return None;
    };
    let wanted = spec.get_ref().scenario.as_deref();
    if let Some(run) = &spec.get_ref().run {
        return Some(CompiledBaseline::SavedRun(SavedRunBaseline {
            path: ctx.preset_relative(run),
            written: run.clone(),
            scenario: wanted.map(str::to_string),
            place: ctx.place(spec.span()),
        }));
    }
    let Some(wanted) = wanted else {
        ctx.push_at(
            spec,
            "baseline needs scenario = \"<an earlier scenario of this preset>\" or run = \"<saved run file>\"",
        );
        return None;
    };
    if spec.get_ref().left_out {
        return Some(CompiledBaseline::Scenario(wanted.to_string()));
    }
    let position = all.iter().position(|other| other.name.get_ref() == wanted);
    let own = all.iter().position(|other| other.name.get_ref() == name);
    match (position, own) {
        (Some(found), Some(own)) if found < own => Some(CompiledBaseline::Scenario(wanted.to_string())),
        (Some(_), _) => {
            ctx.push_at(
                spec,
                format!("baseline scenario {wanted:?} must come before {name:?} in the preset (scenarios run in order)"),
            );
            None
        }
        (None, _) => {
            let known: Vec<&str> = all.iter().map(|other| other.name.get_ref().as_str()).collect();
            ctx.push_at(
                spec,
                format!("baseline scenario {wanted:?} does not exist (scenarios: {})", known.join(", ")),
            );
            None
        }
    }
}
