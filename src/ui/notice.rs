//! Notices: what the app tells the person outside the tab they are on (a failed save, a report
//! written, a run deleted with Undo), shown at the top until dismissed. One type and one
//! drawing for errors and news alike.

use std::path::PathBuf;

use super::command::AppCommand;
use super::palette;

/// How a notice reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeLevel {
    /// News: something done (a report written, a chart saved).
    Info,
    /// Something failed; the text says what to do.
    Error,
}

/// What Undo puts back.
#[derive(Debug, Clone, PartialEq)]
pub enum Undo {
    /// A deleted run, from its place in the trash.
    RestoreRun(PathBuf),
}

/// One message for the person.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub level: NoticeLevel,
    pub text: String,
    pub undo: Option<Undo>,
}

impl Notice {
    pub fn info(text: impl Into<String>) -> Notice {
        Notice {
            level: NoticeLevel::Info,
            text: text.into(),
            undo: None,
        }
    }

    pub fn error(text: impl Into<String>) -> Notice {
        Notice {
            level: NoticeLevel::Error,
            text: text.into(),
            undo: None,
        }
    }

    pub fn with_undo(mut self, undo: Undo) -> Notice {
        self.undo = Some(undo);
        self
    }

    pub fn is_error(&self) -> bool {
        self.level == NoticeLevel::Error
    }
}

/// Draws the notices, errors first; Dismiss removes one, Undo removes it and asks the app to
/// put back what it names.
pub(crate) fn show(ui: &mut egui::Ui, notices: &mut Vec<Notice>, commands: &mut Vec<AppCommand>) {
    let mut order: Vec<usize> = (0..notices.len()).collect();
    order.sort_by_key(|&index| !notices[index].is_error());
    let mut remove = None;
    for index in order {
        let notice = &notices[index];
        let fill = match notice.level {
            NoticeLevel::Error => palette::error_fill(),
            NoticeLevel::Info => palette::info_fill(),
        };
        egui::Frame::new().fill(fill).inner_margin(6.0).corner_radius(4.0).show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label(&notice.text);
                if let Some(undo) = &notice.undo
                    && ui.small_button("Undo").clicked()
                {
                    commands.push(AppCommand::Undo(undo.clone()));
                    remove = Some(index);
                }
                if ui.small_button("Dismiss").clicked() {
                    remove = Some(index);
                }
            });
        });
    }
    if let Some(index) = remove {
        notices.remove(index);
    }
}
