//! `graphlink teams list | send` and `graphlink service test`: what a connection sees in
//! Teams, sending a message (through a project's Teams service or straight to a team's channel
//! or a chat), and calling a service function by hand.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{ArgGroup, Args, Subcommand};
use graphlink_graph::teams::{
    describe_chat, ChatMessage, Conversation, MessageContent, TeamsOverview, User,
    APP_ONLY_POSTING_HINT,
};
use graphlink_runtime::model::ServiceKind;
use graphlink_runtime::notify::{LogNotifier, Notifier};
use graphlink_runtime::teams::{content_of, TeamsService};
use graphlink_runtime::Project;
use serde_json::{json, Value};

use crate::connection::ConnectionArgs;
use crate::error::CliError;
use crate::output::Output;

/// `graphlink teams ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum TeamsCommand {
    /// Show the teams (with their channels) and the chats (with their members) the
    /// connection's signed-in user can see.
    List,
    /// Send a message: to a logical conversation of a project's Teams service
    /// (`--service NAME --conversation NAME`), to a team's channel (`--team T --channel C`)
    /// or to the chat with some people (`--chat a@x,b@y`, found or created).
    Send(SendArgs),
}

/// `graphlink teams send`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("to").required(true).args(["service", "team", "chat"])))]
pub(crate) struct SendArgs {
    /// The Teams service asset of the project (`--project DIR`).
    #[arg(long, requires = "conversation")]
    pub service: Option<String>,
    /// The service's logical conversation (a channel or chat name of the service).
    #[arg(long, requires = "service")]
    pub conversation: Option<String>,
    /// A team, by name or id (with `--channel`), using the global connection.
    #[arg(long, requires = "channel")]
    pub team: Option<String>,
    /// A channel of `--team`, by name or id (`General` = the team's primary channel).
    #[arg(long, requires = "team")]
    pub channel: Option<String>,
    /// Reply in the thread of this channel message id instead of starting a thread.
    #[arg(long, requires = "team", value_name = "MESSAGE_ID")]
    pub reply_to: Option<String>,
    /// The chat with exactly these people (UPNs or names, comma separated) and the signed-in
    /// user; created when there is none.
    #[arg(long, value_delimiter = ',', value_name = "PEOPLE")]
    pub chat: Vec<String>,
    /// The message (`-` reads it from stdin). Text, or HTML when it starts with `<`.
    #[arg(long)]
    pub content: String,
    /// Send the content as HTML whatever it starts with.
    #[arg(long)]
    pub html: bool,
}

/// `graphlink service ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum ServiceCommand {
    /// Call a function of a project's service by hand and print the result (the service
    /// test), e.g. `service test teams SendMessage --param Conversation="Ops Alerts"
    /// --param Content="hello"`.
    Test {
        /// The service asset.
        name: String,
        /// The function (Teams and log services: `SendMessage`).
        function: String,
        /// A parameter as `KEY=VALUE` (repeatable; SendMessage: Conversation, Content).
        #[arg(long = "param", value_name = "KEY=VALUE")]
        params: Vec<String>,
    },
}

/// Runs a Teams command.
pub(crate) async fn run(
    command: TeamsCommand,
    conn: &ConnectionArgs,
    out: Output,
) -> anyhow::Result<ExitCode> {
    match command {
        TeamsCommand::List => list(conn, out).await,
        TeamsCommand::Send(args) => send(args, conn, out).await,
    }
}

/// Runs a service command.
pub(crate) async fn service(
    command: ServiceCommand,
    conn: &ConnectionArgs,
    out: Output,
) -> anyhow::Result<ExitCode> {
    match command {
        ServiceCommand::Test {
            name,
            function,
            params,
        } => service_test(&name, &function, &params, conn, out).await,
    }
}

