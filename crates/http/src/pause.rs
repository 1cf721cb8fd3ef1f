//! A connection-wide pause: when Graph throttles one request, every request of the
//! connection waits until the server's `Retry-After` has passed.
//!
//! When a pause ends, the gate does not let every waiting request out at once: it lets exactly
//! one through first (the *probe*), and the others keep waiting until the probe's outcome is
//! known. If the probe is throttled again, the pause is extended and nobody else was sent into
//! it; otherwise the gate opens for everyone. A connection that was never paused (or whose last
//! probe went through) does no probing: [`PauseGate::wait`] is then one uncontended lock.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Target of the TRACE event emitted for every request the gate lets through (message
/// `"sending"`, field `probe`). The event is emitted while the gate decides, so its instant is
/// ordered with the start and end of every pause: a log reader can check that no request was let
/// through while a pause was in force. It costs one disabled-callsite check when nobody listens.
pub const SEND_EVENT_TARGET: &str = "graphlink_http::send";

/// Shared pause state of one connection. Cloning shares the same pause.
#[derive(Debug, Clone, Default)]
pub struct PauseGate {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    /// Woken when a probe reports its outcome.
    probe_done: Notify,
}

#[derive(Debug, Default)]
struct State {
    /// End of the latest pause; `None` when no pause happened since the gate last opened.
    /// `Some` of an instant already past means "the pause is over, a probe must go first".
    until: Option<Instant>,
    /// A probe has been let through and has not reported yet.
    probing: bool,
}

impl State {
    fn extend(&mut self, delay: Duration) {
        let end = Instant::now() + delay;
        if self.until.is_none_or(|current| current < end) {
            self.until = Some(end);
        }
    }
}

impl PauseGate {
    /// A gate with no pause in force.
    pub fn new() -> Self {
        Self::default()
    }

    /// Holds back every request of the connection for `delay` from now (a pause already in
    /// force that ends later is kept). When it ends, one probe goes first (see [`Pass`]).
    pub fn pause_for(&self, delay: Duration) {
        self.shared.state.lock().extend(delay);
    }

    /// The time left in the current pause, if any (the wait for a probe's outcome after the
    /// pause ended is not counted).
    pub fn remaining(&self) -> Option<Duration> {
        let until = self.shared.state.lock().until;
        until
            .and_then(|end| end.checked_duration_since(Instant::now()))
            .filter(|left| !left.is_zero())
    }

    /// Waits until this connection may send one request, and returns the permission.
    ///
    /// With no pause since the gate last opened, this returns at once. During a pause it sleeps
    /// until the pause ends (looping, since another request may extend it); then the first
    /// waiter gets a probe [`Pass`] and the others wait until the probe reports. Every pass
    /// handed out emits the [`SEND_EVENT_TARGET`] TRACE event.
    pub async fn wait(&self) -> Pass<'_> {
        loop {
            let probe_done = {
                let mut state = self.shared.state.lock();
                let Some(end) = state.until else {
                    tracing::trace!(target: SEND_EVENT_TARGET, probe = false, "sending");
                    return Pass {
                        gate: self,
                        probe: false,
                    };
                };
                if Instant::now() < end {
                    None
                } else if !state.probing {
                    state.probing = true;
                    tracing::trace!(target: SEND_EVENT_TARGET, probe = true, "sending");
                    return Pass {
                        gate: self,
                        probe: true,
                    };
                } else {
                    // Created under the lock: the probe's report (which takes the lock) cannot
                    // slip in between and be missed.
                    Some(self.shared.probe_done.notified())
                }
            };
            match probe_done {
                Some(notified) => notified.await,
                None => {
                    let Some(left) = self.remaining() else {
                        continue;
                    };
                    tokio::time::sleep(left).await;
                }
            }
        }
    }

    /// Ends the probe: a throttled probe extends the pause by `delay`; otherwise the gate opens,
    /// unless another request extended the pause in the meantime.
    fn probe_reported(&self, throttled: Option<Duration>) {
        {
            let mut state = self.shared.state.lock();
            state.probing = false;
            match throttled {
                Some(delay) => state.extend(delay),
                None => {
                    if state.until.is_some_and(|end| end <= Instant::now()) {
                        state.until = None;
                    }
                }
            }
        }
        self.shared.probe_done.notify_waiters();
    }
}

