//! The command line: one module per subcommand, all over the same library the desktop app
//! uses. Exit codes: 0 every target held, 1 a target failed, 2 bad input or a service that
//! failed its preflight health check, 3 the run could not be saved anywhere, 130 stopped
//! before any load was sent.

pub(crate) mod adhoc;
pub(crate) mod compare;
mod completion;
pub(crate) mod demo_stack;
pub(crate) mod generate;
pub(crate) mod import;
pub(crate) mod json;
pub(crate) mod merge;
pub(crate) mod probe;
pub(crate) mod repeat;
pub(crate) mod report;
pub(crate) mod run;
pub(crate) mod runs;
mod stop_signals;
pub(crate) mod table;
pub(crate) mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::measure::duration::{HumanDuration, parse_duration};
use crate::preset::compiled::MAX_USERS;

/// Exit code: every target held.
pub(crate) const EXIT_PASSED: u8 = 0;
/// Exit code: a target failed (or the run was aborted by one).
pub(crate) const EXIT_TARGET_FAILED: u8 = 1;
/// Exit code: bad input, or a service failed its preflight check.
pub(crate) const EXIT_BAD_INPUT: u8 = 2;
/// Exit code: the run ended but its file could not be written anywhere (its summary was
/// printed; nothing is on disk).
pub(crate) const EXIT_NOT_SAVED: u8 = 3;
/// Exit code: a signal stopped the command before any load was sent (as shells report SIGINT).
pub(crate) const EXIT_INTERRUPTED: u8 = 130;

/// What each exit code of `run` and `capacity` means: `loadscope --help` and the man pages
/// list them from here.
pub(crate) const EXIT_CODES: [(u8, &str); 5] = [
    (EXIT_PASSED, "every target held (or a stopped run with none failed)"),
    (EXIT_TARGET_FAILED, "a target failed, or abort_on_fail stopped the run"),
    (
        EXIT_BAD_INPUT,
        "bad input (preset, flag, unwritable --out) or a failed preflight / setup step",
    ),
    (
        EXIT_NOT_SAVED,
        "the run ended but could not be saved anywhere (its summary was printed)",
    ),
    (EXIT_INTERRUPTED, "stopped by a signal before any load was sent"),
];

/// The exit codes, as `loadscope --help` ends.
fn exit_status_help() -> String {
    let lines: Vec<String> = EXIT_CODES.iter().map(|(code, what)| format!("  {code:<5}{what}")).collect();
    format!("Exit status:\n{}", lines.join("\n"))
}

/// Load testing for AI service stacks.
#[derive(Debug, Parser)]
#[command(name = "loadscope", version, about, long_about = None, after_help = exit_status_help())]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Commands>,
}

