//! The `Range` header of media requests (RFC 9110 §14.1.2), parsed by one pure function so it
//! can be fuzzed. The media route hands the file server only the single, normalised range this
//! parser returns (or none), so no other parser ever reads a client's `Range` header.

/// What a `Range` header asks of a file `len` bytes long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// No usable range: serve the whole file (malformed, several ranges, another unit). A
    /// server may always ignore `Range`.
    Whole,
    /// Bytes `start..=end`, with `start <= end < len`.
    Part {
        /// The first byte served.
        start: u64,
        /// The last byte served (inclusive).
        end: u64,
    },
    /// Well-formed, but nothing of it lies within the file: 416.
    Unsatisfiable,
}

/// Longest header value looked at; a longer one is ignored (the whole file is served).
const MAX_HEADER: usize = 256;

/// Parses a `Range` header value for a file of `len` bytes: `bytes=a-b`, `bytes=a-` or
/// `bytes=-n` (the last `n` bytes). Never panics, for any bytes and any length.
pub fn parse_range(header: &[u8], len: u64) -> ByteRange {
    if header.len() > MAX_HEADER {
        return ByteRange::Whole;
    }
    let Ok(header) = std::str::from_utf8(header) else {
        return ByteRange::Whole;
    };
    let header = header.trim_matches([' ', '\t']);
    let Some((unit, spec)) = header.split_once('=') else {
        return ByteRange::Whole;
    };
    if !unit.trim_matches([' ', '\t']).eq_ignore_ascii_case("bytes") {
        return ByteRange::Whole;
    }
    let spec = spec.trim_matches([' ', '\t']);
    if spec.contains(',') {
        // Several ranges would need a multipart answer: serve the whole file instead.
        return ByteRange::Whole;
    }
    let Some((first, last)) = spec.split_once('-') else {
        return ByteRange::Whole;
    };
    let (first, last) = (first.trim_matches([' ', '\t']), last.trim_matches([' ', '\t']));
    match (number(first), number(last)) {
        // bytes=-n: the last n bytes.
        (None, Some(n)) if first.is_empty() => {
            if n == 0 || len == 0 {
                ByteRange::Unsatisfiable
            } else {
                ByteRange::Part {
                    start: len - n.min(len),
                    end: len - 1,
                }
            }
        }
        // bytes=a-
        (Some(start), None) if last.is_empty() => {
            if start >= len {
                ByteRange::Unsatisfiable
            } else {
                ByteRange::Part { start, end: len - 1 }
            }
        }
        // bytes=a-b
        (Some(start), Some(end)) if start <= end => {
            if start >= len {
                ByteRange::Unsatisfiable
            } else {
                ByteRange::Part {
                    start,
                    end: end.min(len - 1),
                }
            }
        }
        _ => ByteRange::Whole,
    }
}

/// A run of 1 to 19 ASCII digits (anything longer could overflow) as a number.
fn number(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::ByteRange::{Part, Unsatisfiable, Whole};
    use super::*;

    #[test]
    fn ranges_as_browsers_send_them() {
        assert_eq!(parse_range(b"bytes=0-99", 1000), Part { start: 0, end: 99 });
        assert_eq!(parse_range(b"bytes=0-", 1000), Part { start: 0, end: 999 });
        assert_eq!(parse_range(b"bytes=500-", 1000), Part { start: 500, end: 999 });
        assert_eq!(parse_range(b"bytes=-100", 1000), Part { start: 900, end: 999 });
        assert_eq!(parse_range(b"bytes=-5000", 1000), Part { start: 0, end: 999 });
        assert_eq!(
            parse_range(b"bytes=900-5000", 1000),
            Part { start: 900, end: 999 }
        );
        assert_eq!(parse_range(b" Bytes = 1 - 2 ", 10), Part { start: 1, end: 2 });
    }

    #[test]
    fn ranges_outside_the_file_are_unsatisfiable() {
        assert_eq!(parse_range(b"bytes=1000-", 1000), Unsatisfiable);
        assert_eq!(parse_range(b"bytes=1000-2000", 1000), Unsatisfiable);
        assert_eq!(parse_range(b"bytes=-0", 1000), Unsatisfiable);
        assert_eq!(parse_range(b"bytes=0-", 0), Unsatisfiable);
        assert_eq!(parse_range(b"bytes=-1", 0), Unsatisfiable);
    }

    #[test]
    fn anything_else_serves_the_whole_file() {
        let long = format!("bytes=0-{}", "9".repeat(300));
        for bad in [
            &b""[..],
            b"bytes",
            b"bytes=",
            b"bytes=-",
            b"bytes=5-4",
            b"bytes=0-1,5-6",
            b"items=0-1",
            b"bytes=a-b",
            b"bytes=+1-2",
            b"bytes=0x10-",
            b"bytes=99999999999999999999-",
            b"bytes=0-99999999999999999999",
            b"bytes=1--2",
            b"bytes=\xff-1",
            long.as_bytes(),
        ] {
            assert_eq!(
                parse_range(bad, 1000),
                Whole,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    mod prop {
        use proptest::prelude::*;

        use super::super::*;

        proptest! {
            #[test]
            fn any_header_gives_a_range_inside_the_file(
                h in proptest::collection::vec(any::<u8>(), 0..64),
                len in any::<u64>(),
            ) {
                if let ByteRange::Part { start, end } = parse_range(&h, len) {
                    prop_assert!(start <= end && end < len);
                }
            }

            #[test]
            fn well_formed_ranges_round_trip(a in 0u64..10_000, n in 0u64..10_000, len in 1u64..20_000) {
                let b = a + n;
                let got = parse_range(format!("bytes={a}-{b}").as_bytes(), len);
                if a >= len {
                    prop_assert_eq!(got, ByteRange::Unsatisfiable);
                } else {
                    prop_assert_eq!(got, ByteRange::Part { start: a, end: b.min(len - 1) });
                }
            }
        }
    }
}
