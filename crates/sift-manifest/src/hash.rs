//! Content hashes for deduplication.

use std::fmt;

use serde_json::value::RawValue;

/// A 128-bit BLAKE3 hash of an item's content.
///
/// Two lines hash equal when they have the same top-level keys with the same values, in any
/// key order and with any insignificant whitespace. Values are otherwise compared as written
/// (`1.0` and `1` differ, as do `"\u0041"` and `"A"`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentHash(pub [u8; 16]);

impl ContentHash {
    /// The 16 hash bytes, as stored in the project (its `Display` form is these in lower-case hex).
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&sift_core::hex::Hex(&self.0), f)
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({self})")
    }
}

/// Hashes an object given as its top-level `(key, raw value)` pairs, sorting keys and
/// dropping whitespace outside strings. `scratch` is reused between calls to avoid
/// allocations.
///
/// The hash is BLAKE3 of, for each member in key order, the key's length (8 bytes, little
/// endian), the key, the minified value's length and the value. The bytes are gathered in
/// `scratch` and hashed in one call (the same hash as feeding them piece by piece, which
/// cost more than the hashing on lines of a hundred bytes).
pub fn content_hash_of_pairs<K: AsRef<str>>(pairs: &[(K, &RawValue)], scratch: &mut Vec<u8>) -> ContentHash {
    /// Objects up to this many members are ordered on the stack.
    const FEW: usize = 16;
    let mut stack = [0usize; FEW];
    let mut heap = Vec::new();
    let order: &mut [usize] = if pairs.len() <= FEW {
        &mut stack[..pairs.len()]
    } else {
        heap.resize(pairs.len(), 0);
        &mut heap
    };
    for (i, o) in order.iter_mut().enumerate() {
        *o = i;
    }
    order.sort_unstable_by(|&a, &b| pairs[a].0.as_ref().cmp(pairs[b].0.as_ref()));
    scratch.clear();
    let mut minify = Vec::new();
    for &i in order.iter() {
        let (k, v) = &pairs[i];
        let k = k.as_ref().as_bytes();
        scratch.extend_from_slice(&(k.len() as u64).to_le_bytes());
        scratch.extend_from_slice(k);
        let v = minified(v.get(), &mut minify);
        scratch.extend_from_slice(&(v.len() as u64).to_le_bytes());
        scratch.extend_from_slice(v);
    }
    let mut out = [0u8; 16];
    out.copy_from_slice(&blake3::hash(scratch).as_bytes()[..16]);
    ContentHash(out)
}

/// `raw` without whitespace outside strings; borrows when there is nothing to drop.
fn minified<'a>(raw: &'a str, scratch: &'a mut Vec<u8>) -> &'a [u8] {
    let bytes = raw.as_bytes();
    // A raw value has no whitespace around it, so a string is its own minified form.
    if bytes.first() == Some(&b'"') || !bytes.iter().any(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
        return bytes;
    }
    scratch.clear();
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            scratch.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            if b == b'"' {
                in_string = true;
            }
            scratch.push(b);
        }
    }
    scratch
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(json: &str) -> ContentHash {
        let map: Vec<(String, Box<RawValue>)> =
            serde_json::from_str::<std::collections::BTreeMap<String, Box<RawValue>>>(json)
                .unwrap()
                .into_iter()
                .collect();
        let pairs: Vec<(&str, &RawValue)> = map.iter().map(|(k, v)| (k.as_str(), &**v)).collect();
        content_hash_of_pairs(&pairs, &mut Vec::new())
    }

    #[test]
    fn key_order_and_whitespace_do_not_matter() {
        let a = hash(r#"{"source":"a b","x":[1, 2, {"k": "v w"}]}"#);
        let b = hash(r#"{ "x" : [1,2,{"k":"v w"}] , "source" : "a b" }"#);
        assert_eq!(a, b);
    }

    #[test]
    fn whitespace_inside_strings_matters() {
        assert_ne!(hash(r#"{"source":"a b"}"#), hash(r#"{"source":"ab"}"#));
        assert_ne!(hash(r#"{"source":"a\" b"}"#), hash(r#"{"source":"a\"b"}"#));
    }

    #[test]
    fn keys_and_values_cannot_be_confused() {
        assert_ne!(hash(r#"{"ab":"c"}"#), hash(r#"{"a":"bc"}"#));
    }

    /// The hashes of items already stored in projects: the way they are computed may change,
    /// the values may not (a re-import would add every line again).
    #[test]
    fn known_hashes_stay_the_same() {
        let cases = [
            r#"{"source":"Passage 0: river bridge rain.","id":0,"lang":"en","meta":{"batch":"b0","score":0.25}}"#,
            r#"{"source-ref":"s3://bucket/a b.png","meta":{ "tags" : [ "x y", 1e5 ] , "n":null}}"#,
            r#"{"source":"esc \" \u00e9 \n","a":[],"b":{}, "c" : true}"#,
        ];
        let got: Vec<String> = cases.iter().map(|c| hash(c).to_string()).collect();
        assert_eq!(
            got,
            [
                "4b5693f19f28a88f249fa4d3883336ff",
                "df5b22cc9618e1b9dd559e240773b1e4",
                "96d4926e5d5f0df2d963ed1acfc4f0aa"
            ]
        );
    }

    #[test]
    fn displays_as_hex() {
        let h = hash(r#"{"source":"a"}"#);
        assert_eq!(h.to_string().len(), 32);
    }

    #[test]
    fn displays_lowercase_two_digits_a_byte_and_debug_wraps_it() {
        let h = ContentHash([0x00, 0x0f, 0xa0, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0xbc]);
        assert_eq!(h.to_string(), "000fa0ff0102030405060708090a0bbc");
        assert_eq!(format!("{h:?}"), "ContentHash(000fa0ff0102030405060708090a0bbc)");
    }
}
