//! What the controller knows of a run while it runs: the stages so far, the workers' merged
//! recordings, the per-second series, monitor samples and target states; and the snapshots,
//! level records and run records built from them (`records`).

mod records;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::Event;
use super::autosave::RunSaver;
use super::event_sink::EventSink;
use super::plan::RunPlan;
use super::recorder::{JourneyAccum, Recorder, TaskAccum, TaskSecondAccum};
use super::summary::merged;
use super::worker::WorkerReport;
use crate::analysis::findings::HOST_BUSY_PERCENT;
use crate::measure::LoadModel;
use crate::monitor::{MonitorReport, MonitorStatus, ResourcePeaks, ResourceSample};
use crate::preset::compiled::{CompiledBaseline, CompiledLevel};
use crate::run::{CapacityRecord, GeneratorLoad, HostInfo, PresetRecord, RunRecord, RunStatus, SeriesPoint, TargetRecord, TaskSecond};

/// A stage: one level of one scenario, as it ran.
struct StageInfo {
    scenario: usize,
    level: usize,
    /// The level's name and planned duration (a capacity search makes its levels as it goes).
    name: String,
    planned: Duration,
    /// A capacity step's warm-up: its requests are not counted in any level.
    warmup: bool,
    load: LoadModel,
    started_secs: f64,
    ended_secs: Option<f64>,
    /// When the workers moved on from it: its end, or for a level counted in `requests`
    /// the moment the controller saw them all finish (after its end). The workers' CPU is
    /// charged to it until then.
    worked_until_secs: Option<f64>,
    /// Open model: requests in flight at its start and end.
    in_flight_at_start: Option<u32>,
    in_flight_at_end: Option<u32>,
}

/// What the controller knows of a worker's progress through the stages.
#[derive(Debug, Clone, Copy, Default)]
struct WorkerProgress {
    /// The stage it records new requests into.
    stage: u32,
    /// The earliest stage it still has requests in flight for.
    oldest_open_stage: Option<u32>,
    finished: bool,
}

/// The run as the controller knows it.
pub(super) struct RunState {
    plan: Arc<RunPlan>,
    run_start: Instant,
    started_at: SystemTime,
    id: String,
    recorded: Recorder,
    stages: Vec<StageInfo>,
    series: Vec<SeriesPoint>,
    series_reported: usize,
    /// The next second to close into a series point.
    next_second: u32,
    /// Users and stage at each second's end, for series points.
    users_at_second: BTreeMap<u32, (u32, usize)>,
    worker_users: Vec<u32>,
    worker_in_flight: Vec<u32>,
    stop_reason: Option<String>,
    targets: Vec<Vec<TargetRecord>>,
    /// Monitor samples by the second they were taken in, until that second is closed.
    resource_seconds: BTreeMap<u32, ResourceSample>,
    latest_resources: Option<ResourceSample>,
    monitor_status: Option<MonitorStatus>,
    /// Resource peaks per stage.
    stage_peaks: Vec<ResourcePeaks>,
    worker_progress: Vec<WorkerProgress>,
    /// Stages that ended but whose LevelFinished has not gone out, oldest first.
    unreported_stages: std::collections::VecDeque<usize>,
    /// What the run warned about as it started.
    warnings: Vec<String>,
    /// A segment with `--start-at`: when its first level began against that time, in ms.
    start_offset_millis: Option<f64>,
    /// Each scenario's capacity search so far (None for fixed levels).
    capacity: Vec<Option<CapacityRecord>>,
    /// The preset as run, for the record (built once: its document and hash).
    preset: PresetRecord,
    /// Series points the saver has been sent.
    series_saved: usize,
    /// The machine it runs on (read once: it does not change during a run).
    host: HostInfo,
}

/// Requests a capacity step needs before half of them failing stops it early.
const STEP_BREAKDOWN_MIN_REQUESTS: u64 = 20;
/// Seconds of a capacity step before its latency trend can stop it early.
const STEP_BREAKDOWN_MIN_SECONDS: usize = 6;

