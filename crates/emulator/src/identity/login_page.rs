//! The device login page: `GET /devicelogin` shows a form (code, user, Approve / Decline);
//! `POST /devicelogin` with form fields `user_code`, `upn`, `decision` (`approve`|`decline`)
//! records the decision. Works from a browser and from a plain form POST.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::device::DecideError;
use crate::html::escape;
use crate::AppState;

/// What a decision did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Approved for this user.
    Approved {
        /// App display name.
        app: String,
        /// User display name.
        user: String,
        /// User principal name.
        upn: String,
        /// Scopes granted.
        scope: String,
    },
    /// Declined.
    Declined {
        /// App display name.
        app: String,
    },
}

/// Why a decision was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Refusal {
    /// A field is missing or invalid.
    BadInput(String),
    /// The code is unknown, expired or already used.
    Code(DecideError),
}

impl Refusal {
    /// A human message.
    pub(super) fn message(&self) -> String {
        match self {
            Refusal::BadInput(m) => m.clone(),
            Refusal::Code(DecideError::Unknown) => {
                "That code is not valid. Check it and try again.".into()
            }
            Refusal::Code(DecideError::Expired) => {
                "That code has expired. Start the sign-in again on your device.".into()
            }
            Refusal::Code(DecideError::AlreadyDecided) => {
                "That code was already used. Start the sign-in again on your device.".into()
            }
        }
    }
}

/// Applies a decision for a user code.
pub(super) fn decide(
    state: &AppState,
    user_code: Option<&str>,
    upn: Option<&str>,
    decision: Option<&str>,
) -> Result<Outcome, Refusal> {
    let user_code = user_code
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Refusal::BadInput("Enter the code shown on your device.".into()))?;
    let approve = match decision.map(|d| d.trim().to_ascii_lowercase()).as_deref() {
        Some("approve") => true,
        Some("decline") => false,
        _ => {
            return Err(Refusal::BadInput(
                "The decision must be 'approve' or 'decline'.".into(),
            ))
        }
    };
    let user = match upn.map(str::trim).filter(|u| !u.is_empty()) {
        Some(upn) => Some(
            state
                .seed
                .user(upn)
                .ok_or_else(|| Refusal::BadInput(format!("There is no user '{upn}' here.")))?,
        ),
        None if approve => {
            return Err(Refusal::BadInput("Choose the user to sign in as.".into()));
        }
        None => None,
    };
    let user_id = user.map(|u| u.id.as_str()).unwrap_or_default();
    let decided = state
        .identity
        .devices
        .decide(user_code, user_id, approve)
        .map_err(Refusal::Code)?;
    let app = state
        .seed
        .app(&decided.client_id)
        .map(|a| a.name.clone())
        .unwrap_or(decided.client_id);
    Ok(match user {
        Some(u) if approve => Outcome::Approved {
            app,
            user: u.display_name.clone(),
            upn: u.upn.clone(),
            scope: decided.scopes.response_scope(),
        },
        _ => Outcome::Declined { app },
    })
}

/// Query of `GET /devicelogin` (a code to prefill, as Microsoft's `otc`).
#[derive(Debug, Deserialize)]
pub(super) struct PageQuery {
    otc: Option<String>,
    code: Option<String>,
    user_code: Option<String>,
}

/// `GET /devicelogin`.
pub(super) async fn page(
    State(state): State<AppState>,
    Query(q): Query<PageQuery>,
) -> Html<String> {
    let prefill = q.otc.or(q.code).or(q.user_code).unwrap_or_default();
    let options: String = state
        .seed
        .users
        .iter()
        .map(|u| {
            format!(
                "<option value=\"{}\">{} ({})</option>",
                escape(&u.upn),
                escape(&u.display_name),
                escape(&u.upn)
            )
        })
        .collect();
    Html(layout(
        "Enter code",
        &format!(
            "<h1>Enter code</h1>\
             <p>Enter the code displayed on your app or device.</p>\
             <form method=\"post\" action=\"devicelogin\">\
             <p><label>Code <input name=\"user_code\" value=\"{}\" autocomplete=\"off\" \
             autofocus required></label></p>\
             <p><label>Sign in as <select name=\"upn\">{options}</select></label></p>\
             <p><button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button> \
             <button type=\"submit\" name=\"decision\" value=\"decline\">Decline</button></p>\
             </form>",
            escape(&prefill)
        ),
    ))
}

/// Form of `POST /devicelogin`.
#[derive(Debug, Deserialize)]
pub(super) struct DecisionForm {
    user_code: Option<String>,
    upn: Option<String>,
    decision: Option<String>,
}

/// `POST /devicelogin`.
pub(super) async fn submit(State(state): State<AppState>, body: Bytes) -> Response {
    let form: DecisionForm = match serde_urlencoded::from_bytes(&body) {
        Ok(f) => f,
        Err(_) => {
            return result_page(
                StatusCode::BAD_REQUEST,
                "Sign-in failed",
                "The form could not be read.",
            )
        }
    };
    match decide(
        &state,
        form.user_code.as_deref(),
        form.upn.as_deref(),
        form.decision.as_deref(),
    ) {
        Ok(Outcome::Approved {
            app,
            user,
            upn,
            scope,
        }) => result_page(
            StatusCode::OK,
            "Approved",
            &format!(
                "You have signed in to {} as {} ({}), granting: {}. You may now close this \
                 window.",
                escape(&app),
                escape(&user),
                escape(&upn),
                escape(&scope)
            ),
        ),
        Ok(Outcome::Declined { app }) => result_page(
            StatusCode::OK,
            "Declined",
            &format!(
                "You declined to sign in to {}. You may now close this window.",
                escape(&app)
            ),
        ),
        Err(refusal) => result_page(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            &format!(
                "{} <a href=\"devicelogin\">Try again</a>.",
                escape(&refusal.message())
            ),
        ),
    }
}

fn result_page(status: StatusCode, title: &str, message: &str) -> Response {
    (
        status,
        Html(layout(
            title,
            &format!("<h1>{}</h1><p>{message}</p>", escape(title)),
        )),
    )
        .into_response()
}

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{} - graphlink emulator</title>\
         <style>body{{font-family:sans-serif;max-width:32em;margin:3em auto}}</style>\
         </head><body>{body}</body></html>",
        escape(title)
    )
}
