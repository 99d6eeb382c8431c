//! `loadscope generate`: the man page and shell completions, made from the same command-line
//! definition the binary parses, so they never drift from it. The packages run it when they
//! are built (scripts/package.sh); it is hidden from `--help`.

use std::io::Write;

use clap::CommandFactory;

use super::Cli;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Artifact {
    /// The man page (roff), for `man 1 loadscope`.
    Man,
    Bash,
    Zsh,
    Fish,
}

/// Writes `artifact` to standard output; exit code 0, or 1 when it cannot be written.
pub(crate) fn generate(artifact: Artifact) -> u8 {
    let mut command = Cli::command();
    let mut out = Vec::new();
    let written = match artifact {
        Artifact::Man => clap_mangen::Man::new(command).render(&mut out).map_err(|err| err.to_string()),
        Artifact::Bash | Artifact::Zsh | Artifact::Fish => {
            let shell = match artifact {
                Artifact::Bash => clap_complete::Shell::Bash,
                Artifact::Zsh => clap_complete::Shell::Zsh,
                _ => clap_complete::Shell::Fish,
            };
            clap_complete::generate(shell, &mut command, "loadscope", &mut out);
            Ok(())
        }
    };
    match written.and_then(|()| std::io::stdout().write_all(&out).map_err(|err| err.to_string())) {
        Ok(()) => 0,
        Err(why) => {
            eprintln!("loadscope generate: {why}");
            1
        }
    }
}
