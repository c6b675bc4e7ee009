//! SageMaker Ground Truth manifest lines.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::hash::{ContentHash, content_hash_of_pairs};

/// One checked input line.
#[derive(Debug)]
pub struct GtRecord<'a> {
    /// The object's JSON text: the line itself, byte for byte, unless it carried label
    /// columns, which are removed (the other values keep their original bytes).
    pub content: Cow<'a, str>,
    /// Hash of the content, for deduplication.
    pub hash: ContentHash,
    /// The decoded `source-ref`, if the line has one.
    pub source_ref: Option<Cow<'a, str>>,
    /// The label attribute and its metadata, when the line is an output line.
    pub labels: Option<LabelColumns<'a>>,
}

/// The `<label-attribute>` and `<label-attribute>-metadata` values of an output line.
#[derive(Debug, Clone, Copy)]
pub struct LabelColumns<'a> {
    /// The raw JSON of the `<label-attribute>` member, borrowed from the line unchanged.
    pub value: &'a RawValue,
    /// The raw JSON of the `<label-attribute>-metadata` member, when the line has one.
    pub metadata: Option<&'a RawValue>,
}

/// Why a line is not a valid Ground Truth input line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// The line is not well-formed JSON; the text is serde_json's message with the column.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// The line is valid JSON but not an object; the text names what it is instead
    /// (`"an array"`, `"a string"`, `"a number"`, `"a boolean"`, `"null"`).
    #[error("expected a JSON object, found {0}")]
    NotAnObject(&'static str),
    /// The object has both `source` and `source-ref`.
    #[error("has both \"source\" and \"source-ref\"; a line needs exactly one")]
    BothSources,
    /// The object has neither `source` nor `source-ref`.
    #[error("has neither \"source\" nor \"source-ref\"; a line needs exactly one")]
    NoSource,
    /// A top-level key starts with `$` (reserved by Ground Truth); holds the key.
    #[error("field {0:?}: names may not start with '$'")]
    DollarKey(String),
    /// A top-level key appears more than once; holds the first repeated key.
    #[error("field {0:?} appears more than once")]
    DuplicateKey(String),
    /// One member has a value Sift cannot accept (a non-string `source`, an empty
    /// `source-ref`, a number beyond a 64-bit float, metadata without its label).
    #[error("field {field:?}: {reason}")]
    BadField {
        /// The top-level key of the offending member.
        field: String,
        /// What is wrong with its value, in words.
        reason: String,
    },
}

/// Checks one line and splits off its label columns when `label_attribute` names them.
///
/// `text` is one line without its line ending. The line must be a JSON object with exactly
/// one of `source` (a string) and `source-ref` (a non-empty string), no `$` keys, no repeated
/// keys and no number beyond a 64-bit float; otherwise the [`LineError`] says which rule
/// failed. `scratch` is a reusable buffer for hashing, so a loop over many lines allocates
/// once.
pub fn parse_gt_line<'a>(
    text: &'a str,
    label_attribute: Option<&str>,
    scratch: &mut Vec<u8>,
) -> Result<GtRecord<'a>, LineError> {
    let pairs = parse_object(text)?;
    check_keys(&pairs)?;
    check_numbers(&pairs)?;

    let mut source = None;
    let mut source_ref = None;
    let mut label_value = None;
    let mut label_meta = None;
    for (k, v) in &pairs {
        match k.as_ref() {
            "source" => source = Some(*v),
            "source-ref" => source_ref = Some(*v),
            k if Some(k) == label_attribute => label_value = Some(*v),
            k if label_attribute.is_some_and(|l| k.strip_suffix("-metadata") == Some(l)) => {
                label_meta = Some(*v)
            }
            _ => {}
        }
    }
    let source_ref = match (source, source_ref) {
        (Some(_), Some(_)) => return Err(LineError::BothSources),
        (None, None) => return Err(LineError::NoSource),
        (Some(s), None) => {
            if !s.get().starts_with('"') {
                return Err(bad("source", "must be a string of text"));
            }
            None
        }
        (None, Some(r)) => {
            let decoded: Cow<'a, str> = serde_json::from_str(r.get())
                .map_err(|_| bad("source-ref", "must be a string URI or path"))?;
            if decoded.trim().is_empty() {
                return Err(bad("source-ref", "must not be empty"));
            }
            Some(decoded)
        }
    };

    let labels = match (label_value, label_meta) {
        (None, None) => None,
        (Some(value), metadata) => Some(LabelColumns { value, metadata }),
        (None, Some(_)) => {
            let l = label_attribute.unwrap_or_default();
            return Err(bad(
                &format!("{l}-metadata"),
                &format!("present without the label field {l:?}"),
            ));
        }
    };

    let (content, hash) = if labels.is_none() {
        (Cow::Borrowed(text), content_hash_of_pairs(&pairs, scratch))
    } else {
        let l = label_attribute.unwrap_or_default();
        let kept: Vec<(Cow<'a, str>, &'a RawValue)> = pairs
            .into_iter()
            .filter(|(k, _)| k.as_ref() != l && k.strip_suffix("-metadata") != Some(l))
            .collect();
        let hash = content_hash_of_pairs(&kept, scratch);
        (Cow::Owned(write_object(&kept)), hash)
    };
    Ok(GtRecord {
        content,
        hash,
        source_ref,
        labels,
    })
}

