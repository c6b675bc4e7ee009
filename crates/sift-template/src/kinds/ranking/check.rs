//! Checks of a `ranking` payload: the item's response count, ranks per dimension (known
//! dimensions and responses, ranks in range, complete, dense, no ties unless allowed), the
//! classification answers, and the rationale.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{RankingFields, RankingPayload, RankingRules};
use crate::path;
use crate::template::{Requirement, Template};
use crate::validate::{Checker, plural};
use crate::violation::Code;

/// Checks `p` (see [`crate::validate()`]).
pub(super) fn check(
    c: &mut Checker,
    t: &Template,
    fields: &RankingFields,
    rules: &RankingRules,
    item: &Value,
    p: &RankingPayload,
) {
    // A missing or malformed prompt is recorded; the checks below do not need its text.
    c.item(t.prompt(item));
    let responses = match t.responses(item) {
        Ok(r) => Some(r),
        Err(errs) => {
            c.out.extend(errs);
            None
        }
    };
    if let Some(rs) = &responses {
        let key = path::key("item", &fields.responses);
        let n = rs.len();
        if n < rules.min_responses as usize {
            c.push(
                &key,
                Code::TooFew,
                format!(
                    "the item has {}; this template needs at least {}",
                    plural(n, "response", "responses"),
                    rules.min_responses
                ),
            );
        }
        if let Some(max) = rules.max_responses
            && n > max as usize
        {
            c.push(
                &key,
                Code::TooMany,
                format!("the item has {n} responses; this template allows at most {max}"),
            );
        }
    }
    let ids: Option<BTreeSet<&str>> = responses
        .as_ref()
        .map(|rs| rs.iter().map(|r| r.id.as_str()).collect());
    let n = ids.as_ref().map(BTreeSet::len);

    for (dim, ranks) in &p.rankings {
        let dp = path::key("rankings", dim);
        if rules.dimension(dim).is_none() {
            let names: Vec<&str> = rules.dimensions.iter().map(|d| d.name.as_str()).collect();
            c.push(
                &dp,
                Code::UnknownDimension,
                format!(
                    "`{dim}` is not a dimension of this template ({})",
                    names.join(", ")
                ),
            );
            continue;
        }
        let mut structural_ok = true;
        for (rid, rank) in ranks {
            let rp = path::key(&dp, rid);
            if let Some(ids) = &ids
                && !ids.contains(rid.as_str())
            {
                c.push(
                    &rp,
                    Code::UnknownResponse,
                    format!("the item has no response with id `{rid}`"),
                );
                structural_ok = false;
                continue;
            }
            let too_high = n.is_some_and(|n| *rank as usize > n);
            if *rank == 0 || too_high {
                let range = n.map_or_else(|| "1 or more".to_owned(), |n| format!("1 to {n}"));
                c.push(
                    &rp,
                    Code::RankOutOfRange,
                    format!("rank {rank} is out of range; ranks run from {range} (1 = best)"),
                );
                structural_ok = false;
            }
        }
        if c.submit && structural_ok {
            rank_order(c, &dp, dim, ranks, rules.allow_ties, ids.as_ref());
        }
    }
    if c.submit {
        for d in &rules.dimensions {
            if !p.rankings.contains_key(&d.name) {
                c.push(
                    &path::key("rankings", &d.name),
                    Code::MissingDimension,
                    format!("rank the responses on `{}`", d.title),
                );
            }
        }
    }

    for (rid, answers) in &p.classifications {
        let cp = path::key("classifications", rid);
        if let Some(ids) = &ids
            && !ids.contains(rid.as_str())
        {
            c.push(
                &cp,
                Code::UnknownResponse,
                format!("the item has no response with id `{rid}`"),
            );
            continue;
        }
        for (name, answer) in answers {
            let ap = path::key(&cp, name);
            match rules.classification(name) {
                None => c.push(
                    &ap,
                    Code::UnknownClassification,
                    format!("`{name}` is not a classification question of this template"),
                ),
                Some(q) if !q.options.contains(answer) => c.push(
                    &ap,
                    Code::InvalidOption,
                    format!(
                        "`{answer}` is not an option of `{name}` ({})",
                        q.options.join(", ")
                    ),
                ),
                Some(_) => {}
            }
        }
    }
    if c.submit
        && let Some(rs) = &responses
    {
        for r in rs {
            for q in rules.classifications.iter().filter(|q| q.required) {
                let answered = p
                    .classifications
                    .get(&r.id)
                    .is_some_and(|a| a.contains_key(&q.name));
                if !answered {
                    c.push(
                        &path::key(&path::key("classifications", &r.id), &q.name),
                        Code::MissingClassification,
                        format!("answer \"{}\" for response `{}`", q.question, r.id),
                    );
                }
            }
        }
    }

    match rules.rationale {
        Requirement::Off if c.submit && !p.rationale.trim().is_empty() => {
            c.push(
                "rationale",
                Code::RationaleNotAllowed,
                "this template does not ask for a rationale",
            );
        }
        Requirement::Off => {}
        req => c.text(
            "rationale",
            &p.rationale,
            req == Requirement::Required,
            0,
            rules.rationale_max_chars,
            "rationale",
        ),
    }
}

/// Completeness and consistency of one dimension's ranks (submit only; every rank is
/// already known to be in range and every id known).
fn rank_order(
    c: &mut Checker,
    dp: &str,
    dim: &str,
    ranks: &BTreeMap<String, u32>,
    allow_ties: bool,
    ids: Option<&BTreeSet<&str>>,
) {
    if let Some(ids) = ids {
        for id in ids {
            if !ranks.contains_key(*id) {
                c.push(
                    &path::key(dp, id),
                    Code::MissingResponse,
                    format!("response `{id}` is not ranked on `{dim}`"),
                );
            }
        }
    }
    let mut by_rank: BTreeMap<u32, Vec<&str>> = BTreeMap::new();
    for (id, rank) in ranks {
        by_rank.entry(*rank).or_default().push(id);
    }
    if !allow_ties {
        for (rank, group) in &by_rank {
            if group.len() > 1 {
                let names: Vec<String> = group.iter().map(|g| format!("`{g}`")).collect();
                c.push(
                    dp,
                    Code::TieNotAllowed,
                    format!(
                        "responses {} share rank {rank}; ties are not allowed",
                        names.join(", ")
                    ),
                );
            }
        }
    }
    for (expected, rank) in (1u32..).zip(by_rank.keys()) {
        if *rank != expected {
            let used: Vec<String> = by_rank.keys().map(u32::to_string).collect();
            c.push(
                dp,
                Code::RankGap,
                format!(
                    "rank {expected} is skipped (ranks used: {}); ranks must be consecutive from 1",
                    used.join(", ")
                ),
            );
            break;
        }
    }
}
