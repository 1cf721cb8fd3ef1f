//! Command-line arguments.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// graphlink: move files between data pipelines and OneDrive/SharePoint, and post to Teams,
/// through Microsoft Graph.
#[derive(Debug, Parser)]
#[command(name = "graphlink", version, about)]
pub(crate) struct Cli {
    /// More log output (-v info, -vv debug). GRAPHLINK_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Machine-readable JSON output (and JSON logs).
    #[arg(long, global = true)]
    pub json: bool,
    /// Connection flags.
    #[command(flatten)]
    pub connection: crate::connection::ConnectionArgs,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the local emulator of the identity platform and Microsoft Graph.
    Emulator(EmulatorArgs),
    /// Sign in (device flow), show or remove the sign-in, print a token.
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Test the connection: get a token and make one harmless Graph call.
    #[command(subcommand)]
    Connection(ConnectionCommand),
    /// File commands on OneDrive and SharePoint locations.
    #[command(flatten)]
    Files(FileCommand),
    /// Check a project, show where an asset is used.
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Run a node: every workflow the roles allow, until SIGINT/SIGTERM.
    Run(RunArgs),
    /// What a running (or the last) node is doing: per workflow state, files done/failed, next poll.
    Status {
        /// The node's state folder.
        #[arg(long, default_value = ".graphlink-state", env = "GRAPHLINK_STATE_DIR")]
        state_dir: PathBuf,
    },
    /// Inspect and steer the access coordinator (file statuses) of a node.
    #[command(subcommand)]
    Coordinator(CoordinatorCommand),
    /// Encrypted secrets for `${sec:..}` macros.
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Microsoft Teams: list what the connection sees, send a message.
    #[command(subcommand)]
    Teams(crate::commands::teams::TeamsCommand),
    /// Services: call a function by hand (the service test).
    #[command(subcommand)]
    Service(crate::commands::teams::ServiceCommand),
    /// The demo: an embedded emulator, a SharePoint inbox, a node archiving it to OneDrive.
    Demo(DemoArgs),
}

/// `graphlink project ...` (the project folder is `--project DIR`, default `.`).
#[derive(Debug, Subcommand)]
pub(crate) enum ProjectCommand {
    /// Report every problem of the project at once, with file, line, asset and field.
    Validate {
        /// Also resolve every Teams channel and chat against the tenant (needs a sign-in).
        #[arg(long)]
        online: bool,
    },
    /// Show where an asset (`NAME` or `KIND:NAME`) is used, following chains.
    Usage {
        /// The asset.
        name: String,
    },
}

/// `graphlink run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The node's roles (comma separated); assets with required roles run only on a node with one of them.
    #[arg(long, value_delimiter = ',')]
    pub roles: Vec<String>,
    /// The node's state folder (coordinator database, status).
    #[arg(long, default_value = ".graphlink-state", env = "GRAPHLINK_STATE_DIR")]
    pub state_dir: PathBuf,
    /// Process what is there, then stop (instead of polling until stopped).
    #[arg(long)]
    pub once: bool,
}

/// `graphlink coordinator ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum CoordinatorCommand {
    /// List file statuses.
    List(CoordinatorFilter),
    /// Forget files' statuses so they are taken again.
    Reset(CoordinatorFilter),
    /// Give processing clearance to files waiting for it.
    Clearance(CoordinatorFilter),
}

/// Which files a coordinator command applies to (`*` wildcards).
#[derive(Debug, Args)]
pub(crate) struct CoordinatorFilter {
    /// The node's state folder.
    #[arg(long, default_value = ".graphlink-state", env = "GRAPHLINK_STATE_DIR")]
    pub state_dir: PathBuf,
    /// Workflow name.
    #[arg(long)]
    pub workflow: Option<String>,
    /// Status (acquired, pending, done, failure, wait-for-clearance).
    #[arg(long)]
    pub status: Option<String>,
    /// File path pattern.
    #[arg(long)]
    pub path: Option<String>,
}

