//! `loadscope validate`: every mistake in each preset, with file, line and column.

use super::load_checked;
use super::{EXIT_BAD_INPUT, EXIT_PASSED};
use crate::preset::Overrides;

/// Validates each preset; prints a line per preset that is fine and every mistake otherwise.
pub fn validate(presets: &[String]) -> u8 {
    let mut code = EXIT_PASSED;
    for arg in presets {
        match load_checked(arg, &Overrides::default()) {
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
            }
            Err(errors) => {
                eprintln!("{errors}");
                code = EXIT_BAD_INPUT;
            }
        }
    }
    code
}
