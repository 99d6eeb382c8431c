//! Finding a preset (a path, or the name of a shipped one) and parsing its TOML.

use std::path::{Path, PathBuf};

use super::diagnostic::{Diagnostic, PresetErrors};
use super::model::Preset;
use super::shipped;

/// The folder of the data dir the user's presets are saved in (the app's File > Save) and
/// found by name (`loadscope run NAME`).
pub(crate) const USER_PRESETS_FOLDER: &str = "presets";

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
        if let Some(path) = Self::user_preset(arg) {
            return Self::from_path(&path);
        }
        let yours = Self::user_preset_names();
        let yours = if yours.is_empty() {
            String::new()
        } else {
            format!("; yours in {}: {}", Self::user_presets_dir().display(), yours.join(", "))
        };
        Err(PresetErrors(vec![Diagnostic::at(
            arg,
            "",
            None,
            format!(
                "no such file, and no shipped preset of that name (shipped: {}{yours}); give a path to a .toml file",
                shipped::names().join(", ")
            ),
        )]))
    }

    /// Where the user's presets live (the app's File > Save puts them there): the data dir's
    /// presets/ folder.
    pub(crate) fn user_presets_dir() -> PathBuf {
        crate::run::library::data_dir().join(USER_PRESETS_FOLDER)
    }

    /// The user's preset called `name` (`NAME.toml` or `NAME.loadscope.toml` in
    /// [`Self::user_presets_dir`]), when there is one.
    fn user_preset(name: &str) -> Option<PathBuf> {
        if name.is_empty() || name.contains(['/', '\\']) {
            return None;
        }
        let dir = Self::user_presets_dir();
        [format!("{name}.loadscope.toml"), format!("{name}.toml"), name.to_string()]
            .into_iter()
            .map(|file| dir.join(file))
            .find(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "toml"))
    }

    /// The names of the user's presets, sorted: each `.toml` file in [`Self::user_presets_dir`]
    /// without `.loadscope.toml` or `.toml`.
    pub(crate) fn user_preset_names() -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(Self::user_presets_dir())
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter(|entry| entry.path().is_file())
            .filter_map(|entry| {
                let file = entry.file_name().to_string_lossy().into_owned();
                file.strip_suffix(".loadscope.toml")
                    .or_else(|| file.strip_suffix(".toml"))
                    .map(str::to_string)
            })
            .collect();
        names.sort();
        names.dedup();
        names
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
    /// Every unknown key is reported, not only the first: each is blanked out (spans stay put)
    /// and the text read again.
    pub fn parse(self) -> Result<LoadedPreset, PresetErrors> {
        let mut text = self.text.clone();
        let mut diagnostics = Vec::new();
        for _ in 0..100 {
            match toml::from_str::<Preset>(&text) {
                Ok(preset) if diagnostics.is_empty() => return Ok(LoadedPreset { source: self, preset }),
                Ok(_) => break,
                Err(err) => {
                    let found = err.span().and_then(|span| key_at(&text, span.start));
                    let message = explain(err.message().trim(), found.as_ref().map(|found| found.0.as_str()));
                    diagnostics.push(Diagnostic::at(&self.name, &self.text, err.span(), message));
                    match found {
                        Some((_, whole)) if err.message().starts_with("unknown field") => {
                            let blank: String = text[whole.clone()].chars().map(|c| if c == '\n' { '\n' } else { ' ' }).collect();
                            text.replace_range(whole, &blank);
                        }
                        _ => break,
                    }
                }
            }
        }
        Err(PresetErrors(diagnostics))
    }
}

/// A type mistake with what to write instead, for the keys people most often get wrong.
fn explain(message: &str, key: Option<&str>) -> String {
    let Some(key) = key else { return message.to_string() };
    if !(message.starts_with("invalid type") || message.starts_with("invalid value")) {
        return message.to_string();
    }
    let hint = match key {
        "users" => "expected a whole number of users, e.g. users = 10",
        "max_in_flight" => "expected a whole number of requests, e.g. max_in_flight = 64",
        "weight" => "expected a whole number, e.g. weight = 70",
        "spawn_rate" | "rate_per_sec" => "expected a number per second, e.g. 10 or 2.5",
        "duration" | "timeout" | "abort_delay" | "interval" => "expected a duration in quotes, e.g. \"30s\" or \"5m\"",
        "think_time" => "expected a duration (\"1s\") or { min = \"1s\", max = \"2s\" }",
        "health_status" | "status" => "expected an HTTP status, e.g. 200",
        "stream" | "abort_on_fail" | "tls_verify" | "gpu" | "host" => "expected true or false",
        "max_tokens" => "expected a whole number of tokens, e.g. 256",
        _ => return format!("{key}: {message}"),
    };
    format!("{key}: {message}; {hint}")
}

/// The key whose name or value spans `offset`, and the byte range of the whole `key = value`.
fn key_at(text: &str, offset: usize) -> Option<(String, std::ops::Range<usize>)> {
    let document = toml_edit::Document::parse(text.to_string()).ok()?;
    find_in_table(document.as_table(), offset)
}

fn find_in_table(table: &toml_edit::Table, offset: usize) -> Option<(String, std::ops::Range<usize>)> {
    for (name, item) in table.iter() {
        let key_span = table.key(name).and_then(toml_edit::Key::span);
        let value_span = item.span();
        if let (Some(key_span), Some(value_span)) = (&key_span, &value_span)
            && item.is_value()
            && (key_span.contains(&offset) || value_span.contains(&offset))
        {
            if let Some(inner) = item.as_value().and_then(|value| find_in_value(value, offset)) {
                return Some(inner);
            }
            return Some((name.to_string(), key_span.start..value_span.end));
        }
        let inner = match item {
            toml_edit::Item::Table(inner) => find_in_table(inner, offset),
            toml_edit::Item::ArrayOfTables(array) => array.iter().find_map(|inner| find_in_table(inner, offset)),
            toml_edit::Item::Value(value) => find_in_value(value, offset),
            toml_edit::Item::None => None,
        };
        if inner.is_some() {
            return inner;
        }
    }
    None
}

fn find_in_value(value: &toml_edit::Value, offset: usize) -> Option<(String, std::ops::Range<usize>)> {
    match value {
        toml_edit::Value::InlineTable(table) => {
            for (name, inner) in table.iter() {
                let key_span = table.key(name).and_then(toml_edit::Key::span);
                if let (Some(key_span), Some(value_span)) = (key_span, inner.span())
                    && (key_span.contains(&offset) || value_span.contains(&offset))
                {
                    return find_in_value(inner, offset).or(Some((name.to_string(), key_span.start..value_span.end)));
                }
            }
            None
        }
        toml_edit::Value::Array(array) => array.iter().find_map(|inner| find_in_value(inner, offset)),
        _ => None,
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
