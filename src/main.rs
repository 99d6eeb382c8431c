//! The `loadscope` binary: parses the command line and hands over to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    // `loadscope runs | head` must end quietly when the reader goes away, as other Unix tools
    // do, instead of panicking on a broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring a signal's default disposition at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    loadscope::cli::main(loadscope::cli::Cli::parse())
}
