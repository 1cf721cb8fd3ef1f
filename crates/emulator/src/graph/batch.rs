//! `$batch`: up to 20 sub-requests, each run through the emulator's whole router (so fault
//! rules, throttling and request counting apply per item) with the batch's Authorization.
//! `dependsOn` orders them; an item whose dependency failed gets 424.

use std::collections::{HashMap, HashSet};

use axum::body::Body;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, Method, Request, StatusCode};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};
use tower::ServiceExt;

use super::context::Ctx;
use super::reply::{json as json_response, json_body, Outcome};
use crate::web::GraphError;

/// Most requests one batch may hold.
pub const MAX_REQUESTS: usize = 20;

#[derive(Debug)]
struct Item {
    id: String,
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Value>,
    depends_on: Vec<String>,
}

fn parse_items(body: &Value) -> Result<Vec<Item>, GraphError> {
    let requests = body
        .get("requests")
        .and_then(|v| v.as_array())
        .ok_or_else(|| GraphError::bad_request("The batch body needs a 'requests' array."))?;
    if requests.is_empty() {
        return Err(GraphError::bad_request("The batch holds no requests."));
    }
    if requests.len() > MAX_REQUESTS {
        return Err(GraphError::bad_request(format!(
            "A batch may hold at most {MAX_REQUESTS} requests; this one holds {}.",
            requests.len()
        )));
    }
    let mut items = Vec::new();
    let mut seen = HashSet::new();
    for (i, r) in requests.iter().enumerate() {
        let id = match r.get("id") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                return Err(GraphError::bad_request(format!(
                    "requests[{i}] needs an 'id'."
                )))
            }
        };
        if !seen.insert(id.clone()) {
            return Err(GraphError::bad_request(format!(
                "The request id '{id}' is used more than once."
            )));
        }
        let method = r
            .get("method")
            .and_then(|v| v.as_str())
            .and_then(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok())
            .ok_or_else(|| GraphError::bad_request(format!("requests[{i}] needs a 'method'.")))?;
        let url = r
            .get("url")
            .and_then(|v| v.as_str())
            .ok_or_else(|| GraphError::bad_request(format!("requests[{i}] needs a 'url'.")))?
            .to_string();
        let headers = r
            .get("headers")
            .and_then(|v| v.as_object())
            .map(|h| {
                h.iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        let depends_on = r
            .get("dependsOn")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|d| match d {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        items.push(Item {
            id,
            method,
            url,
            headers,
            body: r.get("body").cloned(),
            depends_on,
        });
    }
    for item in &items {
        for dep in &item.depends_on {
            if !seen.contains(dep) {
                return Err(GraphError::bad_request(format!(
                    "Request '{}' depends on '{dep}', which is not in the batch.",
                    item.id
                )));
            }
        }
    }
    Ok(items)
}

/// Execution order honouring `dependsOn` (400 on a cycle).
fn order(items: &[Item]) -> Result<Vec<usize>, GraphError> {
    let mut done: HashSet<&str> = HashSet::new();
    let mut out = Vec::new();
    while out.len() < items.len() {
        let next = items.iter().enumerate().find(|(i, it)| {
            !out.contains(i) && it.depends_on.iter().all(|d| done.contains(d.as_str()))
        });
        let Some((i, it)) = next else {
            return Err(GraphError::bad_request(
                "The batch's dependsOn form a cycle.",
            ));
        };
        done.insert(&it.id);
        out.push(i);
    }
    Ok(out)
}

/// The path a sub-request URL addresses, under the batch's version.
fn sub_path(version: &str, url: &str) -> String {
    let mut u = url.trim();
    if let Some(i) = u.find("://") {
        u = u[i + 3..].find('/').map_or("/", |j| &u[i + 3 + j..]);
    }
    let u = u.trim_start_matches('/');
    if u.starts_with("v1.0/") || u.starts_with("beta/") {
        format!("/{u}")
    } else {
        format!("/{version}/{u}")
    }
}

/// `POST /$batch`.
pub async fn run(ctx: &Ctx, parts: &Parts, body: Body) -> Outcome {
    let body = json_body(body).await?;
    let items = parse_items(&body)?;
    let order = order(&items)?;
    let router = crate::server::app(ctx.state.clone());
    let mut status_of: HashMap<String, u16> = HashMap::new();
    let mut responses: Vec<(usize, Value)> = Vec::new();
    for i in order {
        let item = &items[i];
        let failed_dep = item
            .depends_on
            .iter()
            .find(|d| status_of.get(*d).is_none_or(|s| !(200..300).contains(s)));
        let response = if let Some(dep) = failed_dep {
            json!({
                "id": item.id,
                "status": 424,
                "headers": {"Content-Type": "application/json"},
                "body": {"error": {"code": "FailedDependency",
                    "message": format!("The request depends on '{dep}', which failed.")}},
            })
        } else if item.url.contains("$batch") {
            json!({
                "id": item.id,
                "status": 400,
                "headers": {"Content-Type": "application/json"},
                "body": {"error": {"code": "BadRequest", "message": "A batch cannot contain a batch."}},
            })
        } else {
            execute(ctx, parts, &router, item).await
        };
        let status = response
            .get("status")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(500) as u16;
        status_of.insert(item.id.clone(), status);
        responses.push((i, response));
    }
    responses.sort_by_key(|(i, _)| *i);
    let responses: Vec<Value> = responses.into_iter().map(|(_, r)| r).collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({ "responses": responses }),
    ))
}

