//! How the app draws: the run controls on top, the preset library on the left, the engine's
//! state at the bottom, notices and the Editor, Live and Runs tabs in the centre, the
//! unsaved-changes dialog, and presentation mode. Panels read the app's state and return
//! `AppCommand`s; only the tabs' own view state (editor, live view, runs tab) changes here.

use std::path::PathBuf;

use egui::{Color32, RichText};

use super::LoadscopeApp;
use crate::engine::Command;
use crate::measure::LoadModel;
use crate::preset::secrets::DotEnv;
use crate::ui::Tab;
use crate::ui::command::{AppCommand, Dialog, UnsavedChoice};
use crate::ui::document::Origin;
use crate::ui::live_run::RunState;
use crate::ui::notice::{Notice, NoticeLevel};
use crate::ui::palette;
use crate::ui::settings::ThemeChoice;
use crate::ui::shortcuts::{Action, SHORTCUTS};

impl LoadscopeApp {
    /// The normal window: panels around the tabs.
    pub(super) fn frame(&mut self, ui: &mut egui::Ui, commands: &mut Vec<AppCommand>) {
        egui::Panel::top("run-controls").show(ui, |ui| self.top_bar(ui, commands));
        egui::Panel::bottom("status-bar").show(ui, |ui| self.status_bar(ui));
        // The side panel folds to a strip with one button (remembered), so a small window's
        // room goes to the tabs.
        if self.settings.side_panel_collapsed {
            egui::Panel::left("library-folded")
                .resizable(false)
                .exact_size(28.0)
                .show(ui, |ui| {
                    let show = ui
                        .button("»")
                        .on_hover_text(format!("Show the side panel ({})", Action::ToggleSidePanel.keys_text(ui.ctx())))
                        .accessible_name("Show the side panel");
                    if show.clicked() {
                        commands.push(AppCommand::ToggleSidePanel);
                    }
                });
        } else {
            egui::Panel::left("library").resizable(true).default_size(210.0).show(ui, |ui| {
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Min), |ui| {
                    let hide = ui
                        .small_button("«")
                        .on_hover_text(format!("Hide the side panel ({})", Action::ToggleSidePanel.keys_text(ui.ctx())))
                        .accessible_name("Hide the side panel");
                    if hide.clicked() {
                        commands.push(AppCommand::ToggleSidePanel);
                    }
                });
                self.library_panel(ui, commands)
            });
        }
        egui::CentralPanel::default_margins().show(ui, |ui| {
            show_notices(ui, &mut self.notices, commands);
            ui.horizontal(|ui| {
                let dirty = if self.document.is_dirty() { " •" } else { "" };
                for (tab, label) in [
                    (Tab::Editor, format!("Editor{dirty}")),
                    (Tab::Live, "Live".into()),
                    (Tab::Runs, "Runs".into()),
                ] {
                    if ui.selectable_label(self.tab == tab, label).clicked() && self.tab != tab {
                        commands.push(AppCommand::ShowTab(tab));
                    }
                }
            });
            ui.separator();
            match self.tab {
                Tab::Editor => self.editor.show(ui, &mut self.document),
                Tab::Live => {
                    if let Some(folder) = &self.segment_folder {
                        ui.horizontal(|ui| {
                            ui.label(format!("Segments in {}: {}", folder.dir.display(), folder.status));
                            if ui.button("Stop following").clicked() {
                                commands.push(AppCommand::StopFollowingSegments);
                            }
                        });
                    }
                    commands.extend(self.live_view.show(ui, &self.live, &mut self.settings, self.demo.is_some()))
                }
                Tab::Runs => commands.extend(self.runs.show(ui)),
            }
        });
        self.confirm_dialog(ui.ctx(), commands);
        self.help_dialog(ui.ctx(), commands);
        self.file_dialog(ui.ctx(), commands);
    }

    /// The in-app file dialog, while open: a chosen file becomes its purpose's command.
    fn file_dialog(&mut self, ctx: &egui::Context, commands: &mut Vec<AppCommand>) {
        let Some((dialog, purpose)) = &mut self.file_dialog else { return };
        match dialog.show(ctx).state() {
            egui_file::State::Open => {}
            egui_file::State::Selected => {
                if let Some(path) = dialog.path() {
                    commands.push(purpose.command(path.to_path_buf()));
                }
                self.file_dialog = None;
            }
            egui_file::State::Cancelled | egui_file::State::Closed => self.file_dialog = None,
        }
    }

    /// The app's dialogs: File > Secrets, Help > Keyboard shortcuts and About.
    fn help_dialog(&mut self, ctx: &egui::Context, commands: &mut Vec<AppCommand>) {
        let Some(dialog) = self.dialog else { return };
        let (document, secrets, icon) = (&self.document, &mut self.secrets, &self.icon);
        let modal = egui::Modal::new(egui::Id::unique("app-dialog")).show(ctx, |ui| {
            match dialog {
                Dialog::Secrets => secrets_form(ui, document, secrets, commands),
                Dialog::Shortcuts => {
                    ui.heading("Keyboard shortcuts");
                    egui::Grid::new("shortcuts").spacing([24.0, 6.0]).show(ui, |ui| {
                        for (action, keys) in &SHORTCUTS {
                            ui.label(RichText::new(ctx.format_shortcut(keys)).monospace());
                            ui.label(action.what());
                            ui.end_row();
                        }
                    });
                    ui.add_space(6.0);
                    ui.label(RichText::new("In Present").strong());
                    egui::Grid::new("present-keys").spacing([24.0, 6.0]).show(ui, |ui| {
                        for (keys, what) in crate::ui::shortcuts::PRESENT_KEYS {
                            ui.label(RichText::new(keys).monospace());
                            ui.label(what);
                            ui.end_row();
                        }
                    });
                }
                Dialog::About => {
                    ui.horizontal(|ui| {
                        if let Some(icon) = icon {
                            ui.image((icon.id(), egui::vec2(64.0, 64.0)));
                        }
                        ui.vertical(|ui| {
                            ui.heading("Loadscope");
                            ui.label(format!("Version {}", crate::identity::VERSION));
                            ui.label("Load testing for AI service stacks: OpenAI-compatible gateways, RAG services and MCP servers.");
                            ui.label(RichText::new(format!("{} · MIT OR Apache-2.0", crate::identity::APP_ID)).weak());
                        });
                    });
                }
            }
            ui.add_space(8.0);
            ui.button("Close").clicked()
        });
        if modal.inner || modal.should_close() {
            commands.push(AppCommand::CloseDialog);
        }
    }

    /// Presentation mode: the whole window, keys to move, Escape to leave.
    pub(super) fn presentation_frame(&mut self, ui: &mut egui::Ui, commands: &mut Vec<AppCommand>) {
        let ctx = ui.ctx().clone();
        let mut leave = false;
        egui::CentralPanel::default_margins().show(ui, |ui| {
            if let Some(presentation) = &mut self.presentation {
                leave = presentation.handle_keys(&ctx);
                leave |= presentation.show(ui);
            }
        });
        if leave {
            commands.push(AppCommand::EndPresentation);
        }
    }

    fn top_bar(&self, ui: &mut egui::Ui, commands: &mut Vec<AppCommand>) {
        // One line whatever the run shows, so the page below never moves.
        ui.horizontal(|ui| {
            ui.menu_button("File", |ui| {
                for (label, action) in [
                    ("New preset", Action::NewPreset),
                    ("Open…", Action::OpenPreset),
                    ("Save", Action::Save),
                    ("Save as…", Action::SaveAs),
                ] {
                    let item = egui::Button::new(label).shortcut_text(action.keys_text(ui.ctx()));
                    if ui.add(item).clicked() {
                        commands.push(action.command());
                    }
                }
                if ui.button("Secrets…").clicked() {
                    commands.push(AppCommand::ShowDialog(Dialog::Secrets));
                }
                ui.separator();
                ui.label("Theme");
                let mut theme = self.settings.theme;
                ui.radio_value(&mut theme, ThemeChoice::System, "Follow the system");
                ui.radio_value(&mut theme, ThemeChoice::Dark, "Dark");
                ui.radio_value(&mut theme, ThemeChoice::Light, "Light");
                if theme != self.settings.theme {
                    commands.push(AppCommand::SetTheme(theme));
                }
            });
            ui.menu_button("Help", |ui| {
                if ui.button("Keyboard shortcuts").clicked() {
                    commands.push(AppCommand::ShowDialog(Dialog::Shortcuts));
                }
                if ui.button("About Loadscope").clicked() {
                    commands.push(AppCommand::ShowDialog(Dialog::About));
                }
            });
            ui.separator();
            let active = self.live.state.is_active();
            let running = self.live.state == RunState::Running;
            if ui
                .add_enabled(!active, egui::Button::new("Preflight"))
                .on_hover_text(format!(
                    "Check the services' health without sending load ({})",
                    Action::Preflight.keys_text(ui.ctx())
                ))
                .clicked()
            {
                commands.push(AppCommand::Preflight);
            }
            if ui
                .add_enabled(!active, egui::Button::new("Start"))
                .on_hover_text(format!("Run the open preset ({})", Action::Start.keys_text(ui.ctx())))
                .clicked()
            {
                commands.push(AppCommand::Start);
            }
            if ui
                .add_enabled(active, egui::Button::new("Stop"))
                .on_hover_text(format!("End the run now and save it ({})", Action::Stop.keys_text(ui.ctx())))
                .clicked()
            {
                commands.push(AppCommand::Engine(Command::Stop));
            }
            if ui.add_enabled(running, egui::Button::new("Next level")).clicked() {
                commands.push(AppCommand::Engine(Command::NextLevel));
            }
            ui.separator();
            self.run_summary(ui);
        });
    }

    fn run_summary(&self, ui: &mut egui::Ui) {
        let state = self.live.state.label();
        ui.label(RichText::new(state).strong()).on_hover_text("Run state");
        if let Some(snapshot) = &self.live.snapshot
            && self.live.record.is_none()
        {
            ui.label(format!("{:.0} s", snapshot.elapsed_secs));
            let place = if snapshot.level_count == 0 {
                // A capacity search: its steps are decided as it goes.
                format!("{} · {} (capacity search)", snapshot.scenario_name, snapshot.level_name)
            } else {
                format!(
                    "{} · {} ({}/{})",
                    snapshot.scenario_name,
                    snapshot.level_name,
                    snapshot.level_index + 1,
                    snapshot.level_count
                )
            };
            ui.label(place);
            let load = match snapshot.load {
                LoadModel::Closed { .. } => format!("{} users", snapshot.users),
                LoadModel::Open { .. } => format!("{} in flight", snapshot.users),
            };
            ui.label(load);
            ui.label(crate::format::req_rate(snapshot.rps_last_second));
            ui.label(format!(
                "{} errors",
                crate::format::error_percent(snapshot.level_total.error_rate_percent())
            ));
        } else if let Some(record) = &self.live.record {
            ui.label(format!("{} · {:.0} s", record.preset.name, self.live.elapsed_secs()));
        }
        for (line, answered) in self.live.search_lines() {
            // The search's own state, not its steps' verdicts: a failing step is how it finds
            // its answer.
            let text = RichText::new(line).strong();
            ui.label(if answered { text.size(18.0) } else { text });
        }
        let lights = self.live.verdict_lights();
        if lights.is_empty() {
            return;
        }
        // One line of counts, the same width whatever lights come on (the bar never wraps or
        // grows mid-run); each check, with its scenario and level, a click away.
        let ended = self.live.record.is_some();
        let failed = lights
            .iter()
            .filter(|light| light.verdict.observed.is_some() && !light.verdict.passed)
            .count();
        let waiting = lights.iter().filter(|light| light.verdict.observed.is_none()).count();
        let passed = lights.len() - failed - waiting;
        let (text, color) = match (ended, failed) {
            (true, 0) => (format!("All {} target checks passed", lights.len()), palette::PASS),
            (true, _) => (format!("{failed} of {} target checks failed", lights.len()), palette::FAIL),
            (false, 0) => (format!("Targets: {passed} pass, {waiting} waiting"), palette::PASS),
            (false, _) => (
                format!("Targets: {failed} failing, {passed} pass, {waiting} waiting"),
                palette::FAIL,
            ),
        };
        let response = ui
            .add(egui::Button::new(RichText::new(text).strong().color(color)).frame(false))
            .on_hover_text("Click for each target check");
        egui::Popup::from_toggle_button_response(&response).show(|ui| {
            // After the run only the failed checks; while it runs, every light of the level.
            for light in lights.iter().filter(|light| !ended || !light.verdict.passed) {
                let color = match (light.verdict.observed, light.verdict.passed) {
                    (None, _) => Color32::GRAY,
                    (Some(_), true) => palette::PASS,
                    (Some(_), false) => palette::FAIL,
                };
                let word = light_word(light.verdict.observed, light.verdict.passed);
                let words = if light.verdict.observed.is_some() {
                    light.verdict.in_words()
                } else {
                    format!("{} — limit {}", light.verdict.measure_words(), light.verdict.limit_words())
                };
                ui.label(RichText::new(format!("{word}  {}, {}: {words}", light.scenario, light.level)).color(color))
                    .on_hover_text(format!(
                        "Target as written: {}{}",
                        light.verdict.target,
                        light.verdict.scope_label()
                    ));
            }
        });
    }

    fn status_bar(&self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            let engine = if self.engine.is_some() { "ready" } else { "not running" };
            ui.label(format!("Engine: {engine}, {}", self.live.state.label()));
            ui.separator();
            match (&self.live.out_path, &self.live.save_error) {
                (_, Some(error)) => {
                    ui.colored_label(palette::FAIL, format!("Save failed: {error}"));
                }
                (Some(path), None) => {
                    let when = match self.live.last_saved {
                        Some(at) if self.live.state.is_active() => format!(" (saved {:.0} s ago)", at.elapsed().as_secs_f64()),
                        _ => String::new(),
                    };
                    ui.label(format!("Run file: {}{when}", path.display()));
                }
                (None, None) => {
                    ui.label(format!("Runs are saved in {}", self.config.data_dir.join("runs").display()));
                }
            }
            ui.separator();
            match self.demo_urls() {
                Some([gateway, rag, mcp]) => ui.label(format!("Demo stack (simulated): {gateway} · {rag} · {mcp}")),
                None => ui.label("Demo stack: off"),
            };
            ui.separator();
            let run_status = self
                .live
                .snapshot
                .as_ref()
                .filter(|_| self.live.record.is_none())
                .and_then(|snapshot| snapshot.monitor_status.clone())
                .or_else(|| self.live.record.as_ref().and_then(|record| record.monitors.clone()));
            match run_status.as_ref().or(self.machine_monitors.as_ref()) {
                Some(status) => {
                    for (name, availability) in [
                        ("GPU", &status.gpu),
                        ("Containers", &status.containers),
                        ("Host", &status.host),
                        ("Prometheus", &status.prometheus),
                    ] {
                        let (word, color) = match availability {
                            crate::monitor::Availability::Available(_) => ("on", palette::PASS),
                            crate::monitor::Availability::Unavailable(_) => ("unavailable", palette::WARN),
                            crate::monitor::Availability::Off => ("off", palette::OFF),
                        };
                        ui.colored_label(color, format!("{name}: {word}"))
                            .on_hover_text(availability.describe());
                    }
                }
                None if self.probing_monitors => {
                    ui.label("Monitors: checking…");
                }
                None => {
                    ui.label("Monitors: not checked yet (a run reports them)");
                }
            }
        });
    }

    fn library_panel(&self, ui: &mut egui::Ui, commands: &mut Vec<AppCommand>) {
        egui::ScrollArea::vertical().show(ui, |ui| {
            ui.heading("Presets");
            ui.horizontal(|ui| {
                if ui.button("New").clicked() {
                    commands.push(AppCommand::NewPreset);
                }
                if ui.button("Open…").clicked() {
                    commands.push(AppCommand::PickPreset);
                }
            });
            ui.label(RichText::new("Shipped").small().weak());
            for name in crate::preset::shipped::names() {
                let selected = self.document.origin() == &Origin::Shipped(name.to_string());
                if ui.selectable_label(selected, name).clicked() && !selected {
                    commands.push(AppCommand::OpenShipped(name.to_string()));
                }
            }
            if !self.user_presets.is_empty() {
                ui.label(RichText::new("Yours").small().weak());
                for path in &self.user_presets {
                    let selected = self.document.origin() == &Origin::File(path.clone());
                    let name = path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
                    if ui
                        .selectable_label(selected, name)
                        .on_hover_text(path.display().to_string())
                        .clicked()
                        && !selected
                    {
                        commands.push(AppCommand::OpenPreset(path.clone()));
                    }
                }
            }
            let recent: Vec<PathBuf> = self
                .settings
                .recent_files
                .iter()
                .filter(|path| !self.user_presets.contains(path))
                .cloned()
                .collect();
            if !recent.is_empty() {
                ui.label(RichText::new("Recent").small().weak());
                for path in recent {
                    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
                    if ui.selectable_label(false, name).on_hover_text(path.display().to_string()).clicked() {
                        commands.push(AppCommand::OpenPreset(path));
                    }
                }
            }
            ui.separator();
            ui.heading("Scenarios");
            let names = self.editor.scenario_names(&self.document);
            for (index, name) in names.iter().enumerate() {
                if ui.selectable_label(self.editor.scenario == index, name).clicked() {
                    commands.push(AppCommand::SelectScenario(index));
                }
            }
            ui.separator();
            ui.heading("Demo stack");
            if let Some(stack) = &self.demo {
                ui.label(
                    "Simulated gateway, RAG and MCP services are running on localhost: press Start to run the open preset against them.",
                );
                let moved: Vec<String> = [(8000, stack.gateway), (8002, stack.rag), (8020, stack.mcp)]
                    .into_iter()
                    .filter(|(port, address)| address.port() != *port)
                    .map(|(port, address)| format!("{} instead of {port}", address.port()))
                    .collect();
                if !moved.is_empty() {
                    ui.label(
                        RichText::new(format!(
                            "Its usual ports were taken, so it listens elsewhere ({}). Runs of presets that name the usual ports go there; the presets stay as written.",
                            moved.join(", ")
                        ))
                        .weak(),
                    );
                }
                if ui.button("Stop demo stack").clicked() {
                    commands.push(AppCommand::StopDemoStack);
                }
            } else {
                ui.label("No services yet? Start simulated ones and run the demo preset.");
                if ui.button("Start demo stack").clicked() {
                    commands.push(AppCommand::StartDemoStack);
                }
            }
        });
    }

    fn confirm_dialog(&self, ctx: &egui::Context, commands: &mut Vec<AppCommand>) {
        if self.pending.is_none() {
            return;
        }
        egui::Modal::new(egui::Id::unique("unsaved-changes")).show(ctx, |ui| {
            ui.heading("Unsaved changes");
            ui.label(format!("{} has changes that are not saved.", self.document.title()));
            ui.horizontal(|ui| {
                for (label, choice) in [
                    ("Save", UnsavedChoice::Save),
                    ("Discard changes", UnsavedChoice::Discard),
                    ("Cancel", UnsavedChoice::Cancel),
                ] {
                    if ui.button(label).clicked() {
                        commands.push(AppCommand::Unsaved(choice));
                    }
                }
            });
        });
    }
}

