//! The one request pipeline: bearer token, `client-request-id`, timeouts, the shared
//! [`graphlink_http::Sender`] (retries and connection-wide throttling pause), one token refresh
//! on `401 InvalidAuthenticationToken`, and Graph error answers turned into [`Error::Api`].

use std::time::Duration;

use bytes::Bytes;
use graphlink_http::Idempotency;
use percent_encoding::percent_decode_str;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use reqwest::{Method, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use url::Url;

use crate::client::GraphClient;
use crate::error::{ApiError, Error, Result};

const CLIENT_REQUEST_ID: &str = "client-request-id";
const REQUEST_ID: &str = "request-id";

/// One logical request (retries of it share its `client-request-id`).
pub(crate) struct Req {
    pub(crate) method: Method,
    pub(crate) url: Url,
    /// Safe description for errors and logs: `METHOD /path` or `METHOD <what>` for
    /// pre-authenticated URLs.
    pub(crate) label: String,
    pub(crate) auth: bool,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Bytes>,
    pub(crate) idempotency: Idempotency,
    pub(crate) timeout: Option<Duration>,
    pub(crate) client_request_id: String,
}

impl Req {
    fn new(method: Method, url: Url, label: String, auth: bool, timeout: Option<Duration>) -> Self {
        let idempotency = if method == Method::POST {
            Idempotency::NonIdempotent
        } else {
            Idempotency::Idempotent
        };
        Self {
            method,
            url,
            label,
            auth,
            headers: HeaderMap::new(),
            body: None,
            idempotency,
            timeout,
            client_request_id: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// Appends `key=value` to the query; `value` is percent-encoded (space as `%20`), `key` is used as is (so
    /// `@microsoft.graph.conflictBehavior` and `$top` stay literal, as Graph documents them).
    pub(crate) fn query(mut self, key: &str, value: &str) -> Self {
        let value = crate::path::encode_segment(value);
        let pair = format!("{key}={value}");
        let query = match self.url.query() {
            Some(q) if !q.is_empty() => format!("{q}&{pair}"),
            _ => pair,
        };
        self.url.set_query(Some(&query));
        self
    }

    /// Sets a JSON body.
    pub(crate) fn json<T: Serialize>(mut self, body: &T) -> Result<Self> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::protocol(&self.label, format!("could not encode the body: {e}")))?;
        self.body = Some(Bytes::from(bytes));
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Ok(self)
    }

    /// Sets a raw body.
    pub(crate) fn bytes(mut self, body: Bytes, content_type: &'static str) -> Self {
        self.body = Some(body);
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        self
    }

    /// Adds a header (values that are not valid header text are refused).
    pub(crate) fn header(mut self, name: HeaderName, value: &str) -> Result<Self> {
        let value = HeaderValue::from_str(value).map_err(|_| {
            Error::invalid(
                name.as_str().to_string(),
                format!("{value:?} is not a valid header value"),
            )
        })?;
        self.headers.insert(name, value);
        Ok(self)
    }

    /// Overrides whether the request may be repeated.
    pub(crate) fn idempotency(mut self, idempotency: Idempotency) -> Self {
        self.idempotency = idempotency;
        self
    }

    /// Sets the total timeout.
    pub(crate) fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Removes the total timeout (content transfers; the read timeout still applies).
    pub(crate) fn no_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }
}

fn label_for(method: &Method, url: &Url) -> String {
    format!(
        "{method} {}",
        percent_decode_str(url.path()).decode_utf8_lossy()
    )
}

impl GraphClient {
    /// A request to `path` (already encoded, starting with `/`) under the Graph base URL.
    pub(crate) fn req(&self, method: Method, path: &str) -> Result<Req> {
        let text = format!("{}{}", self.inner.base, path);
        let url = Url::parse(&text)
            .map_err(|e| Error::invalid("request URL", format!("{path:?}: {e}")))?;
        let label = label_for(&method, &url);
        Ok(Req::new(
            method,
            url,
            label,
            true,
            Some(self.inner.settings.request_timeout),
        ))
    }

    /// A request to an absolute link Graph handed out (`@odata.nextLink`, `@odata.deltaLink`, a
    /// `410` `Location`), followed verbatim. The link must stay on the Graph origin, since the
    /// access token goes with it.
    pub(crate) fn req_link(&self, method: Method, link: &str) -> Result<Req> {
        let url = Url::parse(link)
            .or_else(|_| Url::parse(&format!("{}{}", self.inner.base, link)))
            .map_err(|e| Error::protocol("a Graph link", format!("not a URL: {e}")))?;
        if url.origin() != self.inner.origin {
            return Err(Error::protocol(
                label_for(&method, &url),
                "Graph handed out a link to another host; refusing to send the access token there",
            ));
        }
        let label = label_for(&method, &url);
        Ok(Req::new(
            method,
            url,
            label,
            true,
            Some(self.inner.settings.request_timeout),
        ))
    }

