//! `graphlink auth login | status | token | logout` and `connection test` with a project's
//! device-flow connection, approved through the emulator's device login page.

use std::path::Path;
use std::process::Stdio;

use graphlink_emulator::{Emulator, EmulatorOptions, RunningEmulator};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::common::{device_connection, graphlink_in, text};

fn project(dir: &Path, emu: &RunningEmulator) {
    let toml = device_connection("me", emu, &["User.Read", "Files.ReadWrite.All"]).replace(
        "[connection.me]\n",
        "[connection.me]\ndescription = \"Adele, signed in with the device flow\"\n",
    );
    std::fs::write(dir.join("connections.toml"), toml).unwrap();
}

fn cmd(project: &Path, cache: &Path) -> tokio::process::Command {
    graphlink_in(project, cache)
}

async fn run(project: &Path, cache: &Path, args: &[&str]) -> std::process::Output {
    cmd(project, cache).args(args).output().await.unwrap()
}

#[tokio::test]
async fn device_login_status_token_test_and_logout() {
    let emu = Emulator::start(EmulatorOptions::default()).await.unwrap();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("project");
    std::fs::create_dir_all(&dir).unwrap();
    project(&dir, &emu);
    let cache = work.path().join("cache");

    // Before signing in: a clear message naming the login command, exit code 4.
    let out = run(&dir, &cache, &["auth", "status"]).await;
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("graphlink auth login"),
        "{}",
        text(&out.stderr)
    );

    // Login: read the code the command prints, approve it like a person would.
    let mut child = cmd(&dir, &cache)
        .args(["--json", "auth", "login"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let prompt: serde_json::Value =
        serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    let code = prompt["user_code"].as_str().unwrap().to_string();
    assert!(prompt["verification_uri"]
        .as_str()
        .unwrap()
        .ends_with("/devicelogin"));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(
            reqwest::Certificate::from_pem(&std::fs::read(emu.ca_cert_path().unwrap()).unwrap())
                .unwrap(),
        )
        .build()
        .unwrap();
    let page = http
        .post(format!("{}/devicelogin", emu.base_url()))
        .form(&[
            ("user_code", code.as_str()),
            ("upn", "adele@contoso.onmicrosoft.com"),
            ("decision", "approve"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let done: serde_json::Value =
        serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    assert_eq!(done["account"], "adele@contoso.onmicrosoft.com");
    assert!(child.wait().await.unwrap().success());

    // The cache file is private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let file = std::fs::read_dir(&cache)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "json"))
            .expect("a token cache file");
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let out = run(&dir, &cache, &["--json", "auth", "status"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["who"], "adele@contoso.onmicrosoft.com");
    assert!(status["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == "Files.ReadWrite.All"));
    assert!(
        status.get("access_token").is_none(),
        "the token is shown only with --show-token"
    );

    let out = run(&dir, &cache, &["auth", "token"]).await;
    assert!(out.status.success());
    let token = text(&out.stdout).trim().to_string();
    assert_eq!(token.split('.').count(), 3, "a JWT alone on stdout");
    assert!(!text(&run(&dir, &cache, &["auth", "status"]).await.stdout).contains(&token));

    let out = run(&dir, &cache, &["--json", "connection", "test"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let test: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(test["graph_call"], "/me/drive");

    let out = run(
        &dir,
        &cache,
        &["put", env!("CARGO_MANIFEST_PATH"), "onedrive:/from-cli/"],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(&dir, &cache, &["--json", "ls", "onedrive:/from-cli"]).await;
    assert!(
        text(&out.stdout).contains("Cargo.toml"),
        "{}",
        text(&out.stdout)
    );

    let out = run(&dir, &cache, &["auth", "logout"]).await;
    assert!(out.status.success());
    let out = run(&dir, &cache, &["auth", "status"]).await;
    assert_eq!(out.status.code(), Some(4));
    emu.shutdown().await;
}

#[tokio::test]
async fn project_errors_name_the_connection() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    std::fs::write(dir.join("a.toml"), "[connection.one]\ncloud = \"global\"\ntenant = \"contoso.onmicrosoft.com\"\nclient_id = \"x\"\ncredential = \"device-flow\"\nscopes = [\"User.Read\"]\n[connection.two]\ncloud = \"global\"\ntenant = \"contoso.onmicrosoft.com\"\nclient_id = \"y\"\ncredential = \"device-flow\"\nscopes = [\"User.Read\"]\n").unwrap();
    let out = run(dir, &dir.join("cache"), &["auth", "status"]).await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("--connection") && err.contains("one") && err.contains("two"),
        "{err}"
    );
    let out = run(
        dir,
        &dir.join("cache"),
        &["--connection", "three", "auth", "status"],
    )
    .await;
    assert!(text(&out.stderr).contains("three"), "{}", text(&out.stderr));
    // An unknown connection is "not found", 3, with the known ones listed.
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("'one', 'two'"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn a_missing_environment_is_a_configuration_failure_not_an_authentication_one() {
    let work = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_graphlink"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .arg("--cache-dir")
        .arg(work.path())
        .args(["auth", "status"])
        .output()
        .await
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("no connection configured") && err.contains("AZURE_TENANT_ID"),
        "{err}"
    );
    // Each cause is said once.
    assert_eq!(
        err.matches("invalid identity configuration").count(),
        1,
        "{err}"
    );
}
