//! `[scenario.capacity]`: a search for the highest load at which every target holds, in place
//! of fixed levels.

use std::time::Duration;

use super::Context;
use crate::measure::capacity::{CapacityAxis, SearchRule};
use crate::preset::compiled::{CompiledCapacity, DEFAULT_MAX_IN_FLIGHT, MAX_USERS};
use crate::preset::model::Scenario;

/// The default warm-up before each step's measurement.
const DEFAULT_WARMUP: Duration = Duration::from_secs(5);

pub(super) fn compile(ctx: &mut Context<'_>, scenario: &Scenario, label: &str) -> Option<CompiledCapacity> {
    let spanned = scenario.capacity.as_ref()?;
    let spec = spanned.get_ref();
    let refuse = |ctx: &mut Context<'_>, why: String| ctx.push_at(spanned, format!("{label}: capacity {why}"));
    if !scenario.levels.is_empty() {
        refuse(
            ctx,
            "replaces fixed levels: remove the [[scenario.level]] tables, or the [scenario.capacity] table".into(),
        );
    }
    let step_targets = scenario
        .targets
        .iter()
        .filter(|target| crate::measure::TargetExpr::parse(target.get_ref().expr.get_ref()).map_or(true, |expr| !expr.metric.is_capacity()))
        .count();
    if step_targets == 0 {
        refuse(
            ctx,
            "searches for the highest load at which every target holds, and the scenario has no target; add one (e.g. expr = \"p95 < 2s\")"
                .into(),
        );
    }
    for target in &scenario.targets {
        if let Some(level) = &target.get_ref().level {
            ctx.push_at(
                level,
                format!("{label}: a capacity search checks every target at every step; remove level from the target"),
            );
        }
    }
    let axis = match spec.over.as_str() {
        "users" => CapacityAxis::Users,
        "rate" => CapacityAxis::Rate,
        other => {
            refuse(
                ctx,
                format!("over = {other:?} is not \"users\" (closed model) or \"rate\" (open model)"),
            );
            return None;
        }
    };
    let limit = match axis {
        CapacityAxis::Users => f64::from(MAX_USERS),
        CapacityAxis::Rate => f64::MAX,
    };
    if !(spec.start.is_finite() && spec.start > 0.0 && spec.max.is_finite() && spec.max >= spec.start && spec.max <= limit) {
        refuse(
            ctx,
            format!(
                "start {} and max {} must be positive with start at most max{}",
                spec.start,
                spec.max,
                if axis == CapacityAxis::Users {
                    format!(" (and at most {MAX_USERS} users)")
                } else {
                    String::new()
                }
            ),
        );
    }
    let growth = spec.growth.unwrap_or(2.0);
    if !(growth.is_finite() && growth > 1.0) {
        refuse(ctx, format!("growth {growth} must be above 1 (2 doubles the load each step)"));
    }
    let precision = match spec.precision.as_deref() {
        None => 0.10,
        Some(text) => match crate::measure::capacity::parse_precision(text) {
            Some(precision) => precision,
            None => {
                refuse(
                    ctx,
                    format!("precision {text:?} must be a percentage between 0% and 100%, e.g. \"5%\""),
                );
                0.10
            }
        },
    };
    if spec.step.0.is_zero() {
        refuse(ctx, "step must be longer than 0s (how long each step is measured)".into());
    }
    match axis {
        CapacityAxis::Users if spec.max_in_flight.is_some() => {
            refuse(ctx, "max_in_flight applies to over = \"rate\", not users".into());
        }
        CapacityAxis::Rate if spec.spawn_rate.is_some() => {
            refuse(ctx, "spawn_rate applies to over = \"users\", not rate".into());
        }
        _ => {}
    }
    if let Some(rate) = spec.spawn_rate
        && !(rate.is_finite() && rate > 0.0)
    {
        refuse(ctx, format!("spawn_rate {rate} must be a positive number of users per second"));
    }
    Some(CompiledCapacity {
        rule: SearchRule {
            axis,
            start: spec.start,
            max: spec.max,
            growth,
            precision,
        },
        step: spec.step.0,
        warmup: spec.warmup.map(|warmup| warmup.0).unwrap_or(DEFAULT_WARMUP),
        spawn_rate: spec.spawn_rate,
        max_in_flight: spec.max_in_flight.unwrap_or(DEFAULT_MAX_IN_FLIGHT).max(1),
    })
}
