//! What the app does when asked: `route` takes every `AppCommand` (from panels, jobs, tests)
//! and carries it out on the app's state. Engine events come in through `take_event`.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::demo::{point_at_demo_stack, uses_demo_ports};
use super::{LoadscopeApp, Pending};
use crate::demo::DemoStack;
use crate::engine::{Command, RunPlan};
use crate::export::MetricsServer;
use crate::preset::CompiledPreset;
use crate::preset::secrets::DotEnv;
use crate::preset::secrets::DotEnvError;
use crate::run::library::run_file_name;
use crate::ui::Tab;
use crate::ui::chart_png::{self, ChartPicture, Look};
use crate::ui::command::FilePurpose;
use crate::ui::command::{AppCommand, Dialog, PlanFailure, PlanPurpose, UnsavedChoice};
use crate::ui::document::PresetFileError;
use crate::ui::document::{NEW_PRESET, Origin, PresetDocument};
use crate::ui::editor::EditorState;
use crate::ui::live_run::{LiveRun, RunState};
use crate::ui::notice::{self, Cause, Notice, Undo};
use crate::ui::present::Presentation;
use crate::ui::segment_folder::SegmentFolder;
use crate::ui::settings::{PresetRef, ThemeChoice};

impl LoadscopeApp {
    /// Carries out one command.
    pub(super) fn route(&mut self, command: AppCommand) {
        match command {
            AppCommand::NewPreset => self.new_document(),
            AppCommand::OpenShipped(name) => self.open_shipped(&name),
            AppCommand::OpenPreset(path) => self.open_file(&path),
            AppCommand::PickPreset => self.pick_preset(),
            AppCommand::Save => self.save(),
            AppCommand::SaveAs => self.save_as(),
            AppCommand::SaveTo(path) => self.save_to(&path),
            AppCommand::Unsaved(choice) => self.unsaved(choice),
            AppCommand::SetTheme(theme) => {
                self.settings.theme = theme;
                self.apply_theme();
            }
            AppCommand::ShowTab(tab) => self.tab = tab,
            AppCommand::ToggleSidePanel => self.settings.side_panel_collapsed = !self.settings.side_panel_collapsed,
            AppCommand::SelectScenario(index) => {
                self.editor.scenario = index;
                self.tab = Tab::Editor;
            }
            AppCommand::Preflight => self.plan(PlanPurpose::Preflight),
            AppCommand::Start => self.plan(PlanPurpose::Start),
            AppCommand::Engine(command) => self.send(command),
            AppCommand::ShowSavedRun(path, record) => self.show_saved_run(path, *record),
            AppCommand::OpenRunFile(path) => {
                self.runs.open_path(path);
                self.tab = Tab::Runs;
            }
            AppCommand::PickRunFile => {
                let dir = self.config.data_dir.join("runs");
                self.choose_file(FilePurpose::OpenRun, dir);
            }
            AppCommand::PickSegmentFolder => {
                let dir = self.config.data_dir.clone();
                self.choose_file(FilePurpose::SegmentFolder, dir);
            }
            AppCommand::FollowSegments(dir) => {
                if self.live.state.is_active() {
                    self.notices.push(Notice::error(
                        "a run is in progress: stop it before following a folder of segment files in the Live tab",
                    ));
                } else {
                    self.segment_folder = Some(SegmentFolder::new(dir));
                    self.tab = Tab::Live;
                }
            }
            AppCommand::SegmentsRead(dir, read) => self.segments_read(dir, read),
            AppCommand::StopFollowingSegments => self.segment_folder = None,
            AppCommand::Present(runs) => self.present(runs),
            AppCommand::PresentLiveRun => {
                if let Some(record) = &self.live.record {
                    let record = (**record).clone();
                    self.present(vec![record]);
                }
            }
            AppCommand::EndPresentation => {
                self.presentation = None;
                self.ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(false));
            }
            AppCommand::SaveChartPng(picture) => self.save_chart_png(picture),
            AppCommand::StartDemoStack => self.start_demo_stack(),
            AppCommand::StopDemoStack => self.demo = None,
            AppCommand::Undo(Undo::RestoreRun(trashed)) => self.runs.restore(trashed),
            AppCommand::Notify(notice) => notice::push(&mut self.notices, notice),
            AppCommand::OpenFolder(folder) => {
                self.ctx.open_url(egui::OpenUrl::same_tab(format!("file://{}", folder.display())));
            }
            AppCommand::InAppFileDialog { purpose, dir, reason } => {
                if !std::mem::replace(&mut self.told_in_app_dialog, true) {
                    self.notices.push(Notice::info(format!(
                        "Using Loadscope's own file dialog: {reason}. Recent presets stay in the panel on the left."
                    )));
                }
                self.file_dialog = Some((crate::ui::file_dialog::in_app(&purpose, dir), purpose));
            }
            AppCommand::ShowDialog(Dialog::Secrets) => {
                let path = self.document.dotenv_path(&self.config.data_dir);
                self.jobs
                    .spawn("loadscope-dotenv", move || Some(AppCommand::SecretsRead(DotEnv::read(&path))));
            }
            AppCommand::SecretsRead(read) => match read {
                Ok(file) => {
                    self.secrets = Some((file, Default::default()));
                    self.dialog = Some(Dialog::Secrets);
                }
                Err(why) => self.notices.push(Notice::error(why.to_string())),
            },
            AppCommand::SecretsSaved { file, count, result } => self.secrets_saved(file, count, result),
            AppCommand::PresetRead { path, text } => self.preset_read(&path, text),
            AppCommand::PresetSaved {
                document,
                path,
                text,
                result,
            } => self.preset_saved(document, &path, text, result),
            AppCommand::UserPresets(found) => self.user_presets = found,
            AppCommand::Planned(purpose, planned) => self.planned(purpose, planned),
            AppCommand::ShowDialog(dialog) => self.dialog = Some(dialog),
            AppCommand::CloseDialog => {
                self.dialog = None;
                self.secrets = None;
            }
            AppCommand::SaveSecrets(entered) => self.save_secrets(entered),
            AppCommand::MonitorsProbed(status) => {
                self.probing_monitors = false;
                self.machine_monitors = status;
            }
        }
    }

    pub(super) fn apply_theme(&self) {
        let preference = match self.settings.theme {
            ThemeChoice::System => egui::ThemePreference::System,
            ThemeChoice::Dark => egui::ThemePreference::Dark,
            ThemeChoice::Light => egui::ThemePreference::Light,
        };
        self.ctx.set_theme(preference);
    }

    /// Finds out in the background which monitors work here, for the status bar.
    pub(super) fn probe_monitors(&mut self) {
        self.probing_monitors = true;
        self.jobs.spawn("loadscope-monitor-probe", || {
            let settings = crate::monitor::MonitorSettings {
                containers: Some(crate::monitor::ContainerFilter::default()),
                ..crate::monitor::MonitorSettings::default()
            };
            let status = crate::monitor::sampler::probe(settings).ok().map(|report| report.status);
            Some(AppCommand::MonitorsProbed(status))
        });
    }

    fn user_presets_dir(&self) -> PathBuf {
        self.config.data_dir.join(crate::preset::source::USER_PRESETS_FOLDER)
    }

    /// Lists the presets folder on a job thread.
    pub(super) fn scan_user_presets(&mut self) {
        let dir = self.user_presets_dir();
        self.jobs.spawn("loadscope-presets-folder", move || {
            crate::io_guard::note(|| format!("list presets in {}", dir.display()));
            let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
                .map(|entries| {
                    entries
                        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
                        .collect()
                })
                .unwrap_or_default();
            found.sort();
            Some(AppCommand::UserPresets(found))
        });
    }

    /// Opens a shipped preset (asks first when there are unsaved changes).
    fn open_shipped(&mut self, name: &str) {
        if self.document.is_dirty() {
            self.pending = Some(Pending::OpenShipped(name.to_string()));
            return;
        }
        match PresetDocument::shipped(name) {
            Some(document) => self.set_document(document),
            None => self.notices.push(Notice::error(format!(
                "there is no shipped preset {name:?} (shipped: {})",
                crate::preset::shipped::names().join(", ")
            ))),
        }
    }

    /// Opens a preset file (asks first when there are unsaved changes).
    fn open_file(&mut self, path: &Path) {
        if self.document.is_dirty() {
            self.pending = Some(Pending::Open(path.to_path_buf()));
            return;
        }
        let path = path.to_path_buf();
        self.jobs.spawn("loadscope-open-preset", move || {
            let text = PresetDocument::read_text(&path);
            Some(AppCommand::PresetRead { path, text })
        });
    }

    /// A preset file's text has been read: it becomes the open document (unless changes made
    /// meanwhile would be lost: then the person is asked again).
    fn preset_read(&mut self, path: &Path, text: Result<String, PresetFileError>) {
        match text {
            Ok(_) if self.document.is_dirty() => self.pending = Some(Pending::Open(path.to_path_buf())),
            Ok(text) => {
                self.settings.remember_file(path.to_path_buf());
                self.set_document(PresetDocument::from_file(path, text));
            }
            Err(err) => self.notices.push(Notice::error(err.to_string())),
        }
    }

    fn new_document(&mut self) {
        if self.document.is_dirty() {
            self.pending = Some(Pending::New);
            return;
        }
        self.set_document(PresetDocument::new(Origin::Untitled, NEW_PRESET.to_string()));
    }

    fn set_document(&mut self, document: PresetDocument) {
        self.settings.last_preset = match document.origin() {
            Origin::Shipped(name) => Some(PresetRef::Shipped(name.clone())),
            Origin::File(path) => Some(PresetRef::File(path.clone())),
            Origin::Untitled => None,
        };
        self.document = document;
        self.editor = EditorState::default();
        self.tab = Tab::Editor;
    }

    /// Saves to the document's file, or asks for one.
    fn save(&mut self) {
        match self.document.origin().clone() {
            Origin::File(path) => self.save_to(&path),
            _ => self.save_as(),
        }
    }

    /// Asks for a file to save to (in the presets folder, made on the dialog's job thread).
    fn save_as(&mut self) {
        let dir = self.user_presets_dir();
        let file_name = match crate::run::library::slug(&self.document.title()) {
            slug if slug.is_empty() => "preset.toml".to_string(),
            slug => format!("{slug}.toml"),
        };
        self.choose_file(FilePurpose::SavePreset { file_name }, dir);
    }

    /// The system's file dialog on a job thread (it blocks), or the in-app one straight away
    /// when the app was told not to use the system's.
    fn choose_file(&mut self, purpose: FilePurpose, dir: PathBuf) {
        let native = self.config.native_dialogs;
        self.jobs.spawn("loadscope-file-dialog", move || {
            if matches!(purpose, FilePurpose::SavePreset { .. }) {
                crate::io_guard::note(|| format!("create {}", dir.display()));
                let _ = std::fs::create_dir_all(&dir);
            }
            if native {
                crate::ui::file_dialog::native(purpose, dir)
            } else {
                Some(AppCommand::InAppFileDialog {
                    purpose,
                    dir,
                    reason: "the system's dialogs are turned off for this window".into(),
                })
            }
        });
    }

    /// Writes the preset's text to `path` on a job thread; [`Self::preset_saved`] takes the end.
    fn save_to(&mut self, path: &Path) {
        let (document, path, text) = (self.document.id(), path.to_path_buf(), self.document.text().to_string());
        self.jobs.spawn("loadscope-save-preset", move || {
            let result = PresetDocument::write(&path, &text);
            Some(AppCommand::PresetSaved {
                document,
                path,
                text,
                result,
            })
        });
    }

    /// A save has ended: the document (if it is still the one open) is saved as that text;
    /// what waited on the save is carried out only when it succeeded.
    fn preset_saved(&mut self, document: u64, path: &Path, text: String, result: Result<(), PresetFileError>) {
        let after = self.after_save.take();
        match result {
            Ok(()) => {
                if self.document.id() == document {
                    self.document.saved_as(path, text);
                    self.settings.last_preset = Some(PresetRef::File(path.to_path_buf()));
                }
                self.settings.remember_file(path.to_path_buf());
                self.scan_user_presets();
                if let Some(pending) = after {
                    self.carry_out(pending);
                }
            }
            Err(err) => self
                .notices
                .push(Notice::error(format!("{err}; the preset is still open with its changes"))),
        }
    }

    fn pick_preset(&mut self) {
        let dir = self.user_presets_dir();
        self.choose_file(FilePurpose::OpenPreset, dir);
    }

    /// The person's answer to "unsaved changes".
    fn unsaved(&mut self, choice: UnsavedChoice) {
        let Some(pending) = self.pending.take() else { return };
        match choice {
            UnsavedChoice::Cancel => {}
            UnsavedChoice::Save => {
                if matches!(self.document.origin(), Origin::File(_)) {
                    self.after_save = Some(pending);
                    self.save();
                } else {
                    // Save as needs a file first; the person repeats the action afterwards.
                    self.save_as();
                }
            }
            UnsavedChoice::Discard => {
                self.document = PresetDocument::new(self.document.origin().clone(), self.document.text().to_string());
                self.carry_out(pending);
            }
        }
    }

    fn carry_out(&mut self, pending: Pending) {
        match pending {
            Pending::Open(path) => self.open_file(&path),
            Pending::OpenShipped(name) => self.open_shipped(&name),
            Pending::New => self.new_document(),
            Pending::Quit => {
                self.quitting = true;
                self.ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
    }

    /// Opens presentation mode over `runs` (the first is the baseline), full screen.
    fn present(&mut self, runs: Vec<crate::run::RunRecord>) {
        if runs.is_empty() {
            return;
        }
        self.presentation = Some(Presentation::new(runs));
        self.ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(true));
    }

    /// Saves `picture` (a chart) as a PNG in the data dir's `exports/`: a worker thread draws
    /// it again at twice the screen's scale and writes it; a notice says where, or why not.
    fn save_chart_png(&mut self, mut picture: ChartPicture) {
        // The window's wgpu device, or (where OpenGL draws the window) one opened for the
        // picture on the job's thread.
        let window_gpu = self.gpu.clone();
        let dir = self.config.data_dir.join("exports");
        let stamp = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
        let name = run_file_name(&stamp, &picture.name).replace(".json", ".png");
        let look = Look::of(&self.ctx);
        self.jobs.spawn("loadscope-chart-png", move || {
            let path = dir.join(name);
            let gpu = match window_gpu {
                Some(gpu) => Ok(gpu),
                None => crate::ui::renderer::Gpu::headless().map_err(chart_png::PngError::Gpu),
            };
            let written = gpu
                .and_then(|gpu| chart_png::render(&gpu, &look, &mut picture))
                .and_then(|image| crate::ui::export::write_png(&image, &path));
            Some(AppCommand::Notify(match written {
                Ok(_) => Notice::info(format!("Chart saved as {}", path.display())).with_path(path),
                Err(why @ (chart_png::PngError::NotDrawn | chart_png::PngError::TooLarge { .. } | chart_png::PngError::Gpu(_))) => {
                    Notice::error(format!("cannot save {}: {why}", path.display()))
                }
                Err(why) => Notice::error(why.to_string()),
            }))
        });
    }

    /// Starts the built-in demo stack; runs of presets that name its reference ports go to
    /// wherever it listens (see `point_at_demo_stack`).
    fn start_demo_stack(&mut self) {
        if self.demo.is_some() {
            return;
        }
        let started = DemoStack::start(self.config.demo.clone()).or_else(|first| {
            // The reference ports are taken (another demo stack?): any free ports will do,
            // runs are pointed at them.
            let mut config = self.config.demo.clone();
            config.base_port = 0;
            DemoStack::start(config).map_err(|_| first)
        });
        match started {
            Ok(stack) => {
                // A newcomer's click: show the demo preset unless the open one already targets
                // the demo stack or holds unsaved work.
                if !self.document.is_dirty()
                    && !uses_demo_ports(&self.document)
                    && let Some(document) = PresetDocument::shipped("demo")
                {
                    self.set_document(document);
                }
                self.demo = Some(stack);
            }
            Err(err) => notice::push(
                &mut self.notices,
                Notice::error(format!("cannot start the demo stack: {err}")).with_cause(Cause::DemoStack),
            ),
        }
    }

    fn compiled_or_show_errors(&mut self) -> Option<CompiledPreset> {
        match self.document.compile() {
            Ok(mut compiled) => {
                if let Some(stack) = &self.demo {
                    point_at_demo_stack(&mut compiled, stack);
                }
                Some(compiled)
            }
            Err(errors) => {
                notice::push(
                    &mut self.notices,
                    Notice::error(format!(
                        "the preset has {} error(s); fix them in the Editor (the first: {})",
                        errors.0.len(),
                        errors.0.first().map(ToString::to_string).unwrap_or_default()
                    ))
                    .with_cause(Cause::PresetInvalid),
                );
                self.tab = Tab::Editor;
                None
            }
        }
    }

    /// Puts the typed `${VAR}` values in the preset's `.env` (the dialog stays open, showing
    /// them as set there).
    fn save_secrets(&mut self, entered: std::collections::BTreeMap<String, String>) {
        let Some((file, _)) = &self.secrets else { return };
        let count = entered.len();
        let mut updated = DotEnv {
            path: file.path.clone(),
            values: file.values.clone(),
        };
        updated.values.extend(entered);
        self.jobs.spawn("loadscope-dotenv", move || {
            let result = updated.write();
            Some(AppCommand::SecretsSaved {
                file: updated,
                count,
                result,
            })
        });
    }

    /// The secrets dialog's values were written, or not: the dialog keeps what was typed until
    /// they are.
    fn secrets_saved(&mut self, updated: DotEnv, count: usize, result: Result<(), DotEnvError>) {
        match result {
            Ok(()) => {
                self.notices.push(Notice::info(format!(
                    "Saved {count} secret(s) to {} (readable by you only; never written into presets or runs)",
                    updated.path.display()
                )));
                if let Some((file, inputs)) = &mut self.secrets
                    && file.path == updated.path
                {
                    *file = updated;
                    inputs.clear();
                }
            }
            Err(why) => self.notices.push(Notice::error(why.to_string())),
        }
    }

    /// Plans a run (or preflight) of the open preset on a job thread: its `.env`, saved
    /// baselines, CA files and synthetic prompts are read and built there, not in the window.
    fn plan(&mut self, purpose: PlanPurpose) {
        if self.live.state.is_active() {
            return;
        }
        let Some(compiled) = self.compiled_or_show_errors() else { return };
        let dotenv_path = self.document.dotenv_path(&self.config.data_dir);
        let runs_dir = self.config.data_dir.join("runs");
        self.jobs.spawn("loadscope-plan", move || {
            // `${VAR}` values: the environment, else the preset's .env (an app started from a
            // menu has no shell variables).
            let planned = DotEnv::read(&dotenv_path).map_err(PlanFailure::from).and_then(|dotenv| {
                RunPlan::in_library(compiled.clone(), &runs_dir, &|name| dotenv.lookup(name))
                    .map(|plan| Box::new((plan, compiled)))
                    .map_err(PlanFailure::from)
            });
            Some(AppCommand::Planned(purpose, planned))
        });
    }

    /// A plan is ready: the run or preflight starts (unless one started meanwhile).
    fn planned(&mut self, purpose: PlanPurpose, planned: Result<Box<(RunPlan, CompiledPreset)>, PlanFailure>) {
        if self.live.state.is_active() {
            return;
        }
        let (plan, compiled) = match planned {
            Ok(planned) => *planned,
            Err(why) => {
                self.notices.push(Notice::error(why.to_string()));
                return;
            }
        };
        match purpose {
            PlanPurpose::Preflight => {
                self.live = LiveRun::for_preset(&compiled, RunState::Preflight);
                self.send(Command::Preflight(Box::new(plan)));
            }
            PlanPurpose::Start => {
                if !self.serve_metrics(&compiled) {
                    return;
                }
                self.segment_folder = None;
                self.live = LiveRun::for_preset(&compiled, RunState::Preflight);
                self.live_view.reset_inputs();
                self.send(Command::Start(Box::new(plan)));
            }
        }
        self.tab = Tab::Live;
    }

    /// Serves `/metrics` where the preset's `[export] metrics_addr` asks (and stops serving
    /// when it asks for nothing); false, with a notice, when that address cannot be used.
    fn serve_metrics(&mut self, compiled: &CompiledPreset) -> bool {
        self.metrics.set_preset(&compiled.name);
        let Some(address) = compiled.metrics_addr else {
            self.metrics_server = None;
            return true;
        };
        if self.metrics_server.as_ref().is_some_and(|server| server.address() == address) {
            return true;
        }
        self.metrics_server = None;
        match MetricsServer::start(address, self.metrics.clone()) {
            Ok(server) => {
                self.notices.push(Notice::info(format!(
                    "Live metrics for Prometheus at http://{}/metrics",
                    server.address()
                )));
                self.metrics_server = Some(server);
                true
            }
            Err(why) => {
                self.notices.push(Notice::error(format!(
                    "{why} (the preset's [export] metrics_addr); the run did not start"
                )));
                false
            }
        }
    }

    fn send(&self, command: Command) {
        if let Some(engine) = &self.engine {
            engine.send(command);
        }
    }

    /// A read of the followed segment folder: the Live tab shows the merged run.
    fn segments_read(&mut self, dir: PathBuf, read: Result<Box<crate::segments::folder::FolderRun>, crate::segments::FolderError>) {
        let Some(folder) = self.segment_folder.as_mut().filter(|folder| folder.dir == dir) else {
            return;
        };
        folder.took(&read);
        if let Ok(run) = read
            && !self.live.state.is_active()
        {
            self.live = LiveRun::from_record(run.record, dir);
        }
    }

    /// Shows a saved run in the Live tab (not while a run is in progress).
    fn show_saved_run(&mut self, path: PathBuf, record: crate::run::RunRecord) {
        if self.live.state.is_active() {
            self.notices.push(Notice::error(
                "a run is in progress: stop it before opening a saved run in the Live tab",
            ));
            return;
        }
        self.segment_folder = None;
        self.live = LiveRun::from_record(record, path);
        self.tab = Tab::Live;
    }

    /// Takes in one engine event: the Live tab's state, and failures to start or save as
    /// error notices (not only a status-bar line).
    pub fn take_event(&mut self, event: crate::engine::Event) {
        use crate::engine::{Event, SaveOutcome};
        let failure = match &event {
            Event::StartFailed(why) => Some(format!("The run did not start: {why}")),
            Event::SaveFailed { path, error } if self.live.save_error.is_none() => Some(format!(
                "Could not save the run to {} ({}); the last good save is kept and saving is retried",
                path.display(),
                error.reason()
            )),
            Event::Finished {
                saved: SaveOutcome::Fallback { path, planned, error },
                ..
            } => Some(format!(
                "Could not save the run to {} ({error}); it was saved to {} instead",
                planned.display(),
                path.display()
            )),
            Event::Finished {
                saved: SaveOutcome::NotSaved { error },
                ..
            } => Some(format!("The run could not be saved anywhere: {error}")),
            _ => None,
        };
        if let Some(text) = failure {
            self.notices.push(Notice::error(text));
        }
        self.live.apply(event);
    }

    pub(super) fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|input| input.raw.dropped_files.iter().map(|file| file.path().to_path_buf()).collect());
        for path in dropped {
            if path.extension().is_some_and(|ext| ext == "json") {
                self.queue.push(AppCommand::OpenRunFile(path));
            } else {
                self.queue.push(AppCommand::OpenPreset(path));
            }
        }
    }

    pub(super) fn handle_close_request(&mut self, ctx: &egui::Context) {
        let close_requested = ctx.input(|input| input.viewport().close_requested());
        if close_requested && !self.quitting {
            if self.document.is_dirty() {
                ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
                self.pending = Some(Pending::Quit);
            } else if self.live.state.is_active() {
                // The engine saves the run as stopped when it shuts down (on drop).
                self.send(Command::Stop);
            }
        }
    }
}