async fn execute(ctx: &Ctx, parts: &Parts, router: &axum::Router, item: &Item) -> Value {
    let path = sub_path(ctx.version, &item.url);
    let mut builder = Request::builder().method(item.method.clone()).uri(path);
    if let Some(v) = parts.headers.get(AUTHORIZATION) {
        builder = builder.header(AUTHORIZATION, v.clone());
    }
    // The sub-request sees the batch's own origin, whatever HTTP version carried it.
    if let Some((scheme, host)) = ctx.base.split_once("://") {
        builder = builder
            .header(HOST, host)
            .header("x-forwarded-proto", scheme);
    }
    let mut content_type = None;
    for (k, v) in &item.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            if name == CONTENT_TYPE {
                content_type = Some(v.to_ascii_lowercase());
            }
            builder = builder.header(name, value);
        }
    }
    let body = match &item.body {
        None | Some(Value::Null) => Body::empty(),
        Some(Value::String(s)) if content_type.as_deref().is_some_and(|c| !c.contains("json")) => {
            Body::from(
                STANDARD
                    .decode(s)
                    .unwrap_or_else(|_| s.clone().into_bytes()),
            )
        }
        Some(v) => {
            if content_type.is_none() {
                builder = builder.header(CONTENT_TYPE, "application/json");
            }
            Body::from(serde_json::to_vec(v).unwrap_or_default())
        }
    };
    let request = match builder.body(body) {
        Ok(r) => r,
        Err(e) => {
            return json!({"id": item.id, "status": 400, "headers": {},
                "body": {"error": {"code": "BadRequest", "message": format!("Invalid request: {e}")}}})
        }
    };
    let response = match router.clone().oneshot(request).await {
        Ok(r) => r,
        Err(e) => match e {},
    };
    let status = response.status().as_u16();
    let mut headers = Map::new();
    for (name, value) in response.headers() {
        if let Ok(v) = value.to_str() {
            headers.insert(name.as_str().to_string(), Value::String(v.to_string()));
        }
    }
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.contains("json"));
    let bytes = axum::body::to_bytes(response.into_body(), 64 << 20)
        .await
        .unwrap_or_default();
    let mut out = json!({"id": item.id, "status": status, "headers": headers});
    if !bytes.is_empty() {
        out["body"] = if is_json {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(STANDARD.encode(&bytes)))
        } else {
            Value::String(STANDARD.encode(&bytes))
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_paths() {
        assert_eq!(sub_path("v1.0", "/me/drive"), "/v1.0/me/drive");
        assert_eq!(sub_path("v1.0", "me/drive"), "/v1.0/me/drive");
        assert_eq!(sub_path("beta", "/v1.0/me"), "/v1.0/me");
        assert_eq!(
            sub_path("v1.0", "https://graph.microsoft.com/v1.0/drives/x"),
            "/v1.0/drives/x"
        );
    }
}
