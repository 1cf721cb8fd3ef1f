//! `graphlink teams ...` and `graphlink service test ...` (being written).

use std::process::ExitCode;

use clap::Subcommand;

use crate::connection::ConnectionArgs;
use crate::output::Output;

/// `graphlink teams ...`.
#[derive(Debug, Subcommand)]
pub enum TeamsCommand {}

/// `graphlink service ...`.
#[derive(Debug, Subcommand)]
pub enum ServiceCommand {}

/// Runs a Teams command.
pub async fn run(
    command: TeamsCommand,
    _conn: &ConnectionArgs,
    _out: Output,
) -> anyhow::Result<ExitCode> {
    match command {}
}

/// Runs a service command.
pub async fn service(
    command: ServiceCommand,
    _conn: &ConnectionArgs,
    _out: Output,
) -> anyhow::Result<ExitCode> {
    match command {}
}
