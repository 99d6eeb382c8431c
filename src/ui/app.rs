//! The desktop app's state and frame: the preset library on the left, the Editor, Live and
//! Runs tabs in the centre, run controls on top and the engine's state at the bottom. Engine
//! events are drained in `logic` every frame; everything slow (file dialogs, listing runs)
//! runs on its own thread and reports back over a channel.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use egui::{Color32, RichText};

use super::document::{NEW_PRESET, Origin, PresetDocument};
use super::editor::EditorState;
use super::live::LiveView;
use super::live_run::{LiveRun, RunState};
use super::palette;
use super::present::Presentation;
use super::runs::{RunsNotice, RunsRequest, RunsTab};
use super::settings::{PresetRef, STORAGE_KEY, Settings, ThemeChoice};
use crate::demo::{DemoConfig, DemoStack};
use crate::engine::{Command, Engine, RunPlan};
use crate::preset::{CompiledPreset, LoadModel, secrets};
use crate::run::library::run_file_name;

/// How the app starts: where its data lives, how the demo stack runs, what to open.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Runs go to `data_dir/runs`, user presets live in `data_dir/presets`.
    pub data_dir: PathBuf,
    pub demo: DemoConfig,
    /// A preset path or shipped name to open instead of the last one.
    pub open: Option<String>,
    /// Start the demo stack when the window opens.
    pub start_demo_stack: bool,
    /// Check in the background which monitors work on this machine (off in snapshot tests,
    /// whose pictures must not depend on the machine).
    pub probe_monitors: bool,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            data_dir: crate::run::library::data_dir(),
            demo: DemoConfig::default(),
            open: None,
            start_demo_stack: false,
            probe_monitors: true,
        }
    }
}

/// The centre tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Editor,
    Live,
    Runs,
}

/// Something that would drop unsaved changes, waiting for the person to decide.
#[derive(Debug, Clone, PartialEq)]
enum Pending {
    Open(PathBuf),
    OpenShipped(String),
    New,
    Quit,
}

/// Results of work done off the UI thread.
enum Background {
    OpenPicked(Option<PathBuf>),
    SavePicked(Option<PathBuf>),
    RunPicked(Option<PathBuf>),
    /// A chart saved as PNG (its path), or why not.
    ChartSaved(Result<PathBuf, String>),
}

/// The Loadscope desktop app.
pub struct LoadscopeApp {
    config: AppConfig,
    pub settings: Settings,
    engine: Option<Engine>,
    pub document: PresetDocument,
    pub editor: EditorState,
    pub live: LiveRun,
    pub live_view: LiveView,
    pub runs: RunsTab,
    pub tab: Tab,
    demo: Option<DemoStack>,
    /// Errors for the person, shown until dismissed.
    pub notices: Vec<String>,
    /// News for the person (a report written, a run deleted with Undo), shown until dismissed.
    pub infos: Vec<RunsNotice>,
    /// Presentation mode, when on: it takes the whole window.
    pub presentation: Option<Presentation>,
    pending: Option<Pending>,
    background_tx: mpsc::Sender<Background>,
    background_rx: mpsc::Receiver<Background>,
    user_presets: Vec<PathBuf>,
    quitting: bool,
    /// What the monitors can see on this machine (probed in the background at start).
    machine_monitors: Option<crate::monitor::MonitorStatus>,
    monitor_probe: Option<mpsc::Receiver<crate::monitor::MonitorStatus>>,
    /// The title last sent to the window, so it is only sent again when it changes.
    shown_title: String,
    ctx: egui::Context,
}

