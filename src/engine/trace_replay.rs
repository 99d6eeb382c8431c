//! A trace replayed on a worker: its share of the trace's requests (every `workers`-th, from
//! its own index) sent at their recorded times, sped up, looping when asked; each arrival on a
//! connection from the worker's pool, late ones (the in-flight cap held them, or the worker
//! was busy) counted as an open-model level counts them.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::outcome::Done;
use super::plan::ScenarioPlan;
use super::protocols::mcp::session::Client;
use super::request::{StepIo, perform};
use super::worker_state::{StopSignal, WorkerState, arrival_permit, record};

/// This worker's share of the scenario's trace, from now until told to stop (or, without
/// `loop`, until its last request is sent).
pub(super) async fn replay(
    state: Rc<WorkerState>,
    scenario: Arc<ScenarioPlan>,
    scenario_index: usize,
    (worker, workers): (usize, usize),
    max_in_flight: u32,
    stop: Rc<StopSignal>,
) {
    let Some(trace) = scenario.compiled.trace.as_ref() else { return };
    let entries = &trace.trace.entries;
    let task = trace.task;
    let pool: Rc<RefCell<Vec<Client>>> = Rc::new(RefCell::new(Vec::new()));
    let permits = Arc::new(tokio::sync::Semaphore::new(max_in_flight.max(1) as usize));
    let start = Instant::now();
    // A loop's pass lasts the span and one mean gap, so the next pass's first request does not
    // land on this pass's last.
    let span = trace.trace.span_micros();
    let pass_micros = (span + span / entries.len().max(1) as u64).max(1_000);
    let intended_at = |index: usize, pass: u64| {
        let offset_micros = (entries[index].offset_micros + pass * pass_micros) as f64 / trace.speedup;
        start + Duration::from_micros(offset_micros as u64)
    };
    // Arrivals due by now that never started (the in-flight cap held them back until the
    // replay stopped) are late too, as an open-model level counts them.
    let count_missed = |from: usize, pass: u64| {
        let missed = (from..entries.len())
            .step_by(workers.max(1))
            .filter(|index| intended_at(*index, pass) <= Instant::now())
            .count();
        let stage = state.stage.get();
        let mut recorder = state.recorder.borrow_mut();
        for _ in 0..missed {
            recorder.record_late_start(stage);
        }
    };
    let mut pass = 0u64;
    loop {
        for index in (worker..entries.len()).step_by(workers.max(1)) {
            let intended = intended_at(index, pass);
            tokio::time::sleep_until(intended.into()).await;
            if stop.get() || state.scenario_index.get() != scenario_index {
                return;
            }
            let stage = state.stage.get();
            let Some(permit) = arrival_permit(&state, &permits, &stop, stage, intended).await else {
                count_missed(index, pass);
                return;
            };
            let mut client = pool.borrow_mut().pop().unwrap_or_default();
            let (state2, scenario2, pool2) = (state.clone(), scenario.clone(), pool.clone());
            state.in_flight.set(state.in_flight.get() + 1);
            tokio::task::spawn_local(async move {
                state2.open_request(stage, task as u32);
                let mut done = match scenario2.trace_request(index) {
                    Some(request) => {
                        let mut io = StepIo {
                            request: Some(request),
                            ..StepIo::default()
                        };
                        perform(&scenario2, task, &mut client, index as u64, pass, Some(intended), Some(&mut io)).await
                    }
                    None => Done::not_sent(format!("trace entry {} cannot be built", index + 1)),
                };
                record(&state2, &scenario2, stage, task as u32, &mut done);
                state2.close_request(stage, task as u32);
                state2.in_flight.set(state2.in_flight.get().saturating_sub(1));
                if client.connected() {
                    pool2.borrow_mut().push(client);
                }
                drop(permit);
            });
        }
        if !trace.looped {
            return;
        }
        pass += 1;
    }
}
