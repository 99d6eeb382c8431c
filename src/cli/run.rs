//! `loadscope run`: a headless run with a live progress line, a Locust-style table per level,
//! the target verdicts, and an exit code CI can act on.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::stop_signals;
use super::table::{level_report, run_summary};
use super::{EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_NOT_SAVED, EXIT_PASSED, EXIT_TARGET_FAILED, RunArgs};
use crate::demo::{DemoConfig, DemoStack};
use crate::engine::{Command, Engine, Event, RunPlan, SaveOutcome, Snapshot};
use crate::export::MetricsServer;
use crate::export::metrics::RunMetrics;
use crate::format;
use crate::preset::compiled::BaseUrl;
use crate::preset::{Overrides, secrets};
use crate::run::RunStatus;
use crate::run::library::default_runs_dir;

/// The longest a finished run waits for its final numbers to be scraped.
const METRICS_LINGER_LIMIT: Duration = Duration::from_secs(60);

/// Runs `loadscope run` and returns the exit code.
pub(crate) fn run(args: RunArgs) -> u8 {
    let Ok(dotenv) = read_dotenv(&args) else {
        return EXIT_BAD_INPUT;
    };
    let prepared = match super::adhoc::prepare(&args, &|name| dotenv.lookup(name)) {
        Ok(prepared) => prepared,
        Err(why) => {
            eprintln!("{why}");
            return EXIT_BAD_INPUT;
        }
    };
    let context = Context { dotenv, prepared };
    match args.repeat {
        Some(count) if count > 1 => super::repeat::run_repeated(&args, count, &|args, repeat| run_once(args, &context, repeat)),
        _ => run_once(&args, &context, None).0,
    }
}

/// What every repeat of a run shares: the `.env` values and the command line's preset.
struct Context {
    dotenv: secrets::DotEnv,
    prepared: super::adhoc::Prepared,
}

/// `${VAR}` values: the environment, else the .env beside the preset file (the data dir's for a
/// shipped preset or a URL), the same file the app's File > Secrets writes.
fn read_dotenv(args: &RunArgs) -> Result<secrets::DotEnv, Refused> {
    let preset_path = std::path::Path::new(&args.target.preset);
    let dotenv_path = match preset_path.parent() {
        Some(dir) if preset_path.is_file() => dir.join(".env"),
        _ => crate::run::library::data_dir().join(".env"),
    };
    secrets::DotEnv::read(&dotenv_path).map_err(|why| {
        eprintln!("{why}");
        Refused
    })
}

/// Runs the preset once; the exit code, and the run's record when it ran to a saved end.
fn run_once(args: &RunArgs, context: &Context, repeat: Option<crate::run::RepeatRecord>) -> (u8, Option<crate::run::RunRecord>) {
    let Ok(mut compiled) = checked_preset(args, &context.prepared) else {
        return (EXIT_BAD_INPUT, None);
    };
    let Ok(demo) = demo_stack(args) else {
        return (EXIT_BAD_INPUT, None);
    };
    if let Some(stack) = &demo {
        stack.point_preset_here(&mut compiled);
    }
    let Ok(plan) = plan(args, context, compiled, repeat) else {
        return (EXIT_BAD_INPUT, None);
    };
    let preset_name = plan.preset.name.clone();
    let final_scrape_wait = plan.preset.final_scrape_wait;
    let stages = plan.stage_count();
    let metrics = match args.target.metrics_addr.or(plan.preset.metrics_addr) {
        Some(address) => match MetricsServer::start(address, RunMetrics::new(&preset_name)) {
            Ok(server) => Some(server),
            Err(why) => {
                eprintln!("{why}");
                return (EXIT_BAD_INPUT, None);
            }
        },
        None => None,
    };
    let searches: Vec<String> = plan
        .scenarios
        .iter()
        .filter_map(|scenario| describe_search(&scenario.compiled))
        .collect();

    let observer = metrics.as_ref().map(|server| {
        let metrics = server.metrics();
        Arc::new(move |event: &Event| metrics.observe(event)) as crate::engine::Observer
    });
    let engine = match Engine::spawn_observed(None, observer) {
        Ok(engine) => engine,
        Err(err) => {
            eprintln!("cannot start the engine: {err}");
            return (EXIT_BAD_INPUT, None);
        }
    };
    stop_signals::install(engine.commander());
    if !args.target.quiet {
        let levels: Vec<&crate::preset::compiled::CompiledLevel> =
            plan.scenarios.iter().flat_map(|scenario| &scenario.compiled.levels).collect();
        let what = match (stages, searches.len()) {
            (_, 0) => describe_levels(&levels),
            (0, searched) => format!("{searched} capacity search(es)"),
            (_, searched) => format!("{} and {searched} capacity search(es)", describe_levels(&levels)),
        };
        eprintln!("Running {preset_name}: {what}. Ctrl-C stops the run and saves it.");
        for search in &searches {
            eprintln!("  {search}");
        }
        if let Some(server) = &metrics {
            eprintln!("Live metrics for Prometheus at http://{}/metrics", server.address());
        }
        if let Some(segment) = args.target.segment {
            eprintln!(
                "Segment {segment} of run {}: this process runs its share of every level.",
                plan.run_id
            );
        }
        if let Some(at) = args.target.start_at {
            eprintln!("The first level starts at {} (--start-at).", humantime::format_rfc3339_millis(at));
        }
    }
    engine.send(Command::Start(Box::new(plan)));
    follow(args, &engine, metrics.as_ref(), final_scrape_wait)
}

