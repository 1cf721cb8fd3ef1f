//! Item names: validation (Graph's illegal characters), path-segment encoding, MIME types.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::web::GraphError;

/// Characters left as they are in an encoded path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b'@');

/// Percent-encodes one path segment (UTF-8; space → `%20`, `#` → `%23`, `%` → `%25`).
pub fn encode_segment(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

/// Encodes and joins names with `/`.
pub fn encode_path<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names
        .into_iter()
        .map(encode_segment)
        .collect::<Vec<_>>()
        .join("/")
}

/// Checks a new item name against Graph's rules (400 `invalidRequest` naming the problem).
pub fn validate_name(name: &str) -> Result<(), GraphError> {
    let bad = |why: &str| {
        Err(GraphError::bad_request(format!(
            "The name '{name}' is not valid: {why}."
        )))
    };
    if name.is_empty() || name.trim().is_empty() {
        return bad("it is empty");
    }
    if name.chars().count() > 400 {
        return bad("it is longer than 400 characters");
    }
    if let Some(c) = name.chars().find(|c| {
        matches!(c, '/' | '\\' | '*' | '<' | '>' | '?' | ':' | '|' | '"') || c.is_control()
    }) {
        return bad(&format!("it contains the character {c:?}"));
    }
    if name.ends_with('.') {
        return bad("it ends with a period");
    }
    if name.starts_with('~') {
        return bad("it starts with a tilde");
    }
    if name.starts_with(' ') || name.ends_with(' ') {
        return bad("it starts or ends with a space");
    }
    Ok(())
}

/// MIME type from a file name's extension.
pub fn mime_for(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "json" => "application/json",
        "xml" => "application/xml",
        "html" | "htm" => "text/html",
        "md" => "text/markdown",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded_one_by_one() {
        assert_eq!(encode_segment("a b#c%d?e"), "a%20b%23c%25d%3Fe");
        assert_eq!(encode_segment("it's"), "it's");
        assert_eq!(encode_segment("é"), "%C3%A9");
        assert_eq!(encode_path(["a b", "c/d"]), "a%20b/c%2Fd");
    }

    #[test]
    fn illegal_names_are_refused() {
        for bad in ["", "a?b", "a:b", "a|b", "x.", "~x", "a\\b", "a\"b"] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
        for good in ["a b", "100% #1", "it's", "Ünïcødé ✓", "a.b.c"] {
            assert!(validate_name(good).is_ok(), "{good:?}");
        }
    }
}
