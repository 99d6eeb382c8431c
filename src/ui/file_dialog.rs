//! Choosing a file: the system's dialog where there is one, and the in-app dialog (egui_file)
//! where it cannot open, as under a plain X server with no desktop portal, where the native call
//! returns at once without showing anything. The person is told why once.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::command::{AppCommand, FilePurpose};

/// A dialog that returns sooner than this did not show itself: no person picks or cancels a
/// file that fast.
const TOO_QUICK: Duration = Duration::from_millis(300);

/// Why the system's dialog cannot be used here, when that is known before trying.
fn known_unavailable() -> Option<String> {
    if cfg!(target_os = "linux") && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        return Some("there is no D-Bus session bus, which the system's file dialog (xdg-desktop-portal) needs".into());
    }
    None
}

/// Runs the system's dialog (on a job thread: it blocks until the person answers). The result
/// is the command for the chosen file, nothing when they cancelled, or the in-app dialog with
/// the reason the system's could not be used.
pub(crate) fn native(purpose: FilePurpose, dir: PathBuf) -> Option<AppCommand> {
    if let Some(reason) = known_unavailable() {
        return Some(AppCommand::InAppFileDialog { purpose, dir, reason });
    }
    let started = Instant::now();
    let dialog = rfd::FileDialog::new().set_directory(&dir);
    let picked = match &purpose {
        FilePurpose::OpenPreset => dialog.add_filter("Loadscope preset", &["toml"]).pick_file(),
        FilePurpose::SavePreset { file_name } => dialog
            .add_filter("Loadscope preset", &["toml"])
            .set_file_name(file_name)
            .save_file(),
        FilePurpose::OpenRun => dialog.add_filter("Loadscope run", &["json"]).pick_file(),
        FilePurpose::SegmentFolder => dialog.pick_folder(),
    };
    match picked {
        Some(path) => Some(purpose.command(path)),
        None if started.elapsed() < TOO_QUICK => Some(AppCommand::InAppFileDialog {
            purpose,
            dir,
            reason: "the system's file dialog did not open (no xdg-desktop-portal FileChooser on this desktop?)".into(),
        }),
        None => None,
    }
}

/// The in-app dialog for `purpose`, opened in `dir`.
pub(crate) fn in_app(purpose: &FilePurpose, dir: PathBuf) -> egui_file::FileDialog {
    let mut dialog = match purpose {
        FilePurpose::OpenPreset => egui_file::FileDialog::open_file().title("Open a preset"),
        FilePurpose::SavePreset { file_name } => egui_file::FileDialog::save_file()
            .title("Save the preset as")
            .default_filename(file_name.clone()),
        FilePurpose::OpenRun => egui_file::FileDialog::open_file().title("Open a run file"),
        FilePurpose::SegmentFolder => egui_file::FileDialog::select_folder().title("Follow a folder of segment files"),
    }
    .initial_path(dir)
    .default_size([640.0, 420.0])
    // At the bottom of the window, over the status bar's line, so the notices at the top
    // (why this dialog and not the system's) stay in sight.
    .anchor(egui::Align2::CENTER_BOTTOM, [0.0, -32.0]);
    dialog.open();
    dialog
}
