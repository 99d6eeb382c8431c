//! `[[scenario.task]]`: what every task kind shares (name, weight, method, path, body, headers,
//! checks, body limit); the chat and MCP fields are checked in `chat.rs` and `mcp.rs`.

use std::collections::HashSet;

use hyper::http::Method;

use super::task_input::TaskInput;
use super::{Context, chat, mcp, services};
use crate::preset::compiled::{
    CHAT_COMPLETIONS_PATH, CheckRule, CompiledTask, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_TOOL_ROUNDS, MCP_PATH, TextSource, ToolLoop,
};
use crate::preset::model::{Check, Scenario, TaskKind};

/// Every task of the scenario.
pub(super) fn compile_all(ctx: &mut Context<'_>, scenario: &Scenario, scenario_label: &str) -> Vec<CompiledTask> {
    if scenario.tasks.is_empty() && scenario.journeys.is_empty() && scenario.trace.is_none() {
        ctx.push_at(
            &scenario.name,
            format!("{scenario_label} has no tasks: add a [[scenario.task]] table (or a [[scenario.journey]])"),
        );
    }
    let mut names = HashSet::new();
    let mut tasks = Vec::new();
    for (index, spanned) in scenario.tasks.iter().enumerate() {
        let input = TaskInput {
            index,
            task: spanned.get_ref(),
            label: format!("task {:?}", spanned.get_ref().name),
            span: spanned.span(),
            step: false,
        };
        if !names.insert(input.task.name.clone()) {
            input.refuse(ctx, format!("the name is used twice in {scenario_label}"));
        }
        tasks.push(compile(ctx, &input));
    }
    let journey_weight: u32 = scenario.journeys.iter().map(|journey| journey.get_ref().weight).sum();
    if !tasks.is_empty() && tasks.iter().all(|task| task.weight == 0) && journey_weight == 0 {
        ctx.push_at(
            &scenario.name,
            format!("{scenario_label}: every task has weight 0; give one a positive weight"),
        );
    }
    tasks
}

/// One task or journey step (`input.step`), as row `input.index` of the scenario's tasks.
pub(super) fn compile(ctx: &mut Context<'_>, input: &TaskInput<'_>) -> CompiledTask {
    let TaskInput {
        index, task, label, span, ..
    } = input;
    let service = services::of_task(ctx, input);
    let tools = compile_tools(ctx, input);
    if !input.step {
        let step_fields = [("save", !task.save.is_empty()), ("optional", task.optional.is_some())];
        for (field, present) in step_fields {
            if present {
                input.refuse(
                    ctx,
                    format!("{field} belongs to journey steps ([[scenario.journey.step]]); remove it"),
                );
            }
        }
    }
    let method = compile_method(ctx, input);
    let path = match (&task.path, task.kind) {
        (Some(path), _) => {
            let compiled = ctx.text(format!("task{index}.path"), path, label, "path");
            if let TextSource::Literal(text) = &compiled
                && !text.starts_with('/')
            {
                ctx.push_at(path, format!("{label}: path {text:?} must start with '/'"));
            }
            compiled
        }
        (None, TaskKind::Chat) => TextSource::Literal(CHAT_COMPLETIONS_PATH.into()),
        (None, TaskKind::Mcp) => TextSource::Literal(MCP_PATH.into()),
        (None, TaskKind::Http) => {
            input.refuse(ctx, "http tasks need a path (e.g. path = \"/health\")");
            TextSource::Literal("/".into())
        }
    };
    let body = task
        .body
        .as_ref()
        .map(|body| ctx.text(format!("task{index}.body"), body, label, "body"));
    let chat = chat::compile(ctx, input);
    let mcp = mcp::compile(ctx, input);
    if task.kind == TaskKind::Mcp && matches!(path, TextSource::Template(_)) {
        input.refuse(ctx, "an MCP endpoint path cannot be a template");
    }
    ctx.check_headers(&task.headers, Some(span.clone()), label);
    let mut checks = Vec::new();
    for check in &task.checks {
        match compile_check(check.get_ref()) {
            Ok(rule) => checks.push(rule),
            Err(why) => ctx.push_at(check, format!("{label}: {why}")),
        }
    }
    CompiledTask {
        name: task.name.clone(),
        weight: task.weight,
        service,
        tools,
        method,
        path,
        headers: task.headers.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        body,
        expect_status: task.expect_status.clone(),
        checks,
        chat,
        mcp,
        max_body_bytes: task
            .max_body_bytes
            .map(|bytes| usize::try_from(bytes).unwrap_or(usize::MAX))
            .unwrap_or(DEFAULT_MAX_BODY_BYTES),
        follow_redirects: task.follow_redirects.unwrap_or(true),
    }
}

