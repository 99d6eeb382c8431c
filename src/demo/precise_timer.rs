//! A timer for the demo's known delays (`--exact`): tokio's timer fires on millisecond ticks,
//! so each of its sleeps ends up to 1 ms late, and a journey of a handful of requests would
//! carry milliseconds of the demo's own lateness into a benchmark that compares its latency
//! with the delays asked. This one keeps the deadlines on a thread of its own that waits on a
//! channel with a timeout (tens of microseconds late on Linux) and wakes each sleeper when its
//! deadline has come.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

/// A deadline and whom to wake; ordered by the deadline (then by arrival, to keep it total).
struct Sleeper {
    at: Instant,
    order: u64,
    wake: tokio::sync::oneshot::Sender<()>,
}

impl PartialEq for Sleeper {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.order) == (other.at, other.order)
    }
}
impl Eq for Sleeper {}
impl PartialOrd for Sleeper {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Sleeper {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.order).cmp(&(other.at, other.order))
    }
}

/// The timer; its thread ends when the last handle is dropped.
pub(crate) struct PreciseTimer {
    requests: std::sync::Mutex<Sender<(Instant, tokio::sync::oneshot::Sender<()>)>>,
}

impl PreciseTimer {
    pub(crate) fn start() -> std::io::Result<PreciseTimer> {
        let (requests, received) = channel();
        std::thread::Builder::new()
            .name("loadscope-demo-timer".into())
            .spawn(move || run(received))?;
        Ok(PreciseTimer {
            requests: std::sync::Mutex::new(requests),
        })
    }

    /// Sleeps until `at`.
    pub(crate) async fn sleep_until(&self, at: Instant) {
        let (wake, woken) = tokio::sync::oneshot::channel();
        let sent = match self.requests.lock() {
            Ok(requests) => requests.send((at, wake)).is_ok(),
            Err(poisoned) => poisoned.into_inner().send((at, wake)).is_ok(),
        };
        if sent {
            let _ = woken.await;
        } else {
            tokio::time::sleep_until(at.into()).await;
        }
    }
}

/// How long before a deadline the thread stops waiting on the channel and spins: a timed wait
/// wakes a few tens of microseconds late.
const SPIN: Duration = Duration::from_micros(40);

fn run(received: Receiver<(Instant, tokio::sync::oneshot::Sender<()>)>) {
    // The kernel may wake a timed wait up to its timer slack (50 us) late; this thread asks
    // for none.
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_TIMERSLACK takes one integer and touches only this thread's settings.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong);
    }
    let mut heap: BinaryHeap<Reverse<Sleeper>> = BinaryHeap::new();
    let mut order = 0u64;
    loop {
        if let Some(Reverse(next)) = heap.peek()
            && next.at.saturating_duration_since(Instant::now()) <= SPIN
        {
            while Instant::now() < next.at {
                std::hint::spin_loop();
            }
        }
        let now = Instant::now();
        while heap.peek().is_some_and(|Reverse(next)| next.at <= now) {
            if let Some(Reverse(due)) = heap.pop() {
                let _ = due.wake.send(());
            }
        }
        let wait = heap
            .peek()
            .map(|Reverse(next)| next.at.saturating_duration_since(now).saturating_sub(SPIN))
            .unwrap_or(Duration::from_secs(3600));
        match received.recv_timeout(wait) {
            Ok((at, wake)) => {
                order += 1;
                heap.push(Reverse(Sleeper { at, order, wake }));
                // Take in everything that arrived meanwhile before waiting again.
                while let Ok((at, wake)) = received.try_recv() {
                    order += 1;
                    heap.push(Reverse(Sleeper { at, order, wake }));
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}