/// Reports the engine's events until the run ends: the progress line, each level's table,
/// warnings; the exit code, and the record when the run ended with one.
fn follow(
    args: &RunArgs,
    engine: &Engine,
    metrics: Option<&MetricsServer>,
    final_scrape_wait: Duration,
) -> (u8, Option<crate::run::RunRecord>) {
    let mut progress = Progress::new(args.target.quiet, args.target.json);
    let mut monitors_shown = false;
    let mut save_failing: Option<String> = None;
    loop {
        let Some(event) = engine.recv_timeout(Duration::from_secs(1)) else {
            continue;
        };
        match event {
            Event::PreflightStarted => progress.note("Preflight: checking service health..."),
            Event::PreflightPassed(reports) => {
                for report in reports {
                    progress.note(&format!("  ok  {}", report.describe()));
                }
            }
            Event::PreflightFailed(reports) | Event::SetupFailed(reports) => {
                progress.finish();
                eprintln!("Preflight failed; no load was sent:");
                for report in reports {
                    eprintln!("  {}  {}", if report.ok() { "ok  " } else { "FAIL" }, report.describe());
                }
                return (EXIT_BAD_INPUT, None);
            }
            Event::SetupPassed(reports) => {
                for report in reports {
                    progress.note(&format!("  ok  {}", report.describe()));
                }
            }
            Event::StartFailed(why) => {
                progress.finish();
                eprintln!("The run did not start; no load was sent: {why}");
                return (EXIT_BAD_INPUT, None);
            }
            Event::Cancelled => {
                progress.finish();
                eprintln!("Stopped before any load was sent; nothing was saved.");
                return (EXIT_INTERRUPTED, None);
            }
            Event::Started { out_path, .. } => progress.note(&format!("Load started; saving to {}", out_path.display())),
            Event::Snapshot(snapshot) => {
                if !monitors_shown && let Some(status) = &snapshot.monitor_status {
                    monitors_shown = true;
                    progress.note(&super::probe::status_lines(status).join("\n"));
                }
                progress.update(&snapshot)
            }
            Event::LevelFinished { scenario, level } => progress.print(&format::terminal(&level_report(&scenario, &level))),
            Event::Saved { .. } => {
                if save_failing.take().is_some() {
                    progress.warn("Saving works again; the run file is up to date.");
                }
            }
            Event::SaveFailed { path, error } => {
                // Said once per distinct reason, not every autosave.
                let reason = error.reason();
                if save_failing.as_deref() != Some(reason.as_str()) {
                    progress.warn(&format!(
                        "warning: could not save {} ({reason}); the last good save is kept and saving is retried",
                        path.display()
                    ));
                    save_failing = Some(reason);
                }
            }
            Event::Warning(message) => progress.warn(&format!("warning: {message}")),
            Event::Rejected(message) => progress.warn(&format!("engine: {message}")),
            Event::Finished { record, saved } => {
                progress.finish();
                let code = finish(args, &record, &saved, metrics, final_scrape_wait);
                return (code, Some(*record));
            }
        }
    }
}

