//! Device codes (in memory): creation, the user's decision on the login page, and polling.
//!
//! Polling rule: a poll of a pending code that comes less than half the interval after the
//! previous poll is answered `slow_down` (lenient, so a client that waits `interval` between
//! polls never sees it, and one that hammers does).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use parking_lot::Mutex;
use rand::{Rng, RngCore};
use serde::Serialize;

use super::scopes::DelegatedScopes;

/// Letters and digits that cannot be confused (no I, O, 0, 1).
const USER_CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Length of user codes.
pub(super) const USER_CODE_LEN: usize = 8;
/// How long finished codes are kept after they expire (to answer `expired_token`).
const KEEP_AFTER_EXPIRY: Duration = Duration::from_secs(3600);

/// Where a device code stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Status {
    /// Waiting for the user.
    Pending,
    /// Approved by this user (object id).
    Approved(String),
    /// Declined by the user.
    Declined,
    /// Approved and already exchanged for tokens.
    Redeemed,
}

struct Entry {
    user_code: String,
    client_id: String,
    scopes: DelegatedScopes,
    expires_at: Instant,
    interval: Duration,
    status: Status,
    last_poll: Option<Instant>,
}

/// The answer to a poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Poll {
    /// Approved: issue tokens for this user and these scopes (the code is now redeemed).
    Approved {
        /// The user's object id.
        user_id: String,
        /// The scopes asked for.
        scopes: DelegatedScopes,
    },
    /// Not decided yet.
    Pending,
    /// Polled too fast.
    SlowDown,
    /// Declined by the user.
    Declined,
    /// Expired.
    Expired,
    /// Already exchanged.
    Redeemed,
    /// Unknown code (or another app's).
    Unknown,
}

/// Why a decision on the login page was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DecideError {
    /// No such user code.
    Unknown,
    /// The code has expired.
    Expired,
    /// The code was already approved or declined.
    AlreadyDecided,
}

/// What was decided, for the result page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Decided {
    /// The app that asked.
    pub client_id: String,
    /// The scopes it asked for.
    pub scopes: DelegatedScopes,
}

/// A pending code, for the admin view (no device code: that is the client's secret).
#[derive(Debug, Clone, Serialize)]
pub(super) struct PendingCode {
    /// The user code.
    pub user_code: String,
    /// The app.
    pub client_id: String,
    /// Scopes asked for.
    pub scope: String,
    /// Seconds left.
    pub expires_in: u64,
    /// `pending`, `approved`, `declined` or `redeemed`.
    pub status: &'static str,
}

/// All device codes, by device code.
#[derive(Default)]
pub(super) struct DeviceCodes {
    entries: Mutex<HashMap<String, Entry>>,
}

impl std::fmt::Debug for DeviceCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCodes")
            .field("count", &self.entries.lock().len())
            .finish()
    }
}

