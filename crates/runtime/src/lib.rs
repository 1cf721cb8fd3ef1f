//! graphlink runtime: projects of named assets (connections, environments, secrets, sources,
//! sinks, services, workflows), their validation and macros, encrypted secrets, the access
//! coordinator, storages, and the node that runs workflows.
//!
//! | task | call |
//! |---|---|
//! | load a project folder | [`Project::load`] |
//! | `project validate` | [`validate`] / [`validate_with`] (stage, env) → `Vec<Problem>` |
//! | `project usage NAME` | [`usage`] |
//! | `secret keygen / init / add` | [`secrets::KeyPair`], [`secrets::create_secret_asset`], [`secrets::add_secret`] |
//! | `coordinator list / reset / clearance` | [`coordinator::SqliteCoordinator::open_in`] + [`coordinator::Coordinator`] |
//! | `run` | [`Node::new`] + [`Node::run`] (or [`run`]); [`Node::status`] |
//! | `demo` | [`Node::run_until_idle`] |
//! | connection test / login with a project connection | [`resolve_connection`] → [`ResolvedConnection`] |
//! | a connection (asset or `AZURE_*` environment) → tokens, Graph client | [`Connected::resolve`] / [`Connected::from_env`] |
#![warn(missing_docs)]

mod connect;
mod connected;
pub mod coordinator;
mod error;
pub mod macros;
pub mod model;
pub mod naming;
pub mod notify;
mod problem;
mod process;
mod project;
mod run;
pub mod schedule;
pub mod secrets;
pub mod storage;
pub mod teams;
mod usage;
mod validate;

pub use connect::{
    drive_ref, resolve_connection, GraphStorageFactory, ResolvedConnection, ResolvedCredential,
};
pub use connected::{default_cache_dir, ConnectOptions, Connected};
pub use error::{Error, Result};
pub use problem::{Location, Problem};
pub use project::Project;
pub use run::{
    run, Node, NodeOptions, NodeStatus, PollReport, StorageFactory, WorkflowState, WorkflowStatus,
};
pub use usage::{dependencies, references, runnable, usage, Reference, Usage};
pub use validate::{validate, validate_with, ValidateOptions};
