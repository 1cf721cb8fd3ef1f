//! Progress bars for transfers, drawn on a terminal only.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use graphlink_graph::Progress;
use indicatif::{ProgressBar, ProgressStyle};

/// A transfer progress display: bytes, rate, files done; hidden when not on a terminal.
#[derive(Debug)]
pub(crate) struct Bars {
    bar: ProgressBar,
    files_done: AtomicU64,
    files_failed: AtomicU64,
}

impl Bars {
    /// A progress display; `visible` false draws nothing.
    pub(crate) fn new(visible: bool, total_bytes: Option<u64>) -> Self {
        let bar = if !visible {
            ProgressBar::hidden()
        } else if let Some(total) = total_bytes {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        } else {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {bytes} {bytes_per_sec} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar
        };
        bar.enable_steady_tick(Duration::from_millis(200));
        Self {
            bar,
            files_done: AtomicU64::new(0),
            files_failed: AtomicU64::new(0),
        }
    }

    /// Removes the bar from the terminal.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bars {
    fn advance(&self, bytes: u64) {
        self.bar.inc(bytes);
    }

    fn file_started(&self, path: &str, _size: Option<u64>) {
        self.bar.set_message(path.to_string());
    }

    fn file_finished(&self, _path: &str, ok: bool) {
        let counter = if ok {
            &self.files_done
        } else {
            &self.files_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let done = self.files_done.load(Ordering::Relaxed);
        let failed = self.files_failed.load(Ordering::Relaxed);
        self.bar.set_message(if failed > 0 {
            format!("{done} files, {failed} failed")
        } else {
            format!("{done} files")
        });
    }
}
