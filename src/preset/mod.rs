//! Presets: the TOML model of a suite of scenarios, parsing with line/column errors,
//! validation and compilation, templates and data pools, `${ENV}` secrets, shipped presets.

pub mod compile;
pub mod compiled;
pub mod dataset;
pub mod diagnostic;
pub mod file_reads;
pub mod model;
pub mod overrides;
pub mod pools;
pub mod secrets;
pub mod segment;
pub mod shipped;
pub mod source;
pub mod template;

pub use compile::compile;
pub use compiled::{CompiledPreset, CompiledScenario};
pub use diagnostic::{Diagnostic, PresetErrors};
pub use overrides::Overrides;
pub use source::{LoadedPreset, PresetSource};

/// Locates, parses, applies overrides and compiles a preset in one step.
pub fn load(arg: &str, overrides: &Overrides) -> Result<CompiledPreset, PresetErrors> {
    let mut loaded = PresetSource::locate(arg)?.parse()?;
    overrides
        .apply(&mut loaded.preset)
        .map_err(|why| PresetErrors(vec![Diagnostic::at(&loaded.source.name, "", None, why.to_string())]))?;
    compile(&loaded)
}
