//! The rules a connection's settings follow, in one place for this crate's own checks
//! ([`crate::ClientCredentials::new`], [`crate::DeviceCodeFlow::new`], [`crate::from_env`],
//! [`crate::provider`]) and for callers that check settings before using them (graphlink
//! runtime's `project validate`).
//!
//! | setting | rule |
//! |---|---|
//! | client id | [`check_client_id`]: a GUID (Microsoft Entra application ids are GUIDs) |
//! | tenant | [`crate::Tenant::parse`]: an id, a domain, `common`, `organizations` or `consumers`; client credentials need [`crate::Tenant::require_concrete`] |
//! | cloud name | [`crate::CloudKind::from_name`] (aliases accepted), listed by [`crate::CloudKind::NAMES`] |

use crate::Error;

/// Checks an application (client) id: present and a GUID (`11111111-1111-4111-8111-111111111111`,
/// any case, surrounding blanks ignored). Returns it trimmed. The error's field is `client_id`.
pub fn check_client_id(client_id: &str) -> Result<String, Error> {
    let id = client_id.trim();
    if id.is_empty() {
        return Err(Error::config(
            "client_id",
            "the client (application) id is empty",
        ));
    }
    if !is_guid(id) {
        return Err(Error::config(
            "client_id",
            format!("'{id}' is not an application id (a GUID)"),
        ));
    }
    Ok(id.to_string())
}

/// Whether `s` is a GUID in its usual 8-4-4-4-12 hexadecimal form.
pub(crate) fn is_guid(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::try_parse(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_guids() {
        assert_eq!(
            check_client_id(" 11111111-1111-4111-8111-11111111111A ").unwrap(),
            "11111111-1111-4111-8111-11111111111A"
        );
        for (bad, fragment) in [
            ("", "empty"),
            ("  ", "empty"),
            ("app", "'app' is not an application id (a GUID)"),
            ("11111111111141118111111111111111", "not an application id"),
            (
                "{11111111-1111-4111-8111-111111111111}",
                "not an application id",
            ),
            (
                "11111111-1111-4111-8111-11111111111g",
                "not an application id",
            ),
            ("a b", "not an application id"),
        ] {
            match check_client_id(bad) {
                Err(Error::Config { field, reason }) => {
                    assert_eq!(field, "client_id");
                    assert!(reason.contains(fragment), "{bad}: {reason}");
                }
                other => panic!("{bad}: expected a config error, got {other:?}"),
            }
        }
    }
}
