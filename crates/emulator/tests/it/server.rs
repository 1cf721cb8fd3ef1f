//! The emulator starts over TLS with its own CA, keeps it across restarts, and serves the
//! admin API, request ids and fault rules.

use graphlink_emulator::{Emulator, EmulatorOptions};
use graphlink_testkit::https_client as client_for;

#[tokio::test]
async fn tls_with_own_ca_survives_restart_and_counts_requests() {
    let dir = tempfile::tempdir().unwrap();
    let options = EmulatorOptions {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let emu = Emulator::start(options.clone()).await.unwrap();
    assert!(emu.base_url().starts_with("https://127.0.0.1:"));
    let ca = emu.ca_cert_path().unwrap().to_path_buf();
    let ca_before = std::fs::read(&ca).unwrap();
    let client = client_for(&ca);

    // An unknown Graph path answers with Graph's error shape and the request ids.
    let resp = client
        .get(format!("{}/_emulator/requests", emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("request-id"));

    // A scripted fault sequence: 429 with Retry-After, then pass.
    let rule = serde_json::json!({"path": "^/_probe", "sequence": [
        {"kind": "status", "status": 429, "retry_after": "2"}, "pass"]});
    let resp = client
        .post(format!("{}/_emulator/faults", emu.base_url()))
        .json(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let first = client
        .get(format!("{}/_probe", emu.base_url()))
        .header("client-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 429);
    assert_eq!(first.headers()["retry-after"], "2");
    assert_eq!(first.headers()["client-request-id"], "abc-123");
    let text = first.text().await.unwrap();
    let body: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(body["error"], "temporarily_unavailable");
    let second = client
        .get(format!("{}/_probe", emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_ne!(second.status(), 429);
    let counts: serde_json::Value = client
        .get(format!(
            "{}/_emulator/requests?path=^/_probe",
            emu.base_url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(counts["matching"], 2);
    assert_eq!(counts["injected"], 1);
    assert_eq!(
        counts["during_pause"], 1,
        "the second request came before the pause ended"
    );
    emu.shutdown().await;

    // Restart on the same data: same CA.
    let emu = Emulator::start(options).await.unwrap();
    assert_eq!(
        std::fs::read(emu.ca_cert_path().unwrap()).unwrap(),
        ca_before
    );
    let resp = client
        .get(format!("{}/_emulator/settings", emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    emu.shutdown().await;
}

#[tokio::test]
async fn raw_blobs_round_trip_without_graph_logic() {
    let emu = Emulator::start(EmulatorOptions::default()).await.unwrap();
    let client = client_for(emu.ca_cert_path().unwrap());
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let url = format!("{}/_emulator/raw/bench-1.bin", emu.base_url());
    let put = client.put(&url).body(data.clone()).send().await.unwrap();
    assert_eq!(put.status(), 201);
    let got = client.get(&url).send().await.unwrap();
    assert_eq!(got.headers()["content-length"], "1000000");
    assert_eq!(got.bytes().await.unwrap().as_ref(), data.as_slice());
    let bad = client
        .put(format!("{}/_emulator/raw/a%20b", emu.base_url()))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let missing = client
        .get(format!("{}/_emulator/raw/nope", emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    emu.shutdown().await;
}

/// A raw `PUT` over an existing blob writes a new file and renames it over the old one (as a
/// Graph upload replaces content): the blob then holds the new bytes, and no temporary file is
/// left, after a success or after a body that broke off.
#[tokio::test]
async fn raw_blob_replacement_leaves_only_the_new_content() {
    let dir = tempfile::tempdir().unwrap();
    let emu = Emulator::start(EmulatorOptions {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    })
    .await
    .unwrap();
    let client = client_for(emu.ca_cert_path().unwrap());
    let url = format!("{}/_emulator/raw/replaced", emu.base_url());
    let get = |url: &str| {
        let request = client.get(url);
        async move {
            request
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
                .to_vec()
        }
    };
    for content in ["first version", "second, longer version", "third"] {
        let put = client.put(&url).body(content).send().await.unwrap();
        assert_eq!(put.status(), 201);
        assert_eq!(get(&url).await, content.as_bytes());
    }
    // A body that fails half-way: the old content stays, the temporary file goes.
    // The error comes after a pause, once the emulator has started writing.
    let broken = futures::stream::unfold(0, |step| async move {
        match step {
            0 => Some((Ok(bytes::Bytes::from_static(b"partial")), 1)),
            1 => {
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                Some((Err(std::io::Error::other("the sender gave up")), 2))
            }
            _ => None,
        }
    });
    let _ = client
        .put(&url)
        .body(reqwest::Body::wrap_stream(broken))
        .send()
        .await;
    assert_eq!(get(&url).await, b"third");
    emu.shutdown().await;
    let mut leftovers = Vec::new();
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().contains("replaced.")
                || p.parent().is_some_and(|d| d.ends_with("tmp"))
            {
                leftovers.push(p);
            }
        }
    }
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}
