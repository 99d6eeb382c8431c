//! `loadscope runs`: the run library. Lists saved runs (sorted, filtered) and the files that
//! could not be read; renames runs, sets notes and tags, deletes to a trash folder and
//! restores from it.

use std::path::{Path, PathBuf};

use super::{EXIT_BAD_INPUT, EXIT_PASSED};
use crate::format;
use crate::run::library::{
    LibraryEntry, LibraryError, RunRow, SortKey, default_runs_dir, list, passed_over_line, resolve, sort_rows, trash_dir,
};

/// `loadscope runs`' arguments.
#[derive(Debug, clap::Args)]
pub struct RunsArgs {
    #[command(subcommand)]
    pub action: Option<RunsAction>,
    /// Folder of the run library (default: the data dir's runs/).
    #[arg(long, global = true)]
    pub dir: Option<PathBuf>,
    /// Sort by date, name, duration, verdict, requests or p95.
    #[arg(long, default_value = "date", value_parser = parse_sort)]
    pub sort: SortKey,
    /// Ascending order (default: descending, newest first).
    #[arg(long)]
    pub asc: bool,
    /// Only runs whose name, preset, scenarios, notes, tags, status or verdict contain this.
    #[arg(long)]
    pub filter: Option<String>,
    /// Only runs with this tag.
    #[arg(long)]
    pub tag: Option<String>,
    /// The list as one JSON document on standard output.
    #[arg(long)]
    pub json: bool,
}

/// What to do to one run.
#[derive(Debug, clap::Subcommand)]
pub enum RunsAction {
    /// Give a run a name (shown instead of its preset's).
    Rename {
        #[arg(add = super::completion::runs())]
        run: String,
        name: String,
    },
    /// Set a run's notes (an empty text clears them).
    Note {
        #[arg(add = super::completion::runs())]
        run: String,
        text: String,
    },
    /// Add (`+name` or `name`) or remove (`-name`) tags.
    Tag {
        #[arg(add = super::completion::runs())]
        run: String,
        #[arg(required = true, allow_hyphen_values = true)]
        tags: Vec<String>,
    },
    /// Move a run to the library's trash folder (`runs restore` brings it back).
    Delete {
        #[arg(add = super::completion::runs())]
        run: String,
    },
    /// Bring a deleted run back from the trash folder (by file name or id).
    Restore { run: String },
}

/// `--sort`'s value parser (the CLI's edge: clap prints the message as it is).
fn parse_sort(text: &str) -> Result<SortKey, String> {
    SortKey::parse(text).ok_or_else(|| {
        let known: Vec<&str> = SortKey::ALL.iter().map(|key| key.label()).collect();
        format!("unknown sort key {text:?}; use one of: {}", known.join(", "))
    })
}

/// Runs `loadscope runs`.
pub(crate) fn runs(args: RunsArgs) -> u8 {
    let dir = args.dir.clone().unwrap_or_else(default_runs_dir);
    match args.action {
        None => list_runs(&dir, &args),
        Some(action) => match act(&dir, action) {
            Ok(message) => {
                println!("{message}");
                EXIT_PASSED
            }
            Err(why) => {
                eprintln!("{why}");
                EXIT_BAD_INPUT
            }
        },
    }
}

fn act(dir: &Path, action: RunsAction) -> Result<String, LibraryError> {
    use crate::run::library::{delete, restore, update};
    let found = |reference: &str| resolve(reference, dir);
    match action {
        RunsAction::Rename { run, name } => {
            let path = found(&run)?;
            update(&path, |record| {
                record.title = Some(name.trim().to_string()).filter(|name| !name.is_empty())
            })?;
            Ok(format!("Renamed {} to {name:?}", path.display()))
        }
        RunsAction::Note { run, text } => {
            let path = found(&run)?;
            update(&path, |record| record.notes = text.clone())?;
            Ok(format!("Notes of {} set", path.display()))
        }
        RunsAction::Tag { run, tags } => {
            let path = found(&run)?;
            let record = update(&path, |record| apply_tags(&mut record.tags, &tags))?;
            Ok(format!("Tags of {}: {}", path.display(), record.tags.join(", ")))
        }
        RunsAction::Delete { run } => {
            let path = found(&run)?;
            let trashed = delete(&path).map_err(|source| LibraryError::Move {
                action: "delete",
                path: path.clone(),
                source,
            })?;
            let name = trashed
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(format!(
                "Moved {} to {}; undo with: loadscope runs restore {name}",
                path.display(),
                trashed.display()
            ))
        }
        RunsAction::Restore { run } => {
            let trash = trash_dir(dir);
            let wanted = run.strip_suffix(".json").unwrap_or(&run);
            let path = trash.join(format!("{wanted}.json"));
            let path = if path.is_file() {
                path
            } else {
                resolve(wanted, &trash).map_err(|_| LibraryError::NotInTrash {
                    reference: run.clone(),
                    trash: trash.clone(),
                })?
            };
            let restored = restore(&path).map_err(|source| LibraryError::Move {
                action: "restore",
                path: path.clone(),
                source,
            })?;
            Ok(format!("Restored {}", restored.display()))
        }
    }
}

