//! Command-line flags.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// Measures graphlink's transfer speed, memory and efficiency against baselines on the emulator.
#[derive(Debug, Parser)]
#[command(name = "graphlink-bench", version)]
pub(crate) struct Args {
    /// Smaller sizes (64 MiB large file, 200 small files, 5,000-item library): a smoke test
    /// that finishes in under two minutes.
    #[arg(long)]
    pub quick: bool,
    /// Also write the figures to FILE as JSON Lines (one JSON object per figure: name, value,
    /// unit, baseline, ratio, target, met, note).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Run only these phases (comma-separated; `throttle` runs `small` first).
    #[arg(long, value_delimiter = ',', value_name = "PHASES")]
    pub only: Vec<Phase>,
    /// Folder for scratch files (the large file, downloads, the emulator's data); default: the
    /// system's temporary folder.
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<PathBuf>,
    /// Internal: serve the emulator (the benchmark's child process).
    #[arg(long, hide = true)]
    pub serve_emulator: bool,
    /// Internal: the emulator's data folder (with `--serve-emulator`), the token cache folder
    /// (with `--transfer-child`).
    #[arg(long, hide = true, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Internal: do one large transfer in this process and print what it measured.
    #[arg(long, hide = true, value_name = "KIND")]
    pub transfer_child: Option<crate::figures::transfer_child::Transfer>,
    /// Internal: the emulator endpoint (JSON), with `--transfer-child`.
    #[arg(long, hide = true, value_name = "JSON")]
    pub endpoint: Option<String>,
    /// Internal: the local file, with `--transfer-child`.
    #[arg(long, hide = true, value_name = "FILE")]
    pub local: Option<PathBuf>,
    /// Internal: the file size, with `--transfer-child`.
    #[arg(long, hide = true, value_name = "BYTES")]
    pub size: Option<u64>,
}

/// A group of figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Phase {
    /// Large file up and down, peak memory.
    Large,
    /// Many small files up and down.
    Small,
    /// Small-file upload under throttling.
    Throttle,
    /// Change detection in a large library.
    Changes,
    /// Token requests.
    Tokens,
    /// The emulator's ceiling.
    Ceiling,
}