#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Open the desktop app (what `loadscope` with no command does).
    Gui {
        /// A preset file or shipped preset name to open (default: the last one).
        #[arg(add = completion::presets())]
        preset: Option<String>,
        /// Start the built-in demo stack with the window (and open the demo preset when no
        /// other is named), so Start runs at once.
        #[arg(long)]
        demo_stack: bool,
        /// With --demo-stack: the gateway's port (RAG on +2, MCP on +20; default 8000, else
        /// free ports).
        #[arg(long, value_name = "PORT", requires = "demo_stack", value_parser = clap::value_parser!(u16).range(1..=65515))]
        base_port: Option<u16>,
        /// A run file to present full screen for a room as soon as the window opens (Esc
        /// leaves Present).
        #[arg(long, value_name = "RUN.json")]
        present: Option<std::path::PathBuf>,
        /// What draws the window: wgpu (Vulkan, Metal, DirectX) on a graphics card, OpenGL
        /// (glow) where the only adapter draws in software, which costs far less CPU there.
        #[arg(long, value_enum, default_value_t, env = "LOADSCOPE_RENDERER")]
        renderer: crate::ui::renderer::RendererChoice,
    },
    /// Run a preset headless: live progress, then per-level stats and target verdicts.
    Run(Box<RunArgs>),
    /// Search for the highest load at which every target holds: each scenario's levels become
    /// a capacity search (rising until a target fails, then bisecting). The last line printed
    /// is the answer, e.g. `capacity: 24 users`.
    Capacity(Box<CapacityArgs>),
    /// Check presets for mistakes (file, line and column for each).
    Validate {
        /// Preset files or shipped preset names.
        #[arg(required = true, add = completion::presets())]
        presets: Vec<String>,
        /// One JSON document on standard output: each preset's counts or mistakes.
        #[arg(long)]
        json: bool,
    },
    /// Start the built-in demo stack (gateway, RAG, MCP) on loopback until Ctrl-C.
    DemoStack(DemoStackArgs),
    /// Show what each resource monitor can see now, with one sample each.
    Probe(ProbeArgs),
    /// The man pages or shell completions, on standard output (for packages).
    #[command(hide = true)]
    Generate {
        #[arg(value_enum)]
        what: generate::Artifact,
        /// Write every man page here (loadscope.1, loadscope-run.1, ...) instead of loadscope.1
        /// on standard output.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// The run library: list saved runs (sorted, filtered), rename, note, tag, delete, restore.
    Runs(runs::RunsArgs),
    /// Two or more runs side by side: per level and task, each number against the baseline
    /// run's, with its change and whether it is better.
    Compare {
        /// Runs: files, ids or file names from `loadscope runs`, or `latest`.
        #[arg(required = true, num_args = 2.., add = completion::runs())]
        runs: Vec<String>,
        /// The run the others are measured against (default: the first).
        #[arg(long, add = completion::runs())]
        baseline: Option<String>,
        /// Folder of the run library (default: the data dir's runs/).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// One JSON document on standard output: every cell with its change and its call.
        #[arg(long)]
        json: bool,
    },
    /// Make one run of the segment files of a run split over processes (`run --segment i/n`):
    /// histograms added, counts summed, verdicts and findings on the merged numbers.
    Merge(merge::MergeArgs),
    /// Save another tool's run in the run library (`import locust PREFIX`: Locust's CSV files),
    /// so Compare and reports lay it beside Loadscope's runs.
    Import(import::ImportArgs),
    /// Write a report of a run: Markdown (LOAD_TESTING_RESULTS.md), HTML, Locust CSV or JUnit XML.
    Report(report::ReportArgs),
}

