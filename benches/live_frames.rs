//! Frame time of the Live tab with an hour-long run: 3,600 one-second points in 9 series over
//! 12 levels, the charts showing the whole run. Each frame is the egui pass (layout, plots,
//! tables) plus tessellation, driven through the kittest harness as the app runs; GPU upload
//! and drawing are left out (they depend on the card). The peer is the same tab drawing every
//! point instead of a min/max envelope, measured in the same run.
//!
//!   cargo bench --bench live_frames
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use egui_kittest::Harness;
use loadscope::testing::run::{RunStatus, SecondStats, SeriesPoint};
use loadscope::testing::ui::live_run::{LiveRun, RunState};
use loadscope::testing::ui::{AppCommand, AppConfig, LoadscopeApp, Tab};

const SECONDS: u32 = 3600;
const FRAMES: usize = 300;

/// A deterministic hour: load steps up every five minutes, latency bends with it, noise from
/// a fixed sequence.
fn hour_of_series() -> Vec<SeriesPoint> {
    let mut noise: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        noise ^= noise << 13;
        noise ^= noise >> 7;
        noise ^= noise << 17;
        (noise % 1000) as f64 / 1000.0
    };
    (0..SECONDS)
        .map(|second| {
            let level = (second / 300) as usize;
            let users = 5 * (level as u32 + 1);
            let base_ms = 40.0 + 8.0 * (level * level) as f64;
            let jitter = next();
            SeriesPoint {
                second,
                scenario: 0,
                level,
                users,
                requests: SecondStats {
                    rps: f64::from(users) * (4.0 + jitter),
                    failures_per_sec: if jitter > 0.97 { 1.0 } else { 0.0 },
                    p50_micros: Some((base_ms * 1000.0 * (0.9 + 0.2 * jitter)) as u64),
                    p95_micros: Some((base_ms * 1900.0 * (0.9 + 0.3 * jitter)) as u64),
                    p99_micros: Some((base_ms * 2600.0 * (0.9 + 0.4 * jitter)) as u64),
                    ttft_p50_micros: Some((base_ms * 400.0) as u64),
                    ttft_p95_micros: Some((base_ms * 700.0 * (0.9 + 0.3 * jitter)) as u64),
                    output_tokens_per_sec: Some(f64::from(users) * 60.0 * (0.8 + 0.4 * jitter)),
                    goodput_per_sec: None,
                    prompt_tokens_per_sec: None,
                },
                resources: None,
                tasks: Vec::new(),
                journeys: None,
            }
        })
        .collect()
}

fn measure(draw_every_point: bool) -> Vec<f64> {
    let data = tempfile::tempdir().unwrap();
    let config = AppConfig {
        data_dir: data.path().to_path_buf(),
        open: Some("demo".into()),
        probe_monitors: false,
        ..AppConfig::default()
    };
    let mut harness = Harness::builder()
        .with_size([1600.0, 1000.0])
        .build_eframe(move |cc| LoadscopeApp::new(cc, config));
    {
        let app = harness.state_mut();
        let mut live = LiveRun::default();
        live.state = RunState::Saved(RunStatus::Completed);
        live.series = hour_of_series();
        app.set_live(live);
        app.draw_every_point(draw_every_point);
        app.settings_mut().charts_whole_run = true;
        app.command(AppCommand::ShowTab(Tab::Live));
    }
    for _ in 0..10 {
        harness.step();
    }
    let mut frame_millis = Vec::with_capacity(FRAMES);
    for _ in 0..FRAMES {
        let started = Instant::now();
        harness.step();
        let output = harness.output();
        let primitives = harness.ctx.tessellate(output.shapes.clone(), output.pixels_per_point);
        std::hint::black_box(primitives);
        frame_millis.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    frame_millis.sort_by(f64::total_cmp);
    frame_millis
}

fn percentile(sorted: &[f64], quantile: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * quantile).round() as usize]
}

fn main() {
    let series = hour_of_series();
    let values: usize = loadscope::testing::ui::charts::CHARTS.iter().map(|chart| chart.series.len()).sum();
    println!(
        "Live tab, {} s of series x {values} series (whole run shown), {FRAMES} frames each",
        series.len()
    );
    let decimated = measure(false);
    let every_point = measure(true);
    println!(
        "{:<28} {:>8} {:>8} {:>8} {:>8}",
        "frame time (egui + tessellate)", "p50", "p95", "p99", "max"
    );
    for (name, frames) in [("decimated (the app)", &decimated), ("every point (peer)", &every_point)] {
        println!(
            "{name:<28} {:>6.2}ms {:>6.2}ms {:>6.2}ms {:>6.2}ms",
            percentile(frames, 0.50),
            percentile(frames, 0.95),
            percentile(frames, 0.99),
            percentile(frames, 1.0)
        );
    }
    let goal = percentile(&decimated, 0.99);
    println!(
        "p99 ratio decimated/every point: {:.2}; goal p99 < 16 ms: {}",
        goal / percentile(&every_point, 0.99),
        if goal < 16.0 { "met" } else { "MISSED" }
    );
}
