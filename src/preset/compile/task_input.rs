//! The task being compiled, as every kind-specific part (`task`, `chat`, `mcp`) sees it: its
//! place, its table and how a mistake in it is reported.

use std::ops::Range;

use super::Context;
use crate::preset::model::Task;

/// The task being compiled, as the kind-specific parts see it.
pub(super) struct TaskInput<'t> {
    /// Its position in the scenario (names its templates: `task{index}.path`).
    pub index: usize,
    pub task: &'t Task,
    /// `task "NAME"`, the start of every mistake's message.
    pub label: String,
    /// The task's table in the preset.
    pub span: Range<usize>,
    /// A journey's step (may `save` and be `optional`) rather than a task.
    pub step: bool,
}

impl TaskInput<'_> {
    /// A mistake somewhere in the task's table.
    pub(super) fn refuse(&self, ctx: &mut Context<'_>, message: impl std::fmt::Display) {
        ctx.push(Some(self.span.clone()), format!("{}: {message}", self.label));
    }

    /// Reports each present field that belongs to another task kind.
    pub(super) fn refuse_fields(&self, ctx: &mut Context<'_>, fields: &[(&str, bool)], kind_label: &str, kind: &str) {
        for (field, present) in fields {
            if *present {
                self.refuse(
                    ctx,
                    format!("{field} belongs to {kind_label} tasks; add kind = \"{kind}\" or remove it"),
                );
            }
        }
    }
}
