//! Reading the `[rules]` of a `classification` template: single- or multi-label (with label
//! count limits), the "unsure" mark and its reason, and the `[[rules.classes]]` (name,
//! description, key, colour), with default keys (`1`-`9`, `0`) and colours filled in.

use std::collections::BTreeMap;

use super::{Class, ClassificationRules};
use crate::template::Requirement;
use crate::template::rules::check_order;
use crate::template::toml_reader::{At, Reader, Table};

/// Keys allowed under `[rules]`.
pub(super) const RULE_KEYS: &[&str] = &[
    "multi_label",
    "min_labels",
    "max_labels",
    "allow_unsure",
    "unsure_reason",
    "unsure_reason_max_chars",
    "classes",
];
const CLASS_KEYS: &[&str] = &["name", "description", "key", "colour"];

/// Colours given to classes without one, in order (Tableau 10), repeated past ten classes.
pub(crate) const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
    "#bab0ac",
];

/// Longest class name, in characters.
const NAME_MAX_CHARS: usize = 100;

/// Default reason length limit.
const REASON_MAX_CHARS: u32 = 500;

/// Reads `[rules]`; `None` when something was wrong (recorded in `r`).
pub(super) fn read(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Option<ClassificationRules> {
    let n0 = r.errors.len();
    let multi_label = t.boolean(r, "multi_label", false);
    let (min_labels, max_labels) = if multi_label {
        let min = t.uint_or(r, "min_labels", 0, 1);
        let max = t.uint(r, "max_labels", 1);
        if let Some(m) = &max {
            check_order(r, &min, m);
        }
        (Some(min), max)
    } else {
        only_with(
            r,
            t,
            &["min_labels", "max_labels"],
            "applies to multi-label templates only (`multi_label = true`); a single-label submission \
             has exactly one class",
        );
        (None, None)
    };
    let allow_unsure = t.boolean(r, "allow_unsure", false);
    let (unsure_reason, unsure_reason_max_chars) = if allow_unsure {
        let reason = reason_requirement(r, t);
        let max = t.uint_or(r, "unsure_reason_max_chars", 1, REASON_MAX_CHARS).value;
        (Some(reason), Some(max))
    } else {
        only_with(
            r,
            t,
            &["unsure_reason", "unsure_reason_max_chars"],
            "has no effect unless `allow_unsure = true`",
        );
        (None, None)
    };
    let classes = read_classes(r, t, multi_label);
    if let (Some(min), Some(classes)) = (&min_labels, &classes)
        && min.value as usize > classes.len()
    {
        r.push(
            &min.path,
            Some(min.span.clone()),
            format!(
                "is {} but the template defines only {} classes",
                min.value,
                classes.len()
            ),
        );
    }
    if r.errors.len() > n0 {
        return None;
    }
    Some(ClassificationRules {
        multi_label,
        min_labels: min_labels.map(|m| m.value),
        max_labels: max_labels.map(|m| m.value),
        allow_unsure,
        unsure_reason,
        unsure_reason_max_chars,
        classes: classes?,
    })
}

/// Reports each of `keys` that is present: it only applies with another setting.
fn only_with(r: &mut Reader<'_>, t: &Table<'_, '_>, keys: &[&str], message: &str) {
    for key in keys {
        if let Some(v) = t.get(key) {
            r.push(&t.child_path(key), Some(v.span()), message);
        }
    }
}

fn reason_requirement(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Requirement {
    let Some(s) = t.string(r, "unsure_reason") else {
        return Requirement::Required;
    };
    match Requirement::from_name(&s.value) {
        Some(req @ (Requirement::Optional | Requirement::Required)) => req,
        Some(Requirement::Off) => {
            r.push(
                &s.path,
                Some(s.span),
                "a reason is `optional` or `required`; set `allow_unsure = false` to turn the unsure mark off",
            );
            Requirement::Required
        }
        None => {
            r.push(
                &s.path,
                Some(s.span.clone()),
                format!("unknown value `{}`; expected `optional` or `required`", s.value),
            );
            Requirement::Required
        }
    }
}

/// A class as written, before default keys and colours are filled in.
struct Written {
    name: String,
    description: String,
    /// `None`: not given (a default may apply); `Some(None)`: `"none"`.
    key: Option<Option<String>>,
    colour: Option<String>,
}

fn read_classes(r: &mut Reader<'_>, t: &Table<'_, '_>, multi_label: bool) -> Option<Vec<Class>> {
    let tables = match t.table_array(r, "classes", CLASS_KEYS) {
        Some(tables) => tables,
        None => {
            if t.get("classes").is_none() {
                t.missing(
                    r,
                    "classes",
                    "a classification template lists its classes as `[[rules.classes]]` (name, description, key, colour)",
                );
            }
            return None;
        }
    };
    let n0 = r.errors.len();
    let fewest = if multi_label { 1 } else { 2 };
    if tables.len() < fewest {
        let what = if multi_label {
            "a multi-label template needs at least 1 class"
        } else {
            "a single-label template needs at least 2 classes"
        };
        r.push(
            &t.child_path("classes"),
            t.get("classes").map(|v| v.span()),
            format!("{what}, found {}", tables.len()),
        );
    }
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut keys: BTreeMap<String, String> = BTreeMap::new();
    let mut written = Vec::with_capacity(tables.len());
    for c in &tables {
        c.finish(r);
        if let Some(w) = read_class(r, c, &mut names, &mut keys) {
            written.push(w);
        }
    }
    if r.errors.len() > n0 {
        return None;
    }
    Some(
        written
            .into_iter()
            .enumerate()
            .map(|(i, w)| {
                let key = match w.key {
                    Some(k) => k,
                    None => default_key(i).filter(|k| !keys.contains_key(k)),
                };
                Class {
                    name: w.name,
                    description: w.description,
                    key,
                    colour: w.colour.unwrap_or_else(|| PALETTE[i % PALETTE.len()].to_owned()),
                }
            })
            .collect(),
    )
}

/// `1`..`9` for the first nine classes, `0` for the tenth, none after.
fn default_key(i: usize) -> Option<String> {
    (i < 10).then(|| ((i + 1) % 10).to_string())
}

fn read_class(
    r: &mut Reader<'_>,
    c: &Table<'_, '_>,
    names: &mut BTreeMap<String, String>,
    keys: &mut BTreeMap<String, String>,
) -> Option<Written> {
    let n0 = r.errors.len();
    let name = c.required_string(r, "name", "the class name written in payloads, e.g. `positive`");
    if let Some(n) = &name {
        check_name(r, n, names);
    }
    let description = c.string(r, "description").map(|d| d.value).unwrap_or_default();
    let key = c.string(r, "key").map(|k| {
        let parsed = parse_key(&k.value);
        match &parsed {
            Err(e) => r.push(&k.path, Some(k.span.clone()), e.clone()),
            Ok(Some(key)) => {
                let owner = name.as_ref().map_or_else(String::new, |n| n.value.clone());
                if let Some(other) = keys.get(key) {
                    r.push(
                        &k.path,
                        Some(k.span.clone()),
                        format!("`{key}` is already the key of class `{other}`"),
                    );
                } else {
                    keys.insert(key.clone(), owner);
                }
            }
            Ok(None) => {}
        }
        parsed.ok().flatten()
    });
    let colour = c.string(r, "colour").and_then(|s| match parse_colour(&s.value) {
        Some(colour) => Some(colour),
        None => {
            r.push(
                &s.path,
                Some(s.span.clone()),
                format!(
                    "`{}` is not a colour: write `#rrggbb` (or `#rgb`) in hexadecimal",
                    s.value
                ),
            );
            None
        }
    });
    if r.errors.len() > n0 {
        return None;
    }
    let given_key = c.get("key").is_some();
    Some(Written {
        name: name?.value,
        description,
        key: given_key.then_some(key.flatten()),
        colour,
    })
}

fn check_name(r: &mut Reader<'_>, n: &At<String>, names: &mut BTreeMap<String, String>) {
    let v = &n.value;
    let problem = if v.trim().is_empty() {
        Some("must not be empty".to_owned())
    } else if v.trim() != v {
        Some("must not start or end with white space".to_owned())
    } else if v.chars().count() > NAME_MAX_CHARS {
        Some(format!(
            "must be at most {NAME_MAX_CHARS} characters, found {}",
            v.chars().count()
        ))
    } else if v.chars().any(char::is_control) {
        Some("must not contain control characters".to_owned())
    } else {
        None
    };
    if let Some(p) = problem {
        r.push(&n.path, Some(n.span.clone()), p);
        return;
    }
    match names.get(&v.to_lowercase()) {
        Some(first) if first == v => r.push(
            &n.path,
            Some(n.span.clone()),
            format!("class `{v}` is defined twice"),
        ),
        Some(first) => r.push(
            &n.path,
            Some(n.span.clone()),
            format!("class `{v}` differs from class `{first}` only in case; names must differ beyond case"),
        ),
        None => {
            names.insert(v.to_lowercase(), v.clone());
        }
    }
}

/// A class key: one ASCII letter (stored lower-case), digit or punctuation character, or
/// `"none"`. `?` is taken by the shortcut overlay.
fn parse_key(s: &str) -> Result<Option<String>, String> {
    if s.trim().eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some('?'), None) => Err("`?` opens the shortcut overlay; choose another key".into()),
        (Some(c), None) if c.is_ascii_alphanumeric() || c.is_ascii_punctuation() => {
            Ok(Some(c.to_ascii_lowercase().to_string()))
        }
        _ => Err(format!(
            "`{s}` is not a class key: use one letter, digit or punctuation key (pressed without \
             modifiers), or \"none\""
        )),
    }
}

