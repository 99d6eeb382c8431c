//! Recording: latency and connect-time histograms per (level, task), per-second histograms,
//! counts, bytes and failures grouped by kind and message. Each worker thread owns one
//! `Recorder` (no lock on the request path) and hands its contents to the controller every
//! 250 ms, which merges them into the run's own `Recorder`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use hdrhistogram::Histogram;

use crate::run::histogram::{new_histogram, record};

/// How a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FailureKind {
    /// The connection could not be opened (refused, DNS, TLS).
    Connect,
    /// No complete response within the scenario's timeout.
    Timeout,
    /// A status the task does not accept.
    Status(u16),
    /// A check on the body failed.
    Check,
    /// Anything else: the connection closed mid-response, a malformed reply.
    Other,
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureKind::Connect => f.write_str("connect"),
            FailureKind::Timeout => f.write_str("timeout"),
            FailureKind::Status(status) => write!(f, "status {status}"),
            FailureKind::Check => f.write_str("check"),
            FailureKind::Other => f.write_str("other"),
        }
    }
}

/// Which (stage, task) a request belongs to. A stage is one level of one scenario, numbered
/// across the whole suite.
pub type StageTask = (u32, u32);

/// Totals for one (stage, task).
#[derive(Debug, Clone)]
pub struct TaskAccum {
    pub latency: Histogram<u64>,
    pub connect: Histogram<u64>,
    pub requests: u64,
    pub failures: u64,
    pub bytes_received: u64,
}

impl Default for TaskAccum {
    fn default() -> Self {
        TaskAccum {
            latency: new_histogram(),
            connect: new_histogram(),
            requests: 0,
            failures: 0,
            bytes_received: 0,
        }
    }
}

impl TaskAccum {
    /// Adds another accumulation into this one.
    pub fn merge(&mut self, other: &TaskAccum) {
        // Auto-resizing histograms of the same precision always add.
        let _ = self.latency.add(&other.latency);
        let _ = self.connect.add(&other.connect);
        self.requests += other.requests;
        self.failures += other.failures;
        self.bytes_received += other.bytes_received;
    }
}

/// Totals for one second of the run (all tasks).
#[derive(Debug, Clone)]
pub struct SecondAccum {
    pub latency: Histogram<u64>,
    pub requests: u64,
    pub failures: u64,
}

impl Default for SecondAccum {
    fn default() -> Self {
        SecondAccum {
            latency: new_histogram(),
            requests: 0,
            failures: 0,
        }
    }
}

/// A failure group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FailureKey {
    pub stage: u32,
    pub task: u32,
    pub kind: FailureKind,
    pub message: String,
}

/// One finished request, as recorded.
pub struct Sample<'a> {
    pub stage: u32,
    pub task: u32,
    /// Seconds since the run started at completion.
    pub second: u32,
    pub latency_micros: u64,
    pub connect_micros: Option<u64>,
    pub bytes_received: u64,
    pub failure: Option<(FailureKind, &'a str)>,
}

/// Everything recorded (by a worker since its last hand-over, or by the run so far).
#[derive(Debug, Default, Clone)]
pub struct Recorder {
    pub tasks: HashMap<StageTask, TaskAccum>,
    pub seconds: BTreeMap<u32, SecondAccum>,
    pub failures: HashMap<FailureKey, u64>,
    /// Open model: requests per stage that could not start at their scheduled time.
    pub late_starts: HashMap<u32, u64>,
}

impl Recorder {
    /// Records one finished request.
    pub fn record(&mut self, sample: Sample<'_>) {
        let accum = self.tasks.entry((sample.stage, sample.task)).or_default();
        record(&mut accum.latency, sample.latency_micros);
        if let Some(connect) = sample.connect_micros {
            record(&mut accum.connect, connect);
        }
        accum.requests += 1;
        accum.bytes_received += sample.bytes_received;
        let second = self.seconds.entry(sample.second).or_default();
        record(&mut second.latency, sample.latency_micros);
        second.requests += 1;
        if let Some((kind, message)) = sample.failure {
            accum.failures += 1;
            second.failures += 1;
            let key = FailureKey {
                stage: sample.stage,
                task: sample.task,
                kind,
                message: message.to_string(),
            };
            *self.failures.entry(key).or_insert(0) += 1;
        }
    }

    /// Counts an open-model request that started late.
    pub fn record_late_start(&mut self, stage: u32) {
        *self.late_starts.entry(stage).or_insert(0) += 1;
    }

    /// Whether nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty() && self.late_starts.is_empty()
    }

    /// Takes everything recorded so far, leaving this recorder empty.
    pub fn take(&mut self) -> Recorder {
        std::mem::take(self)
    }

    /// Adds another recorder's contents into this one.
    pub fn merge(&mut self, other: Recorder) {
        for (key, accum) in other.tasks {
            match self.tasks.get_mut(&key) {
                Some(existing) => existing.merge(&accum),
                None => {
                    self.tasks.insert(key, accum);
                }
            }
        }
        for (second, accum) in other.seconds {
            match self.seconds.get_mut(&second) {
                Some(existing) => {
                    let _ = existing.latency.add(&accum.latency);
                    existing.requests += accum.requests;
                    existing.failures += accum.failures;
                }
                None => {
                    self.seconds.insert(second, accum);
                }
            }
        }
        for (key, count) in other.failures {
            *self.failures.entry(key).or_insert(0) += count;
        }
        for (stage, count) in other.late_starts {
            *self.late_starts.entry(stage).or_insert(0) += count;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_worker_deltas() {
        let mut worker_a = Recorder::default();
        let mut worker_b = Recorder::default();
        for (recorder, latency) in [(&mut worker_a, 1_000), (&mut worker_b, 3_000)] {
            recorder.record(Sample {
                stage: 0,
                task: 1,
                second: 2,
                latency_micros: latency,
                connect_micros: Some(50),
                bytes_received: 17,
                failure: None,
            });
        }
        worker_b.record(Sample {
            stage: 0,
            task: 1,
            second: 2,
            latency_micros: 9_000,
            connect_micros: None,
            bytes_received: 0,
            failure: Some((FailureKind::Status(500), "HTTP 500 Internal Server Error")),
        });
        let mut run = Recorder::default();
        run.merge(worker_a.take());
        run.merge(worker_b.take());
        assert!(worker_a.is_empty());
        let accum = &run.tasks[&(0, 1)];
        assert_eq!((accum.requests, accum.failures, accum.bytes_received), (3, 1, 34));
        assert_eq!(accum.connect.len(), 2);
        assert!(accum.latency.equivalent(accum.latency.max(), 9_000), "max {}", accum.latency.max());
        assert_eq!(run.seconds[&2].requests, 3);
        let (key, count) = run.failures.iter().next().expect("one failure group");
        assert_eq!((key.kind, *count), (FailureKind::Status(500), 1));
        assert_eq!(key.kind.to_string(), "status 500");
    }
}
