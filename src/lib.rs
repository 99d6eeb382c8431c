//! Loadscope: load testing for AI service stacks (OpenAI-compatible gateways, RAG services,
//! MCP servers). The library holds everything; the `loadscope` binary is a thin command line
//! over it and the desktop app (`ui`) another face over the same engine.
//!
//! The rooms are private: the binary needs only [`Cli`] and [`main`]. The integration tests
//! and benches reach what they check through [`testing`], which names each item they use, so
//! everything else stays `pub(crate)` and the compiler reports what nothing uses.

mod analysis;
mod cli;
mod demo;
mod engine;
mod export;
mod format;
mod identity;
mod io_guard;
mod measure;
mod monitor;
mod preset;
mod report;
mod run;
mod segments;
mod tokens;
mod ui;

pub use cli::{Cli, main};

/// What the integration tests and benches use, by the paths they name (`testing::run::load`).
/// Not an API: it changes with the tests.
#[doc(hidden)]
pub mod testing {
    pub mod analysis {
        pub mod baseline {
            pub use crate::analysis::baseline::{degradation_percent, degradation_rows, resolve_saved_baselines};
        }
        pub mod comparison {
            pub use crate::analysis::TaskRow;
            pub use crate::analysis::comparison::{Align, Change, Measure, compare, delta};
        }
        pub mod findings {
            pub use crate::analysis::findings::find;
        }
    }
    pub mod cli {
        pub use crate::cli::{Cli, main};
        pub mod compare {
            pub use crate::cli::compare::comparison_text;
        }
    }
    pub mod demo {
        pub use crate::demo::{DemoConfig, DemoStack};
    }
    pub mod engine {
        pub use crate::engine::{Command, Engine, Event, Phase, RunPlan, RunWarning, SaveOutcome, Snapshot, run_blocking};
        pub mod preflight {
            pub use crate::engine::preflight::http_client;
        }
    }
    pub mod export {
        pub mod metrics {
            pub use crate::export::metrics::{METRIC_NAMES, RunMetrics};
        }
    }
    pub mod format {
        pub use crate::format::{elapsed, micros};
    }
    pub mod io_guard {
        pub use crate::io_guard::{faults, mark_this_thread};
    }
    pub mod measure {
        pub use crate::measure::LoadModel;
        pub mod capacity {
            pub use crate::measure::capacity::{CapacityAxis, SearchRule, SearchStep, SearchStop};
        }
        pub mod duration {
            pub use crate::measure::duration::HumanDuration;
        }
        pub mod target {
            pub use crate::measure::target::TargetExpr;
        }
    }
    pub mod monitor {
        pub use crate::monitor::{Availability, ContainerFilter, MonitorSettings, Monitors};
        pub mod docker {
            pub use crate::monitor::docker::DockerSampler;
        }
        pub mod prometheus {
            pub use crate::monitor::prometheus::parse;
        }
    }
    pub mod preset {
        pub use crate::preset::{CompiledPreset, Overrides, PresetSource, compile, load, shipped};
        pub mod compiled {
            pub use crate::preset::compiled::CompiledBaseline;
        }
        pub mod dataset {
            pub use crate::preset::dataset::{DatasetError, DatasetFormat, load};
        }
        pub mod file_reads {
            pub use crate::preset::file_reads::reads_finished;
        }
        pub mod secrets {
            pub use crate::preset::secrets::DotEnv;
        }
    }
    pub mod report {
        pub use crate::report::Report;
        pub mod catalogue {
            pub use crate::report::catalogue::ChartKind;
        }
        pub mod charts {
            pub use crate::report::charts::{overlay_charts, run_charts};
        }
        pub mod csv {
            pub use crate::report::csv::{failures_csv, history_csv, stats_csv};
        }
        pub mod html {
            pub use crate::report::html::render_report;
        }
        pub mod junit {
            pub use crate::report::junit::render;
        }
        pub mod lines {
            pub use crate::report::lines::{cancelled, resends};
        }
        pub mod markdown {
            pub use crate::report::markdown::render;
        }
        pub mod svg {
            pub use crate::report::svg::escape;
        }
        pub mod tables {
            pub use crate::report::tables::{Table, capacity_table, comparison_summary_table};
        }
    }
    pub mod run {
        pub use crate::run::{
            CapacityRecord, FailureKind, FailureRow, Finding, FindingRule, GeneratorLoad, LevelRecord, RunFileError, RunRecord, RunStatus,
            SecondStats, SeriesPoint, TokenCountSource, Verdict, load, save_atomic,
        };
        pub mod histogram {
            pub use crate::run::histogram::{BUCKET_BOUNDS_MICROS, decode, new_histogram};
        }
        pub mod library {
            pub use crate::run::library::{LibraryEntry, list, run_file_name};
        }
        pub mod save {
            pub use crate::run::save::run_file_json;
        }
        pub mod summary {
            pub use crate::run::summary::{RunSummary, read_summary};
        }
    }
    pub mod segments {
        pub mod folder {
            pub use crate::segments::folder::read_folder;
        }
    }
    pub mod tokens {
        pub use crate::tokens::Tokenizer;
    }
    pub mod ui {
        pub use crate::ui::{AppCommand, AppConfig, Dialog, LoadscopeApp, Tab};
        pub mod charts {
            pub use crate::report::catalogue::CHARTS;
        }
        pub mod document {
            pub use crate::ui::document::Origin;
        }
        pub mod live_run {
            pub use crate::ui::live_run::{LiveRun, RunState, TaskChoice};
        }
    }
}
