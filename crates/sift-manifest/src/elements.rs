//! Splits a JSON document that is an array of values, or one object, into its top-level
//! elements as they stream in: one element in memory at a time, up to a size limit, each
//! with the line it starts on. Only the structure between elements is checked here; each
//! element is parsed by its reader.

use std::io::{self, BufRead};

/// One top-level element.
#[derive(Debug)]
pub(crate) enum Element<'a> {
    /// The element's bytes, exactly as written.
    Value {
        index: usize,
        line: u64,
        bytes: &'a [u8],
    },
    /// An element longer than the limit; it was skipped without being kept in memory.
    TooLong { index: usize, line: u64, limit: usize },
}

/// The message for a value followed by more than whitespace.
pub(crate) const TRAILING: &str = "trailing characters";

/// The document's structure is broken, or reading failed: no element can follow.
#[derive(Debug)]
pub(crate) enum SplitError {
    Syntax { line: u64, message: String },
    Io { line: u64, source: io::Error },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing read yet.
    Start,
    /// Inside the top-level array; `first` until an element was read.
    Array {
        first: bool,
    },
    /// The document is one element, not yet read.
    Single,
    /// The one element was read: only whitespace may follow.
    AfterSingle,
    Done,
}

/// How an element's end is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// An object or array: ends where the brackets balance.
    Nested,
    /// A string: ends at the unescaped closing quote.
    Text,
    /// A number or literal: ends before the next delimiter.
    Bare,
}

/// Streams the top-level elements of a JSON array (or the one object a file holds).
#[derive(Debug)]
pub(crate) struct Elements<R> {
    inner: R,
    buf: Vec<u8>,
    max: usize,
    /// The line of the next byte to read (1-based).
    line: u64,
    index: usize,
    state: State,
}

impl<R: BufRead> Elements<R> {
    pub(crate) fn new(inner: R, max_element_bytes: usize) -> Self {
        Self {
            inner,
            buf: Vec::new(),
            max: max_element_bytes,
            line: 1,
            index: 0,
            state: State::Start,
        }
    }

