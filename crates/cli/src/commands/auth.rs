//! `graphlink auth login | status | logout | token` and `graphlink connection test`.

use std::process::ExitCode;

use anyhow::Context;
use base64::Engine;
use graphlink_identity::ConnectionCredential;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::args::AuthCommand;
use crate::connection::Connection;
use crate::output::{rfc3339, Output};

/// Runs an `auth` subcommand.
pub(super) async fn run(
    command: AuthCommand,
    conn: Connection,
    out: Output,
) -> anyhow::Result<ExitCode> {
    match command {
        AuthCommand::Login => login(conn, out).await,
        AuthCommand::Status { show_token } => status(conn, out, show_token).await,
        AuthCommand::Logout => {
            let removed = graphlink_identity::logout(&conn.config, &conn.cache_dir)?;
            out.result(
                &json!({"connection": conn.config.name, "signed_out": removed}),
                || {
                    if removed {
                        format!("Signed out of connection '{}'.", conn.config.name)
                    } else {
                        format!("Connection '{}' had no stored sign-in.", conn.config.name)
                    }
                },
            );
            Ok(ExitCode::SUCCESS)
        }
        AuthCommand::Token => {
            let token = conn.tokens()?.token().await?;
            // For scripts: the token alone on stdout, nothing else.
            println!("{}", token.secret());
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn login(conn: Connection, out: Output) -> anyhow::Result<ExitCode> {
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        crate::commands::emulator::shutdown_signal().await;
        on_signal.cancel();
    });
    let json_mode = out.json;
    let account = graphlink_identity::device_login(
        &conn.config,
        conn.http.clone(),
        conn.sender.clone(),
        &conn.cache_dir,
        |prompt| {
            if json_mode {
                println!(
                    "{}",
                    json!({"verification_uri": prompt.verification_uri, "user_code": prompt.user_code, "message": prompt.message})
                );
            } else {
                eprintln!("{}", prompt.message);
            }
        },
        &cancel,
    )
    .await?;
    out.result(
        &json!({"connection": conn.config.name, "account": account.label()}),
        || {
            format!(
                "Signed in as {} for connection '{}'.",
                account.label(),
                conn.config.name
            )
        },
    );
    Ok(ExitCode::SUCCESS)
}

async fn status(conn: Connection, out: Output, show_token: bool) -> anyhow::Result<ExitCode> {
    let token = conn.tokens()?.token().await?;
    let claims = token_claims(token.secret());
    let who = claims
        .get("upn")
        .or_else(|| claims.get("preferred_username"))
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| format!("app {}", conn.config.client_id));
    let permissions: Vec<String> = match claims.get("scp").and_then(|v| v.as_str()) {
        Some(scp) => scp.split(' ').map(str::to_string).collect(),
        None => claims
            .get("roles")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    };
    let kind = match conn.config.credential {
        ConnectionCredential::ClientSecret(_) => "client-secret",
        ConnectionCredential::ClientCertificate(_) => "client-certificate",
        ConnectionCredential::DeviceFlow => "device-flow",
    };
    let mut value = json!({
        "connection": conn.config.name,
        "credential": kind,
        "authority": conn.config.authority.url(),
        "client_id": conn.config.client_id,
        "who": who,
        "permissions": permissions,
        "expires_at": rfc3339(token.expires_at),
    });
    if show_token {
        value["access_token"] = json!(token.secret());
    }
    out.result(&value, || {
        let mut text = format!(
            "connection:  {}\ncredential:  {kind}\nauthority:   {}\nsigned in:   {who}\npermissions: {}\nexpires:     {}",
            conn.config.name,
            conn.config.authority.url(),
            permissions.join(" "),
            rfc3339(token.expires_at)
        );
        if show_token {
            text.push_str(&format!("\naccess token: {}", token.secret()));
        }
        text
    });
    Ok(ExitCode::SUCCESS)
}

/// Runs the connection test: a token, then one harmless Graph call.
pub(super) async fn test(conn: Connection, out: Output) -> anyhow::Result<ExitCode> {
    let token = conn
        .tokens()?
        .token()
        .await
        .with_context(|| format!("connection '{}': could not get a token", conn.config.name))?;
    let delegated = token_claims(token.secret()).get("scp").is_some();
    let path = if delegated {
        "/me/drive"
    } else {
        "/sites/root"
    };
    let graph = conn.graph()?;
    let result: Result<serde_json::Value, _> = graph.get_json(path).await;
    match result {
        Ok(body) => {
            let name = body
                .get("name")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string();
            out.result(
                &json!({"connection": conn.config.name, "ok": true, "token_expires_at": rfc3339(token.expires_at), "graph_call": path, "graph_result": name}),
                || {
                    format!(
                        "Connection '{}' works: token obtained (expires {}), GET {path} answered ({name}).",
                        conn.config.name,
                        rfc3339(token.expires_at)
                    )
                },
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!(
            "connection '{}': token obtained, but GET {path} failed",
            conn.config.name
        ))),
    }
}

/// The claims of a JWT, decoded for display only (the signature is the server's business).
fn token_claims(token: &str) -> serde_json::Map<String, serde_json::Value> {
    token
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p.trim_end_matches('='))
                .ok()
        })
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default()
}
