//! Exit codes scripts can rely on, and the one place that decides them from an error chain.

use graphlink_runtime::Error as RuntimeError;

use crate::error::CliError;

/// Any other failure (transport, configuration, a Graph error that is none of the below).
pub(crate) const FAILURE: u8 = 1;
/// Wrong usage (bad flags or arguments; also clap's own code).
pub(crate) const USAGE: u8 = 2;
/// The item, drive, site, connection, service or conversation named does not exist.
pub(crate) const NOT_FOUND: u8 = 3;
/// Authentication or permission failure (sign-in needed, wrong secret, missing consent, 401/403).
pub(crate) const AUTH: u8 = 4;
/// A folder transfer or a run finished with some files failed (the others went through).
pub(crate) const PARTIAL: u8 = 5;
/// The project is invalid (`project validate` found problems, or a command was given an
/// invalid project).
pub(crate) const INVALID: u8 = 6;

/// The exit code for an error chain: the first cause whose kind says one, else [`FAILURE`].
pub(crate) fn for_error(err: &anyhow::Error) -> u8 {
    err.chain().find_map(code_of).unwrap_or(FAILURE)
}

/// The code `cause` says by itself; `None` leaves the decision to its own causes.
fn code_of(cause: &(dyn std::error::Error + 'static)) -> Option<u8> {
    if let Some(e) = cause.downcast_ref::<CliError>() {
        return Some(match e {
            CliError::Usage(_) | CliError::Location { .. } => USAGE,
            CliError::NotFound(_) => NOT_FOUND,
            CliError::Auth(_) => AUTH,
        });
    }
    if let Some(e) = cause.downcast_ref::<RuntimeError>() {
        return match e {
            _ if e.is_not_found() => Some(NOT_FOUND),
            RuntimeError::Invalid(_) => Some(INVALID),
            // Identity, Graph and HTTP errors decide through their source.
            _ => None,
        };
    }
    if let Some(e) = cause.downcast_ref::<graphlink_graph::Error>() {
        if e.is_not_found() || matches!(e, graphlink_graph::Error::Resolve { .. }) {
            return Some(NOT_FOUND);
        }
        if matches!(e.status(), Some(401 | 403)) {
            return Some(AUTH);
        }
        // A token error decides through its identity source.
        return None;
    }
    if let Some(e) = cause.downcast_ref::<graphlink_identity::Error>() {
        return Some(if e.is_authentication() { AUTH } else { FAILURE });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login_required() -> graphlink_identity::Error {
        graphlink_identity::Error::LoginRequired {
            connection: "me".into(),
            reason: "never signed in".into(),
        }
    }

    #[test]
    fn cli_errors_carry_their_code() {
        let code = |e: CliError| for_error(&e.into());
        assert_eq!(code(CliError::Usage("x".into())), USAGE);
        assert_eq!(
            code(CliError::Location {
                input: "s3://x".into(),
                reason: "r".into()
            }),
            USAGE
        );
        assert_eq!(code(CliError::NotFound("x".into())), NOT_FOUND);
        assert_eq!(code(CliError::Auth("x".into())), AUTH);
    }

    #[test]
    fn only_refused_or_missing_sign_ins_are_authentication_failures() {
        let wrapped = |e| for_error(&RuntimeError::identity("connection 'me'", e).into());
        assert_eq!(wrapped(login_required()), AUTH);
        assert_eq!(
            wrapped(graphlink_identity::Error::config("tenant", "is empty")),
            FAILURE
        );
        let unreachable = graphlink_identity::Error::Transport {
            endpoint: "https://login.example/t".into(),
            detail: "connection refused".into(),
        };
        assert_eq!(for_error(&unreachable.into()), FAILURE);
        let token = graphlink_graph::Error::Token(login_required());
        let err = anyhow::Error::new(token).context("listing");
        assert_eq!(for_error(&err), AUTH);
    }

    #[test]
    fn unknown_names_are_not_found_and_invalid_projects_invalid() {
        let e = RuntimeError::unknown_asset("connection", "three", ["one"]);
        assert_eq!(for_error(&e.into()), NOT_FOUND);
        let e = graphlink_graph::Error::Resolve {
            what: "channel 'Payroll' of team 'Finance'".into(),
            reason: "no such channel".into(),
        };
        assert_eq!(for_error(&e.into()), NOT_FOUND);
        assert_eq!(
            for_error(&RuntimeError::Invalid(Vec::new()).into()),
            INVALID
        );
        assert_eq!(
            for_error(&RuntimeError::Config("plain".into()).into()),
            FAILURE
        );
    }
}
