//! The integration tests of graphlink-identity, one test binary (one link) for the crate.

mod against_emulator;
#[allow(dead_code)]
mod common;
mod persistent_cache;
