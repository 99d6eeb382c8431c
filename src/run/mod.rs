//! Runs: the run file format, atomic saving, and the library of saved runs.

pub mod failure_kind;
pub mod histogram;
pub mod library;
pub mod locust_csv;
pub mod locust_import;
pub mod record;
pub mod run_file;
pub mod save;
pub mod summary;

pub use failure_kind::FailureKind;
pub use record::*;
pub use run_file::RunFileError;
pub use save::{load, save_atomic};