impl RunState {
    pub(super) fn new(plan: Arc<RunPlan>, run_start: Instant, warnings: Vec<String>, start_offset_millis: Option<f64>) -> RunState {
        let started_at = SystemTime::now();
        let id = plan.run_id.clone();
        let preset = Self::preset_record(&plan);
        let targets = plan
            .scenarios
            .iter()
            .map(|scenario| {
                scenario
                    .compiled
                    .targets
                    .iter()
                    .map(|target| TargetRecord {
                        expr: target.text.clone(),
                        level: target.level,
                        task: target.task.map(|task| scenario.compiled.tasks[task].name.clone()),
                        journey: target.journey.map(|journey| scenario.compiled.journeys[journey].name.clone()),
                        abort_on_fail: target.abort_on_fail,
                    })
                    .collect()
            })
            .collect();
        RunState {
            plan,
            run_start,
            started_at,
            id,
            recorded: Recorder::default(),
            stages: Vec::new(),
            series: Vec::new(),
            series_reported: 0,
            next_second: 0,
            users_at_second: BTreeMap::new(),
            worker_users: Vec::new(),
            worker_in_flight: Vec::new(),
            stop_reason: None,
            targets,
            resource_seconds: BTreeMap::new(),
            latest_resources: None,
            monitor_status: None,
            stage_peaks: Vec::new(),
            worker_progress: Vec::new(),
            unreported_stages: std::collections::VecDeque::new(),
            warnings,
            start_offset_millis,
            capacity: Vec::new(),
            preset,
            series_saved: 0,
            host: HostInfo::current(),
        }
    }

    /// The run has `count` workers: their users, requests in flight and progress are tracked.
    pub(super) fn set_worker_count(&mut self, count: usize) {
        self.worker_users = vec![0; count];
        self.worker_in_flight = vec![0; count];
        self.worker_progress = vec![WorkerProgress::default(); count];
    }

    /// The run ends early, for this reason (stopped by request, a target's abort).
    pub(super) fn stop_because(&mut self, reason: String) {
        self.stop_reason = Some(reason);
    }

    pub(super) fn stage_count(&self) -> usize {
        self.stages.len()
    }

    /// The load a stage runs at now (a person or a capacity search may change it).
    pub(super) fn stage_load(&self, stage: usize) -> LoadModel {
        self.stages.get(stage).map(|info| info.load).unwrap_or(LoadModel::Closed {
            users: 0,
            spawn_rate: None,
        })
    }

    pub(super) fn set_stage_load(&mut self, stage: usize, load: LoadModel) {
        if let Some(info) = self.stages.get_mut(stage) {
            info.load = load;
        }
    }

    /// A scenario's targets as recorded.
    pub(super) fn targets(&self, scenario: usize) -> &[TargetRecord] {
        &self.targets[scenario]
    }

    /// Whether a stage that ended has had its final numbers sent (LevelFinished).
    pub(super) fn level_reported(&self, stage: usize) -> bool {
        stage < self.stages.len() && self.stages[stage].ended_secs.is_some() && !self.unreported_stages.contains(&stage)
    }

    /// Sends LevelFinished for each ended stage whose numbers are final: every worker has
    /// moved past it with nothing of it in flight (or `all`: every worker has stopped).
    pub(super) fn emit_finished_levels(&mut self, sink: &EventSink, all: bool) {
        while let Some(&stage) = self.unreported_stages.front() {
            let stage_u32 = stage as u32;
            let settled = all
                || self.worker_progress.iter().all(|worker| {
                    worker.finished || (worker.stage > stage_u32 && worker.oldest_open_stage.is_none_or(|open| open > stage_u32))
                });
            if !settled {
                break;
            }
            self.unreported_stages.pop_front();
            if let Some(record) = self.level_record(stage) {
                let scenario = self.stages[stage].scenario;
                sink.send(Event::LevelFinished {
                    scenario: self.plan.scenarios[scenario].compiled.name.clone(),
                    level: Box::new(record),
                });
            }
        }
    }

    /// Takes in a monitor report: onto the timeline, into the current stage's peaks.
    pub(super) fn absorb_resources(&mut self, report: MonitorReport) {
        let second = report.taken_at.saturating_duration_since(self.run_start).as_secs() as u32;
        if let Some(peaks) = self.stage_peaks.last_mut() {
            peaks.add(&report.sample);
        }
        self.monitor_status = Some(report.status);
        self.latest_resources = Some(report.sample.clone());
        // A second closed already (a late report) keeps what it had.
        if second >= self.next_second {
            self.resource_seconds.insert(second, report.sample);
        }
    }

