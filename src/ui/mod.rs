//! The desktop app (eframe/egui): a face over the same engine, presets and run files as the
//! command line. Only `cli` opens it; nothing under engine, monitor, run, analysis or report
//! imports it.

pub mod app;
pub mod charts;
pub mod document;
pub mod editor;
pub mod export;
pub mod fields;
pub mod live;
pub mod live_run;
pub mod palette;
pub mod present;
pub mod runs;
pub mod settings;
pub mod tables;

pub use app::{AppConfig, LoadscopeApp, Tab};

/// Opens the window and runs the app until it is closed.
pub fn run(config: AppConfig) -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Loadscope")
            .with_app_id("loadscope")
            .with_inner_size([1360.0, 860.0])
            .with_min_inner_size([900.0, 560.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        "Loadscope",
        options,
        Box::new(move |cc| Ok(Box::new(LoadscopeApp::new(cc, config)))),
    )
}
