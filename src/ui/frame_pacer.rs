//! How often the window redraws during a run, from what its frames cost.
//!
//! A graphics card draws a frame for next to nothing, so with one the window redraws at every
//! snapshot the engine sends (4 a second). A software renderer (Mesa's llvmpipe, through
//! lavapipe) rasterizes on the CPU, so there the window measures what its frames cost and
//! redraws as often as [`WINDOW_CPU_BUDGET`] allows, between 4 a second and one every 5 s.
//!
//! What a frame costs is the CPU of the window's threads over the last seconds divided by the
//! frames drawn in them. The window's threads are all but the engine's, the monitors' and the
//! demo stack's (named `loadscope-…`): the window thread and the renderer's rasterizer threads.
//! On Linux a thread of its own reads them from /proc every second; elsewhere eframe's frame
//! time (the window thread's wall time for a frame) stands in.
//!
//! With `LOADSCOPE_FRAME_LOG=1` in the environment each frame drawn writes `frame <seconds>`
//! to standard error (`scripts/bench-ui-cpu.sh` counts them).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The share of one core the window may spend on redrawing a run by itself.
pub(crate) const WINDOW_CPU_BUDGET: f64 = 0.20;
/// The engine's snapshot cadence: redrawing faster shows nothing new.
const FASTEST: Duration = Duration::from_millis(250);
const SLOWEST: Duration = Duration::from_secs(5);
/// Until a frame's cost is measured on a software renderer.
const FIRST_GUESS: Duration = Duration::from_secs(1);
/// A frame's cost is measured over at least this long (CPU times come in 10 ms ticks).
const MEASURE_OVER: Duration = Duration::from_secs(3);

/// The renderer the window draws with, as far as pacing goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Renderer {
    /// A graphics card: redraw at every snapshot.
    Hardware,
    /// A CPU renderer (or one not known): redraw as the budget allows.
    Software,
}

/// What the pacer knows, for the Live tab to say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Pacing {
    pub(crate) interval: Duration,
    /// The CPU a frame costs, in seconds, once measured (software renderers only).
    pub(crate) frame_cpu_secs: Option<f64>,
}

pub(crate) struct FramePacer {
    renderer: Renderer,
    frames: u64,
    frame_cpu_secs: Option<f64>,
    sampler: Option<WindowCpu>,
    /// Frames drawn and the window's CPU (µs) when the current measurement began.
    measured_from: Option<(u64, u64, Instant)>,
    log_from: Option<Instant>,
}

impl FramePacer {
    pub(crate) fn new(renderer: Renderer) -> FramePacer {
        FramePacer {
            renderer,
            frames: 0,
            frame_cpu_secs: None,
            sampler: match renderer {
                Renderer::Software => WindowCpu::start(),
                Renderer::Hardware => None,
            },
            measured_from: None,
            log_from: std::env::var_os("LOADSCOPE_FRAME_LOG").map(|_| Instant::now()),
        }
    }

    /// Called once per frame drawn, with eframe's time for the previous frame (seconds).
    pub(crate) fn frame_drawn(&mut self, previous_frame_secs: Option<f32>) {
        self.frames += 1;
        if let Some(start) = self.log_from {
            use std::io::Write;
            // Standard error, not a file: nothing here waits on a disk.
            let _ = writeln!(std::io::stderr().lock(), "frame {:.3}", start.elapsed().as_secs_f64());
        }
        if self.renderer == Renderer::Hardware {
            return;
        }
        match &self.sampler {
            Some(sampler) => {
                let (cpu_micros, at) = sampler.read();
                let Some(at) = at else { return };
                match self.measured_from {
                    Some((frames, from_micros, from_at)) if at.duration_since(from_at) >= MEASURE_OVER => {
                        let drawn = self.frames - frames;
                        if drawn >= 2 {
                            let cost = cpu_micros.saturating_sub(from_micros) as f64 / 1e6 / drawn as f64;
                            self.frame_cpu_secs = Some(smooth(self.frame_cpu_secs, cost));
                        }
                        self.measured_from = Some((self.frames, cpu_micros, at));
                    }
                    Some(_) => {}
                    None => self.measured_from = Some((self.frames, cpu_micros, at)),
                }
            }
            None => {
                if let Some(secs) = previous_frame_secs {
                    self.frame_cpu_secs = Some(smooth(self.frame_cpu_secs, f64::from(secs)));
                }
            }
        }
    }

    /// How long to wait before redrawing a run by itself.
    pub(crate) fn pacing(&self) -> Pacing {
        let interval = match (self.renderer, self.frame_cpu_secs) {
            (Renderer::Hardware, _) => FASTEST,
            (Renderer::Software, None) => FIRST_GUESS,
            (Renderer::Software, Some(cost)) => {
                Duration::from_millis((cost / WINDOW_CPU_BUDGET * 1000.0).round() as u64).clamp(FASTEST, SLOWEST)
            }
        };
        Pacing {
            interval,
            frame_cpu_secs: self.frame_cpu_secs,
        }
    }
}

