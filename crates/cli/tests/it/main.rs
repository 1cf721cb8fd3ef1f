//! The integration tests of graphlink-cli, one test binary (one link) for the crate.

mod auth;
#[allow(dead_code)]
mod common;
mod files;
mod project;
mod teams;