/// The run has ended: its summary, the JUnit file, where it was saved, a search's capacity,
/// the JSON document, and a last wait for Prometheus; the exit code.
fn finish(
    args: &RunArgs,
    record: &crate::run::RunRecord,
    saved: &SaveOutcome,
    metrics: Option<&MetricsServer>,
    final_scrape_wait: Duration,
) -> u8 {
    let json = args.target.json;
    if !json {
        println!("{}", format::terminal(&run_summary(record)));
    }
    let verdict = match record.passed {
        Some(false) => EXIT_TARGET_FAILED,
        _ if record.status == RunStatus::Aborted => EXIT_TARGET_FAILED,
        _ => EXIT_PASSED,
    };
    // With --json, standard output holds the document alone; the lines go to stderr.
    let say = |line: String| if json { eprintln!("{line}") } else { println!("{line}") };
    let mut code = verdict;
    if let Some(junit) = &args.target.junit {
        match crate::run::save::write_atomic(junit, crate::report::junit::render(record).as_bytes()) {
            Ok(()) => eprintln!("JUnit results written to {}", junit.display()),
            Err(err) => {
                eprintln!(
                    "error: could not write the JUnit file {} ({err}); CI gets no test results. Check the folder exists and is writable",
                    junit.display()
                );
                code = EXIT_NOT_SAVED;
            }
        }
    }
    let path = match saved {
        SaveOutcome::Saved(path) => {
            say(format!("Run saved to {}", path.display()));
            Some(path.clone())
        }
        SaveOutcome::Fallback { path, planned, error } => {
            eprintln!("error: could not save the run to {} ({error})", planned.display());
            say(format!("Run saved to {} instead", path.display()));
            Some(path.clone())
        }
        SaveOutcome::NotSaved { error } => {
            eprintln!(
                "error: the run could not be saved anywhere ({error}); the numbers above are all that is left. Free disk space or pick a writable folder with --out"
            );
            code = EXIT_NOT_SAVED;
            None
        }
    };
    if path.is_some() {
        for line in capacity_lines(record) {
            say(line);
        }
    }
    if json {
        super::json::print(&super::json::RunSummaryDocument::new(record, path.as_deref(), code));
    }
    // Every output is written: a signal from here on exits at once with this code.
    stop_signals::outputs_written(code);
    if let Some(server) = metrics {
        // A scraper that was reading the run gets its final numbers, within a bound
        // a container's grace period covers when the run was stopped by a signal.
        let limit = if record.status == RunStatus::Stopped {
            final_scrape_wait
        } else {
            METRICS_LINGER_LIMIT
        };
        if let Some(wait) = server.final_scrape_wait_bound(limit) {
            let _ = std::io::Write::flush(&mut std::io::stdout());
            eprintln!(
                "waiting up to {} for Prometheus's last scrape (Ctrl-C to skip)",
                format::duration(Duration::from_secs(wait.as_secs_f64().ceil() as u64))
            );
            server.wait_for_final_scrape(limit);
        }
    }
    code
}

/// An argument the run refuses; the reason is printed already.
struct Refused;

