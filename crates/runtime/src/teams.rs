//! The Teams service asset at run time: its channels and chats tables with macros resolved,
//! the [`TeamsNotifier`] that implements `SendMessage(Conversation, Content)` for workflow
//! notifications and `graphlink teams send` / `service test`, and the online check of
//! `graphlink project validate --online` ([`check_online`]).
//!
//! | task | call |
//! |---|---|
//! | a Teams service of a project, resolved | [`TeamsService::resolve`] |
//! | where a logical conversation goes | [`TeamsService::target`] → [`Target`] |
//! | send to a logical conversation | [`TeamsNotifier::connect`] + [`TeamsNotifier::post`] (or [`Notifier::send`]) |
//! | check every channel and chat against the tenant | [`check_online`], [`check_all_online`] |

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use graphlink_graph::teams::{
    ChatMessage, Conversation, MessageContent, TeamsClient, APP_ONLY_POSTING_HINT,
};

use crate::connect::{ResolvedConnection, ResolvedCredential};
use crate::macros::StaticValues;
use crate::model::{Service, ServiceKind};
use crate::notify::{Notifier, SentMessage};
use crate::problem::Problem;
use crate::project::Project;
use crate::secrets::SecretValue;
use crate::{Error, Result};

/// Where a logical conversation of a Teams service goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A channel: team name or id, channel name or id (`General` = the primary channel).
    Channel {
        /// Team name or id.
        team: String,
        /// Channel name or id.
        channel: String,
    },
    /// The chat with exactly these people (and the signed-in user), found or created.
    Chat {
        /// UPNs, e-mail addresses or display names.
        members: Vec<String>,
    },
}

impl Target {
    /// The Graph conversation, resolved on first use and remembered by `teams` (a chat that
    /// does not exist yet is created).
    pub async fn conversation(&self, teams: &TeamsClient) -> graphlink_graph::Result<Conversation> {
        match self {
            Target::Channel { team, channel } => teams.channel_conversation(team, channel).await,
            Target::Chat { members } => teams.chat_conversation(members).await,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Channel { team, channel } => {
                write!(f, "channel '{channel}' of team '{team}'")
            }
            Target::Chat { members } => write!(f, "chat with {}", members.join(", ")),
        }
    }
}

/// A Teams service asset with its macros resolved and its connection ready to use.
#[derive(Debug, Clone)]
pub struct TeamsService {
    /// The service asset's name.
    pub name: String,
    /// Its connection.
    pub connection: ResolvedConnection,
    /// Logical conversation names with their targets: channels first, then chats, in the
    /// order of the project files' tables.
    pub conversations: Vec<(String, Target)>,
}

impl TeamsService {
    /// Resolves Teams service `name` of `project` for use outside a node (`teams send`,
    /// `service test`, online checks): `${env:..}` from the process, `${lay:..}` from `stage`
    /// (or the default), `${sec:..}` decrypted with `secret_key` (or
    /// `GRAPHLINK_SECRET_KEY_FILE`) when the service or its connection uses secrets.
    pub fn resolve(
        project: &Project,
        name: &str,
        stage: Option<&str>,
        secret_key: Option<&Path>,
    ) -> Result<Self> {
        let service = teams_service(project, name)?;
        let ServiceKind::Teams { connection, .. } = &service.kind else {
            return Err(Error::Config(format!(
                "service '{name}' is not a Teams service"
            )));
        };
        let uses_secrets = |meta: &crate::model::AssetMeta| {
            meta.strings.iter().any(|(_, t, _)| t.contains("${sec:"))
        };
        let needs_secrets = uses_secrets(&service.meta)
            || project
                .connection(connection)
                .is_some_and(|c| uses_secrets(&c.meta));
        let secrets: Option<BTreeMap<String, SecretValue>> = if needs_secrets {
            let key = match secret_key {
                Some(p) => crate::secrets::KeyPair::read(p)?,
                None => crate::secrets::KeyPair::from_env()?.ok_or_else(|| {
                    Error::Secret(format!(
                        "service '{name}' uses ${{sec:..}}: give the private key file ({})",
                        crate::secrets::SECRET_KEY_ENV
                    ))
                })?,
            };
            Some(crate::secrets::decrypt_all(project, &key)?)
        } else {
            None
        };
        let lay = project
            .select_environment(stage)
            .map_err(Error::Config)?
            .map(|e| &e.values);
        let env = |n: &str| std::env::var(n).ok();
        let values = StaticValues {
            env: &env,
            lay,
            secrets: secrets.as_ref(),
        };
        Self::from_values(project, service, &values)
    }

