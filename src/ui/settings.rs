//! What the app remembers between sessions (eframe storage): theme, last preset, recent files,
//! which charts are hidden and how the Live tab was set. Every field has a default, so an
//! older or damaged store still opens.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The key under which the settings are stored.
pub(crate) const STORAGE_KEY: &str = "loadscope-settings";

/// Dark, light, or whatever the system uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ThemeChoice {
    #[default]
    System,
    Dark,
    Light,
}

/// How often the window redraws during a run when nothing else asks it to (input, an event
/// that must show at once). Automatically: at every snapshot on a graphics card, and on a
/// software renderer as often as the window's CPU budget allows (`frame_pacer`). The fixed
/// choices are for a person who wants the window calmer or steadier than that.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveRefresh {
    #[default]
    Automatic,
    OneSecond,
    TwoSeconds,
    FiveSeconds,
}

impl LiveRefresh {
    pub const ALL: [LiveRefresh; 4] = [
        LiveRefresh::Automatic,
        LiveRefresh::OneSecond,
        LiveRefresh::TwoSeconds,
        LiveRefresh::FiveSeconds,
    ];

    /// A fixed interval (None: automatically).
    pub fn fixed_interval(self) -> Option<std::time::Duration> {
        let secs = match self {
            LiveRefresh::Automatic => return None,
            LiveRefresh::OneSecond => 1,
            LiveRefresh::TwoSeconds => 2,
            LiveRefresh::FiveSeconds => 5,
        };
        Some(std::time::Duration::from_secs(secs))
    }

    pub fn label(self) -> &'static str {
        match self {
            LiveRefresh::Automatic => "automatically",
            LiveRefresh::OneSecond => "every 1 s",
            LiveRefresh::TwoSeconds => "every 2 s",
            LiveRefresh::FiveSeconds => "every 5 s",
        }
    }
}

/// A preset to reopen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PresetRef {
    Shipped(String),
    File(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub theme: ThemeChoice,
    pub last_preset: Option<PresetRef>,
    /// Most recent first.
    pub recent_files: Vec<PathBuf>,
    pub hidden_charts: BTreeSet<String>,
    /// Charts show the whole run instead of following the last minutes.
    pub charts_whole_run: bool,
    /// The stats table shows the whole run instead of the current level.
    pub stats_whole_run: bool,
    /// How often the Live tab redraws during a run. Stored under a new name since the default
    /// became automatic: earlier versions stored their own default (every 2 s) whether or not
    /// the person chose it.
    pub live_redraw: LiveRefresh,
    /// The side panel is folded away (a small window's room goes to the tabs).
    pub side_panel_collapsed: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            theme: ThemeChoice::System,
            last_preset: None,
            recent_files: Vec::new(),
            hidden_charts: BTreeSet::new(),
            charts_whole_run: false,
            stats_whole_run: false,
            live_redraw: LiveRefresh::default(),
            side_panel_collapsed: false,
        }
    }
}

/// How many recent files the library lists.
const RECENT_LIMIT: usize = 8;

impl Settings {
    /// Puts `path` first in the recent files.
    pub fn remember_file(&mut self, path: PathBuf) {
        self.recent_files.retain(|known| *known != path);
        self.recent_files.insert(0, path);
        self.recent_files.truncate(RECENT_LIMIT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_stores_fill_missing_fields_with_defaults() {
        let settings: Settings = serde_json::from_str(r#"{"theme":"Dark"}"#).expect("partial settings");
        assert_eq!(settings.theme, ThemeChoice::Dark);
        assert!(settings.recent_files.is_empty());
        assert_eq!(settings.live_redraw, LiveRefresh::Automatic);
        let earlier: Settings = serde_json::from_str(r#"{"live_refresh":"two_seconds"}"#).expect("an earlier store");
        assert_eq!(
            earlier.live_redraw,
            LiveRefresh::Automatic,
            "the old default is not taken for a choice"
        );
        let mut settings = Settings::default();
        for index in 0..10 {
            settings.remember_file(PathBuf::from(format!("{index}.toml")));
        }
        settings.remember_file(PathBuf::from("3.toml"));
        assert_eq!(settings.recent_files.len(), RECENT_LIMIT);
        assert_eq!(settings.recent_files[0], PathBuf::from("3.toml"));
    }
}
