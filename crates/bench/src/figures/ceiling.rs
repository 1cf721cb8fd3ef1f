//! Figure 6: the emulator's own ceiling, requests per second for a small authenticated GET with
//! many requests in flight over several connections, so we know it is not the bottleneck.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::tokens::ClientRate;
use super::Ctx;
use crate::conn;
use crate::error::{Context, Error, Result};
use crate::report::Figure;

const CONNECTIONS: usize = 4;
const PER_CONNECTION: usize = 16;

/// Runs the ceiling figures (with the client's rate from the token figure, when measured).
pub async fn run(ctx: &Ctx, client: Option<ClientRate>) -> Result<Vec<Figure>> {
    let token = ctx
        .product
        .tokens
        .token()
        .await
        .context("getting a token")?;
    let url = format!(
        "{}/v1.0/drives/{}/root",
        ctx.endpoint.base_url,
        graphlink_graph::encode_segment(ctx.drive.id())
    );
    let secs = ctx.sizes.ceiling;
    ctx.say(format!(
        "emulator ceiling: GET /v1.0/drives/{{id}}/root, {CONNECTIONS} connections x {PER_CONNECTION} in flight, {:.0} s",
        secs.as_secs_f64()
    ));
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let counting = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    let start = Instant::now();
    let warmup = Duration::from_millis(500);
    let end = start + warmup + secs;
    for _ in 0..CONNECTIONS {
        let http = conn::plain_http(&ctx.endpoint)?;
        for _ in 0..PER_CONNECTION {
            let (http, url, bearer) = (http.clone(), url.clone(), token.secret().to_string());
            let (ok, failed, counting) = (ok.clone(), failed.clone(), counting.clone());
            workers.push(tokio::spawn(async move {
                while Instant::now() < end {
                    let good = match http.get(&url).bearer_auth(&bearer).send().await {
                        Ok(resp) => {
                            let status = resp.status();
                            resp.bytes().await.is_ok() && status.is_success()
                        }
                        Err(_) => false,
                    };
                    if counting.load(Ordering::Relaxed) {
                        if good {
                            ok.fetch_add(1, Ordering::Relaxed);
                        } else {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }));
        }
    }
    tokio::time::sleep(warmup).await;
    counting.store(true, Ordering::Relaxed);
    let measuring = Instant::now();
    for w in workers {
        w.await
            .map_err(|e| Error::Check(format!("a load worker panicked: {e}")))?;
    }
    let took = measuring.elapsed();
    let ok = ok.load(Ordering::Relaxed);
    let failed = failed.load(Ordering::Relaxed);
    if failed > 0 {
        return Err(Error::Check(format!(
            "{failed} of {} ceiling requests failed",
            ok + failed
        )));
    }
    let rps = ok as f64 / took.as_secs_f64();
    ctx.say(format!("  {rps:.0} requests/s"));
    let mut out = vec![Figure::info(
        "emulator_ceiling",
        rps,
        "requests/s",
        format!("plain reqwest load ({CONNECTIONS} connections x {PER_CONNECTION} in flight) sharing the machine with the emulator; every request verifies the RS256 token"),
    )];
    if let Some(rate) = client {
        out.push(Figure::compared(
            "client_small_get_rate",
            rate.calls_per_s,
            rps,
            "requests/s",
            format!(
                "Graph client get_json on one connection, {} in flight (from the token figure); baseline = emulator ceiling",
                rate.concurrency
            ),
        ));
    }
    Ok(out)
}
