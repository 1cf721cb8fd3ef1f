//! The emulator in its own process, so that the memory measured in the benchmark process is the
//! client's alone: the bench binary re-runs itself with `--serve-emulator`, the child prints one
//! JSON line with its address and CA certificate, and serves until its standard input closes.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use graphlink_emulator::{Emulator, EmulatorOptions};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};

use crate::error::{Context, Error, Result};

/// What the child announces once it listens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Endpoint {
    /// `https://127.0.0.1:PORT`.
    pub base_url: String,
    /// The emulator's CA certificate (PEM).
    pub ca_cert: PathBuf,
}

/// Child side: serves the emulator with its data in `data` until standard input closes.
pub(crate) async fn serve(data: &Path) -> Result<()> {
    let emulator = Emulator::start(EmulatorOptions {
        data_dir: Some(data.to_path_buf()),
        tls: true,
        ..EmulatorOptions::default()
    })
    .await
    .context("starting the emulator")?;
    let ca_cert = emulator
        .ca_cert_path()
        .ok_or_else(|| Error::Check("the emulator serves TLS but has no CA certificate".into()))?
        .to_path_buf();
    let endpoint = Endpoint {
        base_url: emulator.base_url().to_string(),
        ca_cert,
    };
    let line = serde_json::to_string(&endpoint).context("announcing the emulator")?;
    println!("{line}");
    // The parent holds our stdin open; its end (or the parent's death) stops us.
    let mut stdin = tokio::io::stdin();
    let mut sink = [0u8; 256];
    while stdin.read(&mut sink).await.map(|n| n > 0).unwrap_or(false) {}
    emulator.shutdown().await;
    Ok(())
}

/// Parent side: the running emulator child.
pub(crate) struct EmulatorProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    /// Where it listens.
    pub endpoint: Endpoint,
}

impl EmulatorProcess {
    /// Starts this program as an emulator child with its data in `data` and waits for its address.
    pub(crate) async fn spawn(data: &Path) -> Result<Self> {
        let exe = std::env::current_exe().context("finding the benchmark program")?;
        let mut child = Command::new(exe)
            .arg("--serve-emulator")
            .arg("--data")
            .arg(data)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting the emulator process")?;
        let stdin = child.stdin.take();
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| Error::Check("the emulator process has no stdout".into()))?;
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(120), lines.next_line())
            .await
            .map_err(|_| Error::Check("the emulator process did not start within 120 s".into()))?
            .context("reading the emulator's address")?
            .ok_or_else(|| Error::Check("the emulator process exited before listening".into()))?;
        let endpoint: Endpoint =
            serde_json::from_str(&first).context("reading the emulator's address")?;
        Ok(Self {
            child,
            stdin,
            endpoint,
        })
    }

    /// The child's process id (while it runs).
    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Stops the child: closes its stdin and waits; kills it after 10 s.
    pub(crate) async fn stop(mut self) {
        drop(self.stdin.take());
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}
