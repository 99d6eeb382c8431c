//! The chat fields of a task (`model`, `messages`, `stream`...): required on chat tasks,
//! refused on others.

use toml::Spanned;

use super::Context;
use super::task::TaskInput;
use crate::preset::compiled::ChatSpec;
use crate::preset::model::TaskKind;

/// Roles an OpenAI-compatible chat completion accepts.
const ROLES: [&str; 5] = ["system", "user", "assistant", "developer", "tool"];

pub(super) fn compile(ctx: &mut Context<'_>, input: &TaskInput<'_>) -> Option<ChatSpec> {
    let task = input.task;
    let chat_fields = [
        ("model", task.model.is_some()),
        ("messages", !task.messages.is_empty()),
        ("max_tokens", task.max_tokens.is_some()),
        ("temperature", task.temperature.is_some()),
        ("stream", task.stream.is_some()),
        ("include_usage", task.include_usage.is_some()),
        ("extra", task.extra.is_some()),
    ];
    if task.kind != TaskKind::Chat {
        input.refuse_fields(ctx, &chat_fields, "chat", "chat");
        return None;
    }
    if task.body.is_some() {
        input.refuse(
            ctx,
            "chat tasks build their body from model and messages; remove body (put extra fields in extra = { ... })",
        );
    }
    let Some(model) = task.model.clone() else {
        input.refuse(ctx, "chat tasks need a model (e.g. model = \"gpt-4o-mini\")");
        return None;
    };
    if task.messages.is_empty() {
        input.refuse(
            ctx,
            "chat tasks need messages, e.g. messages = [{ role = \"user\", content = \"{{ pool.prompts | random }}\" }]",
        );
        return None;
    }
    let mut messages = Vec::new();
    for (number, message) in task.messages.iter().enumerate() {
        if !ROLES.contains(&message.role.as_str()) {
            input.refuse(
                ctx,
                format!(
                    "message {} has role {:?} (expected system, user, assistant, developer or tool)",
                    number + 1,
                    message.role
                ),
            );
        }
        let spanned = Spanned::new(input.span.clone(), message.content.clone());
        let content = ctx.text(
            format!("task{}.message{number}", input.index),
            &spanned,
            &input.label,
            "message content",
        );
        messages.push((message.role.clone(), content));
    }
    let extra = match task.extra.as_ref().map(serde_json::to_value) {
        None => serde_json::Map::new(),
        Some(Ok(serde_json::Value::Object(map))) => map,
        Some(_) => {
            input.refuse(ctx, "extra must be a table of body fields");
            serde_json::Map::new()
        }
    };
    if let Some(temperature) = task.temperature
        && !(0.0..=2.0).contains(&temperature)
    {
        input.refuse(ctx, format!("temperature {temperature} is outside 0 to 2"));
    }
    Some(ChatSpec {
        model,
        messages,
        max_tokens: task.max_tokens,
        temperature: task.temperature,
        stream: task.stream.unwrap_or(false),
        include_usage: task.include_usage.unwrap_or(true),
        extra,
    })
}
