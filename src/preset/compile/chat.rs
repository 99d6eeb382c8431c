//! The chat fields of a task (`model`, `messages`, `stream`...): required on chat tasks,
//! refused on others.

use toml::Spanned;

use super::Context;
use super::task_input::TaskInput;
use crate::preset::compiled::{CancelRule, ChatSpec, CompiledDataset, CompiledSynthetic, DEFAULT_MAX_HISTORY_TOKENS};
use crate::preset::dataset::{self, DatasetFormat};
use crate::preset::model::{DatasetSpec, SyntheticSpec, TaskKind, TokenCountSpec};
use crate::tokens::{TokenDist, Tokenizer};

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
        ("synthetic", task.synthetic.is_some()),
        ("dataset", task.dataset.is_some()),
        ("tokenizer", task.tokenizer.is_some()),
        ("turns", task.turns.is_some()),
        ("max_history_tokens", task.max_history_tokens.is_some()),
        ("cancel_after", task.cancel_after.is_some()),
        ("cancel_after_tokens", task.cancel_after_tokens.is_some()),
        ("cancel_share", task.cancel_share.is_some()),
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
    if task.messages.is_empty() && task.synthetic.is_none() && task.dataset.is_none() {
        input.refuse(
            ctx,
            "chat tasks need messages, e.g. messages = [{ role = \"user\", content = \"{{ pool.prompts | random }}\" }], synthetic prompts ([scenario.task.synthetic] with prompt_tokens) or a dataset ([scenario.task.dataset] with file)",
        );
        return None;
    }
    if task.synthetic.is_some() && task.dataset.is_some() {
        input.refuse(ctx, "has both synthetic prompts and a dataset; keep one");
    }
    let tokenizer = match task.tokenizer.as_deref() {
        None => Tokenizer::default(),
        Some(name) => Tokenizer::from_name(name).unwrap_or_else(|| {
            let known: Vec<&str> = Tokenizer::ALL.iter().map(|tokenizer| tokenizer.name()).collect();
            input.refuse(ctx, format!("tokenizer {name:?} is not shipped (shipped: {})", known.join(", ")));
            Tokenizer::default()
        }),
    };
    let synthetic = task.synthetic.as_ref().and_then(|spec| compile_synthetic(ctx, input, spec));
    let dataset = task.dataset.as_ref().and_then(|spec| compile_dataset(ctx, input, spec, tokenizer));
    let turns = match task.turns.as_ref().map(|spec| count_dist(spec, "turns")) {
        None => None,
        Some(Ok(dist)) => Some(dist),
        Some(Err(why)) => {
            input.refuse(ctx, format!("turns: {why}"));
            None
        }
    };
    if turns.is_some() && task.synthetic.is_none() && task.dataset.is_none() && !task.messages.iter().any(|message| message.role == "user")
    {
        input.refuse(
            ctx,
            "turns needs a next user message each turn: a user message (its template renders anew each turn), synthetic prompts or a dataset",
        );
    }
    match task.max_history_tokens {
        Some(_) if turns.is_none() && task.turns.is_none() => input.refuse(
            ctx,
            "max_history_tokens caps a multi-turn conversation's history; add turns (e.g. turns = 5) or remove it",
        ),
        Some(0) => input.refuse(
            ctx,
            "max_history_tokens = 0 would send no history at all; give the most tokens of history to send again (e.g. 8000), or remove turns",
        ),
        _ => {}
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
    let cancel = compile_cancel(ctx, input);
    Some(ChatSpec {
        model,
        messages,
        max_tokens: task.max_tokens,
        temperature: task.temperature,
        stream: task.stream.unwrap_or(false),
        include_usage: task.include_usage.unwrap_or(true),
        extra,
        synthetic,
        dataset,
        turns,
        max_history_tokens: task.max_history_tokens.unwrap_or(DEFAULT_MAX_HISTORY_TOKENS),
        tokenizer,
        cancel,
    })
}

