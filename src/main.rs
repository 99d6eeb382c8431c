//! The `loadscope` binary: parses the command line and hands over to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    loadscope::cli::main(loadscope::cli::Cli::parse())
}
