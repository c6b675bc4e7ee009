//! The generic TOML reader behind template parsing: typed access to tables and values that
//! records every problem (key path, message, line and column) instead of stopping at the
//! first, flags unknown keys with a "did you mean" suggestion, and knows nothing about any
//! template kind.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::errors::TemplateError;
use crate::path;

/// Collects the problems of one file; turns byte offsets into lines and columns.
pub(crate) struct Reader<'s> {
    pub(crate) src: &'s str,
    pub(crate) errors: Vec<TemplateError>,
}

impl<'s> Reader<'s> {
    /// A reader for the text `src`.
    pub(crate) fn new(src: &'s str) -> Self {
        Reader {
            src,
            errors: Vec::new(),
        }
    }

    /// Records a problem at `path`, located at the start of `span` when known.
    pub(crate) fn push(&mut self, path: &str, span: Option<Range<usize>>, message: impl Into<String>) {
        let (line, column) = match span {
            Some(span) => {
                let (l, c) = self.locate(span.start);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        self.errors.push(TemplateError {
            path: path.to_owned(),
            message: message.into(),
            line,
            column,
        });
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn locate(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.src.len());
        while !self.src.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = self.src.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        (line, column)
    }
}

pub(crate) type Val<'i> = Spanned<DeValue<'i>>;

/// How a TOML value's type reads in messages ("a string", "an array").
pub(crate) fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// A TOML table being read: tracks its path and which keys were consumed.
pub(crate) struct Table<'a, 'i> {
    pub(crate) path: String,
    pub(crate) span: Option<Range<usize>>,
    pub(crate) table: &'a DeTable<'i>,
    known: &'static [&'static str],
}

/// A value with the span and path it was read from.
pub(crate) struct At<T> {
    pub(crate) value: T,
    pub(crate) span: Range<usize>,
    pub(crate) path: String,
}

impl<'a, 'i> Table<'a, 'i> {
    pub(crate) fn new(
        path: String,
        span: Option<Range<usize>>,
        table: &'a DeTable<'i>,
        known: &'static [&'static str],
    ) -> Self {
        Table {
            path,
            span,
            table,
            known,
        }
    }