    /// Why a stage's numbers are doubtful, if they are.
    pub(super) fn stage_warnings(&self, stage: usize) -> Vec<String> {
        let mut warnings = Vec::new();
        let generator = self.generator_load(stage);
        if let Some(why) = generator.as_ref().and_then(GeneratorLoad::saturation) {
            warnings.push(format!(
                "{why}: latency and throughput may be Loadscope's own limits, not the service's (use fewer users per machine, or more machines)"
            ));
        } else if let Some(host) = self.stage_peaks.get(stage).and_then(|peaks| peaks.host_cpu_max_percent)
            && host >= HOST_BUSY_PERCENT
        {
            warnings.push(format!(
                "the host was busy ({host:.0}% CPU) with other work, while the load generator itself kept up: its numbers stand, but the service may share this machine's CPU"
            ));
        }
        if let Some(info) = self.stages.get(stage) {
            let compiled = &self.plan.scenarios[info.scenario].compiled;
            let checks_degradation = compiled
                .targets
                .iter()
                .any(|target| target.expr.metric == crate::measure::Metric::Degradation);
            if checks_degradation
                && let Some(CompiledBaseline::Scenario(name)) = &compiled.baseline
                && self.baseline(info.scenario).is_none()
            {
                warnings.push(format!(
                    "degradation targets unchecked: the baseline scenario {name:?} did not run in this run (run the whole preset, or set baseline = {{ run = \"<a saved run>\" }})"
                ));
            }
        }
        warnings
    }

    /// Where a scenario's capacity search stands.
    pub(super) fn set_capacity(&mut self, scenario: usize, record: CapacityRecord) {
        if self.capacity.len() <= scenario {
            self.capacity.resize(scenario + 1, None);
        }
        self.capacity[scenario] = Some(record);
    }

    pub(super) fn elapsed_secs(&self) -> f64 {
        self.run_start.elapsed().as_secs_f64()
    }

    pub(super) fn begin_stage(&mut self, stage: usize, scenario: usize, level: usize, spec: &CompiledLevel, warmup: bool) {
        debug_assert_eq!(stage, self.stages.len());
        self.stage_peaks.push(ResourcePeaks::default());
        self.stages.push(StageInfo {
            scenario,
            level,
            name: spec.name.clone(),
            planned: spec.duration,
            warmup,
            load: spec.load,
            started_secs: self.elapsed_secs(),
            ended_secs: None,
            worked_until_secs: None,
            in_flight_at_start: self.open_in_flight(spec.load),
            in_flight_at_end: None,
        });
    }

    /// Requests in flight as the workers last reported, for an open-model load.
    fn open_in_flight(&self, load: LoadModel) -> Option<u32> {
        matches!(load, LoadModel::Open { .. }).then(|| self.worker_in_flight.iter().sum())
    }

    /// A stage's level ended. Its numbers are final (and LevelFinished goes out) once every
    /// worker has moved on and recorded the requests it started in it: the CLI, the app and the
    /// file agree.
    pub(super) fn end_stage(&mut self, stage: usize) {
        self.end_stage_at(stage, self.elapsed_secs());
    }

    /// Ends a level whose `requests` have all finished at the moment the last of them did:
    /// the workers hand in what they record every 250 ms, so the controller learns of it later.
    pub(super) fn end_stage_at_last_request(&mut self, stage: usize) {
        let now = self.elapsed_secs();
        let started = self.stages.get(stage).map_or(now, |info| info.started_secs);
        let last = self
            .recorded
            .last_done_micros
            .get(&(stage as u32))
            .map_or(now, |micros| *micros as f64 / 1e6);
        self.end_stage_at(stage, last.clamp(started, now));
    }

    fn end_stage_at(&mut self, stage: usize, ended: f64) {
        let now = self.elapsed_secs();
        let in_flight = self.stages.get(stage).and_then(|info| self.open_in_flight(info.load));
        if let Some(info) = self.stages.get_mut(stage) {
            info.ended_secs = Some(ended);
            info.worked_until_secs = Some(now);
            info.in_flight_at_end = in_flight;
            self.unreported_stages.push_back(stage);
        }
    }

