//! A JSON Lines reader with flat memory and precise errors.

use std::io::{self, BufRead};

/// Lines longer than this many bytes (8 MiB) are rejected unless the caller sets another
/// limit. Ground Truth itself caps lines at 100,000 characters; Sift allows long passages.
pub const DEFAULT_MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

/// One non-blank line of the file.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    /// 1-based line number in the file.
    pub number: u64,
    /// The line's text without its line ending (and without the BOM on line 1).
    pub text: &'a str,
}

/// A line that cannot be read as text.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The line's bytes are not valid UTF-8. Reading can go on with the next line.
    #[error("line {line}: not valid UTF-8 (first bad byte at column {column})")]
    InvalidUtf8 {
        /// The 1-based line number.
        line: u64,
        /// The 1-based byte column of the first invalid byte (bytes, not characters).
        column: usize,
    },
    /// The line is over the reader's limit; it was skipped without being buffered whole,
    /// and reading can go on with the next line.
    #[error("line {line}: longer than the limit of {limit} bytes")]
    TooLong {
        /// The 1-based line number.
        line: u64,
        /// The limit in bytes ([`DEFAULT_MAX_LINE_BYTES`] unless the reader was given another).
        limit: usize,
    },
    /// Reading from the underlying source failed; the reader stops.
    #[error("reading failed after line {line}: {source}")]
    Io {
        /// The last line read completely before the failure (0 if none).
        line: u64,
        /// The underlying I/O error.
        source: io::Error,
    },
}

impl ReadError {
    /// The 1-based line the error is about.
    pub fn line(&self) -> u64 {
        match self {
            ReadError::InvalidUtf8 { line, .. } | ReadError::TooLong { line, .. } => *line,
            ReadError::Io { line, .. } => *line,
        }
    }

    /// Whether reading can go on with the next line (false for I/O failures).
    pub fn is_recoverable(&self) -> bool {
        !matches!(self, ReadError::Io { .. })
    }
}

/// Reads a JSON Lines file line by line, keeping at most one line in memory.
///
/// Blank lines (empty or only whitespace) are skipped but still counted, so line numbers
/// always match what an editor shows.
#[derive(Debug)]
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    line: u64,
    max: usize,
    bytes_read: u64,
    done: bool,
}

impl<R: BufRead> LineReader<R> {
    /// A reader over `inner` with the default line limit, [`DEFAULT_MAX_LINE_BYTES`].
    pub fn new(inner: R) -> Self {
        Self::with_limit(inner, DEFAULT_MAX_LINE_BYTES)
    }

    /// A reader over `inner` that reports lines longer than `max_line_bytes` bytes (not
    /// counting the `\n`) as [`ReadError::TooLong`] instead of buffering them.
    pub fn with_limit(inner: R, max_line_bytes: usize) -> Self {
        Self {
            inner,
            buf: Vec::with_capacity(4096),
            line: 0,
            max: max_line_bytes,
            bytes_read: 0,
            done: false,
        }
    }