/// `#rgb` or `#rrggbb` (any case) as lower-case `#rrggbb`.
fn parse_colour(s: &str) -> Option<String> {
    let hex = s.strip_prefix('#')?;
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let full: String = match hex.len() {
        3 => hex.chars().flat_map(|c| [c, c]).collect(),
        6 => hex.to_owned(),
        _ => return None,
    };
    Some(format!("#{}", full.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_colours() {
        assert_eq!(parse_key("1"), Ok(Some("1".into())));
        assert_eq!(parse_key("A"), Ok(Some("a".into())));
        assert_eq!(parse_key("None"), Ok(None));
        assert!(parse_key("?").is_err());
        assert!(parse_key("F1").is_err());
        assert!(parse_key(" ").is_err());
        assert!(parse_key("é").is_err());
        assert_eq!(parse_colour("#ABC").as_deref(), Some("#aabbcc"));
        assert_eq!(parse_colour("#4E79a7").as_deref(), Some("#4e79a7"));
        assert_eq!(parse_colour("red"), None);
        assert_eq!(parse_colour("#12345"), None);
        assert_eq!(parse_colour("#ggg"), None);
        assert_eq!(default_key(0).as_deref(), Some("1"));
        assert_eq!(default_key(9).as_deref(), Some("0"));
        assert_eq!(default_key(10), None);
    }
}
