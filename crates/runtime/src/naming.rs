//! File names and paths inside a storage: `/`-separated, relative to the storage root.

use std::time::SystemTime;

use chrono::{DateTime, Utc};

/// Splits `name` into stem and extension (with its dot): `a.tar.gz` → (`a.tar`, `.gz`);
/// a leading dot is not an extension (`.env` → (`.env`, ``)).
pub fn split_ext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    }
}

/// `prefix` + stem + `suffix` + extension.
pub fn decorate(name: &str, prefix: &str, suffix: &str) -> String {
    let (stem, ext) = split_ext(name);
    format!("{prefix}{stem}{suffix}{ext}")
}

/// `name` with a counter: `a.pdf` → `a_3.pdf`.
pub fn with_counter(name: &str, n: u32) -> String {
    decorate(name, "", &format!("_{n}"))
}

/// `name` with a UTC timestamp: `a.pdf` → `a_20261129T231500Z.pdf`.
pub fn with_timestamp(name: &str, at: SystemTime) -> String {
    let dt: DateTime<Utc> = at.into();
    decorate(name, "", &format!("_{}", dt.format("%Y%m%dT%H%M%SZ")))
}

/// Normalises a storage path: `/`-separated, no leading/trailing slash, no empty or `.` parts.
/// `..` is refused (paths never leave the storage root).
pub fn normalize(path: &str) -> Result<String, String> {
    let mut parts = Vec::new();
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => return Err(format!("'{path}' must not contain '..'")),
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

/// Joins a directory and a relative path.
pub fn join(dir: &str, rel: &str) -> String {
    match (dir.trim_matches('/'), rel.trim_matches('/')) {
        ("", r) => r.to_string(),
        (d, "") => d.to_string(),
        (d, r) => format!("{d}/{r}"),
    }
}

/// The parent directory of a path (`` for top-level names).
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..i],
        None => "",
    }
}

/// The last component of a path.
pub fn file_name(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(split_ext("a.tar.gz"), ("a.tar", ".gz"));
        assert_eq!(split_ext(".env"), (".env", ""));
        assert_eq!(decorate("inv.pdf", "x-", "-y"), "x-inv-y.pdf");
        assert_eq!(with_counter("noext", 2), "noext_2");
        assert_eq!(normalize("/a//b/./c/").unwrap(), "a/b/c");
        assert!(normalize("a/../b").is_err());
        assert_eq!(join("", "x"), "x");
        assert_eq!(join("/d/", "x"), "d/x");
        assert_eq!(parent("a/b/c"), "a/b");
        assert_eq!(file_name("a/b/c"), "c");
    }
}
