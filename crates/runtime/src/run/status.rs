//! The status snapshot of a node: what each workflow is doing.

use std::time::SystemTime;

use serde::Serialize;

/// What a workflow is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "detail")]
pub enum WorkflowState {
    /// Not started yet.
    Starting,
    /// Waiting for the next poll.
    Idle,
    /// Listing the source.
    Polling,
    /// Processing a file.
    Processing(String),
    /// Backing off after failures until the given time (RFC 3339).
    BackingOff(String),
    /// Throttled (max streams per period) until the given time (RFC 3339).
    Throttled(String),
    /// The last poll failed.
    Error(String),
    /// Stopped.
    Stopped,
}

/// One workflow's status.
#[derive(Debug, Clone, Serialize)]
pub struct WorkflowStatus {
    /// The workflow.
    pub name: String,
    /// Its state.
    pub state: WorkflowState,
    /// Files processed successfully since the node started.
    pub files_done: u64,
    /// Files failed since the node started.
    pub files_failed: u64,
    /// Files waiting for clearance at the last poll.
    pub files_waiting: u64,
    /// Files being taken through the workflow right now.
    pub files_in_flight: u64,
    /// Last poll.
    #[serde(with = "opt_time")]
    pub last_poll: Option<SystemTime>,
    /// Next poll.
    #[serde(with = "opt_time")]
    pub next_poll: Option<SystemTime>,
    /// The last error.
    pub last_error: Option<String>,
}

impl WorkflowStatus {
    pub(crate) fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            state: WorkflowState::Starting,
            files_done: 0,
            files_failed: 0,
            files_waiting: 0,
            files_in_flight: 0,
            last_poll: None,
            next_poll: None,
            last_error: None,
        }
    }
}

/// A node's status.
#[derive(Debug, Clone, Serialize)]
pub struct NodeStatus {
    /// The node id (stable per state folder).
    pub node_id: String,
    /// The node's roles.
    pub roles: Vec<String>,
    /// Workflows this node runs.
    pub workflows: Vec<WorkflowStatus>,
    /// Workflows it does not run, with the reason.
    pub skipped: Vec<(String, String)>,
}

/// RFC 3339 text of a time.
pub(super) fn rfc3339(t: SystemTime) -> String {
    let dt: chrono::DateTime<chrono::Utc> = t.into();
    dt.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

mod opt_time {
    use std::time::SystemTime;

    pub(super) fn serialize<S: serde::Serializer>(
        t: &Option<SystemTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_some(&super::rfc3339(*t)),
            None => s.serialize_none(),
        }
    }
}
