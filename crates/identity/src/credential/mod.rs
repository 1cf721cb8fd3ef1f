//! Credentials: how a connection proves who it is and obtains tokens.
//!
//! - [`ClientCredentials`] with a [`ClientAuth::Secret`] or [`ClientAuth::Certificate`]
//!   (app-only tokens, no user);
//! - the device code flow ([`DeviceCodeFlow`]) for a person signing in once in any browser;
//! - the refresh-token grant ([`refresh_token_grant`]) that keeps a user sign-in alive.

mod certificate;
mod client;
mod device_code;
mod refresh;

pub use certificate::ClientCertificate;
pub use client::{ClientAuth, ClientCredentials};
pub use device_code::{DeviceCodeFlow, DeviceCodePrompt};
pub use refresh::{refresh_token_grant, RefreshedTokens};

/// The scopes every user sign-in adds: a refresh token, an ID token and the user's profile.
pub const USER_FLOW_EXTRA_SCOPES: [&str; 3] = ["offline_access", "openid", "profile"];

/// Joins scopes for a user flow, adding [`USER_FLOW_EXTRA_SCOPES`] once.
pub(crate) fn user_scope_string(scopes: &[String]) -> String {
    let mut all: Vec<&str> = Vec::new();
    for s in scopes
        .iter()
        .map(String::as_str)
        .chain(USER_FLOW_EXTRA_SCOPES)
    {
        if !all.iter().any(|x| x.eq_ignore_ascii_case(s)) {
            all.push(s);
        }
    }
    all.join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn user_scopes_gain_the_extras_once() {
        let s = super::user_scope_string(&["User.Read".into(), "offline_access".into()]);
        assert_eq!(s, "User.Read offline_access openid profile");
    }
}
