//! Upload sessions and copy monitors.

use serde::{Deserialize, Serialize};

/// An upload session. `upload_url` is pre-authenticated (a secret): `Debug` hides it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadSession {
    /// Where fragments go (no `Authorization` header; never log it). Absent on status answers.
    #[serde(default)]
    pub upload_url: Option<String>,
    /// When the session expires.
    #[serde(default)]
    pub expiration_date_time: Option<String>,
    /// Byte ranges the server still needs, like `"26-"` or `"0-25"`.
    #[serde(default)]
    pub next_expected_ranges: Vec<String>,
}

impl std::fmt::Debug for UploadSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadSession")
            .field(
                "upload_url",
                &self.upload_url.as_ref().map(|_| "<redacted>"),
            )
            .field("expiration_date_time", &self.expiration_date_time)
            .field("next_expected_ranges", &self.next_expected_ranges)
            .finish()
    }
}

/// A copy monitor's answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CopyStatus {
    /// `notStarted`, `inProgress`, `completed`, `failed`, ...
    #[serde(default)]
    pub status: Option<String>,
    /// Progress in percent.
    #[serde(default)]
    pub percentage_complete: Option<f64>,
    /// Id of the new item, once completed.
    #[serde(default)]
    pub resource_id: Option<String>,
    /// Error detail when failed.
    #[serde(default)]
    pub error: Option<super::ErrorDetail>,
}
