//! What the shells complete beyond flags: preset names (shipped, and the user's in the data
//! dir's presets/) and files for a preset, run ids and `latest` for a run. The completion
//! scripts call back into the binary (clap_complete's dynamic engine), so a preset saved or a
//! run made a minute ago is offered at once.

use std::ffi::OsStr;

use clap_complete::engine::{ArgValueCompleter, CompletionCandidate, PathCompleter, ValueCompleter};

/// Completes a preset argument: names `loadscope run NAME` finds, then files.
pub(crate) fn presets() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| {
        let typed = current.to_string_lossy();
        let mut candidates: Vec<CompletionCandidate> = preset_names()
            .into_iter()
            .filter(|(name, _)| name.starts_with(typed.as_ref()))
            .map(|(name, help)| CompletionCandidate::new(name).help(Some(help.into())))
            .collect();
        candidates.extend(PathCompleter::any().complete(current));
        candidates
    })
}

/// Completes a run argument: `latest` and the saved runs' ids, then files.
pub(crate) fn runs() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| {
        let typed = current.to_string_lossy();
        let mut candidates: Vec<CompletionCandidate> = run_names(&crate::run::library::default_runs_dir())
            .into_iter()
            .filter(|name| name.starts_with(typed.as_ref()))
            .map(CompletionCandidate::new)
            .collect();
        candidates.extend(PathCompleter::file().complete(current));
        candidates
    })
}

/// Preset names with where each comes from: the shipped ones, then the user's (a file in the
/// data dir's presets/ folder, by its name without `.toml`).
pub(crate) fn preset_names() -> Vec<(String, &'static str)> {
    let mut names: Vec<(String, &'static str)> = crate::preset::shipped::names()
        .into_iter()
        .map(|name| (name.to_string(), "shipped preset"))
        .collect();
    for name in crate::preset::PresetSource::user_preset_names() {
        if !names.iter().any(|(known, _)| *known == name) {
            names.push((name, "your preset"));
        }
    }
    names
}

/// `latest` and each run file's name in `dir` without `.json`, newest first (the names
/// `compare`, `report` and `runs` take); no file is opened.
pub(crate) fn run_names(dir: &std::path::Path) -> Vec<String> {
    let mut stems: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".json").map(str::to_string)
        })
        .collect();
    stems.sort_unstable_by(|a, b| b.cmp(a));
    std::iter::once("latest".to_string()).chain(stems).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_names_are_latest_then_the_newest_files() {
        let dir = tempfile::tempdir().expect("dir");
        for name in ["20261201T000000Z-a-1.json", "20261205T000000Z-b-2.json", "notes.txt"] {
            std::fs::write(dir.path().join(name), "{}").expect("write");
        }
        assert_eq!(
            run_names(dir.path()),
            vec!["latest", "20261205T000000Z-b-2", "20261201T000000Z-a-1"]
        );
    }
}
