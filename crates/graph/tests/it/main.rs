//! The integration tests of graphlink-graph, one test binary (one link) for the crate.

#[allow(dead_code)]
mod common;
mod drives;
mod gigabyte;
mod items;
mod ops;
mod pipeline;
mod teams;
#[allow(dead_code)]
mod teams_support;
mod transfers;
mod tree;