    pub(crate) fn child_path(&self, key: &str) -> String {
        path::key(&self.path, key)
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'a Val<'i>> {
        debug_assert!(self.known.contains(&key), "key {key} not declared");
        self.table.get(key)
    }

    pub(crate) fn missing(&self, r: &mut Reader<'_>, key: &str, what: &str) {
        let p = self.child_path(key);
        r.push(&p, self.span.clone(), format!("missing; {what}"));
    }

    pub(crate) fn wrong_type(&self, r: &mut Reader<'_>, key: &str, v: &Val<'_>, expected: &str) {
        let p = self.child_path(key);
        r.push(
            &p,
            Some(v.span()),
            format!("expected {expected}, found {}", type_name(v.get_ref())),
        );
    }

    pub(crate) fn string(&self, r: &mut Reader<'_>, key: &str) -> Option<At<String>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some(At {
                value: s.to_string(),
                span: v.span(),
                path: self.child_path(key),
            }),
            _ => {
                self.wrong_type(r, key, v, "a string");
                None
            }
        }
    }

    pub(crate) fn required_string(&self, r: &mut Reader<'_>, key: &str, what: &str) -> Option<At<String>> {
        if self.get(key).is_none() {
            self.missing(r, key, what);
            return None;
        }
        self.string(r, key)
    }

    /// A non-empty (after trimming) string.
    pub(crate) fn text(&self, r: &mut Reader<'_>, key: &str) -> Option<At<String>> {
        let s = self.string(r, key)?;
        if s.value.trim().is_empty() {
            r.push(&s.path, Some(s.span.clone()), "must not be empty");
            return None;
        }
        Some(s)
    }

    pub(crate) fn boolean(&self, r: &mut Reader<'_>, key: &str, default: bool) -> bool {
        let Some(v) = self.get(key) else { return default };
        match v.get_ref() {
            DeValue::Boolean(b) => *b,
            _ => {
                self.wrong_type(r, key, v, "true or false");
                default
            }
        }
    }

    /// An integer in `min..=u32::MAX`.
    pub(crate) fn uint(&self, r: &mut Reader<'_>, key: &str, min: u32) -> Option<At<u32>> {
        let v = self.get(key)?;
        let p = self.child_path(key);
        let DeValue::Integer(i) = v.get_ref() else {
            self.wrong_type(r, key, v, "an integer");
            return None;
        };
        let parsed = i64::from_str_radix(i.as_str(), i.radix()).ok();
        match parsed.and_then(|n| u32::try_from(n).ok()) {
            Some(n) if n >= min => Some(At {
                value: n,
                span: v.span(),
                path: p,
            }),
            _ => {
                let shown = parsed.map_or_else(|| i.to_string(), |n| n.to_string());
                r.push(
                    &p,
                    Some(v.span()),
                    format!("must be an integer from {min} to {}, found {shown}", u32::MAX),
                );
                None
            }
        }
    }

    pub(crate) fn uint_or(&self, r: &mut Reader<'_>, key: &str, min: u32, default: u32) -> At<u32> {
        self.uint(r, key, min).unwrap_or_else(|| At {
            value: default,
            span: self.span.clone().unwrap_or(0..0),
            path: self.child_path(key),
        })
    }

    pub(crate) fn string_array(&self, r: &mut Reader<'_>, key: &str) -> Option<Vec<At<String>>> {
        let v = self.get(key)?;
        let p = self.child_path(key);
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(r, key, v, "an array of strings");
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let ip = path::index(&p, i);
            match item.get_ref() {
                DeValue::String(s) => out.push(At {
                    value: s.to_string(),
                    span: item.span(),
                    path: ip,
                }),
                other => {
                    r.push(
                        &ip,
                        Some(item.span()),
                        format!("expected a string, found {}", type_name(other)),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }

    pub(crate) fn table(
        &self,
        r: &mut Reader<'_>,
        key: &str,
        known: &'static [&'static str],
    ) -> Option<Table<'a, 'i>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Table(t) => Some(Table::new(self.child_path(key), Some(v.span()), t, known)),
            _ => {
                self.wrong_type(r, key, v, "a table");
                None
            }
        }
    }

    pub(crate) fn table_array(
        &self,
        r: &mut Reader<'_>,
        key: &str,
        known: &'static [&'static str],
    ) -> Option<Vec<Table<'a, 'i>>> {
        let v = self.get(key)?;
        let p = self.child_path(key);
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(r, key, v, "an array of tables");
            return None;
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let ip = path::index(&p, i);
            match item.get_ref() {
                DeValue::Table(t) => out.push(Table::new(ip, Some(item.span()), t, known)),
                other => r.push(
                    &ip,
                    Some(item.span()),
                    format!("expected a table, found {}", type_name(other)),
                ),
            }
        }
        Some(out)
    }

    /// Reports keys that are not in `known`.
    pub(crate) fn finish(&self, r: &mut Reader<'_>) {
        for (k, v) in self.table.iter() {
            let key: &str = k.get_ref();
            if self.known.contains(&key) {
                continue;
            }
            let p = self.child_path(key);
            let mut msg = format!("unknown key `{key}`");
            if let Some(s) = suggest(key, self.known) {
                msg.push_str(&format!(" (did you mean `{s}`?)"));
            } else {
                msg.push_str(&format!("; expected one of: {}", self.known.join(", ")));
            }
            let span = if k.span().is_empty() { v.span() } else { k.span() };
            r.push(&p, Some(span), msg);
        }
    }
}

/// The closest known key within a small edit distance.
pub(crate) fn suggest(key: &str, known: &[&'static str]) -> Option<&'static str> {
    let key = key.to_ascii_lowercase().replace('-', "_");
    known
        .iter()
        .map(|k| (edit_distance(&key, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}
