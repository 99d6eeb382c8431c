//! `[[scenario.failure_class]]` and `[[scenario.target]]`: named classes of failures, then the
//! pass/fail rules, which may name a class, a level and a task.

use std::time::Duration;

use super::Context;
use crate::measure::TargetExpr;
use crate::preset::compiled::{CompiledJourney, CompiledLevel, CompiledTarget, CompiledTask, FailureClass};
use crate::preset::model::{LevelRef, Scenario, TargetSpec};

pub(super) fn compile_failure_classes(ctx: &mut Context<'_>, scenario: &Scenario) -> Vec<FailureClass> {
    let mut failure_classes: Vec<FailureClass> = Vec::new();
    for class in &scenario.failure_classes {
        let spec = class.get_ref();
        let valid_name = !spec.name.is_empty() && spec.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_name {
            ctx.push_at(
                class,
                format!(
                    "failure class name {:?} must be letters, digits and _ (it is used in targets)",
                    spec.name
                ),
            );
        } else if TargetExpr::parse(&format!("{} == 0", spec.name)).is_ok() {
            ctx.push_at(
                class,
                format!("failure class name {:?} is a built-in metric; pick another", spec.name),
            );
        }
        if failure_classes.iter().any(|known| known.name == spec.name) {
            ctx.push_at(class, format!("failure class {:?} is defined twice", spec.name));
        }
        let matches = match spec.matches.as_deref().map(regex::Regex::new) {
            None => None,
            Some(Ok(regex)) => Some(regex),
            Some(Err(err)) => {
                ctx.push_at(class, format!("failure class {:?}: matches is not a valid regex: {err}", spec.name));
                None
            }
        };
        failure_classes.push(FailureClass {
            name: spec.name.clone(),
            status: spec.status.clone(),
            matches,
        });
    }
    failure_classes
}

/// The scenario's parts a target may refer to.
pub(super) struct Named<'p> {
    pub label: &'p str,
    pub levels: &'p [CompiledLevel],
    pub tasks: &'p [CompiledTask],
    pub journeys: &'p [CompiledJourney],
    pub failure_classes: &'p [FailureClass],
    pub objectives: Option<&'p crate::measure::Objectives>,
}

pub(super) fn compile_all(ctx: &mut Context<'_>, scenario: &Scenario, named: &Named<'_>) -> Vec<CompiledTarget> {
    let class_names: Vec<&str> = named.failure_classes.iter().map(|class| class.name.as_str()).collect();
    let mut targets = Vec::new();
    for target in &scenario.targets {
        let spec = target.get_ref();
        let expr = match TargetExpr::parse_with_classes(spec.expr.get_ref(), &class_names) {
            Ok(expr) => Some(expr),
            Err(why) => {
                ctx.push_at(&spec.expr, why.to_string());
                None
            }
        };
        let level = resolve_level(ctx, spec, named);
        let task = resolve_task(ctx, spec, named);
        let journey = expr.as_ref().and_then(|expr| {
            // SLO attainment and goodput may count one journey's journeys.
            let scoped_objectives =
                spec.journey.is_some() && matches!(expr.metric, crate::measure::Metric::SloAttainment | crate::measure::Metric::Goodput);
            resolve_journey(ctx, spec, expr.metric.is_journey() || scoped_objectives, named)
        });
        if let Some(expr) = &expr
            && expr.metric.is_chat()
        {
            check_chat_task(ctx, spec, task, named);
        }
        if let Some(expr) = &expr
            && expr.metric.is_capacity()
        {
            let wanted = if expr.metric == crate::measure::Metric::CapacityUsers {
                "users"
            } else {
                "rate"
            };
            match scenario.capacity.as_ref().map(|capacity| capacity.get_ref().over.as_str()) {
                Some(over) if over == wanted => {}
                Some(over) => ctx.push_at(
                    &spec.expr,
                    format!("target {:?} checks a search over {wanted}, but this one is over {over}; use capacity_{over}", spec.expr.get_ref()),
                ),
                None => ctx.push_at(
                    &spec.expr,
                    format!(
                        "target {:?} checks a capacity search's result, but {} runs fixed levels; add [scenario.capacity] or remove the target",
                        spec.expr.get_ref(),
                        named.label
                    ),
                ),
            }
            if spec.task.is_some() {
                ctx.push_at(
                    &spec.expr,
                    format!("target {:?} checks the whole search; remove task", spec.expr.get_ref()),
                );
            }
        }
        if let Some(expr) = &expr
            && expr.metric.needs_objectives()
            && named.objectives.is_none()
            && scenario.objectives.is_none()
        {
            ctx.push_at(
                &spec.expr,
                format!(
                    "target {:?} counts requests that meet the per-request objectives, but {} declares none; add [scenario.objectives] (e.g. ttft = \"500ms\", latency = \"5s\")",
                    spec.expr.get_ref(),
                    named.label
                ),
            );
        }
        if let Some(expr) = expr {
            targets.push(CompiledTarget {
                text: spec.expr.get_ref().clone(),
                expr,
                level,
                task,
                journey,
                abort_on_fail: spec.abort_on_fail,
                abort_delay: spec.abort_delay.map(|delay| delay.0).unwrap_or(Duration::from_secs(5)),
            });
        }
    }
    targets
}

