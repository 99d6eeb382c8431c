//! The MCP fields of a task (`tool`, `arguments`, `expect`): required on MCP tasks, refused on
//! others. Each string in the arguments may be a template, rendered per call.

use toml::Spanned;

use super::Context;
use super::task_input::TaskInput;
use crate::preset::compiled::{McpCall, TextSource};
use crate::preset::model::TaskKind;

pub(super) fn compile(ctx: &mut Context<'_>, input: &TaskInput<'_>) -> Option<McpCall> {
    let task = input.task;
    if task.kind != TaskKind::Mcp {
        let fields = [
            ("tool", task.tool.is_some()),
            ("arguments", task.arguments.is_some()),
            ("expect", task.expect.is_some()),
        ];
        input.refuse_fields(ctx, &fields, "MCP", "mcp");
        return None;
    }
    if task.body.is_some() {
        input.refuse(ctx, "MCP tasks build their JSON-RPC body from tool and arguments; remove body");
    }
    let expect_error = match task.expect.as_deref() {
        None => false,
        Some("error") => true,
        Some(other) => {
            input.refuse(
                ctx,
                format!("expect = {other:?} is not known (write expect = \"error\" for calls the server must refuse)"),
            );
            false
        }
    };
    let Some(tool) = task.tool.clone() else {
        input.refuse(ctx, "MCP tasks need a tool (e.g. tool = \"echo\")");
        return None;
    };
    let mut arguments = match task.arguments.as_ref().map(serde_json::to_value) {
        None => serde_json::json!({}),
        Some(Ok(value)) => value,
        Some(Err(err)) => {
            input.refuse(ctx, format!("arguments cannot be sent as JSON: {err}"));
            serde_json::json!({})
        }
    };
    let mut templated = Vec::new();
    let mut leaves = Vec::new();
    collect_string_leaves(&arguments, String::new(), &mut leaves);
    for (number, (pointer, text)) in leaves.into_iter().enumerate() {
        let spanned = Spanned::new(input.span.clone(), text);
        let name = format!("task{}.argument{number}", input.index);
        if let TextSource::Template(name) = ctx.text(name, &spanned, &input.label, "argument") {
            templated.push((pointer, name));
        }
    }
    if !arguments.is_object() {
        arguments = serde_json::json!({});
    }
    Some(McpCall {
        tool,
        arguments,
        templated,
        expect_error,
    })
}

/// (JSON pointer, text) of every string in a JSON value.
fn collect_string_leaves(value: &serde_json::Value, pointer: String, out: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::String(text) => out.push((pointer, text.clone())),
        serde_json::Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                collect_string_leaves(item, format!("{pointer}/{index}"), out);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                collect_string_leaves(item, format!("{pointer}/{escaped}"), out);
            }
        }
        _ => {}
    }
}
