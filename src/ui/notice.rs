//! Notices: what the app tells the person outside the tab they are on (a failed save, a report
//! written, a run deleted with Undo), shown at the top until dismissed. One type and one
//! drawing for errors and news alike.

use std::path::PathBuf;

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

/// What an error notice is about, so it can go away by itself once that is fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The open preset has errors (gone when it compiles).
    PresetInvalid,
    /// The demo stack could not start (gone when it runs).
    DemoStack,
}

/// One message for the person.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub level: NoticeLevel,
    pub text: String,
    pub undo: Option<Undo>,
    /// A file the notice is about (a report or chart written): Open folder and Copy path.
    pub path: Option<PathBuf>,
    pub cause: Option<Cause>,
}

impl Notice {
    pub fn info(text: impl Into<String>) -> Notice {
        Notice {
            level: NoticeLevel::Info,
            text: text.into(),
            undo: None,
            path: None,
            cause: None,
        }
    }

    pub fn error(text: impl Into<String>) -> Notice {
        Notice {
            level: NoticeLevel::Error,
            ..Notice::info(text)
        }
    }

    /// The file the notice is about.
    pub fn with_path(mut self, path: PathBuf) -> Notice {
        self.path = Some(path);
        self
    }

    /// What the error is about (it is dismissed when that is fixed).
    pub fn with_cause(mut self, cause: Cause) -> Notice {
        self.cause = Some(cause);
        self
    }

    pub fn with_undo(mut self, undo: Undo) -> Notice {
        self.undo = Some(undo);
        self
    }

    pub fn is_error(&self) -> bool {
        self.level == NoticeLevel::Error
    }
}

/// Adds `notice` unless the same words are already shown (a key pressed twice says it once).
pub(crate) fn push(notices: &mut Vec<Notice>, notice: Notice) {
    if !notices.iter().any(|shown| shown.text == notice.text && shown.level == notice.level) {
        notices.push(notice);
    }
}
