//! JSON batching (`POST /$batch`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Body of `POST /$batch`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchRequestBody {
    /// Up to 20 requests.
    pub requests: Vec<BatchItemRequest>,
}

/// One request of a batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchItemRequest {
    /// Id unique within the batch.
    pub id: String,
    /// HTTP method.
    pub method: String,
    /// URL relative to the version root (`/me/drive` or `me/drive`).
    pub url: String,
    /// Headers (`Content-Type` is required with a body).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// JSON body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
    /// Ids this request waits for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

/// Body of the batch answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchResponseBody {
    /// Answers, in any order.
    #[serde(default)]
    pub responses: Vec<BatchItemResponse>,
}

/// One answer of a batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchItemResponse {
    /// The request's id.
    pub id: String,
    /// HTTP status.
    pub status: u16,
    /// Headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// JSON body, when any.
    #[serde(default)]
    pub body: Option<serde_json::Value>,
}
