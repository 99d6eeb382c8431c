//! `[scenario.objectives]`: the limits one request must meet to count toward goodput. Token
//! objectives need a chat task to read; ITL needs a streamed one.

use super::Context;
use crate::measure::objectives::{ItlWithin, Objectives};
use crate::preset::compiled::CompiledTask;
use crate::preset::model::Scenario;

pub(super) fn compile(ctx: &mut Context<'_>, scenario: &Scenario, tasks: &[CompiledTask], label: &str) -> Option<Objectives> {
    let spanned = scenario.objectives.as_ref()?;
    let spec = spanned.get_ref();
    let micros = |duration: Option<crate::measure::duration::HumanDuration>| duration.map(|d| d.0.as_micros() as u64);
    let itl_within = match spec.itl_within.as_deref() {
        None => ItlWithin::Mean,
        Some(name) => ItlWithin::from_name(name).unwrap_or_else(|| {
            let known: Vec<&str> = ItlWithin::ALL.iter().map(|within| within.name()).collect();
            ctx.push_at(
                spanned,
                format!("{label}: objectives itl_within {name:?} is not one of {}", known.join(", ")),
            );
            ItlWithin::Mean
        }),
    };
    let objectives = Objectives {
        ttft_micros: micros(spec.ttft),
        itl_micros: micros(spec.itl),
        itl_within,
        latency_micros: micros(spec.latency),
        output_tokens_per_sec: spec.output_tokens_per_sec,
    };
    if !objectives.any() {
        ctx.push_at(
            spanned,
            format!("{label}: [scenario.objectives] sets no objective; give at least one of ttft, itl, latency, output_tokens_per_sec"),
        );
        return None;
    }
    for (name, limit) in [
        ("ttft", objectives.ttft_micros),
        ("itl", objectives.itl_micros),
        ("latency", objectives.latency_micros),
    ] {
        if limit == Some(0) {
            ctx.push_at(
                spanned,
                format!("{label}: objective {name} is zero, which no request meets; write a limit such as \"500ms\""),
            );
        }
    }
    if let Some(floor) = objectives.output_tokens_per_sec
        && !(floor.is_finite() && floor > 0.0)
    {
        ctx.push_at(
            spanned,
            format!("{label}: objective output_tokens_per_sec is {floor}; write a positive number of tokens per second"),
        );
    }
    if spec.itl_within.is_some() && objectives.itl_micros.is_none() {
        ctx.push_at(
            spanned,
            format!("{label}: objectives itl_within is set without itl; add itl = \"50ms\" or remove it"),
        );
    }
    let chat_tasks = tasks.iter().filter(|task| task.chat.is_some()).count();
    let streamed_tasks = tasks
        .iter()
        .filter(|task| task.chat.as_ref().is_some_and(|chat| chat.stream))
        .count();
    if objectives.needs_chat() && chat_tasks == 0 {
        ctx.push_at(
            spanned,
            format!(
                "{label}: objectives ttft, itl and output_tokens_per_sec measure chat replies, but the scenario has no chat task; keep latency alone or add a chat task"
            ),
        );
    } else if objectives.itl_micros.is_some() && streamed_tasks == 0 {
        ctx.push_at(
            spanned,
            format!("{label}: objective itl needs streamed replies (no chat task has stream = true); stream a chat task or remove itl"),
        );
    }
    Some(objectives)
}