/// What `run` and `capacity` share: the preset, where it runs, and how the run is kept.
#[derive(Debug, clap::Args)]
pub struct RunTarget {
    /// A preset file, a shipped preset's name (api-gateway, rag-service, mcp-server,
    /// baseline, full-suite, demo, llm-capacity, llm-dataset), or an http:// or https:// URL to
    /// load on its own (see "A run from a URL").
    #[arg(value_name = "PRESET|URL", add = completion::presets())]
    pub preset: String,
    /// Run only this scenario of the preset.
    #[arg(long)]
    pub scenario: Option<String>,
    /// Replace every scenario's base URL (e.g. http://localhost:9000).
    #[arg(long, env = "LOADSCOPE_HOST")]
    pub host: Option<String>,
    /// Write the run file here, replacing a file of that name (default: a new file in the
    /// data dir's runs/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Start the built-in demo stack first (on ports 8000, 8002, 8020, or from --base-port);
    /// the preset's services on those ports are pointed at it.
    #[arg(long)]
    pub demo_stack: bool,
    /// With --demo-stack: the gateway's port (RAG on +2, MCP on +20), when 8000 is taken (it is
    /// vLLM's default).
    #[arg(long, value_name = "PORT", requires = "demo_stack", value_parser = clap::value_parser!(u16).range(1..=65515))]
    pub base_port: Option<u16>,
    /// Skip the health checks before any load is sent.
    #[arg(long)]
    pub no_preflight: bool,
    /// Worker threads (default: one per CPU).
    #[arg(long, env = "LOADSCOPE_WORKERS")]
    pub workers: Option<usize>,
    /// No live progress line.
    #[arg(short, long)]
    pub quiet: bool,
    /// Accept any https certificate (a development server's); the run and its reports say so.
    #[arg(long)]
    pub insecure: bool,
    /// Serve live metrics for Prometheus at http://ADDR/metrics during the run: HOST:PORT, or a
    /// port alone for 127.0.0.1 (replaces the preset's `[export] metrics_addr`).
    #[arg(long, value_name = "ADDR", value_parser = crate::preset::compile::export::parse_metrics_addr, env = "LOADSCOPE_METRICS_ADDR")]
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Also write the verdicts as JUnit XML here, for CI: a test suite per scenario, a test
    /// case per target and level.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Print the run's summary as one JSON document on standard output (see the README's
    /// "JSON output"); progress and level tables go to standard error.
    #[arg(long)]
    pub json: bool,
    /// Run segment i of n (from 0, e.g. 2/4): this process's share of every level's users,
    /// spawn rate and arrival rate. `loadscope merge` makes one run of the n files.
    #[arg(long, value_name = "i/n", value_parser = crate::preset::segment::Segment::parse, env = "LOADSCOPE_SEGMENT")]
    pub segment: Option<crate::preset::segment::Segment>,
    /// The id of the run the segments belong to (the same for all of them; letters, digits,
    /// `.`, `_` and `-`).
    #[arg(long, value_name = "ID", value_parser = parse_run_id, env = "LOADSCOPE_RUN_ID")]
    pub run_id: Option<String>,
    /// Start the first level at this time (RFC 3339, e.g. 2026-12-03T14:30:00Z or
    /// 2026-12-03T20:00:00+05:30), after the checks, so segments start together; a start later
    /// than 50 ms is noted in the run, and a time more than a minute gone is refused.
    #[arg(long, value_name = "TIME", value_parser = parse_start_at, env = "LOADSCOPE_START_AT")]
    pub start_at: Option<std::time::SystemTime>,
}

// The value parsers below return plain strings on purpose: they are the edge. clap prints the
// message as it is, after the option's name, and nothing matches on it (ARCHITECTURE.md,
// "Errors"). The same holds for `runs --sort` and `import`'s names.

fn parse_run_id(text: &str) -> Result<String, String> {
    let ok = !text.is_empty() && text.len() <= 64 && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(text.to_string())
    } else {
        Err(format!("{text:?}: use 1 to 64 letters, digits, '.', '_' or '-' (it names files)"))
    }
}

fn parse_start_at(text: &str) -> Result<std::time::SystemTime, String> {
    start_at_from(text, std::time::SystemTime::now())
}

/// How far in the past `--start-at` may be: segments whose pods started late still run (their
/// late start is noted), but a time long gone is a mistake, not a plan.
pub(crate) const START_AT_PAST_TOLERANCE: std::time::Duration = std::time::Duration::from_secs(60);

/// `--start-at` read against `now`: RFC 3339 with `Z` or any offset (`+05:00`), within the next
/// day and not more than [`START_AT_PAST_TOLERANCE`] ago.
fn start_at_from(text: &str, now: std::time::SystemTime) -> Result<std::time::SystemTime, String> {
    let example = "write e.g. 2026-12-03T14:30:00Z or 2026-12-03T20:00:00+05:30";
    let at = parse_rfc3339(text.trim()).map_err(|why| format!("{text:?} is not an RFC 3339 time ({why}); {example}"))?;
    if at
        .duration_since(now)
        .is_ok_and(|ahead| ahead > std::time::Duration::from_secs(24 * 3600))
    {
        return Err(format!("{text:?} is more than a day away; give a time within the next 24 hours"));
    }
    if let Ok(ago) = now.duration_since(at)
        && ago > START_AT_PAST_TOLERANCE
    {
        return Err(format!(
            "{text:?} is {} in the past; give a future time (every segment the same one, a minute or more ahead)",
            crate::format::duration_secs(ago.as_secs_f64())
        ));
    }
    Ok(at)
}