    /// The next element, `None` at the end of the document, or the error that ends it.
    pub(crate) fn next(&mut self) -> Option<Result<Element<'_>, SplitError>> {
        match self.advance() {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => {
                self.state = State::Done;
                return Some(Err(e));
            }
        }
        let index = self.index;
        self.index += 1;
        let line = self.line;
        match self.read_element() {
            Err(e) => {
                self.state = State::Done;
                Some(Err(e))
            }
            Ok(false) => Some(Ok(Element::TooLong {
                index,
                line,
                limit: self.max,
            })),
            Ok(true) => Some(Ok(Element::Value {
                index,
                line,
                bytes: &self.buf,
            })),
        }
    }

    /// Moves to the start of the next element; `false` at the end of the document.
    fn advance(&mut self) -> Result<bool, SplitError> {
        loop {
            match self.state {
                State::Done => return Ok(false),
                State::Start => {
                    self.skip_bom()?;
                    self.state = match self.skip_ws()? {
                        None => State::Done,
                        Some(b'[') => {
                            self.bump();
                            State::Array { first: true }
                        }
                        Some(b'{') => State::Single,
                        Some(_) => {
                            return Err(
                                self.syntax("expected a JSON array of Label Studio tasks or one task object")
                            );
                        }
                    };
                }
                State::Single => {
                    self.state = State::AfterSingle;
                    return Ok(true);
                }
                State::AfterSingle => return self.end_of_document().map(|()| false),
                State::Array { first } => {
                    let next = self.skip_ws()?;
                    if first {
                        if next == Some(b']') {
                            self.bump();
                            return self.end_of_document().map(|()| false);
                        }
                        self.state = State::Array { first: false };
                        return Ok(true);
                    }
                    match next {
                        Some(b',') => {
                            self.bump();
                            match self.skip_ws()? {
                                Some(b']') => return Err(self.syntax("trailing comma")),
                                _ => return Ok(true),
                            }
                        }
                        Some(b']') => {
                            self.bump();
                            return self.end_of_document().map(|()| false);
                        }
                        Some(_) => return Err(self.syntax("expected `,` or `]`")),
                        None => return Err(self.syntax("EOF while parsing a list")),
                    }
                }
            }
        }
    }

    /// After the top-level value only whitespace may follow.
    fn end_of_document(&mut self) -> Result<(), SplitError> {
        self.state = State::Done;
        match self.skip_ws()? {
            None => Ok(()),
            Some(_) => Err(self.syntax(TRAILING)),
        }
    }

    /// Reads one element into `buf`; `false` when it was too long to keep.
    fn read_element(&mut self) -> Result<bool, SplitError> {
        self.buf.clear();
        let shape = match self.peek()? {
            None => return Err(self.syntax("EOF while parsing a value")),
            Some(b'{' | b'[') => Shape::Nested,
            Some(b'"') => Shape::Text,
            Some(b',' | b']' | b'}') => return Err(self.syntax("expected value")),
            Some(_) => Shape::Bare,
        };
        let mut depth = 0u64;
        let mut in_string = false;
        let mut escaped = false;
        let mut started = false;
        let mut too_long = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(SplitError::Io {
                        line: self.line,
                        source,
                    });
                }
            };
            if available.is_empty() {
                if shape == Shape::Bare && started {
                    break; // a number at the very end: the caller reports the missing `]`
                }
                let what = if shape == Shape::Text || in_string {
                    "EOF while parsing a string"
                } else {
                    "EOF while parsing a value"
                };
                return Err(self.syntax(what));
            }
            let mut end = None;
            for (i, &b) in available.iter().enumerate() {
                if b == b'\n' {
                    self.line += 1;
                }
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        in_string = false;
                        if shape == Shape::Text {
                            end = Some(i + 1);
                            break;
                        }
                    }
                    continue;
                }
                match (shape, b) {
                    (Shape::Bare, b',' | b']' | b'}' | b'[' | b'{' | b'"' | b' ' | b'\t' | b'\r' | b'\n') => {
                        if b == b'\n' {
                            self.line -= 1; // not consumed: counted again when it is
                        }
                        end = Some(i);
                        break;
                    }
                    (Shape::Bare, _) => {}
                    (_, b'"') => in_string = true,
                    (Shape::Nested, b'{' | b'[') => depth += 1,
                    (Shape::Nested, b'}' | b']') => {
                        depth -= 1;
                        if depth == 0 {
                            end = Some(i + 1);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            started = true;
            let used = end.unwrap_or(available.len());
            if !too_long {
                if self.buf.len() + used > self.max {
                    too_long = true;
                    self.buf = Vec::new();
                } else {
                    self.buf.extend_from_slice(&available[..used]);
                }
            }
            self.inner.consume(used);
            if end.is_some() {
                break;
            }
        }
        Ok(!too_long)
    }

    fn syntax(&self, message: &str) -> SplitError {
        SplitError::Syntax {
            line: self.line,
            message: message.to_owned(),
        }
    }

    fn peek(&mut self) -> Result<Option<u8>, SplitError> {
        loop {
            match self.inner.fill_buf() {
                Ok(b) => return Ok(b.first().copied()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(SplitError::Io {
                        line: self.line,
                        source,
                    });
                }
            }
        }
    }

    /// Consumes one byte already seen with [`Self::peek`].
    fn bump(&mut self) {
        self.inner.consume(1);
    }

    /// Skips whitespace; the next byte, not consumed.
    fn skip_ws(&mut self) -> Result<Option<u8>, SplitError> {
        loop {
            match self.peek()? {
                Some(b'\n') => {
                    self.line += 1;
                    self.bump();
                }
                Some(b' ' | b'\t' | b'\r') => self.bump(),
                other => return Ok(other),
            }
        }
    }

    fn skip_bom(&mut self) -> Result<(), SplitError> {
        let mut bom = [0u8; 3];
        let mut seen = 0;
        while seen < 3 {
            match self.peek()? {
                Some(b) if b == b"\xEF\xBB\xBF"[seen] => {
                    bom[seen] = b;
                    seen += 1;
                    self.bump();
                }
                Some(_) if seen > 0 => return Err(self.syntax("not UTF-8 text")),
                _ => return Ok(()),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(input: &[u8], max: usize) -> Vec<Result<(usize, u64, String), String>> {
        let mut e = Elements::new(std::io::BufReader::with_capacity(7, input), max);
        let mut out = Vec::new();
        while let Some(next) = e.next() {
            out.push(match next {
                Ok(Element::Value { index, line, bytes }) => {
                    Ok((index, line, String::from_utf8_lossy(bytes).into_owned()))
                }
                Ok(Element::TooLong { index, line, .. }) => Ok((index, line, "<too long>".into())),
                Err(SplitError::Syntax { line, message }) => Err(format!("{line}: {message}")),
                Err(SplitError::Io { .. }) => Err("io".into()),
            });
        }
        out
    }

    #[test]
    fn splits_arrays_and_single_objects() {
        let got = split(
            b"\xEF\xBB\xBF [ {\"a\":\"}]\\\"\"},\n[1,[2]] ,\"s\\\"\",-1.5e3,\ntrue ]\n",
            100,
        );
        let want: Vec<Result<(usize, u64, String), String>> = vec![
            Ok((0, 1, "{\"a\":\"}]\\\"\"}".into())),
            Ok((1, 2, "[1,[2]]".into())),
            Ok((2, 2, "\"s\\\"\"".into())),
            Ok((3, 2, "-1.5e3".into())),
            Ok((4, 3, "true".into())),
        ];
        assert_eq!(got, want);
        assert_eq!(
            split(b"\n\n{\"a\":\n1}\n", 100),
            vec![Ok((0, 3, "{\"a\":\n1}".into()))]
        );
        assert!(split(b"  ", 100).is_empty());
        assert!(split(b"[ ]", 100).is_empty());
    }

    #[test]
    fn structural_errors_name_their_line() {
        let cases: [(&[u8], &str); 8] = [
            (
                b"5",
                "1: expected a JSON array of Label Studio tasks or one task object",
            ),
            (b"[{}\n{}]", "2: expected `,` or `]`"),
            (b"[{},\n]", "2: trailing comma"),
            (b"[{}", "1: EOF while parsing a list"),
            (b"[{\"a\":\n\"b", "2: EOF while parsing a string"),
            (b"[{}] x", "1: trailing characters"),
            (b"{} {}", "1: trailing characters"),
            (b"[,]", "1: expected value"),
        ];
        for (input, want) in cases {
            let got = split(input, 100);
            assert_eq!(
                got.last(),
                Some(&Err(want.to_owned())),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn over_long_elements_are_skipped_without_buffering() {
        let mut input = b"[{\"t\":\"".to_vec();
        input.extend(std::iter::repeat_n(b'x', 100_000));
        input.extend(b"\"},\n{}]");
        let mut e = Elements::new(std::io::BufReader::with_capacity(64, &input[..]), 1000);
        assert!(matches!(
            e.next(),
            Some(Ok(Element::TooLong {
                index: 0,
                line: 1,
                limit: 1000
            }))
        ));
        assert!(e.buf.capacity() <= 1000, "buffer grew to {}", e.buf.capacity());
        assert!(matches!(
            e.next(),
            Some(Ok(Element::Value {
                index: 1,
                line: 2,
                ..
            }))
        ));
        assert!(e.next().is_none());
    }
}
