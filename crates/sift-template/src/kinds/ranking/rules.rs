//! Reading the `[rules]` of a `ranking` template: response counts, ties, the rationale, the
//! `[[rules.dimensions]]` and the `[[rules.classifications]]`.

use std::collections::BTreeSet;

use super::{Classification, Dimension, Direction, RankingRules};
use crate::template::Requirement;
use crate::template::rules::{check_order, check_unique_name, ident_error, requirement};
use crate::template::toml_reader::{Reader, Table};

/// Keys allowed under `[rules]`.
pub(super) const RULE_KEYS: &[&str] = &[
    "min_responses",
    "max_responses",
    "allow_ties",
    "rationale",
    "rationale_max_chars",
    "dimensions",
    "classifications",
];
const DIMENSION_KEYS: &[&str] = &["name", "title", "description", "direction"];
const CLASSIFICATION_KEYS: &[&str] = &["name", "question", "options", "required"];

/// Reads `[rules]`; `None` when something was wrong (recorded in `r`).
pub(super) fn read(r: &mut Reader<'_>, t: &Table<'_, '_>) -> Option<RankingRules> {
    let n0 = r.errors.len();
    let min_responses = t.uint_or(r, "min_responses", 2, 2);
    let max_responses = t.uint(r, "max_responses", 2);
    if let Some(max) = &max_responses {
        check_order(r, &min_responses, max);
    }
    let allow_ties = t.boolean(r, "allow_ties", false);
    let rationale = requirement(r, t, "rationale", Requirement::Optional);
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