impl LoadscopeApp {
    /// Builds the app: restores settings, starts the engine thread, opens the last preset.
    pub fn new(cc: &eframe::CreationContext<'_>, config: AppConfig) -> LoadscopeApp {
        let settings: Settings = cc
            .storage
            .and_then(|storage| eframe::get_value(storage, STORAGE_KEY))
            .unwrap_or_default();
        let ctx = cc.egui_ctx.clone();
        let waker_ctx = ctx.clone();
        let waker: crate::engine::Waker = Arc::new(move || waker_ctx.request_repaint_after(Duration::from_millis(30)));
        let mut notices = Vec::new();
        let engine = match Engine::spawn(Some(waker)) {
            Ok(engine) => Some(engine),
            Err(err) => {
                notices.push(format!(
                    "cannot start the load engine: {err}. Runs are unavailable; restart Loadscope."
                ));
                None
            }
        };
        let (background_tx, background_rx) = mpsc::channel();
        let runs_dir = config.data_dir.join("runs");
        let mut app = LoadscopeApp {
            document: PresetDocument::shipped("demo").unwrap_or_else(|| PresetDocument::new(Origin::Untitled, NEW_PRESET.to_string())),
            editor: EditorState::default(),
            live: LiveRun::default(),
            live_view: LiveView::default(),
            runs: RunsTab::new(runs_dir),
            tab: Tab::Editor,
            demo: None,
            notices,
            infos: Vec::new(),
            presentation: None,
            pending: None,
            background_tx,
            background_rx,
            user_presets: Vec::new(),
            quitting: false,
            shown_title: String::new(),
            machine_monitors: None,
            monitor_probe: None,
            engine,
            settings,
            config,
            ctx,
        };
        app.apply_theme();
        app.scan_user_presets();
        if app.config.probe_monitors {
            app.probe_monitors();
        }
        let start = app.config.open.clone().map(|arg| {
            if Path::new(&arg).is_file() {
                PresetRef::File(PathBuf::from(arg))
            } else {
                PresetRef::Shipped(arg)
            }
        });
        match start.or_else(|| app.settings.last_preset.clone()) {
            Some(PresetRef::File(path)) => app.open_file(&path),
            Some(PresetRef::Shipped(name)) => app.open_shipped(&name),
            None => {}
        }
        if app.config.start_demo_stack {
            app.start_demo_stack();
        }
        app
    }

    fn apply_theme(&self) {
        let preference = match self.settings.theme {
            ThemeChoice::System => egui::ThemePreference::System,
            ThemeChoice::Dark => egui::ThemePreference::Dark,
            ThemeChoice::Light => egui::ThemePreference::Light,
        };
        self.ctx.set_theme(preference);
    }

    /// Finds out in the background which monitors work here, for the status bar.
    fn probe_monitors(&mut self) {
        let (tx, rx) = mpsc::channel();
        let ctx = self.ctx.clone();
        self.monitor_probe = Some(rx);
        spawn_named("loadscope-monitor-probe", move || {
            let settings = crate::monitor::MonitorSettings {
                containers: Some(crate::monitor::ContainerFilter::default()),
                ..crate::monitor::MonitorSettings::default()
            };
            if let Ok(report) = crate::monitor::sampler::probe(settings) {
                let _ = tx.send(report.status);
                ctx.request_repaint();
            }
        });
    }

    fn user_presets_dir(&self) -> PathBuf {
        self.config.data_dir.join("presets")
    }