/// An RFC 3339 time with `Z` or a numeric offset.
fn parse_rfc3339(text: &str) -> Result<std::time::SystemTime, String> {
    let bytes = text.as_bytes();
    // A numeric offset is the last six characters: `+05:00` or `-08:00`.
    let offset = (bytes.len() > 6).then(|| &text[text.len() - 6..]).filter(|tail| {
        let tail = tail.as_bytes();
        matches!(tail[0], b'+' | b'-') && tail[3] == b':' && tail[1..3].iter().chain(&tail[4..]).all(u8::is_ascii_digit)
    });
    let Some(offset) = offset else {
        return humantime::parse_rfc3339_weak(text).map_err(|err| err.to_string());
    };
    let hours: u64 = offset[1..3].parse().map_err(|_| "bad offset hours".to_string())?;
    let minutes: u64 = offset[4..].parse().map_err(|_| "bad offset minutes".to_string())?;
    if hours > 23 || minutes > 59 {
        return Err(format!("offset {offset} is out of range"));
    }
    let local = humantime::parse_rfc3339_weak(&format!("{}Z", &text[..text.len() - 6])).map_err(|err| err.to_string())?;
    let shift = std::time::Duration::from_secs(hours * 3600 + minutes * 60);
    // The time is `local` in a zone `offset` ahead of UTC: UTC is `local - offset`.
    let utc = if offset.starts_with('+') {
        local.checked_sub(shift)
    } else {
        local.checked_add(shift)
    };
    utc.ok_or_else(|| format!("{text} is out of range"))
}

#[cfg(test)]
mod exit_status_tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn help_lists_every_exit_code() {
        let help = Cli::command().render_help().to_string();
        assert!(help.contains("Exit status:"), "{help}");
        for code in [EXIT_PASSED, EXIT_TARGET_FAILED, EXIT_BAD_INPUT, EXIT_NOT_SAVED, EXIT_INTERRUPTED] {
            let line = format!("\n  {code:<5}");
            assert!(help.contains(&line), "exit code {code} is not in --help");
        }
        assert_eq!(exit_status_help().lines().count(), 6, "a code --help lists that no constant names");
    }
}

#[cfg(test)]
mod run_help_tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn run_help_says_what_t_means_and_lists_the_environment() {
        let mut command = Cli::command();
        let help = command.find_subcommand_mut("run").expect("run").render_long_help().to_string();
        assert!(help.contains("-t, --duration <DURATION>"), "{help}");
        assert!(help.contains("Each level's duration"), "{help}");
        assert!(
            help.contains("[aliases: --run-time]") || help.contains("[alias: --run-time]"),
            "{help}"
        );
        for var in [
            "LOADSCOPE_HOST",
            "LOADSCOPE_USERS",
            "LOADSCOPE_SPAWN_RATE",
            "LOADSCOPE_DURATION",
            "LOADSCOPE_MODEL",
            "LOADSCOPE_WORKERS",
            "LOADSCOPE_METRICS_ADDR",
            "LOADSCOPE_SEGMENT",
            "LOADSCOPE_RUN_ID",
            "LOADSCOPE_START_AT",
        ] {
            assert!(help.contains(&format!("[env: {var}")), "{var} is not in run --help");
        }
        assert!(help.contains("A run from a URL:"), "{help}");
    }
}

