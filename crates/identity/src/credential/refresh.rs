//! The refresh-token grant: a new access token (and usually a rotated refresh token) for a
//! signed-in user.

use std::time::SystemTime;

use crate::authority::Authority;
use crate::credential::user_scope_string;
use crate::endpoint::{Http, TokenSet};
use crate::secret::Secret;
use crate::wire::TokenResponse;
use crate::Error;

/// The result of a refresh: the new tokens, where `refresh_token` is the rotated one if the
/// server sent one, else the one that was used (it stays valid).
pub type RefreshedTokens = TokenSet;

/// Redeems `refresh_token` for new tokens with `scopes` (delegated; extras added). The
/// returned set always carries the refresh token to keep: persist it before anything else.
pub async fn refresh_token_grant(
    http: &Http,
    authority: &Authority,
    client_id: &str,
    refresh_token: &Secret,
    scopes: &[String],
) -> Result<RefreshedTokens, Error> {
    let endpoint = authority.token_endpoint();
    let scope = user_scope_string(scopes);
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", client_id),
        ("refresh_token", refresh_token.expose()),
        ("scope", scope.as_str()),
        ("client_info", "1"),
    ];
    let issued = SystemTime::now();
    let response: TokenResponse = http.post_form(&endpoint, &form).await?;
    let mut set = TokenSet::from_response(response, issued);
    if set.refresh_token.is_none() {
        set.refresh_token = Some(refresh_token.clone());
    }
    Ok(set)
}
