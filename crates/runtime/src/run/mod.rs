//! Running workflows: the node, its workflow runners and their status.

mod config;
mod moves;
mod node;
mod status;
mod stream;
mod upkeep;
mod workflow;

pub(crate) use config::{resolve, resolve_text};
pub use node::{run, Node, NodeOptions, StorageFactory};
pub use status::{NodeStatus, WorkflowState, WorkflowStatus};
pub use workflow::PollReport;