/// Why an app-only connection cannot post (exit 4).
fn app_only_refusal(connection: &str) -> CliError {
    CliError::Auth(format!("connection '{connection}' authenticates the application only (client secret or certificate); {APP_ONLY_POSTING_HINT}"))
}

async fn list(conn: &ConnectionArgs, out: Output) -> anyhow::Result<ExitCode> {
    let conn = conn.connect()?;
    if conn.is_app_only() {
        return Err(CliError::Auth(format!(
            "connection '{}' authenticates the application only: the teams and chats a connection sees need a signed-in user (use a device-flow connection and graphlink auth login)",
            conn.name()
        ))
        .into());
    }
    let teams = conn.graph()?.teams();
    let me = teams.me().await?;
    let overview = teams.overview().await?;
    out.result(&overview_json(&overview, &me), || {
        overview_text(&overview, &me)
    });
    Ok(ExitCode::SUCCESS)
}

fn overview_json(o: &TeamsOverview, me: &User) -> Value {
    json!({
        "teams": o.teams.iter().map(|t| json!({
            "id": t.team.id,
            "displayName": t.team.display_name,
            "description": t.team.description,
            "channels": t.channels.iter().map(|c| json!({
                "id": c.id,
                "displayName": c.display_name,
                "primary": t.primary_channel_id.as_deref() == Some(c.id.as_str()),
                "membershipType": c.membership_type,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "chats": o.chats.iter().map(|c| json!({
            "id": c.id,
            "chatType": c.chat_type,
            "topic": c.topic,
            "label": describe_chat(c, me),
            "members": c.members.iter().flatten().map(|m| json!({
                "displayName": m.display_name,
                "email": m.email,
                "userId": m.user_id,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// Rows padded to the widest cell of each column.
fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if i + 1 == r.len() {
                        c.clone()
                    } else {
                        format!("{c:<w$}", w = widths[i])
                    }
                })
                .collect();
            cells.join("  ").trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn overview_text(o: &TeamsOverview, me: &User) -> String {
    let mut rows = vec![vec![
        "TEAM / CHANNEL".to_string(),
        "ID".to_string(),
        String::new(),
    ]];
    for t in &o.teams {
        rows.push(vec![
            t.team.display_name.clone(),
            t.team.id.clone(),
            String::new(),
        ]);
        for c in &t.channels {
            let primary = t.primary_channel_id.as_deref() == Some(c.id.as_str());
            rows.push(vec![
                format!("  {}", c.display_name),
                c.id.clone(),
                if primary {
                    "(General)".into()
                } else {
                    String::new()
                },
            ]);
        }
    }
    if o.teams.is_empty() {
        rows.push(vec!["(no teams)".into()]);
    }
    let mut text = table(&rows);
    let mut chats = vec![vec![
        "CHAT".to_string(),
        "TYPE".to_string(),
        "ID".to_string(),
        "MEMBERS".to_string(),
    ]];
    for c in &o.chats {
        let members: Vec<String> = c
            .members
            .iter()
            .flatten()
            .map(|m| {
                m.email
                    .clone()
                    .or_else(|| m.display_name.clone())
                    .unwrap_or_default()
            })
            .collect();
        chats.push(vec![
            describe_chat(c, me),
            c.chat_type.clone().unwrap_or_default(),
            c.id.clone(),
            members.join(", "),
        ]);
    }
    if o.chats.is_empty() {
        chats.push(vec!["(no chats)".into()]);
    }
    text.push_str("\n\n");
    text.push_str(&table(&chats));
    text
}

fn message_content(text: &str, html: bool) -> anyhow::Result<MessageContent> {
    let text = if text == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading the message from stdin")?;
        s
    } else {
        text.to_string()
    };
    Ok(if html {
        MessageContent::html(text)
    } else {
        content_of(&text)
    })
}

fn message_json(m: &ChatMessage, to: &str) -> Value {
    json!({
        "conversation": to,
        "id": m.id,
        "createdDateTime": m.created_date_time.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
        "webUrl": m.web_url,
        "chatId": m.chat_id,
        "channelIdentity": m.channel_identity.as_ref().map(|c| json!({"teamId": c.team_id, "channelId": c.channel_id})),
    })
}

fn message_text(v: &Value) -> String {
    let s = |k: &str| v[k].as_str().unwrap_or("-").to_string();
    format!(
        "Sent to {}: message {} at {}\n{}",
        s("conversation"),
        s("id"),
        s("createdDateTime"),
        s("webUrl")
    )
}

fn project_of(conn: &ConnectionArgs) -> anyhow::Result<(PathBuf, Project)> {
    let dir = conn.project.clone().unwrap_or_else(|| PathBuf::from("."));
    let project =
        Project::load(&dir).with_context(|| format!("loading the project in {}", dir.display()))?;
    Ok((dir, project))
}

/// Posts `content` to `conversation` of the project's Teams service `name`.
async fn send_via_service(
    name: &str,
    conversation: &str,
    content: &MessageContent,
    conn: &ConnectionArgs,
) -> anyhow::Result<ChatMessage> {
    let (_, project) = project_of(conn)?;
    let service = match project.service(name) {
        Some(s) if matches!(s.kind, ServiceKind::Teams { .. }) => TeamsService::resolve(
            &project,
            name,
            conn.stage.as_deref(),
            conn.secret_key.as_deref(),
        )?,
        Some(_) => {
            return Err(CliError::Usage(format!("service '{name}' is not a Teams service")).into())
        }
        None => return Err(unknown_service(&project, name).into()),
    };
    if service.is_app_only() {
        return Err(app_only_refusal(&service.connection.name).into());
    }
    let target = service.target(conversation)?.clone();
    let teams = conn.connect_resolved(&service.connection)?.graph()?.teams();
    let to = match target.conversation(&teams).await {
        Ok(to) => to,
        Err(e @ graphlink_graph::Error::Resolve { .. }) => {
            return Err(anyhow::Error::new(e)
                .context(format!("service '{name}', conversation '{conversation}'")))
        }
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!(
                "service '{name}', conversation '{conversation}' ({target})"
            )))
        }
    };
    teams
        .send(&to, content)
        .await
        .with_context(|| format!("service '{name}': sending to '{conversation}'"))
}

/// "No service `name` in the project", with the known ones (exit 3).
fn unknown_service(project: &Project, name: &str) -> graphlink_runtime::Error {
    graphlink_runtime::Error::unknown_asset(
        "service",
        name,
        project.services.iter().map(|s| s.meta.id.name.as_str()),
    )
}

async fn send(args: SendArgs, conn: &ConnectionArgs, out: Output) -> anyhow::Result<ExitCode> {
    let content = message_content(&args.content, args.html)?;
    let (sent, to) = if let (Some(name), Some(conversation)) = (&args.service, &args.conversation) {
        let sent = send_via_service(name, conversation, &content, conn).await?;
        (sent, conversation.clone())
    } else {
        let c = conn.connect()?;
        if c.is_app_only() {
            return Err(app_only_refusal(c.name()).into());
        }
        let teams = c.graph()?.teams();
        let (resolved, to) = if let (Some(team), Some(channel)) = (&args.team, &args.channel) {
            let r = teams.resolve_channel(team, channel).await;
            let label = format!("channel '{channel}' of team '{team}'");
            (
                r.map(|r| match &args.reply_to {
                    Some(id) => r.thread(id.clone()),
                    None => r.conversation(),
                }),
                label,
            )
        } else {
            let r = teams
                .find_or_create_chat(&args.chat)
                .await
                .map(|c| Conversation::Chat { chat_id: c.id });
            (r, format!("chat with {}", args.chat.join(", ")))
        };
        let dest = match resolved {
            Ok(d) => d,
            Err(e @ graphlink_graph::Error::Resolve { .. }) => return Err(e.into()),
            Err(e) => return Err(anyhow::Error::new(e).context(to)),
        };
        let sent = teams
            .send(&dest, &content)
            .await
            .with_context(|| format!("sending to {to}"))?;
        (sent, to)
    };
    let v = message_json(&sent, &to);
    out.result(&v, || message_text(&v));
    Ok(ExitCode::SUCCESS)
}

/// The parameters of a function call, as given (`KEY=VALUE`, split at the first `=`).
fn parse_params(params: &[String]) -> Result<Vec<(String, String)>, CliError> {
    params
        .iter()
        .map(|p| match p.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
            _ => Err(CliError::Usage(format!("parameter '{p}' is not KEY=VALUE"))),
        })
        .collect()
}

async fn service_test(
    name: &str,
    function: &str,
    params: &[String],
    conn: &ConnectionArgs,
    out: Output,
) -> anyhow::Result<ExitCode> {
    let (_, project) = project_of(conn)?;
    let Some(service) = project.service(name) else {
        return Err(unknown_service(&project, name).into());
    };
    let kind = match service.kind {
        ServiceKind::Teams { .. } => "teams",
        ServiceKind::Log => "log",
    };
    if !function.eq_ignore_ascii_case("SendMessage") {
        return Err(CliError::Usage(format!(
            "service '{name}' ({kind}) has no function '{function}' (functions: SendMessage)"
        ))
        .into());
    }
    let params = parse_params(params)?;
    let mut conversation = None;
    let mut content = None;
    for (k, v) in &params {
        match k.to_ascii_lowercase().as_str() {
            "conversation" => conversation = Some(v.clone()),
            "content" => content = Some(v.clone()),
            _ => {
                return Err(CliError::Usage(format!(
                    "SendMessage has no parameter '{k}' (parameters: Conversation, Content)"
                ))
                .into())
            }
        }
    }
    let (Some(conversation), Some(content)) = (conversation, content) else {
        return Err(CliError::Usage(
            "SendMessage needs --param Conversation=NAME and --param Content=TEXT".into(),
        )
        .into());
    };
    let call = json!({"Conversation": conversation, "Content": content});
    let result = match service.kind {
        ServiceKind::Teams { .. } => {
            let sent = send_via_service(name, &conversation, &content_of(&content), conn).await?;
            message_json(&sent, &conversation)
        }
        ServiceKind::Log => {
            let sent = LogNotifier::new(name)
                .send(&conversation, &content)
                .await
                .with_context(|| format!("service '{name}': SendMessage"))?;
            json!({"conversation": conversation, "id": sent.id, "webUrl": sent.web_url, "logged": content})
        }
    };
    let v = json!({"service": name, "type": kind, "function": "SendMessage", "params": call, "result": result});
    out.result(&v, || {
        let mut text = format!("SendMessage on service '{name}' ({kind}) returned:");
        for key in [
            "conversation",
            "id",
            "createdDateTime",
            "webUrl",
            "chatId",
            "logged",
        ] {
            if let Some(val) = v["result"][key].as_str() {
                text.push_str(&format!("\n  {key}: {val}"));
            }
        }
        text
    });
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_split_at_the_first_equals_sign() {
        let p = parse_params(&["Content=a=b".into(), " Conversation =Ops".into()]).unwrap();
        assert_eq!(
            p,
            [
                ("Content".to_string(), "a=b".to_string()),
                ("Conversation".to_string(), "Ops".to_string())
            ]
        );
        assert!(parse_params(&["novalue".into()]).is_err());
        assert!(parse_params(&["=x".into()]).is_err());
    }

    #[test]
    fn tables_pad_every_column_but_the_last() {
        let t = table(&[
            vec!["a".into(), "bbb".into(), "c".into()],
            vec!["dddd".into(), "e".into(), String::new()],
        ]);
        assert_eq!(t, "a     bbb  c\ndddd  e");
    }
}
