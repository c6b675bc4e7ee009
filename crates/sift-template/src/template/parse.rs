//! TOML → [`Template`]: the top-level keys (name, kind, version, Ground Truth names), the
//! dispatch of `[fields]` and `[rules]` to the kind's reader, and `[shortcuts]`. Every problem
//! is collected with its key path and location.

use std::collections::BTreeSet;

use toml::de::{DeTable, DeValue};

use super::errors::{TemplateError, TemplateErrors};
use super::rules::{FieldReader, with_rules};
use super::shortcuts::{self, Chord, Shortcuts};
use super::toml_reader::{At, Reader, Table, suggest, type_name};
use super::{Spec, Template};
use crate::kinds::{Kind, TaskKind, with_kind};
use crate::path;

/// Parses and validates a template. `origin` names the source in error messages.
pub fn parse_template(text: &str, origin: &str) -> Result<Template, TemplateErrors> {
    let fail = |errors: Vec<TemplateError>| TemplateErrors {
        origin: origin.to_owned(),
        errors,
    };
    let (doc, syntax) = DeTable::parse_recoverable(text);
    let mut r = Reader::new(text);
    if !syntax.is_empty() {
        // Recovery after a syntax error often yields follow-on errors on the same line; keep
        // the first error of each line.
        let mut lines = BTreeSet::new();
        for e in syntax {
            let line = e.span().map(|s| r.locate(s.start).0);
            if lines.insert(line) {
                r.push(
                    "",
                    e.span(),
                    format!("TOML syntax error: {}", e.message().trim_end()),
                );
            }
        }
        return Err(fail(r.errors));
    }
    match read_template(&mut r, doc.get_ref(), text) {
        Some(t) if r.errors.is_empty() => Ok(t),
        _ => {
            let mut errors = r.errors;
            errors.sort_by_key(|e| (e.line.unwrap_or(usize::MAX), e.column.unwrap_or(usize::MAX)));
            Err(fail(errors))
        }
    }
}

const ROOT_KEYS: &[&str] = &[
    "name",
    "kind",
    "version",
    "title",
    "description",
    "label_attribute",
    "job_name",
    "instructions",
    "fields",
    "rules",
    "shortcuts",
    "quotas",
];

fn read_template(r: &mut Reader<'_>, doc: &DeTable<'_>, source: &str) -> Option<Template> {
    let root = Table::new(String::new(), None, doc, ROOT_KEYS);
    root.finish(r);

    let name = root.required_string(
        r,
        "name",
        "every template needs a `name` (a slug such as `qa-passages`)",
    );
    let name = name.and_then(|n| check_slug(r, n, 63));

    let kinds = Kind::ALL.map(Kind::as_str).join(", ");
    let kind = root
        .required_string(r, "kind", &format!("one of: {kinds}"))
        .and_then(|k| {
            let parsed = Kind::from_name(&k.value);
            if parsed.is_none() {
                r.push(
                    &k.path,
                    Some(k.span),
                    format!("unknown kind `{}`; expected one of: {kinds}", k.value),
                );
            }
            parsed
        });

    let version = if root.get("version").is_none() {
        root.missing(r, "version", "an integer >= 1, bumped whenever the rules change");
        None
    } else {
        root.uint(r, "version", 1).map(|v| v.value)
    };

    let title = match root.required_string(r, "title", "a short title shown to annotators") {
        Some(_) => root.text(r, "title").map(|t| t.value),
        None => None,
    };
    let description = root.string(r, "description").map(|d| d.value);
    let instructions = match root.required_string(r, "instructions", "annotator instructions (Markdown)") {
        Some(_) => root.text(r, "instructions").map(|t| t.value),
        None => None,
    };
    let label_attribute = root
        .required_string(
            r,
            "label_attribute",
            "the Ground Truth output key, e.g. `qa-pairs`",
        )
        .and_then(|l| check_label_attribute(r, l));
    let job_name = match root.string(r, "job_name") {
        Some(j) => check_job_name(r, j),
        None => name.clone(),
    };

    let Some(kind) = kind else {
        // Without a kind, fields/rules/shortcuts cannot be checked; the kind error says why.
        return None;
    };

    let fields_table = root.table(r, "fields", with_kind!(kind, |K| K::FIELD_KEYS));
    let rules_table = root.table(r, "rules", with_kind!(kind, |K| K::RULE_KEYS));
    if let Some(t) = &fields_table {
        t.finish(r);
    }
    if let Some(t) = &rules_table {
        t.finish(r);
    }
    let spec = read_spec(
        r,
        kind,
        fields_table.as_ref(),
        rules_table.as_ref(),
        label_attribute.as_deref(),
    );
    let shortcuts = read_shortcuts(r, kind, &root);
    let quotas = match (root.table(r, "quotas", super::quotas::keys(kind)), &spec) {
        (Some(t), Some(spec)) => {
            t.finish(r);
            super::quotas::read(r, &t, spec)
        }
        _ => super::quotas::Quotas::default(),
    };

    Some(Template {
        name: name?,
        version: version?,
        title: title?,
        description,
        label_attribute: label_attribute?,
        job_name: job_name?,
        instructions: instructions?,
        spec: spec?,
        shortcuts: shortcuts?,
        quotas,
        source: source.to_owned(),
    })
}