/// File > Secrets: each `${VAR}` the preset uses, where its value comes from, and a masked
/// field to put a value in the preset's `.env`.
fn secrets_form(
    ui: &mut egui::Ui,
    document: &crate::ui::document::PresetDocument,
    secrets: &mut Option<(DotEnv, std::collections::BTreeMap<String, String>)>,
    commands: &mut Vec<AppCommand>,
) {
    ui.heading("Secrets");
    ui.label("Values for the preset's ${VAR} references. The environment wins; an app started from a menu has none, so they can live in a .env file beside the preset, readable by you only. They are never written into the preset or a run.");
    let Some((file, inputs)) = secrets else { return };
    let mut names = crate::preset::secrets::references(document.text());
    names.sort();
    names.dedup();
    if names.is_empty() {
        ui.label(RichText::new("This preset has no ${VAR} references.").weak());
        return;
    }
    egui::Grid::new("secrets").spacing([16.0, 6.0]).show(ui, |ui| {
        for name in &names {
            let label = ui.label(RichText::new(name).monospace());
            let state = if std::env::var_os(name).is_some() {
                RichText::new("set in the environment").color(palette::PASS)
            } else if file.values.contains_key(name) {
                RichText::new("in .env").color(palette::PASS)
            } else {
                RichText::new("missing").color(palette::WARN)
            };
            ui.label(state);
            let input = inputs.entry(name.clone()).or_default();
            ui.add(
                egui::TextEdit::singleline(input)
                    .password(true)
                    .hint_text("new value")
                    .desired_width(260.0),
            )
            .labelled_by(label.id);
            ui.end_row();
        }
    });
    ui.label(RichText::new(file.path.display().to_string()).weak());
    let entered: std::collections::BTreeMap<String, String> = inputs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    if ui.add_enabled(!entered.is_empty(), egui::Button::new("Save to .env")).clicked() {
        commands.push(AppCommand::SaveSecrets(entered));
    }
}

