//! The Teams service asset against the emulator over HTTPS, with a device-flow connection
//! signed in through the emulator's real device flow: the notifier posts to a named channel,
//! the "General" channel and a chat (created on first use); app-only connections and unknown
//! conversations fail clearly; `check_online` resolves every entry against the tenant; and a
//! workflow's notification reaches the channel.

use std::path::{Path, PathBuf};
use std::time::Duration;

use graphlink_emulator::{Emulator, EmulatorOptions, RunningEmulator};
use graphlink_graph::teams::MessageContent;
use graphlink_http::{ClientOptions, Sender};
use graphlink_identity::DeviceCodePrompt;
use graphlink_runtime::notify::Notifier;
use graphlink_runtime::teams::{check_online, TeamsNotifier, TeamsService};
use graphlink_runtime::{Node, NodeOptions, Project};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use graphlink_testkit::seed::{ADELE, MEGAN};

/// Hang guard for whole tests.
async fn guard<T>(fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(180), fut)
        .await
        .expect("hang guard: the test took more than 180 s")
}

struct Env {
    emu: RunningEmulator,
    http: reqwest::Client,
    tmp: tempfile::TempDir,
}

impl Env {
    async fn start() -> Env {
        let emu = Emulator::start(EmulatorOptions::default()).await.unwrap();
        let http = ClientOptions::default()
            .trust_ca_file(emu.ca_cert_path().unwrap())
            .unwrap()
            .build()
            .unwrap();
        let env = Env {
            emu,
            http,
            tmp: tempfile::tempdir().unwrap(),
        };
        let r = env
            .http
            .put(format!("{}/_emulator/settings", env.emu.base_url()))
            .json(&json!({"device_code_interval_secs": 1}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
        std::fs::create_dir_all(env.project_dir()).unwrap();
        std::fs::create_dir_all(env.data()).unwrap();
        env
    }

    fn project_dir(&self) -> PathBuf {
        self.tmp.path().join("project")
    }

    fn data(&self) -> PathBuf {
        self.tmp.path().join("data")
    }

    fn cache(&self) -> PathBuf {
        self.tmp.path().join("cache")
    }

    /// Writes the project: connections `adele` (device flow) and `daemon` (client secret),
    /// Teams services `teams`, `daemon-teams` and `typos`, plus `extra` TOML.
    fn write_project(&self, extra: &str) -> Project {
        let toml = format!(
            r#"
[environment.test.values]
daemon_secret = "emulator-client-secret"

{teams}
[service.typos]
type = "teams"
connection = "adele"
[service.typos.channels."Payroll"]
team = "Finance"
channel = "Payroll"
[service.typos.channels."Marketing"]
team = "Marketing"
[service.typos.chats."Nobody"]
members = ["nobody@contoso.onmicrosoft.com"]
{extra}
"#,
            teams = graphlink_testkit::project::teams_project(&self.emu, "${lay:daemon_secret}"),
            extra = extra.replace("{data}", &self.data().display().to_string()),
        );
        std::fs::write(self.project_dir().join("project.toml"), toml).unwrap();
        Project::load(self.project_dir()).unwrap()
    }

    /// Signs Adele in for connection `adele` through the device flow; the emulator approves
    /// the code as its device login page would.
    async fn sign_in(&self, project: &Project) {
        let conn = graphlink_runtime::resolve_connection(project, "adele", None, None).unwrap();
        let emulator = self.emu.state().clone();
        graphlink_identity::device_login(
            &conn.identity_config().unwrap(),
            self.http.clone(),
            Sender::default(),
            &self.cache(),
            move |p: &DeviceCodePrompt| {
                emulator
                    .decide_device_code(&p.user_code, ADELE, true)
                    .expect("device code approved");
            },
            &CancellationToken::new(),
        )
        .await
        .expect("device login");
    }

    /// `GET /_emulator/teams/messages`.
    async fn posted(&self) -> Value {
        self.http
            .get(format!("{}/_emulator/teams/messages", self.emu.base_url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// The bodies of a channel's messages, by team and channel display name.
fn channel_bodies(posted: &Value, team: &str, channel: &str) -> Vec<String> {
    posted["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["team"] == team && c["channel"] == channel)
        .and_then(|c| c["messages"].as_array())
        .expect("channel listed")
        .iter()
        .map(body)
        .collect()
}

fn body(m: &Value) -> String {
    m["body"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn notifier(project: &Project, service: &str, cache: &Path) -> TeamsNotifier {
    let service = TeamsService::resolve(project, service, None, None).unwrap();
    TeamsNotifier::connect(service, cache).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notifier_posts_to_named_channels_general_and_a_chat() {
    let env = Env::start().await;
    let project = env.write_project("");
    env.sign_in(&project).await;
    guard(async {
        // Nothing is wrong with the service, and checking it online creates nothing.
        let problems = check_online(&project, "teams", None, None, &env.cache()).await;
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(env.posted().await["chats"].as_array().unwrap().len(), 0);

        let n = notifier(&project, "teams", &env.cache());
        let sent = n.send("Ops Alerts", "invoices.csv failed").await.unwrap();
        assert!(!sent.id.is_empty());
        assert!(sent.web_url.is_some());
        n.send("Finance General", "<p>Archived <b>5</b> invoices</p>")
            .await
            .unwrap();
        // The chat does not exist yet: it is created, then reused.
        n.send("Megan", "first").await.unwrap();
        let full = n
            .post("megan", &MessageContent::text("second"))
            .await
            .unwrap();
        assert!(full.created_date_time.is_some());

        let posted = env.posted().await;
        assert_eq!(
            channel_bodies(&posted, "Finance", "Ops Alerts"),
            ["invoices.csv failed"]
        );
        let general = posted["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["team"] == "Finance" && c["primary"] == true)
            .unwrap();
        let m = &general["messages"][0];
        assert_eq!(m["body"]["contentType"], "html");
        assert!(body(m).contains("<b>5</b>"), "{m}");
        let chats = posted["chats"].as_array().unwrap();
        assert_eq!(chats.len(), 1, "one chat created and reused: {chats:?}");
        assert_eq!(chats[0]["chatType"], "oneOnOne");
        let members: Vec<&str> = chats[0]["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        assert!(members.contains(&MEGAN) && members.contains(&ADELE));
        let bodies: Vec<String> = chats[0]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(body)
            .collect();
        assert_eq!(bodies, ["first", "second"]);
        assert_eq!(full.chat_id.as_deref(), chats[0]["chatId"].as_str());

        // Unknown conversation: the service is named and the known ones listed.
        let err = n.send("Payroll", "x").await.unwrap_err().to_string();
        assert!(
            err.contains("'teams'")
                && err.contains("Payroll")
                && err.contains("'Ops Alerts'")
                && err.contains("'Finance General'")
                && err.contains("'Megan'"),
            "{err}"
        );
    })
    .await;
    env.emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_only_connections_are_refused_before_any_request() {
    let env = Env::start().await;
    let project = env.write_project("");
    guard(async {
        let n = notifier(&project, "daemon-teams", &env.cache());
        let err = n.send("Ops Alerts", "hello").await.unwrap_err().to_string();
        assert!(
            err.contains("daemon") && err.contains(graphlink_graph::teams::APP_ONLY_POSTING_HINT),
            "{err}"
        );
        let requests: Value = env
            .http
            .get(format!("{}/_emulator/requests", env.emu.base_url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        // Only the settings call of the set-up reached the emulator: no token, no post.
        let tokens: Value = env
            .http
            .get(format!("{}/_emulator/requests", env.emu.base_url()))
            .query(&[("path", "token|/v1.0/")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(tokens["matching"], 0, "{requests}");
        let posted = env.posted().await;
        assert!(channel_bodies(&posted, "Finance", "Ops Alerts").is_empty());

        let problems = check_online(&project, "daemon-teams", None, None, &env.cache()).await;
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].field.as_deref(), Some("connection"));
        assert!(problems[0].message.contains("app-only"), "{problems:?}");
    })
    .await;
    env.emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_check_names_each_unresolvable_entry() {
    let env = Env::start().await;
    let project = env.write_project("");
    guard(async {
        // Not signed in yet: one problem saying so, on the connection field.
        let problems = check_online(&project, "typos", None, None, &env.cache()).await;
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].to_string().contains("graphlink auth login"),
            "{problems:?}"
        );

        env.sign_in(&project).await;
        let problems = check_online(&project, "typos", None, None, &env.cache()).await;
        let fields: Vec<&str> = problems.iter().filter_map(|p| p.field.as_deref()).collect();
        assert_eq!(
            fields,
            [
                "channels.Marketing.team",
                "channels.Payroll.channel",
                "chats.Nobody.members"
            ],
            "{problems:?}"
        );
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(text[0].contains("project.toml:"), "{text:?}");
        assert!(text[1].contains("'Ops Alerts'"), "{text:?}");
        assert!(text[2].contains("nobody@"), "{text:?}");
    })
    .await;
    env.emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workflow_notification_reaches_the_channel() {
    let env = Env::start().await;
    let project = env.write_project(
        r#"
[source.in]
type = "local"
root = "{data}"
[source.in.folders.main]
input = "in"
done = "done"

[sink.out]
type = "local"
root = "{data}"
directory = "out"

[workflow.copy]
source = "in"
sink = "out"
[workflow.copy.on_success]
service = "teams"
conversation = "Ops Alerts"
message = "Archived ${file.name} (${file.size} bytes) by ${workflow}"
"#,
    );
    env.sign_in(&project).await;
    std::fs::create_dir_all(env.data().join("in")).unwrap();
    std::fs::write(env.data().join("in/a.txt"), b"hello").unwrap();
    std::fs::write(env.data().join("in/b.txt"), b"hi").unwrap();
    guard(async {
        let mut options = NodeOptions::new(vec![], env.tmp.path().join("state"));
        options.token_cache_dir = Some(env.cache());
        let node = Node::new(&project, options).await.unwrap();
        let report = node
            .run_until_idle(&CancellationToken::new())
            .await
            .unwrap();
        assert_eq!((report.done, report.failed), (2, 0), "{report:?}");
        let posted = env.posted().await;
        // Both files are in flight at once: the messages come in either order.
        let mut bodies = channel_bodies(&posted, "Finance", "Ops Alerts");
        bodies.sort();
        assert_eq!(
            bodies,
            [
                "Archived a.txt (5 bytes) by copy",
                "Archived b.txt (2 bytes) by copy"
            ]
        );
    })
    .await;
    env.emu.shutdown().await;
}
