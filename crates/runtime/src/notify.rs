//! Notifications: the `Notifier` interface (a Teams service implements it) and the log notifier.

use std::fmt;

use crate::Result;

/// A sent message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SentMessage {
    /// The message id.
    pub id: String,
    /// A link to it, if any.
    pub web_url: Option<String>,
}

/// Sends a message to a logical conversation (a channel or chat name of a service).
#[async_trait::async_trait]
pub trait Notifier: Send + Sync + fmt::Debug {
    /// Sends `content` to `conversation`.
    async fn send(&self, conversation: &str, content: &str) -> Result<SentMessage>;
}

/// Writes messages to the log (`type = "log"` services; Teams services get a
/// [`crate::teams::TeamsNotifier`]).
#[derive(Debug, Clone)]
pub struct LogNotifier {
    service: String,
}

impl LogNotifier {
    /// A log notifier for service `service`.
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
        }
    }
}

#[async_trait::async_trait]
impl Notifier for LogNotifier {
    async fn send(&self, conversation: &str, content: &str) -> Result<SentMessage> {
        tracing::info!(service = %self.service, conversation, message = %content, "notification");
        Ok(SentMessage {
            id: uuid::Uuid::new_v4().to_string(),
            web_url: None,
        })
    }
}