    /// The generator's own load during a stage (so far, while it runs): its worker threads'
    /// CPU and timer lateness.
    pub(super) fn generator_load(&self, stage: usize) -> Option<GeneratorLoad> {
        let info = self.stages.get(stage)?;
        // The workers' CPU over the time they spent in the stage, which for a level counted
        // in `requests` runs past its end.
        let wall_secs = info.worked_until_secs.unwrap_or_else(|| self.elapsed_secs()) - info.started_secs;
        let workers = self.worker_progress.len().max(1);
        let cpu_percent = self
            .recorded
            .worker_cpu_micros
            .get(&(stage as u32))
            .filter(|_| wall_secs > 0.0)
            .map(|micros| *micros as f64 / 1e6 / wall_secs / workers as f64 * 100.0);
        let lag = self.recorded.scheduling_lag.get(&(stage as u32));
        Some(GeneratorLoad {
            cpu_percent,
            workers,
            scheduling_lag_p99_micros: lag.map(|lag| lag.value_at_quantile(0.99)).unwrap_or(0),
            scheduling_lag_max_micros: lag.map(|lag| lag.max()).unwrap_or(0),
            scheduling_lag_samples: lag.map(|lag| lag.len()).unwrap_or(0),
        })
    }

    pub(super) fn absorb(&mut self, report: WorkerReport) {
        if let Some(users) = self.worker_users.get_mut(report.worker) {
            *users = report.active_users;
        }
        if let Some(progress) = self.worker_progress.get_mut(report.worker) {
            *progress = WorkerProgress {
                stage: report.stage,
                oldest_open_stage: report.oldest_open_stage,
                finished: report.finished,
            };
        }
        if let Some(in_flight) = self.worker_in_flight.get_mut(report.worker) {
            *in_flight = report.in_flight;
        }
        self.recorded.merge(report.recorded);
    }

    pub(super) fn current_users(&self, stage: usize) -> u32 {
        match self.stages.get(stage).map(|info| info.load) {
            Some(LoadModel::Open { .. }) => self.worker_in_flight.iter().sum(),
            _ => self.worker_users.iter().sum(),
        }
    }

    /// Closes every second that ended at least one second ago (all of them when `all`), so
    /// workers' 250 ms hand-overs have arrived.
    pub(super) fn close_seconds(&mut self, all: bool) {
        let now_secs = self.elapsed_secs();
        let current = now_secs as u32;
        let stage = self.stages.len().saturating_sub(1);
        let users = self.current_users(stage);
        self.users_at_second.insert(current, (users, stage));
        let last_closable = if all { current + 1 } else { current.saturating_sub(1) };
        while self.next_second < last_closable {
            let second = self.next_second;
            let (users, stage) = self
                .users_at_second
                .range(second..)
                .next()
                .map(|(_, value)| *value)
                .unwrap_or((users, stage));
            let accum = self.recorded.seconds.remove(&second).unwrap_or_default();
            let total = accum.total();
            let info = self.stages.get(stage);
            let scenario = info.map(|info| info.scenario).unwrap_or(0);
            // Each task of the point's scenario, merged over the levels that shared the second
            // (a level change mid-second); a scenario that ended in this second is in the totals.
            let mut tasks: Vec<(usize, TaskSecondAccum)> = Vec::new();
            for ((task_stage, task), part) in &accum.tasks {
                if self.stages.get(*task_stage as usize).map(|info| info.scenario) != Some(scenario) {
                    continue;
                }
                match tasks.iter_mut().find(|(known, _)| *known == *task as usize) {
                    Some((_, merged)) => merged.merge(part),
                    None => tasks.push((*task as usize, part.clone())),
                }
            }
            tasks.sort_by_key(|(task, _)| *task);
            self.series.push(SeriesPoint {
                second,
                scenario,
                level: info.map(|info| info.level).unwrap_or(0),
                users,
                requests: total.stats(),
                resources: self.resource_seconds.remove(&second),
                tasks: tasks
                    .iter()
                    .map(|(task, part)| TaskSecond {
                        task: *task,
                        requests: part.stats(),
                    })
                    .collect(),
                journeys: accum.journeys_total().map(|journeys| journeys.stats()),
            });
            self.users_at_second.remove(&second);
            self.next_second += 1;
        }
    }

