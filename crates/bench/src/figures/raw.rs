//! The baseline: plain streaming `PUT`/`GET` of the same bytes to the emulator's
//! `/_emulator/raw/{name}` blob store (no Graph logic, no hashing, no sessions).

use std::path::Path;

use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio_util::io::ReaderStream;

use crate::error::{Context, Error, Result};

fn url(base: &str, name: &str) -> String {
    format!("{base}/_emulator/raw/{name}")
}

fn check(resp: &reqwest::Response, what: &str) -> Result<()> {
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(Error::Check(format!("{what}: HTTP {}", resp.status())))
    }
}

/// Streams the file at `path` to the blob `name`.
pub(crate) async fn put_file(
    http: &reqwest::Client,
    base: &str,
    name: &str,
    path: &Path,
) -> Result<u64> {
    let what = format!("baseline PUT of {name}");
    let file = tokio::fs::File::open(path).await.context(&what)?;
    let len = file.metadata().await.context(&what)?.len();
    let body = reqwest::Body::wrap_stream(ReaderStream::with_capacity(file, 256 * 1024));
    let resp = http
        .put(url(base, name))
        .header(reqwest::header::CONTENT_LENGTH, len)
        .body(body)
        .send()
        .await
        .context(&what)?;
    check(&resp, &what)?;
    Ok(len)
}

/// Sends the file at `path` as sequential PUTs of whole in-memory fragments of `fragment`
/// bytes (blobs `{name}.{i}`): the request pattern of an upload session, without Graph.
pub(crate) async fn put_fragments(
    http: &reqwest::Client,
    base: &str,
    name: &str,
    path: &Path,
    fragment: u64,
) -> Result<u64> {
    use tokio::io::AsyncReadExt;
    let what = format!("baseline fragment PUTs of {name}");
    let mut file = tokio::fs::File::open(path).await.context(&what)?;
    let len = file.metadata().await.context(&what)?.len();
    let mut sent = 0u64;
    let mut i = 0;
    while sent < len {
        let n = fragment.min(len - sent) as usize;
        let mut buf = bytes::BytesMut::zeroed(n);
        file.read_exact(&mut buf).await.context(&what)?;
        let resp = http
            .put(url(base, &format!("{name}.{i}")))
            .body(buf.freeze())
            .send()
            .await
            .context(&what)?;
        check(&resp, &what)?;
        sent += n as u64;
        i += 1;
    }
    Ok(sent)
}

/// Sends a small file (read whole, as the product's simple upload does) to the blob `name`.
pub(crate) async fn put_small(
    http: &reqwest::Client,
    base: &str,
    name: &str,
    path: &Path,
) -> Result<u64> {
    let what = format!("baseline PUT of {name}");
    let body = tokio::fs::read(path).await.context(&what)?;
    let len = body.len() as u64;
    let resp = http
        .put(url(base, name))
        .body(body)
        .send()
        .await
        .context(&what)?;
    check(&resp, &what)?;
    Ok(len)
}

/// Streams the blob `name` into the file `dest`.
pub(crate) async fn get_to_file(
    http: &reqwest::Client,
    base: &str,
    name: &str,
    dest: &Path,
) -> Result<u64> {
    let what = format!("baseline GET of {name}");
    let resp = http.get(url(base, name)).send().await.context(&what)?;
    check(&resp, &what)?;
    let file = tokio::fs::File::create(dest).await.context(&what)?;
    let mut out = tokio::io::BufWriter::with_capacity(256 * 1024, file);
    let mut body = resp.bytes_stream();
    let mut n = 0u64;
    while let Some(piece) = body.next().await {
        let piece = piece.context(&what)?;
        out.write_all(&piece).await.context(&what)?;
        n += piece.len() as u64;
    }
    out.flush().await.context(&what)?;
    Ok(n)
}
