//! Checks a parsed preset and turns it into what the engine runs: URLs parsed, templates
//! compiled, pools loaded, levels and targets resolved. Every mistake becomes a [`Diagnostic`]
//! at its line and column; all of them are collected, not just the first. One file per part
//! (service, task kinds, setup, levels, targets, baseline, monitors), all writing through one
//! [`Context`]. Nothing here reads a saved run: a `baseline = { run = ... }` stays a reference
//! until `analysis::baseline::resolve_saved_baselines` reads it.

mod baseline;
mod capacity;
mod chat;
pub mod export;
mod journey;
mod level;
mod mcp;
mod monitors;
mod objectives;
mod scenario;
mod services;
mod setup;
mod targets;
mod task;
mod task_input;
mod trace;

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use hyper::http::{HeaderName, HeaderValue};
use minijinja::Environment;
use toml::Spanned;

use super::compiled::{CompiledPreset, TextSource};
use super::diagnostic::{Diagnostic, PresetErrors};
use super::source::LoadedPreset;
use super::template;

/// What every part of the compilation shares: the preset being compiled, the mistakes found so
/// far, and the scenario being compiled now (its template environment and the names its
/// templates may use).
pub(super) struct Context<'a> {
    pub loaded: &'a LoadedPreset,
    found: Vec<Diagnostic>,
    /// The scenario's templates; each part adds its own, named `task{i}.path` and so on.
    env: Environment<'static>,
    /// Dotted names the scenario's templates may use: `pool.NAME`, `setup.NAME` (and, in a
    /// journey's step, `journey.NAME` of what earlier steps saved).
    template_names: Vec<String>,
    /// The scenario's services by name, in index order; empty when it names none.
    service_names: Vec<String>,
}

impl<'a> Context<'a> {
    fn new(loaded: &'a LoadedPreset) -> Context<'a> {
        Context {
            loaded,
            found: Vec::new(),
            env: template::new_environment(),
            template_names: Vec::new(),
            service_names: Vec::new(),
        }
    }

    /// A mistake at a byte span of the preset (or with no place).
    pub(super) fn push(&mut self, span: Option<Range<usize>>, message: impl Into<String>) {
        self.found
            .push(Diagnostic::at(&self.loaded.source.name, &self.loaded.source.text, span, message));
    }

    /// A mistake at a spanned value.
    pub(super) fn push_at<T>(&mut self, spanned: &Spanned<T>, message: impl Into<String>) {
        self.push(Some(spanned.span()), message);
    }

    /// How many mistakes have been found so far.
    pub(super) fn mistakes(&self) -> usize {
        self.found.len()
    }

    /// Where a mistake at this span would be reported.
    pub(super) fn place(&self, span: Range<usize>) -> Diagnostic {
        Diagnostic::at(&self.loaded.source.name, &self.loaded.source.text, Some(span), "")
    }

    /// A path the preset wrote, relative to the preset's folder.
    pub(super) fn preset_relative(&self, written: &str) -> std::path::PathBuf {
        match self.loaded.source.base_dir.as_deref() {
            Some(dir) => dir.join(written),
            None => std::path::PathBuf::from(written),
        }
    }

    /// Starts a scenario: a fresh template environment, the names its templates may use, and
    /// its services' names (index order).
    fn begin_scenario(&mut self, template_names: Vec<String>, service_names: Vec<String>) {
        self.env = template::new_environment();
        self.template_names = template_names;
        self.service_names = service_names;
    }

    /// Runs `compile` with `extra` names also defined for templates (a journey's saved values).
    pub(super) fn with_names<T>(&mut self, extra: &[String], compile: impl FnOnce(&mut Self) -> T) -> T {
        let before = self.template_names.len();
        self.template_names.extend(extra.iter().cloned());
        let result = compile(self);
        self.template_names.truncate(before);
        result
    }

    /// The scenario's services by name, in index order.
    pub(super) fn service_names(&self) -> &[String] {
        &self.service_names
    }

    /// The finished scenario's templates.
    fn take_templates(&mut self) -> Environment<'static> {
        std::mem::replace(&mut self.env, template::new_environment())
    }

