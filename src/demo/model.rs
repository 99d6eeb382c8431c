//! The demo stack's latency model: a "GPU" with a few slots and a bounded waiting line, so
//! latency grows with load, then requests are refused once the line is full; plus seeded
//! jitter and a small background error rate.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A bounded pool of slots with a bounded waiting line.
pub(crate) struct GpuQueue {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
}

/// The waiting line was full.
#[derive(Debug)]
pub(crate) struct Overloaded;

impl GpuQueue {
    pub(crate) fn new(slots: usize, max_waiting: usize) -> GpuQueue {
        GpuQueue {
            slots: Arc::new(Semaphore::new(slots)),
            waiting: AtomicUsize::new(0),
            max_waiting,
        }
    }

    /// A slot, after waiting in line; refused when the line is full.
    pub(crate) async fn acquire(&self) -> Result<OwnedSemaphorePermit, Overloaded> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(permit);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Overloaded);
        }
        let permit = self.slots.clone().acquire_owned().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        permit.map_err(|_| Overloaded)
    }

    /// Requests waiting for a slot.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Slots generating now, of `total`.
    pub(crate) fn busy(&self, total: usize) -> usize {
        total.saturating_sub(self.slots.available_permits())
    }
}

/// Seeded randomness for service times and injected errors.
pub(crate) struct Jitter {
    rng: Mutex<SmallRng>,
    time_scale: f64,
    error_rate: f64,
    /// Known delays: no spread, no slow tail, no errors, ranges at their top, and sleeps on a
    /// timer that is not a millisecond late.
    exact: Option<super::precise_timer::PreciseTimer>,
    /// With known delays: how late each sleep ended, as the task that slept saw it (the
    /// timer's wake plus the runtime's delay in polling it), in microseconds; a benchmark
    /// reads it to tell the demo's own lateness from the load generator's.
    lateness_micros: Mutex<Option<hdrhistogram::Histogram<u64>>>,
}

/// The demo's own lateness with known delays (`GET /demo/lateness`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub(crate) struct Lateness {
    pub(crate) sleeps: u64,
    pub(crate) mean_micros: f64,
    pub(crate) p50_micros: u64,
    pub(crate) p99_micros: u64,
    pub(crate) max_micros: u64,
}

impl Jitter {
    pub(crate) fn new(seed: Option<u64>, time_scale: f64, error_rate: f64, exact: Option<super::precise_timer::PreciseTimer>) -> Jitter {
        let rng = match seed {
            Some(seed) => SmallRng::seed_from_u64(seed),
            None => SmallRng::seed_from_u64(rand::random()),
        };
        let lateness_micros = exact
            .as_ref()
            .and_then(|_| hdrhistogram::Histogram::new_with_bounds(1, 60_000_000, 3).ok());
        Jitter {
            rng: Mutex::new(rng),
            time_scale,
            error_rate,
            exact,
            lateness_micros: Mutex::new(lateness_micros),
        }
    }

    /// Whether delays are exactly their bases (a benchmark's known delays).
    pub(crate) fn exact(&self) -> bool {
        self.exact.is_some()
    }

    /// Sleeps `duration`: on the precise timer with known delays, else on tokio's. With known
    /// delays the time is counted from `arrived` (when the handler took the request), so the
    /// demo's own work (parsing, counting tokens) is inside the delay rather than added to it.
    pub(crate) async fn wait(&self, duration: Duration, arrived: std::time::Instant) {
        let from = if self.exact() { arrived } else { std::time::Instant::now() };
        self.wait_until(from + duration).await;
    }

    /// Sleeps until `at` (see [`Jitter::wait`]).
    pub(crate) async fn wait_until(&self, at: std::time::Instant) {
        match &self.exact {
            Some(timer) => {
                timer.sleep_until(at).await;
                let late_micros = std::time::Instant::now().saturating_duration_since(at).as_micros();
                let mut guard = match self.lateness_micros.lock() {
                    Ok(guard) => guard,
                    Err(poisoned) => poisoned.into_inner(),
                };
                if let Some(histogram) = guard.as_mut() {
                    histogram.saturating_record(u64::try_from(late_micros).unwrap_or(u64::MAX));
                }
            }
            None => tokio::time::sleep_until(at.into()).await,
        }
    }

    /// How late the sleeps with known delays ended; `None` without known delays.
    pub(crate) fn lateness(&self) -> Option<Lateness> {
        let guard = match self.lateness_micros.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        guard.as_ref().map(|histogram| Lateness {
            sleeps: histogram.len(),
            mean_micros: if histogram.is_empty() { 0.0 } else { histogram.mean() },
            p50_micros: histogram.value_at_quantile(0.5),
            p99_micros: histogram.value_at_quantile(0.99),
            max_micros: histogram.max(),
        })
    }

    fn with_rng<T>(&self, f: impl FnOnce(&mut SmallRng) -> T) -> T {
        let mut guard = match self.rng.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// A service time around `base_millis`: ±`spread` uniformly, with a 2% slow tail (x3).
    pub(crate) fn service(&self, base_millis: f64, spread: f64) -> Duration {
        if self.exact() {
            return self.scaled(base_millis);
        }
        let factor = self.with_rng(|rng| {
            let mut factor = 1.0 + rng.random_range(-spread..=spread);
            if rng.random_range(0.0..1.0) < 0.02 {
                factor *= 3.0;
            }
            factor
        });
        Duration::from_secs_f64((base_millis * factor * self.time_scale).max(0.0) / 1000.0)
    }

    /// A fixed time, scaled.
    pub(crate) fn scaled(&self, millis: f64) -> Duration {
        Duration::from_secs_f64((millis * self.time_scale).max(0.0) / 1000.0)
    }

    /// Whether this request fails with an injected server error.
    pub(crate) fn inject_error(&self) -> bool {
        !self.exact() && self.error_rate > 0.0 && self.with_rng(|rng| rng.random_range(0.0..1.0) < self.error_rate)
    }

    /// A whole number in `low..=high`.
    pub(crate) fn between(&self, low: u32, high: u32) -> u32 {
        if low >= high || self.exact() {
            return high.max(low);
        }
        self.with_rng(|rng| rng.random_range(low..=high))
    }
}