/// `level = 2` or `level = "Peak"`: the level's index.
fn resolve_level(ctx: &mut Context<'_>, spec: &TargetSpec, named: &Named<'_>) -> Option<usize> {
    let level_ref = spec.level.as_ref()?;
    let levels = named.levels;
    let found = match level_ref.get_ref() {
        LevelRef::Number(number) => (*number >= 1 && *number <= levels.len()).then(|| number - 1),
        LevelRef::Name(wanted) => levels.iter().position(|level| &level.name == wanted),
    };
    if found.is_none() {
        let known: Vec<String> = levels
            .iter()
            .enumerate()
            .map(|(i, l)| format!("{} ({:?})", i + 1, l.name))
            .collect();
        let known = if known.is_empty() {
            "none valid".to_string()
        } else {
            known.join(", ")
        };
        ctx.push_at(
            level_ref,
            format!(
                "target level {} does not exist in {} (levels: {known})",
                level_ref.get_ref(),
                named.label
            ),
        );
    }
    found
}

/// `task = "NAME"`: the task's index.
fn resolve_task(ctx: &mut Context<'_>, spec: &TargetSpec, named: &Named<'_>) -> Option<usize> {
    let task_ref = spec.task.as_ref()?;
    let found = named.tasks.iter().position(|task| &task.name == task_ref.get_ref());
    if found.is_none() {
        let known: Vec<&str> = named.tasks.iter().map(|task| task.name.as_str()).collect();
        ctx.push_at(
            task_ref,
            format!(
                "target task {:?} does not exist in {} (tasks: {})",
                task_ref.get_ref(),
                named.label,
                known.join(", ")
            ),
        );
    }
    found
}

/// `journey = "NAME"` on a journey metric: the journey's index. A journey metric needs a
/// journey to measure, and a journey names none but a journey metric.
fn resolve_journey(ctx: &mut Context<'_>, spec: &TargetSpec, journey_metric: bool, named: &Named<'_>) -> Option<usize> {
    let expr = spec.expr.get_ref();
    let known: Vec<&str> = named.journeys.iter().map(|journey| journey.name.as_str()).collect();
    if journey_metric && spec.task.is_some() {
        ctx.push_at(
            &spec.expr,
            format!("target {expr:?} measures journeys end to end; scope it with journey = \"NAME\" instead of task"),
        );
    }
    let Some(wanted) = spec.journey.as_ref() else {
        if journey_metric && known.is_empty() {
            ctx.push_at(
                &spec.expr,
                format!(
                    "target {expr:?} measures journeys, but {} has none; add a [[scenario.journey]] or remove the target",
                    named.label
                ),
            );
        }
        return None;
    };
    if !journey_metric {
        ctx.push_at(
            wanted,
            format!(
                "target {expr:?}: journey = {:?} goes with journey metrics (journey_p95, journey_success_rate, tool_calls_per_journey, ...) and slo_attainment / goodput; for one step's requests write task = \"{} / STEP\"",
                wanted.get_ref(),
                wanted.get_ref()
            ),
        );
        return None;
    }
    let found = known.iter().position(|name| name == wanted.get_ref());
    if found.is_none() {
        ctx.push_at(
            wanted,
            format!(
                "target journey {:?} does not exist in {} (journeys: {})",
                wanted.get_ref(),
                named.label,
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            ),
        );
    }
    found
}

/// A chat metric needs a chat task to measure: the one the target names, or any in the scenario.
fn check_chat_task(ctx: &mut Context<'_>, spec: &TargetSpec, task: Option<usize>, named: &Named<'_>) {
    let tasks = named.tasks;
    let chat_tasks: Vec<&str> = tasks
        .iter()
        .filter(|task| task.chat.is_some())
        .map(|task| task.name.as_str())
        .collect();
    match task {
        Some(index) if tasks[index].chat.is_none() => ctx.push_at(
            &spec.expr,
            format!(
                "target {:?} measures chat replies, but task {:?} is not a chat task (chat tasks here: {}); name a chat task with task = \"...\"",
                spec.expr.get_ref(),
                tasks[index].name,
                if chat_tasks.is_empty() { "none".to_string() } else { chat_tasks.join(", ") }
            ),
        ),
        None if chat_tasks.is_empty() => ctx.push_at(
            &spec.expr,
            format!(
                "target {:?} measures chat replies, but {} has no chat task (kind = \"chat\"); remove the target or add a chat task",
                spec.expr.get_ref(),
                named.label
            ),
        ),
        _ => check_streamed_task(ctx, spec, task, named),
    }
}

/// Time to first token and inter-token latency exist only in streamed replies: a target on
/// them needs a streamed chat task, or it would observe nothing however many replies came.
fn check_streamed_task(ctx: &mut Context<'_>, spec: &TargetSpec, task: Option<usize>, named: &Named<'_>) {
    let Ok(expr) = TargetExpr::parse(spec.expr.get_ref()) else { return };
    if expr.metric.source() != crate::measure::metric::MetricSource::StreamedChat {
        return;
    }
    let streamed = |task: &CompiledTask| task.chat.as_ref().is_some_and(|chat| chat.stream);
    let measure = expr.metric.name().split('_').next().unwrap_or("ttft");
    let unstreamed: Vec<&str> = match task {
        Some(index) if !streamed(&named.tasks[index]) => vec![named.tasks[index].name.as_str()],
        Some(_) => return,
        None if named.tasks.iter().any(streamed) => return,
        None => named
            .tasks
            .iter()
            .filter(|task| task.chat.is_some())
            .map(|task| task.name.as_str())
            .collect(),
    };
    let tasks: Vec<String> = unstreamed.iter().map(|name| format!("{name:?}")).collect();
    ctx.push_at(
        &spec.expr,
        format!(
            "target {:?}: {measure} is measured only on streamed replies: set stream = true on task {} or use p95",
            spec.expr.get_ref(),
            tasks.join(", ")
        ),
    );
}
