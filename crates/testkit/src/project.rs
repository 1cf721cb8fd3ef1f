//! TOML builders for projects that use the emulator.

use crate::seed::{DAEMON_APP_ID, MEGAN, PUBLIC_APP_ID, TENANT_DOMAIN, TENANT_ID};

/// A `[connection.NAME]` for the emulator's daemon app (client secret), trusting its CA;
/// `secret` is the TOML value of `client_secret` (a macro such as `${env:VAR}`, or the secret).
pub fn emulator_connection(
    name: &str,
    emu: &graphlink_emulator::RunningEmulator,
    secret: &str,
) -> String {
    format!(
        r#"
[connection.{name}]
cloud = "custom"
authority_host = "{base}"
graph_url = "{base}"
tenant = "{TENANT_ID}"
client_id = "{DAEMON_APP_ID}"
credential = "client-secret"
client_secret = "{secret}"
ca_certificate = "{ca}"
"#,
        base = emu.base_url(),
        ca = emu
            .ca_cert_path()
            .expect("the emulator serves TLS")
            .display(),
    )
}

/// A `[connection.NAME]` for the emulator's public app (device flow) with `scopes`, trusting
/// its CA (sign in with `graphlink auth login`).
pub fn device_connection(
    name: &str,
    emu: &graphlink_emulator::RunningEmulator,
    scopes: &[&str],
) -> String {
    let scopes: Vec<String> = scopes.iter().map(|s| format!("\"{s}\"")).collect();
    format!(
        r#"
[connection.{name}]
cloud = "custom"
authority_host = "{base}"
graph_url = "{base}"
tenant = "{TENANT_DOMAIN}"
client_id = "{PUBLIC_APP_ID}"
credential = "device-flow"
scopes = [{scopes}]
ca_certificate = "{ca}"
"#,
        base = emu.base_url(),
        scopes = scopes.join(", "),
        ca = emu
            .ca_cert_path()
            .expect("the emulator serves TLS")
            .display(),
    )
}

/// The environment that points graphlink's CLI at the emulator's daemon app without a project
/// (`AZURE_*` and `GRAPHLINK_*` variables; `secret` is the client secret to use).
pub fn cli_environment(
    emu: &graphlink_emulator::RunningEmulator,
    secret: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("AZURE_TENANT_ID", TENANT_ID.to_string()),
        ("AZURE_CLIENT_ID", DAEMON_APP_ID.to_string()),
        ("AZURE_CLIENT_SECRET", secret.to_string()),
        ("AZURE_AUTHORITY_HOST", emu.base_url().to_string()),
        ("GRAPHLINK_GRAPH_BASE", emu.base_url().to_string()),
        (
            "GRAPHLINK_CA_CERT",
            emu.ca_cert_path()
                .expect("the emulator serves TLS")
                .display()
                .to_string(),
        ),
    ]
}

/// The delegated scopes a Teams-posting device-flow connection asks for.
pub const TEAMS_SCOPES: &[&str] = &[
    "User.Read",
    "ChannelMessage.Send",
    "ChatMessage.Send",
    "Team.ReadBasic.All",
    "Channel.ReadBasic.All",
    "Chat.ReadWrite",
    "offline_access",
];

/// Connections `adele` (device flow with [`TEAMS_SCOPES`]) and `daemon` (client secret given
/// as the TOML value `daemon_secret`), and the Teams services on them: `teams` (Adele: the
/// Finance team's "Ops Alerts" and "General" channels as "Ops Alerts" and "Finance General",
/// a chat "Megan") and `daemon-teams` (the daemon: "Ops Alerts").
pub fn teams_project(emu: &graphlink_emulator::RunningEmulator, daemon_secret: &str) -> String {
    device_connection("adele", emu, TEAMS_SCOPES)
        + &emulator_connection("daemon", emu, daemon_secret)
        + &format!(
            r#"
[service.teams]
type = "teams"
connection = "adele"
[service.teams.channels."Ops Alerts"]
team = "Finance"
channel = "Ops Alerts"
[service.teams.channels."Finance General"]
team = "Finance"
channel = "General"
[service.teams.chats."Megan"]
members = ["{MEGAN}"]

[service.daemon-teams]
type = "teams"
connection = "daemon"
[service.daemon-teams.channels."Ops Alerts"]
team = "Finance"
channel = "Ops Alerts"
"#
        )
}
