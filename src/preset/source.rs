//! Finding a preset (a path, or the name of a shipped one) and parsing its TOML.

use std::path::{Path, PathBuf};

use super::diagnostic::{Diagnostic, PresetErrors};
use super::model::Preset;
use super::shipped;

/// The text of a preset and where it came from.
#[derive(Debug, Clone)]
pub struct PresetSource {
    /// The path as given, or `shipped:NAME`.
    pub name: String,
    pub text: String,
    /// The folder that relative pool paths start from; None for shipped presets.
    pub base_dir: Option<PathBuf>,
}

impl PresetSource {
    /// A path to a TOML file, or the name of a shipped preset (`api-gateway`).
    pub fn locate(arg: &str) -> Result<PresetSource, PresetErrors> {
        let path = Path::new(arg);
        if path.is_file() {
            return Self::from_path(path);
        }
        if let Some(text) = shipped::find(arg) {
            return Ok(PresetSource::shipped(arg.strip_suffix(".toml").unwrap_or(arg), text));
        }
        Err(PresetErrors(vec![Diagnostic::at(
            arg,
            "",
            None,
            format!(
                "no such file, and no shipped preset of that name (shipped: {}); give a path to a .toml file",
                shipped::names().join(", ")
            ),
        )]))
    }

    /// Reads a preset file.
    pub fn from_path(path: &Path) -> Result<PresetSource, PresetErrors> {
        let text = std::fs::read_to_string(path).map_err(|err| {
            PresetErrors(vec![Diagnostic::at(
                &path.display().to_string(),
                "",
                None,
                format!("cannot read the file: {err}"),
            )])
        })?;
        Ok(PresetSource {
            name: path.display().to_string(),
            text,
            base_dir: Some(path.parent().map(Path::to_path_buf).unwrap_or_default()),
        })
    }

    /// A preset from text (an editor buffer, a test).
    pub fn from_text(name: &str, text: &str, base_dir: Option<PathBuf>) -> PresetSource {
        PresetSource {
            name: name.to_string(),
            text: text.to_string(),
            base_dir,
        }
    }

    fn shipped(name: &str, text: &str) -> PresetSource {
        PresetSource {
            name: format!("shipped:{name}"),
            text: text.to_string(),
            base_dir: None,
        }
    }

    /// Parses the TOML into the preset model; a syntax or type mistake is reported at its line.
    pub fn parse(self) -> Result<LoadedPreset, PresetErrors> {
        match toml::from_str::<Preset>(&self.text) {
            Ok(preset) => Ok(LoadedPreset { source: self, preset }),
            Err(err) => {
                let message = err.message().trim().to_string();
                Err(PresetErrors(vec![Diagnostic::at(&self.name, &self.text, err.span(), message)]))
            }
        }
    }
}

/// A parsed preset with its source.
#[derive(Debug, Clone)]
pub struct LoadedPreset {
    pub source: PresetSource,
    pub preset: Preset,
}

impl LoadedPreset {
    /// The preset's `name`, else the file stem or shipped name.
    pub fn display_name(&self) -> String {
        if let Some(name) = &self.preset.name {
            return name.clone();
        }
        let raw = self.source.name.strip_prefix("shipped:").unwrap_or(&self.source.name);
        Path::new(raw)
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_else(|| raw.to_string())
    }
}
