//! TOML → [`Template`], collecting every problem with its key path and location.

use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::shortcuts::{self, Chord, Shortcuts};
use super::{
    Classification, Dimension, Direction, ImageFields, ImageRules, Kind, QaFields, QaRules, RankingFields,
    RankingRules, Requirement, Spec, Template, VideoFields, VideoRules,
};
use crate::path;

/// One problem in a template file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// TOML key path of the offending value (`rules.max_pairs`, `rules.dimensions[1].name`);
    /// empty for syntax errors.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// 1-based line of the offending text, when known.
    pub line: Option<usize>,
    /// 1-based column (in characters) of the offending text, when known.
    pub column: Option<usize>,
}

/// Every problem found in a template file. `Display` writes one line per problem:
/// `origin: path: message (line L, column C)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateErrors {
    /// Where the text came from (usually a file path).
    pub origin: String,
    /// The problems, in document order where locations are known.
    pub errors: Vec<TemplateError>,
}

impl TemplateErrors {
    /// Whether some problem sits at `path` and its message contains `needle`.
    pub fn has(&self, path: &str, needle: &str) -> bool {
        self.errors
            .iter()
            .any(|e| e.path == path && e.message.contains(needle))
    }
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, " (line {l}, column {c})")?;
        }
        Ok(())
    }
}

impl fmt::Display for TemplateErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: {e}", self.origin)?;
        }
        Ok(())
    }
}

impl std::error::Error for TemplateErrors {}

/// Parses and validates a template. `origin` names the source in error messages.
pub fn parse_template(text: &str, origin: &str) -> Result<Template, TemplateErrors> {
    let fail = |errors: Vec<TemplateError>| TemplateErrors {
        origin: origin.to_owned(),
        errors,
    };
    let (doc, syntax) = DeTable::parse_recoverable(text);
    let mut r = Reader {
        src: text,
        errors: Vec::new(),
    };
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

struct Reader<'s> {
    src: &'s str,
    errors: Vec<TemplateError>,
}