/// The preset with the command line's overrides, checked, and the files the run writes
/// checked writable; Refused once the reason is printed.
fn checked_preset(args: &RunArgs, prepared: &super::adhoc::Prepared) -> Result<crate::preset::CompiledPreset, Refused> {
    if let Some(host) = &args.target.host
        && let Err(why) = BaseUrl::parse(host)
    {
        eprintln!("--host: {why}");
        return Err(Refused);
    }
    for (flag, value) in [("--spawn-rate", args.spawn_rate)] {
        if let Some(value) = value
            && !(value.is_finite() && value > 0.0)
        {
            eprintln!("{flag} {value}: must be a positive number of users per second");
            return Err(Refused);
        }
    }
    if args.duration.is_some_and(|duration| duration.0.is_zero()) {
        eprintln!("-t/--duration: must be longer than 0s (e.g. 30s or 5m)");
        return Err(Refused);
    }
    // A run from a URL has its load and headers in the preset it made already.
    let adhoc = prepared.adhoc_toml.is_some();
    let overrides = Overrides {
        scenario: args.target.scenario.clone(),
        host: args.target.host.clone(),
        users: args.users.filter(|_| !adhoc),
        spawn_rate: args.spawn_rate.filter(|_| !adhoc),
        duration: args.duration.filter(|_| !adhoc),
        insecure: args.target.insecure,
        search: args.search.clone(),
        headers: prepared.headers.clone(),
        requests: args.requests.filter(|_| !adhoc),
    };
    let source = match &prepared.adhoc_toml {
        // Named as shown: a password in the URL is masked.
        Some(toml) => Ok(crate::preset::PresetSource::from_text(
            &crate::preset::compiled::mask_password(&args.target.preset),
            toml,
            None,
        )),
        None => crate::preset::PresetSource::locate(&args.target.preset),
    };
    let mut compiled = source
        .and_then(|source| super::load_checked(source, &overrides))
        .map_err(|errors| {
            eprintln!("{errors}");
            Refused
        })?;
    if let Some(segment) = args.target.segment
        && let Err(why) = segment.apply(&mut compiled)
    {
        eprintln!("{why}");
        return Err(Refused);
    }
    // Before anything starts: a run whose file cannot be written is refused (the engine checks
    // again, for the app and for a folder that changes in between).
    if let Some(out) = &args.target.out
        && let Err(why) = crate::run::save::check_writable(out, false)
    {
        eprintln!("--out: {why}");
        return Err(Refused);
    }
    if let Some(junit) = &args.target.junit
        && let Err(why) = crate::run::save::check_writable_as(junit, false, "the JUnit file", "--junit", "junit.xml")
    {
        eprintln!("--junit: {why}");
        return Err(Refused);
    }

    Ok(compiled)
}

/// The built-in demo stack, when `--demo-stack` asks for it.
fn demo_stack(args: &RunArgs) -> Result<Option<DemoStack>, Refused> {
    if !args.target.demo_stack {
        return Ok(None);
    }
    let base_port = args.target.base_port.unwrap_or(DemoConfig::default().base_port);
    match DemoStack::start(DemoConfig {
        base_port,
        ..DemoConfig::default()
    }) {
        Ok(stack) => {
            let [gateway, rag, mcp] = stack.urls();
            eprintln!("Demo stack (simulated services): gateway {gateway}, RAG {rag}, MCP {mcp}");
            Ok(Some(stack))
        }
        Err(err) => {
            let ports = format!("{base_port}, {} or {}", u32::from(base_port) + 2, u32::from(base_port) + 20);
            eprintln!(
                "cannot start the demo stack: {err}: another program holds port {ports}. Stop it, or give --base-port N (e.g. --base-port 18000) for other ports"
            );
            Err(Refused)
        }
    }
}

/// The run's plan: `${VAR}` values resolved, where it is saved, and the command line's
/// run id, segment, start time, repeat and workers.
fn plan(
    args: &RunArgs,
    context: &Context,
    compiled: crate::preset::CompiledPreset,
    repeat: Option<crate::run::RepeatRecord>,
) -> Result<RunPlan, Refused> {
    let lookup = |name: &str| context.prepared.lookup(args, name).or_else(|| context.dotenv.lookup(name));
    let planned = match &args.target.out {
        Some(out) => RunPlan::new(compiled, out.clone(), &lookup),
        None => RunPlan::in_library(compiled, &default_runs_dir(), &lookup),
    };
    let mut plan = match planned {
        Ok(plan) => plan,
        Err(err) => {
            eprintln!("{err}");
            return Err(Refused);
        }
    };
    if args.target.no_preflight {
        plan.preflight = false;
    }
    if let Some(run_id) = &args.target.run_id {
        plan.run_id = run_id.clone();
    }
    if let Some(segment) = args.target.segment {
        plan.set_segment(segment);
    }
    if args.target.out.is_none() && (args.target.run_id.is_some() || args.target.segment.is_some()) {
        // Segments of one run share its id: each file is named for its segment too.
        plan.out_path = default_runs_dir().join(crate::run::library::segment_file_name(
            &plan.run_id,
            &plan.preset.name,
            args.target.segment.map(|segment| (segment.index, segment.count)),
        ));
    }
    plan.start_at = args.target.start_at;
    plan.repeat = repeat;
    if let Some(workers) = args.target.workers {
        plan.workers = workers.max(1);
    }
    Ok(plan)
}

