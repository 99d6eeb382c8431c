//! `loadscope generate`: the man pages and shell completions, made from the same command-line
//! definition the binary parses, so they never drift from it. The packages run it when they
//! are built (scripts/package.sh); it is hidden from `--help`.
//!
//! Man pages: `loadscope.1` and one page per subcommand (`loadscope-run.1`, ...), each with its
//! options, EXIT STATUS, ENVIRONMENT, FILES, EXAMPLES and SEE ALSO. Completions: scripts that
//! call back into `loadscope` (clap_complete's dynamic engine), so preset names and run ids
//! are completed as they are now, not as they were when the package was built.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;
use clap_complete::env::EnvCompleter;
use roff::{Roff, bold, roman};

use super::{Cli, EXIT_BAD_INPUT, EXIT_NOT_SAVED, EXIT_PASSED, EXIT_TARGET_FAILED};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Artifact {
    /// The man pages (roff): `loadscope.1` on standard output, or every page into `--dir`.
    Man,
    Bash,
    Zsh,
    Fish,
}

/// Writes `artifact` to standard output, or the man pages into `dir`; exit code 0, or 1 when
/// it cannot be written.
pub(crate) fn generate(artifact: Artifact, dir: Option<&Path>) -> u8 {
    let written = match (artifact, dir) {
        (Artifact::Man, Some(dir)) => write_man_pages(dir).map(|pages| {
            for page in pages {
                println!("{}", page.display());
            }
        }),
        (_, Some(_)) => Err("--dir is for the man pages (generate man --dir DIR); completions go to standard output".into()),
        (Artifact::Man, None) => pages().into_iter().next().map_or(Ok(()), |(_, text)| {
            std::io::stdout().write_all(&text).map_err(|err| err.to_string())
        }),
        (shell, None) => {
            let mut out = Vec::new();
            completion_script(shell, &mut out)
                .and_then(|()| std::io::stdout().write_all(&out))
                .map_err(|err| err.to_string())
        }
    };
    match written {
        Ok(()) => 0,
        Err(why) => {
            eprintln!("loadscope generate: {why}");
            1
        }
    }
}

/// The script a shell sources to complete `loadscope`: it runs `COMPLETE=SHELL loadscope --
/// WORDS...` for each completion.
fn completion_script(shell: Artifact, out: &mut Vec<u8>) -> std::io::Result<()> {
    let completer: &dyn EnvCompleter = match shell {
        Artifact::Bash => &clap_complete::env::Bash,
        Artifact::Zsh => &clap_complete::env::Zsh,
        _ => &clap_complete::env::Fish,
    };
    completer.write_registration("COMPLETE", "loadscope", "loadscope", "loadscope", out)
}

