//! Runs: the run file format, atomic saving, and the library of saved runs.

pub(crate) mod failure_kind;
pub(crate) mod histogram;
pub(crate) mod library;
pub(crate) mod locust_csv;
pub(crate) mod locust_import;
pub(crate) mod record;
pub(crate) mod run_file;
pub(crate) mod save;
pub(crate) mod summary;

pub use failure_kind::FailureKind;
pub use record::*;
pub use run_file::RunFileError;
pub use save::{load, save_atomic};
