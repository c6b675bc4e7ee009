//! Rule-reading helpers shared by every kind: the `[fields]` reader (manifest keys checked
//! against Ground Truth rules and each other), `min <= max` checks, identifiers, unique names,
//! and the stand-in for an absent `[rules]` table.

use std::collections::BTreeSet;

use toml::de::{DeTable, DeValue};

use super::Requirement;
use super::toml_reader::{At, Reader, Table};

/// Reads the `[fields]` entries: each a manifest key, checked against Ground Truth rules and
/// against each other.
pub(crate) struct FieldReader<'t, 'a, 'i> {
    /// The `[fields]` table, when present.
    pub(crate) table: Option<&'t Table<'a, 'i>>,
    label_attribute: Option<&'t str>,
    seen: Vec<(String, String)>,
    /// Cleared by any problem; a kind may clear it for its own cross-field checks.
    pub(crate) ok: bool,
}

impl<'t, 'a, 'i> FieldReader<'t, 'a, 'i> {
    /// A reader for `table` (absent: every role takes its default).
    pub(crate) fn new(table: Option<&'t Table<'a, 'i>>, label_attribute: Option<&'t str>) -> Self {
        FieldReader {
            table,
            label_attribute,
            seen: Vec::new(),
            ok: true,
        }
    }

    /// The manifest key for `role`: the table's entry, else `default`.
    pub(crate) fn field(&mut self, r: &mut Reader<'_>, role: &str, default: Option<&str>) -> Option<String> {
        let explicit = match self.table {
            Some(t) if t.get(role).is_some() => {
                let s = t.string(r, role);
                if s.is_none() {
                    self.ok = false;
                }
                s
            }
            _ => None,
        };
        let Some(s) = explicit else {
            if let Some(d) = default {
                self.seen.push((role.to_owned(), d.to_owned()));
            }
            return default.map(str::to_owned);
        };
        let v = s.value.clone();
        let mut bad = |msg: String| {
            r.push(&s.path, Some(s.span.clone()), msg);
        };
        let mut fine = true;
        if v.is_empty() {
            bad("a manifest key must not be empty".into());
            fine = false;
        } else if v.starts_with('$') {
            bad(format!("`{v}`: manifest keys must not start with `$`"));
            fine = false;
        }
        if let Some(label) = self.label_attribute
            && (v == label || v == format!("{label}-metadata"))
        {
            bad(format!(
                "`{v}` is where the labels are written (label_attribute `{label}`); it cannot feed the template"
            ));
            fine = false;
        }
        if let Some((other_role, _)) = self.seen.iter().find(|(_, k)| *k == v) {
            bad(format!("`{v}` is already used for `fields.{other_role}`"));
            fine = false;
        }
        self.seen.push((role.to_owned(), v.clone()));
        if !fine {
            self.ok = false;
        }
        Some(v)
    }
}

/// Checks `min <= max` for two limits and reports at the min key.
pub(crate) fn check_order(r: &mut Reader<'_>, min: &At<u32>, max: &At<u32>) -> bool {
    if min.value > max.value {
        let max_key = max.path.rsplit('.').next().unwrap_or(&max.path);
        r.push(
            &min.path,
            Some(min.span.clone()),
            format!(
                "is {} but `{max_key}` is {}; the minimum must not exceed the maximum",
                min.value, max.value
            ),
        );
        return false;
    }
    true
}

/// An empty table standing in for an absent `[rules]`.
pub(crate) fn with_rules<T>(
    rules: Option<&Table<'_, '_>>,
    known: &'static [&'static str],
    f: impl FnOnce(&Table<'_, '_>) -> T,
) -> T {
    match rules {
        Some(t) => f(t),
        None => {
            let empty = DeTable::new();
            f(&Table::new("rules".into(), None, &empty, known))
        }
    }
}

/// Identifier used for dimension, classification and question-type names.
pub(crate) fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

pub(crate) fn ident_error(r: &mut Reader<'_>, s: &At<String>, what: &str) -> bool {
    if is_ident(&s.value) {
        return true;
    }
    r.push(
        &s.path,
        Some(s.span.clone()),
        format!(
            "`{}` is not a valid {what}: use 1-64 lowercase letters, digits, `_` and `-`, \
             starting with a letter",
            s.value
        ),
    );
    false
}

/// A list of distinct identifiers.
pub(crate) fn ident_list(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    key: &str,
    what: &str,
) -> Option<Vec<String>> {
    let items = t.string_array(r, key);
    let present = t.get(key).is_some();
    let Some(items) = items else {
        return (!present).then(Vec::new);
    };
    let mut ok = true;
    let mut seen = BTreeSet::new();
    for s in &items {
        ok &= ident_error(r, s, what);
        if !seen.insert(s.value.clone()) {
            r.push(
                &s.path,
                Some(s.span.clone()),
                format!("`{}` is listed twice", s.value),
            );
            ok = false;
        }
    }
    ok.then(|| items.into_iter().map(|s| s.value).collect())
}

/// Reports a `name` already used by an earlier entry of the same array of tables.
pub(crate) fn check_unique_name(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    seen: &mut BTreeSet<String>,
    what: &str,
) {
    let Some(v) = t.get("name") else { return };
    let DeValue::String(name) = v.get_ref() else {
        return;
    };
    if !seen.insert(name.to_string()) {
        r.push(
            &t.child_path("name"),
            Some(v.span()),
            format!("{what} `{name}` is defined twice"),
        );
    }
}

/// Reads an `"off"` / `"optional"` / `"required"` setting (absent: `default`).
pub(crate) fn requirement(
    r: &mut Reader<'_>,
    t: &Table<'_, '_>,
    key: &str,
    default: Requirement,
) -> Requirement {
    match t.string(r, key) {
        None => default,
        Some(s) => Requirement::from_name(&s.value).unwrap_or_else(|| {
            r.push(
                &s.path,
                Some(s.span.clone()),
                format!(
                    "unknown value `{}`; expected one of: off, optional, required",
                    s.value
                ),
            );
            default
        }),
    }
}
