//! What the panels and background jobs ask the app to do. Panels draw from the app's state and
//! return commands; jobs return them when their work is done; the app routes every one of them
//! in one place (`app::commands`), so no panel changes state it does not own.

use std::path::PathBuf;

use super::Tab;
use super::chart_png::ChartPicture;
use super::document::PresetFileError;
use super::notice::{Notice, Undo};
use super::settings::ThemeChoice;
use crate::engine::Command;
use crate::monitor::MonitorStatus;
use crate::preset::secrets::{DotEnv, DotEnvError};
use crate::run::RunRecord;

/// One thing for the app to do.
pub enum AppCommand {
    /// A fresh untitled preset (asks first about unsaved changes).
    NewPreset,
    /// A shipped preset by name (asks first about unsaved changes).
    OpenShipped(String),
    /// A preset file (asks first about unsaved changes).
    OpenPreset(PathBuf),
    /// Pick a preset file with the file dialog.
    PickPreset,
    /// Save the preset to its file, or ask for one.
    Save,
    /// Ask for a file and save the preset there.
    SaveAs,
    /// Save the preset to this file.
    SaveTo(PathBuf),
    /// The answer to "unsaved changes": save, discard or cancel.
    Unsaved(UnsavedChoice),
    SetTheme(ThemeChoice),
    ShowTab(Tab),
    /// Hide the side panel (presets, scenarios, demo stack), or show it again; remembered.
    ToggleSidePanel,
    /// Edit this scenario of the preset.
    SelectScenario(usize),
    /// Check the services without load.
    Preflight,
    /// Run the open preset.
    Start,
    /// Pass a command to the engine (stop, next level, pause...).
    Engine(Command),
    /// Show a saved run in the Live tab.
    ShowSavedRun(PathBuf, Box<RunRecord>),
    /// Add a run file from elsewhere to the Runs tab and select it.
    OpenRunFile(PathBuf),
    /// Pick a run file with the file dialog.
    PickRunFile,
    /// Pick a folder of segment files (a split run's shared volume) with the file dialog.
    PickSegmentFolder,
    /// Follow a folder of segment files: the Live tab shows them merged, reread every 2 s.
    FollowSegments(PathBuf),
    /// A read of the followed folder (from a job thread).
    SegmentsRead(
        PathBuf,
        Result<Box<crate::segments::folder::FolderRun>, crate::segments::FolderError>,
    ),
    /// Stop following the folder.
    StopFollowingSegments,
    /// Presentation mode over these runs (the first is the baseline).
    Present(Vec<RunRecord>),
    /// Presentation mode over the run the Live tab shows.
    PresentLiveRun,
    EndPresentation,
    /// Save this chart as a PNG.
    SaveChartPng(ChartPicture),
    StartDemoStack,
    StopDemoStack,
    /// Put back what a notice's Undo names.
    Undo(Undo),
    /// Tell the person something.
    Notify(Notice),
    /// Show a folder in the system's file manager.
    OpenFolder(PathBuf),
    /// Choose a file with the in-app dialog: the system's could not be used, for `reason`.
    InAppFileDialog {
        purpose: FilePurpose,
        dir: PathBuf,
        reason: String,
    },
    /// A preset file's text, read on a job thread (or why it could not be).
    PresetRead {
        path: PathBuf,
        text: Result<String, PresetFileError>,
    },
    /// A save of document `document` (its text then, `text`) to `path` ended.
    PresetSaved {
        document: u64,
        path: PathBuf,
        text: String,
        result: Result<(), PresetFileError>,
    },
    /// The presets in the data dir's `presets/` folder, listed on a job thread.
    UserPresets(Vec<PathBuf>),
    /// The preset's `.env` file, read for the secrets dialog.
    SecretsRead(Result<DotEnv, DotEnvError>),
    /// The secrets dialog's values were written (`count` of them) to `file`, or why not.
    SecretsSaved {
        file: DotEnv,
        count: usize,
        result: Result<(), DotEnvError>,
    },
    /// A run or preflight planned on a job thread (secrets, baselines and prompts read).
    Planned(
        PlanPurpose,
        Result<Box<(crate::engine::RunPlan, crate::preset::CompiledPreset)>, PlanFailure>,
    ),
    /// Open one of Help's dialogs.
    ShowDialog(Dialog),
    CloseDialog,
    /// Put these `${VAR}` values in the preset's `.env` file.
    SaveSecrets(std::collections::BTreeMap<String, String>),
    /// What the monitors can see on this machine (None: the probe could not run).
    MonitorsProbed(Option<MonitorStatus>),
}

/// The app's dialogs (File > Secrets, Help's two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialog {
    Secrets,
    Shortcuts,
    About,
}

/// The answer to the unsaved-changes dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsavedChoice {
    Save,
    Discard,
    Cancel,
}

/// What the file is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilePurpose {
    OpenPreset,
    /// Save the preset, offering this file name.
    SavePreset {
        file_name: String,
    },
    OpenRun,
    /// A folder of segment files to follow.
    SegmentFolder,
}

impl FilePurpose {
    /// The command for the chosen file.
    pub fn command(&self, path: PathBuf) -> AppCommand {
        match self {
            FilePurpose::OpenPreset => AppCommand::OpenPreset(path),
            FilePurpose::SavePreset { .. } => AppCommand::SaveTo(path),
            FilePurpose::OpenRun => AppCommand::OpenRunFile(path),
            FilePurpose::SegmentFolder => AppCommand::FollowSegments(path),
        }
    }
}

/// Why a run could not be planned.
#[derive(Debug, thiserror::Error)]
pub enum PlanFailure {
    #[error(transparent)]
    DotEnv(#[from] DotEnvError),
    #[error(transparent)]
    Plan(#[from] crate::engine::PlanError),
}

/// What a plan made on a job thread is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanPurpose {
    Start,
    Preflight,
}
