//! The integration tests of graphlink-cli, one test binary (one link) for the crate.

mod auth;
mod files;
mod project;
mod teams;
