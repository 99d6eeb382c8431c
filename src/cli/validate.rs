//! `loadscope validate`: every mistake in each preset, with file, line and column.

use super::json::{JSON_VERSION, PresetValidation, ValidationDocument};
use super::load_checked;
use super::{EXIT_BAD_INPUT, EXIT_PASSED};
use crate::preset::Overrides;

/// Validates each preset; prints a line per preset that is fine and every mistake otherwise
/// (with `json`, one document with both).
pub(crate) fn validate(presets: &[String], json: bool) -> u8 {
    let mut code = EXIT_PASSED;
    let mut document = ValidationDocument {
        kind: "validation",
        version: JSON_VERSION,
        presets: Vec::new(),
    };
    for arg in presets {
        let checked = crate::preset::PresetSource::locate(arg).and_then(|source| load_checked(source, &Overrides::default()));
        if checked.is_err() {
            code = EXIT_BAD_INPUT;
        }
        if json {
            document.presets.push(match &checked {
                Ok(compiled) => PresetValidation::ok(arg, compiled),
                Err(errors) => PresetValidation::failed(arg, &errors.0),
            });
            continue;
        }
        match checked {
            Ok(compiled) => {
                let levels: usize = compiled.scenarios.iter().map(|scenario| scenario.levels.len()).sum();
                let targets: usize = compiled.scenarios.iter().map(|scenario| scenario.targets.len()).sum();
                let searches = compiled.scenarios.iter().filter(|scenario| scenario.capacity.is_some()).count();
                let searches = if searches > 0 {
                    format!(", {searches} capacity search(es)")
                } else {
                    String::new()
                };
                println!(
                    "ok  {arg}: {} scenario(s), {levels} level(s){searches}, {targets} target(s)",
                    compiled.scenarios.len()
                );
                for note in compiled.scenarios.iter().flat_map(crate::engine::RunWarning::datasets_skipped) {
                    println!("    note: {}", crate::format::terminal(&note.to_string()));
                }
            }
            Err(errors) => eprintln!("{errors}"),
        }
    }
    if json {
        super::json::print(&document);
    }
    code
}
