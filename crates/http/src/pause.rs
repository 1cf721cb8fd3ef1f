//! A connection-wide pause: when Graph throttles one request, every request of the
//! connection waits until the server's `Retry-After` has passed.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::time::Instant;

/// Shared pause state of one connection. Cloning shares the same pause.
#[derive(Debug, Clone, Default)]
pub struct PauseGate {
    until: Arc<Mutex<Option<Instant>>>,
}

impl PauseGate {
    /// A gate with no pause in force.
    pub fn new() -> Self {
        Self::default()
    }

    /// Holds back every request of the connection for `delay` from now (a pause already in
    /// force that ends later is kept).
    pub fn pause_for(&self, delay: Duration) {
        let end = Instant::now() + delay;
        let mut until = self.until.lock();
        if until.is_none_or(|current| current < end) {
            *until = Some(end);
        }
    }

    /// The time left in the current pause, if any.
    pub fn remaining(&self) -> Option<Duration> {
        let until = *self.until.lock();
        until
            .and_then(|end| end.checked_duration_since(Instant::now()))
            .filter(|left| !left.is_zero())
    }

    /// Waits until no pause is in force. Loops because another request may extend the pause
    /// while this one sleeps.
    pub async fn wait(&self) {
        while let Some(left) = self.remaining() {
            tokio::time::sleep(left).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_back_every_waiter_until_it_ends() {
        let gate = PauseGate::new();
        assert!(gate.remaining().is_none());
        gate.pause_for(Duration::from_secs(2));
        gate.pause_for(Duration::from_secs(1)); // shorter: must not shorten the pause
        let start = Instant::now();
        let other = gate.clone();
        let waiter = tokio::spawn(async move {
            other.wait().await;
            Instant::now()
        });
        gate.wait().await;
        let done = waiter.await.unwrap();
        assert!(start.elapsed() >= Duration::from_secs(2));
        assert!(done - start >= Duration::from_secs(2));
    }
}
