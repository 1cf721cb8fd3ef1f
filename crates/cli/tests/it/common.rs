//! What the CLI tests share: the `graphlink` binary with a clean environment, output as text.

use std::path::Path;

pub(crate) use graphlink_testkit::project::{cli_environment, device_connection, teams_project};
pub(crate) use graphlink_testkit::seed::{ADELE, DAEMON_SECRET, MEGAN};

/// The `graphlink` binary with nothing but `PATH` from this process's environment.
pub(crate) fn graphlink() -> tokio::process::Command {
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_graphlink"));
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    c
}

/// `graphlink --project DIR --cache-dir CACHE` with a clean environment.
pub(crate) fn graphlink_in(project: &Path, cache: &Path) -> tokio::process::Command {
    let mut c = graphlink();
    c.arg("--project")
        .arg(project)
        .arg("--cache-dir")
        .arg(cache);
    c
}

/// Output bytes as text.
pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