    pub(super) fn stage_duration_secs(&self, stage: usize) -> f64 {
        let Some(info) = self.stages.get(stage) else { return 0.0 };
        info.ended_secs.unwrap_or_else(|| self.elapsed_secs()) - info.started_secs
    }

    /// Stage `stage`'s journeys, one accumulation per journey of its scenario.
    pub(super) fn stage_journeys(&self, stage: usize) -> Vec<JourneyAccum> {
        let Some(info) = self.stages.get(stage) else { return Vec::new() };
        let journey_count = self.plan.scenarios[info.scenario].compiled.journeys.len();
        (0..journey_count)
            .map(|journey| {
                self.recorded
                    .journeys
                    .get(&(stage as u32, journey as u32))
                    .cloned()
                    .unwrap_or_default()
            })
            .collect()
    }

    /// Requests of a stage that have finished (failed and cancelled ones included).
    pub(super) fn stage_finished_requests(&self, stage: usize) -> u64 {
        let Some(info) = self.stages.get(stage) else { return 0 };
        let task_count = self.plan.scenarios[info.scenario].tasks.len();
        (0..task_count)
            .filter_map(|task| self.recorded.tasks.get(&(stage as u32, task as u32)))
            .map(|task| task.requests)
            .sum()
    }

    /// Per-task accumulations of a stage, in task order (empty ones for tasks not yet seen).
    pub(super) fn stage_tasks(&self, stage: usize) -> Vec<TaskAccum> {
        let Some(info) = self.stages.get(stage) else { return Vec::new() };
        let task_count = self.plan.scenarios[info.scenario].tasks.len();
        (0..task_count)
            .map(|task| self.recorded.tasks.get(&(stage as u32, task as u32)).cloned().unwrap_or_default())
            .collect()
    }

    /// Why a capacity step cannot hold, seen before it ends: most requests failing, or latency
    /// growing without bound (each third of the step's seconds slower than the one before, the
    /// last at least twice the first: requests queue faster than they are served).
    pub(super) fn step_breakdown(&self, stage: usize) -> Option<String> {
        let info = self.stages.get(stage)?;
        let total = merged(&self.stage_tasks(stage));
        if total.requests >= STEP_BREAKDOWN_MIN_REQUESTS && total.failures * 2 >= total.requests {
            return Some(format!("stopped early: {} of {} requests failed", total.failures, total.requests));
        }
        let medians: Vec<f64> = self
            .series
            .iter()
            .filter(|point| point.scenario == info.scenario && f64::from(point.second) >= info.started_secs.ceil())
            .filter_map(|point| point.requests.p50_micros.map(|micros| micros as f64))
            .collect();
        if medians.len() < STEP_BREAKDOWN_MIN_SECONDS {
            return None;
        }
        crate::measure::capacity::rising_without_bound(&medians).map(|[first, middle, last]| {
            format!(
                "stopped early: over-saturated, median latency rising without bound ({} to {} to {} over the step)",
                crate::format::micros(first),
                crate::format::micros(middle),
                crate::format::micros(last)
            )
        })
    }

    /// The first abort_on_fail target of this stage that fails, once the level has run past
    /// that target's delay.
    pub(super) fn abort_reason(&self, stage: usize, level_elapsed: Duration) -> Option<String> {
        let info = self.stages.get(stage)?;
        let scenario = &self.plan.scenarios[info.scenario];
        let due: Vec<&crate::preset::compiled::CompiledTarget> = scenario
            .compiled
            .targets
            .iter()
            .filter(|target| {
                target.abort_on_fail && target.level.is_none_or(|level| level == info.level) && level_elapsed >= target.abort_delay
            })
            .collect();
        if due.is_empty() {
            return None;
        }
        let numbers = self.stage_numbers(stage)?;
        let level_name = &info.name;
        numbers
            .verdicts
            .iter()
            .filter(|verdict| !verdict.passed && due.iter().any(|target| target.text == verdict.target))
            .map(|verdict| {
                let observed = verdict
                    .observed
                    .map(|value| verdict.metric.format_value(value))
                    .unwrap_or_else(|| "no requests".into());
                format!(
                    "target {:?} failed in {} / {} (observed {observed}); abort_on_fail stopped the run",
                    verdict.target, scenario.compiled.name, level_name
                )
            })
            .next()
    }

