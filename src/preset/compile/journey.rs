//! `[[scenario.journey]]`: each step is compiled as a task (a row `journey / step` of the
//! scenario's tasks, weight 0, so it runs only in its journey); here the journey's own fields,
//! the steps' `save` and `optional`, and the rule that a step's templates may use only what an
//! earlier step saved.

use std::collections::HashSet;

use super::Context;
use super::task;
use super::task_input::TaskInput;
use crate::preset::compiled::{CompiledJourney, CompiledStep, CompiledTask, SaveFrom};
use crate::preset::model::{Scenario, Task, TaskKind};

/// Every journey of the scenario; their steps are appended to `tasks`.
pub(super) fn compile_all(
    ctx: &mut Context<'_>,
    scenario: &Scenario,
    scenario_label: &str,
    tasks: &mut Vec<CompiledTask>,
) -> Vec<CompiledJourney> {
    let mut names = HashSet::new();
    let task_names: HashSet<&str> = scenario.tasks.iter().map(|task| task.get_ref().name.as_str()).collect();
    let mut journeys = Vec::new();
    for spanned in &scenario.journeys {
        let journey = spanned.get_ref();
        let label = format!("journey {:?}", journey.name);
        if !names.insert(journey.name.clone()) {
            ctx.push_at(spanned, format!("{label}: the name is used twice in {scenario_label}"));
        }
        if task_names.contains(journey.name.as_str()) {
            ctx.push_at(
                spanned,
                format!("{label}: a task of {scenario_label} has the same name; rename one (targets name either)"),
            );
        }
        if journey.steps.is_empty() {
            ctx.push_at(
                spanned,
                format!("{label} has no steps: add [[scenario.journey.step]] tables (http, chat or mcp requests, in order)"),
            );
        }
        let mut step_names = HashSet::new();
        let mut saved: Vec<String> = Vec::new();
        let mut steps = Vec::new();
        for step in &journey.steps {
            let written = step.get_ref();
            let input = TaskInput {
                index: tasks.len(),
                task: written,
                label: format!("{label} step {:?}", written.name),
                span: step.span(),
                step: true,
            };
            if !step_names.insert(written.name.clone()) {
                input.refuse(ctx, "the name is used twice in the journey");
            }
            let mut compiled = ctx.with_names(&saved, |ctx| task::compile(ctx, &input));
            compiled.name = format!("{} / {}", journey.name, written.name);
            compiled.weight = 0;
            let save = compile_save(ctx, &input, written);
            saved.extend(save.iter().map(|(name, _)| format!("journey.{name}")));
            steps.push(CompiledStep {
                task: tasks.len(),
                optional: written.optional.unwrap_or(false),
                save,
            });
            tasks.push(compiled);
        }
        journeys.push(CompiledJourney {
            name: journey.name.clone(),
            weight: journey.weight,
            think_time: journey.think_time,
            steps,
        });
    }
    journeys
}

/// A step's `save`: `"text"` (a chat reply's text, an MCP call's text content) or a JSON
/// pointer into the reply.
fn compile_save(ctx: &mut Context<'_>, input: &TaskInput<'_>, step: &Task) -> Vec<(String, SaveFrom)> {
    let mut save = Vec::new();
    for (name, from) in &step.save {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            input.refuse(
                ctx,
                format!("save name {name:?} must be letters, digits and _ (templates use it as journey.{name})"),
            );
            continue;
        }
        let streamed = step.kind == TaskKind::Chat && step.stream.unwrap_or(false);
        let source = match from.as_str() {
            "text" if step.kind == TaskKind::Http => {
                input.refuse(
                    ctx,
                    format!("save {name} = \"text\" is for chat and MCP replies; point into the JSON reply with \"/field\""),
                );
                continue;
            }
            "text" => SaveFrom::Text,
            pointer if pointer.starts_with('/') && streamed => {
                input.refuse(
                    ctx,
                    format!("save {name} = {pointer:?}: a streamed chat reply has no JSON body to point into; write save = {{ {name} = \"text\" }}"),
                );
                continue;
            }
            pointer if pointer.starts_with('/') || pointer.is_empty() => SaveFrom::Pointer(pointer.to_string()),
            other => {
                input.refuse(
                    ctx,
                    format!("save {name} = {other:?} is neither \"text\" nor a JSON pointer (RFC 6901, e.g. \"/results/0/text\")"),
                );
                continue;
            }
        };
        save.push((name.clone(), source));
    }
    save
}