    /// Resolves `service` (a Teams service of `project`) with `values`.
    pub(crate) fn from_values(
        project: &Project,
        service: &Service,
        values: &StaticValues<'_>,
    ) -> Result<Self> {
        let id = &service.meta.id;
        let ServiceKind::Teams {
            connection,
            channels,
            chats,
        } = &service.kind
        else {
            return Err(Error::Config(format!("{id} is not a Teams service")));
        };
        let c = project
            .connection(connection)
            .ok_or_else(|| Error::Config(format!("{id}: unknown connection '{connection}'")))?;
        let connection = ResolvedConnection::resolve(&project.dir, c, values)?;
        let r = |field: String, text: &str| crate::run::resolve_text(values, id, &field, text);
        let mut conversations = Vec::new();
        for e in channels {
            let target = Target::Channel {
                team: r(format!("channels.{}.team", e.name), &e.team)?,
                channel: r(format!("channels.{}.channel", e.name), &e.channel)?,
            };
            conversations.push((e.name.clone(), target));
        }
        for e in chats {
            let members = e
                .members
                .iter()
                .map(|m| r(format!("chats.{}.members", e.name), m))
                .collect::<Result<Vec<_>>>()?;
            conversations.push((e.name.clone(), Target::Chat { members }));
        }
        Ok(Self {
            name: id.name.clone(),
            connection,
            conversations,
        })
    }

    /// The logical conversation names, channels first.
    pub fn conversation_names(&self) -> Vec<&str> {
        self.conversations.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// Where logical conversation `name` goes (exact name, else the only one equal ignoring
    /// case). An unknown name is an error naming the service and listing the known ones.
    pub fn target(&self, name: &str) -> Result<&Target> {
        let wanted = name.trim();
        if let Some((_, t)) = self.conversations.iter().find(|(n, _)| n == wanted) {
            return Ok(t);
        }
        let loose: Vec<&Target> = self
            .conversations
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(wanted))
            .map(|(_, t)| t)
            .collect();
        match loose.as_slice() {
            [one] => Ok(one),
            _ => Err(Error::UnknownConversation {
                service: self.name.clone(),
                name: wanted.to_string(),
                known: self
                    .conversation_names()
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
            }),
        }
    }

    /// Whether the connection's credential is application-only (client secret or
    /// certificate): such connections cannot post to Teams.
    pub fn is_app_only(&self) -> bool {
        !matches!(self.connection.credential, ResolvedCredential::DeviceFlow)
    }

    /// Fails, without any request, when the connection cannot post (application
    /// credentials: Graph allows app-only posting only for migrations).
    pub fn ensure_can_post(&self) -> Result<()> {
        if self.is_app_only() {
            return Err(self.error(app_only_message(&self.connection)));
        }
        Ok(())
    }

    fn error(&self, message: impl Into<String>) -> Error {
        Error::Notify {
            service: self.name.clone(),
            message: message.into(),
        }
    }
}

/// Why connection `c` cannot post: its credential kind and [`APP_ONLY_POSTING_HINT`].
fn app_only_message(c: &ResolvedConnection) -> String {
    let kind = match c.credential {
        ResolvedCredential::ClientSecret(_) => "a client secret",
        ResolvedCredential::ClientCertificate { .. } => "a certificate",
        ResolvedCredential::DeviceFlow => "a signed-in user",
    };
    format!(
        "connection '{}' authenticates the application with {kind} (app-only); {APP_ONLY_POSTING_HINT}",
        c.name
    )
}