/// Lowercase letters, digits and hyphens, starting and ending with a letter or digit.
fn check_slug(r: &mut Reader<'_>, s: At<String>, max: usize) -> Option<String> {
    let v = &s.value;
    let ok_chars = v
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let ends_ok = v.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && v.chars().last().is_some_and(|c| c.is_ascii_alphanumeric());
    if v.is_empty() || !ok_chars || !ends_ok || v.len() > max {
        r.push(
            &s.path,
            Some(s.span),
            format!(
                "`{v}` is not a valid name: use 1-{max} lowercase letters, digits and hyphens, \
                 starting and ending with a letter or digit"
            ),
        );
        return None;
    }
    Some(s.value)
}

/// Ground Truth job names: `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`.
fn check_job_name(r: &mut Reader<'_>, s: At<String>) -> Option<String> {
    let v = &s.value;
    let ok = !v.is_empty()
        && v.len() <= 63
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && v.starts_with(|c: char| c.is_ascii_alphanumeric())
        && v.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !ok {
        r.push(
            &s.path,
            Some(s.span),
            format!(
                "`{v}` is not a valid Ground Truth job name: use 1-63 ASCII letters, digits and hyphens, \
                 starting and ending with a letter or digit"
            ),
        );
        return None;
    }
    Some(s.value)
}

/// Ground Truth label attribute names: `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,126}$`, not containing
/// `-metadata` and not ending in `-ref`. Every broken rule is reported.
fn check_label_attribute(r: &mut Reader<'_>, s: At<String>) -> Option<String> {
    let v = &s.value;
    let mut problems: Vec<String> = Vec::new();
    if v.is_empty() {
        problems.push("must not be empty".into());
    }
    if v.starts_with('$') {
        problems.push("must not start with `$`".into());
    }
    if v.contains("-metadata") {
        problems
            .push("must not contain `-metadata` (Ground Truth writes `<label>-metadata` next to it)".into());
    }
    if v.ends_with("-ref") {
        problems.push("must not end with `-ref` (Ground Truth reserves it for object references)".into());
    }
    if v.len() > 127 {
        problems.push(format!(
            "must be at most 127 characters, found {}",
            v.chars().count()
        ));
    }
    if let Some(bad) = v
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '$'))
    {
        problems.push(format!(
            "may only contain ASCII letters, digits and hyphens, found {bad:?}"
        ));
    }
    if !v.is_empty() && (v.starts_with('-') || v.ends_with('-')) {
        problems.push("must start and end with a letter or digit".into());
    }
    if problems.is_empty() {
        return Some(s.value);
    }
    for p in problems {
        r.push(&s.path, Some(s.span.clone()), format!("`{v}` {p}"));
    }
    None
}

fn read_spec(
    r: &mut Reader<'_>,
    kind: Kind,
    fields: Option<&Table<'_, '_>>,
    rules: Option<&Table<'_, '_>>,
    label_attribute: Option<&str>,
) -> Option<Spec> {
    let mut f = FieldReader::new(fields, label_attribute);
    let spec = with_kind!(kind, |K| with_rules(rules, K::RULE_KEYS, |t| K::read_spec(
        r, &mut f, t
    )));
    spec.filter(|_| f.ok)
}

const NO_KEYS: &[&str] = &[];

fn read_shortcuts(r: &mut Reader<'_>, kind: Kind, root: &Table<'_, '_>) -> Option<Shortcuts> {
    let mut shortcuts = Shortcuts::defaults(kind);
    let Some(t) = root.table(r, "shortcuts", NO_KEYS) else {
        return if root.get("shortcuts").is_some() {
            None
        } else {
            Some(shortcuts)
        };
    };
    let n0 = r.errors.len();
    let names: Vec<&'static str> = shortcuts::actions(kind).map(|a| a.name).collect();
    let mut overridden = BTreeSet::new();
    for (k, v) in t.table.iter() {
        let key: &str = k.get_ref();
        let p = path::key(&t.path, key);
        let Some(action) = shortcuts::action(kind, key) else {
            let mut msg = format!("unknown action `{key}` for kind `{kind}`");
            match suggest(key, &names) {
                Some(s) => msg.push_str(&format!(" (did you mean `{s}`?)")),
                None => msg.push_str(&format!("; actions are: {}", names.join(", "))),
            }
            r.push(&p, Some(k.span()), msg);
            continue;
        };
        let DeValue::String(s) = v.get_ref() else {
            r.push(
                &p,
                Some(v.span()),
                format!("expected a key chord string, found {}", type_name(v.get_ref())),
            );
            continue;
        };
        if s.trim().eq_ignore_ascii_case("none") {
            shortcuts.set(action.name, None);
            overridden.insert(action.name);
            continue;
        }
        match Chord::parse(s) {
            Ok(c) => {
                shortcuts.set(action.name, Some(c));
                overridden.insert(action.name);
            }
            Err(e) => r.push(&p, Some(v.span()), e),
        }
    }
    if r.errors.len() > n0 {
        return None;
    }
    let mut ok = true;
    for (a, b) in shortcuts.conflicts() {
        // Report at an overridden action, so the message points at the line to change.
        let (here, other) = if overridden.contains(b) { (b, a) } else { (a, b) };
        let chord = shortcuts.get(here).map(ToString::to_string).unwrap_or_default();
        let other_chord = shortcuts.get(other).map(ToString::to_string).unwrap_or_default();
        let origin = if overridden.contains(other) {
            ""
        } else {
            " by default"
        };
        let span = t.table.get(here).map(|v| v.span()).or_else(|| t.span.clone());
        r.push(
            &path::key(&t.path, here),
            span,
            format!(
                "`{chord}` conflicts with `{other}`, which is bound to `{other_chord}`{origin}; \
                 choose another key or unbind `{other}` with \"none\""
            ),
        );
        ok = false;
    }
    ok.then_some(shortcuts)
}