/// `graphlink secret ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum SecretCommand {
    /// Create a key pair: the private key file (mode 0600) and the public key (printed).
    Keygen {
        /// Where to write the private key.
        #[arg(long)]
        out: PathBuf,
    },
    /// Create a secret asset in the project for a public key.
    Create {
        /// The secret asset's name.
        asset: String,
        /// The public key (`age1...`).
        #[arg(long)]
        recipient: String,
    },
    /// Encrypt a value into a secret asset (read from stdin when --value is not given).
    Add {
        /// The secret asset.
        asset: String,
        /// The key (`${sec:KEY}`).
        key: String,
        /// The value (prefer stdin: command lines end up in shell history).
        #[arg(long)]
        value: Option<String>,
    },
}

/// `graphlink demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Keep the emulator running after the demo (to browse its pages) until Ctrl-C.
    #[arg(long)]
    pub keep_running: bool,
    /// Where the demo keeps its data (default: a temporary folder).
    #[arg(long)]
    pub data: Option<PathBuf>,
}

/// `graphlink auth ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum AuthCommand {
    /// Sign in with the device flow: prints a code to enter in any browser, then keeps the
    /// (refreshed) tokens in the sign-in cache.
    Login,
    /// Who is signed in, with which permissions, until when (never the token unless asked).
    Status {
        /// Also print the access token.
        #[arg(long)]
        show_token: bool,
    },
    /// Remove the connection's stored sign-in.
    Logout,
    /// Print a valid access token alone on stdout (for scripts).
    Token,
}

/// `graphlink connection ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum ConnectionCommand {
    /// Get a token and make one harmless Graph call; report what failed, with codes.
    Test,
}

/// What to do when an uploaded file already exists.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Conflict {
    /// Fail (the default): nothing is overwritten.
    Fail,
    /// Replace the existing file.
    Replace,
    /// Keep both: the new file gets a free name (`name 1.txt`).
    Rename,
}

impl From<Conflict> for graphlink_graph::ConflictBehavior {
    fn from(c: Conflict) -> Self {
        match c {
            Conflict::Fail => Self::Fail,
            Conflict::Replace => Self::Replace,
            Conflict::Rename => Self::Rename,
        }
    }
}

/// File commands. Locations: `onedrive:/path`, `onedrive://user@contoso.com/path`,
/// `sharepoint://host/sites/Site/Library/path`, `drive://DRIVE-ID/path`.
#[derive(Debug, Subcommand)]
pub(crate) enum FileCommand {
    /// List a folder (or show a file).
    Ls {
        /// The folder.
        location: String,
        /// List everything below the folder.
        #[arg(short, long)]
        recursive: bool,
    },
    /// Show an item's metadata.
    Stat {
        /// The item.
        location: String,
    },
    /// Download a file (or, with -r, a folder).
    Get {
        /// The remote file or folder.
        source: String,
        /// The local file or folder.
        dest: PathBuf,
        /// Download a folder with everything in it.
        #[arg(short, long)]
        recursive: bool,
        /// Files transferred at the same time.
        #[arg(long, default_value_t = 4)]
        transfers: usize,
    },
    /// Upload a file (or, with -r, a folder).
    Put {
        /// The local file or folder.
        source: PathBuf,
        /// The remote folder (ending in `/`) or file path.
        dest: String,
        /// Upload a folder with everything in it.
        #[arg(short, long)]
        recursive: bool,
        /// Files transferred at the same time.
        #[arg(long, default_value_t = 4)]
        transfers: usize,
        /// What to do when a file exists.
        #[arg(long, value_enum, default_value = "fail")]
        conflict: Conflict,
    },
    /// Write a file's content to stdout.
    Cat {
        /// The remote file.
        location: String,
    },
    /// Create a folder (and its missing parents).
    Mkdir {
        /// The remote folder.
        location: String,
    },
    /// Move or rename an item inside a drive.
    Mv {
        /// The item.
        source: String,
        /// The new path, or an existing folder to move it into.
        dest: String,
    },
    /// Delete an item (to the recycle bin).
    Rm {
        /// The item.
        location: String,
        /// Allow deleting a folder with everything in it.
        #[arg(short, long)]
        recursive: bool,
    },
    /// Copy an item server-side (across drives too), waiting for the copy to finish.
    Cp {
        /// The item.
        source: String,
        /// The new path, or an existing folder to copy it into.
        dest: String,
    },
}

/// `graphlink emulator`.
#[derive(Debug, Args)]
pub(crate) struct EmulatorArgs {
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
