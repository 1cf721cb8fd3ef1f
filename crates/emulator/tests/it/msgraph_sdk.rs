//! Microsoft's Graph SDK for Python (`msgraph-sdk`, unmodified) works against the emulator over
//! TLS: azure-identity gets a token from the emulator's token endpoint, then the SDK lists a
//! drive, creates a folder, uploads with PUT content and downloads the file back. Runs
//! `tests/python/msgraph_check.py`.
//!
//! Needs `python3` with the SDK: `python3 -m pip install -r tests/python/requirements.txt`.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use graphlink_emulator::{Emulator, EmulatorOptions};

const INSTALL: &str = "python3 -m pip install -r tests/python/requirements.txt";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Fails the test with instructions when python3 or the SDK is missing.
fn require_sdk() {
    let probe = Command::new("python3")
        .args([
            "-c",
            "import msgraph, azure.identity, httpx, kiota_authentication_azure; print('ok')",
        ])
        .output();
    match probe {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "msgraph-sdk for Python is not installed ({}); run `{INSTALL}`",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => panic!("python3 is not available ({e}); install it and run `{INSTALL}`"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn msgraph_sdk_for_python_lists_uploads_and_downloads() {
    require_sdk();
    let emu = Emulator::start(EmulatorOptions::default())
        .await
        .expect("emulator starts");
    let ca = emu.ca_cert_path().expect("TLS").to_path_buf();
    let script = repo_root().join("tests/python/msgraph_check.py");
    let mut command = tokio::process::Command::new("python3");
    command
        .arg(&script)
        .arg("--base-url")
        .arg(emu.base_url())
        .arg("--graph-url")
        .arg(emu.graph_url())
        .arg("--ca")
        .arg(&ca)
        .arg("--tenant")
        .arg("7c4d9b1e-2f3a-4b5c-8d6e-0f1a2b3c4d5e")
        .arg("--client-id")
        .arg("11111111-1111-4111-8111-111111111111")
        .arg("--secret")
        .arg("emulator-client-secret")
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(180), command.output())
        .await
        .expect("msgraph_check.py finishes within 3 minutes (hang guard)")
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "msgraph_check.py failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    for scenario in [
        "get-drive",
        "create-folder",
        "upload-put-content",
        "list-root-children",
        "download-content",
        "item-quickxorhash",
    ] {
        assert!(
            stdout.contains(&format!("OK {scenario}:")),
            "scenario {scenario} missing:\n{stdout}\n{stderr}"
        );
    }
    // The emulator saw the SDK's file where it said it put it.
    let found = {
        let store = emu.state().graph.read();
        store.drives.values().any(|d| {
            d.items
                .values()
                .any(|i| i.name == "sdk upload #1.txt" && i.file.is_some())
        })
    };
    assert!(found, "the uploaded file is in the store");
    emu.shutdown().await;
}