fn bad(field: &str, reason: &str) -> LineError {
    LineError::BadField {
        field: field.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Parses a JSON object into its top-level members, in order, without copying values.
fn parse_object(text: &str) -> Result<Vec<(Cow<'_, str>, &RawValue)>, LineError> {
    match text.as_bytes().first() {
        Some(b'{') => {}
        Some(b'[') => return Err(LineError::NotAnObject("an array")),
        Some(b'"') => return Err(LineError::NotAnObject("a string")),
        Some(b't' | b'f') => return Err(LineError::NotAnObject("a boolean")),
        Some(b'n') => return Err(LineError::NotAnObject("null")),
        Some(b'-' | b'0'..=b'9') => return Err(LineError::NotAnObject("a number")),
        _ => {}
    }
    parse_pairs(text).map_err(|e| LineError::Json(json_error_text(&e)))
}

/// An object's top-level members, in order, without copying values.
pub(crate) fn parse_pairs(text: &str) -> Result<Vec<(Cow<'_, str>, &RawValue)>, serde_json::Error> {
    serde_json::from_str::<RawObject<'_>>(text).map(|o| o.0)
}

/// serde_json's message without its "at line 1" (a manifest line is always line 1 to it).
fn json_error_text(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    match msg.rfind(" at line ") {
        Some(i) => format!("{} at column {}", &msg[..i], e.column()),
        None => msg,
    }
}

/// Objects with at most this many members are checked for repeated keys by comparing each
/// key with the earlier ones; larger ones through a hash set, so a line with a million keys
/// takes a moment, not hours.
const FEW_KEYS: usize = 16;

/// Finds repeated keys in linear time, in order: `Some(key)` for the first key seen twice.
struct Repeats<'k> {
    seen: Option<HashSet<&'k str>>,
}

impl<'k> Repeats<'k> {
    fn new(len: usize) -> Self {
        Self {
            seen: (len > FEW_KEYS).then(|| HashSet::with_capacity(len)),
        }
    }

    /// Whether the `i`th key of `keys` appeared before it.
    fn repeated<K: AsRef<str>>(&mut self, keys: &'k [(K, &RawValue)], i: usize) -> bool {
        let key = keys[i].0.as_ref();
        match &mut self.seen {
            Some(seen) => !seen.insert(key),
            None => keys[..i].iter().any(|(other, _)| other.as_ref() == key),
        }
    }
}

/// The first key of an object that appears a second time.
pub(crate) fn first_duplicate<'k, K: AsRef<str>>(pairs: &'k [(K, &RawValue)]) -> Option<&'k str> {
    let mut repeats = Repeats::new(pairs.len());
    (0..pairs.len())
        .find(|&i| repeats.repeated(pairs, i))
        .map(|i| pairs[i].0.as_ref())
}

