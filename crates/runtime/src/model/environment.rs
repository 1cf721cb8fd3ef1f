//! `[environment.STAGE]`: the `${lay:KEY}` values of one deployment stage.

use std::collections::BTreeMap;

use super::settings::{settings, values, with};
use super::AssetMeta;

settings! {
    /// An environment asset: the `${lay:KEY}` values of one deployment stage.
    #[derive(Debug, Clone)]
    pub struct Environment {
        /// Common fields.
        pub meta: AssetMeta = with(|_, _| AssetMeta::unset()),
        /// The values.
        pub values: BTreeMap<String, String> = values(None),
    }
}
