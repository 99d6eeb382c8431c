//! The `loadscope` binary: parses the command line and hands over to the library.
// On Windows the binary is a GUI program (no console window opens behind the app); a command
// run from a terminal attaches to that terminal's console below.
#![cfg_attr(windows, windows_subsystem = "windows")]

use clap::Parser;

fn main() -> std::process::ExitCode {
    // `loadscope runs | head` must end quietly when the reader goes away, as other Unix tools
    // do, instead of panicking on a broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring a signal's default disposition at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    #[cfg(windows)]
    // SAFETY: attaching to the parent's console (when there is one) before anything is printed;
    // a launch from the Start menu has none and the call fails harmlessly.
    unsafe {
        windows_sys::Win32::System::Console::AttachConsole(windows_sys::Win32::System::Console::ATTACH_PARENT_PROCESS);
    }
    // `COMPLETE=bash loadscope -- ...`: the shell asking for completions (the scripts
    // `loadscope generate bash` writes call back here); answered, then the process exits.
    clap_complete::CompleteEnv::with_factory(<loadscope::Cli as clap::CommandFactory>::command).complete();
    loadscope::main(loadscope::Cli::parse())
}
