//! `graphlink-bench`: measures the product's transfer speed, memory and efficiency against
//! baselines on the emulator, in one run. See `crates/bench/README.md`.
//!
//! ```text
//! cargo run --release -p graphlink-bench -- [--quick] [--json FILE]
//! ```
#![warn(missing_docs)]

mod admin;
mod args;
mod conn;
mod cpu;
mod data;
mod error;
mod figures;
mod machine;
mod memory;
mod report;
mod serve;
mod throttle_log;

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use graphlink_graph::DriveRef;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

use crate::args::{Args, Phase};
use crate::error::{Context, Result};
use crate::figures::{Ctx, Sizes};
use crate::report::Figure;
use crate::serve::EmulatorProcess;
use crate::throttle_log::ThrottleLog;

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("graphlink-bench: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    if args.serve_emulator {
        let Some(data) = args.data.clone() else {
            eprintln!("graphlink-bench: --serve-emulator needs --data DIR");
            return ExitCode::from(2);
        };
        return match runtime.block_on(serve::serve(&data)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("graphlink-bench emulator: {e}");
                ExitCode::from(2)
            }
        };
    }
    if let Some(transfer) = args.transfer_child {
        let (Some(endpoint), Some(local), Some(size), Some(data)) =
            (&args.endpoint, &args.local, args.size, &args.data)
        else {
            eprintln!(
                "graphlink-bench: --transfer-child needs --endpoint, --local, --size and --data"
            );
            return ExitCode::from(2);
        };
        let work = figures::transfer_child::child(transfer, endpoint, local, size, data);
        return match runtime.block_on(work) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("graphlink-bench transfer: {e}");
                ExitCode::from(2)
            }
        };
    }
    let throttles = ThrottleLog::default();
    let filter = tracing_subscriber::EnvFilter::try_from_env("GRAPHLINK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error"));
    tracing_subscriber::registry()
        .with(throttles.layer())
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(filter),
        )
        .init();
    match runtime.block_on(run(&args, throttles)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("graphlink-bench: {e}");
            ExitCode::from(2)
        }
    }
}

/// Runs the benchmark; `Ok(false)` when a phase failed or files were lost.
async fn run(args: &Args, throttles: ThrottleLog) -> Result<bool> {
    let started = Instant::now();
    let sizes = if args.quick {
        Sizes::quick()
    } else {
        Sizes::full()
    };
    let machine = machine::describe();
    eprintln!(
        "graphlink-bench ({} run) on {machine}",
        if args.quick { "quick" } else { "full" }
    );
    let work = match &args.work_dir {
        Some(dir) => tempfile::Builder::new()
            .prefix("graphlink-bench-")
            .tempdir_in(dir),
        None => tempfile::Builder::new()
            .prefix("graphlink-bench-")
            .tempdir(),
    }
    .context("creating the scratch folder")?;
    let emulator_data = work.path().join("emulator");
    let emulator = EmulatorProcess::spawn(&emulator_data).await?;
    let endpoint = emulator.endpoint.clone();
    let emulator_pid = emulator.pid();
    let outcome = async {
        let plain = conn::plain_http(&endpoint)?;
        let cache_dir = work.path().join("token-cache");
        let product = conn::product(&endpoint, &cache_dir)?;
        let drive = product
            .graph
            .drive(&DriveRef::User(conn::ADELE.into()))
            .await
            .context("resolving Adele's drive")?;
        let ctx = Ctx {
            admin: admin::Admin::new(plain.clone(), &endpoint.base_url),
            endpoint: endpoint.clone(),
            product,
            drive,
            plain,
            work: work.path().to_path_buf(),
            cache_dir,
            sizes,
            throttles,
            started,
            emulator_pid,
        };
        Ok::<_, error::Error>(run_phases(&ctx, args).await)
    }
    .await;
    emulator.stop().await;
    let (figures, failures) = outcome?;
    let mode = if args.quick { "quick" } else { "full" };
    println!("graphlink-bench, {mode} run, {machine}");
    println!(
        "took {:.0} s; JSON Lines output with --json FILE\n",
        started.elapsed().as_secs_f64()
    );
    print!("{}", report::table(&figures, &failures));
    if let Some(path) = &args.json {
        report::write_json_lines(path, &figures)?;
        eprintln!("figures written to {} (JSON Lines)", path.display());
    }
    Ok(failures.is_empty())
}

/// Runs the selected phases; a failed phase is reported and the others still run.
async fn run_phases(ctx: &Ctx, args: &Args) -> (Vec<Figure>, Vec<String>) {
    let mut figures = Vec::new();
    let mut failures = Vec::new();
    let wants = |p: Phase| args.only.is_empty() || args.only.contains(&p);
    let mut record = |name: &str, result: Result<Vec<Figure>>| match result {
        Ok(f) => figures.extend(f),
        Err(e) => {
            ctx.say(format!("{name} FAILED: {e}"));
            failures.push(format!("{name}: {e}"));
        }
    };
    if wants(Phase::Large) {
        record("large file", figures::large::run(ctx).await);
    }
    if wants(Phase::Small) || wants(Phase::Throttle) {
        match figures::small::run(ctx).await {
            Ok((f, small)) => {
                record("small files", Ok(f));
                if wants(Phase::Throttle) {
                    match figures::throttling::run(ctx, &small).await {
                        Ok((f, lost)) => {
                            record("throttling", Ok(f));
                            if lost > 0 {
                                record(
                                    "throttling",
                                    Err(error::Error::Check(format!("{lost} files lost"))),
                                );
                            }
                        }
                        Err(e) => record("throttling", Err(e)),
                    }
                }
            }
            Err(e) => record("small files", Err(e)),
        }
    }
    if wants(Phase::Changes) {
        record("change detection", figures::changes::run(ctx).await);
    }
    let mut client_rate = None;
    if wants(Phase::Tokens) {
        match figures::tokens::run(ctx).await {
            Ok((f, rate)) => {
                client_rate = Some(rate);
                record("tokens", Ok(f));
            }
            Err(e) => record("tokens", Err(e)),
        }
    }
    if wants(Phase::Ceiling) {
        record(
            "emulator ceiling",
            figures::ceiling::run(ctx, client_rate).await,
        );
    }
    (figures, failures)
}