/// Half the old estimate, half the new measurement: follows a tab switch within seconds.
fn smooth(old: Option<f64>, new: f64) -> f64 {
    match old {
        Some(old) => 0.5 * old + 0.5 * new,
        None => new,
    }
}

/// The CPU the window's threads have used, read every second by a thread of its own (Linux).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
struct WindowCpu {
    shared: Arc<Shared>,
}

#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
struct Shared {
    cpu_micros: AtomicU64,
    /// Microseconds after `start` of the last reading, plus one (0: none yet).
    read_at_micros: AtomicU64,
    start: Instant,
}

impl WindowCpu {
    #[cfg(target_os = "linux")]
    fn start() -> Option<WindowCpu> {
        let shared = Arc::new(Shared {
            cpu_micros: AtomicU64::new(0),
            read_at_micros: AtomicU64::new(0),
            start: Instant::now(),
        });
        let reader = Arc::downgrade(&shared);
        std::thread::Builder::new()
            .name("loadscope-frame-cpu".into())
            .spawn(move || {
                // SAFETY: sysconf reads a constant.
                let ticks_per_sec = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
                while let Some(shared) = reader.upgrade() {
                    if let Some(ticks) = window_ticks() {
                        shared.cpu_micros.store(ticks * 1_000_000 / ticks_per_sec, Ordering::Relaxed);
                        shared
                            .read_at_micros
                            .store(shared.start.elapsed().as_micros() as u64 + 1, Ordering::Release);
                    }
                    drop(shared);
                    std::thread::sleep(Duration::from_secs(1));
                }
            })
            .ok()?;
        Some(WindowCpu { shared })
    }

    #[cfg(not(target_os = "linux"))]
    fn start() -> Option<WindowCpu> {
        None
    }

    /// The window's CPU so far (µs) and when that was read.
    fn read(&self) -> (u64, Option<Instant>) {
        let at = self.shared.read_at_micros.load(Ordering::Acquire);
        let cpu = self.shared.cpu_micros.load(Ordering::Relaxed);
        let at = (at > 0).then(|| self.shared.start + Duration::from_micros(at - 1));
        (cpu, at)
    }
}

/// User and system CPU ticks of this process's threads that are not Loadscope's own workers.
#[cfg(target_os = "linux")]
fn window_ticks() -> Option<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir("/proc/self/task").ok()? {
        let Ok(entry) = entry else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if let Some(ticks) = window_thread_ticks(&stat) {
            total += ticks;
        }
    }
    Some(total)
}

/// A thread's ticks from its `stat` line, or None for an engine, monitor or demo thread.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn window_thread_ticks(stat: &str) -> Option<u64> {
    let name = stat.get(stat.find('(')? + 1..stat.rfind(')')?)?;
    if name.starts_with("loadscope-") {
        return None;
    }
    let mut fields = stat.get(stat.rfind(')')? + 2..)?.split_ascii_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hardware_renderer_redraws_at_every_snapshot() {
        let mut pacer = FramePacer::new(Renderer::Hardware);
        pacer.frame_drawn(Some(0.4));
        assert_eq!(pacer.pacing().interval, FASTEST);
    }

    #[test]
    fn a_software_renderer_redraws_as_the_budget_allows() {
        let mut pacer = FramePacer {
            sampler: None,
            ..FramePacer::new(Renderer::Software)
        };
        assert_eq!(pacer.pacing().interval, FIRST_GUESS, "before any frame is measured");
        // 0.1 s a frame within 20% of a core: one every 0.5 s.
        pacer.frame_drawn(Some(0.1));
        assert_eq!(pacer.pacing().interval, Duration::from_millis(500));
        // Cheap frames never go past the snapshots; dear ones never wait past 5 s.
        pacer.frame_cpu_secs = Some(0.001);
        assert_eq!(pacer.pacing().interval, FASTEST);
        pacer.frame_cpu_secs = Some(3.0);
        assert_eq!(pacer.pacing().interval, SLOWEST);
    }

    #[test]
    fn the_window_threads_are_all_but_loadscopes_workers() {
        let stat = |name: &str| format!("1234 ({name}) S 1 1 1 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 1 0 100 0 0");
        assert_eq!(window_thread_ticks(&stat("loadscope")), Some(300));
        assert_eq!(window_thread_ticks(&stat("llvmpipe-0")), Some(300));
        assert_eq!(window_thread_ticks(&stat("a (b) c")), Some(300), "a name with brackets");
        assert_eq!(window_thread_ticks(&stat("loadscope-worke")), None);
        assert_eq!(window_thread_ticks(&stat("loadscope-demo")), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_window_cpu_is_read_from_proc() {
        let sampler = WindowCpu::start().expect("a reader thread");
        let deadline = Instant::now() + Duration::from_secs(5);
        while sampler.read().1.is_none() {
            assert!(Instant::now() < deadline, "no reading within 5 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
