//! A local emulator of the Microsoft identity platform and Microsoft Graph.
//!
//! One origin serves the identity platform under `/{tenant}/...`, Graph under `/v1.0/...` and
//! `/beta/...`, and the emulator's own admin API under `/_emulator/...`. It is what graphlink's
//! demo, tests and benchmarks run against; Microsoft's own clients work against it given its URL
//! and CA certificate.
#![warn(missing_docs)]

pub mod admin;
pub mod bucket;
pub mod defaults;
pub mod error;
pub mod faults;
pub mod graph;
pub mod html;
pub mod identity;
pub mod keys;
pub mod persist;
pub mod raw;
pub mod seed;
pub mod server;
pub mod state;
pub mod teams;
pub mod tls;
pub mod web;

pub use error::Error;
pub use seed::Seed;
pub use server::{Emulator, EmulatorOptions, RunningEmulator};
pub use state::AppState;
