//! Turning a message body into HTML that is safe to show in the emulator's page: text is
//! escaped, HTML keeps only harmless tags and attributes (scripts, styles, frames, event
//! handlers and `javascript:` links are dropped), `<at>` mentions are highlighted and
//! `<attachment>` tags are replaced by their card.

use serde_json::Value;

use super::incoming::ADAPTIVE_CARD;
use crate::html::escape;

/// Tags kept (without attributes, except `href` on `a` and `src`/`alt` on `img`).
const ALLOWED: &[&str] = &[
    "a",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "s",
    "strike",
    "del",
    "ins",
    "p",
    "br",
    "hr",
    "div",
    "span",
    "ul",
    "ol",
    "li",
    "code",
    "pre",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "td",
    "th",
    "sub",
    "sup",
    "img",
    "small",
    "mark",
];

/// Tags dropped together with everything inside them.
const DROP_WITH_CONTENT: &[&str] = &[
    "script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math", "head",
    "title", "textarea", "select", "frameset", "frame", "applet",
];

/// A message body as safe HTML.
pub fn body_html(content_type: &str, content: &str, attachments: &[Value]) -> String {
    if content_type == "html" {
        let mut html = sanitize(content, attachments);
        // Attachments the body does not place are shown after it.
        let placed = super::incoming::attachment_ids(content);
        for a in attachments {
            let id = a.get("id").and_then(Value::as_str).unwrap_or("");
            if !placed.contains(id) {
                html.push_str(&card_html(a));
            }
        }
        html
    } else {
        let mut html = escape(content).replace('\n', "<br>");
        for a in attachments {
            html.push_str(&card_html(a));
        }
        html
    }
}

fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let bytes = tag.as_bytes();
    let mut i = 0;
    // Skip the tag name.
    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'/' {
        i += 1;
    }
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'=' {
            i += 1;
        }
        let name = tag[start..i].to_ascii_lowercase();
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < bytes.len() && (bytes[i] == b'"' || bytes[i] == b'\'') {
                let quote = bytes[i];
                i += 1;
                let vstart = i;
                while i < bytes.len() && bytes[i] != quote {
                    i += 1;
                }
                value = tag[vstart..i].to_string();
                i = (i + 1).min(bytes.len());
            } else {
                let vstart = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                value = tag[vstart..i].to_string();
            }
        }
        out.push((name, value));
    }
    out
}

fn safe_url(url: &str) -> bool {
    let u = url.trim().to_ascii_lowercase();
    u.starts_with("https://") || u.starts_with("http://") || u.starts_with("mailto:")
}

fn find_ci(haystack: &str, needle: &str, from: usize) -> Option<usize> {
    haystack[from..]
        .to_ascii_lowercase()
        .find(needle)
        .map(|p| p + from)
}

/// Sanitises an HTML body (see the module description).
pub fn sanitize(html: &str, attachments: &[Value]) -> String {
    let mut out = String::with_capacity(html.len());
    let mut i = 0;
    while i < html.len() {
        let rest = &html[i..];
        if !rest.starts_with('<') {
            let next = rest.find('<').map_or(html.len(), |p| i + p);
            out.push_str(&html[i..next].replace('>', "&gt;"));
            i = next;
            continue;
        }
        if rest.starts_with("<!--") {
            i = html[i..].find("-->").map_or(html.len(), |p| i + p + 3);
            continue;
        }
        let Some(end) = rest.find('>').map(|p| i + p) else {
            out.push_str(&escape(rest));
            break;
        };
        let inner = &html[i + 1..end];
        let closing = inner.starts_with('/');
        let body = inner.trim_start_matches('/');
        let name: String = body
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        i = end + 1;
        if name.is_empty() {
            out.push_str(&escape(&html[end - inner.len() - 1..end + 1]));
            continue;
        }
        if DROP_WITH_CONTENT.contains(&name.as_str()) {
            if !closing && !body.trim_end().ends_with('/') {
                let close = format!("</{name}");
                i = match find_ci(html, &close, i) {
                    Some(p) => html[p..].find('>').map_or(html.len(), |q| p + q + 1),
                    None => html.len(),
                };
            }
            continue;
        }
        match name.as_str() {
            "at" => out.push_str(if closing {
                "</span>"
            } else {
                "<span class=\"mention\">"
            }),
            "attachment" if !closing => {
                let id = attributes(body)
                    .into_iter()
                    .find(|(k, _)| k == "id")
                    .map(|(_, v)| v)
                    .unwrap_or_default();
                match attachments
                    .iter()
                    .find(|a| a.get("id").and_then(Value::as_str) == Some(id.as_str()))
                {
                    Some(a) => out.push_str(&card_html(a)),
                    None => out.push_str(&format!(
                        "<div class=\"card\">missing attachment {}</div>",
                        escape(&id)
                    )),
                }
            }
            "attachment" => {}
            n if ALLOWED.contains(&n) => {
                if closing {
                    out.push_str(&format!("</{n}>"));
                    continue;
                }
                out.push('<');
                out.push_str(n);
                for (k, v) in attributes(body) {
                    let keep = matches!((n, k.as_str()), ("a", "href") | ("img", "src"))
                        && safe_url(&v)
                        || matches!((n, k.as_str()), ("img", "alt") | ("td" | "th", "colspan"));
                    if keep {
                        out.push_str(&format!(" {k}=\"{}\"", escape(&v)));
                    }
                }
                if n == "a" {
                    out.push_str(" target=\"_blank\" rel=\"noopener noreferrer\"");
                }
                out.push('>');
            }
            _ => {}
        }
    }
    out
}

