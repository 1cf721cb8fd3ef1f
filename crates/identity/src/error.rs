//! The identity crate's error type.
//!
//! Every error names what failed and says what to do about it. None of them ever carries a
//! secret, an assertion or a token: the identity platform does not echo them, and this crate
//! never formats one.

use std::fmt;

/// Errors from configuring credentials, obtaining tokens or caching them.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A transport failure talking to the identity platform (after retries).
    #[error("could not reach the identity platform at {endpoint}: {detail}")]
    Transport {
        /// The endpoint (authority host and path, never a secret).
        endpoint: String,
        /// What failed.
        detail: String,
    },
    /// A configuration value is missing or invalid.
    #[error("invalid identity configuration: {field}: {reason}")]
    Config {
        /// The setting (or environment variable) at fault.
        field: String,
        /// What is wrong with it and what is expected.
        reason: String,
    },
    /// The identity platform refused a request with an OAuth error.
    #[error(transparent)]
    Identity(Box<IdentityError>),
    /// The identity platform answered with something that is not a token nor an OAuth error.
    #[error("the identity platform at {endpoint} answered HTTP {status} with an unexpected body: {detail}")]
    UnexpectedResponse {
        /// The endpoint that answered.
        endpoint: String,
        /// The HTTP status.
        status: u16,
        /// What was wrong with the body.
        detail: String,
    },
    /// A device-flow connection has no usable sign-in (never signed in, signed out, or the
    /// refresh token expired or was revoked).
    #[error("connection '{connection}' needs a new sign-in: {reason}. Run `graphlink auth login --connection {connection}`")]
    LoginRequired {
        /// The connection name.
        connection: String,
        /// Why the stored sign-in cannot be used.
        reason: String,
    },
    /// The caller cancelled the operation (for example Ctrl-C during a device sign-in).
    #[error("the sign-in was cancelled")]
    Cancelled,
    /// The persistent token cache could not be read or written.
    #[error("token cache {path}: {detail}")]
    Cache {
        /// The cache file or directory.
        path: String,
        /// What failed.
        detail: String,
    },
}

impl Error {
    /// Whether this is an authentication failure (the identity platform refused: wrong
    /// secret, missing consent, unknown app; or a sign-in is needed) rather than a
    /// configuration, transport or cache problem.
    pub fn is_authentication(&self) -> bool {
        matches!(self, Error::Identity(_) | Error::LoginRequired { .. })
    }

