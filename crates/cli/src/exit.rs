//! Exit codes scripts can rely on.

/// Any other failure.
pub const FAILURE: u8 = 1;
/// Wrong usage (bad flags or arguments; also clap's own code).
pub const USAGE: u8 = 2;
/// The item, drive, site or connection named does not exist.
pub const NOT_FOUND: u8 = 3;
/// Authentication or permission failure (sign-in needed, wrong secret, missing consent, 401/403).
pub const AUTH: u8 = 4;
/// A folder transfer or a run finished with some files failed (the others went through).
pub const PARTIAL: u8 = 5;
/// `project validate` found problems.
pub const INVALID: u8 = 6;

/// The exit code for an error chain.
pub fn for_error(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<graphlink_graph::Error>() {
            if e.is_not_found() {
                return NOT_FOUND;
            }
            if matches!(e.status(), Some(401 | 403))
                || matches!(e, graphlink_graph::Error::Token(_))
            {
                return AUTH;
            }
        }
        if cause.downcast_ref::<graphlink_identity::Error>().is_some() {
            return AUTH;
        }
        if cause
            .downcast_ref::<crate::location::LocationError>()
            .is_some()
        {
            return USAGE;
        }
    }
    FAILURE
}
