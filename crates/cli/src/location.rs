//! Parsing of the locations file commands take: remote drive paths and local paths.
//!
//! - `onedrive:/path` — the signed-in user's OneDrive (device-flow connections);
//! - `onedrive://user@contoso.com/path` — a user's OneDrive, by UPN or object id;
//! - `sharepoint://contoso.sharepoint.com/sites/Finance/Documents/path` — a library of a site
//!   (`/sites/X` or `/teams/X`; without it, the root site), then the path in that library;
//! - `drive://b!abc.../path` — a drive by id;
//! - anything else is a local path.

use graphlink_graph::DriveRef;

use crate::error::CliError;

/// Where a file command reads or writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    /// A path in a OneDrive or SharePoint drive.
    Remote {
        /// The drive.
        drive: DriveRef,
        /// The path inside the drive, `/`-separated, without a leading slash (empty for the root).
        path: String,
    },
    /// A path on this machine.
    Local(std::path::PathBuf),
}

impl Location {
    /// Parses a location given on the command line; a string that is not a location is a
    /// [`CliError::Location`].
    pub(crate) fn parse(input: &str) -> Result<Self, CliError> {
        let fail = |reason: &str| CliError::Location {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        if let Some(rest) = input.strip_prefix("onedrive://") {
            let (user, path) = rest.split_once('/').unwrap_or((rest, ""));
            if user.is_empty() {
                return Err(fail("name the user: onedrive://user@contoso.com/path"));
            }
            return Ok(Location::Remote {
                drive: DriveRef::User(user.to_string()),
                path: clean(path),
            });
        }
        if let Some(rest) = input.strip_prefix("onedrive:") {
            return Ok(Location::Remote {
                drive: DriveRef::Me,
                path: clean(rest),
            });
        }
        if let Some(rest) = input.strip_prefix("drive://") {
            let (id, path) = rest.split_once('/').unwrap_or((rest, ""));
            if id.is_empty() {
                return Err(fail("name the drive id: drive://b!.../path"));
            }
            return Ok(Location::Remote {
                drive: DriveRef::Id(id.to_string()),
                path: clean(path),
            });
        }
        if let Some(rest) = input.strip_prefix("sharepoint://") {
            let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
            let Some((host, rest)) = segments.split_first() else {
                return Err(fail(
                    "name the host, site and library: sharepoint://contoso.sharepoint.com/sites/Finance/Documents/path",
                ));
            };
            let (site_path, rest) = match rest {
                [kind, name, rest @ ..]
                    if kind.eq_ignore_ascii_case("sites") || kind.eq_ignore_ascii_case("teams") =>
                {
                    (format!("/{kind}/{name}"), rest)
                }
                [kind]
                    if kind.eq_ignore_ascii_case("sites") || kind.eq_ignore_ascii_case("teams") =>
                {
                    return Err(fail("name the site after /sites/: sharepoint://host/sites/Finance/Documents/path"));
                }
                rest => (String::new(), rest),
            };
            let Some((library, path)) = rest.split_first() else {
                return Err(fail("name the library after the site: sharepoint://host/sites/Finance/Documents/path"));
            };
            return Ok(Location::Remote {
                drive: DriveRef::Site {
                    site: format!(
                        "{host}:{}",
                        if site_path.is_empty() {
                            "/"
                        } else {
                            &site_path
                        }
                    ),
                    library: Some(library.to_string()),
                },
                path: path.join("/"),
            });
        }
        if input.contains("://") {
            return Err(fail(
                "unknown scheme: use onedrive:, onedrive://, sharepoint:// or drive://",
            ));
        }
        Ok(Location::Local(input.into()))
    }
}

fn clean(path: &str) -> String {
    path.split('/')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(drive: DriveRef, path: &str) -> Location {
        Location::Remote {
            drive,
            path: path.into(),
        }
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(
            Location::parse("onedrive:/a/b.txt").unwrap(),
            remote(DriveRef::Me, "a/b.txt")
        );
        assert_eq!(
            Location::parse("onedrive:").unwrap(),
            remote(DriveRef::Me, "")
        );
        assert_eq!(
            Location::parse("onedrive://adele@contoso.com/Reports/x y.csv").unwrap(),
            remote(
                DriveRef::User("adele@contoso.com".into()),
                "Reports/x y.csv"
            )
        );
        assert_eq!(
            Location::parse(
                "sharepoint://contoso.sharepoint.com/sites/Finance/Invoices/2026/a#1.pdf"
            )
            .unwrap(),
            remote(
                DriveRef::Site {
                    site: "contoso.sharepoint.com:/sites/Finance".into(),
                    library: Some("Invoices".into())
                },
                "2026/a#1.pdf"
            )
        );
        assert_eq!(
            Location::parse("sharepoint://contoso.sharepoint.com/Documents").unwrap(),
            remote(
                DriveRef::Site {
                    site: "contoso.sharepoint.com:/".into(),
                    library: Some("Documents".into())
                },
                ""
            )
        );
        assert_eq!(
            Location::parse("drive://b!xyz/f.txt").unwrap(),
            remote(DriveRef::Id("b!xyz".into()), "f.txt")
        );
        assert_eq!(
            Location::parse("./local/file").unwrap(),
            Location::Local("./local/file".into())
        );
    }

    #[test]
    fn rejects_incomplete_forms_with_an_example() {
        for bad in [
            "onedrive:///x",
            "sharepoint://",
            "sharepoint://host/sites",
            "sharepoint://host/sites/Finance",
            "drive:///x",
            "s3://bucket/x",
        ] {
            let Err(CliError::Location { input, reason }) = Location::parse(bad) else {
                panic!("{bad} accepted");
            };
            assert_eq!(input, bad);
            assert!(!reason.is_empty());
        }
    }
}
