//! `[scenario.trace]`: a trace file replayed at its recorded times in place of levels. The
//! file is read here (once per version), its requests become one chat task row (`trace
//! replay`), and the replay one open-model level as long as the trace (sped up), or as
//! `duration` says when it loops.

use std::time::Duration;

use hyper::http::Method;

use super::Context;
use crate::measure::LoadModel;
use crate::preset::compiled::{
    CHAT_COMPLETIONS_PATH, ChatSpec, CompiledLevel, CompiledTask, CompiledTrace, DEFAULT_BLOCK_TOKENS, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_HISTORY_TOKENS, DEFAULT_MAX_IN_FLIGHT, MAX_USERS, TextSource,
};
use crate::preset::model::Scenario;
use crate::preset::trace::{self, TraceFormat};

/// The trace's row in the scenario's tasks.
pub(crate) const TRACE_TASK: &str = "trace replay";

/// The replay: its task row (appended to `tasks`), its one level, and the trace. None, with
/// the mistakes reported, when it cannot run; None without `[scenario.trace]`.
pub(super) fn compile(
    ctx: &mut Context<'_>,
    scenario: &Scenario,
    label: &str,
    tasks: &mut Vec<CompiledTask>,
) -> Option<(CompiledTrace, CompiledLevel)> {
    let spanned = scenario.trace.as_ref()?;
    let spec = spanned.get_ref();
    let refuse = |ctx: &mut Context<'_>, why: String| ctx.push_at(spanned, format!("{label}: trace {why}"));
    if !scenario.levels.is_empty() || scenario.capacity.is_some() {
        refuse(
            ctx,
            "replays requests at their recorded times in place of levels: remove the [[scenario.level]] tables (or [scenario.capacity])"
                .into(),
        );
    }
    let Some(format) = TraceFormat::from_name(&spec.format) else {
        refuse(ctx, format!("format {:?} is not mooncake or requests", spec.format));
        return None;
    };
    let speedup = spec.speedup.unwrap_or(1.0);
    if !(speedup.is_finite() && speedup > 0.0) {
        refuse(ctx, format!("speedup {speedup} must be a positive number (2 = twice as fast)"));
    }
    let block_tokens = spec.block_tokens.unwrap_or(DEFAULT_BLOCK_TOKENS);
    if block_tokens == 0 {
        refuse(ctx, "block_tokens must be at least 1".into());
    }
    let max_in_flight = spec.max_in_flight.unwrap_or(DEFAULT_MAX_IN_FLIGHT);
    if max_in_flight == 0 || max_in_flight > MAX_USERS {
        refuse(ctx, format!("max_in_flight must be between 1 and {MAX_USERS}"));
    }
    let model = match (format, &spec.model) {
        (TraceFormat::Mooncake, Some(model)) => model.clone(),
        (TraceFormat::Mooncake, None) => {
            refuse(
                ctx,
                "needs the model each request names (model = \"...\"): a Mooncake trace has lengths, not bodies".into(),
            );
            String::new()
        }
        (TraceFormat::Requests, Some(_)) => {
            refuse(
                ctx,
                "model is for Mooncake traces; a requests trace sends each body with its own model".into(),
            );
            String::new()
        }
        (TraceFormat::Requests, None) => String::new(),
    };
    if format == TraceFormat::Requests && spec.stream.is_some() {
        refuse(
            ctx,
            "stream is for Mooncake traces; a requests trace's bodies say whether they stream".into(),
        );
    }
    let service = match &spec.service {
        None if ctx.service_names().len() > 1 => {
            refuse(
                ctx,
                format!(
                    "the scenario has several services; say which the trace goes to with service = \"NAME\" (services: {})",
                    ctx.service_names().join(", ")
                ),
            );
            0
        }
        None => 0,
        Some(name) => match ctx.service_names().iter().position(|known| known == name.get_ref()) {
            Some(index) if ctx.service_names().len() > 1 => index,
            _ => {
                let names = ctx.service_names().join(", ");
                ctx.push_at(
                    name,
                    format!(
                        "{label}: trace service = {:?} names no service of [scenario.services] ({names})",
                        name.get_ref()
                    ),
                );
                0
            }
        },
    };
    let path = spec.path.clone().unwrap_or_else(|| CHAT_COMPLETIONS_PATH.to_string());
    if !path.starts_with('/') {
        refuse(ctx, format!("path {path:?} must start with '/'"));
    }
    let read = match trace::load(&spec.file, ctx.loaded.source.base_dir.as_deref(), format) {
        Ok(read) => read,
        Err(why) => {
            ctx.push_at(spanned, format!("{label}: {why}"));
            return None;
        }
    };
    let looped = spec.looped.unwrap_or(false);
    let duration = match (spec.duration, looped) {
        (Some(duration), _) if duration.0.is_zero() => {
            refuse(ctx, "duration must be longer than 0s".into());
            return None;
        }
        (Some(duration), _) => duration.0,
        (None, true) => {
            refuse(ctx, "loops until its duration: add duration = \"10m\"".into());
            return None;
        }
        // The trace once, sped up, and a moment for its last request to be sent.
        (None, false) => {
            Duration::from_secs_f64(read.span_micros() as f64 / 1e6 / speedup.max(f64::MIN_POSITIVE)) + Duration::from_millis(100)
        }
    };
    let stream = match format {
        TraceFormat::Mooncake => spec.stream.unwrap_or(true),
        TraceFormat::Requests => read.stream,
    };
    // The level's mean arrival rate, for people (the arrivals themselves follow the file).
    let rate_per_sec = (read.entries.len() as f64 / duration.as_secs_f64().max(1e-3) * 100.0).round() / 100.0;
    tasks.push(CompiledTask {
        name: TRACE_TASK.into(),
        weight: 0,
        service,
        tools: None,
        method: Method::POST,
        path: TextSource::Literal(path),
        headers: Vec::new(),
        body: None,
        expect_status: None,
        checks: Vec::new(),
        chat: Some(ChatSpec {
            model,
            messages: Vec::new(),
            max_tokens: None,
            temperature: None,
            stream,
            include_usage: true,
            extra: serde_json::Map::new(),
            synthetic: None,
            dataset: None,
            turns: None,
            max_history_tokens: DEFAULT_MAX_HISTORY_TOKENS,
            tokenizer: crate::tokens::Tokenizer::default(),
            cancel: None,
        }),
        mcp: None,
        max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        follow_redirects: true,
    });
    let level = CompiledLevel {
        name: "Trace replay".into(),
        load: LoadModel::Open {
            rate_per_sec,
            max_in_flight,
        },
        duration,
        requests: None,
    };
    Some((
        CompiledTrace {
            file: spec.file.clone(),
            format,
            trace: read,
            speedup,
            looped,
            block_tokens,
            task: tasks.len() - 1,
        },
        level,
    ))
}
