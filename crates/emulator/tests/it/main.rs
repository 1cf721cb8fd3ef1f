//! The integration tests of graphlink-emulator, one test binary (one link) for the crate.

mod graph_auth;
mod graph_batch_copy;
mod graph_delta;
mod graph_items;
mod graph_persist;
#[allow(dead_code)]
mod graph_support;
mod graph_transfer;
mod identity_client_credentials;
mod identity_device;
mod identity_discovery;
mod identity_refresh;
#[allow(dead_code)]
mod identity_support;
mod msal;
mod msgraph_sdk;
mod server;
mod teams;
#[allow(dead_code)]
mod teams_support;
