//! The identifiers of the built-in default seed, in one place: the seed itself, the demo, the
//! benchmark and every test take them from here.

/// The default tenant's id.
pub const TENANT_ID: &str = "7c4d9b1e-2f3a-4b5c-8d6e-0f1a2b3c4d5e";
/// The default tenant's verified domain.
pub const TENANT_DOMAIN: &str = "contoso.onmicrosoft.com";
/// The default tenant's SharePoint host.
pub const SHAREPOINT_HOST: &str = "contoso.sharepoint.com";

/// `graphlink-daemon`: the confidential app with a client secret and application permissions.
pub const DAEMON_APP_ID: &str = "11111111-1111-4111-8111-111111111111";
/// The daemon app's valid client secret.
pub const DAEMON_SECRET: &str = "emulator-client-secret";
/// The daemon app's expired client secret.
pub const DAEMON_EXPIRED_SECRET: &str = "emulator-expired-secret";
/// `cert-app`: the confidential app with a generated certificate.
pub const CERT_APP_ID: &str = "22222222-2222-4222-8222-222222222222";
/// `graphlink-cli`: the public client (device flow, delegated scopes).
pub const PUBLIC_APP_ID: &str = "33333333-3333-4333-8333-333333333333";

/// Adele Vance's user principal name.
pub const ADELE: &str = "adele@contoso.onmicrosoft.com";
/// Adele Vance's object id.
pub const ADELE_ID: &str = "5a1d7c3e-0b9f-4e2a-9c1d-aa0000000001";
/// Megan Bowen's user principal name.
pub const MEGAN: &str = "megan@contoso.onmicrosoft.com";
/// Megan Bowen's object id.
pub const MEGAN_ID: &str = "5a1d7c3e-0b9f-4e2a-9c1d-aa0000000002";

/// The "Finance" team's id.
pub const FINANCE_TEAM_ID: &str = "c6f1a2b3-4d5e-4f60-9a7b-8c9d0e1f2a01";
/// The "Operations" team's id.
pub const OPERATIONS_TEAM_ID: &str = "c6f1a2b3-4d5e-4f60-9a7b-8c9d0e1f2a02";
/// The Finance team's primary channel ("General").
pub const FINANCE_GENERAL: &str = "19:5f2d8c1a9b0e4d3c8a7f6e5d4c3b2a10@thread.tacv2";
/// The Finance team's "Invoices" channel.
pub const FINANCE_INVOICES: &str = "19:8a1b2c3d4e5f60718293a4b5c6d7e8f9@thread.tacv2";
/// The Finance team's "Ops Alerts" channel.
pub const OPS_ALERTS: &str = "19:0e9d8c7b6a5f40312e1d0c9b8a7f6e5d@thread.tacv2";
/// The Operations team's primary channel ("General").
pub const OPERATIONS_GENERAL: &str = "19:3c4d5e6f708192a3b4c5d6e7f8091a2b@thread.tacv2";
/// The Operations team's "Alerts" channel.
pub const OPERATIONS_ALERTS: &str = "19:7b6a5f4e3d2c1b0a9f8e7d6c5b4a3921@thread.tacv2";