#[cfg(test)]
mod start_at_tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn offsets_are_read_and_past_times_refused() {
        let now = humantime::parse_rfc3339("2026-12-05T12:00:00Z").expect("now");
        let utc = start_at_from("2026-12-05T12:30:00Z", now).expect("utc");
        assert_eq!(start_at_from("2026-12-05T18:00:00+05:30", now).expect("+05:30"), utc);
        assert_eq!(start_at_from("2026-12-05T04:30:00-08:00", now).expect("-08:00"), utc);
        assert_eq!(
            start_at_from("2026-12-05T12:30:00.250Z", now).expect("fraction"),
            utc + Duration::from_millis(250)
        );
        // Late pods still run: a time just gone is accepted.
        assert!(start_at_from("2026-12-05T11:59:30Z", now).is_ok());
        let past = start_at_from("2026-12-05T09:00:00Z", now).expect_err("3 h ago");
        assert!(past.contains("is 3h 00m in the past; give a future time"), "{past}");
        let far = start_at_from("2026-12-07T12:00:00Z", now).expect_err("two days");
        assert!(far.contains("more than a day away"), "{far}");
        let bad = start_at_from("tomorrow", now).expect_err("not a time");
        assert!(bad.contains("is not an RFC 3339 time"), "{bad}");
        let bad_offset = start_at_from("2026-12-05T18:00:00+25:00", now).expect_err("offset");
        assert!(bad_offset.contains("out of range"), "{bad_offset}");
    }
}

/// `loadscope run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub target: RunTarget,
    /// Users for every level (turns open-model levels into closed ones); a run from a URL
    /// defaults to 10.
    #[arg(short = 'u', long, allow_negative_numbers = true, value_parser = parse_users, env = "LOADSCOPE_USERS")]
    pub users: Option<u32>,
    /// Spawn rate (users per second) for every closed-model level.
    #[arg(short = 'r', long = "spawn-rate", env = "LOADSCOPE_SPAWN_RATE")]
    pub spawn_rate: Option<f64>,
    /// Each level's duration, e.g. 30s or 5m (a run from a URL has one level: the whole run,
    /// 10s by default; with --capacity, each step). The line before the load says the total.
    #[arg(short = 't', long = "duration", visible_alias = "run-time", value_parser = parse_human_duration, env = "LOADSCOPE_DURATION")]
    pub duration: Option<HumanDuration>,
    /// Each level ends once this many requests have finished (or at its duration): oha's -n.
    /// A run from a URL without -t then waits up to 10m for them.
    #[arg(short = 'n', long = "requests", value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub requests: Option<u64>,
    /// A request header, 'Name: value' (repeatable). On a preset it is added to every
    /// scenario's service. A literal credential (Authorization, X-Api-Key, Cookie, ...) is held
    /// out of the run file as ${LOADSCOPE_HEADER_NAME}.
    #[arg(short = 'H', long = "header", value_name = "'Name: value'", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,
    #[command(flatten)]
    pub adhoc: AdHocArgs,
    /// Run the preset N times (2 to 100), keeping each run, then print the spread of each
    /// level's p95, RPS and error rate (lowest, median, highest) and save it under
    /// runs/repeats/. `compare` uses that spread as its noise for runs that have repeats.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub repeat: Option<u32>,
    /// Set by `loadscope capacity`: a search in place of every scenario's levels.
    #[arg(skip)]
    pub search: Option<crate::preset::overrides::SearchOverride>,
}

