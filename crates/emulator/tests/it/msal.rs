//! Microsoft's MSAL for Python, unmodified, obtains tokens from the emulator over TLS: client
//! secret (also with a trailing-slash and a domain authority), certificate (PS256 and RS256), device flow approved through the login page, a declined
//! device flow, and a silent refresh. Runs `tests/python/msal_check.py`.
//!
//! Needs `python3` with MSAL: `python3 -m pip install -r tests/python/requirements.txt`.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use graphlink_emulator::{Emulator, EmulatorOptions};

const INSTALL: &str = "python3 -m pip install -r tests/python/requirements.txt";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Fails the test with instructions when python3 or MSAL is missing.
fn require_msal() {
    let probe = Command::new("python3")
        .args(["-c", "import msal, cryptography; print(msal.__version__)"])
        .output();
    match probe {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "MSAL for Python is not installed ({}); run `{INSTALL}`",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => panic!("python3 is not available ({e}); install it and run `{INSTALL}`"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn msal_python_gets_tokens_from_the_emulator() {
    require_msal();
    let emu = Emulator::start(EmulatorOptions::default())
        .await
        .expect("emulator starts");
    let ca = emu.ca_cert_path().expect("TLS").to_path_buf();

    // Poll every second so the device flow takes seconds, not minutes.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(&std::fs::read(&ca).unwrap()).unwrap())
        .build()
        .unwrap();
    let resp = http
        .put(format!("{}/_emulator/settings", emu.base_url()))
        .json(&serde_json::json!({"device_code_interval_secs": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    let script = repo_root().join("tests/python/msal_check.py");
    let mut command = tokio::process::Command::new("python3");
    command
        .arg(&script)
        .arg("--authority")
        .arg(emu.authority())
        .arg("--ca")
        .arg(&ca)
        .arg("--data-dir")
        .arg(emu.data_dir())
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(180), command.output())
        .await
        .expect("msal_check.py finishes within 3 minutes (hang guard)")
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "msal_check.py failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    for scenario in [
        "client_secret",
        "authority_forms",
        "client_certificate",
        "client_thumbprint",
        "device_flow",
        "device_flow_declined",
        "silent_refresh",
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(&format!("ok {scenario}:"))),
            "scenario {scenario} missing:\n{stdout}\n{stderr}"
        );
    }

    // MSAL really went through the emulator's token endpoint and device login.
    let counts: serde_json::Value = http
        .get(format!(
            "{}/_emulator/requests?method=POST&path=/oauth2/v2.0/token$",
            emu.base_url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(counts["matching"].as_u64().unwrap() >= 6, "{counts}");
    emu.shutdown().await;
}
