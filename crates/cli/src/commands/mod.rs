//! One module per command; `run` dispatches.

mod auth;
mod demo;
pub(crate) mod emulator;
mod files;
mod project;
pub(crate) mod teams;

use std::process::ExitCode;

use crate::args::{Cli, Command, ConnectionCommand};
use crate::output::Output;

/// Runs the parsed command line.
pub(crate) async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let out = Output { json: cli.json };
    let conn = &cli.connection;
    match cli.command {
        Command::Emulator(args) => emulator::run(args, cli.json).await,
        Command::Auth(command) => auth::run(command, conn.connect()?, out).await,
        Command::Connection(ConnectionCommand::Test) => auth::test(conn.connect()?, out).await,
        Command::Files(command) => files::run(command, conn.connect()?, out).await,
        Command::Project(command) => project::project(command, conn, out).await,
        Command::Run(args) => project::run(args, conn, out).await,
        Command::Status { state_dir } => project::status(&state_dir, out),
        Command::Coordinator(command) => project::coordinator(command, out).await,
        Command::Secret(command) => project::secret(command, conn, out).await,
        Command::Teams(command) => teams::run(command, conn, out).await,
        Command::Service(command) => teams::service(command, conn, out).await,
        Command::Demo(args) => demo::run(args, out).await,
    }
}