/// The levels' length, for the line before the load: `5 levels × 8s = 40s`, `1 level of 10s`,
/// `1 level, until 200 requests have finished (at most 10m)`, or `3 levels, 7m in all` when
/// their durations differ. `-t` is each level's duration: this line says what that adds up to.
pub(crate) fn describe_levels(levels: &[&crate::preset::compiled::CompiledLevel]) -> String {
    let total: Duration = levels.iter().map(|level| level.duration).sum();
    let counted = match levels {
        [level] => match level.requests {
            Some(requests) => format!(
                ", until {requests} requests have finished (at most {})",
                format::duration(level.duration)
            ),
            None => format!(" of {}", format::duration(level.duration)),
        },
        _ => String::new(),
    };
    match levels {
        [] => "no levels".to_string(),
        [_] => format!("1 level{counted}"),
        [first, rest @ ..] if rest.iter().all(|level| level.duration == first.duration) => format!(
            "{} levels × {} = {}",
            levels.len(),
            format::duration(first.duration),
            format::duration(total)
        ),
        _ => format!("{} levels, {} in all", levels.len(), format::duration(total)),
    }
}

/// What a scenario's search will do, for the line before it starts: `Chat: over users from 2 to
/// 64, doubling while every target holds, then bisecting to 10%; each step 5s warm-up and 20s
/// measured; every step must hold p95 < 2s and error_rate < 1%`.
fn describe_search(scenario: &crate::preset::compiled::CompiledScenario) -> Option<String> {
    let capacity = scenario.capacity.as_ref()?;
    let rule = &capacity.rule;
    let axis = match rule.axis {
        crate::measure::capacity::CapacityAxis::Users => "users",
        crate::measure::capacity::CapacityAxis::Rate => "rate",
    };
    let growth = if (rule.growth - 2.0).abs() < f64::EPSILON {
        "doubling".to_string()
    } else {
        format!("times {} each step", rule.growth)
    };
    let targets: Vec<&str> = scenario
        .targets
        .iter()
        .filter(|target| !target.expr.metric.is_capacity())
        .map(|target| target.text.as_str())
        .collect();
    let drain = match rule.axis {
        crate::measure::capacity::CapacityAxis::Rate => format!(
            "; between steps arrivals stop until the requests in flight finish (each within the {} timeout)",
            format::duration(scenario.timeout)
        ),
        crate::measure::capacity::CapacityAxis::Users => String::new(),
    };
    Some(format!(
        "{}: search over {axis} from {} to {}, {growth} while every target holds, then bisecting to {}%; each step {} warm-up and {} measured{drain}; every step must hold {}",
        scenario.name,
        rule.axis.format(rule.start),
        rule.axis.format(rule.max),
        rule.precision * 100.0,
        format::duration(capacity.warmup),
        format::duration(capacity.step),
        targets.join(" and ")
    ))
}

/// The search's answer, the last lines a run prints: `capacity: 24 users`, one per search (with
/// the scenario's name when several scenarios searched).
fn capacity_lines(record: &crate::run::RunRecord) -> Vec<String> {
    let searched: Vec<_> = record
        .scenarios
        .iter()
        .filter_map(|scenario| scenario.capacity.as_ref().map(|capacity| (scenario.name.as_str(), capacity)))
        .collect();
    let mut lines = Vec::new();
    for (name, capacity) in &searched {
        let found = capacity.answer();
        let unfinished = if capacity.done || capacity.stopped.is_some() {
            ""
        } else {
            " (search not finished)"
        };
        if searched.len() == 1 {
            lines.push(format!("capacity: {found}{unfinished}"));
        } else {
            lines.push(format!("capacity: {found}{unfinished} ({name})"));
        }
    }
    lines
}

/// The live progress line: redrawn in place on a terminal, a plain line every 10 s otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    plain: bool,
    quiet: bool,
    last_plain: Option<Instant>,
    /// Level tables go to standard error (standard output is for the JSON summary).
    tables_to_stderr: bool,
}