/// What only a run from a URL takes (`loadscope run http://...`): a preset file sets these
/// itself.
#[derive(Debug, Default, clap::Args)]
pub struct AdHocArgs {
    /// HTTP method of a run from a URL (default GET, or POST with -d).
    #[arg(short = 'm', long, value_name = "METHOD", help_heading = "A run from a URL")]
    pub method: Option<String>,
    /// Request body of a run from a URL; @FILE reads it from a file.
    #[arg(short = 'd', long = "body", value_name = "BODY|@FILE", help_heading = "A run from a URL")]
    pub body: Option<String>,
    /// Requests per second on a clock (open model) instead of users.
    #[arg(long, value_name = "PER_SEC", value_parser = parse_load, help_heading = "A run from a URL")]
    pub rate: Option<f64>,
    /// Streamed chat completions to the URL (/v1/chat/completions when it is a base such as
    /// http://host:8000); the model comes from /v1/models unless --model names it.
    #[arg(long, help_heading = "A run from a URL")]
    pub chat: bool,
    /// The model for --chat. A preset reads it as ${LOADSCOPE_MODEL} (the shipped ones write
    /// ${LOADSCOPE_MODEL:-demo-llm}).
    #[arg(long, value_name = "NAME", env = "LOADSCOPE_MODEL", help_heading = "A run from a URL")]
    pub model: Option<String>,
    /// Prompt length of --chat requests, in tokens (default 256).
    #[arg(long, value_name = "TOKENS", value_parser = clap::value_parser!(u32).range(1..), help_heading = "A run from a URL")]
    pub prompt_tokens: Option<u32>,
    /// The most tokens a --chat reply may have (default 128).
    #[arg(long, value_name = "TOKENS", value_parser = clap::value_parser!(u32).range(1..), help_heading = "A run from a URL")]
    pub max_tokens: Option<u32>,
    /// A capacity search over users (or --rate) instead of one level: from 1 up to -u (default
    /// 256) or --rate, each step -t long, against the --target lines.
    #[arg(long, help_heading = "A run from a URL")]
    pub capacity: bool,
    /// A target the run is judged by, e.g. 'p95 < 500ms' or 'ttft_p95 < 500ms' (repeatable).
    #[arg(long = "target", value_name = "EXPR", value_parser = parse_target, help_heading = "A run from a URL")]
    pub targets: Vec<String>,
    /// Write the preset the URL and flags make as TOML here, to edit or open in the app.
    #[arg(long, value_name = "FILE", help_heading = "A run from a URL")]
    pub save_preset: Option<PathBuf>,
}

impl AdHocArgs {
    /// The flags given that only a run from a URL takes (for the message when a preset was
    /// named instead). `--model` is not among them: a preset reads it as ${LOADSCOPE_MODEL}.
    pub(crate) fn given(&self) -> Vec<&'static str> {
        let mut given = Vec::new();
        for (flag, set) in [
            ("-m/--method", self.method.is_some()),
            ("-d/--body", self.body.is_some()),
            ("--rate", self.rate.is_some()),
            ("--chat", self.chat),
            ("--prompt-tokens", self.prompt_tokens.is_some()),
            ("--max-tokens", self.max_tokens.is_some()),
            ("--capacity", self.capacity),
            ("--target", !self.targets.is_empty()),
            ("--save-preset", self.save_preset.is_some()),
        ] {
            if set {
                given.push(flag);
            }
        }
        given
    }
}

fn parse_header(text: &str) -> Result<(String, String), String> {
    crate::preset::adhoc::parse_header(text).map_err(|why| why.to_string())
}

fn parse_target(text: &str) -> Result<String, String> {
    crate::measure::target::TargetExpr::parse(text)
        .map(|_| text.trim().to_string())
        .map_err(|why| format!("{why}; e.g. --target 'p95 < 500ms' or --target 'error_rate < 1%'"))
}

/// `loadscope capacity`. Flags left out keep the scenario's `[scenario.capacity]` values, else
/// follow from its levels: its axis, its lowest level as the start, eight times its highest as
/// the maximum, its first level's duration as each step's.
#[derive(Debug, clap::Args)]
pub struct CapacityArgs {
    #[command(flatten)]
    pub target: RunTarget,
    /// Search over `users` (closed model) or `rate` (open model, requests per second).
    #[arg(long, value_parser = ["users", "rate"])]
    pub over: Option<String>,
    /// The first step's load (users, or requests per second).
    #[arg(long, value_parser = parse_load)]
    pub start: Option<f64>,
    /// The highest load tried.
    #[arg(long, value_parser = parse_load)]
    pub max: Option<f64>,
    /// While targets hold, each step is this many times the last (default 2).
    #[arg(long, value_parser = parse_growth)]
    pub growth: Option<f64>,
    /// Stop bisecting when the failing load is within this much of the held one (default 10%).
    #[arg(long, value_parser = parse_percent)]
    pub precision: Option<String>,
    /// How long each step is measured, e.g. 30s.
    #[arg(long, value_parser = parse_human_duration)]
    pub step: Option<HumanDuration>,
    /// Load before each step's measurement, not counted (default 5s).
    #[arg(long, value_parser = parse_human_duration)]
    pub warmup: Option<HumanDuration>,
}