    /// Hands the final record to the saver thread (disk writes never stall the controller)
    /// and returns it.
    pub(super) fn save(&self, status: RunStatus, saver: &RunSaver) -> RunRecord {
        let record = self.record(status);
        saver.save_whole(record.clone(), status != RunStatus::Running);
        record
    }

    /// An autosave: the record without its series, and the series points since the last one.
    /// The saver holds the series and the preset, so an hour into a run each autosave copies
    /// seconds, not the hour.
    pub(super) fn autosave(&mut self, saver: &RunSaver) {
        let record = self.build_record(RunStatus::Running, false);
        let new_series = self.series[self.series_saved..].to_vec();
        self.series_saved = self.series.len();
        saver.save_delta(record, new_series);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::preset::PresetSource;
    use crate::run::SecondStats;

    /// A run state one hour into a three-task run: 3,600 series points, each with its tasks.
    fn hour_long_run() -> RunState {
        let tasks: String = (0..3)
            .map(|task| format!("[[scenario.task]]\nname = \"t{task}\"\npath = \"/{task}\"\n"))
            .collect();
        let text = format!(
            "[[scenario]]\nname = \"s\"\n[scenario.service]\nbase_url = \"http://127.0.0.1:9\"\n{tasks}[[scenario.level]]\nusers = 10\nduration = \"1h\"\n"
        );
        let loaded = PresetSource::from_text("hour.toml", &text, None).parse().unwrap();
        let plan = RunPlan::new(crate::preset::compile(&loaded).unwrap(), std::path::PathBuf::new(), &|_| None).unwrap();
        let level = plan.scenarios[0].compiled.levels[0].clone();
        let mut run = RunState::new(Arc::new(plan), Instant::now(), Vec::new(), None);
        run.set_worker_count(2);
        run.begin_stage(0, 0, 0, &level, false);
        let stats = SecondStats {
            rps: 1000.0,
            p50_micros: Some(1200),
            p95_micros: Some(4000),
            p99_micros: Some(9000),
            ..SecondStats::default()
        };
        for second in 0..3600 {
            run.series.push(SeriesPoint {
                second,
                scenario: 0,
                level: 0,
                users: 10,
                requests: stats.clone(),
                resources: None,
                tasks: (0..3)
                    .map(|task| TaskSecond {
                        task,
                        requests: stats.clone(),
                    })
                    .collect(),
                journeys: None,
            });
        }
        run
    }

    /// `cargo test --release --lib autosave_cost -- --ignored --nocapture`: what one autosave
    /// costs the controller's thread an hour into a run (printed; the figure is in the commit).
    #[test]
    #[ignore = "a measurement, run by hand"]
    fn autosave_cost_of_an_hour_long_run() {
        let mut run = hour_long_run();
        let rounds = 50;
        // Before: the whole record built (series and preset copied) and cloned for the saver.
        let started = Instant::now();
        for _ in 0..rounds {
            let record = run.record(RunStatus::Running);
            std::hint::black_box(record.clone());
        }
        let whole_micros = started.elapsed().as_micros() / rounds;
        // Now: the record without series or preset, and the two seconds since the last save.
        let started = Instant::now();
        for _ in 0..rounds {
            run.series_saved = run.series.len() - 2;
            let record = run.build_record(RunStatus::Running, false);
            std::hint::black_box((record, run.series[run.series_saved..].to_vec()));
        }
        let delta_micros = started.elapsed().as_micros() / rounds;
        println!("autosave on the controller thread, an hour into a run: whole record {whole_micros} µs, delta {delta_micros} µs per save");
    }

    #[test]
    fn an_autosave_leaves_out_the_series_and_preset_the_saver_holds() {
        let mut run = hour_long_run();
        let whole = run.record(RunStatus::Running);
        assert_eq!(whole.series.len(), 3600);
        assert_eq!(whole.preset.name, "hour");
        let part = run.build_record(RunStatus::Running, false);
        assert!(part.series.is_empty());
        assert_eq!(part.preset, PresetRecord::empty());
        // Everything else is the same record.
        let mut filled = part.clone();
        filled.series = whole.series.clone();
        filled.preset = whole.preset.clone();
        filled.saved_at = whole.saved_at.clone();
        assert_eq!(filled, whole);
        run.series_saved = 3590;
        assert_eq!(run.series.len() - run.series_saved, 10);
    }
}
