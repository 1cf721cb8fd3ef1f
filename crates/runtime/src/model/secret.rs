//! `[secret.NAME]`: `${sec:KEY}` values encrypted to a public key. Their checks (recipient,
//! encrypted values, keys unique across assets) are `validate`'s, with the `secrets` rules.

use std::collections::BTreeMap;

use super::settings::{settings, text, values, with, SettingExt};
use super::AssetMeta;

settings! {
    /// A secret asset: `${sec:KEY}` values encrypted to `recipient`.
    #[derive(Debug, Clone)]
    pub struct SecretAsset {
        /// Common fields.
        pub meta: AssetMeta = with(|_, _| AssetMeta::unset()),
        /// The age public key (`age1...`) values are encrypted to.
        pub recipient: String = text(None).required(" (the age public key, age1...)").or_default(),
        /// Encrypted values (`age:` + base64 of the age file).
        pub values: BTreeMap<String, String> = values(None),
    }
}