/// `+name`/`name` adds a tag, `-name` removes it; tags stay unique and in order of adding.
pub(crate) fn apply_tags(tags: &mut Vec<String>, changes: &[String]) {
    for change in changes {
        if let Some(name) = change.strip_prefix('-') {
            tags.retain(|tag| tag != name);
        } else {
            let name = change.strip_prefix('+').unwrap_or(change).trim();
            if !name.is_empty() && !tags.iter().any(|tag| tag == name) {
                tags.push(name.to_string());
            }
        }
    }
}

fn list_runs(dir: &Path, args: &RunsArgs) -> u8 {
    let listing = match list(dir) {
        Ok(listing) => listing,
        Err(err) => {
            eprintln!("cannot list runs in {}: {err}", dir.display());
            return EXIT_BAD_INPUT;
        }
    };
    if let Some(line) = passed_over_line(&listing.passed_over) {
        eprintln!("runs: {line}");
    }
    let entries = &listing.entries;
    if entries.is_empty() && !args.json {
        println!("No runs in {} yet. Start one with: loadscope run demo --demo-stack", dir.display());
        return EXIT_PASSED;
    }
    let mut rows: Vec<RunRow> = entries
        .iter()
        .filter_map(|entry| match entry {
            LibraryEntry::Run { path, summary } => Some(RunRow::of(path, summary)),
            LibraryEntry::Unreadable { .. } => None,
        })
        .filter(|row| args.filter.as_deref().is_none_or(|text| row.matches(text)))
        .filter(|row| args.tag.as_deref().is_none_or(|tag| row.tags.iter().any(|known| known == tag)))
        .collect();
    sort_rows(&mut rows, args.sort, !args.asc);
    if args.json {
        let unreadable = entries
            .iter()
            .filter_map(|entry| match entry {
                LibraryEntry::Unreadable { path, error } => Some(super::json::UnreadableEntry {
                    path: path.display().to_string(),
                    error: error.to_string(),
                }),
                LibraryEntry::Run { .. } => None,
            })
            .collect();
        super::json::print(&super::json::RunsDocument::new(dir, &rows, unreadable));
        return EXIT_PASSED;
    }
    println!(
        "{:<20} {:<24} {:<24} {:>8} {:<11} {:<7} {:>9} {:>8}  File",
        "Started (UTC)", "Name", "Scenarios", "Duration", "Status", "Verdict", "Requests", "p95"
    );
    for row in &rows {
        let started: String = row.started_at.chars().take(19).collect::<String>().replace('T', " ");
        // Titles, names, tags and notes are user text: escapes in them are shown, not obeyed.
        let safe = |text: &str| format::terminal(text).into_owned();
        let row = &RunRow {
            name: safe(&row.name),
            scenarios: safe(&row.scenarios),
            preset: safe(&row.preset),
            tags: row.tags.iter().map(|tag| safe(tag)).collect(),
            notes: safe(&row.notes),
            ..row.clone()
        };
        println!(
            "{:<20} {:<24} {:<24} {:>8} {:<11} {:<7} {:>9} {:>8}  {}",
            started,
            format::truncate(&row.name, 24),
            format::truncate(&row.scenarios, 24),
            format::duration_secs(row.duration_secs),
            row.status.label(),
            row.verdict_label(),
            row.requests,
            row.p95_micros
                .map(|micros| format::micros(micros as f64))
                .unwrap_or_else(|| "-".into()),
            row.path.display()
        );
        let mut extra = Vec::new();
        if row.name != row.preset {
            extra.push(format!("preset: {}", row.preset));
        }
        if !row.tags.is_empty() {
            extra.push(format!("tags: {}", row.tags.join(", ")));
        }
        if !row.notes.is_empty() {
            extra.push(format!("notes: {}", format::truncate(&row.notes.replace('\n', " "), 80)));
        }
        if !extra.is_empty() {
            println!("{:<20} {}", "", extra.join("; "));
        }
    }
    for entry in entries {
        if let LibraryEntry::Unreadable { path, error } = entry {
            println!("{:<20} unreadable: {error}  {}", "?", path.display());
        }
    }
    EXIT_PASSED
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_add_and_remove() {
        let mut tags = vec!["old".to_string()];
        apply_tags(&mut tags, &["+new".into(), "plain".into(), "-old".into(), "new".into()]);
        assert_eq!(tags, vec!["new", "plain"]);
    }
}
