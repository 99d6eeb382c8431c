//! Keyboard shortcuts, in one table: the keys, what they do, the command they give, and the text
//! the menus and Help > Keyboard shortcuts show (Ctrl on Linux and Windows, Cmd on macOS).

use egui::{Key, KeyboardShortcut, Modifiers};

use super::command::AppCommand;
use crate::engine::Command;

/// What a shortcut does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    NewPreset,
    OpenPreset,
    SaveAs,
    Save,
    Preflight,
    Stop,
    Start,
    Present,
    ShowEditor,
    ShowLive,
    ShowRuns,
    ToggleSidePanel,
}

impl Action {
    /// How the shortcut list says it.
    pub(super) fn what(self) -> &'static str {
        match self {
            Action::NewPreset => "New preset",
            Action::OpenPreset => "Open a preset",
            Action::SaveAs => "Save the preset as…",
            Action::Save => "Save the preset",
            Action::Preflight => "Preflight: check the services without load",
            Action::Stop => "Stop the run",
            Action::Start => "Start a run",
            Action::Present => "Present the finished run in the Live tab",
            Action::ShowEditor => "Show the Editor tab",
            Action::ShowLive => "Show the Live tab",
            Action::ShowRuns => "Show the Runs tab",
            Action::ToggleSidePanel => "Hide or show the side panel",
        }
    }

    pub(super) fn command(self) -> AppCommand {
        match self {
            Action::NewPreset => AppCommand::NewPreset,
            Action::OpenPreset => AppCommand::PickPreset,
            Action::SaveAs => AppCommand::SaveAs,
            Action::Save => AppCommand::Save,
            Action::Preflight => AppCommand::Preflight,
            Action::Stop => AppCommand::Engine(Command::Stop),
            Action::Start => AppCommand::Start,
            Action::Present => AppCommand::PresentLiveRun,
            Action::ShowEditor => AppCommand::ShowTab(super::Tab::Editor),
            Action::ShowLive => AppCommand::ShowTab(super::Tab::Live),
            Action::ShowRuns => AppCommand::ShowTab(super::Tab::Runs),
            Action::ToggleSidePanel => AppCommand::ToggleSidePanel,
        }
    }

    /// The keys, as the menus show them beside the item (`Ctrl+S`).
    pub(super) fn keys_text(self, ctx: &egui::Context) -> String {
        SHORTCUTS
            .iter()
            .find(|(action, _)| *action == self)
            .map(|(_, keys)| ctx.format_shortcut(keys))
            .unwrap_or_default()
    }
}

const COMMAND_SHIFT: Modifiers = Modifiers::COMMAND.plus(Modifiers::SHIFT);

/// Every shortcut. Those with Shift come before the same key without it: egui matches Ctrl+S
/// when Shift is held too.
pub(crate) const SHORTCUTS: [(Action, KeyboardShortcut); 12] = [
    (Action::NewPreset, KeyboardShortcut::new(Modifiers::COMMAND, Key::N)),
    (Action::OpenPreset, KeyboardShortcut::new(Modifiers::COMMAND, Key::O)),
    (Action::SaveAs, KeyboardShortcut::new(COMMAND_SHIFT, Key::S)),
    (Action::Save, KeyboardShortcut::new(Modifiers::COMMAND, Key::S)),
    (Action::Preflight, KeyboardShortcut::new(Modifiers::COMMAND, Key::Enter)),
    (Action::Stop, KeyboardShortcut::new(Modifiers::SHIFT, Key::F5)),
    (Action::Start, KeyboardShortcut::new(Modifiers::NONE, Key::F5)),
    (Action::Present, KeyboardShortcut::new(Modifiers::NONE, Key::F11)),
    (Action::ShowEditor, KeyboardShortcut::new(Modifiers::COMMAND, Key::Num1)),
    (Action::ShowLive, KeyboardShortcut::new(Modifiers::COMMAND, Key::Num2)),
    (Action::ShowRuns, KeyboardShortcut::new(Modifiers::COMMAND, Key::Num3)),
    (Action::ToggleSidePanel, KeyboardShortcut::new(Modifiers::COMMAND, Key::B)),
];

/// Present's own keys (it takes the keyboard while it is on), as Help lists them.
pub(crate) const PRESENT_KEYS: [(&str, &str); 6] = [
    ("Right / Left", "Next / previous level"),
    ("Home", "All levels"),
    ("Down / Up", "Next / previous run"),
    ("F11", "Full screen on or off"),
    ("Esc", "Leave Present"),
    ("Click a badge", "Show that level"),
];

/// The commands of the shortcuts pressed this frame (the keys are consumed, so a text field
/// does not also take them).
pub(crate) fn pressed(ctx: &egui::Context) -> Vec<AppCommand> {
    ctx.input_mut(|input| {
        SHORTCUTS
            .iter()
            .filter(|(_, keys)| input.consume_shortcut(keys))
            .map(|(action, _)| action.command())
            .collect()
    })
}