impl CapacityArgs {
    /// The same run as `loadscope run`, with the search in place of the levels.
    fn into_run(self) -> RunArgs {
        RunArgs {
            target: self.target,
            users: None,
            spawn_rate: None,
            duration: None,
            requests: None,
            headers: Vec::new(),
            adhoc: AdHocArgs::default(),
            repeat: None,
            search: Some(crate::preset::overrides::SearchOverride {
                over: self.over,
                start: self.start,
                max: self.max,
                growth: self.growth,
                precision: self.precision,
                step: self.step,
                warmup: self.warmup,
            }),
        }
    }
}

/// `loadscope probe`.
#[derive(Debug, clap::Args)]
pub struct ProbeArgs {
    /// Watch containers whose name matches this regular expression.
    #[arg(long)]
    pub containers: Option<String>,
    /// Watch the containers of this Docker Compose project.
    #[arg(long)]
    pub compose_project: Option<String>,
    /// Scrape this Prometheus endpoint (repeatable).
    #[arg(long)]
    pub prometheus: Vec<String>,
    /// One JSON document on standard output: each monitor's state and the sample.
    #[arg(long)]
    pub json: bool,
}

/// `loadscope demo-stack`.
#[derive(Debug, clap::Args)]
pub struct DemoStackArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// Gateway port; RAG listens on +2, MCP on +20.
    #[arg(long, default_value_t = 8000)]
    pub base_port: u16,
    /// Seed for deterministic service times and injected errors.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Multiply every simulated delay (0.5 = twice as fast).
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// Known delays, for benchmarks: each service time exactly its base (no spread, no slow
    /// tail, no injected errors, no queue), replies of exactly max_tokens, two tool calls.
    #[arg(long)]
    pub exact: bool,
}

fn parse_users(text: &str) -> Result<u32, String> {
    match text.trim().parse::<i64>() {
        Ok(users) if users >= 1 && users <= i64::from(MAX_USERS) => Ok(users as u32),
        Ok(users) if users > i64::from(MAX_USERS) => Err(format!(
            "{users} users is more than one machine can run (at most {MAX_USERS}); spread the load over machines"
        )),
        _ => Err(format!("users must be a positive whole number, e.g. -u 10 (got {text:?})")),
    }
}

fn parse_load(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(load) if load.is_finite() && load > 0.0 => Ok(load),
        _ => Err(format!(
            "must be a positive number of users or requests per second, e.g. 10 (got {text:?})"
        )),
    }
}

fn parse_growth(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(growth) if growth.is_finite() && growth > 1.0 => Ok(growth),
        _ => Err(format!(
            "must be a number above 1, e.g. 2 doubles the load each step (got {text:?})"
        )),
    }
}

fn parse_percent(text: &str) -> Result<String, String> {
    match crate::measure::capacity::parse_precision(text) {
        Some(_) => Ok(text.trim().to_string()),
        None => Err(format!("must be a percentage between 0% and 100%, e.g. 5% (got {text:?})")),
    }
}

fn parse_human_duration(text: &str) -> Result<HumanDuration, crate::measure::DurationError> {
    parse_duration(text).map(HumanDuration)
}

/// A preset as `run` and `validate` check it: located, parsed, overridden, compiled, and its
/// saved baseline runs read (a missing or unusable one is a mistake at its `baseline` key).
pub(crate) fn load_checked(
    source: crate::preset::PresetSource,
    overrides: &crate::preset::Overrides,
) -> Result<crate::preset::CompiledPreset, crate::preset::PresetErrors> {
    let mut compiled = with_dataset_progress(|| crate::preset::load_source(source, overrides))?;
    crate::analysis::baseline::resolve_saved_baselines(&mut compiled)?;
    Ok(compiled)
}

