//! The app's one way to work off the UI thread: a named thread runs the work, its result comes
//! back on a channel that the owner polls once per frame, and the UI is woken when it lands.
//! File dialogs, run files, reports, PNG exports and the monitor probe all go through it.

use std::sync::mpsc;

/// Background work whose results are of type `T`.
pub(crate) struct Jobs<T> {
    tx: mpsc::Sender<T>,
    rx: mpsc::Receiver<T>,
    /// Started and not yet polled back.
    running: usize,
    ctx: egui::Context,
}

/// The right to report one result later, for work that starts outside the frame (a screenshot
/// callback).
pub(crate) struct Spawner<T> {
    tx: mpsc::Sender<T>,
    ctx: egui::Context,
}

impl<T: Send + 'static> Spawner<T> {
    /// Runs `work` on a thread named `name`; its result comes back through `Jobs::poll`.
    pub(crate) fn spawn(self, name: &str, work: impl FnOnce() -> T + Send + 'static) {
        let Spawner { tx, ctx } = self;
        let started = std::thread::Builder::new().name(name.to_string()).spawn(move || {
            let _ = tx.send(work());
            ctx.request_repaint();
        });
        if let Err(err) = started {
            // No thread, no result: the count would wait for ever. Say why instead.
            log_spawn_failure(name, &err);
        }
    }
}

fn log_spawn_failure(name: &str, err: &std::io::Error) {
    eprintln!("loadscope: cannot start the {name} thread: {err}");
}

impl<T: Send + 'static> Jobs<T> {
    pub(crate) fn new(ctx: &egui::Context) -> Jobs<T> {
        let (tx, rx) = mpsc::channel();
        Jobs {
            tx,
            rx,
            running: 0,
            ctx: ctx.clone(),
        }
    }

    /// Runs `work` on a thread named `name`.
    pub(crate) fn spawn(&mut self, name: &str, work: impl FnOnce() -> T + Send + 'static) {
        self.reserve().spawn(name, work);
    }

    /// Counts one job as running now and returns what starts it later.
    pub(crate) fn reserve(&mut self) -> Spawner<T> {
        self.running += 1;
        Spawner {
            tx: self.tx.clone(),
            ctx: self.ctx.clone(),
        }
    }

    /// Results that arrived since the last poll, oldest first.
    pub(crate) fn poll(&mut self) -> Vec<T> {
        let results: Vec<T> = self.rx.try_iter().collect();
        self.running = self.running.saturating_sub(results.len());
        results
    }

    /// Jobs started and not yet polled back.
    pub(crate) fn running(&self) -> usize {
        self.running
    }
}
