//! How a SharePoint site reference (URL, `host:/path`, id or name) is addressed.

use crate::error::{Error, Result};
use crate::path::{encode_id, encode_path};

/// A site reference as the user wrote it, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SiteLookup {
    /// Directly addressable: the Graph path (`/sites/...`).
    Address(String),
    /// A name to search for (`/sites?search=`).
    Name(String),
}

/// Classifies a site reference:
/// - `https://host/sites/X` (any server-relative path; empty path = the root site)
/// - `host:/sites/X`
/// - a site id `host,guid,guid`, or `root`
/// - anything else: a site name or title to search for.
pub(crate) fn classify(site: &str) -> Result<SiteLookup> {
    let site = site.trim();
    if site.is_empty() {
        return Err(Error::invalid("site", "empty site reference"));
    }
    if site.starts_with("https://") || site.starts_with("http://") {
        let url = url::Url::parse(site)
            .map_err(|e| Error::invalid("site", format!("{site:?} is not a valid URL: {e}")))?;
        let host = url
            .host_str()
            .ok_or_else(|| Error::invalid("site", format!("{site:?} has no host")))?;
        let path = percent_encoding::percent_decode_str(url.path())
            .decode_utf8()
            .map_err(|_| Error::invalid("site", format!("{site:?}: path is not UTF-8")))?
            .to_string();
        return Ok(SiteLookup::Address(host_path(host, &path)?));
    }
    if let Some((host, path)) = site.split_once(":/") {
        if !host.is_empty() && !host.contains('/') {
            return Ok(SiteLookup::Address(host_path(host, &format!("/{path}"))?));
        }
    }
    if site == "root" || site.contains(',') {
        return Ok(SiteLookup::Address(format!("/sites/{}", encode_id(site))));
    }
    if is_guid(site) {
        return Ok(SiteLookup::Address(format!("/sites/{site}")));
    }
    Ok(SiteLookup::Name(site.to_string()))
}

fn host_path(host: &str, path: &str) -> Result<String> {
    let encoded = encode_path(path)?;
    if encoded.is_empty() {
        Ok(format!("/sites/{}", encode_id(host)))
    } else {
        Ok(format!("/sites/{}:{}:", encode_id(host), encoded))
    }
}

fn is_guid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok() && s.len() == 36
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_references() {
        let addr = |s: &str| match classify(s).unwrap() {
            SiteLookup::Address(a) => a,
            SiteLookup::Name(n) => panic!("name {n}"),
        };
        assert_eq!(
            addr("https://contoso.sharepoint.com/sites/Finance"),
            "/sites/contoso.sharepoint.com:/sites/Finance:"
        );
        assert_eq!(
            addr("https://contoso.sharepoint.com/sites/Team%20A/"),
            "/sites/contoso.sharepoint.com:/sites/Team%20A:"
        );
        assert_eq!(
            addr("https://contoso.sharepoint.com/"),
            "/sites/contoso.sharepoint.com"
        );
        assert_eq!(
            addr("contoso.sharepoint.com:/sites/Finance"),
            "/sites/contoso.sharepoint.com:/sites/Finance:"
        );
        assert_eq!(
            addr("contoso.sharepoint.com,0b2e6a3c-1111-4111-8111-111111111111,9a1f0000-2222-4222-8222-222222222222"),
            "/sites/contoso.sharepoint.com,0b2e6a3c-1111-4111-8111-111111111111,9a1f0000-2222-4222-8222-222222222222"
        );
        assert_eq!(addr("root"), "/sites/root");
        assert_eq!(
            addr("0b2e6a3c-1111-4111-8111-111111111111"),
            "/sites/0b2e6a3c-1111-4111-8111-111111111111"
        );
        assert_eq!(
            classify("Finance").unwrap(),
            SiteLookup::Name("Finance".into())
        );
        assert_eq!(
            classify(" Team Site ").unwrap(),
            SiteLookup::Name("Team Site".into())
        );
        assert!(classify("").is_err());
    }
}
