//! Presets: the TOML model of a suite of scenarios, parsing with line/column errors,
//! validation and compilation, templates and data pools, `${ENV}` secrets, shipped presets.

pub(crate) mod adhoc;
pub mod compile;
pub(crate) mod compiled;
pub(crate) mod dataset;
pub(crate) mod diagnostic;
pub(crate) mod file_reads;
pub(crate) mod model;
pub(crate) mod overrides;
pub(crate) mod pools;
pub(crate) mod secrets;
pub(crate) mod segment;
pub mod shipped;
pub(crate) mod source;
pub(crate) mod template;
pub(crate) mod trace;

pub use compile::compile;
pub use compiled::CompiledPreset;
pub use diagnostic::{Diagnostic, PresetErrors};
pub use overrides::Overrides;
pub use source::PresetSource;

/// Locates, parses, applies overrides and compiles a preset in one step.
pub fn load(arg: &str, overrides: &Overrides) -> Result<CompiledPreset, PresetErrors> {
    load_source(PresetSource::locate(arg)?, overrides)
}

/// Parses, applies overrides and compiles a preset's text.
pub fn load_source(source: PresetSource, overrides: &Overrides) -> Result<CompiledPreset, PresetErrors> {
    let mut loaded = source.parse()?;
    overrides
        .apply(&mut loaded.preset)
        .map_err(|why| PresetErrors(vec![Diagnostic::at(&loaded.source.name, "", None, why.to_string())]))?;
    compile(&loaded)
}
