//! Stopping a run from outside: Ctrl-C, SIGTERM and SIGHUP (Ctrl-Break and a closed console
//! on Windows) stop the current run as Stop does; a second signal, or one that arrives once
//! every output is written, exits at once with the run's code.

use std::sync::atomic::Ordering;

use super::EXIT_INTERRUPTED;
use crate::engine::Command;

/// The exit code once every output of the run is written (`u16::MAX` before): a signal that
/// arrives then (during the wait for the last scrape) exits at once with it.
static FINAL_EXIT_CODE: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(u16::MAX);

/// The exit code if every output has been written.
fn final_exit_code() -> Option<i32> {
    let code = FINAL_EXIT_CODE.load(Ordering::SeqCst);
    (code != u16::MAX).then_some(i32::from(code))
}

/// Ctrl-C, SIGTERM and SIGHUP (CI cancelling a job, `timeout`, a closed terminal) and on
/// Windows Ctrl-Break and closing the console all stop the run as Stop does: traffic ends
/// within a second and the run is saved as stopped. A second signal quits at once.
pub(super) fn install(commander: crate::engine::Commander) {
    FINAL_EXIT_CODE.store(u16::MAX, Ordering::SeqCst);
    *CURRENT_RUN.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(commander);
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    // One thread for the process (repeated runs share it); it stops whichever run is current.
    INSTALLED.call_once(|| {
        let _ = std::thread::Builder::new().name("loadscope-signals".into()).spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async {
                let Some(mut signals) = StopSignals::new() else { return };
                let first = signals.next().await;
                if let Some(code) = final_exit_code() {
                    // The run is over and written; only the wait for a last scrape is left.
                    std::process::exit(code);
                }
                eprintln!("\n{first}: stopping, ending traffic and saving the run (again to quit at once)...");
                STOP_REQUESTED.store(true, Ordering::SeqCst);
                if let Some(commander) = CURRENT_RUN.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).as_ref() {
                    commander.send(Command::Stop);
                }
                signals.next().await;
                std::process::exit(final_exit_code().unwrap_or(i32::from(EXIT_INTERRUPTED)));
            });
        });
    });
}

/// The engine of the run going on now, for the signal thread.
static CURRENT_RUN: std::sync::Mutex<Option<crate::engine::Commander>> = std::sync::Mutex::new(None);

/// A signal asked the process to stop: repeated runs start no further run.
static STOP_REQUESTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether a signal asked the process to stop.
pub(super) fn stop_requested() -> bool {
    STOP_REQUESTED.load(Ordering::SeqCst)
}

/// The signals that stop a run, on this platform.
struct StopSignals {
    #[cfg(unix)]
    unix: [tokio::signal::unix::Signal; 2],
    #[cfg(windows)]
    windows: (tokio::signal::windows::CtrlBreak, tokio::signal::windows::CtrlClose),
}

impl StopSignals {
    fn new() -> Option<StopSignals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Some(StopSignals {
                unix: [signal(SignalKind::terminate()).ok()?, signal(SignalKind::hangup()).ok()?],
            })
        }
        #[cfg(windows)]
        {
            Some(StopSignals {
                windows: (
                    tokio::signal::windows::ctrl_break().ok()?,
                    tokio::signal::windows::ctrl_close().ok()?,
                ),
            })
        }
        #[cfg(not(any(unix, windows)))]
        {
            Some(StopSignals {})
        }
    }

    /// Waits for the next stop signal and names it.
    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            let [term, hup] = &mut self.unix;
            tokio::select! {
                _ = tokio::signal::ctrl_c() => "Ctrl-C",
                _ = term.recv() => "SIGTERM",
                _ = hup.recv() => "SIGHUP",
            }
        }
        #[cfg(windows)]
        {
            let (brk, close) = &mut self.windows;
            tokio::select! {
                _ = tokio::signal::ctrl_c() => "Ctrl-C",
                _ = brk.recv() => "Ctrl-Break",
                _ = close.recv() => "console closed",
            }
        }
        #[cfg(not(any(unix, windows)))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

/// Every output of the run is written, with exit code `code`: a signal from here on exits at
/// once with it.
pub(super) fn outputs_written(code: u8) {
    FINAL_EXIT_CODE.store(u16::from(code), Ordering::SeqCst);
}
