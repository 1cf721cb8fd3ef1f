//! Command-line arguments.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// graphlink: move files between data pipelines and OneDrive/SharePoint, and post to Teams,
/// through Microsoft Graph.
#[derive(Debug, Parser)]
#[command(name = "graphlink", version, about)]
pub struct Cli {
    /// More log output (-v info, -vv debug). GRAPHLINK_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Machine-readable JSON output (and JSON logs).
    #[arg(long, global = true)]
    pub json: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the local emulator of the identity platform and Microsoft Graph.
    Emulator(EmulatorArgs),
}

/// `graphlink emulator`.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub addr: SocketAddr,
    /// Data directory (kept across restarts).
    #[arg(long, default_value = "graphlink-emulator-data")]
    pub data: PathBuf,
    /// Serve HTTPS with a CA created in the data directory.
    #[arg(long)]
    pub tls: bool,
    /// Seed file (TOML); see `--print-seed` for the format and defaults.
    #[arg(long)]
    pub seed: Option<PathBuf>,
    /// Print the built-in default seed and exit.
    #[arg(long)]
    pub print_seed: bool,
    /// A fault rule as JSON (repeatable), e.g.
    /// '{"path":"^/v1.0/drives","fault":{"kind":"status","status":429,"retry_after":"1"},"probability":0.2}'.
    #[arg(long = "fault")]
    pub faults: Vec<String>,
}
