//! How a failed command is reported: the error and its causes on one line, each cause once.

/// The error chain joined with `: `, leaving out a cause whose text an outer error already
/// includes (library errors say their cause in their own message and return it as their
/// source too).
pub(crate) fn message(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_already_in_the_text_are_not_repeated() {
        let inner = graphlink_identity::Error::config("tenant", "is empty");
        let err = anyhow::Error::new(graphlink_runtime::Error::identity("connection 'me'", inner))
            .context("loading");
        assert_eq!(
            message(&err),
            "loading: connection 'me': invalid identity configuration: tenant: is empty"
        );
        let plain = anyhow::anyhow!("root").context("middle").context("top");
        assert_eq!(message(&plain), "top: middle: root");
    }
}