fn collect_text(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                match (k.as_str(), x) {
                    ("text" | "title" | "value", Value::String(s)) => out.push(s.clone()),
                    _ => collect_text(x, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|x| collect_text(x, out)),
        _ => {}
    }
}

/// An attachment as HTML: adaptive cards show their text and their JSON.
pub fn card_html(a: &Value) -> String {
    let content_type = a.get("contentType").and_then(Value::as_str).unwrap_or("");
    let content = a.get("content").and_then(Value::as_str).unwrap_or("");
    if content_type.eq_ignore_ascii_case(ADAPTIVE_CARD) {
        let parsed: Value = serde_json::from_str(content).unwrap_or(Value::Null);
        let mut texts = Vec::new();
        collect_text(&parsed, &mut texts);
        let lines: String = texts
            .iter()
            .map(|t| format!("<div>{}</div>", escape(t)))
            .collect();
        let pretty = serde_json::to_string_pretty(&parsed).unwrap_or_else(|_| content.to_string());
        format!(
            "<div class=\"card\"><div class=\"card-kind\">Adaptive card</div>{lines}<details><summary>JSON</summary><pre>{}</pre></details></div>",
            escape(&pretty)
        )
    } else {
        let name = a
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("attachment");
        format!(
            "<div class=\"card\"><div class=\"card-kind\">{}</div>{}</div>",
            escape(content_type),
            escape(name)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scripts_handlers_and_bad_links_are_dropped() {
        let html = "<p onclick=\"x()\">Hi <b>there</b></p><script>alert(1)</script><SCRIPT src=x></SCRIPT><a href=\"javascript:alert(1)\">j</a><a href='https://ok.example/'>ok</a><img src=x onerror=alert(1)><style>p{}</style>end";
        let out = sanitize(html, &[]);
        assert!(!out.to_lowercase().contains("script"), "{out}");
        assert!(
            !out.contains("onclick") && !out.contains("onerror"),
            "{out}"
        );
        assert!(!out.contains("javascript:"), "{out}");
        assert!(out.contains("<p>Hi <b>there</b></p>"), "{out}");
        assert!(out.contains("href=\"https://ok.example/\""), "{out}");
        assert!(out.ends_with("end"), "{out}");
    }

    #[test]
    fn mentions_are_highlighted_and_cards_shown() {
        let card = json!({"id": "c1", "contentType": ADAPTIVE_CARD,
            "content": "{\"type\":\"AdaptiveCard\",\"body\":[{\"type\":\"TextBlock\",\"text\":\"Upload <failed>\"}]}"});
        let out = body_html(
            "html",
            "Hi <at id=\"0\">Megan</at><attachment id=\"c1\"></attachment>",
            &[card],
        );
        assert!(
            out.contains("<span class=\"mention\">Megan</span>"),
            "{out}"
        );
        assert!(out.contains("Upload &lt;failed&gt;"), "{out}");
        assert_eq!(body_html("text", "a<b>\nc", &[]), "a&lt;b&gt;<br>c");
    }
}
