//! The request pipeline against the real emulator: token refresh on 401, error details,
//! throttling with Retry-After, secrets kept out of errors and Debug output.

use crate::common;

use std::sync::atomic::Ordering;

use common::*;
use graphlink_graph::{DriveRef, ItemRef};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_invalidated_and_the_request_retried_once() {
    let env = start().await;
    let drive = guard("drive", env.adele()).await;
    let fetches = env.tokens.fetches.load(Ordering::SeqCst);
    env.tokens.serve_bogus_token_once();
    let root = guard("get root", drive.get(&ItemRef::Root))
        .await
        .expect("root after refresh");
    assert!(root.root.is_some());
    assert_eq!(env.tokens.invalidations.load(Ordering::SeqCst), 1);
    assert_eq!(env.tokens.fetches.load(Ordering::SeqCst), fetches + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_carry_status_codes_ids_and_a_hint_but_no_token() {
    let env = start().await;
    let drive = guard("drive", env.adele()).await;
    let err = guard("get", drive.get(&ItemRef::path("/no such folder/x #1.txt")))
        .await
        .unwrap_err();
    let api = err.api().expect("an API error");
    assert_eq!(api.status, 404);
    assert!(api.has_code("itemNotFound"), "{api:?}");
    assert!(api.request_id.is_some(), "{api:?}");
    assert!(api.client_request_id.is_some(), "{api:?}");
    let text = err.to_string();
    assert!(text.contains("/no such folder/x #1.txt"), "{text}");
    assert!(text.contains("not found"), "{text}");
    let token = env.tokens.as_ref();
    let secret = graphlink_identity::TokenProvider::token(token)
        .await
        .unwrap();
    assert!(!text.contains(secret.secret()));
    assert!(!format!("{err:?}").contains(secret.secret()));
    assert!(!format!("{:?}", env.client).contains(secret.secret()));

    // App-only tokens cannot use /me.
    let err = guard("me", env.client.drive(&DriveRef::Me))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_is_waited_out_and_paused_connection_wide() {
    let env = start().await;
    let drive = guard("drive", env.adele()).await;
    env.faults(json!({
        "path": "/root/children",
        "sequence": [
            {"kind": "status", "status": 429, "retry_after": "0.3"},
            {"kind": "status", "status": 503, "retry_after": "0.2"},
            "pass"
        ]
    }))
    .await;
    let items = guard("list", drive.list(&ItemRef::Root))
        .await
        .expect("listing after throttling");
    let _ = items;
    let counters = env.counters().await;
    assert!(
        counters["injected"].as_u64().unwrap_or(0) >= 2,
        "{counters}"
    );
    // Nothing reached the server while the pause it asked for was in force.
    assert_eq!(counters["during_pause"].as_u64(), Some(0), "{counters}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_http_base_is_refused_unless_allowed() {
    let env = start().await;
    let plain = env.client.base_url().replacen("https://", "http://", 1);
    let err = graphlink_graph::GraphClient::builder(plain.clone(), env.tokens.clone())
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("plain http"), "{err}");
    assert!(
        graphlink_graph::GraphClient::builder(plain, env.tokens.clone())
            .allow_http(true)
            .build()
            .is_ok()
    );
    let bad = graphlink_graph::Settings {
        upload_chunk_size: 1_000_000,
        ..Default::default()
    };
    let err = graphlink_graph::GraphClient::builder(env.client.base_url(), env.tokens.clone())
        .with_settings(bad)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("320 KiB"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_call_goes_through_the_same_pipeline() {
    let env = start().await;
    let drive: serde_json::Value = guard(
        "get_json",
        env.client.get_json(&format!("/users/{ADELE}/drive")),
    )
    .await
    .unwrap();
    assert!(
        drive["id"].as_str().unwrap_or("").starts_with("b!"),
        "{drive}"
    );
    let id = drive["id"].as_str().unwrap().to_string();
    let created: serde_json::Value = guard(
        "send_json_body",
        env.client.send_json_body(
            graphlink_graph::Method::POST,
            &format!("/drives/{id}/root/children"),
            &json!({"name": "raw", "folder": {}}),
        ),
    )
    .await
    .unwrap();
    assert_eq!(created["name"], "raw");
    let err = guard(
        "missing",
        env.client.get_json::<serde_json::Value>("/drives/b!nope"),
    )
    .await
    .unwrap_err();
    assert!(err.status().is_some_and(|s| s == 404 || s == 400), "{err}");
}
