//! Loadscope: load testing for AI service stacks (OpenAI-compatible gateways, RAG services,
//! MCP servers). The library holds everything; the `loadscope` binary is a thin command line
//! over it and the desktop app (`ui`) another face over the same engine.

pub mod analysis;
pub mod cli;
pub mod demo;
pub mod engine;
pub mod export;
pub mod format;
pub mod identity;
pub mod io_guard;
pub mod measure;
pub mod monitor;
pub mod preset;
pub mod report;
pub mod run;
pub mod segments;
pub mod tokens;
pub mod ui;
