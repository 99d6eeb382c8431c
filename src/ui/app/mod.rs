//! The desktop app: its state (here), what it does when asked (`commands`: one `AppCommand`
//! queue that every panel and background job feeds), and how it draws (`panels`). Engine events
//! are drained in `logic` every frame; everything slow (file dialogs, run files, PNG exports,
//! the monitor probe) runs through `Jobs` and comes back as commands.

mod commands;
mod demo;
mod panels;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::Tab;
use super::command::AppCommand;
use super::document::{NEW_PRESET, Origin, PresetDocument};
use super::editor::EditorState;
use super::jobs::Jobs;
use super::live::LiveView;
use super::live_run::LiveRun;
use super::notice::Notice;
use super::present::Presentation;
use super::runs::RunsTab;
use super::settings::{PresetRef, STORAGE_KEY, Settings};
use crate::demo::{DemoConfig, DemoStack};
use crate::engine::Engine;
use crate::export::MetricsServer;
use crate::export::metrics::RunMetrics;

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
    /// A run file to present full screen as soon as the window opens (`gui --present`).
    pub present: Option<PathBuf>,
    /// Check in the background which monitors work on this machine (off in snapshot tests,
    /// whose pictures must not depend on the machine).
    pub probe_monitors: bool,
    /// Use the system's file dialogs where they work (off: always the in-app one, as tests do).
    pub native_dialogs: bool,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            data_dir: crate::run::library::data_dir(),
            demo: DemoConfig::default(),
            open: None,
            start_demo_stack: false,
            present: None,
            probe_monitors: true,
            native_dialogs: true,
        }
    }
}

/// Something that would drop unsaved changes, waiting for the person to decide.
#[derive(Debug, Clone, PartialEq)]
enum Pending {
    Open(PathBuf),
    OpenShipped(String),
    New,
    Quit,
}

/// The Loadscope desktop app.
pub struct LoadscopeApp {
    config: AppConfig,
    settings: Settings,
    engine: Option<Engine>,
    /// What `/metrics` serves: the engine reports every event to it.
    metrics: RunMetrics,
    /// Serving `/metrics` for the running preset's `[export] metrics_addr`.
    metrics_server: Option<MetricsServer>,
    /// A folder of segment files the Live tab follows.
    segment_folder: Option<super::segment_folder::SegmentFolder>,
    document: PresetDocument,
    editor: EditorState,
    live: LiveRun,
    live_view: LiveView,
    runs: RunsTab,
    tab: Tab,
    demo: Option<DemoStack>,
    /// Errors and news for the person, shown until dismissed.
    notices: Vec<Notice>,
    /// Presentation mode, when on: it takes the whole window.
    presentation: Option<Presentation>,
    pending: Option<Pending>,
    /// What to do once the save under way has succeeded (the person chose Save when asked
    /// about unsaved changes); dropped when it fails, so nothing unsaved is lost.
    after_save: Option<Pending>,
    /// What panels and finished jobs asked for, routed once per frame.
    queue: Vec<AppCommand>,
    /// File dialogs, PNG exports and the monitor probe; each comes back as a command (None: the
    /// person cancelled).
    jobs: Jobs<Option<AppCommand>>,
    user_presets: Vec<PathBuf>,
    quitting: bool,
    /// What the monitors can see on this machine (probed in the background at start).
    machine_monitors: Option<crate::monitor::MonitorStatus>,
    /// Whether that probe has not come back yet.
    probing_monitors: bool,
    /// Help's dialog, while open.
    dialog: Option<super::command::Dialog>,
    /// The in-app file dialog, while open, and what its file is for.
    file_dialog: Option<(egui_file::FileDialog, super::command::FilePurpose)>,
    /// Whether the person was told why the in-app file dialog stands in for the system's.
    told_in_app_dialog: bool,
    /// The preset's `.env` file while File > Secrets is open, and what is typed in its fields.
    secrets: Option<(crate::preset::secrets::DotEnv, std::collections::BTreeMap<String, String>)>,
    /// The app's icon, for About.
    icon: Option<egui::TextureHandle>,
    /// The title last sent to the window, so it is only sent again when it changes.
    shown_title: String,
    /// The window's wgpu device, which draws charts saved as PNG (None where OpenGL draws the
    /// window: the picture's job opens a device of its own).
    gpu: Option<crate::ui::renderer::Gpu>,
    /// How often a run redraws by itself.
    pacer: crate::ui::frame_pacer::FramePacer,
    ctx: egui::Context,
}

/// The smallest text the app draws (help, hints, captions), in points.
pub const SMALL_TEXT_SIZE: f32 = 12.0;

