//! `loadscope merge SEGMENT... [--out FILE]`: the segment files of a split run (`run --segment
//! i/n`) made one run, with exact percentiles and verdicts on the merged numbers.

use std::path::PathBuf;

use super::table::run_summary;
use super::{EXIT_BAD_INPUT, EXIT_NOT_SAVED, EXIT_PASSED, EXIT_TARGET_FAILED};
use crate::run::library::{default_runs_dir, library_file_name};
use crate::segments::{Completeness, merge};

/// `loadscope merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The segment files, or a folder holding them (every segment of the run must be there;
    /// a folder's other run files, such as an earlier merge, are passed over).
    #[arg(required = true)]
    pub segments: Vec<PathBuf>,
    /// Where to write the merged run (default: a new file in the data dir's runs/); never one
    /// of the segment files.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Merge even when segments are missing or did not complete (interrupted, stopped, still
    /// running): the merged run is marked partial, lists them, and never passes (exit 1).
    #[arg(long)]
    pub partial: bool,
    /// Also write a JUnit XML file of the merged run's checks (a partial merge is an error case).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

/// Runs `loadscope merge`: exit 0 when every target holds on the merged numbers, 1 when one
/// fails, 2 for files that are not one run's segments, 3 when the merged run cannot be written.
pub(crate) fn merge_segments(args: MergeArgs) -> u8 {
    // (file, named on the command line): files found in a folder that are not segments (a
    // merged run written beside them) are passed over; named ones must be segments.
    let mut files = Vec::new();
    for path in &args.segments {
        if path.is_dir() {
            match std::fs::read_dir(path) {
                Ok(entries) => {
                    let mut found: Vec<PathBuf> = entries
                        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
                        .collect();
                    found.sort();
                    files.extend(found.into_iter().map(|file| (file, false)));
                }
                Err(err) => {
                    eprintln!("cannot read the folder {}: {err}", path.display());
                    return EXIT_BAD_INPUT;
                }
            }
        } else {
            files.push((path.clone(), true));
        }
    }
    let mut segments = Vec::new();
    for (path, named) in files {
        match crate::run::load(&path) {
            Err(crate::run::RunFileError::NotAFile { kind, .. }) if !named => {
                eprintln!("Passed over {}: {kind}, not a regular file", path.display());
            }
            Ok(record) if record.segment.is_none() && !named => {
                eprintln!("Passed over {}: not a segment (run without --segment)", path.display());
            }
            Ok(record) => segments.push((path, record)),
            Err(err) => {
                eprintln!("{err}");
                return EXIT_BAD_INPUT;
            }
        }
    }
    let completeness = if args.partial { Completeness::Partial } else { Completeness::All };
    if let Some(out) = &args.out
        && let Some((input, _)) = segments.iter().find(|(path, _)| same_file(path, out))
    {
        eprintln!(
            "merge: --out {} is one of the segment files it reads ({}); write the merged run to another file",
            out.display(),
            input.display()
        );
        return EXIT_BAD_INPUT;
    }
    let record = match merge(&segments, completeness) {
        Ok(record) => record,
        Err(why) => {
            eprintln!("merge: {why}");
            return EXIT_BAD_INPUT;
        }
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_runs_dir().join(library_file_name(&record.id, &record.preset.name)));
    if let Err(err) = crate::run::save_atomic(&record, &out).and_then(|()| crate::run::save::verify_saved(&record, &out)) {
        eprintln!("merge: {err}");
        return EXIT_NOT_SAVED;
    }
    println!("{}", crate::format::terminal(&run_summary(&record)));
    for segment in &record.merged_from {
        let offset = segment
            .start_offset_millis
            .map(|millis| format!(", started {millis:+.1} ms from --start-at"))
            .unwrap_or_default();
        println!("  segment {} on {}: {}{offset}", segment.index, segment.host.hostname, segment.file);
    }
    if let Some(junit) = &args.junit
        && let Err(err) = crate::run::save::write_atomic(junit, crate::report::junit::render(&record).as_bytes())
    {
        eprintln!("merge: cannot write the JUnit file {}: {err}", junit.display());
        return EXIT_NOT_SAVED;
    }
    if record.status == crate::run::RunStatus::Partial {
        for warning in record.warnings.iter().take(1) {
            println!("{warning}");
        }
    }
    println!("Merged {} segments into {}", record.merged_from.len(), out.display());
    match record.passed {
        Some(false) => EXIT_TARGET_FAILED,
        _ => EXIT_PASSED,
    }
}

/// Whether two paths name one file (the second may not exist yet).
fn same_file(path: &std::path::Path, other: &std::path::Path) -> bool {
    let absolute = |path: &std::path::Path| {
        std::fs::canonicalize(path).unwrap_or_else(|_| std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
    };
    absolute(path) == absolute(other)
}
