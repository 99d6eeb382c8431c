//! `loadscope report RUN [--compare RUN...] [--baseline RUN] --format md|html|csv|junit [--out PATH]`.

use std::path::PathBuf;

use super::compare::load_runs;
use super::{EXIT_BAD_INPUT, EXIT_PASSED};
use crate::report::{Format, Report};
use crate::run::RunRecord;
use crate::run::library::default_runs_dir;

/// `loadscope report`'s arguments.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The run: a run file, a run id or file name from `loadscope runs`, or `latest`.
    #[arg(add = super::completion::runs())]
    pub run: String,
    /// Runs to compare it with (it is the comparison's baseline).
    #[arg(long = "compare", num_args = 1.., add = super::completion::runs())]
    pub compare: Vec<String>,
    /// A single-user run to measure degradation against (instead of the baseline the run
    /// recorded).
    #[arg(long, add = super::completion::runs())]
    pub baseline: Option<String>,
    #[arg(long, value_enum, default_value = "md")]
    pub format: Format,
    /// Where to write: a file for md, html and junit (default: standard output for md,
    /// RUN-STEM.html for html, RUN-STEM.xml for junit), a file prefix for csv (default:
    /// RUN-STEM, giving RUN-STEM_stats.csv, RUN-STEM_stats_history.csv, RUN-STEM_failures.csv).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Folder of the run library (default: the data dir's runs/).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// Runs `loadscope report`.
pub(crate) fn report(args: ReportArgs) -> u8 {
    let dir = args.dir.clone().unwrap_or_else(default_runs_dir);
    let mut references = vec![args.run.clone()];
    references.extend(args.compare.iter().cloned());
    let runs = match load_runs(&references, &dir) {
        Ok(runs) => runs,
        Err(why) => {
            eprintln!("{why}");
            return EXIT_BAD_INPUT;
        }
    };
    let baseline = match &args.baseline {
        None => None,
        Some(reference) => match load_runs(std::slice::from_ref(reference), &dir) {
            Ok(mut loaded) => loaded.pop(),
            Err(why) => {
                eprintln!("--baseline: {why}");
                return EXIT_BAD_INPUT;
            }
        },
    };
    let (path, run) = &runs[0];
    let others: Vec<&RunRecord> = runs[1..].iter().map(|(_, record)| record).collect();
    let baseline_label = baseline
        .as_ref()
        .map(|(path, _)| format!("run {}", path.display()))
        .unwrap_or_default();
    let spreads: Vec<Option<crate::analysis::spread::Spread>> = runs
        .iter()
        .map(|(path, record)| crate::analysis::spread::spread_in_folder(record, path.parent().unwrap_or(&dir)))
        .collect();
    let report = Report::new(run, &others, baseline.as_ref().map(|(_, record)| (record, baseline_label.as_str()))).with_spreads(&spreads);
    match crate::report::write(&report, args.format, args.out.as_deref(), path) {
        Ok(written) => {
            for path in written {
                eprintln!("Wrote {}", path.display());
            }
            EXIT_PASSED
        }
        Err(why) => {
            eprintln!("{why}");
            EXIT_BAD_INPUT
        }
    }
}