impl LoadscopeApp {
    /// Builds the app: restores settings, starts the engine thread, opens the last preset.
    pub fn new(cc: &eframe::CreationContext<'_>, config: AppConfig) -> LoadscopeApp {
        // The window never waits on a disk: files a preset names are read on threads of their
        // own, and any other file I/O here is counted as a fault (`io_guard`).
        crate::io_guard::mark_this_thread();
        let settings: Settings = cc
            .storage
            .and_then(|storage| eframe::get_value(storage, STORAGE_KEY))
            .unwrap_or_default();
        let ctx = cc.egui_ctx.clone();
        // Small text (help under fields, hints, captions) at 12 px, not egui's 9: readable on a
        // laptop and on a projector.
        // Solid scroll bars take their own room: a floating one lay over the right-hand chart
        // column and clipped its last x tick.
        ctx.all_styles_mut(|style| {
            style
                .text_styles
                .insert(egui::TextStyle::Small, egui::FontId::proportional(SMALL_TEXT_SIZE));
            style.spacing.scroll = egui::style::ScrollStyle::solid();
        });
        let waker_ctx = ctx.clone();
        let waker: crate::engine::Waker = Arc::new(move || waker_ctx.request_repaint_after(Duration::from_millis(30)));
        // Snapshots do not wake the window (see `Settings::live_refresh`).
        let mut notices = Vec::new();
        let metrics = RunMetrics::default();
        let observer: crate::engine::Observer = {
            let metrics = metrics.clone();
            Arc::new(move |event| metrics.observe(event))
        };
        let engine = match Engine::spawn_observed(Some(waker), Some(observer)) {
            Ok(engine) => Some(engine),
            Err(err) => {
                notices.push(Notice::error(format!(
                    "cannot start the load engine: {err}. Runs are unavailable; restart Loadscope."
                )));
                None
            }
        };
        let adapter = match (&cc.wgpu_render_state, &cc.gl) {
            (Some(state), _) => Some(super::renderer::Adapter::of_wgpu(&state.adapter.get_info())),
            (None, Some(gl)) => Some(super::renderer::Adapter::of_gl(gl)),
            (None, None) => None,
        };
        // Not knowing the adapter (the test harness), the window paces itself as on a graphics
        // card: the harness draws only when a test steps it.
        let pacer = crate::ui::frame_pacer::FramePacer::new(match &adapter {
            Some(adapter) if adapter.software => crate::ui::frame_pacer::Renderer::Software,
            _ => crate::ui::frame_pacer::Renderer::Hardware,
        });
        let runs_dir = config.data_dir.join("runs");
        let mut app = LoadscopeApp {
            document: PresetDocument::shipped("demo").unwrap_or_else(|| PresetDocument::new(Origin::Untitled, NEW_PRESET.to_string())),
            editor: EditorState::default(),
            live: LiveRun::default(),
            live_view: LiveView::default(),
            runs: RunsTab::new(runs_dir, &ctx),
            tab: Tab::Editor,
            demo: None,
            notices,
            presentation: None,
            pending: None,
            after_save: None,
            queue: Vec::new(),
            jobs: Jobs::new(&ctx),
            user_presets: Vec::new(),
            quitting: false,
            shown_title: String::new(),
            machine_monitors: None,
            probing_monitors: false,
            dialog: None,
            secrets: None,
            file_dialog: None,
            told_in_app_dialog: false,
            icon: crate::identity::icon_rgba().map(|(width, height, rgba)| {
                let image = egui::ColorImage::from_rgba_unmultiplied([*width as usize, *height as usize], rgba);
                ctx.load_texture("loadscope-icon", image, egui::TextureOptions::LINEAR)
            }),
            engine,
            metrics,
            metrics_server: None,
            segment_folder: None,
            settings,
            config,
            gpu: cc.wgpu_render_state.as_ref().map(crate::ui::renderer::Gpu::of_window),
            pacer,
            ctx,
        };
        app.live_view.adapter = adapter;
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
            Some(PresetRef::File(path)) => app.route(AppCommand::OpenPreset(path)),
            Some(PresetRef::Shipped(name)) => app.route(AppCommand::OpenShipped(name)),
            None => {}
        }
        if app.config.start_demo_stack {
            app.route(AppCommand::StartDemoStack);
        }
        if let Some(path) = app.config.present.clone() {
            // Read on a job thread (the window thread does no file I/O), then presented.
            app.jobs.spawn("loadscope-present-file", move || {
                Some(match crate::run::load(&path) {
                    Ok(record) => AppCommand::Present(vec![record]),
                    Err(err) => AppCommand::Notify(Notice::error(format!("cannot present {}: {err}", path.display()))),
                })
            });
        }
        app
    }

    /// Drains engine events and finished jobs, and routes every queued command (also called by
    /// tests between steps).
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
            self.runs.refresh();
        }
        let finished: Vec<AppCommand> = self.jobs.poll().into_iter().flatten().collect();
        self.queue.extend(finished);
        self.runs.poll();
        for notice in self.runs.take_notices() {
            super::notice::push(&mut self.notices, notice);
        }
        self.route_queued();
        // An error whose cause has been fixed goes away by itself.
        let preset_valid = self.document.diagnostics().is_empty();
        let demo_running = self.demo.is_some();
        self.notices.retain(|notice| match notice.cause {
            Some(super::notice::Cause::PresetInvalid) => !preset_valid,
            Some(super::notice::Cause::DemoStack) => !demo_running,
            None => true,
        });
        // During a run the window shows the engine's numbers as often as the pacer allows (at
        // every snapshot on a graphics card, within the CPU budget on a software renderer) or
        // at the interval the person chose: every other frame comes from input or from an
        // event that needs showing at once.
        let pacing = self.pacer.pacing();
        self.live_view.pacing = Some(pacing);
        if self.live.state.is_active() {
            let every = self.settings.live_redraw.fixed_interval().unwrap_or(pacing.interval);
            self.ctx.request_repaint_after(every);
        }
        if let Some(folder) = &mut self.segment_folder
            && let Some(next) = folder.tick(&mut self.jobs)
        {
            self.ctx.request_repaint_after(next);
        }
    }

    /// Routes the commands the last frame's panels returned.
    fn route_queued(&mut self) {
        for command in std::mem::take(&mut self.queue) {
            self.route(command);
        }
    }

    fn window_title(&self) -> String {
        let dirty = if self.document.is_dirty() { " •" } else { "" };
        format!("{}{dirty} — Loadscope", self.document.title())
    }
}