/// The word a verdict light shows, so it reads without colour too.
fn light_word(observed: Option<f64>, passed: bool) -> &'static str {
    match (observed, passed) {
        (None, _) => "WAIT",
        (Some(_), true) => "PASS",
        (Some(_), false) => "FAIL",
    }
}

/// Draws the notices in one area, errors first; Dismiss removes one, Undo removes it and asks
/// the app to put back what it names; a notice about a file offers Open folder and Copy path.
fn show_notices(ui: &mut egui::Ui, notices: &mut Vec<Notice>, commands: &mut Vec<AppCommand>) {
    let mut order: Vec<usize> = (0..notices.len()).collect();
    order.sort_by_key(|&index| !notices[index].is_error());
    let mut remove = None;
    for index in order {
        let notice = &notices[index];
        let fill = match notice.level {
            NoticeLevel::Error => palette::error_fill(),
            NoticeLevel::Info => palette::info_fill(),
        };
        egui::Frame::new().fill(fill).inner_margin(6.0).corner_radius(4.0).show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label(&notice.text);
                if let Some(undo) = &notice.undo
                    && ui.small_button("Undo").clicked()
                {
                    commands.push(AppCommand::Undo(undo.clone()));
                    remove = Some(index);
                }
                if let Some(path) = &notice.path {
                    if let Some(folder) = path.parent()
                        && ui.small_button("Open folder").on_hover_text(folder.display().to_string()).clicked()
                    {
                        commands.push(AppCommand::OpenFolder(folder.to_path_buf()));
                    }
                    if ui.small_button("Copy path").clicked() {
                        ui.ctx().copy_text(path.display().to_string());
                    }
                }
                if ui.small_button("Dismiss").clicked() {
                    remove = Some(index);
                }
            });
        });
    }
    if let Some(index) = remove {
        notices.remove(index);
    }
}
