//! The desktop app (eframe/egui): a face over the same engine, presets and run files as the
//! command line. Only `cli` opens it; nothing under engine, monitor, run, analysis or report
//! imports it. `app` holds the state and routes `command::AppCommand`s; the tabs (`editor`,
//! `live`, `runs`, `present`) draw and return commands; `jobs` is the one way to work off the UI
//! thread; `notice` the one way to tell the person something.

pub(crate) mod app;
pub(crate) mod chart_png;
pub(crate) mod charts;
pub(crate) mod command;
mod compare;
pub(crate) mod document;
pub(crate) mod editor;
pub(crate) mod export;
pub(crate) mod fields;
pub(crate) mod file_dialog;
mod form_cells;
mod frame_pacer;
pub(crate) mod jobs;
mod journey_forms;
pub(crate) mod live;
pub(crate) mod live_run;
pub(crate) mod notice;
pub(crate) mod palette;
pub(crate) mod present;
pub(crate) mod renderer;
pub(crate) mod runs;
pub(crate) mod segment_folder;
pub(crate) mod settings;
mod shortcuts;
pub(crate) mod tables;
mod toml_highlight;

pub use app::{AppConfig, LoadscopeApp};
pub use command::{AppCommand, Dialog};

/// Opens the window and runs the app until it is closed, drawn by the renderer `choice` picks
/// (see `renderer`). Where OpenGL was chosen and cannot open a window (no OpenGL driver), wgpu
/// opens it instead.
pub(crate) fn run(config: AppConfig, choice: renderer::RendererChoice) -> eframe::Result {
    let chosen = renderer::choose(choice);
    let opened = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let result = open_window(config.clone(), chosen, opened.clone());
    match result {
        Err(err) if chosen == eframe::Renderer::Glow && !opened.load(std::sync::atomic::Ordering::SeqCst) => {
            eprintln!("loadscope: OpenGL cannot open the window ({err}); drawing it with wgpu instead");
            open_window(config, eframe::Renderer::Wgpu, opened)
        }
        other => other,
    }
}

fn open_window(config: AppConfig, renderer: eframe::Renderer, opened: std::sync::Arc<std::sync::atomic::AtomicBool>) -> eframe::Result {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Loadscope")
        .with_app_id(crate::identity::APP_ID)
        .with_inner_size([1360.0, 860.0])
        .with_min_inner_size([900.0, 560.0])
        .with_drag_and_drop(true);
    if let Some((width, height, rgba)) = crate::identity::icon_rgba() {
        viewport = viewport.with_icon(egui::IconData {
            rgba: rgba.clone(),
            width: *width,
            height: *height,
        });
    }
    // The window's own state (size, theme, remembered choices) lives beside the runs when
    // LOADSCOPE_DATA_DIR names a data dir, so two data dirs never share it; else in eframe's
    // place for the app.
    let persistence_path = crate::run::library::data_dir_from_env().map(|dir| {
        // Before the window thread is marked (`io_guard`): the one folder eframe writes into.
        let _ = std::fs::create_dir_all(&dir);
        dir.join("app.ron")
    });
    let options = eframe::NativeOptions {
        viewport,
        renderer,
        persistence_path,
        ..Default::default()
    };
    eframe::run_native(
        "Loadscope",
        options,
        Box::new(move |cc| {
            opened.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok(Box::new(LoadscopeApp::new(cc, config)))
        }),
    )
}

/// The centre tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Editor,
    Live,
    Runs,
}