    fn scan_user_presets(&mut self) {
        let dir = self.user_presets_dir();
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                    .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
                    .collect()
            })
            .unwrap_or_default();
        found.sort();
        self.user_presets = found;
    }

    /// Opens a shipped preset (asks first when there are unsaved changes).
    pub fn open_shipped(&mut self, name: &str) {
        if self.document.is_dirty() {
            self.pending = Some(Pending::OpenShipped(name.to_string()));
            return;
        }
        match PresetDocument::shipped(name) {
            Some(document) => self.set_document(document),
            None => self.notices.push(format!(
                "there is no shipped preset {name:?} (shipped: {})",
                crate::preset::shipped::names().join(", ")
            )),
        }
    }

    /// Opens a preset file (asks first when there are unsaved changes).
    pub fn open_file(&mut self, path: &Path) {
        if self.document.is_dirty() {
            self.pending = Some(Pending::Open(path.to_path_buf()));
            return;
        }
        match PresetDocument::open(path) {
            Ok(document) => {
                self.settings.remember_file(path.to_path_buf());
                self.set_document(document);
            }
            Err(err) => self.notices.push(err),
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
        if let Some(stack) = &self.demo {
            point_at_demo_stack(&mut self.document, stack);
        }
        self.tab = Tab::Editor;
    }

    /// Saves to the document's file, or asks for one.
    pub fn save(&mut self) {
        match self.document.origin().clone() {
            Origin::File(path) => self.save_to(&path),
            _ => self.save_as(),
        }
    }

    /// Asks for a file to save to (on a background thread: the dialog blocks).
    pub fn save_as(&mut self) {
        let tx = self.background_tx.clone();
        let ctx = self.ctx.clone();
        let dir = self.user_presets_dir();
        let name = match crate::run::library::slug(&self.document.title()) {
            slug if slug.is_empty() => "preset.toml".to_string(),
            slug => format!("{slug}.toml"),
        };
        spawn_named("loadscope-save-dialog", move || {
            let _ = std::fs::create_dir_all(&dir);
            let picked = rfd::FileDialog::new()
                .add_filter("Loadscope preset", &["toml"])
                .set_directory(&dir)
                .set_file_name(name)
                .save_file();
            let _ = tx.send(Background::SavePicked(picked));
            ctx.request_repaint();
        });
    }

    pub fn save_to(&mut self, path: &Path) {
        match self.document.save_to(path) {
            Ok(()) => {
                self.settings.remember_file(path.to_path_buf());
                self.settings.last_preset = Some(PresetRef::File(path.to_path_buf()));
                self.scan_user_presets();
            }
            Err(err) => self.notices.push(err),
        }
    }

    fn pick_file_to_open(&mut self) {
        let tx = self.background_tx.clone();
        let ctx = self.ctx.clone();
        let dir = self.user_presets_dir();
        spawn_named("loadscope-open-dialog", move || {
            let picked = rfd::FileDialog::new()
                .add_filter("Loadscope preset", &["toml"])
                .set_directory(&dir)
                .pick_file();
            let _ = tx.send(Background::OpenPicked(picked));
            ctx.request_repaint();
        });
    }

    fn pick_run_file(&mut self) {
        let tx = self.background_tx.clone();
        let ctx = self.ctx.clone();
        spawn_named("loadscope-open-run-dialog", move || {
            let picked = rfd::FileDialog::new().add_filter("Loadscope run", &["json"]).pick_file();
            let _ = tx.send(Background::RunPicked(picked));
            ctx.request_repaint();
        });
    }

    /// Opens presentation mode over `runs` (the first is the baseline), full screen.
    pub fn present(&mut self, runs: Vec<crate::run::RunRecord>) {
        if runs.is_empty() {
            return;
        }
        self.presentation = Some(Presentation::new(runs));
        self.ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(true));
    }

    /// Leaves presentation mode.
    pub fn end_presentation(&mut self) {
        self.presentation = None;
        self.ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(false));
    }

    /// Saves the screen area `rect` (a chart) as a PNG in the data dir's `exports/`, taken
    /// from the next rendered frame; the encoding and writing happen off the UI thread.
    pub fn save_chart_png(&mut self, title: &str, rect: egui::Rect) {
        let tx = self.background_tx.clone();
        let ctx = self.ctx.clone();
        let dir = self.config.data_dir.join("exports");
        let stamp = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
        let name = run_file_name(&stamp, title).replace(".json", ".png");
        let pixels_per_point = self.ctx.pixels_per_point();
        self.ctx.request_screenshot(move |image| {
            spawn_named("loadscope-chart-png", move || {
                let path = dir.join(name);
                let result = super::export::write_png(&image.region(&rect, Some(pixels_per_point)), &path).map(|_| path);
                let _ = tx.send(Background::ChartSaved(result));
                ctx.request_repaint();
            });
        });
        self.ctx.request_repaint();
    }

    /// Starts the built-in demo stack and points the open preset's demo URLs at it.
    pub fn start_demo_stack(&mut self) {
        if self.demo.is_some() {
            return;
        }
        let started = DemoStack::start(self.config.demo.clone()).or_else(|first| {
            // The reference ports are taken (another demo stack?): any free ports will do,
            // the preset is pointed at them.
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
                point_at_demo_stack(&mut self.document, &stack);
                self.demo = Some(stack);
            }
            Err(err) => self.notices.push(format!("cannot start the demo stack: {err}")),
        }
    }

    /// Stops the demo stack.
    pub fn stop_demo_stack(&mut self) {
        self.demo = None;
    }

    pub fn demo_urls(&self) -> Option<[String; 3]> {
        self.demo.as_ref().map(DemoStack::urls)
    }

    fn compiled_or_show_errors(&mut self) -> Option<CompiledPreset> {
        match self.document.compile() {
            Ok(compiled) => Some(compiled),
            Err(errors) => {
                self.notices.push(format!(
                    "the preset has {} error(s); fix them in the Editor (the first: {})",
                    errors.0.len(),
                    errors.0.first().map(ToString::to_string).unwrap_or_default()
                ));
                self.tab = Tab::Editor;
                None
            }
        }
    }

    fn plan(&mut self) -> Option<(RunPlan, CompiledPreset)> {
        let compiled = self.compiled_or_show_errors()?;
        match RunPlan::in_library(compiled.clone(), &self.config.data_dir.join("runs"), &secrets::from_env) {
            Ok(plan) => Some((plan, compiled)),
            Err(err) => {
                self.notices.push(err.to_string());
                None
            }
        }
    }

    /// Checks the services without sending load.
    pub fn preflight(&mut self) {
        if self.live.state.is_active() {
            return;
        }
        if let Some((plan, compiled)) = self.plan() {
            self.live = LiveRun::for_preset(&compiled, RunState::Preflight);
            self.send(Command::Preflight(Box::new(plan)));
            self.tab = Tab::Live;
        }
    }

    /// Starts a run of the open preset.
    pub fn start(&mut self) {
        if self.live.state.is_active() {
            return;
        }
        if let Some((plan, compiled)) = self.plan() {
            self.live = LiveRun::for_preset(&compiled, RunState::Preflight);
            self.live_view.reset_inputs();
            self.send(Command::Start(Box::new(plan)));
            self.tab = Tab::Live;
        }
    }

    pub fn stop(&mut self) {
        self.send(Command::Stop);
    }

    pub fn next_level(&mut self) {
        self.send(Command::NextLevel);
    }

    pub fn send(&self, command: Command) {
        if let Some(engine) = &self.engine {
            engine.send(command);
        }
    }

    /// Shows a saved run in the Live tab.
    pub fn show_saved_run(&mut self, path: PathBuf, record: crate::run::RunRecord) {
        if self.live.state.is_active() {
            self.notices
                .push("a run is in progress: stop it before opening a saved run in the Live tab".to_string());
            return;
        }
        self.live = LiveRun::from_record(record, path);
        self.tab = Tab::Live;
    }

    /// Takes in one engine event: the Live tab's state, and failures to start or save as
    /// error notices (not only a status-bar line).
    pub fn take_event(&mut self, event: crate::engine::Event) {
        use crate::engine::{Event, SaveOutcome};
        match &event {
            Event::StartFailed(why) => self.notices.push(format!("The run did not start: {why}")),
            Event::SaveFailed { path, error } if self.live.save_error.is_none() => self.notices.push(format!(
                "Could not save the run to {} ({error}); the last good save is kept and saving is retried",
                path.display()
            )),
            Event::Finished {
                saved: SaveOutcome::Fallback { path, planned, error },
                ..
            } => self.notices.push(format!(
                "Could not save the run to {} ({error}); it was saved to {} instead",
                planned.display(),
                path.display()
            )),
            Event::Finished {
                saved: SaveOutcome::NotSaved { error },
                ..
            } => self.notices.push(format!("The run could not be saved anywhere: {error}")),
            _ => {}
        }
        self.live.apply(event);
    }

    /// Drains engine events and background results (also called by tests between steps).
    pub fn drain(&mut self) {
        let mut ended = false;
        let mut events = Vec::new();
        if let Some(engine) = &self.engine {
            while let Some(event) = engine.try_recv() {
                events.push(event);
            }
        }
        for event in events {
            ended |= matches!(event, crate::engine::Event::Finished { .. });
            self.take_event(event);
        }
        if ended {
            self.runs.refresh(&self.ctx);
        }
        while let Ok(result) = self.background_rx.try_recv() {
            match result {
                Background::OpenPicked(Some(path)) => self.open_file(&path),
                Background::SavePicked(Some(path)) => self.save_to(&path),
                Background::RunPicked(Some(path)) => {
                    self.runs.open_path(path, &self.ctx);
                    self.tab = Tab::Runs;
                }
                Background::ChartSaved(Ok(path)) => self.infos.push(RunsNotice {
                    text: format!("Chart saved as {}", path.display()),
                    is_error: false,
                    undo: None,
                }),
                Background::ChartSaved(Err(why)) => self.notices.push(why),
                Background::OpenPicked(None) | Background::SavePicked(None) | Background::RunPicked(None) => {}
            }
        }
        self.runs.poll(&self.ctx);
        for notice in self.runs.take_notices() {
            if notice.is_error {
                self.notices.push(notice.text);
            } else {
                self.infos.push(notice);
            }
        }
        if let Some(rx) = &self.monitor_probe
            && let Ok(status) = rx.try_recv()
        {
            self.machine_monitors = Some(status);
            self.monitor_probe = None;
        }
        if self.live.state.is_active() {
            self.ctx.request_repaint_after(Duration::from_millis(250));
        }
    }

    fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|input| input.raw.dropped_files.iter().map(|file| file.path().to_path_buf()).collect());
        for path in dropped {
            if path.extension().is_some_and(|ext| ext == "json") {
                self.runs.open_path(path, &self.ctx);
                self.tab = Tab::Runs;
            } else {
                self.open_file(&path);
            }
        }
    }

    fn handle_close_request(&mut self, ctx: &egui::Context) {
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

    fn top_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            ui.menu_button("File", |ui| {
                if ui.button("New preset").clicked() {
                    self.new_document();
                }
                if ui.button("Open…").clicked() {
                    self.pick_file_to_open();
                }
                if ui.button("Save").clicked() {
                    self.save();
                }
                if ui.button("Save as…").clicked() {
                    self.save_as();
                }
                ui.separator();
                ui.label("Theme");
                let mut theme = self.settings.theme;
                ui.radio_value(&mut theme, ThemeChoice::System, "Follow the system");
                ui.radio_value(&mut theme, ThemeChoice::Dark, "Dark");
                ui.radio_value(&mut theme, ThemeChoice::Light, "Light");
                if theme != self.settings.theme {
                    self.settings.theme = theme;
                    self.apply_theme();
                }
            });
            ui.separator();
            let active = self.live.state.is_active();
            let running = self.live.state == RunState::Running;
            if ui
                .add_enabled(!active, egui::Button::new("Preflight"))
                .on_hover_text("Check the services' health without sending load")
                .clicked()
            {
                self.preflight();
            }
            if ui
                .add_enabled(!active, egui::Button::new("Start"))
                .on_hover_text("Run the open preset")
                .clicked()
            {
                self.start();
            }
            if ui
                .add_enabled(active, egui::Button::new("Stop"))
                .on_hover_text("End the run now and save it")
                .clicked()
            {
                self.stop();
            }
            if ui.add_enabled(running, egui::Button::new("Next level")).clicked() {
                self.next_level();
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
            ui.label(format!(
                "{} · {} ({}/{})",
                snapshot.scenario_name,
                snapshot.level_name,
                snapshot.level_index + 1,
                snapshot.level_count
            ));
            let load = match snapshot.load {
                LoadModel::Closed { .. } => format!("{} users", snapshot.users),
                LoadModel::Open { .. } => format!("{} in flight", snapshot.users),
            };
            ui.label(load);
            ui.label(format!("{:.1} req/s", snapshot.rps_last_second));
            ui.label(format!("{:.2}% errors", snapshot.level_total.error_rate_percent()));
        } else if let Some(record) = &self.live.record {
            ui.label(format!("{} · {:.0} s", record.preset.name, self.live.elapsed_secs()));
        }
        let lights = self.live.verdict_lights();
        let ended = self.live.record.is_some();
        if ended && !lights.is_empty() {
            // After the run: the count, and only the checks that failed.
            let failed = lights.iter().filter(|(_, verdict)| !verdict.passed).count();
            let summary = if failed == 0 {
                RichText::new(format!("All {} target checks passed", lights.len())).color(palette::PASS)
            } else {
                RichText::new(format!("{failed} of {} target checks failed", lights.len())).color(palette::FAIL)
            };
            ui.label(summary.strong());
        }
        for (level, verdict) in lights.into_iter().filter(|(_, verdict)| !ended || !verdict.passed) {
            let color = match (verdict.observed, verdict.passed) {
                (None, _) => Color32::GRAY,
                (Some(_), true) => palette::PASS,
                (Some(_), false) => palette::FAIL,
            };
            let word = light_word(verdict.observed, verdict.passed);
            let task = verdict.task.as_deref().map(|task| format!(" [{task}]")).unwrap_or_default();
            let observed = verdict
                .observed
                .map(|value| crate::preset::target::format_metric_value(verdict.metric, value))
                .unwrap_or_else(|| "-".to_string());
            let text = if ended {
                format!("{word} {level}: {}{task}", verdict.target)
            } else {
                format!("{word} {}{task}", verdict.target)
            };
            ui.label(RichText::new(text).color(color))
                .on_hover_text(format!("{level}: {}{task}: {word}, observed {observed}", verdict.target));
        }
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
                None if self.monitor_probe.is_some() => {
                    ui.label("Monitors: checking…");
                }
                None => {
                    ui.label("Monitors: not checked yet (a run reports them)");
                }
            }
        });
    }

    fn library_panel(&mut self, ui: &mut egui::Ui) {
        egui::ScrollArea::vertical().show(ui, |ui| {
            ui.heading("Presets");
            ui.horizontal(|ui| {
                if ui.button("New").clicked() {
                    self.new_document();
                }
                if ui.button("Open…").clicked() {
                    self.pick_file_to_open();
                }
            });
            ui.label(RichText::new("Shipped").small().weak());
            for name in crate::preset::shipped::names() {
                let selected = self.document.origin() == &Origin::Shipped(name.to_string());
                if ui.selectable_label(selected, name).clicked() && !selected {
                    self.open_shipped(name);
                }
            }
            if !self.user_presets.is_empty() {
                ui.label(RichText::new("Yours").small().weak());
                for path in self.user_presets.clone() {
                    let selected = self.document.origin() == &Origin::File(path.clone());
                    let name = path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
                    if ui
                        .selectable_label(selected, name)
                        .on_hover_text(path.display().to_string())
                        .clicked()
                        && !selected
                    {
                        self.open_file(&path);
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
                        self.open_file(&path);
                    }
                }
            }
            ui.separator();
            ui.heading("Scenarios");
            let names = self.editor.scenario_names(&self.document);
            for (index, name) in names.iter().enumerate() {
                if ui.selectable_label(self.editor.scenario == index, name).clicked() {
                    self.editor.scenario = index;
                    self.tab = Tab::Editor;
                }
            }
            ui.separator();
            ui.heading("Demo stack");
            if self.demo.is_some() {
                ui.label(
                    "Simulated gateway, RAG and MCP services are running on localhost: press Start to run the open preset against them.",
                );
                if ui.button("Stop demo stack").clicked() {
                    self.stop_demo_stack();
                }
            } else {
                ui.label("No services yet? Start simulated ones and run the demo preset.");
                if ui.button("Start demo stack").clicked() {
                    self.start_demo_stack();
                }
            }
        });
    }

    fn notices(&mut self, ui: &mut egui::Ui) {
        let mut dismiss = None;
        for (index, notice) in self.notices.iter().enumerate() {
            egui::Frame::new()
                .fill(palette::error_fill())
                .inner_margin(6.0)
                .corner_radius(4.0)
                .show(ui, |ui| {
                    ui.horizontal_wrapped(|ui| {
                        ui.label(notice);
                        if ui.small_button("Dismiss").clicked() {
                            dismiss = Some(index);
                        }
                    });
                });
        }
        if let Some(index) = dismiss {
            self.notices.remove(index);
        }
        let mut dismiss = None;
        let mut undo = None;
        for (index, info) in self.infos.iter().enumerate() {
            egui::Frame::new()
                .fill(palette::info_fill())
                .inner_margin(6.0)
                .corner_radius(4.0)
                .show(ui, |ui| {
                    ui.horizontal_wrapped(|ui| {
                        ui.label(&info.text);
                        if let Some(trashed) = &info.undo
                            && ui.small_button("Undo").clicked()
                        {
                            undo = Some((index, trashed.clone()));
                        }
                        if ui.small_button("Dismiss").clicked() {
                            dismiss = Some(index);
                        }
                    });
                });
        }
        if let Some((index, trashed)) = undo {
            self.infos.remove(index);
            self.runs.restore(trashed, &self.ctx);
        } else if let Some(index) = dismiss {
            self.infos.remove(index);
        }
    }

    fn confirm_dialog(&mut self, ctx: &egui::Context) {
        let Some(pending) = self.pending.clone() else { return };
        let mut choice = None;
        egui::Modal::new(egui::Id::unique("unsaved-changes")).show(ctx, |ui| {
            ui.heading("Unsaved changes");
            ui.label(format!("{} has changes that are not saved.", self.document.title()));
            ui.horizontal(|ui| {
                if ui.button("Save").clicked() {
                    choice = Some("save");
                }
                if ui.button("Discard changes").clicked() {
                    choice = Some("discard");
                }
                if ui.button("Cancel").clicked() {
                    choice = Some("cancel");
                }
            });
        });
        let Some(choice) = choice else { return };
        self.pending = None;
        match choice {
            "cancel" => {}
            "save" => {
                if matches!(self.document.origin(), Origin::File(_)) {
                    self.save();
                    self.carry_out(pending);
                } else {
                    // Save as needs a file first; the person repeats the action afterwards.
                    self.save_as();
                }
            }
            _ => {
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

    fn window_title(&self) -> String {
        let dirty = if self.document.is_dirty() { " •" } else { "" };
        format!("{}{dirty} — Loadscope", self.document.title())
    }
}

impl eframe::App for LoadscopeApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.drain();
        self.handle_dropped_files(ctx);
        self.handle_close_request(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        let title = self.window_title();
        if title != self.shown_title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.shown_title = title;
        }
        if self.presentation.is_some() {
            let mut leave = false;
            egui::CentralPanel::default_margins().show(ui, |ui| {
                if let Some(presentation) = &mut self.presentation {
                    leave = presentation.handle_keys(&ctx);
                    leave |= presentation.show(ui);
                }
            });
            if leave {
                self.end_presentation();
            }
            return;
        }
        egui::Panel::top("run-controls").show(ui, |ui| self.top_bar(ui));
        egui::Panel::bottom("status-bar").show(ui, |ui| self.status_bar(ui));
        egui::Panel::left("library")
            .resizable(true)
            .default_size(210.0)
            .show(ui, |ui| self.library_panel(ui));
        egui::CentralPanel::default_margins().show(ui, |ui| {
            self.notices(ui);
            ui.horizontal(|ui| {
                let dirty = if self.document.is_dirty() { " •" } else { "" };
                ui.selectable_value(&mut self.tab, Tab::Editor, format!("Editor{dirty}"));
                ui.selectable_value(&mut self.tab, Tab::Live, "Live");
                ui.selectable_value(&mut self.tab, Tab::Runs, "Runs");
            });
            ui.separator();
            match self.tab {
                Tab::Editor => self.editor.show(ui, &mut self.document),
                Tab::Live => {
                    let commands = self.live_view.show(ui, &self.live, &mut self.settings);
                    for command in commands {
                        self.send(command);
                    }
                    if let Some((title, rect)) = self.live_view.png_request.take() {
                        self.save_chart_png(&title, rect);
                    }
                    if std::mem::take(&mut self.live_view.present_request)
                        && let Some(record) = &self.live.record
                    {
                        let record = (**record).clone();
                        self.present(vec![record]);
                    }
                }
                Tab::Runs => {
                    for request in self.runs.show(ui) {
                        match request {
                            RunsRequest::OpenInLive(path, record) => self.show_saved_run(path, *record),
                            RunsRequest::Present(runs) => self.present(runs),
                            RunsRequest::PickFile => self.pick_run_file(),
                            RunsRequest::SavePng(title, rect) => self.save_chart_png(&title, rect),
                        }
                    }
                }
            }
        });
        self.confirm_dialog(&ctx);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, STORAGE_KEY, &self.settings);
    }
}

