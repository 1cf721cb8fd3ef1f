//! One module per command; `run` dispatches.

mod auth;
pub mod emulator;
mod files;

use std::process::ExitCode;

use crate::args::{Cli, Command, ConnectionCommand};
use crate::connection::Connection;
use crate::output::Output;

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let out = Output { json: cli.json };
    match cli.command {
        Command::Emulator(args) => emulator::run(args, cli.json).await,
        Command::Auth(command) => {
            auth::run(command, Connection::resolve(&cli.connection)?, out).await
        }
        Command::Connection(ConnectionCommand::Test) => {
            auth::test(Connection::resolve(&cli.connection)?, out).await
        }
        Command::Files(command) => {
            files::run(command, Connection::resolve(&cli.connection)?, out).await
        }
    }
}