fn check_keys(pairs: &[(Cow<'_, str>, &RawValue)]) -> Result<(), LineError> {
    let mut repeats = Repeats::new(pairs.len());
    for (i, (k, _)) in pairs.iter().enumerate() {
        if k.starts_with('$') {
            return Err(LineError::DollarKey(k.to_string()));
        }
        if repeats.repeated(pairs, i) {
            return Err(LineError::DuplicateKey(k.to_string()));
        }
    }
    Ok(())
}

/// serde_json's private marker for a raw value: an object holding this key deserializes as
/// a raw value, not an object, so every later read of the item would fail
/// ("expected value"). Found by the `manifest_line` fuzz target; refused wherever it stands.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// Refuses numbers beyond what a double holds (`1e400`, 400 digits): JSON allows them, but
/// every later reader of the item would fail on them. A quick byte scan finds the values that
/// might hold one (a long digit run, or an exponent of three digits), and only those are
/// parsed in full.
pub(crate) fn check_numbers(pairs: &[(Cow<'_, str>, &RawValue)]) -> Result<(), LineError> {
    for (k, v) in pairs {
        // The key itself (unescaped) matters where the object is the data (a Label Studio task
        // without `data`); the manifest refuses every top-level `$` name before this.
        if k == RAW_VALUE_TOKEN {
            return Err(bad(k, &format!("the key {RAW_VALUE_TOKEN:?} is reserved")));
        }
        let raw = v.get().as_bytes();
        // Each test looks for a byte first (`memchr`: many bytes at a time), as this runs on
        // every value of every line.
        if memchr::memchr(b'$', raw).is_some() && v.get().contains(RAW_VALUE_TOKEN) {
            return Err(bad(
                k,
                &format!("holds the key {RAW_VALUE_TOKEN:?}, which is reserved"),
            ));
        }
        // A `\u` escape may be a lone surrogate (`"\uDCCC"`), which the raw value lets through
        // and every later read refuses: such values are parsed in full too. A string holds no
        // number, so only other values are scanned for one.
        let escape = memchr::memchr(b'\\', raw).is_some() && v.get().contains("\\u");
        if (escape || (raw.first() != Some(&b'"') && may_overflow(raw)))
            && let Err(e) = serde_json::from_str::<serde_json::Value>(v.get())
        {
            let reason = match e.to_string() {
                m if m.contains("number out of range") => {
                    "number out of range (beyond what a 64-bit float holds)".to_owned()
                }
                _ => json_error_text(&e),
            };
            return Err(bad(k, &reason));
        }
    }
    Ok(())
}

/// Whether a JSON value's bytes might hold a number a double cannot: a run of 309 digits or
/// more, or a digit followed by an exponent of three digits or more. Strings may match too;
/// the full parse decides.
fn may_overflow(raw: &[u8]) -> bool {
    let mut run = 0usize;
    for (i, &b) in raw.iter().enumerate() {
        if b.is_ascii_digit() {
            run += 1;
            if run >= 309 {
                return true;
            }
            continue;
        }
        if matches!(b, b'e' | b'E') && run > 0 {
            let rest = &raw[i + 1..];
            let rest = rest
                .strip_prefix(b"+")
                .or_else(|| rest.strip_prefix(b"-"))
                .unwrap_or(rest);
            if rest.len() >= 3 && rest[..3].iter().all(u8::is_ascii_digit) {
                return true;
            }
        }
        if b != b'.' {
            run = 0;
        }
    }
    false
}

fn write_object(pairs: &[(Cow<'_, str>, &RawValue)]) -> String {
    let mut out = String::with_capacity(pairs.iter().map(|(k, v)| k.len() + v.get().len() + 4).sum());
    out.push('{');
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(&mut out, k);
        out.push(':');
        out.push_str(v.get());
    }
    out.push('}');
    out
}

fn push_json_string(out: &mut String, s: &str) {
    // serde_json's escaping, without a Value.
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\"")));
}

/// Writes `content` (a JSON object's text) with extra members appended, then a newline.
///
/// The stored bytes are copied unchanged, so every pass-through value is byte-for-byte the
/// one that was imported. `columns` are `(key, raw JSON value)` pairs.
pub fn splice_output_line(content: &str, columns: &[(&str, &str)], out: &mut Vec<u8>) {
    let body = content.trim_end();
    let body = body.strip_suffix('}').unwrap_or(body);
    out.extend_from_slice(body.as_bytes());
    let mut needs_comma = !body.trim_end().ends_with('{');
    for (k, v) in columns {
        if needs_comma {
            out.push(b',');
        }
        needs_comma = true;
        let mut key = String::with_capacity(k.len() + 2);
        push_json_string(&mut key, k);
        out.extend_from_slice(key.as_bytes());
        out.push(b':');
        out.extend_from_slice(v.as_bytes());
    }
    out.extend_from_slice(b"}\n");
}

struct RawObject<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

#[derive(serde::Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

impl<'de> Deserialize<'de> for RawObject<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawObject<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
                    let v: &'de RawValue = map.next_value()?;
                    out.push((k, v));
                }
                Ok(RawObject(out))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
                Err(de::Error::custom("expected a JSON object, found an array"))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<GtRecord<'_>, LineError> {
        parse_gt_line(text, Some("qa"), &mut Vec::new())
    }

    #[test]
    fn accepts_source_and_source_ref_lines() {
        let r = parse(r#"{"source":"Hello","id":7}"#).unwrap();
        assert!(matches!(r.content, Cow::Borrowed(_)));
        assert!(r.source_ref.is_none());
        let r = parse(r#"{"source-ref":"s3://b/a\/b.jpg","meta":{"x":[1,2]}}"#).unwrap();
        assert_eq!(r.source_ref.as_deref(), Some("s3://b/a/b.jpg"));
    }

    #[test]
    fn each_bad_line_has_its_error() {
        let cases = [
            (
                r#"{"source":"a""#,
                "invalid JSON: EOF while parsing an object at column 13",
            ),
            (r#"[1,2]"#, "expected a JSON object, found an array"),
            (r#""text""#, "expected a JSON object, found a string"),
            (r#"42"#, "expected a JSON object, found a number"),
            (r#"null"#, "expected a JSON object, found null"),
            (
                r#"{"source":"a","source-ref":"b"}"#,
                "has both \"source\" and \"source-ref\"; a line needs exactly one",
            ),
            (
                r#"{"text":"a"}"#,
                "has neither \"source\" nor \"source-ref\"; a line needs exactly one",
            ),
            (
                r#"{"source":"a","$meta":1}"#,
                "field \"$meta\": names may not start with '$'",
            ),
            (
                r#"{"source":"a","source":"b"}"#,
                "field \"source\" appears more than once",
            ),
            (r#"{"source":5}"#, "field \"source\": must be a string of text"),
            (r#"{"source-ref":""}"#, "field \"source-ref\": must not be empty"),
            (
                r#"{"source-ref":["a"]}"#,
                "field \"source-ref\": must be a string URI or path",
            ),
            (
                r#"{"source":"a"} x"#,
                "invalid JSON: trailing characters at column 16",
            ),
            (
                r#"{"source":"a","qa-metadata":{}}"#,
                "field \"qa-metadata\": present without the label field \"qa\"",
            ),
        ];
        for (line, want) in cases {
            assert_eq!(parse(line).unwrap_err().to_string(), want, "for {line}");
        }
    }

    /// Found by the `manifest_line` fuzz target: a lone surrogate escape in a string was
    /// imported, and no read of the item could parse it again. Refused at import.
    #[test]
    fn lone_surrogate_escapes_are_refused_with_their_field() {
        let err = parse(r#"{"source":"priv\uDCCC ok","x":1}"#)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("field \"source\""), "{err}");
        assert!(parse(r#"{"source":"a","x":"\uD83D\uDE00 \u00e9"}"#).is_ok());
    }

    /// Found by the `manifest_line` fuzz target: an object keyed by serde_json's private
    /// raw-value marker was imported as an item that no read could open ("internal error:
    /// item 1: expected value"). It is refused at import, naming the top-level field.
    #[test]
    fn serde_json_raw_value_marker_is_refused_with_its_field() {
        let line = r#"{"source":"Ho","k":{"a" : 1},"x":{"$serde_json::private::RawValue":"sift/qa"}}"#;
        assert_eq!(
            parse(line).unwrap_err().to_string(),
            r#"field "x": holds the key "$serde_json::private::RawValue", which is reserved"#
        );
        let nested = r#"{"source":"a","x":[{"y":{"$serde_json::private::RawValue":1}}]}"#;
        assert!(parse(nested).is_err());
        assert!(parse(r#"{"source":"a","x":{"$other":"$serde_json"}}"#).is_ok());
        // As a top-level key, with space before its colon, and escaped (the `label_studio`
        // fuzz target found the top-level key, where the task object is the data).
        for line in [
            r#"{"$serde_json::private::RawValue"  :"lf","source":"a"}"#,
            r#"{"source":"a","$serde_json::private::RawValu\u0065":1}"#,
        ] {
            assert_eq!(
                parse(line).unwrap_err().to_string(),
                r#"field "$serde_json::private::RawValue": names may not start with '$'"#,
                "{line}"
            );
        }
        let escaped = r#"{"source":"a","x":{"$serde_json::private::RawValu\u0065":1}}"#;
        assert!(parse(escaped).is_err());
    }

    /// Found by the `manifest_line` fuzz target: JSON allows numbers beyond what a double
    /// holds, and such a line used to be imported as an item that can never be opened
    /// ("number out of range" on every read). It is refused at import, naming the field.
    #[test]
    fn numbers_beyond_a_double_are_refused_with_their_field() {
        let digits = "4".repeat(400);
        let cases = [
            format!(r#"{{"source":"a","pai":[{digits}]}}"#),
            r#"{"source":"a","x":{"y":1E400}}"#.to_owned(),
            r#"{"source":"a","x":-2.5e+309}"#.to_owned(),
        ];
        for line in &cases {
            let err = parse(line).unwrap_err().to_string();
            assert!(
                err.starts_with("field \"") && err.contains("number out of range"),
                "{err} for {line}"
            );
        }
        assert!(parse(r#"{"source":"a","x":"1e999 in text","y":1e308,"z":1e-999}"#).is_ok());
        assert!(
            parse(&format!(
                r#"{{"source":"a","x":"{digits}","y":{}}}"#,
                "9".repeat(300)
            ))
            .is_ok()
        );
    }

    #[test]
    fn duplicate_keys_are_found_in_linear_time() {
        // 300,000 distinct keys (a 4 MB line): comparing each key with every earlier one
        // takes minutes; a linear check takes well under a second.
        let n = 300_000;
        let mut line = String::from("{\"source\":\"a\"");
        for i in 0..n {
            line.push_str(&format!(",\"k{i}\":0"));
        }
        let clean = format!("{line}}}");
        let dup = format!("{line},\"k{}\":1}}", n / 2);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let ok = parse(&clean).is_ok();
            let err = parse(&dup).map(|_| ()).map_err(|e| e.to_string());
            // The receiver is gone only after recv_timeout failed the test.
            let _ = tx.send((ok, err));
        });
        let (ok, err) = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the duplicate-key check of a 300,000-key line took over 30 s");
        assert!(ok);
        assert_eq!(err, Err(format!("field \"k{}\" appears more than once", n / 2)));
    }

    #[test]
    fn label_columns_are_split_off_and_do_not_change_the_hash() {
        let input = r#"{"source":"Hello","k":{"a" : 1}}"#;
        let output = r#"{"source":"Hello","qa":{"pairs":[]},"k":{"a" : 1},"qa-metadata":{"type":"sift/qa"}}"#;
        let a = parse(input).unwrap();
        let b = parse(output).unwrap();
        assert_eq!(a.hash, b.hash);
        assert_eq!(b.content, r#"{"source":"Hello","k":{"a" : 1}}"#);
        let labels = b.labels.unwrap();
        assert_eq!(labels.value.get(), r#"{"pairs":[]}"#);
        assert_eq!(labels.metadata.unwrap().get(), r#"{"type":"sift/qa"}"#);
    }

    #[test]
    fn splicing_keeps_original_bytes() {
        let content = r#"{"source":"x", "n": 1.50, "u":"\u00e9"}"#;
        let mut out = Vec::new();
        splice_output_line(content, &[("qa", r#"{"a":1}"#), ("qa-metadata", "{}")], &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"source\":\"x\", \"n\": 1.50, \"u\":\"\\u00e9\",\"qa\":{\"a\":1},\"qa-metadata\":{}}\n"
        );
        let mut out = Vec::new();
        splice_output_line("{ }", &[("k", "1")], &mut out);
        assert_eq!(out, b"{ \"k\":1}\n");
    }
}