/// `cancel_after`, `cancel_after_tokens` and `cancel_share`: users who stop the reply.
fn compile_cancel(ctx: &mut Context<'_>, input: &TaskInput<'_>) -> Option<CancelRule> {
    let task = input.task;
    let after = task.cancel_after.map(|duration| duration.0);
    if after.is_none() && task.cancel_after_tokens.is_none() {
        if task.cancel_share.is_some() {
            input.refuse(
                ctx,
                "cancel_share says how many requests cancel, but not when: add cancel_after = \"800ms\" or cancel_after_tokens = 20",
            );
        }
        return None;
    }
    if after.is_some_and(|after| after.is_zero()) {
        input.refuse(ctx, "cancel_after must be longer than 0s");
    }
    if task.cancel_after_tokens == Some(0) {
        input.refuse(ctx, "cancel_after_tokens must be at least 1");
    }
    if task.cancel_after_tokens.is_some() && !task.stream.unwrap_or(false) {
        input.refuse(
            ctx,
            "cancel_after_tokens counts a stream's tokens as they arrive; set stream = true, or use cancel_after = \"800ms\"",
        );
    }
    let share = task.cancel_share.unwrap_or(1.0);
    if !(0.0..=1.0).contains(&share) || !share.is_finite() {
        input.refuse(
            ctx,
            format!("cancel_share {share} is not a share between 0 and 1 (0.1 = one request in ten)"),
        );
    }
    Some(CancelRule {
        after,
        after_tokens: task.cancel_after_tokens,
        share: share.clamp(0.0, 1.0),
    })
}

/// `[scenario.task.dataset]`: the file read (once per version), its conversations filtered by
/// their first prompt's length.
fn compile_dataset(
    ctx: &mut Context<'_>,
    input: &TaskInput<'_>,
    spec: &Spanned<DatasetSpec>,
    tokenizer: Tokenizer,
) -> Option<CompiledDataset> {
    let dataset_spec = spec.get_ref();
    let format = match dataset_spec.format.as_deref() {
        None => DatasetFormat::Jsonl,
        Some(name) => match DatasetFormat::from_name(name) {
            Some(format) => format,
            None => {
                ctx.push_at(spec, format!("{}: dataset format {name:?} is not jsonl or sharegpt", input.label));
                return None;
            }
        },
    };
    let base_dir = ctx.loaded.source.base_dir.clone();
    let dataset = match dataset::load(&dataset_spec.file, base_dir.as_deref(), format, tokenizer) {
        Ok(dataset) => dataset,
        Err(why) => {
            ctx.push_at(spec, format!("{}: {why}", input.label));
            return None;
        }
    };
    let min = dataset_spec.min_prompt_tokens.unwrap_or(0);
    let max = dataset_spec.max_prompt_tokens.unwrap_or(u64::MAX);
    // Without a length filter every conversation is kept, shared with the read file and
    // counted only when sent; a filter counts every prompt now.
    let filtered = dataset_spec.min_prompt_tokens.is_some() || dataset_spec.max_prompt_tokens.is_some();
    let kept: std::sync::Arc<Vec<_>> = if filtered {
        dataset::count_prompts(&dataset, &dataset_spec.file);
        std::sync::Arc::new(
            dataset
                .conversations
                .iter()
                .filter(|conversation| (min..=max).contains(&conversation.first_prompt_tokens()))
                .cloned()
                .collect(),
        )
    } else {
        dataset.conversations.clone()
    };
    if kept.is_empty() {
        let shortest = dataset.conversations.iter().map(|c| c.first_prompt_tokens()).min().unwrap_or(0);
        let longest = dataset.conversations.iter().map(|c| c.first_prompt_tokens()).max().unwrap_or(0);
        ctx.push_at(
            spec,
            format!(
                "{}: no prompt of {} is within {min} to {} tokens (its prompts are {shortest} to {longest} tokens); widen min_prompt_tokens / max_prompt_tokens",
                input.label,
                dataset_spec.file,
                if max == u64::MAX { "any".to_string() } else { max.to_string() }
            ),
        );
        return None;
    }
    Some(CompiledDataset {
        file: dataset_spec.file.clone(),
        conversations: kept,
        seed: dataset_spec.seed.unwrap_or(0),
        skipped_note: dataset.skipped_note(),
    })
}

