//! `loadscope import locust PREFIX`: a team's Locust run (its `--csv PREFIX` files) saved in the
//! run library, named after a preset's scenario, level and tasks when one is given, so Compare
//! and reports lay it beside Loadscope's runs of that preset.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{EXIT_BAD_INPUT, EXIT_NOT_SAVED, EXIT_PASSED};
use crate::preset::Overrides;
use crate::preset::compiled::{CompiledScenario, TextSource};
use crate::run::library::{default_runs_dir, library_file_name};
use crate::run::locust_import::{ImportNames, LevelChoice, files, import};

/// `loadscope import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub from: ImportFrom,
}

/// What to import.
#[derive(Debug, clap::Subcommand)]
pub enum ImportFrom {
    /// A Locust run: PREFIX_stats.csv, PREFIX_stats_history.csv and PREFIX_failures.csv, as
    /// `locust --csv PREFIX` writes them.
    Locust(LocustArgs),
}

/// `loadscope import locust`.
#[derive(Debug, clap::Args)]
pub struct LocustArgs {
    /// The prefix given to `locust --csv` (e.g. results/run for results/run_stats.csv).
    pub prefix: PathBuf,
    /// The preset the Locust run matches: the run takes its name, and its scenario's, level's
    /// and tasks' names (tasks by path: Locust's `/v1/models` is the task with that path).
    #[arg(long)]
    pub preset: Option<String>,
    /// The preset's scenario (default: its first).
    #[arg(long, requires = "preset")]
    pub scenario: Option<String>,
    /// The preset's level the Locust run stands for (default: the level with as many users as
    /// the Locust run's peak).
    #[arg(long, requires = "preset")]
    pub level: Option<String>,
    /// A name for the run in the library.
    #[arg(long)]
    pub name: Option<String>,
    /// Folder of the run library (default: the data dir's runs/).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// Runs `loadscope import`.
pub(crate) fn import_run(args: ImportArgs) -> u8 {
    match args.from {
        ImportFrom::Locust(args) => import_locust(args),
    }
}

fn import_locust(args: LocustArgs) -> u8 {
    let names = match names(&args) {
        Ok(names) => names,
        Err(why) => {
            eprintln!("{why}");
            return EXIT_BAD_INPUT;
        }
    };
    let mut record = match import(&args.prefix, &names) {
        Ok(record) => record,
        Err(why) => {
            eprintln!("import locust: {why}");
            return EXIT_BAD_INPUT;
        }
    };
    record.title = args.name.clone().filter(|name| !name.trim().is_empty());
    let dir = args.dir.clone().unwrap_or_else(default_runs_dir);
    let path = dir.join(library_file_name(&record.id, &record.preset.name));
    if let Err(err) = crate::run::save::save_new(&record, &path).and_then(|()| crate::run::save::verify_saved(&record, &path)) {
        eprintln!("import locust: {err}");
        return EXIT_NOT_SAVED;
    }
    let level = &record.scenarios[0].levels[0];
    let total = &level.total.stats;
    println!(
        "Imported the Locust run of {} ({} requests, {} failures, p95 {}; {} over {}) as level {:?} of {:?}",
        record.started_at,
        total.requests,
        total.failures,
        crate::format::micros(total.p95_micros as f64),
        level.load,
        crate::format::duration_secs(level.ended_offset_secs.unwrap_or(0.0)),
        level.name,
        record.scenarios[0].name,
    );
    println!("Saved to {}", path.display());
    println!("Compare it: loadscope compare {} <a Loadscope run of the same preset>", record.id);
    EXIT_PASSED
}

/// The names the imported run takes: the preset's, or its own. The error is printed as it is
/// (the CLI's edge: a plain string).
fn names(args: &LocustArgs) -> Result<ImportNames, String> {
    let stem = args
        .prefix
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "locust".into());
    let Some(preset) = &args.preset else {
        let [stats, ..] = files(&args.prefix);
        return Ok(ImportNames {
            preset_name: format!("Locust {stem}"),
            preset_source: format!("locust:{}", stats.display()),
            scenario: "Locust".into(),
            base_url: "not recorded in Locust's CSV files".into(),
            level: LevelChoice::Own,
            task_names: BTreeMap::new(),
        });
    };
    let compiled = crate::preset::PresetSource::locate(preset)
        .and_then(|source| super::load_checked(source, &Overrides::default()))
        .map_err(|errors| format!("--preset: {errors}"))?;
    let scenario: &CompiledScenario = match &args.scenario {
        None => compiled
            .scenarios
            .first()
            .ok_or_else(|| format!("--preset {preset}: it has no scenarios"))?,
        Some(wanted) => compiled.scenarios.iter().find(|scenario| &scenario.name == wanted).ok_or_else(|| {
            let known: Vec<&str> = compiled.scenarios.iter().map(|scenario| scenario.name.as_str()).collect();
            format!(
                "--scenario {wanted:?}: preset {preset} has no such scenario; it has {}",
                known.join(", ")
            )
        })?,
    };
    let level = match &args.level {
        Some(wanted) => {
            let index = scenario.levels.iter().position(|level| &level.name == wanted).ok_or_else(|| {
                let known: Vec<&str> = scenario.levels.iter().map(|level| level.name.as_str()).collect();
                format!(
                    "--level {wanted:?}: scenario {:?} has no such level; it has {}",
                    scenario.name,
                    known.join(", ")
                )
            })?;
            LevelChoice::Named {
                index,
                name: wanted.clone(),
            }
        }
        None => LevelChoice::MatchingUsers(
            scenario
                .levels
                .iter()
                .enumerate()
                .filter_map(|(index, level)| match level.load {
                    crate::measure::LoadModel::Closed { users, .. } => Some((index, level.name.clone(), users)),
                    crate::measure::LoadModel::Open { .. } => None,
                })
                .collect(),
        ),
    };
    // Locust names a request by its path (or the name its locustfile gives it).
    let mut task_names = BTreeMap::new();
    for task in &scenario.tasks {
        if let TextSource::Literal(path) = &task.path {
            task_names.insert(path.clone(), task.name.clone());
            task_names.insert(format!("{} {path}", task.method.as_str()), task.name.clone());
        }
    }
    Ok(ImportNames {
        preset_name: compiled.name.clone(),
        preset_source: compiled.source.clone(),
        scenario: scenario.name.clone(),
        base_url: scenario.addresses(),
        level,
        task_names,
    })
}
