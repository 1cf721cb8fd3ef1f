//! graphlink runtime: projects of named assets (connections, environments, secrets, sources,
//! sinks, services, workflows), their validation and macros, encrypted secrets, the access
//! coordinator, storages, and the node that runs workflows.
#![warn(missing_docs)]

mod error;
pub mod macros;
pub mod model;
pub mod naming;
mod problem;
mod project;
pub mod schedule;
pub mod secrets;

pub use error::{Error, Result};
pub use problem::{Location, Problem};
pub use project::Project;
mod usage;
mod validate;

pub use usage::{dependencies, references, runnable, usage, Reference, Usage};
pub use validate::{validate, validate_with, ValidateOptions};
mod connect;
pub mod coordinator;
pub mod notify;
mod process;
mod run;
pub mod storage;

pub use connect::{
    drive_ref, resolve_connection, GraphStorageFactory, ResolvedConnection, ResolvedCredential,
};
pub use run::{
    run, Node, NodeOptions, NodeStatus, PollReport, StorageFactory, WorkflowState, WorkflowStatus,
};
