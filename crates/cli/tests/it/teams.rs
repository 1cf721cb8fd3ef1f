//! `graphlink teams list | send` and `graphlink service test` against the real emulator over
//! HTTPS, with a project whose device-flow connection is signed in through the emulator's
//! device login page: JSON output, what was posted, and exit codes (app-only → 4 with the
//! hint, unknown conversation → 3, unknown function → 2).

use std::path::PathBuf;
use std::process::{Output, Stdio};

use graphlink_emulator::{Emulator, EmulatorOptions, RunningEmulator};
use graphlink_http::ClientOptions;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::common::{graphlink_in, teams_project, text, ADELE, DAEMON_SECRET, MEGAN};
const HINT: &str = "Teams allows posting only with a signed-in user";

struct Env {
    emu: RunningEmulator,
    http: reqwest::Client,
    _tmp: tempfile::TempDir,
    project: PathBuf,
    cache: PathBuf,
}

impl Env {
    async fn start() -> Env {
        let emu = Emulator::start(EmulatorOptions::default()).await.unwrap();
        let http = ClientOptions::default()
            .trust_ca_file(emu.ca_cert_path().unwrap())
            .unwrap()
            .build()
            .unwrap();
        let r = http
            .put(format!("{}/_emulator/settings", emu.base_url()))
            .json(&json!({"device_code_interval_secs": 1}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
        let tmp = tempfile::tempdir().unwrap();
        let project = tmp.path().join("project");
        std::fs::create_dir_all(&project).unwrap();
        let toml = teams_project(&emu, "${env:DAEMON_SECRET}")
            + r#"
[service.log]
type = "log"
"#;
        std::fs::write(project.join("project.toml"), toml).unwrap();
        let cache = tmp.path().join("cache");
        Env {
            emu,
            http,
            _tmp: tmp,
            project,
            cache,
        }
    }

    fn cmd(&self) -> tokio::process::Command {
        let mut c = graphlink_in(&self.project, &self.cache);
        c.env("DAEMON_SECRET", DAEMON_SECRET);
        c
    }

    async fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().await.unwrap()
    }

    /// `auth login` for connection `adele`, approved like a person would.
    async fn sign_in(&self) {
        let mut child = self
            .cmd()
            .args(["--connection", "adele", "--json", "auth", "login"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let prompt: Value =
            serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
        let code = prompt["user_code"].as_str().unwrap().to_string();
        let page = self
            .http
            .post(format!("{}/devicelogin", self.emu.base_url()))
            .form(&[
                ("user_code", code.as_str()),
                ("upn", ADELE),
                ("decision", "approve"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        assert!(child.wait().await.unwrap().success());
    }

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

fn ok_json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out.stdout)))
}

fn bodies(messages: &Value) -> Vec<String> {
    messages
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            m["body"]["content"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

fn channel<'a>(posted: &'a Value, team: &str, name: &str) -> &'a Value {
    posted["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["team"] == team && c["channel"] == name)
        .expect("channel listed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_send_and_service_test_with_a_signed_in_project_connection() {
    let env = Env::start().await;
    tokio::time::timeout(std::time::Duration::from_secs(240), async {
        env.sign_in().await;

        // teams list: teams with channels (General marked), no chats yet.
        let list = ok_json(
            &env.run(&["--connection", "adele", "--json", "teams", "list"])
                .await,
        );
        let finance = list["teams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["displayName"] == "Finance")
            .expect("Finance listed");
        let channels: Vec<(&str, bool)> = finance["channels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["displayName"].as_str().unwrap(), c["primary"] == true))
            .collect();
        assert!(channels.contains(&("General", true)), "{channels:?}");
        assert!(channels.contains(&("Ops Alerts", false)), "{channels:?}");
        assert_eq!(list["chats"].as_array().unwrap().len(), 0);
        let human = env.run(&["--connection", "adele", "teams", "list"]).await;
        assert!(human.status.success());
        assert!(
            text(&human.stdout).contains("Ops Alerts"),
            "{}",
            text(&human.stdout)
        );

        // Through the project's service.
        let sent = ok_json(
            &env.run(&[
                "--json",
                "teams",
                "send",
                "--service",
                "teams",
                "--conversation",
                "Ops Alerts",
                "--content",
                "hello from the CLI",
            ])
            .await,
        );
        assert!(!sent["id"].as_str().unwrap().is_empty());
        assert!(sent["webUrl"].as_str().is_some() && sent["createdDateTime"].as_str().is_some());

        // Directly: a channel (HTML) and a chat (created).
        ok_json(
            &env.run(&[
                "--connection",
                "adele",
                "--json",
                "teams",
                "send",
                "--team",
                "Finance",
                "--channel",
                "General",
                "--content",
                "Totals: <b>5</b>",
                "--html",
            ])
            .await,
        );
        let direct = ok_json(
            &env.run(&[
                "--connection",
                "adele",
                "--json",
                "teams",
                "send",
                "--chat",
                MEGAN,
                "--content",
                "hi Megan",
            ])
            .await,
        );
        let chat_id = direct["chatId"].as_str().unwrap().to_string();

        // The service test reuses that chat.
        let called = ok_json(
            &env.run(&[
                "--json",
                "service",
                "test",
                "teams",
                "SendMessage",
                "--param",
                "Conversation=Megan",
                "--param",
                "Content=from the service test",
            ])
            .await,
        );
        assert_eq!(called["function"], "SendMessage");
        assert_eq!(called["result"]["chatId"], chat_id.as_str());
        let logged = ok_json(
            &env.run(&[
                "--json",
                "service",
                "test",
                "log",
                "SendMessage",
                "--param",
                "Conversation=any",
                "--param",
                "Content=to the log",
            ])
            .await,
        );
        assert_eq!(logged["type"], "log");
        assert!(logged["result"]["id"].as_str().is_some());

        let posted = env.posted().await;
        assert_eq!(
            bodies(&channel(&posted, "Finance", "Ops Alerts")["messages"]),
            ["hello from the CLI"]
        );
        let general = channel(&posted, "Finance", "General");
        assert_eq!(general["messages"][0]["body"]["contentType"], "html");
        assert_eq!(bodies(&general["messages"]), ["Totals: <b>5</b>"]);
        let chats = posted["chats"].as_array().unwrap();
        assert_eq!(chats.len(), 1, "{chats:?}");
        assert_eq!(
            bodies(&chats[0]["messages"]),
            ["hi Megan", "from the service test"]
        );

        let list = ok_json(
            &env.run(&["--connection", "adele", "--json", "teams", "list"])
                .await,
        );
        assert_eq!(list["chats"][0]["id"], chat_id.as_str());
        assert_eq!(list["chats"][0]["label"], "Megan Bowen");

        // Unknown conversation: 3, the known ones listed.
        let out = env
            .run(&[
                "teams",
                "send",
                "--service",
                "teams",
                "--conversation",
                "Payroll",
                "--content",
                "x",
            ])
            .await;
        assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("'Ops Alerts'") && text(&out.stderr).contains("'Megan'"),
            "{}",
            text(&out.stderr)
        );
        // Unknown channel of a team: 3, the team's channels listed.
        let out = env
            .run(&[
                "--connection",
                "adele",
                "teams",
                "send",
                "--team",
                "Finance",
                "--channel",
                "Payroll",
                "--content",
                "x",
            ])
            .await;
        assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("'Invoices'"),
            "{}",
            text(&out.stderr)
        );
        // Unknown function or parameter: usage, 2.
        let out = env.run(&["service", "test", "teams", "Delete"]).await;
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("SendMessage"));
        let out = env
            .run(&[
                "service",
                "test",
                "teams",
                "SendMessage",
                "--param",
                "Channel=x",
            ])
            .await;
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        // Missing destination: clap's usage error.
        let out = env.run(&["teams", "send", "--content", "x"]).await;
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(
            bodies(&channel(&env.posted().await, "Finance", "Ops Alerts")["messages"]).len(),
            1,
            "nothing else was posted"
        );
    })
    .await
    .expect("hang guard");
    env.emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_only_connections_exit_4_with_the_hint_before_posting() {
    let env = Env::start().await;
    for args in [
        vec![
            "teams",
            "send",
            "--service",
            "daemon-teams",
            "--conversation",
            "Ops Alerts",
            "--content",
            "x",
        ],
        vec![
            "service",
            "test",
            "daemon-teams",
            "SendMessage",
            "--param",
            "Conversation=Ops Alerts",
            "--param",
            "Content=x",
        ],
        vec![
            "--connection",
            "daemon",
            "teams",
            "send",
            "--team",
            "Finance",
            "--channel",
            "General",
            "--content",
            "x",
        ],
    ] {
        let out = env.run(&args).await;
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {err}");
        assert!(
            err.contains(HINT) && err.contains("daemon"),
            "{args:?}: {err}"
        );
    }
    let out = env.run(&["--connection", "daemon", "teams", "list"]).await;
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("device-flow"),
        "{}",
        text(&out.stderr)
    );
    // Not signed in: the sign-in command is named, exit 4.
    let out = env
        .run(&[
            "teams",
            "send",
            "--service",
            "teams",
            "--conversation",
            "Ops Alerts",
            "--content",
            "x",
        ])
        .await;
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("graphlink auth login"),
        "{}",
        text(&out.stderr)
    );

    let posted = env.posted().await;
    assert!(bodies(&channel(&posted, "Finance", "Ops Alerts")["messages"]).is_empty());
    env.emu.shutdown().await;
}