/// Whether any scenario's base URL is one of the demo stack's reference addresses.
fn uses_demo_ports(document: &PresetDocument) -> bool {
    [
        "localhost:8000",
        "localhost:8002",
        "localhost:8020",
        "127.0.0.1:8000",
        "127.0.0.1:8002",
        "127.0.0.1:8020",
    ]
    .iter()
    .any(|address| document.text().contains(address))
}

/// Rewrites base URLs that name the demo stack's reference ports (8000, 8002, 8020 on
/// localhost) to where the running stack listens.
fn point_at_demo_stack(document: &mut PresetDocument, stack: &DemoStack) {
    let [gateway, rag, mcp] = stack.urls();
    let mapping: Vec<(u16, String)> = [(8000, stack.gateway, gateway), (8002, stack.rag, rag), (8020, stack.mcp, mcp)]
        .into_iter()
        .filter(|(port, address, _)| address.port() != *port)
        .map(|(port, _, url)| (port, url))
        .collect();
    if mapping.is_empty() {
        return;
    }
    document.edit(|doc| {
        let Some(scenarios) = super::fields::array_mut(doc.as_table_mut(), "scenario") else {
            return;
        };
        for scenario in scenarios.iter_mut() {
            let Some(service) = scenario.get_mut("service").and_then(|item| item.as_table_like_mut()) else {
                continue;
            };
            let Some(url) = service.get("base_url").and_then(|item| item.as_str()).map(str::to_string) else {
                continue;
            };
            for (port, target) in &mapping {
                let matches = ["http://localhost", "http://127.0.0.1"]
                    .iter()
                    .any(|host| url.trim_end_matches('/') == format!("{host}:{port}"));
                if matches && url != *target {
                    service.insert("base_url", toml_edit::value(target.as_str()));
                }
            }
        }
    });
}

fn spawn_named(name: &str, work: impl FnOnce() + Send + 'static) {
    let _ = std::thread::Builder::new().name(name.to_string()).spawn(work);
}

/// The word a verdict light shows, so it reads without colour too.
pub fn light_word(observed: Option<f64>, passed: bool) -> &'static str {
    match (observed, passed) {
        (None, _) => "WAIT",
        (Some(_), true) => "PASS",
        (Some(_), false) => "FAIL",
    }
}
