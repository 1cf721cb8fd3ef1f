//! Byte-range arithmetic for resumable transfers (pure functions).

/// A range the server still expects: `start` to `end` inclusive (`None`: to the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Expected {
    pub(crate) start: u64,
    pub(crate) end: Option<u64>,
}

/// The earliest of an upload session's `nextExpectedRanges` (`"26-"`, `"0-25"`). `None` when the
/// list is empty (the server needs nothing more) or unparsable entries only.
pub(crate) fn first_expected(ranges: &[String]) -> Option<Expected> {
    ranges
        .iter()
        .filter_map(|r| {
            let (a, b) = r.trim().split_once('-')?;
            let start = a.trim().parse().ok()?;
            let end = match b.trim() {
                "" => None,
                e => Some(e.parse().ok()?),
            };
            Some(Expected { start, end })
        })
        .min_by_key(|e| e.start)
}

/// The next fragment to send, as `(start, length)`: from `start`, at most `chunk` bytes, not past
/// the expected range's end nor the file's `total`.
pub(crate) fn next_fragment(expected: Expected, chunk: u64, total: u64) -> (u64, u64) {
    let start = expected.start.min(total);
    let mut end = total.min(start.saturating_add(chunk));
    if let Some(last) = expected.end {
        end = end.min(last.saturating_add(1));
    }
    (start, end.saturating_sub(start))
}

/// `Content-Range` of an upload fragment: `bytes start-end/total`.
pub(crate) fn content_range(start: u64, len: u64, total: u64) -> String {
    format!("bytes {}-{}/{}", start, start + len - 1, total)
}

/// Parses a response's `Content-Range: bytes a-b/total` (total may be `*`) into `(a, b, total)`.
pub(crate) fn parse_content_range(value: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    if b < a {
        return None;
    }
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    Some((a, b, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_ranges() {
        let r = |v: &[&str]| first_expected(&v.iter().map(ToString::to_string).collect::<Vec<_>>());
        assert_eq!(
            r(&["26-"]),
            Some(Expected {
                start: 26,
                end: None
            })
        );
        assert_eq!(
            r(&["100-", "0-25"]),
            Some(Expected {
                start: 0,
                end: Some(25)
            })
        );
        assert_eq!(r(&[]), None);
        assert_eq!(r(&["junk"]), None);
    }

    #[test]
    fn fragments() {
        let unit = 327_680;
        let open = |start| Expected { start, end: None };
        assert_eq!(next_fragment(open(0), 2 * unit, 1_000_000), (0, 2 * unit));
        assert_eq!(
            next_fragment(open(2 * unit), 2 * unit, 1_000_000),
            (2 * unit, 1_000_000 - 2 * unit)
        );
        assert_eq!(
            next_fragment(
                Expected {
                    start: 10,
                    end: Some(19)
                },
                unit,
                1_000_000
            ),
            (10, 10)
        );
        assert_eq!(
            next_fragment(open(1_000_000), unit, 1_000_000),
            (1_000_000, 0)
        );
        assert_eq!(
            content_range(0, 327_680, 1_000_000),
            "bytes 0-327679/1000000"
        );
        assert_eq!(
            content_range(999_999, 1, 1_000_000),
            "bytes 999999-999999/1000000"
        );
    }

    #[test]
    fn fragments_cover_a_file_exactly_and_are_unit_multiples() {
        let unit = 327_680u64;
        for total in [1u64, unit - 1, unit, unit + 1, 10 * unit + 17] {
            let mut covered = 0;
            let mut n = 0;
            while covered < total {
                let (s, len) = next_fragment(
                    Expected {
                        start: covered,
                        end: None,
                    },
                    3 * unit,
                    total,
                );
                assert_eq!(s, covered);
                assert!(len > 0);
                if s + len < total {
                    assert_eq!(len % unit, 0);
                }
                covered += len;
                n += 1;
            }
            assert_eq!(covered, total);
            assert_eq!(n, total.div_ceil(3 * unit));
        }
    }

    #[test]
    fn content_range_parsing() {
        assert_eq!(parse_content_range("bytes 5-9/10"), Some((5, 9, Some(10))));
        assert_eq!(parse_content_range("bytes 0-0/*"), Some((0, 0, None)));
        assert_eq!(parse_content_range("bytes 9-5/10"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
        assert_eq!(parse_content_range("bytes */10"), None);
    }
}