    /// A configuration error for `field`.
    pub fn config(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Config {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The same error blamed on `field` (a configuration error's setting renamed, for example
    /// to the environment variable or project field it came from); other errors unchanged.
    pub fn in_field(self, field: impl Into<String>) -> Self {
        match self {
            Error::Config { reason, .. } => Error::Config {
                field: field.into(),
                reason,
            },
            other => other,
        }
    }

    /// What is wrong, without the "invalid identity configuration: FIELD:" prefix, for callers
    /// that name the field themselves (the message of any other error).
    pub fn reason(&self) -> String {
        match self {
            Error::Config { reason, .. } => reason.clone(),
            other => other.to_string(),
        }
    }

    /// The identity platform's error, if this is one.
    pub fn identity(&self) -> Option<&IdentityError> {
        match self {
            Error::Identity(e) => Some(e),
            _ => None,
        }
    }
}

impl From<IdentityError> for Error {
    fn from(e: IdentityError) -> Self {
        Error::Identity(Box::new(e))
    }
}

/// What an identity platform error means for the user (derived from its AADSTS code and
/// OAuth `error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdentityErrorKind {
    /// AADSTS7000215: the client secret is wrong.
    WrongSecret,
    /// AADSTS7000222: the client secret has expired.
    SecretExpired,
    /// AADSTS7000218: no secret or assertion was given, or the app does not allow
    /// public-client (device) flows.
    NoCredential,
    /// AADSTS700027 / 700024 and other assertion problems: the certificate assertion was refused.
    BadAssertion,
    /// AADSTS700016: the application id is unknown in this tenant.
    UnknownApp,
    /// AADSTS90002: the tenant does not exist.
    UnknownTenant,
    /// AADSTS70011 / 1002012: an invalid scope.
    BadScope,
    /// AADSTS65001: an administrator or the user has not consented to the permissions.
    ConsentMissing,
    /// AADSTS700082 / 70008 (or another `invalid_grant` on refresh): the refresh token is
    /// expired or revoked.
    RefreshTokenExpired,
    /// Device flow: the user has not finished signing in yet.
    AuthorizationPending,
    /// Device flow: poll more slowly.
    SlowDown,
    /// Device flow: the user declined the sign-in.
    Declined,
    /// Device flow: the code expired before the user signed in.
    CodeExpired,
    /// Device flow: the device code is unknown.
    BadVerificationCode,
    /// A request parameter is missing or wrong (AADSTS900144 and other `invalid_request`).
    InvalidRequest,
    /// Anything else.
    Other,
}

impl IdentityErrorKind {
    /// Classifies an OAuth `error` value and its AADSTS codes.
    pub fn classify(error: &str, codes: &[u64]) -> Self {
        use IdentityErrorKind::*;
        for code in codes {
            let kind = match code {
                7000215 => WrongSecret,
                7000222 => SecretExpired,
                7000218 => NoCredential,
                700027 | 700024 | 700023 | 50027 | 700021 | 700022 | 5002723 => BadAssertion,
                700016 => UnknownApp,
                90002 => UnknownTenant,
                70011 | 1002012 => BadScope,
                65001 => ConsentMissing,
                700082 | 70008 | 50173 | 700084 | 70043 => RefreshTokenExpired,
                70016 => AuthorizationPending,
                70020 => CodeExpired,
                70018 => BadVerificationCode,
                900144 => InvalidRequest,
                _ => continue,
            };
            return kind;
        }
        match error {
            "authorization_pending" => AuthorizationPending,
            "slow_down" => SlowDown,
            "authorization_declined" | "access_denied" => Declined,
            "expired_token" => CodeExpired,
            "bad_verification_code" => BadVerificationCode,
            "invalid_tenant" => UnknownTenant,
            "invalid_scope" => BadScope,
            "unauthorized_client" => UnknownApp,
            "invalid_request" => InvalidRequest,
            _ => Other,
        }
    }

    /// One sentence telling the user what to do.
    pub fn hint(self) -> &'static str {
        use IdentityErrorKind::*;
        match self {
            WrongSecret => "the client secret is wrong: copy the secret's Value (not its ID) from the app registration's 'Certificates & secrets' page",
            SecretExpired => "the client secret has expired: create a new secret in the app registration and update the connection",
            NoCredential => "the app needs a client secret or certificate; for a device sign-in, enable 'Allow public client flows' in the app registration's Authentication page",
            BadAssertion => "the certificate assertion was refused: check that this certificate is uploaded to the app registration, is not expired, and that this machine's clock is correct",
            UnknownApp => "the client id is not registered in this tenant: check the client id and the tenant (authority) of the connection",
            UnknownTenant => "the tenant does not exist: check the tenant id or domain in the authority and the cloud of the connection",
            BadScope => "a scope is invalid: app-only (client credentials) connections must use exactly one '{graph}/.default' scope; device-flow connections use delegated scopes such as 'User.Read Files.ReadWrite.All'",
            ConsentMissing => "the permissions have not been consented: an administrator must grant consent for the app (API permissions > Grant admin consent)",
            RefreshTokenExpired => "the stored sign-in has expired or was revoked: run the login command again",
            AuthorizationPending => "the sign-in in the browser is not finished yet",
            SlowDown => "the identity platform asked to poll more slowly",
            Declined => "the sign-in was declined in the browser: run the login command again to retry",
            CodeExpired => "the code expired before the sign-in was completed: run the login command again and finish the sign-in in time",
            BadVerificationCode => "the identity platform does not know this device code: run the login command again",
            InvalidRequest => "the request was rejected as malformed: check the connection's authority, client id and scopes",
            Other => "see the identity platform's message above",
        }
    }
}

/// An OAuth error answered by the identity platform, with every detail Microsoft support asks for.
#[derive(Clone)]
pub struct IdentityError {
    /// The endpoint that answered (never a secret).
    pub endpoint: String,
    /// The HTTP status.
    pub status: u16,
    /// The OAuth `error` value (`invalid_client`, `invalid_grant`, ...).
    pub error: String,
    /// The first line of `error_description` (without the trace/correlation/timestamp lines).
    pub description: String,
    /// AADSTS codes, from `error_codes` or parsed from the description.
    pub codes: Vec<u64>,
    /// The server's trace id.
    pub trace_id: Option<String>,
    /// The server's correlation id.
    pub correlation_id: Option<String>,
    /// What the error means.
    pub kind: IdentityErrorKind,
}

impl IdentityError {
    /// What the user should do.
    pub fn hint(&self) -> &'static str {
        self.kind.hint()
    }

    /// Whether this error has the given AADSTS code.
    pub fn has_code(&self, code: u64) -> bool {
        self.codes.contains(&code)
    }
}

