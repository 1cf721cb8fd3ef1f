//! The integration tests of graphlink-runtime, one test binary (one link) for the crate.

#[allow(dead_code)]
mod common;
mod coordinator;
mod crash;
mod graph;
mod graph_mirror;
mod graph_policies;
mod roles;
mod secrets_macros;
mod shutdown;
mod sink;
mod source;
mod teams;
mod validate;