fn teams_service<'a>(project: &'a Project, name: &str) -> Result<&'a Service> {
    let service = project.service(name).ok_or_else(|| {
        Error::unknown_asset(
            "service",
            name,
            project.services.iter().map(|s| s.meta.id.name.as_str()),
        )
    })?;
    match service.kind {
        ServiceKind::Teams { .. } => Ok(service),
        ServiceKind::Log => Err(Error::Config(format!(
            "service '{name}' is a log service, not a Teams service"
        ))),
    }
}

/// The message for notification text: HTML when it starts with `<`, plain text otherwise.
pub fn content_of(text: &str) -> MessageContent {
    if text.trim_start().starts_with('<') {
        MessageContent::html(text)
    } else {
        MessageContent::text(text)
    }
}

/// Sends messages to the logical conversations of a Teams service: `SendMessage(Conversation,
/// Content)`. Conversations are resolved once (the chat found or created on first use) and
/// remembered by the [`TeamsClient`], whose pacing keeps a burst of notifications in order.
#[derive(Debug, Clone)]
pub struct TeamsNotifier {
    service: Arc<TeamsService>,
    teams: TeamsClient,
}

impl TeamsNotifier {
    /// A notifier for `service` posting through `teams` (share one [`TeamsClient`] per
    /// connection, so every sender keeps one pace).
    pub fn new(service: TeamsService, teams: TeamsClient) -> Self {
        Self {
            service: Arc::new(service),
            teams,
        }
    }

    /// A notifier with its own Graph client for the service's connection (`cache_dir` holds
    /// device-flow sign-ins).
    pub fn connect(service: TeamsService, cache_dir: &Path) -> Result<Self> {
        let graph = service.connection.graph_client(cache_dir)?;
        Ok(Self::new(service, TeamsClient::new(graph)))
    }

    /// The service.
    pub fn service(&self) -> &TeamsService {
        &self.service
    }

    /// The Teams client.
    pub fn teams(&self) -> &TeamsClient {
        &self.teams
    }

    /// Sends `content` to logical conversation `conversation` and returns the created message
    /// (id, time, web URL). App-only connections fail before any request.
    pub async fn post(&self, conversation: &str, content: &MessageContent) -> Result<ChatMessage> {
        self.service.ensure_can_post()?;
        let target = self.service.target(conversation)?;
        let fail = |e: graphlink_graph::Error| {
            Error::graph(
                format!(
                    "notification through '{}': conversation '{}' ({target})",
                    self.service.name,
                    conversation.trim()
                ),
                e,
            )
        };
        let to = target.conversation(&self.teams).await.map_err(fail)?;
        self.teams.send(&to, content).await.map_err(fail)
    }
}

#[async_trait::async_trait]
impl Notifier for TeamsNotifier {
    async fn send(&self, conversation: &str, content: &str) -> Result<SentMessage> {
        let sent = self.post(conversation, &content_of(content)).await?;
        Ok(SentMessage {
            id: sent.id,
            web_url: sent.web_url,
        })
    }
}

/// The node's Teams notifiers: one [`TeamsClient`] per connection, shared by every service
/// using it.
#[derive(Debug)]
pub(crate) struct TeamsNotifiers {
    cache_dir: PathBuf,
    clients: HashMap<String, TeamsClient>,
}

impl TeamsNotifiers {
    /// Notifiers whose device-flow sign-ins are in `cache_dir`.
    pub(crate) fn new(cache_dir: PathBuf) -> Self {
        Self {
            cache_dir,
            clients: HashMap::new(),
        }
    }

