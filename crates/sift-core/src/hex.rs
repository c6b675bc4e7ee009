//! Hexadecimal text for bytes: the one encoder and decoder every Sift crate uses for hashes,
//! checksums and random identifiers.
//!
//! [`encode`] writes lowercase; [`Hex`] displays the same text without allocating.
//! [`decode`] reads either case and says where bad text goes wrong; [`decode_array`] also
//! checks the number of bytes (a SHA-256 is 32, an item's content hash 16).

use std::fmt;

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `bytes` in lowercase hex, two digits a byte: `[0x0f, 0xa0]` is `"0fa0"`.
pub fn encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        let [hi, lo] = digits(b);
        s.push(hi);
        s.push(lo);
    }
    s
}

/// Displays bytes as [`encode`] writes them, without building a `String` first.
#[derive(Clone, Copy, Debug)]
pub struct Hex<'a>(pub &'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write as _;
        for &b in self.0 {
            let [hi, lo] = digits(b);
            f.write_char(hi)?;
            f.write_char(lo)?;
        }
        Ok(())
    }
}

fn digits(b: u8) -> [char; 2] {
    [
        DIGITS[usize::from(b >> 4)] as char,
        DIGITS[usize::from(b & 15)] as char,
    ]
}

/// Why text is not the hex expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// An odd number of digits: the last byte is half written.
    #[error("{len} hex digits is an odd number")]
    OddLength {
        /// Characters in the text.
        len: usize,
    },
    /// A character that is not a hex digit.
    #[error("{found:?} at position {position} is not a hex digit")]
    BadDigit {
        /// The character found.
        found: char,
        /// Its byte offset in the text.
        position: usize,
    },
    /// Hex, but not the number of bytes expected.
    #[error("{found} bytes of hex where {expected} were expected")]
    WrongLength {
        /// Bytes expected.
        expected: usize,
        /// Bytes the text holds.
        found: usize,
    },
}

/// The bytes that `text` writes in hex (upper or lower case, no prefix, no separators).
pub fn decode(text: &str) -> Result<Vec<u8>, HexError> {
    let raw = text.as_bytes();
    // Bad digits are reported before the length: a stray character is the likelier mistake.
    let mut out = Vec::with_capacity(raw.len() / 2);
    for (i, pair) in raw.chunks(2).enumerate() {
        let hi = digit(text, 2 * i)?;
        if pair.len() < 2 {
            // Every character before this one was a digit, so bytes and characters agree.
            return Err(HexError::OddLength { len: raw.len() });
        }
        let lo = digit(text, 2 * i + 1)?;
        out.push(hi << 4 | lo);
    }
    Ok(out)
}

/// The `N` bytes that `text` writes in hex: [`decode`], then the length checked.
pub fn decode_array<const N: usize>(text: &str) -> Result<[u8; N], HexError> {
    let bytes = decode(text)?;
    let found = bytes.len();
    bytes
        .try_into()
        .map_err(|_| HexError::WrongLength { expected: N, found })
}

/// The value of the hex digit at byte `position` of `text`.
fn digit(text: &str, position: usize) -> Result<u8, HexError> {
    let b = text.as_bytes()[position];
    match b {
        b'0'..=b'9' => Ok(b - b'0'),
        b'a'..=b'f' => Ok(b - b'a' + 10),
        b'A'..=b'F' => Ok(b - b'A' + 10),
        _ => Err(HexError::BadDigit {
            found: char_at(text, position),
            position,
        }),
    }
}

/// The character that starts at or contains byte `position` of `text`.
fn char_at(text: &str, position: usize) -> char {
    let start = (0..=position)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    text[start..]
        .chars()
        .next()
        .unwrap_or(char::REPLACEMENT_CHARACTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_lowercase_two_digits_a_byte() {
        assert_eq!(encode(&[]), "");
        assert_eq!(encode(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(Hex(&[0x00, 0x0f, 0xa0, 0xff]).to_string(), "000fa0ff");
    }

    #[test]
    fn every_byte_round_trips_and_matches_the_format_macro() {
        let all: Vec<u8> = (0..=255).collect();
        let text = encode(&all);
        let by_format: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(text, by_format);
        assert_eq!(Hex(&all).to_string(), by_format);
        assert_eq!(decode(&text).unwrap(), all);
        assert_eq!(decode(&text.to_uppercase()).unwrap(), all);
    }

    #[test]
    fn odd_length_is_refused() {
        assert_eq!(decode("abc"), Err(HexError::OddLength { len: 3 }));
        assert_eq!(decode("a"), Err(HexError::OddLength { len: 1 }));
        assert_eq!(
            decode("abc").unwrap_err().to_string(),
            "3 hex digits is an odd number"
        );
    }

    #[test]
    fn bad_digits_are_named_with_their_position() {
        assert_eq!(
            decode("0g"),
            Err(HexError::BadDigit {
                found: 'g',
                position: 1
            })
        );
        assert_eq!(
            decode("00 1"),
            Err(HexError::BadDigit {
                found: ' ',
                position: 2
            })
        );
        // A sign is not a digit (`u8::from_str_radix` would take "+f").
        assert_eq!(
            decode("+f"),
            Err(HexError::BadDigit {
                found: '+',
                position: 0
            })
        );
        assert_eq!(
            decode("0x00"),
            Err(HexError::BadDigit {
                found: 'x',
                position: 1
            })
        );
        // A character of several bytes is reported whole, at the byte where it starts or that it covers.
        assert_eq!(
            decode("aé"),
            Err(HexError::BadDigit {
                found: 'é',
                position: 1
            })
        );
        assert_eq!(
            decode("é0").unwrap_err().to_string(),
            "'é' at position 0 is not a hex digit"
        );
    }

    #[test]
    fn arrays_check_the_number_of_bytes() {
        assert_eq!(decode_array::<2>("beef"), Ok([0xbe, 0xef]));
        assert_eq!(
            decode_array::<2>("be"),
            Err(HexError::WrongLength {
                expected: 2,
                found: 1
            })
        );
        assert_eq!(
            decode_array::<2>("beefbe"),
            Err(HexError::WrongLength {
                expected: 2,
                found: 3
            })
        );
        assert_eq!(decode_array::<32>(&encode(&[7; 32])), Ok([7; 32]));
        assert_eq!(decode_array::<1>("b"), Err(HexError::OddLength { len: 1 }));
        assert_eq!(decode_array::<0>(""), Ok([]));
    }
}
