//! Figure 6: the emulator's own ceiling, requests per second for a small authenticated GET with
//! many requests in flight, so we know it is not the bottleneck. Two shapes of load (one
//! connection with 64 requests in flight, four connections with 16 each); the better counts.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::tokens::ClientRate;
use super::Ctx;
use crate::conn;
use crate::error::{Context, Error, Result};
use crate::report::Figure;

const SHAPES: [(usize, usize); 2] = [(1, 64), (4, 16)];

/// Runs the ceiling figures (with the client's rate from the token figure, when measured).
pub(crate) async fn run(ctx: &Ctx, client: Option<ClientRate>) -> Result<Vec<Figure>> {
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
    let each = ctx.sizes.ceiling / SHAPES.len() as u32;
    let mut best = 0f64;
    let mut seen = Vec::new();
    for (connections, in_flight) in SHAPES {
        ctx.say(format!(
            "emulator ceiling: GET /v1.0/drives/{{id}}/root, {connections} connection(s) x {in_flight} in flight, {:.1} s",
            each.as_secs_f64()
        ));
        let rps = load(ctx, &url, token.secret(), connections, in_flight, each).await?;
        ctx.say(format!("  {rps:.0} requests/s"));
        seen.push(format!("{connections}x{in_flight}: {rps:.0}/s"));
        best = best.max(rps);
    }
    let mut out = vec![Figure::info(
        "emulator_ceiling",
        best,
        "requests/s",
        format!(
            "best of plain reqwest loads ({}), sharing the machine with the emulator; every request verifies the RS256 token",
            seen.join(", ")
        ),
    )];
    if let Some(rate) = client {
        out.push(Figure::compared(
            "client_small_get_rate",
            rate.calls_per_s,
            best,
            "requests/s",
            format!(
                "Graph client get_json on one connection, {} in flight (from the token figure); baseline = emulator ceiling",
                rate.concurrency
            ),
        ));
    }
    Ok(out)
}

/// Requests/s of `GET url` from `connections` clients with `in_flight` requests each.
async fn load(
    ctx: &Ctx,
    url: &str,
    bearer: &str,
    connections: usize,
    in_flight: usize,
    measure: Duration,
) -> Result<f64> {
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let counting = Arc::new(AtomicBool::new(false));
    let warmup = Duration::from_millis(300);
    let end = Instant::now() + warmup + measure;
    let mut workers = Vec::new();
    for _ in 0..connections {
        let http = conn::plain_http(&ctx.endpoint)?;
        for _ in 0..in_flight {
            let (http, url, bearer) = (http.clone(), url.to_string(), bearer.to_string());
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
                        let counter = if good { &ok } else { &failed };
                        counter.fetch_add(1, Ordering::Relaxed);
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
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    if failed > 0 {
        return Err(Error::Check(format!(
            "{failed} of {} ceiling requests failed",
            ok + failed
        )));
    }
    Ok(ok as f64 / took.as_secs_f64())
}