/// `[scenario.task.synthetic]`: each length distribution checked, the prefix shorter than
/// every prompt, `max_tokens` not set twice.
fn compile_synthetic(ctx: &mut Context<'_>, input: &TaskInput<'_>, spec: &Spanned<SyntheticSpec>) -> Option<CompiledSynthetic> {
    let place = |what: &str| format!("{}: synthetic {what}", input.label);
    let refuse = |ctx: &mut Context<'_>, message: String| ctx.push_at(spec, message);
    let synthetic = spec.get_ref();
    let prompt_tokens = match count_dist(&synthetic.prompt_tokens, "tokens") {
        Ok(dist) => Some(dist),
        Err(why) => {
            refuse(ctx, format!("{}: {why}", place("prompt_tokens")));
            None
        }
    };
    let output_tokens = match synthetic.output_tokens.as_ref().map(|spec| count_dist(spec, "tokens")) {
        None => None,
        Some(Ok(dist)) => Some(dist),
        Some(Err(why)) => {
            refuse(ctx, format!("{}: {why}", place("output_tokens")));
            None
        }
    };
    let shared_prefix_tokens = synthetic.shared_prefix_tokens.unwrap_or(0);
    if let Some(dist) = &prompt_tokens
        && dist.min() <= shared_prefix_tokens
    {
        refuse(
            ctx,
            format!(
                "{} of {shared_prefix_tokens} tokens is not shorter than the shortest prompt ({} tokens); lower it or lengthen the prompts",
                place("shared_prefix_tokens"),
                dist.min()
            ),
        );
    }
    if synthetic.output_tokens.is_some() && input.task.max_tokens.is_some() {
        refuse(
            ctx,
            format!(
                "{}: max_tokens is drawn from synthetic output_tokens; remove max_tokens",
                input.label
            ),
        );
    }
    if synthetic.exact_output == Some(true) && synthetic.output_tokens.is_none() {
        refuse(ctx, format!("{} needs output_tokens (how many to produce)", place("exact_output")));
    }
    Some(CompiledSynthetic {
        prompt_tokens: prompt_tokens?,
        shared_prefix_tokens,
        output_tokens,
        exact_output: synthetic.exact_output.unwrap_or(false),
        seed: synthetic.seed.unwrap_or(0),
    })
}

/// The most tokens a synthetic prompt or reply may have.
const MAX_SYNTHETIC_TOKENS: u32 = 1_000_000;

/// A token count as written, checked: counts at least 1, ranges in order, known shapes.
/// Why a count distribution (of tokens, or of turns) cannot be drawn from; `unit` names what
/// it counts.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
enum CountError {
    #[error("{count} {unit} is outside 1 to {MAX_SYNTHETIC_TOKENS}")]
    OutOfRange { count: u32, unit: &'static str },
    #[error("min {min} is above max {max}")]
    MinAboveMax { min: u32, max: u32 },
    #[error("dist = {0:?} needs min and max")]
    NoRange(String),
    #[error("dist = \"fixed\" needs value = N")]
    FixedWithoutValue,
    #[error("dist = \"normal\" needs mean and stddev (and min, max)")]
    NormalWithoutShape,
    #[error("mean {mean} and stddev {stddev} must be numbers, stddev not negative")]
    BadNormal { mean: f64, stddev: f64 },
    #[error("bucket {count} has weight {weight}; weights are numbers from 0 up")]
    BadWeight { count: u32, weight: f64 },
    #[error("dist = \"histogram\" needs buckets = [[{unit}, weight], ...] with a positive weight")]
    NoBuckets { unit: &'static str },
    #[error("dist {0:?} is not one of fixed, uniform, normal, histogram")]
    UnknownDist(String),
}

/// A count of `unit` ("tokens", "turns") as written, checked.
fn count_dist(spec: &TokenCountSpec, unit: &'static str) -> Result<TokenDist, CountError> {
    let check = |count: u32| {
        if count == 0 || count > MAX_SYNTHETIC_TOKENS {
            Err(CountError::OutOfRange { count, unit })
        } else {
            Ok(count)
        }
    };
    let shape = match spec {
        TokenCountSpec::Fixed(count) => return check(*count).map(TokenDist::Fixed),
        TokenCountSpec::Shaped(shape) => shape,
    };
    let range = || -> Result<(u32, u32), CountError> {
        match (shape.min, shape.max) {
            (Some(min), Some(max)) if min <= max => Ok((check(min)?, check(max)?)),
            (Some(min), Some(max)) => Err(CountError::MinAboveMax { min, max }),
            _ => Err(CountError::NoRange(shape.dist.clone())),
        }
    };
    match shape.dist.as_str() {
        "fixed" => shape
            .value
            .ok_or(CountError::FixedWithoutValue)
            .and_then(check)
            .map(TokenDist::Fixed),
        "uniform" => range().map(|(min, max)| TokenDist::Uniform { min, max }),
        "normal" => {
            let (min, max) = range()?;
            let (Some(mean), Some(stddev)) = (shape.mean, shape.stddev) else {
                return Err(CountError::NormalWithoutShape);
            };
            if !(mean.is_finite() && stddev.is_finite() && stddev >= 0.0) {
                return Err(CountError::BadNormal { mean, stddev });
            }
            Ok(TokenDist::Normal { mean, stddev, min, max })
        }
        "histogram" => {
            for (count, weight) in &shape.buckets {
                check(*count)?;
                if !(weight.is_finite() && *weight >= 0.0) {
                    return Err(CountError::BadWeight {
                        count: *count,
                        weight: *weight,
                    });
                }
            }
            TokenDist::histogram(&shape.buckets).ok_or(CountError::NoBuckets { unit })
        }
        other => Err(CountError::UnknownDist(other.to_string())),
    }
}
