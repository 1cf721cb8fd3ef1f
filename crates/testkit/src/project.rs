//! TOML builders for projects that use the emulator.

use crate::seed::{DAEMON_APP_ID, TENANT_ID};

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
