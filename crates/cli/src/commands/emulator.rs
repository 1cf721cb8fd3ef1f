//! `graphlink emulator`: serve the emulator until interrupted.

use std::process::ExitCode;

use anyhow::Context;
use graphlink_emulator::faults::FaultRule;
use graphlink_emulator::{Emulator, EmulatorOptions, Seed};

use crate::args::EmulatorArgs;

/// Starts the emulator and serves until SIGINT/SIGTERM.
pub(crate) async fn run(args: EmulatorArgs, json: bool) -> anyhow::Result<ExitCode> {
    if args.print_seed {
        print!("{}", Seed::default().to_toml());
        return Ok(ExitCode::SUCCESS);
    }
    let mut seed = match &args.seed {
        Some(path) => Seed::from_file(path)?,
        None => Seed::default(),
    };
    for (i, text) in args.faults.iter().enumerate() {
        let rule: FaultRule = serde_json::from_str(text)
            .with_context(|| format!("--fault #{}: not a valid fault rule", i + 1))?;
        seed.faults.push(rule);
    }
    let tenant = seed.tenant.id.clone();
    let emulator = Emulator::start(EmulatorOptions {
        addr: args.addr,
        data_dir: Some(args.data.clone()),
        tls: args.tls,
        seed,
    })
    .await?;
    if json {
        println!(
            "{}",
            serde_json::json!({
                "base_url": emulator.base_url(),
                "authority": emulator.authority(),
                "graph_url": emulator.graph_url(),
                "ca_certificate": emulator.ca_cert_path(),
                "tenant": tenant,
            })
        );
    } else {
        println!("graphlink emulator listening on {}", emulator.base_url());
        println!("  authority:  {}", emulator.authority());
        println!("  graph:      {}", emulator.graph_url());
        if let Some(ca) = emulator.ca_cert_path() {
            println!("  CA certificate: {}", ca.display());
        }
        println!("  data:       {}", emulator.data_dir().display());
        println!("Press Ctrl-C to stop.");
    }
    shutdown_signal().await;
    emulator.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on SIGINT or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = ctrl_c.await;
            return;
        };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
