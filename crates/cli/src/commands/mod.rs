//! One module per command; `run` dispatches.

mod emulator;

use std::process::ExitCode;

use crate::args::{Cli, Command};

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Emulator(args) => emulator::run(args, cli.json).await,
    }
}
