//! The worker threads of one run, as the controller drives them: started together, told the
//! stage, the users or the arrival rate (each worker its share), drained and stopped. Every
//! command to the workers goes through here, so the shares are computed in one place.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::event_sink::EventSink;
use super::plan::ScenarioPlan;
use super::run_state::RunState;
use super::worker::{WorkerCommand, WorkerReport, run_worker};

/// How long users told to stop may take to finish their request, and workers told to stop may
/// take to hand in their last report.
const GRACE: Duration = Duration::from_secs(2);

pub(super) struct WorkerPool {
    senders: Vec<UnboundedSender<WorkerCommand>>,
    threads: Vec<JoinHandle<()>>,
    reports: UnboundedReceiver<WorkerReport>,
}

/// A worker thread the system would not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot start worker thread {index}: {source}")]
pub(super) struct WorkerStartError {
    index: usize,
    source: std::io::Error,
}

impl WorkerPool {
    /// Starts `count` workers (at least one) timing from `run_start`; a thread that cannot
    /// start stops the ones already running.
    pub(super) fn start(count: usize, run_start: Instant) -> Result<WorkerPool, WorkerStartError> {
        let count = count.max(1);
        let (report_tx, reports) = unbounded_channel::<WorkerReport>();
        let mut pool = WorkerPool {
            senders: Vec::with_capacity(count),
            threads: Vec::with_capacity(count),
            reports,
        };
        for index in 0..count {
            let (tx, rx) = unbounded_channel();
            let report_tx = report_tx.clone();
            match std::thread::Builder::new()
                .name(format!("loadscope-worker-{index}"))
                .spawn(move || run_worker(index, count, run_start, rx, report_tx))
            {
                Ok(thread) => {
                    pool.senders.push(tx);
                    pool.threads.push(thread);
                }
                Err(err) => {
                    pool.broadcast(|_| WorkerCommand::Stop);
                    return Err(WorkerStartError { index, source: err });
                }
            }
        }
        Ok(pool)
    }

    pub(super) fn len(&self) -> usize {
        self.senders.len()
    }

    fn broadcast(&self, command: impl Fn(usize) -> WorkerCommand) {
        for (index, worker) in self.senders.iter().enumerate() {
            let _ = worker.send(command(index));
        }
    }

    /// Worker `index`'s share of `total`, the remainder going to the first workers.
    fn share(&self, total: u32, index: usize) -> u32 {
        let count = self.senders.len() as u32;
        total / count + u32::from((index as u32) < total % count)
    }

    /// Every worker records into `stage` from now on. An arrival schedule stops here, so an
    /// open-model step drains (its requests in flight finish, no new ones start) until
    /// [`WorkerPool::open`] starts the next one.
    /// `requests`: how many requests the stage may start in all (a level's `requests`).
    pub(super) fn enter_stage(&self, stage: usize, scenario_index: usize, scenario: &Arc<ScenarioPlan>, requests: Option<u64>) {
        let budget = requests.map(|count| Arc::new(std::sync::atomic::AtomicU64::new(count)));
        self.broadcast(|_| WorkerCommand::Stage {
            stage: stage as u32,
            scenario_index,
            scenario: scenario.clone(),
            budget: budget.clone(),
        });
    }

    /// Closed model: `total` users across the workers (0 lets them finish their request and
    /// leave).
    pub(super) fn set_users(&self, total: u32) {
        self.broadcast(|index| WorkerCommand::SetUsers(self.share(total, index)));
    }

    /// Open model: arrivals at `rate_per_sec` across the workers, at most `max_in_flight` at once.
    pub(super) fn open(&self, rate_per_sec: f64, max_in_flight: u32) {
        let count = self.senders.len() as f64;
        self.broadcast(|index| WorkerCommand::Open {
            rate_per_sec: rate_per_sec / count,
            max_in_flight: self.share(max_in_flight, index).max(1),
        });
    }

    /// The next report from any worker.
    pub(super) async fn next_report(&mut self) -> Option<WorkerReport> {
        self.reports.recv().await
    }

    /// Waits (at most [`GRACE`]) until users told to stop have finished their request and
    /// closed their sessions, taking in what they record.
    pub(super) async fn drain(&mut self, run: &mut RunState, sink: &EventSink) {
        let deadline = tokio::time::Instant::now() + GRACE;
        let mut live: Vec<u32> = vec![u32::MAX; self.len()];
        while live.iter().any(|count| *count > 0) {
            match tokio::time::timeout_at(deadline, self.reports.recv()).await {
                Ok(Some(report)) => {
                    if let Some(count) = live.get_mut(report.worker) {
                        *count = report.live_users;
                    }
                    run.absorb(report);
                    run.emit_finished_levels(sink, false);
                }
                Ok(None) | Err(_) => break,
            }
        }
    }

    /// Ends all traffic, takes in each worker's last report (waiting at most [`GRACE`]) and
    /// joins the threads.
    pub(super) async fn stop_and_join(mut self, run: &mut RunState) {
        self.broadcast(|_| WorkerCommand::Stop);
        let deadline = tokio::time::Instant::now() + GRACE;
        let mut finished = 0;
        while finished < self.len() {
            match tokio::time::timeout_at(deadline, self.reports.recv()).await {
                Ok(Some(report)) => {
                    if report.finished {
                        finished += 1;
                    }
                    run.absorb(report);
                }
                Ok(None) | Err(_) => break,
            }
        }
        for thread in std::mem::take(&mut self.threads) {
            let _ = thread.join();
        }
    }
}

impl Drop for WorkerPool {
    /// A pool dropped without `stop_and_join` (a start that failed later) still ends its traffic.
    fn drop(&mut self) {
        self.broadcast(|_| WorkerCommand::Stop);
    }
}
