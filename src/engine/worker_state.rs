//! What a worker thread's users share: the worker's recorder and the stage it records into,
//! the requests it has in flight, the signal that stops a user, and the one place a finished
//! request is recorded.

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::outcome::{Done, failure_message};
use super::plan::ScenarioPlan;
use super::recorder::{Recorder, Sample};
use crate::measure::objectives::{ReplyMeasures, RequestMeasures};

/// An open-model request that starts this much after its scheduled time counts as late.
pub(crate) const LATE_AFTER: Duration = Duration::from_millis(10);

/// A slot for an arrival due at `intended` (open model, trace replay): at once, or once a
/// request in flight finishes (then it is late, as it is when the worker itself was behind);
/// None when the driver was told to stop while it waited (the caller counts the arrivals that
/// never started as late).
pub(super) async fn arrival_permit(
    state: &WorkerState,
    permits: &std::sync::Arc<tokio::sync::Semaphore>,
    stop: &StopSignal,
    stage: u32,
    intended: Instant,
) -> Option<tokio::sync::OwnedSemaphorePermit> {
    let (permit, late) = match permits.clone().try_acquire_owned() {
        Ok(permit) => (permit, false),
        Err(_) => {
            let waited = tokio::select! {
                permit = permits.clone().acquire_owned() => permit.ok(),
                _ = stop.wait() => None,
            };
            let permit = waited.filter(|_| !stop.get())?;
            (permit, true)
        }
    };
    if stop.get() {
        return None;
    }
    if late || intended.elapsed() > LATE_AFTER {
        state.recorder.borrow_mut().record_late_start(stage);
    }
    Some(permit)
}

/// A worker's state, shared by its users (one thread: cells, no locks).
pub(super) struct WorkerState {
    pub(super) run_start: Instant,
    pub(super) recorder: RefCell<Recorder>,
    pub(super) stage: Cell<u32>,
    pub(super) scenario_index: Cell<usize>,
    pub(super) in_flight: Cell<u32>,
    /// Requests started and not yet recorded, as (stage, task, count): a few entries (the
    /// stages and tasks in flight at once), searched in place, so the request path does not
    /// allocate once it has warmed up.
    pub(super) open: RefCell<Vec<(u32, u32, u32)>>,
    /// Requests the stage may still start, shared by every worker (a level with `requests`);
    /// None: no count, the level runs for its duration.
    pub(super) budget: RefCell<Option<Arc<AtomicU64>>>,
}

impl WorkerState {
    /// Takes one request from the stage's budget: false once the level's `requests` have all
    /// been started (the caller starts no more).
    pub(super) fn take_request(&self) -> bool {
        match &*self.budget.borrow() {
            None => true,
            Some(left) => left
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| left.checked_sub(1))
                .is_ok(),
        }
    }

    pub(super) fn open_request(&self, stage: u32, task: u32) {
        let mut open = self.open.borrow_mut();
        match open.iter_mut().find(|(s, t, _)| (*s, *t) == (stage, task)) {
            Some((_, _, count)) => *count += 1,
            None => open.push((stage, task, 1)),
        }
    }

    pub(super) fn close_request(&self, stage: u32, task: u32) {
        let mut open = self.open.borrow_mut();
        if let Some(index) = open.iter().position(|(s, t, _)| (*s, *t) == (stage, task)) {
            open[index].2 -= 1;
            if open[index].2 == 0 {
                open.swap_remove(index);
            }
        }
    }

    /// Seconds since the run started, at `at`.
    pub(super) fn second_of(&self, at: Instant) -> u32 {
        at.saturating_duration_since(self.run_start).as_secs() as u32
    }

    /// The earliest stage with a request in flight.
    pub(super) fn oldest_open_stage(&self) -> Option<u32> {
        self.open.borrow().iter().map(|(stage, _, _)| *stage).min()
    }
}

/// Tells a user (or an open-model driver) to stop, waking it from think time.
#[derive(Default)]
pub(super) struct StopSignal {
    stopped: Cell<bool>,
    wake: tokio::sync::Notify,
}

impl StopSignal {
    pub(super) fn stop(&self) {
        self.stopped.set(true);
        self.wake.notify_one();
    }

    pub(super) fn get(&self) -> bool {
        self.stopped.get()
    }

    /// Waits until told to stop.
    pub(super) async fn wait(&self) {
        while !self.get() {
            self.wake.notified().await;
        }
    }

    /// Sleeps for `duration`, or less when told to stop.
    pub(super) async fn sleep(&self, duration: Duration) {
        tokio::select! {
            _ = tokio::time::sleep(duration) => {}
            _ = self.wake.notified() => {}
        }
    }
}

/// Records a finished request of (stage, task); returns whether it met the scenario's
/// per-request objectives (None without objectives, or for a cancelled request).
pub(super) fn record(state: &WorkerState, scenario: &ScenarioPlan, stage: u32, task: u32, done: &mut Done) -> Option<bool> {
    let since_start = done.done_at.saturating_duration_since(state.run_start);
    let second = since_start.as_secs() as u32;
    let objectives_met = scenario.compiled.objectives.as_ref().filter(|_| !done.cancelled).map(|objectives| {
        objectives.met_by(RequestMeasures {
            failed: done.failure.is_some(),
            latency_micros: done.latency_micros,
            reply: done.chat.as_mut().map(|(metrics, reply_micros)| ReplyMeasures {
                ttft_micros: metrics.ttft_micros,
                itl_micros: &mut metrics.itl_micros,
                output_tokens: metrics.output_tokens,
                reply_micros: *reply_micros,
            }),
        })
    });
    // The one place failures enter the run: secrets come out here, so no later output (table,
    // file, report, app) can show them.
    let message = done
        .failure
        .as_ref()
        .map(|(kind, message)| (*kind, failure_message(*kind, &scenario.secrets.redact(message))));
    state.recorder.borrow_mut().record(Sample {
        stage,
        task,
        second,
        done_micros: since_start.as_micros() as u64,
        latency_micros: done.latency_micros,
        connect_micros: done.connect_micros,
        bytes_received: done.bytes_received,
        failure: message.as_ref().map(|(kind, message)| (*kind, message.as_str())),
        chat: done.chat.as_ref().map(|(metrics, micros)| (metrics, *micros)),
        class: done
            .class
            .and_then(|index| scenario.compiled.failure_classes.get(index))
            .map(|class| class.name.as_str()),
        objectives_met,
        resend: done.resend,
        cancelled: done.cancelled,
    });
    objectives_met
}
