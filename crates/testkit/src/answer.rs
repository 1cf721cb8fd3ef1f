//! A response read whole: status, headers, bytes, text and JSON body.

use serde_json::Value;

/// A response read whole.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The response headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body's bytes.
    pub bytes: Vec<u8>,
    /// The body as (lossy) UTF-8 text.
    pub text: String,
    /// The body as JSON (`Value::Null` when it is not JSON).
    pub body: Value,
}

impl Answer {
    /// Reads `resp` whole.
    pub async fn read(resp: reqwest::Response) -> Self {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("response body").to_vec();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            bytes,
            text,
            body,
        }
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// Asserts the status (printing the body otherwise) and hands the answer on.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "body: {}", self.text);
        self
    }

    /// The Graph error's code and inner code (empty when absent).
    pub fn codes(&self) -> (String, String) {
        let text = |v: &Value| v.as_str().unwrap_or("").to_string();
        (
            text(&self.body["error"]["code"]),
            text(&self.body["error"]["innerError"]["code"]),
        )
    }

    /// The identity platform error's `error` and first AADSTS code (0 for none).
    pub fn identity_error(&self) -> (String, u64) {
        let code = self.body["error_codes"]
            .as_array()
            .and_then(|a| a.first())
            .and_then(Value::as_u64)
            .unwrap_or(0);
        (self.body["error"].as_str().unwrap_or("").to_string(), code)
    }

    /// Asserts an identity platform error with this status, `error` and AADSTS code, in the
    /// service's shape (description prefixed with the code, trace and correlation ids).
    #[track_caller]
    pub fn assert_identity_error(&self, status: u16, error: &str, code: u64) {
        assert_eq!(
            (self.status, self.identity_error()),
            (status, (error.to_string(), code)),
            "{}",
            self.text
        );
        let description = self.body["error_description"].as_str().unwrap_or("");
        if code > 0 {
            assert!(
                description.starts_with(&format!("AADSTS{code}: ")),
                "{description}"
            );
        }
        assert!(description.contains("Trace ID: "), "{description}");
        assert!(description.contains("Correlation ID: "), "{description}");
        assert!(self.body["trace_id"].is_string() && self.body["correlation_id"].is_string());
    }
}
