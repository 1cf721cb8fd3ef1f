//! `graphlink`: connect data pipelines to Microsoft 365 through Microsoft Graph.

mod args;
mod commands;
mod connection;
mod error;
mod exit;
mod location;
mod output;
mod progress;
mod report;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = args::Cli::parse();
    init_logging(args.verbose, args.json);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(commands::run(args)) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", report::message(&err));
            ExitCode::from(exit::for_error(&err))
        }
    }
}

fn init_logging(verbose: u8, json: bool) {
    let default = match verbose {
        0 => "warn",
        1 => "info,graphlink=info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("GRAPHLINK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
