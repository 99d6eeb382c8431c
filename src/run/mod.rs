//! Runs: the run file format, atomic saving, and the library of saved runs.

pub mod histogram;
pub mod library;
pub mod record;
pub mod save;

pub use record::*;
pub use save::{RunFileError, load, save_atomic};