    /// A request to a pre-authenticated URL (download link, upload session, copy monitor): no
    /// `Authorization` header, and `what` stands for the URL in every message.
    pub(crate) fn req_preauth(&self, method: Method, url: &str, what: &str) -> Result<Req> {
        let label = format!("{method} {what}");
        let url = Url::parse(url)
            .map_err(|_| Error::protocol(&label, "Graph handed out an invalid URL"))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(Error::protocol(&label, "Graph handed out a non-HTTP URL"));
        }
        Ok(Req::new(method, url, label, false, None))
    }

    /// Sends `req` through the retry policy; returns whatever final answer came (any status),
    /// except a `401` that survived one token refresh, which is returned as an error.
    pub(crate) async fn send_raw(&self, req: &Req) -> Result<Response> {
        let inner = &self.inner;
        let mut refreshed = false;
        loop {
            let token = if req.auth {
                Some(inner.tokens.token().await?)
            } else {
                None
            };
            let outcome = inner
                .sender
                .send(req.idempotency, |retry| {
                    if retry > 0 {
                        tracing::debug!(request = %req.label, retry, "retrying");
                    }
                    let mut builder = inner
                        .http
                        .request(req.method.clone(), req.url.clone())
                        .headers(req.headers.clone())
                        .header(CLIENT_REQUEST_ID, &req.client_request_id);
                    if let Some(token) = &token {
                        builder = builder.bearer_auth(token.secret());
                    }
                    if let Some(body) = &req.body {
                        builder = builder.body(body.clone());
                    } else if matches!(req.method, Method::POST | Method::PUT | Method::PATCH) {
                        builder = builder.header(reqwest::header::CONTENT_LENGTH, "0");
                    }
                    if let Some(timeout) = req.timeout {
                        builder = builder.timeout(timeout);
                    }
                    builder.send()
                })
                .await;
            let response = outcome.map_err(|e| Error::transport(&req.label, &e))?;
            if response.status().as_u16() == 401 && req.auth {
                let err = self.api_error(response, req).await;
                if !refreshed && err.is_invalid_token() {
                    if let Some(token) = &token {
                        tracing::info!(request = %req.label, "access token refused: refreshing it once");
                        inner.tokens.invalidate(token);
                    }
                    refreshed = true;
                    continue;
                }
                return Err(err.into());
            }
            return Ok(response);
        }
    }

    /// Like [`GraphClient::send_raw`], but error statuses (4xx/5xx) become [`Error::Api`].
    pub(crate) async fn send(&self, req: &Req) -> Result<Response> {
        let response = self.send_raw(req).await?;
        if response.status().is_client_error() || response.status().is_server_error() {
            return Err(self.api_error(response, req).await.into());
        }
        Ok(response)
    }

    /// Sends `req` and decodes a JSON answer.
    /// A body that breaks off is fetched again when the request may be repeated.
    pub(crate) async fn send_json<T: DeserializeOwned>(&self, req: &Req) -> Result<T> {
        let policy = &self.inner.sender.policy;
        let mut retry = 0;
        loop {
            let response = self.send(req).await?;
            match response.bytes().await {
                Ok(body) => return decode_json(&body, &req.label),
                Err(e)
                    if req.idempotency == Idempotency::Idempotent && retry < policy.max_retries =>
                {
                    tracing::warn!(
                        request = %req.label,
                        error = %graphlink_http::describe_transport_error(&e),
                        "answer broke off: asking again"
                    );
                    tokio::time::sleep(policy.backoff(retry)).await;
                    retry += 1;
                }
                Err(e) => return Err(Error::transport(&req.label, &e)),
            }
        }
    }

    /// Reads an error answer into an [`ApiError`].
    pub(crate) async fn api_error(&self, response: Response, req: &Req) -> ApiError {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let body = response.bytes().await.unwrap_or_default();
        ApiError::from_parts(
            status,
            &body,
            &req.label,
            header(REQUEST_ID),
            header(CLIENT_REQUEST_ID).or_else(|| Some(req.client_request_id.clone())),
            graphlink_http::retry_after(&headers),
        )
    }
}

/// Reads a response body as JSON.
pub(crate) async fn read_json<T: DeserializeOwned>(response: Response, label: &str) -> Result<T> {
    let body = response
        .bytes()
        .await
        .map_err(|e| Error::transport(label, &e))?;
    decode_json(&body, label)
}

fn decode_json<T: DeserializeOwned>(body: &[u8], label: &str) -> Result<T> {
    serde_json::from_slice(body)
        .map_err(|e| Error::protocol(label, format!("the answer is not the expected JSON: {e}")))
}

/// The response's `Location`, resolved against the request URL when relative.
pub(crate) fn location(response: &Response) -> Option<String> {
    let value = response
        .headers()
        .get(reqwest::header::LOCATION)?
        .to_str()
        .ok()?;
    response.url().join(value).ok().map(String::from)
}