impl Progress {
    fn new(quiet: bool, tables_to_stderr: bool) -> Progress {
        if quiet {
            return Progress {
                bar: None,
                plain: false,
                quiet: true,
                last_plain: None,
                tables_to_stderr,
            };
        }
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4));
            bar.set_style(ProgressStyle::with_template("{spinner} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()));
            Progress {
                bar: Some(bar),
                plain: false,
                quiet: false,
                last_plain: None,
                tables_to_stderr,
            }
        } else {
            Progress {
                bar: None,
                plain: true,
                quiet: false,
                last_plain: None,
                tables_to_stderr,
            }
        }
    }

    fn update(&mut self, snapshot: &Snapshot) {
        let line = progress_line(snapshot);
        if let Some(bar) = &self.bar {
            bar.set_message(line);
            bar.tick();
        } else if self.plain && self.last_plain.is_none_or(|last| last.elapsed() >= Duration::from_secs(10)) {
            self.last_plain = Some(Instant::now());
            eprintln!("{line}");
        }
    }

    /// Progress information: hidden by -q.
    fn note(&self, text: &str) {
        if !self.quiet {
            self.warn(text);
        }
    }

    /// Something that needs attention: always shown.
    fn warn(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    fn print(&self, text: &str) {
        if self.tables_to_stderr {
            return self.warn(text);
        }
        match &self.bar {
            Some(bar) => bar.suspend(|| println!("{text}")),
            None => println!("{text}"),
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// One line of live state.
pub(crate) fn progress_line(snapshot: &Snapshot) -> String {
    let total = &snapshot.level_total;
    let failing = snapshot.verdicts.iter().filter(|verdict| !verdict.passed).count();
    let verdicts = if snapshot.verdicts.is_empty() {
        String::new()
    } else {
        format!("  targets {} ok / {} failing", snapshot.verdicts.len() - failing, failing)
    };
    let mut resources = String::new();
    if let Some(sample) = &snapshot.resources {
        if let Some(gpu) = sample.gpu_util_max() {
            resources.push_str(&format!("  GPU {gpu:.0}%"));
        }
        if let Some(container) = sample.busiest_container() {
            resources.push_str(&format!("  {} {:.0}% CPU", container.name, container.cpu_percent));
        }
    }
    let place = if snapshot.level_count == 0 {
        "search".to_string()
    } else {
        format!("{}/{}", snapshot.level_index + 1, snapshot.level_count)
    };
    format!(
        "{} [{place}] {}  {}/{}  {} {}  {}  p95 {}  errors {}{resources}{verdicts}",
        snapshot.scenario_name,
        snapshot.level_name,
        format::clock(snapshot.level_elapsed_secs),
        format::clock(snapshot.level_duration_secs),
        match snapshot.load {
            crate::measure::LoadModel::Closed { .. } => "users",
            crate::measure::LoadModel::Open { .. } => "in flight",
        },
        snapshot.users,
        format::req_rate(snapshot.rps_last_second),
        if total.requests == 0 {
            "-".into()
        } else {
            format::micros(total.p95_micros as f64)
        },
        format::error_percent(total.error_rate_percent()),
    )
}

#[cfg(test)]
mod describe_levels_tests {
    use super::*;
    use crate::measure::LoadModel;
    use crate::preset::compiled::CompiledLevel;

    fn level(secs: u64, requests: Option<u64>) -> CompiledLevel {
        CompiledLevel {
            name: "L".into(),
            load: LoadModel::Closed {
                users: 1,
                spawn_rate: None,
            },
            duration: Duration::from_secs(secs),
            requests,
        }
    }

    #[test]
    fn the_line_before_the_load_adds_up_each_levels_duration() {
        let five: Vec<CompiledLevel> = (0..5).map(|_| level(8, None)).collect();
        assert_eq!(describe_levels(&five.iter().collect::<Vec<_>>()), "5 levels × 8s = 40s");
        let mixed = [level(60, None), level(120, None)];
        assert_eq!(describe_levels(&mixed.iter().collect::<Vec<_>>()), "2 levels, 3m in all");
        assert_eq!(describe_levels(&[&level(10, None)]), "1 level of 10s");
        assert_eq!(
            describe_levels(&[&level(600, Some(200))]),
            "1 level, until 200 requests have finished (at most 10m)"
        );
    }
}
