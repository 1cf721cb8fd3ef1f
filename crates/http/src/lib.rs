//! Shared HTTP transport for graphlink.
//!
//! Everything that talks HTTP to the identity platform or to Graph goes through this crate:
//! [`ClientOptions`] builds the one `reqwest::Client` (connection pool) of a connection,
//! [`RetryPolicy`] is the single retry decision table, and [`PauseGate`] makes a throttling
//! pause hold back every request of a connection, not only the one that got the 429 (and, when
//! the pause ends, send one probe before the others).
#![warn(missing_docs)]

mod client;
mod pause;
mod retry;

pub use client::{ClientOptions, Error};
pub use pause::{Pass, PauseGate, SEND_EVENT_TARGET};
pub use retry::{
    describe_transport_error, retry_after, Idempotency, RetryDecision, RetryPolicy, Sender,
};
