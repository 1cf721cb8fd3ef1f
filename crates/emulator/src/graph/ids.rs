//! Identifiers that look like the real ones, timestamps in Graph's format, and the HMAC that
//! signs the emulator's pre-authenticated URLs and delta tokens.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// Now, in milliseconds since the epoch.
pub fn now_millis() -> Millis {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as Millis
}

/// Formats a timestamp like Graph: `2026-01-09T02:02:12Z` (with `.mmm` when not whole seconds).
pub fn format_time(ms: Millis) -> String {
    let dt = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let base = dt
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]"
        ))
        .unwrap_or_default();
    let frac = ms.rem_euclid(1000);
    if frac == 0 {
        format!("{base}Z")
    } else {
        format!("{base}.{frac:03}Z")
    }
}

/// Parses an RFC 3339 timestamp (as clients send in `fileSystemInfo`).
pub fn parse_time(text: &str) -> Option<Millis> {
    let dt =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    Some((dt.unix_timestamp_nanos() / 1_000_000) as Millis)
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A business-style item id: `01` followed by 32 base32 characters.
pub fn new_item_id() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    item_id_from(&bytes)
}

/// A deterministic item id derived from `seed` (used for drive roots).
pub fn derived_item_id(seed: &str) -> String {
    item_id_from(&Sha256::digest(seed.as_bytes()))
}

fn item_id_from(bytes: &[u8]) -> String {
    let mut id = String::with_capacity(34);
    id.push_str("01");
    for b in bytes.iter().take(32) {
        id.push(BASE32[(*b & 31) as usize] as char);
    }
    id
}

/// A deterministic business drive id: `b!` + 64 base64url characters derived from `seed`.
pub fn derived_drive_id(seed: &str) -> String {
    let a = Sha256::digest(format!("drive-a|{seed}").as_bytes());
    let b = Sha256::digest(format!("drive-b|{seed}").as_bytes());
    let mut bytes = a.to_vec();
    bytes.extend_from_slice(&b[..16]);
    format!("b!{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// A deterministic GUID (lower case, hyphenated) derived from `seed`.
pub fn derived_guid(seed: &str) -> String {
    let h = Sha256::digest(seed.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&h[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(bytes).to_string()
}

/// A fresh upper-case GUID, the form used inside eTags.
pub fn new_etag_guid() -> String {
    uuid::Uuid::new_v4().to_string().to_uppercase()
}

/// A random URL-safe secret of `n` bytes.
pub fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// HMAC-SHA256 keyed with the emulator's URL key.
#[derive(Clone)]
pub struct UrlSigner {
    key: [u8; 32],
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UrlSigner(..)")
    }
}

impl UrlSigner {
    /// A signer with this key.
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    /// HMAC-SHA256 of `msg`.
    pub fn mac(&self, msg: &[u8]) -> [u8; 32] {
        let mut ipad = [0x36u8; 64];
        let mut opad = [0x5cu8; 64];
        for (i, k) in self.key.iter().enumerate() {
            ipad[i] ^= k;
            opad[i] ^= k;
        }
        let inner = Sha256::new()
            .chain_update(ipad)
            .chain_update(msg)
            .finalize();
        let outer = Sha256::new()
            .chain_update(opad)
            .chain_update(inner)
            .finalize();
        outer.into()
    }

    /// `base64url(payload).base64url(mac)`.
    pub fn seal(&self, payload: &str) -> String {
        let mac = self.mac(payload.as_bytes());
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(&mac[..20])
        )
    }

    /// The payload of a token made by [`UrlSigner::seal`], if its MAC is right.
    pub fn open(&self, token: &str) -> Option<String> {
        let (p, m) = token.split_once('.')?;
        let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(p).ok()?).ok()?;
        let mac = URL_SAFE_NO_PAD.decode(m).ok()?;
        let want = self.mac(payload.as_bytes());
        // Constant-time enough for an emulator, but do not short-circuit anyway.
        let same = mac.len() == 20
            && mac
                .iter()
                .zip(&want[..20])
                .fold(0u8, |a, (x, y)| a | (x ^ y))
                == 0;
        same.then_some(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_real_shapes() {
        let id = new_item_id();
        assert_eq!(id.len(), 34);
        assert!(id.starts_with("01"));
        let d = derived_drive_id("x");
        assert!(d.starts_with("b!") && d.len() == 66, "{d}");
        assert_eq!(d, derived_drive_id("x"));
        assert_eq!(derived_guid("a").len(), 36);
    }

    #[test]
    fn time_format_round_trips() {
        let ms = 1_767_924_132_000;
        assert_eq!(format_time(ms), "2026-01-09T02:02:12Z");
        assert_eq!(parse_time("2026-01-09T02:02:12Z"), Some(ms));
        assert_eq!(format_time(ms + 5), "2026-01-09T02:02:12.005Z");
    }

    #[test]
    fn sealed_tokens_detect_tampering() {
        let s = UrlSigner::new([7; 32]);
        let t = s.seal("d|i|5");
        assert_eq!(s.open(&t).as_deref(), Some("d|i|5"));
        let other = UrlSigner::new([8; 32]);
        assert_eq!(other.open(&t), None);
        assert_eq!(s.open("garbage"), None);
    }
}
