//! One `[[scenario]]`: its pools here, then each part by its own file, in the order a later
//! part may refer to an earlier one: services, tasks, journeys, levels, setup, failure classes,
//! targets.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Context, capacity, journey, level, objectives, services, setup, targets, task, trace};
use crate::preset::compiled::CompiledScenario;
use crate::preset::model::Scenario;
use crate::preset::pools::load_pools;
use crate::preset::template;

pub(super) fn compile(ctx: &mut Context<'_>, scenario: &Scenario) -> Option<CompiledScenario> {
    let before = ctx.mistakes();
    let name = scenario.name.get_ref().clone();
    let label = format!("scenario {name:?}");
    let services = services::compile_all(ctx, scenario, &label);

    let pools = match load_pools(scenario, ctx.loaded.source.base_dir.as_deref()) {
        Ok(pools) => pools,
        Err((pool, why)) => {
            let span = scenario.pools.get(&pool).map(|spec| spec.span());
            ctx.push(span, why);
            BTreeMap::new()
        }
    };
    // Dotted names templates may use: pool.NAME and setup.NAME.
    let template_names: Vec<String> = scenario
        .pools
        .keys()
        .map(|pool| format!("pool.{pool}"))
        .chain(
            scenario
                .setup
                .iter()
                .flat_map(|step| step.get_ref().save.keys().map(|name| format!("setup.{name}"))),
        )
        .collect();
    ctx.begin_scenario(template_names, services::names(scenario));

    let mut tasks = task::compile_all(ctx, scenario, &label);
    let journeys = journey::compile_all(ctx, scenario, &label, &mut tasks);
    task::add_tool_call_rows(&mut tasks);
    let mut levels = Vec::new();
    if scenario.levels.is_empty() && scenario.capacity.is_none() && scenario.trace.is_none() {
        ctx.push_at(
            &scenario.name,
            format!(
                "{label} has no levels: add a [[scenario.level]] table (or a [scenario.capacity] search, or a [scenario.trace] replay)"
            ),
        );
    }
    let trace = trace::compile(ctx, scenario, &label, &mut tasks).map(|(trace, level)| {
        levels.push(level);
        trace
    });
    let capacity = capacity::compile(ctx, scenario, &label);
    for (index, spec) in scenario.levels.iter().enumerate() {
        match level::compile(index, spec.get_ref()) {
            Ok(compiled) => {
                // A journey is several requests and a trace sets its own: a count of requests
                // cannot say where either ends.
                if compiled.requests.is_some() && (!scenario.journeys.is_empty() || scenario.trace.is_some()) {
                    ctx.push_at(
                        spec,
                        format!(
                            "{label} level {}: requests counts single requests, and this scenario runs journeys or a trace; give the level a duration instead",
                            index + 1
                        ),
                    );
                }
                levels.push(compiled);
            }
            Err(why) => ctx.push_at(spec, format!("{label} level {}: {why}", index + 1)),
        }
    }
    let setup = setup::compile_all(ctx, scenario);
    let failure_classes = targets::compile_failure_classes(ctx, scenario);
    let objectives = objectives::compile(ctx, scenario, &tasks, &label);
    let named = targets::Named {
        label: &label,
        levels: &levels,
        tasks: &tasks,
        journeys: &journeys,
        failure_classes: &failure_classes,
        objectives: objectives.as_ref(),
    };
    let targets = targets::compile_all(ctx, scenario, &named);
    let templates = ctx.take_templates();

    if ctx.mistakes() > before {
        return None;
    }
    let services = services.into_iter().collect::<Option<Vec<_>>>()?;
    Some(CompiledScenario {
        name,
        services,
        think_time: scenario.think_time,
        timeout: scenario.timeout.0,
        pools: template::pools_value(&pools),
        templates: Arc::new(templates),
        tasks,
        journeys,
        levels,
        targets,
        mcp: scenario.mcp.clone().unwrap_or_default(),
        failure_classes,
        setup,
        baseline: None,
        objectives,
        capacity,
        trace,
    })
}