impl Reader<'_> {
    fn push(&mut self, path: &str, span: Option<Range<usize>>, message: impl Into<String>) {
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

    fn locate(&self, offset: usize) -> (usize, usize) {
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

type Val<'i> = Spanned<DeValue<'i>>;

fn type_name(v: &DeValue<'_>) -> &'static str {
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
struct Table<'a, 'i> {
    path: String,
    span: Option<Range<usize>>,
    table: &'a DeTable<'i>,
    known: &'static [&'static str],
}

/// A value with the span and path it was read from.
struct At<T> {
    value: T,
    span: Range<usize>,
    path: String,
}

impl<'a, 'i> Table<'a, 'i> {
    fn new(
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

    fn child_path(&self, key: &str) -> String {
        path::key(&self.path, key)
    }

    fn get(&self, key: &str) -> Option<&'a Val<'i>> {
        debug_assert!(self.known.contains(&key), "key {key} not declared");
        self.table.get(key)
    }

    fn missing(&self, r: &mut Reader<'_>, key: &str, what: &str) {
        let p = self.child_path(key);
        r.push(&p, self.span.clone(), format!("missing; {what}"));
    }

    fn wrong_type(&self, r: &mut Reader<'_>, key: &str, v: &Val<'_>, expected: &str) {
        let p = self.child_path(key);
        r.push(
            &p,
            Some(v.span()),
            format!("expected {expected}, found {}", type_name(v.get_ref())),
        );
    }

    fn string(&self, r: &mut Reader<'_>, key: &str) -> Option<At<String>> {
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

    fn required_string(&self, r: &mut Reader<'_>, key: &str, what: &str) -> Option<At<String>> {
        if self.get(key).is_none() {
            self.missing(r, key, what);
            return None;
        }
        self.string(r, key)
    }

    /// A non-empty (after trimming) string.
    fn text(&self, r: &mut Reader<'_>, key: &str) -> Option<At<String>> {
        let s = self.string(r, key)?;
        if s.value.trim().is_empty() {
            r.push(&s.path, Some(s.span.clone()), "must not be empty");
            return None;
        }
        Some(s)
    }

    fn boolean(&self, r: &mut Reader<'_>, key: &str, default: bool) -> bool {
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
    fn uint(&self, r: &mut Reader<'_>, key: &str, min: u32) -> Option<At<u32>> {
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

    fn uint_or(&self, r: &mut Reader<'_>, key: &str, min: u32, default: u32) -> At<u32> {
        self.uint(r, key, min).unwrap_or_else(|| At {
            value: default,
            span: self.span.clone().unwrap_or(0..0),
            path: self.child_path(key),
        })
    }

    fn string_array(&self, r: &mut Reader<'_>, key: &str) -> Option<Vec<At<String>>> {
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

    fn table(&self, r: &mut Reader<'_>, key: &str, known: &'static [&'static str]) -> Option<Table<'a, 'i>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Table(t) => Some(Table::new(self.child_path(key), Some(v.span()), t, known)),
            _ => {
                self.wrong_type(r, key, v, "a table");
                None
            }
        }
    }

    fn table_array(
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
    fn finish(&self, r: &mut Reader<'_>) {
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
fn suggest(key: &str, known: &[&'static str]) -> Option<&'static str> {
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

    let fields_table = root.table(r, "fields", fields_keys(kind));
    let rules_table = root.table(r, "rules", rules_keys(kind));
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

fn fields_keys(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Qa => &["passage"],
        Kind::Ranking => &["prompt", "responses"],
        Kind::ImageCaption => &["image", "width", "height"],
        Kind::VideoCaption => &["video", "duration", "frame_rate"],
    }
}

const QA_RULES: &[&str] = &[
    "min_pairs",
    "max_pairs",
    "question_types",
    "required_question_types",
    "question_min_chars",
    "question_max_chars",
    "answer_min_chars",
    "answer_max_chars",
    "require_spans",
    "allow_entire_passage",
    "max_spans_per_pair",
];
const RANKING_RULES: &[&str] = &[
    "min_responses",
    "max_responses",
    "allow_ties",
    "rationale",
    "rationale_max_chars",
    "dimensions",
    "classifications",
];
const IMAGE_RULES: &[&str] = &[
    "min_objects",
    "max_objects",
    "object_name_max_chars",
    "require_object_description",
    "object_description_max_chars",
    "min_relationships",
    "require_setting",
    "setting_max_chars",
    "caption_min_words",
    "caption_max_words",
    "caption_must_mention_objects",
];
const VIDEO_RULES: &[&str] = &[
    "min_events",
    "max_events",
    "event_description_max_chars",
    "allow_overlapping_events",
    "require_setting",
    "setting_max_chars",
    "caption_min_words",
    "caption_max_words",
];
const DIMENSION_KEYS: &[&str] = &["name", "title", "description", "direction"];
const CLASSIFICATION_KEYS: &[&str] = &["name", "question", "options", "required"];

fn rules_keys(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Qa => QA_RULES,
        Kind::Ranking => RANKING_RULES,
        Kind::ImageCaption => IMAGE_RULES,
        Kind::VideoCaption => VIDEO_RULES,
    }
}

/// Reads the `[fields]` entries: each a manifest key, checked against Ground Truth rules and
/// against each other.
struct FieldReader<'t, 'a, 'i> {
    table: Option<&'t Table<'a, 'i>>,
    label_attribute: Option<&'t str>,
    seen: Vec<(String, String)>,
    ok: bool,
}

impl FieldReader<'_, '_, '_> {
    fn field(&mut self, r: &mut Reader<'_>, role: &str, default: Option<&str>) -> Option<String> {
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

fn read_spec(
    r: &mut Reader<'_>,
    kind: Kind,
    fields: Option<&Table<'_, '_>>,
    rules: Option<&Table<'_, '_>>,
    label_attribute: Option<&str>,
) -> Option<Spec> {
    let mut f = FieldReader {
        table: fields,
        label_attribute,
        seen: Vec::new(),
        ok: true,
    };
    let spec = match kind {
        Kind::Qa => {
            let passage = f.field(r, "passage", Some("source"));
            let rules = read_qa_rules(r, rules);
            Spec::Qa {
                fields: QaFields { passage: passage? },
                rules: rules?,
            }
        }
        Kind::Ranking => {
            let prompt = f.field(r, "prompt", Some("prompt"));
            let responses = f.field(r, "responses", Some("responses"));
            let rules = read_ranking_rules(r, rules);
            Spec::Ranking {
                fields: RankingFields {
                    prompt: prompt?,
                    responses: responses?,
                },
                rules: rules?,
            }
        }
        Kind::ImageCaption => {
            let image = f.field(r, "image", Some("source-ref"));
            let width = f.field(r, "width", None);
            let height = f.field(r, "height", None);
            if width.is_some() != height.is_some()
                && let Some(t) = fields
            {
                let (missing, present) = if width.is_some() {
                    ("height", "width")
                } else {
                    ("width", "height")
                };
                r.push(
                    &t.child_path(missing),
                    t.span.clone(),
                    format!("missing; `fields.{present}` is set, so `fields.{missing}` must be set too"),
                );
                f.ok = false;
            }
            let rules = read_image_rules(r, rules);
            Spec::ImageCaption {
                fields: ImageFields {
                    image: image?,
                    width,
                    height,
                },
                rules: rules?,
            }
        }
        Kind::VideoCaption => {
            let video = f.field(r, "video", Some("source-ref"));
            let duration = f.field(r, "duration", None);
            let frame_rate = f.field(r, "frame_rate", None);
            let rules = read_video_rules(r, rules);
            Spec::VideoCaption {
                fields: VideoFields {
                    video: video?,
                    duration,
                    frame_rate,
                },
                rules: rules?,
            }
        }
    };
    f.ok.then_some(spec)
}

/// Checks `min <= max` for two limits and reports at the min key.
fn check_order(r: &mut Reader<'_>, min: &At<u32>, max: &At<u32>) -> bool {
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
fn with_rules<T>(
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
fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn ident_error(r: &mut Reader<'_>, s: &At<String>, what: &str) -> bool {
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
fn ident_list(r: &mut Reader<'_>, t: &Table<'_, '_>, key: &str, what: &str) -> Option<Vec<String>> {
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

fn read_qa_rules(r: &mut Reader<'_>, rules: Option<&Table<'_, '_>>) -> Option<QaRules> {
    with_rules(rules, QA_RULES, |t| {
        let n0 = r.errors.len();
        let min_pairs = t.uint_or(r, "min_pairs", 0, 1);
        let max_pairs = t.uint_or(r, "max_pairs", 1, 10);
        check_order(r, &min_pairs, &max_pairs);
        let question_types = ident_list(r, t, "question_types", "question type");
        let required = ident_list(r, t, "required_question_types", "question type");
        if let (Some(types), Some(req_at), Some(req)) = (
            &question_types,
            t.string_array(r, "required_question_types"),
            &required,
        ) {
            for (s, name) in req_at.iter().zip(req) {
                if !types.contains(name) {
                    let msg = if types.is_empty() {
                        format!("`{name}` is required but `question_types` is empty")
                    } else {
                        format!("`{name}` is not one of `question_types` ({})", types.join(", "))
                    };
                    r.push(&s.path, Some(s.span.clone()), msg);
                }
            }
            if req.len() > max_pairs.value as usize {
                r.push(
                    &path::key(&t.path, "required_question_types"),
                    t.get("required_question_types").map(|v| v.span()),
                    format!(
                        "lists {} types but `max_pairs` is {}; a submission could not cover them",
                        req.len(),
                        max_pairs.value
                    ),
                );
            }
        }
        let question_min_chars = t.uint_or(r, "question_min_chars", 0, 1);
        let question_max_chars = t.uint_or(r, "question_max_chars", 1, 500);
        check_order(r, &question_min_chars, &question_max_chars);
        let answer_min_chars = t.uint_or(r, "answer_min_chars", 0, 1);
        let answer_max_chars = t.uint_or(r, "answer_max_chars", 1, 2000);
        check_order(r, &answer_min_chars, &answer_max_chars);
        let require_spans = t.boolean(r, "require_spans", true);
        let allow_entire_passage = t.boolean(r, "allow_entire_passage", true);
        let max_spans_per_pair = t.uint(r, "max_spans_per_pair", 1).map(|v| v.value);
        if r.errors.len() > n0 {
            return None;
        }
        Some(QaRules {
            min_pairs: min_pairs.value,
            max_pairs: max_pairs.value,
            question_types: question_types?,
            required_question_types: required?,
            question_min_chars: question_min_chars.value,
            question_max_chars: question_max_chars.value,
            answer_min_chars: answer_min_chars.value,
            answer_max_chars: answer_max_chars.value,
            require_spans,
            allow_entire_passage,
            max_spans_per_pair,
        })
    })
}

fn read_ranking_rules(r: &mut Reader<'_>, rules: Option<&Table<'_, '_>>) -> Option<RankingRules> {
    with_rules(rules, RANKING_RULES, |t| {
        let n0 = r.errors.len();
        let min_responses = t.uint_or(r, "min_responses", 2, 2);
        let max_responses = t.uint(r, "max_responses", 2);
        if let Some(max) = &max_responses {
            check_order(r, &min_responses, max);
        }
        let allow_ties = t.boolean(r, "allow_ties", false);
        let rationale = match t.string(r, "rationale") {
            None => Requirement::Optional,
            Some(s) => Requirement::from_name(&s.value).unwrap_or_else(|| {
                r.push(
                    &s.path,
                    Some(s.span.clone()),
                    format!(
                        "unknown value `{}`; expected one of: off, optional, required",
                        s.value
                    ),
                );
                Requirement::Optional
            }),
        };
        let rationale_max_chars = t.uint_or(r, "rationale_max_chars", 1, 2000).value;

        let mut dimensions = Vec::new();
        match t.table_array(r, "dimensions", DIMENSION_KEYS) {
            None if t.get("dimensions").is_none() => t.missing(
                r,
                "dimensions",
                "a ranking template needs at least one `[[rules.dimensions]]` (name, description, direction)",
            ),
            None => {}
            Some(tables) if tables.is_empty() => r.push(
                &t.child_path("dimensions"),
                t.get("dimensions").map(|v| v.span()),
                "must list at least one dimension",
            ),
            Some(tables) => {
                let mut seen = BTreeSet::new();
                for d in &tables {
                    d.finish(r);
                    check_unique_name(r, d, &mut seen, "dimension");
                    if let Some(dim) = read_dimension(r, d) {
                        dimensions.push(dim);
                    }
                }
            }
        }

        let mut classifications = Vec::new();
        if let Some(tables) = t.table_array(r, "classifications", CLASSIFICATION_KEYS) {
            let mut seen = BTreeSet::new();
            for c in &tables {
                c.finish(r);
                check_unique_name(r, c, &mut seen, "classification");
                if let Some(cls) = read_classification(r, c) {
                    classifications.push(cls);
                }
            }
        }
        if r.errors.len() > n0 {
            return None;
        }
        Some(RankingRules {
            min_responses: min_responses.value,
            max_responses: max_responses.map(|m| m.value),
            allow_ties,
            rationale,
            rationale_max_chars,
            dimensions,
            classifications,
        })
    })
}

/// Reports a `name` already used by an earlier entry of the same array of tables.
fn check_unique_name(r: &mut Reader<'_>, t: &Table<'_, '_>, seen: &mut BTreeSet<String>, what: &str) {
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

fn read_dimension(r: &mut Reader<'_>, d: &Table<'_, '_>) -> Option<Dimension> {
    let n0 = r.errors.len();
    let name = d.required_string(r, "name", "an identifier such as `clarity`");
    if let Some(n) = &name {
        ident_error(r, n, "dimension name");
    }
    let title = d.string(r, "title");
    if let Some(t) = &title
        && t.value.trim().is_empty()
    {
        r.push(
            &t.path,
            Some(t.span.clone()),
            "must not be empty (leave it out to use the name)",
        );
    }
    let description = d.required_string(r, "description", "what annotators judge on this dimension");
    if let Some(s) = &description
        && s.value.trim().is_empty()
    {
        r.push(&s.path, Some(s.span.clone()), "must not be empty");
    }
    let direction = match d.string(r, "direction") {
        None => Direction::MoreIsBetter,
        Some(s) => match s.value.as_str() {
            "more-is-better" => Direction::MoreIsBetter,
            "less-is-better" => Direction::LessIsBetter,
            other => {
                r.push(
                    &s.path,
                    Some(s.span.clone()),
                    format!("unknown direction `{other}`; expected `more-is-better` or `less-is-better`"),
                );
                Direction::MoreIsBetter
            }
        },
    };
    if r.errors.len() > n0 {
        return None;
    }
    let name = name?.value;
    Some(Dimension {
        title: title.map_or_else(|| name.clone(), |t| t.value),
        name,
        description: description?.value,
        direction,
    })
}

fn read_classification(r: &mut Reader<'_>, c: &Table<'_, '_>) -> Option<Classification> {
    let n0 = r.errors.len();
    let name = c.required_string(r, "name", "an identifier such as `factual_error`");
    if let Some(n) = &name {
        ident_error(r, n, "classification name");
    }
    let question = c.required_string(r, "question", "the question shown for every response");
    if let Some(q) = &question
        && q.value.trim().is_empty()
    {
        r.push(&q.path, Some(q.span.clone()), "must not be empty");
    }
    let options = match c.string_array(r, "options") {
        None if c.get("options").is_none() => {
            c.missing(r, "options", "at least two answers, e.g. [\"yes\", \"no\"]");
            None
        }
        None => None,
        Some(opts) => {
            let p = c.child_path("options");
            if opts.len() < 2 {
                r.push(
                    &p,
                    c.get("options").map(|v| v.span()),
                    format!("needs at least two options, found {}", opts.len()),
                );
            }
            let mut seen = BTreeSet::new();
            for o in &opts {
                if o.value.trim().is_empty() {
                    r.push(&o.path, Some(o.span.clone()), "must not be empty");
                } else if !seen.insert(o.value.clone()) {
                    r.push(
                        &o.path,
                        Some(o.span.clone()),
                        format!("`{}` is listed twice", o.value),
                    );
                }
            }
            Some(opts.into_iter().map(|o| o.value).collect())
        }
    };
    let required = c.boolean(r, "required", true);
    if r.errors.len() > n0 {
        return None;
    }
    Some(Classification {
        name: name?.value,
        question: question?.value,
        options: options?,
        required,
    })
}

fn read_image_rules(r: &mut Reader<'_>, rules: Option<&Table<'_, '_>>) -> Option<ImageRules> {
    with_rules(rules, IMAGE_RULES, |t| {
        let n0 = r.errors.len();
        let min_objects = t.uint_or(r, "min_objects", 0, 1);
        let max_objects = t.uint(r, "max_objects", 1);
        if let Some(max) = &max_objects {
            check_order(r, &min_objects, max);
        }
        let object_name_max_chars = t.uint_or(r, "object_name_max_chars", 1, 60).value;
        let require_object_description = t.boolean(r, "require_object_description", true);
        let object_description_max_chars = t.uint_or(r, "object_description_max_chars", 1, 500).value;
        let min_relationships = t.uint_or(r, "min_relationships", 0, 0);
        if min_relationships.value > 0
            && let Some(max) = &max_objects
            && max.value < 2
        {
            r.push(
                &min_relationships.path,
                Some(min_relationships.span.clone()),
                "relationships need two objects, but `max_objects` is 1",
            );
        }
        let require_setting = t.boolean(r, "require_setting", true);
        let setting_max_chars = t.uint_or(r, "setting_max_chars", 1, 1000).value;
        let caption_min_words = t.uint_or(r, "caption_min_words", 0, 1);
        let caption_max_words = t.uint(r, "caption_max_words", 1);
        if let Some(max) = &caption_max_words {
            check_order(r, &caption_min_words, max);
        }
        let caption_must_mention_objects = t.boolean(r, "caption_must_mention_objects", false);
        if r.errors.len() > n0 {
            return None;
        }
        Some(ImageRules {
            min_objects: min_objects.value,
            max_objects: max_objects.map(|m| m.value),
            object_name_max_chars,
            require_object_description,
            object_description_max_chars,
            min_relationships: min_relationships.value,
            require_setting,
            setting_max_chars,
            caption_min_words: caption_min_words.value,
            caption_max_words: caption_max_words.map(|m| m.value),
            caption_must_mention_objects,
        })
    })
}

fn read_video_rules(r: &mut Reader<'_>, rules: Option<&Table<'_, '_>>) -> Option<VideoRules> {
    with_rules(rules, VIDEO_RULES, |t| {
        let n0 = r.errors.len();
        let min_events = t.uint_or(r, "min_events", 0, 1);
        let max_events = t.uint(r, "max_events", 1);
        if let Some(max) = &max_events {
            check_order(r, &min_events, max);
        }
        let event_description_max_chars = t.uint_or(r, "event_description_max_chars", 1, 500).value;
        let allow_overlapping_events = t.boolean(r, "allow_overlapping_events", true);
        let require_setting = t.boolean(r, "require_setting", true);
        let setting_max_chars = t.uint_or(r, "setting_max_chars", 1, 1000).value;
        let caption_min_words = t.uint_or(r, "caption_min_words", 0, 1);
        let caption_max_words = t.uint(r, "caption_max_words", 1);
        if let Some(max) = &caption_max_words {
            check_order(r, &caption_min_words, max);
        }
        if r.errors.len() > n0 {
            return None;
        }
        Some(VideoRules {
            min_events: min_events.value,
            max_events: max_events.map(|m| m.value),
            event_description_max_chars,
            allow_overlapping_events,
            require_setting,
            setting_max_chars,
            caption_min_words: caption_min_words.value,
            caption_max_words: caption_max_words.map(|m| m.value),
        })
    })
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
