//! Escape hatch: any Graph call through the same pipeline (token, ids, retries, errors), for
//! calls this crate has no typed method for (connection tests, Teams, directory lookups).

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::client::GraphClient;
use crate::error::Result;

impl GraphClient {
    /// `GET {base}{path}` and decodes the JSON answer. `path` starts with `/`, is already
    /// percent-encoded and may carry a query (`/users?$top=1`); an absolute Graph link (an
    /// `@odata.nextLink`) is accepted too.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let req = if path.starts_with("https://") || path.starts_with("http://") {
            self.req_link(Method::GET, path)?
        } else {
            self.req(Method::GET, path)?
        };
        self.send_json(&req).await
    }

    /// Sends `body` as JSON with `method` to `{base}{path}` and decodes the JSON answer (use
    /// `serde_json::Value` when the shape does not matter). A `POST` is retried only where the
    /// server certainly did not act on it.
    pub async fn send_json_body<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<T> {
        let req = self.req(method, path)?.json(body)?;
        self.send_json(&req).await
    }
}
