//! What one frame of a window costs on this machine's renderer: Loadscope's window during a run
//! of the demo preset, or the anchor, egui's own demo windows (`egui_demo_lib`), at the same
//! size, on eframe's wgpu or OpenGL (glow) renderer. The window redraws every `--every-ms`
//! whatever else happens and prints `frame <seconds since start>` to standard output as each
//! frame is drawn; `scripts/profile-ui-frame.sh` runs it under Xvfb, reads the threads' CPU
//! from /proc and divides by the frames.
//!
//!   cargo run --release --example frame_cost -- --app loadscope --renderer wgpu
//!   cargo run --release --example frame_cost -- --app egui-demo --renderer glow --every-ms 500
//!
//! Loadscope's window starts its demo stack and the demo preset; F5 (sent by the script)
//! starts the run.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::time::{Duration, Instant};

use loadscope::testing::ui::{AppConfig, LoadscopeApp};

struct Args {
    app: String,
    renderer: eframe::Renderer,
    every: Duration,
    width: f32,
    height: f32,
    dithering: bool,
}

fn args() -> Args {
    let mut args = Args {
        app: "loadscope".into(),
        renderer: eframe::Renderer::Wgpu,
        every: Duration::from_millis(500),
        width: 1600.0,
        height: 1000.0,
        dithering: true,
    };
    let mut words = std::env::args().skip(1);
    while let Some(flag) = words.next() {
        let value = words.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--app" => args.app = value,
            "--renderer" => {
                args.renderer = match value.as_str() {
                    "wgpu" => eframe::Renderer::Wgpu,
                    "glow" => eframe::Renderer::Glow,
                    other => panic!("--renderer {other}: use wgpu or glow"),
                }
            }
            "--dithering" => args.dithering = value == "on",
            "--every-ms" => args.every = Duration::from_millis(value.parse().unwrap()),
            "--size" => {
                let (width, height) = value.split_once('x').expect("--size WIDTHxHEIGHT");
                args.width = width.parse().unwrap();
                args.height = height.parse().unwrap();
            }
            other => panic!(
                "unknown flag {other}: --app loadscope|egui-demo, --renderer wgpu|glow, --every-ms N, --size WxH, --dithering on|off"
            ),
        }
    }
    args
}

/// Counts the frames drawn and asks for the next one `every` after this.
struct Paced<A> {
    inner: A,
    every: Duration,
    start: Instant,
}

impl<A: eframe::App> eframe::App for Paced<A> {
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        self.inner.logic(ctx, frame);
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.inner.ui(ui, frame);
        let mut out = std::io::stdout().lock();
        writeln!(out, "frame {:.3}", self.start.elapsed().as_secs_f64()).unwrap();
        out.flush().unwrap();
        ui.ctx().request_repaint_after(self.every);
    }
}

/// The anchor: every window of egui's demo open at once.
struct EguiDemo {
    windows: egui_demo_lib::DemoWindows,
}

impl eframe::App for EguiDemo {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.windows.ui(ui);
    }
}

fn main() -> eframe::Result {
    let args = args();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Loadscope frame cost")
            .with_inner_size([args.width, args.height]),
        renderer: args.renderer,
        dithering: args.dithering,
        ..Default::default()
    };
    let every = args.every;
    let start = Instant::now();
    let app = args.app.clone();
    eframe::run_native(
        "Loadscope frame cost",
        options,
        Box::new(move |cc| -> Result<Box<dyn eframe::App>, _> {
            Ok(match app.as_str() {
                "loadscope" => {
                    let data = std::env::temp_dir().join(format!("loadscope-frame-cost-{}", std::process::id()));
                    let config = AppConfig {
                        data_dir: data,
                        open: Some("demo".into()),
                        start_demo_stack: true,
                        native_dialogs: false,
                        ..AppConfig::default()
                    };
                    Box::new(Paced {
                        inner: LoadscopeApp::new(cc, config),
                        every,
                        start,
                    })
                }
                "egui-demo" => Box::new(Paced {
                    inner: EguiDemo {
                        windows: egui_demo_lib::DemoWindows::default(),
                    },
                    every,
                    start,
                }),
                other => panic!("--app {other}: use loadscope or egui-demo"),
            })
        }),
    )
}
