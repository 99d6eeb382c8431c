//! `[[scenario.task]]`: what every task kind shares (name, weight, method, path, body, headers,
//! checks, body limit); the chat and MCP fields are checked in `chat.rs` and `mcp.rs`.

use std::collections::HashSet;

use hyper::http::Method;

use super::task_input::TaskInput;
use super::{Context, chat, mcp};
use crate::preset::compiled::{CHAT_COMPLETIONS_PATH, CheckRule, CompiledTask, DEFAULT_MAX_BODY_BYTES, MCP_PATH, TextSource};
use crate::preset::model::{Check, Scenario, TaskKind};

/// Every task of the scenario.
pub(super) fn compile_all(ctx: &mut Context<'_>, scenario: &Scenario, scenario_label: &str) -> Vec<CompiledTask> {
    if scenario.tasks.is_empty() {
        ctx.push_at(
            &scenario.name,
            format!("{scenario_label} has no tasks: add a [[scenario.task]] table"),
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
        };
        if !names.insert(input.task.name.clone()) {
            input.refuse(ctx, format!("the name is used twice in {scenario_label}"));
        }
        tasks.push(compile(ctx, &input));
    }
    if !tasks.is_empty() && tasks.iter().all(|task| task.weight == 0) {
        ctx.push_at(
            &scenario.name,
            format!("{scenario_label}: every task has weight 0; give one a positive weight"),
        );
    }
    tasks
}

fn compile(ctx: &mut Context<'_>, input: &TaskInput<'_>) -> CompiledTask {
    let TaskInput { index, task, label, span } = input;
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