/// What tests read and do, instead of reaching into the app's fields.
impl LoadscopeApp {
    /// Does what a panel would ask for, now.
    pub fn command(&mut self, command: AppCommand) {
        self.route(command);
    }

    /// Whether the window is closing (the person chose to quit, and nothing stopped it).
    pub fn is_quitting(&self) -> bool {
        self.quitting
    }

    /// Background jobs started and not yet taken back (file reads and writes, plans, dialogs).
    pub fn jobs_running(&self) -> usize {
        self.jobs.running()
    }

    pub fn document(&self) -> &PresetDocument {
        &self.document
    }

    pub fn live(&self) -> &LiveRun {
        &self.live
    }

    /// Shows this run state in the Live tab, as a run's events would.
    pub fn set_live(&mut self, live: LiveRun) {
        self.live = live;
    }

    /// The settings the person changes in the app (charts shown, whole run or not, theme).
    pub fn settings_mut(&mut self) -> &mut Settings {
        &mut self.settings
    }

    /// Draw every chart point instead of a min/max envelope (the frame benchmark's baseline).
    pub fn draw_every_point(&mut self, every_point: bool) {
        self.live_view.draw_every_point = every_point;
    }

    pub fn runs(&self) -> &RunsTab {
        &self.runs
    }

    pub fn tab(&self) -> Tab {
        self.tab
    }

    /// The Live tab's view state (its section, the charts' hover and zoom).
    pub fn live_view(&self) -> &super::live::LiveView {
        &self.live_view
    }

    /// The scenario the Editor's forms show.
    pub fn editor_scenario(&self) -> usize {
        self.editor.scenario
    }

    /// The folder of segment files the Live tab follows.
    pub fn segment_folder(&self) -> Option<&super::segment_folder::SegmentFolder> {
        self.segment_folder.as_ref()
    }

    pub fn notices(&self) -> &[Notice] {
        &self.notices
    }

    /// Help's dialog, while open.
    pub fn dialog(&self) -> Option<super::command::Dialog> {
        self.dialog
    }

    pub fn presentation(&self) -> Option<&Presentation> {
        self.presentation.as_ref()
    }

    /// The demo stack's gateway, RAG and MCP URLs while it runs.
    pub fn demo_urls(&self) -> Option<[String; 3]> {
        self.demo.as_ref().map(DemoStack::urls)
    }
}

impl eframe::App for LoadscopeApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        // Present takes the keyboard while it is on (its own keys, F11 among them).
        if self.presentation.is_none() {
            self.queue.extend(super::shortcuts::pressed(ctx));
        }
        self.drain();
        self.handle_dropped_files(ctx);
        self.handle_close_request(ctx);
        if self.document.follow_dataset_reads() {
            ctx.request_repaint_after(Duration::from_millis(500));
        }
        self.route_queued();
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.pacer.frame_drawn(frame.info().cpu_usage);
        let ctx = ui.ctx().clone();
        let title = self.window_title();
        if title != self.shown_title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.shown_title = title;
        }
        let mut commands = Vec::new();
        if self.presentation.is_some() {
            self.presentation_frame(ui, &mut commands);
        } else {
            self.frame(ui, &mut commands);
        }
        // Routed now, so a click shows its effect in the next frame, not one later.
        self.queue.extend(commands);
        self.route_queued();
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, STORAGE_KEY, &self.settings);
    }
}
