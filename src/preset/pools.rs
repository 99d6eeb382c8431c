//! Data pools: lists of prompts, queries or documents that templates draw from. A pool is
//! inline in the preset or a file beside it (one item a line, or a JSON array of strings).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::model::{PoolSpec, Scenario};

/// Loads every pool of a scenario. `base_dir` is the preset's folder (None for shipped
/// presets, whose pools are inline). Errors name the pool and the file.
pub(crate) fn load_pools(scenario: &Scenario, base_dir: Option<&Path>) -> Result<BTreeMap<String, Vec<String>>, (String, String)> {
    let mut pools = BTreeMap::new();
    for (name, spec) in &scenario.pools {
        let items = match spec.get_ref() {
            PoolSpec::Inline(items) => items.clone(),
            PoolSpec::File { file } => {
                let path = match base_dir {
                    Some(dir) => dir.join(file),
                    None => Path::new(file).to_path_buf(),
                };
                fetched(super::file_reads::fetch("pool file", &path, read_pool_file))
                    .map_err(|why| (name.clone(), format!("pool {name:?}: {}: {why}", path.display())))?
            }
            PoolSpec::Dir { dir } => {
                let path = match base_dir {
                    Some(base) => base.join(dir),
                    None => Path::new(dir).to_path_buf(),
                };
                fetched(super::file_reads::fetch("pool folder", &path, read_folder))
                    .map_err(|why| (name.clone(), format!("pool {name:?}: folder {}: {why}", path.display())))?
            }
        };
        if items.is_empty() {
            return Err((name.clone(), format!("pool {name:?} is empty: give it at least one item")));
        }
        pools.insert(name.clone(), items);
    }
    Ok(pools)
}

/// Why a pool file or folder gives no items.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum PoolError {
    #[error("reading it; the preset is checked again when it has been read")]
    Reading,
    #[error("cannot read it: {0} (paths are relative to the preset file)")]
    Unreadable(String),
    #[error("cannot read {file}: {why}")]
    FileInFolder { file: PathBuf, why: String },
    #[error("not a valid JSON array: {0}")]
    NotAnArray(String),
}

/// A pool's items, or why there are none yet (being read off the window's thread).
fn fetched(fetched: super::file_reads::Fetched<Vec<String>, PoolError>) -> Result<Vec<String>, PoolError> {
    match fetched {
        super::file_reads::Fetched::Done(result) => result.as_ref().clone(),
        super::file_reads::Fetched::Reading => Err(PoolError::Reading),
    }
}

/// A pool file's items.
fn read_pool_file(path: &Path) -> Result<Vec<String>, PoolError> {
    crate::io_guard::note(|| format!("read pool file {}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|err| PoolError::Unreadable(err.to_string()))?;
    parse_pool_file(&text)
}

/// Each regular, non-hidden file of a folder, in name order, as one item. The folder is read
/// again when its entries change (a file added, removed or renamed), not when a file in it is
/// edited in place.
fn read_folder(path: &Path) -> Result<Vec<String>, PoolError> {
    crate::io_guard::note(|| format!("read pool folder {}", path.display()));
    let mut files: Vec<_> = std::fs::read_dir(path)
        .map_err(|err| PoolError::Unreadable(err.to_string()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|file| file.is_file() && !file.file_name().is_some_and(|name| name.to_string_lossy().starts_with('.')))
        .collect();
    files.sort();
    files
        .iter()
        .map(|file| {
            std::fs::read_to_string(file).map_err(|err| PoolError::FileInFolder {
                file: file.clone(),
                why: err.to_string(),
            })
        })
        .collect()
}

/// A JSON array of strings, or one item a line (blank lines skipped).
pub(crate) fn parse_pool_file(text: &str) -> Result<Vec<String>, PoolError> {
    if text.trim_start().starts_with('[') {
        let values: Vec<serde_json::Value> = serde_json::from_str(text).map_err(|err| PoolError::NotAnArray(err.to_string()))?;
        return Ok(values
            .into_iter()
            .map(|value| match value {
                serde_json::Value::String(text) => text,
                other => other.to_string(),
            })
            .collect());
    }
    Ok(text
        .lines()
        .map(str::trim_end)
        .filter(|line| !line.trim().is_empty())
        .map(str::to_string)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_folder_of_documents() {
        let dir = std::env::temp_dir().join(format!("loadscope-pool-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("b.txt"), "second").expect("write");
        std::fs::write(dir.join("a.md"), "first\nline two").expect("write");
        std::fs::write(dir.join(".hidden"), "skip").expect("write");
        assert_eq!(read_folder(&dir).expect("folder"), vec!["first\nline two", "second"]);
        std::fs::remove_dir_all(&dir).expect("clean");
        assert!(read_folder(Path::new("/no/such/folder")).is_err());
    }

    #[test]
    fn reads_lines_and_json() {
        assert_eq!(parse_pool_file("a\n\nb \n").expect("lines"), vec!["a", "b"]);
        assert_eq!(parse_pool_file("[\"x\", 2]").expect("json"), vec!["x", "2"]);
        assert!(parse_pool_file("[oops").is_err());
    }
}