    /// Bytes consumed from the input so far (for progress bars).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// The next non-blank line, an error about one line, or `None` at the end.
    #[allow(clippy::should_implement_trait)] // a lending iterator: the line borrows the reader
    pub fn next(&mut self) -> Option<Result<Line<'_>, ReadError>> {
        let (start, end) = match self.next_span()? {
            Ok(span) => span,
            Err(e) => return Some(Err(e)),
        };
        Some(match std::str::from_utf8(&self.buf[start..end]) {
            Ok(text) => Ok(Line {
                number: self.line,
                text: text.trim_matches(is_json_ws),
            }),
            Err(e) => Err(ReadError::InvalidUtf8 {
                line: self.line,
                column: start + e.valid_up_to() + 1,
            }),
        })
    }

    /// Reads up to the next non-blank line into `buf`; returns the byte span of its content.
    fn next_span(&mut self) -> Option<Result<(usize, usize), ReadError>> {
        loop {
            if self.done {
                return None;
            }
            self.buf.clear();
            self.line += 1;
            let mut too_long = false;
            let mut saw_any = false;
            loop {
                let available = match self.inner.fill_buf() {
                    Ok(b) => b,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(source) => {
                        self.done = true;
                        return Some(Err(ReadError::Io {
                            line: self.line - 1,
                            source,
                        }));
                    }
                };
                if available.is_empty() {
                    self.done = true;
                    break;
                }
                saw_any = true;
                let (chunk, used, end_of_line) = match memchr::memchr(b'\n', available) {
                    Some(i) => (&available[..i], i + 1, true),
                    None => (available, available.len(), false),
                };
                if !too_long {
                    if self.buf.len() + chunk.len() > self.max {
                        too_long = true;
                        self.buf = Vec::with_capacity(4096);
                    } else {
                        self.buf.extend_from_slice(chunk);
                    }
                }
                self.inner.consume(used);
                self.bytes_read += used as u64;
                if end_of_line {
                    break;
                }
            }
            if !saw_any {
                return None;
            }
            if too_long {
                return Some(Err(ReadError::TooLong {
                    line: self.line,
                    limit: self.max,
                }));
            }
            let mut start = 0;
            let mut end = self.buf.len();
            if self.line == 1 && self.buf.starts_with(b"\xEF\xBB\xBF") {
                start = 3;
            }
            if end > start && self.buf[end - 1] == b'\r' {
                end -= 1;
            }
            if self.buf[start..end].iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(Ok((start, end)));
        }
    }
}

fn is_json_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &[u8], limit: usize) -> Vec<Result<(u64, String), String>> {
        let mut r = LineReader::with_limit(input, limit);
        let mut out = Vec::new();
        while let Some(l) = r.next() {
            out.push(
                l.map(|l| (l.number, l.text.to_owned()))
                    .map_err(|e| e.to_string()),
            );
        }
        out
    }

    #[test]
    fn strips_bom_crlf_and_skips_blank_lines() {
        let got = collect(b"\xEF\xBB\xBF{\"a\":1}\r\n\r\n  \n{\"b\":2}", 100);
        assert_eq!(
            got,
            vec![Ok((1, "{\"a\":1}".into())), Ok((4, "{\"b\":2}".into()))]
        );
    }

    #[test]
    fn bom_only_counts_on_the_first_line() {
        let got = collect(b"{}\n\xEF\xBB\xBF{}\n", 100);
        assert_eq!(got[1].as_ref().unwrap().1, "\u{feff}{}");
    }

    #[test]
    fn reports_invalid_utf8_and_goes_on() {
        let got = collect(b"{}\n{\"a\":\"\xff\"}\n{}\n", 100);
        assert_eq!(
            got[1],
            Err("line 2: not valid UTF-8 (first bad byte at column 7)".into())
        );
        assert_eq!(got[2], Ok((3, "{}".into())));
    }

    #[test]
    fn over_long_lines_are_skipped_without_buffering() {
        let mut input = b"{}\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 100_000));
        input.extend(b"\n{}\n");
        let mut r = LineReader::with_limit(std::io::BufReader::with_capacity(64, &input[..]), 1000);
        assert!(r.next().unwrap().is_ok());
        let err = r.next().unwrap().unwrap_err();
        assert_eq!(err.to_string(), "line 2: longer than the limit of 1000 bytes");
        assert!(r.buf.capacity() < 10_000, "buffer grew to {}", r.buf.capacity());
        assert_eq!(r.next().unwrap().unwrap().number, 3);
        assert!(r.next().is_none());
        assert_eq!(r.bytes_read(), input.len() as u64);
    }

    /// Found by the `line_reader` fuzz target (its own check was wrong, not the reader): a
    /// line of characters that are not JSON whitespace, such as a vertical tab, is a line
    /// (the manifest parser then says it is not JSON), not a blank line to skip.
    #[test]
    fn only_json_whitespace_makes_a_line_blank() {
        assert_eq!(collect(b"\x0b", 105), vec![Ok((1, "\u{b}".into()))]);
        assert_eq!(collect(b" \t\x0b{}\r\n", 105), vec![Ok((1, "\u{b}{}".into()))]);
    }

    #[test]
    fn empty_input_has_no_lines() {
        assert!(collect(b"", 10).is_empty());
        assert!(collect(b"\n\n \r\n", 10).is_empty());
    }
}
