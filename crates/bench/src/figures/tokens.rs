//! Figure 5: token requests per 10,000 Graph calls (goal: 1), and the time for many concurrent
//! callers to get a token from a fresh cache (against one caller alone).

use std::sync::Arc;
use std::time::Duration;

use futures::stream::{self, StreamExt, TryStreamExt};

use super::{timed, Ctx};
use crate::conn;
use crate::error::{Context, Error, Result};
use crate::report::{Figure, Target};

/// Path regex of the token endpoint in the emulator's request log.
pub(crate) const TOKEN_PATH: &str = "oauth2/v2\\.0/token";
const CALL_CONCURRENCY: usize = 32;

/// What the ceiling figure reuses: the client's rate for small GETs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientRate {
    /// Small authenticated GETs per second through the Graph client.
    pub calls_per_s: f64,
    /// With this many in flight.
    pub concurrency: usize,
}

/// Runs the token figures.
pub(crate) async fn run(ctx: &Ctx) -> Result<(Vec<Figure>, ClientRate)> {
    let calls = ctx.sizes.token_calls;
    ctx.say(format!(
        "tokens: {calls} Graph calls through a fresh connection, concurrency {CALL_CONCURRENCY}"
    ));
    let fresh = conn::product(&ctx.endpoint, &ctx.cache_dir)?;
    let path = format!(
        "/drives/{}/root",
        graphlink_graph::encode_segment(ctx.drive.id())
    );
    ctx.admin.reset_counters().await?;
    let (result, took) = timed(
        stream::iter((0..calls).map(|_| {
            let graph = &fresh.graph;
            let path = &path;
            async move {
                graph
                    .get_json::<serde_json::Value>(path)
                    .await
                    .context("a small Graph call")
            }
        }))
        .buffer_unordered(CALL_CONCURRENCY)
        .try_collect::<Vec<_>>(),
    )
    .await;
    result?;
    let counted = ctx.admin.counters(Some(TOKEN_PATH)).await?;
    let token_requests = counted.matching.unwrap_or(0);
    let graph_calls = counted.total.saturating_sub(token_requests);
    let per_10k = token_requests as f64 * 10_000.0 / graph_calls.max(1) as f64;
    let rate = ClientRate {
        calls_per_s: calls as f64 / took.as_secs_f64(),
        concurrency: CALL_CONCURRENCY,
    };
    ctx.say(format!(
        "  {token_requests} token requests for {graph_calls} Graph calls ({:.0} calls/s)",
        rate.calls_per_s
    ));

    // One caller alone, on a fresh cache: the time of one token request.
    let single = conn::product(&ctx.endpoint, &ctx.cache_dir)?;
    let (token, alone) = timed(single.tokens.token()).await;
    token.context("getting a token")?;

    // Many callers at once on another fresh cache.
    let callers = ctx.sizes.token_callers;
    let crowd = conn::product(&ctx.endpoint, &ctx.cache_dir)?;
    ctx.admin.reset_counters().await?;
    let (outcome, together) = timed(async {
        let tasks: Vec<_> = (0..callers)
            .map(|_| {
                let tokens = Arc::clone(&crowd.tokens);
                tokio::spawn(async move { tokens.token().await.map(|_| ()) })
            })
            .collect();
        for task in tasks {
            task.await
                .map_err(|e| Error::Check(format!("a token caller panicked: {e}")))?
                .context("getting a token")?;
        }
        Ok::<(), Error>(())
    })
    .await;
    outcome?;
    let crowd_requests = ctx
        .admin
        .counters(Some(TOKEN_PATH))
        .await?
        .matching
        .unwrap_or(0);
    ctx.say(format!(
        "  {callers} concurrent callers: {:.1} ms, {crowd_requests} token request(s); one caller alone: {:.1} ms",
        ms(together),
        ms(alone)
    ));
    Ok((
        vec![
            Figure::info(
                "token_requests_per_10k_calls",
                per_10k,
                "requests",
                format!("{token_requests} token requests (emulator log, path ~ {TOKEN_PATH}) for {graph_calls} Graph calls (GET /drives/{{id}}/root, concurrency {CALL_CONCURRENCY}), fresh cache, client secret"),
            )
            .target(Target::ValueAtMost(1.0)),
            Figure::compared(
                "token_concurrent_callers_time",
                ms(together),
                ms(alone),
                "ms",
                format!("{callers} tasks calling token() at once on a fresh cache ({crowd_requests} token request(s) sent); baseline = one caller alone on a fresh cache"),
            ),
        ],
        rate,
    ))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