impl fmt::Display for IdentityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the identity platform refused the request to {} (HTTP {}, {}",
            self.endpoint, self.status, self.error
        )?;
        for code in &self.codes {
            write!(f, ", AADSTS{code}")?;
        }
        f.write_str(")")?;
        if !self.description.is_empty() {
            write!(f, ": {}", self.description)?;
        }
        write!(f, ". What to do: {}", self.hint())?;
        if let Some(trace) = &self.trace_id {
            write!(f, " [trace id {trace}")?;
            if let Some(corr) = &self.correlation_id {
                write!(f, ", correlation id {corr}")?;
            }
            f.write_str("]")?;
        } else if let Some(corr) = &self.correlation_id {
            write!(f, " [correlation id {corr}]")?;
        }
        Ok(())
    }
}

impl fmt::Debug for IdentityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityError")
            .field("endpoint", &self.endpoint)
            .field("status", &self.status)
            .field("error", &self.error)
            .field("description", &self.description)
            .field("codes", &self.codes)
            .field("trace_id", &self.trace_id)
            .field("correlation_id", &self.correlation_id)
            .field("kind", &self.kind)
            .finish()
    }
}

impl std::error::Error for IdentityError {}

/// Extracts every `AADSTSnnnn` code from a description, in order, without duplicates.
pub(crate) fn parse_aadsts_codes(description: &str) -> Vec<u64> {
    let mut codes = Vec::new();
    let mut rest = description;
    while let Some(pos) = rest.find("AADSTS") {
        rest = &rest[pos + 6..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(code) = digits.parse::<u64>() {
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
    }
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_parsed_from_descriptions() {
        assert_eq!(
            parse_aadsts_codes("AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x"),
            vec![7000215]
        );
        assert_eq!(
            parse_aadsts_codes("AADSTS70011: bad. See AADSTS1002012 and AADSTS70011"),
            vec![70011, 1002012]
        );
        assert!(parse_aadsts_codes("no code here, AADSTS without digits").is_empty());
    }

    #[test]
    fn classification_prefers_codes_then_error_names() {
        use IdentityErrorKind::*;
        let cases: &[(&str, &[u64], IdentityErrorKind)] = &[
            ("invalid_client", &[7000215], WrongSecret),
            ("invalid_client", &[7000222], SecretExpired),
            ("invalid_client", &[7000218], NoCredential),
            ("invalid_client", &[700027], BadAssertion),
            ("invalid_client", &[700024], BadAssertion),
            ("unauthorized_client", &[700016], UnknownApp),
            ("invalid_request", &[90002], UnknownTenant),
            ("invalid_tenant", &[], UnknownTenant),
            ("invalid_scope", &[70011], BadScope),
            ("invalid_scope", &[1002012], BadScope),
            ("invalid_grant", &[65001], ConsentMissing),
            ("invalid_grant", &[700082], RefreshTokenExpired),
            ("invalid_grant", &[70008], RefreshTokenExpired),
            ("authorization_pending", &[70016], AuthorizationPending),
            ("authorization_pending", &[], AuthorizationPending),
            ("slow_down", &[], SlowDown),
            ("authorization_declined", &[], Declined),
            ("access_denied", &[], Declined),
            ("expired_token", &[70020], CodeExpired),
            ("expired_token", &[], CodeExpired),
            ("bad_verification_code", &[70018], BadVerificationCode),
            ("invalid_request", &[900144], InvalidRequest),
            ("server_error", &[], Other),
        ];
        for (error, codes, want) in cases {
            assert_eq!(
                IdentityErrorKind::classify(error, codes),
                *want,
                "{error} {codes:?}"
            );
        }
    }

    #[test]
    fn display_names_codes_ids_and_the_remedy() {
        let e = IdentityError {
            endpoint: "https://login.example/t/oauth2/v2.0/token".into(),
            status: 401,
            error: "invalid_client".into(),
            description: "AADSTS7000215: Invalid client secret provided.".into(),
            codes: vec![7000215],
            trace_id: Some("trace-1".into()),
            correlation_id: Some("corr-1".into()),
            kind: IdentityErrorKind::WrongSecret,
        };
        let text = Error::from(e).to_string();
        for needle in [
            "HTTP 401",
            "invalid_client",
            "AADSTS7000215",
            "trace-1",
            "corr-1",
            "secret is wrong",
        ] {
            assert!(text.contains(needle), "{needle} missing from {text}");
        }
    }

    #[test]
    fn config_errors_can_be_blamed_on_another_field() {
        let e = Error::config("tenant", "not concrete").in_field("AZURE_TENANT_ID");
        assert!(
            matches!(&e, Error::Config { field, reason } if field == "AZURE_TENANT_ID" && reason == "not concrete"),
            "{e:?}"
        );
        assert_eq!(e.reason(), "not concrete");
        let other = Error::Cancelled.in_field("x");
        assert!(matches!(other, Error::Cancelled));
        assert_eq!(other.reason(), "the sign-in was cancelled");
    }
}