/// Runs `work`, and while it reads a dataset file for more than a second, says on stderr how
/// far it has got, once a second ("reading dataset big.jsonl: 120 of 200 MB (60%)").
fn with_dataset_progress<T>(work: impl FnOnce() -> T) -> T {
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let watcher = std::thread::Builder::new()
        .name("loadscope-dataset-progress".into())
        .spawn(move || {
            loop {
                match done_rx.recv_timeout(std::time::Duration::from_secs(1)) {
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    _ => return,
                }
                // A second has passed: the read (or count) under way, if any, is shown.
                if let Some(progress) = crate::preset::dataset::progress() {
                    eprintln!("{}", crate::format::terminal(&progress.line()));
                }
            }
        });
    let result = work();
    drop(done_tx);
    if let Ok(watcher) = watcher {
        let _ = watcher.join();
    }
    result
}

/// Runs the parsed command line.
pub fn main(cli: Cli) -> ExitCode {
    match cli.command {
        Some(Commands::Run(args)) => ExitCode::from(run::run(*args)),
        Some(Commands::Capacity(args)) => ExitCode::from(run::run((*args).into_run())),
        Some(Commands::Validate { presets, json }) => ExitCode::from(validate::validate(&presets, json)),
        Some(Commands::DemoStack(args)) => ExitCode::from(demo_stack::demo_stack(args)),
        Some(Commands::Runs(args)) => ExitCode::from(runs::runs(args)),
        Some(Commands::Compare { runs, baseline, dir, json }) => {
            ExitCode::from(compare::compare_runs(&runs, baseline.as_deref(), dir, json))
        }
        Some(Commands::Report(args)) => ExitCode::from(report::report(args)),
        Some(Commands::Import(args)) => ExitCode::from(import::import_run(args)),
        Some(Commands::Merge(args)) => ExitCode::from(merge::merge_segments(args)),
        Some(Commands::Probe(args)) => ExitCode::from(probe::probe(args)),
        Some(Commands::Generate { what, dir }) => ExitCode::from(generate::generate(what, dir.as_deref())),
        Some(Commands::Gui {
            preset,
            demo_stack,
            base_port,
            present,
            renderer,
        }) => gui(preset, demo_stack, base_port, present, renderer),
        None => gui(None, false, None, None, crate::ui::renderer::RendererChoice::from_env()),
    }
}

/// Why no window can open here, before trying (Linux and the BSDs: neither an X display nor a
/// Wayland one is named), in words that say what to do instead.
fn no_display() -> Option<String> {
    if cfg!(any(target_os = "windows", target_os = "macos")) {
        return None;
    }
    let named = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    (!named("DISPLAY") && !named("WAYLAND_DISPLAY")).then(|| {
        "cannot open a window: no display (DISPLAY and WAYLAND_DISPLAY are unset). Every command runs headless: \
         loadscope run demo --demo-stack, loadscope run PRESET, loadscope --help"
            .to_string()
    })
}

fn gui(
    preset: Option<String>,
    demo_stack: bool,
    base_port: Option<u16>,
    present: Option<std::path::PathBuf>,
    renderer: crate::ui::renderer::RendererChoice,
) -> ExitCode {
    let mut config = crate::ui::AppConfig {
        open: preset,
        start_demo_stack: demo_stack,
        present,
        ..crate::ui::AppConfig::default()
    };
    if let Some(port) = base_port {
        config.demo.base_port = port;
    }
    if let Some(why) = no_display() {
        eprintln!("{why}");
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    match crate::ui::run(config, renderer) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!(
                "cannot open a window: {err}. Every command runs headless: loadscope run demo --demo-stack (loadscope --help lists them)"
            );
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}