    /// Literal text, or a template added to the scenario's environment under `name`; a
    /// template that does not parse or names something undefined is a mistake of `label`'s
    /// `field`.
    pub(super) fn text(&mut self, name: String, text: &Spanned<String>, label: &str, field: &str) -> TextSource {
        if !template::is_template(text.get_ref()) {
            return TextSource::Literal(text.get_ref().clone());
        }
        if let Err(err) = self.env.add_template_owned(name.clone(), text.get_ref().clone()) {
            let detail = err.detail().unwrap_or("invalid template");
            let line = err.line().map(|line| format!(" (template line {line})")).unwrap_or_default();
            self.push_at(text, format!("{label}: {field} template error{line}: {detail}"));
            return TextSource::Literal(text.get_ref().clone());
        }
        let template_names = self.template_names.clone();
        let names: Vec<&str> = template_names.iter().map(String::as_str).collect();
        let unknown = template::unknown_names(&self.env, &name, &names);
        let (journey, unknown): (Vec<String>, Vec<String>) = unknown.into_iter().partition(|name| name.starts_with("journey."));
        if !journey.is_empty() {
            let saved: Vec<&str> = names.iter().copied().filter(|name| name.starts_with("journey.")).collect();
            let saved = if saved.is_empty() { "none".to_string() } else { saved.join(", ") };
            self.push_at(
                text,
                format!(
                    "{label}: {field} uses {} which no earlier step of the journey saves (saved before this step: {saved}); save it in an earlier step with save = {{ NAME = \"/json/pointer\" }}",
                    journey.join(", ")
                ),
            );
        }
        if !unknown.is_empty() {
            let pools = if names.is_empty() {
                "none defined".to_string()
            } else {
                names.join(", ")
            };
            self.push_at(
                text,
                format!(
                    "{label}: {field} uses {} which nothing defines (pools: {pools}; variables: user_id, seq; functions: uuid(), random_int(a, b))",
                    unknown.join(", ")
                ),
            );
        }
        TextSource::Template(name)
    }

    /// Checks header names and values.
    pub(super) fn check_headers(&mut self, headers: &BTreeMap<String, String>, span: Option<Range<usize>>, label: &str) {
        for (name, value) in headers {
            if HeaderName::from_bytes(name.as_bytes()).is_err() {
                self.push(span.clone(), format!("{label}: header name {name:?} is not valid"));
            }
            if HeaderValue::from_str(value).is_err() {
                self.push(
                    span.clone(),
                    format!("{label}: header {name} has a value with characters HTTP does not allow"),
                );
            }
        }
    }
}

/// A capacity search holds on a target it cannot measure at every step, so its answer would
/// rest on the other targets alone: a resource target whose monitor is off is refused there.
/// (Fixed levels leave such a target unchecked and say so.)
fn unmeasurable_search_targets(ctx: &mut Context<'_>, preset: &crate::preset::model::Preset, monitors: &crate::monitor::MonitorSettings) {
    use crate::measure::Metric;
    for scenario in preset.scenarios.iter().filter(|scenario| scenario.capacity.is_some()) {
        for target in &scenario.targets {
            let expr = &target.get_ref().expr;
            let Ok(parsed) = crate::measure::TargetExpr::parse(expr.get_ref()) else {
                continue;
            };
            let off = match parsed.metric {
                Metric::GpuUtilMax | Metric::GpuMemMax if !monitors.gpu => Some("gpu = false"),
                Metric::HostCpuMax if !monitors.host => Some("host = false"),
                Metric::ContainerCpuMax if monitors.containers.is_none() => Some("no containers named"),
                _ => None,
            };
            if let Some(off) = off {
                ctx.push_at(
                    expr,
                    format!(
                        "scenario {:?}: target {:?} can never be measured ([monitors] {off}), so the capacity search would hold on it at every step; turn the monitor on in [monitors] or remove the target",
                        scenario.name.get_ref(),
                        expr.get_ref()
                    ),
                );
            }
        }
    }
}

/// Checks the whole preset; returns every mistake found.
pub fn compile(loaded: &LoadedPreset) -> Result<CompiledPreset, PresetErrors> {
    let mut ctx = Context::new(loaded);
    let preset = &loaded.preset;
    if preset.scenarios.is_empty() {
        ctx.push(None, "no scenarios: add at least one [[scenario]] table");
    }
    let mut names = HashSet::new();
    let mut scenarios = Vec::new();
    for scenario in &preset.scenarios {
        if !names.insert(scenario.name.get_ref().clone()) {
            ctx.push_at(
                &scenario.name,
                format!("scenario name {:?} is used twice; names must be unique", scenario.name.get_ref()),
            );
        }
        let baseline = baseline::compile(&mut ctx, scenario, &preset.scenarios);
        if let Some(mut compiled) = scenario::compile(&mut ctx, scenario) {
            compiled.baseline = baseline;
            scenarios.push(compiled);
        }
    }
    let monitors = monitors::compile(&mut ctx, preset.monitors.as_ref());
    unmeasurable_search_targets(&mut ctx, preset, &monitors);
    let (metrics_addr, final_scrape_wait) = export::compile(&mut ctx, preset.export.as_ref());
    if !ctx.found.is_empty() {
        return Err(PresetErrors(ctx.found));
    }
    Ok(CompiledPreset {
        name: loaded.display_name(),
        source: loaded.source.name.clone(),
        document: preset.clone(),
        scenarios,
        monitors,
        metrics_addr,
        final_scrape_wait,
    })
}