/// `tools = "NAME"` on a chat: the MCP service whose tools are offered, and the loop's
/// limit. Its row for the calls is added once every task and step has one
/// ([`add_tool_call_rows`]).
fn compile_tools(ctx: &mut Context<'_>, input: &TaskInput<'_>) -> Option<ToolLoop> {
    let task = input.task;
    let Some(written) = &task.tools else {
        if task.max_tool_rounds.is_some() {
            input.refuse(
                ctx,
                "max_tool_rounds goes with tools = \"NAME\" (the MCP service); add tools or remove it",
            );
        }
        return None;
    };
    if task.kind != TaskKind::Chat {
        ctx.push_at(
            written,
            format!("{}: tools belong to chat requests (kind = \"chat\"); remove tools", input.label),
        );
        return None;
    }
    if task.turns.is_some() {
        input.refuse(ctx, "a chat with tools runs one turn and its tool calls; remove turns or tools");
    }
    let max_rounds = task.max_tool_rounds.unwrap_or(DEFAULT_MAX_TOOL_ROUNDS);
    if max_rounds == 0 {
        input.refuse(ctx, "max_tool_rounds must be at least 1");
    }
    let service = services::resolve(ctx, input, Some(written), "tools")?;
    Some(ToolLoop {
        service,
        calls_row: usize::MAX,
        max_rounds,
    })
}

/// Gives each chat with tools a row of its own for the tool calls it runs
/// (`NAME / tool calls`), after every task and step.
pub(super) fn add_tool_call_rows(tasks: &mut Vec<CompiledTask>) {
    for index in 0..tasks.len() {
        let Some(tools) = &tasks[index].tools else { continue };
        let row = CompiledTask {
            name: format!("{} / tool calls", tasks[index].name),
            weight: 0,
            service: tools.service,
            tools: None,
            method: Method::POST,
            path: TextSource::Literal(MCP_PATH.into()),
            headers: Vec::new(),
            body: None,
            expect_status: None,
            checks: Vec::new(),
            chat: None,
            mcp: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            follow_redirects: false,
        };
        tasks.push(row);
        let calls_row = tasks.len() - 1;
        if let Some(tools) = &mut tasks[index].tools {
            tools.calls_row = calls_row;
        }
    }
}

/// Chat and MCP tasks always POST; http tasks default to GET.
fn compile_method(ctx: &mut Context<'_>, input: &TaskInput<'_>) -> Method {
    match (input.task.kind, input.task.method.as_deref()) {
        (TaskKind::Mcp, None) => Method::POST,
        (TaskKind::Mcp, Some(method)) => {
            input.refuse(ctx, format!("MCP calls always POST; remove method {method:?}"));
            Method::POST
        }
        (TaskKind::Chat, None) => Method::POST,
        (TaskKind::Chat, Some(method)) if method.eq_ignore_ascii_case("POST") => Method::POST,
        (TaskKind::Chat, Some(method)) => {
            input.refuse(ctx, format!("chat tasks always POST; remove method {method:?}"));
            Method::POST
        }
        (TaskKind::Http, None) => Method::GET,
        (TaskKind::Http, Some(method)) => match Method::from_bytes(method.to_ascii_uppercase().as_bytes()) {
            Ok(method) => method,
            Err(_) => {
                input.refuse(ctx, format!("method {method:?} is not an HTTP method"));
                Method::GET
            }
        },
    }
}

/// Why a body check cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
enum CheckError {
    #[error("a check has both json_pointer and body_contains; split it into two checks")]
    BothKinds,
    #[error("a check needs json_pointer or body_contains")]
    NoKind,
    #[error("equals/exists go with json_pointer, not body_contains")]
    ValueOnContains,
    #[error("body_contains is empty")]
    EmptyNeedle,
    #[error("json_pointer {0:?} must start with '/' (RFC 6901, e.g. \"/choices/0\")")]
    BadPointer(String),
    #[error("a check has both equals and exists; use one")]
    EqualsAndExists,
}

fn compile_check(check: &Check) -> Result<CheckRule, CheckError> {
    match (&check.json_pointer, &check.body_contains) {
        (Some(_), Some(_)) => Err(CheckError::BothKinds),
        (None, None) => Err(CheckError::NoKind),
        (None, Some(needle)) => {
            if check.equals.is_some() || check.exists.is_some() {
                return Err(CheckError::ValueOnContains);
            }
            if needle.is_empty() {
                return Err(CheckError::EmptyNeedle);
            }
            Ok(CheckRule::BodyContains(needle.clone()))
        }
        (Some(pointer), None) => {
            if !pointer.is_empty() && !pointer.starts_with('/') {
                return Err(CheckError::BadPointer(pointer.clone()));
            }
            match (&check.equals, check.exists) {
                (Some(_), Some(_)) => Err(CheckError::EqualsAndExists),
                (Some(value), None) => Ok(CheckRule::JsonEquals(pointer.clone(), value.clone())),
                (None, Some(false)) => Ok(CheckRule::JsonAbsent(pointer.clone())),
                (None, _) => Ok(CheckRule::JsonExists(pointer.clone())),
            }
        }
    }
}