/// Permission to send one request, from [`PauseGate::wait`]. Keep it until the request's outcome
/// is known, then call [`Pass::throttled`] if the server throttled it, or drop it otherwise.
///
/// The first request let through after a pause is a probe: the other requests of the connection
/// wait until its pass is reported throttled or dropped. Dropping it without a report (success,
/// another error, a failure to connect, or a cancelled request) opens the gate, so the
/// connection never stays shut.
#[derive(Debug)]
#[must_use = "dropping the pass at once ends a probe before its request is sent"]
pub struct Pass<'a> {
    gate: &'a PauseGate,
    probe: bool,
}

impl Pass<'_> {
    /// Whether this is the probe after a pause.
    pub fn is_probe(&self) -> bool {
        self.probe
    }

    /// The request was throttled: pauses the connection for `delay` from now (see
    /// [`PauseGate::pause_for`]); a probe keeps the other requests waiting for the new pause.
    pub fn throttled(mut self, delay: Duration) {
        if std::mem::take(&mut self.probe) {
            self.gate.probe_reported(Some(delay));
        } else {
            self.gate.pause_for(delay);
        }
    }
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        if self.probe {
            self.gate.probe_reported(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_back_every_waiter_until_it_ends() {
        let gate = PauseGate::new();
        assert!(gate.remaining().is_none());
        gate.pause_for(Duration::from_secs(2));
        gate.pause_for(Duration::from_secs(1)); // shorter: must not shorten the pause
        let start = Instant::now();
        let other = gate.clone();
        let waiter = tokio::spawn(async move {
            drop(other.wait().await);
            Instant::now()
        });
        drop(gate.wait().await);
        let done = waiter.await.unwrap();
        assert!(start.elapsed() >= Duration::from_secs(2));
        assert!(done - start >= Duration::from_secs(2));
    }

    /// Three tasks wait on a paused gate; each counts itself through and hands its pass to
    /// the test through a channel.
    struct Waiters {
        through: Arc<AtomicUsize>,
        passes: tokio::sync::mpsc::UnboundedReceiver<(bool, tokio::sync::oneshot::Sender<Report>)>,
    }

    #[derive(Debug)]
    enum Report {
        Fine,
        Throttled(Duration),
        Cancelled,
    }

    /// Spawns `n` tasks that wait on `gate`, then hold their pass until the test tells them
    /// what their request's outcome was.
    fn spawn_waiters(gate: &PauseGate, n: usize) -> Waiters {
        let through = Arc::new(AtomicUsize::new(0));
        let (tx, passes) = tokio::sync::mpsc::unbounded_channel();
        for _ in 0..n {
            let gate = gate.clone();
            let through = through.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                let pass = gate.wait().await;
                through.fetch_add(1, Ordering::SeqCst);
                let (report_tx, report_rx) = tokio::sync::oneshot::channel();
                tx.send((pass.is_probe(), report_tx)).unwrap();
                match report_rx.await {
                    Ok(Report::Throttled(delay)) => pass.throttled(delay),
                    Ok(Report::Fine) => drop(pass),
                    // The "request" is cancelled: the task ends with the pass dropped.
                    Ok(Report::Cancelled) | Err(_) => {}
                }
            });
        }
        Waiters { through, passes }
    }

    /// Lets every runnable task run (time is paused, so nothing else advances).
    async fn settle() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_pause_only_the_probe_goes_until_it_reports() {
        let gate = PauseGate::new();
        gate.pause_for(Duration::from_secs(1));
        let mut w = spawn_waiters(&gate, 3);
        settle().await;
        assert_eq!(
            w.through.load(Ordering::SeqCst),
            0,
            "nobody goes during the pause"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (probe, _report) = w.passes.recv().await.unwrap();
        assert!(probe);
        // Long after the pause, the others still wait for the probe's outcome.
        tokio::time::sleep(Duration::from_secs(60)).await;
        settle().await;
        assert_eq!(w.through.load(Ordering::SeqCst), 1);
        assert!(w.passes.try_recv().is_err());
        assert!(gate.remaining().is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_probe_that_goes_through_releases_the_others() {
        let gate = PauseGate::new();
        gate.pause_for(Duration::from_secs(1));
        let mut w = spawn_waiters(&gate, 3);
        let start = Instant::now();
        let (probe, report) = w.passes.recv().await.unwrap();
        assert!(probe);
        report.send(Report::Fine).unwrap();
        for _ in 0..2 {
            let (probe, _report) = w.passes.recv().await.unwrap();
            assert!(!probe, "the gate is open again: no second probe");
        }
        assert_eq!(w.through.load(Ordering::SeqCst), 3);
        assert_eq!(start.elapsed(), Duration::from_secs(1));
        // Open again: the next request goes at once, not as a probe.
        let pass = gate.wait().await;
        assert!(!pass.is_probe());
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttled_probe_keeps_the_others_waiting_for_the_new_pause() {
        let gate = PauseGate::new();
        gate.pause_for(Duration::from_secs(1));
        let mut w = spawn_waiters(&gate, 3);
        let start = Instant::now();
        let (probe, report) = w.passes.recv().await.unwrap();
        assert!(probe);
        report
            .send(Report::Throttled(Duration::from_secs(2)))
            .unwrap();
        settle().await;
        assert_eq!(w.through.load(Ordering::SeqCst), 1);
        assert!(gate.remaining().is_some());
        // The new pause ends 3 s after the start: one new probe, and only it.
        let (probe, report) = w.passes.recv().await.unwrap();
        assert!(probe);
        assert_eq!(start.elapsed(), Duration::from_secs(3));
        settle().await;
        assert_eq!(w.through.load(Ordering::SeqCst), 2);
        report.send(Report::Fine).unwrap();
        let (probe, _report) = w.passes.recv().await.unwrap();
        assert!(!probe);
        assert_eq!(start.elapsed(), Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_probe_releases_the_others() {
        let gate = PauseGate::new();
        gate.pause_for(Duration::from_secs(1));
        let mut w = spawn_waiters(&gate, 3);
        let (probe, report) = w.passes.recv().await.unwrap();
        assert!(probe);
        report.send(Report::Cancelled).unwrap();
        for _ in 0..2 {
            let (probe, _report) = w.passes.recv().await.unwrap();
            assert!(!probe);
        }
        assert_eq!(w.through.load(Ordering::SeqCst), 3);

        // Same when the request holding the probe is cancelled (its task aborted).
        gate.pause_for(Duration::from_secs(1));
        let held = gate.clone();
        let (is_probe_tx, is_probe_rx) = tokio::sync::oneshot::channel();
        let cancelled = tokio::spawn(async move {
            let pass = held.wait().await;
            is_probe_tx.send(pass.is_probe()).unwrap();
            std::future::pending::<()>().await;
            drop(pass);
        });
        assert!(is_probe_rx.await.unwrap());
        assert!(
            tokio::time::timeout(Duration::from_secs(10), gate.wait())
                .await
                .is_err(),
            "the others wait while the probe is out"
        );
        cancelled.abort();
        let pass = tokio::time::timeout(Duration::from_secs(1), gate.wait())
            .await
            .expect("the gate must open when the probe is cancelled");
        assert!(!pass.is_probe());
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_set_while_the_probe_is_out_is_kept() {
        let gate = PauseGate::new();
        gate.pause_for(Duration::from_secs(1));
        let mut w = spawn_waiters(&gate, 2);
        let (probe, report) = w.passes.recv().await.unwrap();
        assert!(probe);
        // A request sent before the pause comes back throttled while the probe is out.
        gate.pause_for(Duration::from_secs(5));
        report.send(Report::Fine).unwrap();
        settle().await;
        assert_eq!(w.through.load(Ordering::SeqCst), 1);
        assert!(gate.remaining().is_some());
        let (probe, _report) = w.passes.recv().await.unwrap();
        assert!(probe, "after the new pause, a new probe goes first");
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_pause_nobody_waits_or_probes() {
        let gate = PauseGate::new();
        let start = Instant::now();
        let passes = [gate.wait().await, gate.wait().await, gate.wait().await];
        assert!(passes.iter().all(|p| !p.is_probe()));
        assert_eq!(start.elapsed(), Duration::ZERO);
        // A throttled non-probe request pauses everyone as before.
        let [first, ..] = passes;
        first.throttled(Duration::from_millis(500));
        assert_eq!(gate.remaining(), Some(Duration::from_millis(500)));
    }
}
