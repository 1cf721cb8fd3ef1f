//! Downloads (302 to a pre-authenticated URL, Range, expiry) and upload sessions (every rule),
//! over HTTPS; plus one few-hundred-MiB session showing the emulator streams to disk.

use crate::graph_support;

use futures::StreamExt;
use graph_support::*;
use graphlink_quickxorhash::QuickXorHash;
use serde_json::{json, Value};

const UNIT: usize = 327_680;

async fn settings(g: &G, patch: Value) {
    let r = g
        .http
        .put(format!("{}/_emulator/settings", g.base()))
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

async fn fragment(g: &G, url: &str, bytes: &[u8], start: usize, total: usize) -> Answer {
    let end = start + bytes.len() - 1;
    let resp = g
        .http
        .put(url)
        .header("content-range", format!("bytes {start}-{end}/{total}"))
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    G::answer(resp).await
}

async fn session(g: &G, path: &str, body: Value) -> String {
    let s = g.post(path, body).await.expect(200);
    assert_eq!(s.body["nextExpectedRanges"], json!(["0-"]));
    assert!(s.body["expirationDateTime"].is_string());
    let url = s.body["uploadUrl"].as_str().unwrap().to_string();
    assert!(url.starts_with(&format!("{}/_upload/", g.base())), "{url}");
    url
}

#[tokio::test]
async fn downloads_redirect_to_preauthenticated_urls_with_ranges() {
    let g = G::start().await;
    let d = g.adele_drive().await;
    let body = data(1000, 1);
    let item = g
        .put_bytes(
            &format!("/drives/{d}/root:/dl/file.bin:/content"),
            body.clone(),
        )
        .await
        .expect(201);
    assert_eq!(
        item.body["file"]["hashes"]["quickXorHash"],
        QuickXorHash::hash_base64(&body)
    );
    assert_eq!(item.body["size"], 1000);
    let id = item.body["id"].as_str().unwrap();
    let redirect = g
        .get(&format!("/drives/{d}/items/{id}/content"))
        .await
        .expect(302);
    let location = redirect.header("location").unwrap();
    assert!(location.starts_with(&format!("{}/_download/", g.base())));
    // No Authorization on the pre-authenticated URL.
    let full = G::answer(g.http.get(&location).send().await.unwrap())
        .await
        .expect(200);
    assert_eq!(full.bytes, body);
    assert_eq!(full.header("accept-ranges").as_deref(), Some("bytes"));
    let part = G::answer(
        g.http
            .get(&location)
            .header("range", "bytes=2-5")
            .send()
            .await
            .unwrap(),
    )
    .await
    .expect(206);
    assert_eq!(part.bytes, body[2..=5]);
    assert_eq!(
        part.header("content-range").as_deref(),
        Some("bytes 2-5/1000")
    );
    let tail = G::answer(
        g.http
            .get(&location)
            .header("range", "bytes=990-")
            .send()
            .await
            .unwrap(),
    )
    .await
    .expect(206);
    assert_eq!(tail.bytes, body[990..]);
    let suffix = G::answer(
        g.http
            .get(&location)
            .header("range", "bytes=-3")
            .send()
            .await
            .unwrap(),
    )
    .await
    .expect(206);
    assert_eq!(suffix.bytes, body[997..]);
    let beyond = G::answer(
        g.http
            .get(&location)
            .header("range", "bytes=5000-")
            .send()
            .await
            .unwrap(),
    )
    .await
    .expect(416);
    assert_eq!(
        beyond.header("content-range").as_deref(),
        Some("bytes */1000")
    );
    // The item's own downloadUrl works too; a tampered one does not.
    let dl = item.body["@microsoft.graph.downloadUrl"].as_str().unwrap();
    assert_eq!(
        g.http.get(dl).send().await.unwrap().bytes().await.unwrap(),
        body
    );
    let tampered = format!("{}x", &location[..location.len() - 1]);
    assert_eq!(g.http.get(tampered).send().await.unwrap().status(), 401);
    // Folders have no content.
    g.get(&format!("/drives/{d}/root:/dl:/content"))
        .await
        .expect(400);
    // Expired links answer 401; asking /content again gives a fresh one.
    settings(&g, json!({"download_url_lifetime_secs": 0})).await;
    let stale = g
        .get(&format!("/drives/{d}/items/{id}/content"))
        .await
        .expect(302);
    let resp = g
        .http
        .get(stale.header("location").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    settings(&g, json!({"download_url_lifetime_secs": 3600})).await;
    assert_eq!(
        g.download(&format!("/drives/{d}/items/{id}/content")).await,
        body
    );
}

#[tokio::test]
async fn upload_session_enforces_every_rule() {
    let g = G::start().await;
    let d = g.adele_drive().await;
    let total = 3 * UNIT + 100;
    let body = data(total, 7);
    let url = session(
        &g,
        &format!("/drives/{d}/root:/up/big.bin:/createUploadSession"),
        json!({"item": {"@microsoft.graph.conflictBehavior": "fail",
            "fileSystemInfo": {"lastModifiedDateTime": "2021-05-06T07:08:09Z"}}}),
    )
    .await;

    // An Authorization header on the upload URL is refused (it would leak the token).
    let leaked = g
        .http
        .put(&url)
        .bearer_auth(&g.token)
        .header("content-range", format!("bytes 0-{}/{total}", UNIT - 1))
        .body(body[..UNIT].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(leaked.status(), 401);
    // Content-Range is required.
    let bare = G::answer(g.http.put(&url).body(vec![1, 2, 3]).send().await.unwrap()).await;
    assert_eq!(bare.status, 400);
    // Non-final fragments must be multiples of 320 KiB.
    let odd = fragment(&g, &url, &body[..1000], 0, total)
        .await
        .expect(416);
    assert_eq!(odd.codes(), ("invalidRange".into(), "invalidRange".into()));
    // Fragments must come in order.
    let first = fragment(&g, &url, &body[..UNIT], 0, total)
        .await
        .expect(202);
    assert_eq!(
        first.body["nextExpectedRanges"],
        json!([format!("{UNIT}-{}", total - 1)])
    );
    let again = fragment(&g, &url, &body[..UNIT], 0, total)
        .await
        .expect(416);
    assert_eq!(again.codes().1, "fragmentOverlap");
    let ahead = fragment(&g, &url, &body[2 * UNIT..3 * UNIT], 2 * UNIT, total)
        .await
        .expect(416);
    assert_eq!(ahead.codes().1, "fragmentOutOfOrder");
    let other_total = fragment(&g, &url, &body[UNIT..2 * UNIT], UNIT, total + 1)
        .await
        .expect(416);
    assert_eq!(other_total.codes().1, "invalidRange");
    // The status tells where to resume.
    let status = G::answer(g.http.get(&url).send().await.unwrap())
        .await
        .expect(200);
    assert_eq!(
        status.body["nextExpectedRanges"],
        json!([format!("{UNIT}-{}", total - 1)])
    );
    fragment(&g, &url, &body[UNIT..3 * UNIT], UNIT, total)
        .await
        .expect(202);
    let done = fragment(&g, &url, &body[3 * UNIT..], 3 * UNIT, total)
        .await
        .expect(201);
    assert_eq!(done.body["name"], "big.bin");
    assert_eq!(done.body["size"], total as u64);
    assert_eq!(
        done.body["file"]["hashes"]["quickXorHash"],
        QuickXorHash::hash_base64(&body)
    );
    assert_eq!(
        done.body["fileSystemInfo"]["lastModifiedDateTime"],
        "2021-05-06T07:08:09Z"
    );
    assert_eq!(
        g.download(&format!("/drives/{d}/root:/up/big.bin:/content"))
            .await,
        body
    );
    // The session is over.
    assert_eq!(g.http.get(&url).send().await.unwrap().status(), 404);

    // Fragments of 60 MiB or more are refused.
    let url = session(
        &g,
        &format!("/drives/{d}/root:/up/huge.bin:/createUploadSession"),
        json!({}),
    )
    .await;
    let resp = g
        .http
        .put(&url)
        .header("content-range", "bytes 0-62914559/70000000")
        .body(vec![0u8; 10])
        .send()
        .await
        .unwrap();
    let huge = G::answer(resp).await.expect(416);
    assert_eq!(huge.codes().1, "invalidRange");
    // DELETE cancels.
    assert_eq!(g.http.delete(&url).send().await.unwrap().status(), 204);
    assert_eq!(g.http.get(&url).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn upload_session_conflicts_commit_and_expiry() {
    let g = G::start().await;
    let d = g.adele_drive().await;
    let small = data(500, 3);
    g.put_bytes(
        &format!("/drives/{d}/root:/c/x.bin:/content"),
        b"old".to_vec(),
    )
    .await
    .expect(201);
    // fail (the default) on an existing name: 409 at creation.
    let early = g
        .post(
            &format!("/drives/{d}/root:/c/x.bin:/createUploadSession"),
            json!({}),
        )
        .await
        .expect(409);
    assert_eq!(early.codes().0, "nameAlreadyExists");
    // fail when the name appears while uploading: 409 at commit.
    let url = session(
        &g,
        &format!("/drives/{d}/root:/c/y.bin:/createUploadSession"),
        json!({}),
    )
    .await;
    g.put_bytes(
        &format!("/drives/{d}/root:/c/y.bin:/content"),
        b"racer".to_vec(),
    )
    .await
    .expect(201);
    let late = fragment(&g, &url, &small, 0, small.len()).await.expect(409);
    assert_eq!(late.codes().0, "nameAlreadyExists");
    // replace keeps the id; rename picks a free name.
    let before = g
        .get(&format!("/drives/{d}/root:/c/x.bin"))
        .await
        .expect(200);
    let url = session(
        &g,
        &format!("/drives/{d}/root:/c/x.bin:/createUploadSession"),
        json!({"item": {"@microsoft.graph.conflictBehavior": "replace", "name": "x.bin"}}),
    )
    .await;
    let replaced = fragment(&g, &url, &small, 0, small.len()).await.expect(200);
    assert_eq!(replaced.body["id"], before.body["id"]);
    let url = session(
        &g,
        &format!("/drives/{d}/root:/c/x.bin:/createUploadSession"),
        json!({"item": {"@microsoft.graph.conflictBehavior": "rename"}}),
    )
    .await;
    let renamed = fragment(&g, &url, &small, 0, small.len()).await.expect(201);
    assert_eq!(renamed.body["name"], "x 1.bin");
    // By parent id, and replacing an item's content by its id.
    let parent = before.body["parentReference"]["id"].as_str().unwrap();
    let url = session(
        &g,
        &format!("/drives/{d}/items/{parent}:/z.bin:/createUploadSession"),
        json!({}),
    )
    .await;
    fragment(&g, &url, &small, 0, small.len()).await.expect(201);
    let id = before.body["id"].as_str().unwrap();
    let url = session(
        &g,
        &format!("/drives/{d}/items/{id}/createUploadSession"),
        json!({}),
    )
    .await;
    fragment(&g, &url, b"new content", 0, 11).await.expect(200);
    assert_eq!(
        g.download(&format!("/drives/{d}/items/{id}/content")).await,
        b"new content"
    );

    // deferCommit: all bytes in, nothing visible until POST.
    let url = session(
        &g,
        &format!("/drives/{d}/root:/c/deferred.bin:/createUploadSession"),
        json!({"deferCommit": true}),
    )
    .await;
    let all = fragment(&g, &url, &small, 0, small.len()).await.expect(202);
    assert_eq!(all.body["nextExpectedRanges"], json!([]));
    g.get(&format!("/drives/{d}/root:/c/deferred.bin"))
        .await
        .expect(404);
    let committed = G::answer(g.http.post(&url).send().await.unwrap())
        .await
        .expect(201);
    assert_eq!(committed.body["name"], "deferred.bin");
    g.get(&format!("/drives/{d}/root:/c/deferred.bin"))
        .await
        .expect(200);

    // Expired sessions are gone (404).
    settings(&g, json!({"upload_session_lifetime_secs": 0})).await;
    let url = session(
        &g,
        &format!("/drives/{d}/root:/c/late.bin:/createUploadSession"),
        json!({}),
    )
    .await;
    let gone = fragment(&g, &url, &small, 0, small.len()).await.expect(404);
    assert_eq!(gone.codes().0, "itemNotFound");
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_upload_session_and_download_keep_memory_flat() {
    const TOTAL: usize = 256 << 20;
    const FRAG: usize = 32 * UNIT; // 10 MiB
    let g = G::start().await;
    let d = g.adele_drive().await;
    let url = session(
        &g,
        &format!("/drives/{d}/root:/large.bin:/createUploadSession"),
        json!({}),
    )
    .await;
    let before = rss_kib();
    let mut hash = QuickXorHash::new();
    let mut start = 0;
    let mut last = None;
    while start < TOTAL {
        let len = FRAG.min(TOTAL - start);
        let chunk = data(len, start as u32);
        hash.update(&chunk);
        let a = fragment(&g, &url, &chunk, start, TOTAL).await;
        start += len;
        last = Some(a);
    }
    let done = last.unwrap().expect(201);
    assert_eq!(done.body["size"], TOTAL as u64);
    let want = hash.finish_base64();
    assert_eq!(done.body["file"]["hashes"]["quickXorHash"], want.as_str());
    // Download it back as a stream.
    let redirect = g
        .get(&format!("/drives/{d}/root:/large.bin:/content"))
        .await
        .expect(302);
    let resp = g
        .http
        .get(redirect.header("location").unwrap())
        .send()
        .await
        .unwrap();
    let mut stream = resp.bytes_stream();
    let mut back = QuickXorHash::new();
    while let Some(chunk) = stream.next().await {
        back.update(&chunk.unwrap());
    }
    assert_eq!(back.len(), TOTAL as u64);
    assert_eq!(back.finish_base64(), want);
    let grown_mib = rss_kib().saturating_sub(before) / 1024;
    eprintln!(
        "RSS grew by {grown_mib} MiB (before: {} MiB)",
        before / 1024
    );
    assert!(
        grown_mib < 96,
        "memory grew by {grown_mib} MiB while moving 256 MiB each way"
    );
}

#[tokio::test]
async fn uploads_beyond_the_quota_answer_507() {
    let g = G::start().await;
    let d = g.adele_drive().await;
    settings(&g, json!({"drive_quota_bytes": 1000})).await;
    g.put_bytes(
        &format!("/drives/{d}/root:/fits.bin:/content"),
        vec![1; 600],
    )
    .await
    .expect(201);
    let full = g
        .put_bytes(
            &format!("/drives/{d}/root:/too-big.bin:/content"),
            vec![2; 600],
        )
        .await
        .expect(507);
    assert_eq!(full.codes().0, "quotaLimitReached");
    g.get(&format!("/drives/{d}/root:/too-big.bin"))
        .await
        .expect(404);
    let session = g
        .post(
            &format!("/drives/{d}/root:/too-big.bin:/createUploadSession"),
            json!({"item": {"fileSize": 5000}}),
        )
        .await
        .expect(507);
    assert_eq!(session.codes().0, "quotaLimitReached");
    let drive = g.get(&format!("/drives/{d}")).await.expect(200);
    assert_eq!(drive.body["quota"]["used"], 600);
    assert_eq!(drive.body["quota"]["remaining"], 400);
}