/// Writes every man page into `dir` (created if needed); the paths written.
fn write_man_pages(dir: &Path) -> Result<Vec<std::path::PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|err| format!("--dir {}: cannot create the folder: {err}", dir.display()))?;
    let mut written = Vec::new();
    for (file, text) in pages() {
        let path = dir.join(file);
        crate::run::save::write_atomic(&path, &text).map_err(|err| format!("cannot write {}: {err}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// Every man page, as (file name, roff): `loadscope.1` first, then each visible subcommand's.
pub(crate) fn pages() -> Vec<(String, Vec<u8>)> {
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    let subcommands: Vec<clap::Command> = root.get_subcommands().filter(|sub| !sub.is_hide_set()).cloned().collect();
    let names: Vec<String> = subcommands.iter().map(|sub| sub.get_name().to_string()).collect();
    let mut pages = vec![("loadscope.1".to_string(), page(root.clone(), None, &names))];
    for sub in subcommands {
        let name = sub.get_name().to_string();
        let sub = sub.display_name(format!("loadscope-{name}")).bin_name(format!("loadscope {name}"));
        pages.push((format!("loadscope-{name}.1"), page(sub, Some(&name), &names)));
    }
    pages
}

/// One page: clap_mangen's sections for the command, then Loadscope's own.
fn page(command: clap::Command, name: Option<&str>, all: &[String]) -> Vec<u8> {
    let environment = environment(&command, name);
    let man = clap_mangen::Man::new(command.clone())
        .date(env!("CARGO_PKG_VERSION"))
        .manual("Loadscope");
    let mut out = Vec::new();
    // Rendering into a Vec cannot fail.
    let _ = man.render_title(&mut out);
    let _ = man.render_name_section(&mut out);
    let _ = man.render_synopsis_section(&mut out);
    let _ = man.render_description_section(&mut out);
    if command.get_arguments().any(|arg| !arg.is_hide_set()) {
        let _ = man.render_options_section(&mut out);
    }
    if command.get_subcommands().any(|sub| !sub.is_hide_set()) {
        let _ = man.render_subcommands_section(&mut out);
    }
    let mut roff = Roff::new();
    section(&mut roff, "EXIT STATUS", exit_status(name));
    section(&mut roff, "ENVIRONMENT", environment);
    section(&mut roff, "FILES", files(name));
    roff.control("SH", ["EXAMPLES"]);
    for (what, example) in examples(name) {
        roff.text([roman(what)]);
        roff.control("RS", ["4"]);
        roff.control("nf", [] as [&str; 0]);
        roff.text([bold(example)]);
        roff.control("fi", [] as [&str; 0]);
        roff.control("RE", [] as [&str; 0]);
        roff.control("PP", [] as [&str; 0]);
    }
    roff.control("SH", ["SEE ALSO"]);
    let see_also: Vec<String> = std::iter::once("loadscope(1)".to_string())
        .chain(all.iter().map(|other| format!("loadscope-{other}(1)")))
        .filter(|page| name.is_none_or(|name| *page != format!("loadscope-{name}(1)")))
        .collect();
    roff.text([roman(see_also.join(", "))]);
    roff.control("SH", ["VERSION"]);
    roff.text([roman(format!("v{}", env!("CARGO_PKG_VERSION")))]);
    let _ = roff.to_writer(&mut out);
    out
}

/// A section of tagged paragraphs: (tag, text).
fn section(roff: &mut Roff, title: &str, items: Vec<(String, String)>) {
    roff.control("SH", [title]);
    for (tag, text) in items {
        roff.control("TP", [] as [&str; 0]);
        roff.text([bold(tag)]);
        roff.text([roman(text)]);
    }
}

/// The exit codes a command uses, from the constants the code returns.
fn exit_status(name: Option<&str>) -> Vec<(String, String)> {
    let code = |code: u8, text: &str| (code.to_string(), text.to_string());
    match name {
        None | Some("run" | "capacity") => super::EXIT_CODES.iter().map(|(number, what)| code(*number, what)).collect(),
        Some("merge") => vec![
            code(EXIT_PASSED, "the merged run's targets all held"),
            code(EXIT_TARGET_FAILED, "a merged target failed, or --partial merged an incomplete set"),
            code(EXIT_BAD_INPUT, "the files are not one completed run's segments"),
            code(EXIT_NOT_SAVED, "the merged run could not be written"),
        ],
        Some("import") => vec![
            code(EXIT_PASSED, "the run was imported into the library"),
            code(EXIT_BAD_INPUT, "the files could not be read as that tool's results"),
            code(EXIT_NOT_SAVED, "the imported run could not be written"),
        ],
        Some("validate") => vec![
            code(EXIT_PASSED, "every preset is valid"),
            code(
                EXIT_BAD_INPUT,
                "a preset has a mistake (each is listed with its file, line and column)",
            ),
        ],
        Some(_) => vec![
            code(EXIT_PASSED, "done"),
            code(
                EXIT_BAD_INPUT,
                "bad input: a flag, a file or a run that cannot be read, or a port in use",
            ),
        ],
    }
}

/// The environment a command reads: its flags' variables, then the ones every command reads.
fn environment(command: &clap::Command, name: Option<&str>) -> Vec<(String, String)> {
    let mut items: Vec<(String, String)> = command
        .get_arguments()
        .filter_map(|arg| {
            let var = arg.get_env()?.to_string_lossy().into_owned();
            let flag = arg.get_long().map_or_else(|| arg.get_id().to_string(), |long| format!("--{long}"));
            Some((var, format!("the default of {flag}")))
        })
        .collect();
    if name.is_none() {
        for sub in command.get_subcommands() {
            for arg in sub.get_arguments() {
                if let (Some(var), Some(long)) = (arg.get_env(), arg.get_long()) {
                    let var = var.to_string_lossy().into_owned();
                    if !items.iter().any(|(known, _)| *known == var) {
                        items.push((var, format!("the default of --{long} ({} and others)", sub.get_name())));
                    }
                }
            }
        }
    }
    items.push((
        "LOADSCOPE_DATA_DIR".into(),
        "the data dir (runs, the user's presets, .env, the window's state) instead of the platform's".into(),
    ));
    if matches!(name, None | Some("run" | "capacity" | "gui" | "validate")) {
        items.push((
            "any ${VAR} a preset names".into(),
            "resolved when a run is built, never written back; a .env beside the preset (the data dir's for a shipped preset or a URL) supplies those the environment does not; ${VAR:-default} falls back".into(),
        ));
    }
    if matches!(name, None | Some("gui")) {
        items.push((
            "DISPLAY, WAYLAND_DISPLAY".into(),
            "where the window opens; without either, every command still runs headless".into(),
        ));
    }
    items
}

/// The files a command reads or writes.
fn files(name: Option<&str>) -> Vec<(String, String)> {
    let data = "~/.local/share/loadscope";
    let mut items = vec![
        (
            format!("{data}/runs/"),
            "saved runs (JSON, one file each); runs/trash/ holds deleted ones, runs/repeats/ the spread of repeated runs".to_string(),
        ),
        (
            format!("{data}/presets/"),
            "the user's presets: `loadscope run NAME` finds NAME.toml or NAME.loadscope.toml here".to_string(),
        ),
    ];
    if matches!(name, None | Some("run" | "capacity" | "gui")) {
        items.push((
            format!("{data}/.env"),
            "NAME=value lines for the ${VAR} of shipped presets and URL runs (a preset file's own .env sits beside it)".into(),
        ));
    }
    if matches!(name, None | Some("gui")) {
        items.push((format!("{data}/app.ron"), "the window's state and settings".into()));
    }
    items.push((
        "LOADSCOPE_DATA_DIR".into(),
        "replaces ~/.local/share/loadscope (on macOS ~/Library/Application Support/dev.loadscope.Loadscope, on Windows %LOCALAPPDATA%\\loadscope\\Loadscope\\data)".into(),
    ));
    items
}

/// Each command's examples: (what it does, the command line).
fn examples(name: Option<&str>) -> Vec<(&'static str, &'static str)> {
    match name {
        None => vec![
            ("Open the app with the built-in demo stack:", "loadscope gui demo --demo-stack"),
            (
                "Load one URL with 2 users for 3 seconds:",
                "loadscope run http://127.0.0.1:8080/hello -u 2 -t 3s",
            ),
            (
                "Run a shipped preset against a real gateway:",
                "loadscope run api-gateway --host http://gpu:8000",
            ),
        ],
        Some("run") => vec![
            (
                "One URL, 2 users, 3 seconds, a header:",
                "loadscope run http://127.0.0.1:8080/hello -u 2 -t 3s -H 'X-Test: 1'",
            ),
            (
                "Streamed chat completions, the model asked of /v1/models:",
                "loadscope run --chat http://127.0.0.1:8000 -u 4 -t 10s",
            ),
            (
                "Exactly 1000 requests at 50 per second:",
                "loadscope run http://127.0.0.1:8080/ --rate 50 -n 1000",
            ),
            (
                "A shipped preset on a real model, each level 30 seconds:",
                "LOADSCOPE_MODEL=llama-3 loadscope run llm-dataset --host http://gpu:8000 -t 30s",
            ),
            (
                "In CI, with JUnit for the verdicts:",
                "loadscope run api-gateway --junit verdicts.xml --json > summary.json",
            ),
        ],
        Some("capacity") => vec![
            (
                "The most users the gateway holds within its targets:",
                "loadscope capacity api-gateway --host http://gpu:8000",
            ),
            (
                "Over arrival rate, from 5 to 200 requests per second:",
                "loadscope capacity rag-service --over rate --start 5 --max 200",
            ),
        ],
        Some("validate") => vec![(
            "Check presets before a run:",
            "loadscope validate my-suite.loadscope.toml api-gateway",
        )],
        Some("demo-stack") => vec![("The simulated stack away from port 8000:", "loadscope demo-stack --base-port 18000")],
        Some("probe") => vec![(
            "What the monitors see, with the containers of a Compose project:",
            "loadscope probe --compose-project rag",
        )],
        Some("runs") => vec![
            ("The slowest runs first:", "loadscope runs --sort p95"),
            ("Name the newest run:", "loadscope runs rename latest 'before the cache'"),
        ],
        Some("compare") => vec![(
            "The newest run against a baseline run:",
            "loadscope compare 20261201T100000Z-api-gateway latest",
        )],
        Some("merge") => vec![(
            "One run from four segments' files:",
            "loadscope merge runs/segments/ --out merged.json",
        )],
        Some("import") => vec![(
            "A team's Locust run (results/stats_stats.csv, results/stats_stats_history.csv, ...):",
            "loadscope import locust results/stats",
        )],
        Some("report") => vec![
            (
                "The newest run as one HTML file:",
                "loadscope report latest --format html --out results.html",
            ),
            ("JUnit XML for CI:", "loadscope report latest --format junit --out verdicts.xml"),
        ],
        Some("gui") => vec![
            ("The app on a preset:", "loadscope gui api-gateway"),
            (
                "A run full screen for a room:",
                "loadscope gui --present runs/20261201T100000Z-api-gateway.json",
            ),
        ],
        Some(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subcommand_has_a_page_with_its_sections_and_examples() {
        let pages = pages();
        let names: Vec<&str> = pages.iter().map(|(file, _)| file.as_str()).collect();
        for expected in [
            "loadscope.1",
            "loadscope-run.1",
            "loadscope-capacity.1",
            "loadscope-compare.1",
            "loadscope-report.1",
        ] {
            assert!(names.contains(&expected), "{expected} missing from {names:?}");
        }
        assert!(!names.contains(&"loadscope-generate.1"), "the hidden command has no page");
        for (file, text) in &pages {
            let text = String::from_utf8_lossy(text);
            // roff quotes a heading of several words.
            for heading in [
                ".SH NAME",
                ".SH SYNOPSIS",
                ".SH \"EXIT STATUS\"",
                ".SH ENVIRONMENT",
                ".SH FILES",
                ".SH EXAMPLES",
                ".SH \"SEE ALSO\"",
            ] {
                assert!(text.contains(heading), "{file} has no {heading}");
            }
            assert!(text.contains("LOADSCOPE_DATA_DIR"), "{file}");
            assert!(!examples(file.strip_prefix("loadscope-").and_then(|f| f.strip_suffix(".1"))).is_empty() || *file == "loadscope.1");
        }
        let run = String::from_utf8_lossy(&pages.iter().find(|(file, _)| file == "loadscope-run.1").expect("run page").1).into_owned();
        for wanted in ["LOADSCOPE_USERS", "LOADSCOPE_MODEL", "\\-\\-save\\-preset", "130"] {
            assert!(run.contains(wanted), "loadscope-run.1 lacks {wanted}");
        }
    }
}