    /// The notifier of Teams service `service`, its static macros resolved with `values`.
    pub(crate) fn notifier(
        &mut self,
        project: &Project,
        service: &Service,
        values: &StaticValues<'_>,
    ) -> Result<Arc<dyn Notifier>> {
        let resolved = TeamsService::from_values(project, service, values)?;
        let teams = match self.clients.get(&resolved.connection.name) {
            Some(t) => t.clone(),
            None => {
                let t = TeamsClient::new(resolved.connection.graph_client(&self.cache_dir)?);
                self.clients
                    .insert(resolved.connection.name.clone(), t.clone());
                t
            }
        };
        Ok(Arc::new(TeamsNotifier::new(resolved, teams)))
    }
}

/// Checks every channel and chat of Teams service `service` against the tenant (for
/// `graphlink project validate --online`): teams and channels must resolve, chat members
/// must be users of the tenant (a missing chat is fine: it is created on first use). Returns
/// the problems found, each with the file, line, asset and field; nothing is created or
/// posted. `cache_dir` holds device-flow sign-ins.
pub async fn check_online(
    project: &Project,
    service: &str,
    stage: Option<&str>,
    secret_key: Option<&Path>,
    cache_dir: &Path,
) -> Vec<Problem> {
    let Some(asset) = project.service(service) else {
        return vec![Problem {
            location: Default::default(),
            asset: None,
            field: None,
            message: format!("no service '{service}' in the project"),
        }];
    };
    let problem = |field: Option<&str>, message: String| Problem {
        location: match field {
            Some(f) => asset.meta.field_location(f),
            None => asset.meta.location.clone(),
        },
        asset: Some(asset.meta.id.to_string()),
        field: field.map(str::to_string),
        message,
    };
    if !matches!(asset.kind, ServiceKind::Teams { .. }) {
        return Vec::new();
    }
    let resolved = match TeamsService::resolve(project, service, stage, secret_key) {
        Ok(r) => r,
        Err(e) => return vec![problem(None, format!("cannot check online: {e}"))],
    };
    if resolved.is_app_only() {
        return vec![problem(
            Some("connection"),
            format!(
                "not checked online: {}",
                app_only_message(&resolved.connection)
            ),
        )];
    }
    let teams = match resolved.connection.graph_client(cache_dir) {
        Ok(g) => TeamsClient::new(g),
        Err(e) => return vec![problem(Some("connection"), format!("cannot connect: {e}"))],
    };
    check_with(&resolved, &teams, &problem).await
}

/// [`check_online`] for every Teams service of the project.
pub async fn check_all_online(
    project: &Project,
    stage: Option<&str>,
    secret_key: Option<&Path>,
    cache_dir: &Path,
) -> Vec<Problem> {
    let mut out = Vec::new();
    for s in &project.services {
        if matches!(s.kind, ServiceKind::Teams { .. }) {
            out.extend(check_online(project, &s.meta.id.name, stage, secret_key, cache_dir).await);
        }
    }
    out
}

async fn check_with(
    service: &TeamsService,
    teams: &TeamsClient,
    problem: &dyn Fn(Option<&str>, String) -> Problem,
) -> Vec<Problem> {
    let mut out = Vec::new();
    if let Err(e) = teams.me().await {
        out.push(problem(
            Some("connection"),
            format!(
                "cannot check online with connection '{}': {e}",
                service.connection.name
            ),
        ));
        return out;
    }
    for (name, target) in &service.conversations {
        match target {
            Target::Channel { team, channel } => match teams.resolve_team(team).await {
                Err(e) => out.push(problem(
                    Some(&format!("channels.{name}.team")),
                    e.to_string(),
                )),
                Ok(t) => {
                    if let Err(e) = teams.resolve_channel(&t.id, channel).await {
                        out.push(problem(
                            Some(&format!("channels.{name}.channel")),
                            e.to_string(),
                        ));
                    }
                }
            },
            Target::Chat { members } => {
                for m in members {
                    if let Err(e) = teams.user(m).await {
                        out.push(problem(
                            Some(&format!("chats.{name}.members")),
                            e.to_string(),
                        ));
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_recognised_by_its_first_character() {
        assert!(content_of("  <b>done</b>").is_html());
        assert!(!content_of("done: a < b").is_html());
    }
}