impl DeviceCodes {
    /// Creates a code pair; returns `(device_code, user_code)`.
    pub(super) fn create(
        &self,
        client_id: &str,
        scopes: DelegatedScopes,
        lifetime: Duration,
        interval: Duration,
    ) -> (String, String) {
        let now = Instant::now();
        let mut entries = self.entries.lock();
        entries.retain(|_, e| {
            e.expires_at
                .checked_add(KEEP_AFTER_EXPIRY)
                .is_none_or(|keep_until| keep_until > now)
        });
        let mut rng = rand::thread_rng();
        let user_code = loop {
            let code: String = (0..USER_CODE_LEN)
                .map(|_| USER_CODE_ALPHABET[rng.gen_range(0..USER_CODE_ALPHABET.len())] as char)
                .collect();
            if !entries.values().any(|e| e.user_code == code) {
                break code;
            }
        };
        let mut bytes = [0u8; 48];
        rng.fill_bytes(&mut bytes);
        let device_code = format!("DAQABIQEAAAD{}", URL_SAFE_NO_PAD.encode(bytes));
        entries.insert(
            device_code.clone(),
            Entry {
                user_code: user_code.clone(),
                client_id: client_id.to_string(),
                scopes,
                // Lifetimes are admin settings: cap absurd ones instead of overflowing.
                expires_at: now
                    .checked_add(lifetime)
                    .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600)),
                interval,
                status: Status::Pending,
                last_poll: None,
            },
        );
        (device_code, user_code)
    }

    /// The token endpoint's poll by `client_id` with `device_code`.
    pub(super) fn poll(&self, device_code: &str, client_id: &str) -> Poll {
        let now = Instant::now();
        let mut entries = self.entries.lock();
        let Some(entry) = entries.get_mut(device_code) else {
            return Poll::Unknown;
        };
        if !entry.client_id.eq_ignore_ascii_case(client_id) {
            return Poll::Unknown;
        }
        let last = entry.last_poll.replace(now);
        match &entry.status {
            Status::Redeemed => return Poll::Redeemed,
            _ if now >= entry.expires_at => return Poll::Expired,
            Status::Declined => return Poll::Declined,
            Status::Approved(user_id) => {
                let poll = Poll::Approved {
                    user_id: user_id.clone(),
                    scopes: entry.scopes.clone(),
                };
                entry.status = Status::Redeemed;
                return poll;
            }
            Status::Pending => {}
        }
        if last.is_some_and(|l| now.duration_since(l) < entry.interval / 2) {
            Poll::SlowDown
        } else {
            Poll::Pending
        }
    }

    /// The user's decision for a user code (case-insensitive; spaces and dashes ignored).
    pub(super) fn decide(
        &self,
        user_code: &str,
        user_id: &str,
        approve: bool,
    ) -> Result<Decided, DecideError> {
        let wanted = normalize_user_code(user_code);
        let now = Instant::now();
        let mut entries = self.entries.lock();
        let entry = entries
            .values_mut()
            .find(|e| e.user_code == wanted)
            .ok_or(DecideError::Unknown)?;
        if now >= entry.expires_at {
            return Err(DecideError::Expired);
        }
        if entry.status != Status::Pending {
            return Err(DecideError::AlreadyDecided);
        }
        entry.status = if approve {
            Status::Approved(user_id.to_string())
        } else {
            Status::Declined
        };
        Ok(Decided {
            client_id: entry.client_id.clone(),
            scopes: entry.scopes.clone(),
        })
    }

    /// Codes not yet expired, for the admin view.
    pub(super) fn pending(&self) -> Vec<PendingCode> {
        let now = Instant::now();
        let entries = self.entries.lock();
        let mut out: Vec<PendingCode> = entries
            .values()
            .filter(|e| e.expires_at > now)
            .map(|e| PendingCode {
                user_code: e.user_code.clone(),
                client_id: e.client_id.clone(),
                scope: e.scopes.response_scope(),
                expires_in: e.expires_at.duration_since(now).as_secs(),
                status: match e.status {
                    Status::Pending => "pending",
                    Status::Approved(_) => "approved",
                    Status::Declined => "declined",
                    Status::Redeemed => "redeemed",
                },
            })
            .collect();
        out.sort_by(|a, b| a.user_code.cmp(&b.user_code));
        out
    }
}

/// Upper case, without spaces and dashes.
pub(super) fn normalize_user_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn user_codes_are_unambiguous() {
        let codes = DeviceCodes::default();
        for _ in 0..50 {
            let (device, user) = codes.create("c", DelegatedScopes::default(), MIN, MIN);
            assert_eq!(user.len(), USER_CODE_LEN);
            assert!(!user.contains(['I', 'O', '0', '1']), "{user}");
            assert!(device.len() > 60);
        }
    }

    #[test]
    fn approve_then_redeem_once() {
        let codes = DeviceCodes::default();
        let (device, user) = codes.create("c", DelegatedScopes::default(), MIN, Duration::ZERO);
        assert_eq!(codes.poll(&device, "other"), Poll::Unknown);
        assert_eq!(codes.poll(&device, "c"), Poll::Pending);
        let spaced = format!("{}-{} ", &user[..4].to_lowercase(), &user[4..]);
        codes.decide(&spaced, "u1", true).unwrap();
        assert_eq!(
            codes.decide(&user, "u1", false),
            Err(DecideError::AlreadyDecided)
        );
        assert!(
            matches!(codes.poll(&device, "C"), Poll::Approved { user_id, .. } if user_id == "u1")
        );
        assert_eq!(codes.poll(&device, "c"), Poll::Redeemed);
        assert_eq!(
            codes.decide("ZZZZZZZZ", "u1", true),
            Err(DecideError::Unknown)
        );
    }

    #[test]
    fn fast_polls_get_slow_down_and_expired_codes_expire() {
        let codes = DeviceCodes::default();
        let (device, _) = codes.create("c", DelegatedScopes::default(), MIN, MIN);
        assert_eq!(codes.poll(&device, "c"), Poll::Pending);
        assert_eq!(codes.poll(&device, "c"), Poll::SlowDown);
        let (device, user) = codes.create("c", DelegatedScopes::default(), Duration::ZERO, MIN);
        assert_eq!(codes.poll(&device, "c"), Poll::Expired);
        assert_eq!(codes.decide(&user, "u", true), Err(DecideError::Expired));
        let (device, user) = codes.create("c", DelegatedScopes::default(), MIN, Duration::ZERO);
        codes.decide(&user, "u", false).unwrap();
        assert_eq!(codes.poll(&device, "c"), Poll::Declined);
    }
}
