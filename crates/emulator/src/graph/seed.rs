//! Seed entries for SharePoint sites and their document libraries.

use serde::{Deserialize, Serialize};

/// A SharePoint site.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SiteSeed {
    /// Server-relative path, e.g. `/sites/Finance` (empty string for the root site).
    pub path: String,
    /// Display name.
    pub display_name: String,
    /// Document libraries; the first is the site's default drive.
    #[serde(default = "SiteSeed::default_libraries")]
    pub libraries: Vec<String>,
}

impl SiteSeed {
    fn default_libraries() -> Vec<String> {
        vec!["Documents".into()]
    }

    /// The default seed's sites: the root site and a Finance site with an Invoices library.
    pub fn defaults() -> Vec<Self> {
        vec![
            SiteSeed {
                path: String::new(),
                display_name: "Communication site".into(),
                libraries: Self::default_libraries(),
            },
            SiteSeed {
                path: "/sites/Finance".into(),
                display_name: "Finance".into(),
                libraries: vec!["Documents".into(), "Invoices".into()],
            },
        ]
    }
}
