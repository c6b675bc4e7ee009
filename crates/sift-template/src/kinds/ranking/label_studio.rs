//! The `ranking` kind in Label Studio: per dimension a `ranker` result named after it (ids
//! best first for a strict order, else rank buckets), per answered classification a `choices`
//! result with id `cls:{question}:{response id}`, and a `textarea` `rationale`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{RankingFields, RankingKind, RankingPayload, RankingRules};
use crate::export::ExportError;
use crate::interop::label_studio::{Convert, ImportError, Res, Task, attr, err, region, textarea};
use crate::template::{Requirement, Template};

impl Convert for RankingKind {
    fn task_data(t: &Template, item: &Value, data: &mut Map<String, Value>) -> Result<(), ExportError> {
        data.insert("prompt".into(), json!(t.prompt(item)?));
        let list: Vec<Value> = t
            .responses(item)?
            .into_iter()
            .map(|r| json!({"id": r.id, "title": format!("Response {}", r.id), "body": r.text}))
            .collect();
        data.insert("responses".into(), Value::Array(list));
        Ok(())
    }

    fn result(_task: Task<'_>, p: &RankingPayload) -> Result<Vec<Value>, ExportError> {
        Ok(result(p))
    }

    fn import(_task: Task<'_>, rs: &[Res<'_>]) -> Result<RankingPayload, ImportError> {
        import(rs)
    }

    fn config(_fields: &RankingFields, rules: &RankingRules, x: &mut String) {
        x.push_str("  <Text name=\"prompt\" value=\"$prompt\"/>\n");
        x.push_str("  <List name=\"responses\" value=\"$responses\" title=\"Responses\"/>\n");
        let buckets = rules.max_responses.unwrap_or(10);
        for d in &rules.dimensions {
            x.push_str(&format!(
                "  <Header value=\"{}: {}\"/>\n",
                attr(&d.title),
                attr(&d.description)
            ));
            if rules.allow_ties {
                x.push_str(&format!(
                    "  <Ranker name=\"{}\" toName=\"responses\">\n",
                    attr(&d.name)
                ));
                for n in 1..=buckets {
                    x.push_str(&format!("    <Bucket name=\"{n}\" title=\"Rank {n}\"/>\n"));
                }
                x.push_str("  </Ranker>\n");
            } else {
                x.push_str(&format!(
                    "  <Ranker name=\"{}\" toName=\"responses\"/>\n",
                    attr(&d.name)
                ));
            }
        }
        for c in &rules.classifications {
            x.push_str(&format!("  <Header value=\"{}\"/>\n", attr(&c.question)));
            x.push_str(&format!(
                "  <Choices name=\"{}\" toName=\"responses\" showInline=\"true\">\n",
                attr(&c.name)
            ));
            for o in &c.options {
                x.push_str(&format!("    <Choice value=\"{}\"/>\n", attr(o)));
            }
            x.push_str("  </Choices>\n");
        }
        if rules.rationale != Requirement::Off {
            x.push_str("  <TextArea name=\"rationale\" toName=\"prompt\" placeholder=\"Rationale\"/>\n");
        }
    }
}

fn result(p: &RankingPayload) -> Vec<Value> {
    let mut out = Vec::new();
    for (dim, ranks) in &p.rankings {
        let mut order: Vec<(u32, &str)> = ranks.iter().map(|(id, r)| (*r, id.as_str())).collect();
        order.sort_unstable();
        let strict = order.iter().zip(1u32..).all(|((r, _), expected)| *r == expected);
        let value = if strict {
            let ids: Vec<&str> = order.iter().map(|(_, id)| *id).collect();
            json!({ "ranker": { dim.as_str(): ids } })
        } else {
            let mut buckets: BTreeMap<String, Vec<&str>> = BTreeMap::new();
            for (r, id) in &order {
                buckets.entry(r.to_string()).or_default().push(id);
            }
            json!({ "ranker": buckets })
        };
        out.push(region(&format!("rank-{dim}"), dim, "responses", "ranker", value));
    }
    for (rid, answers) in &p.classifications {
        for (name, option) in answers {
            let v = json!({"choices": [option]});
            out.push(region(
                &format!("cls:{name}:{rid}"),
                name,
                "responses",
                "choices",
                v,
            ));
        }
    }
    if !p.rationale.is_empty() {
        out.push(textarea("rationale", "rationale", "prompt", &p.rationale));
    }
    out
}

fn import(rs: &[Res<'_>]) -> Result<RankingPayload, ImportError> {
    let mut p = RankingPayload::default();
    for r in rs {
        let from = r.str("from_name")?;
        match r.str("type")? {
            "ranker" => {
                let ranks = import_ranker(r, from)?;
                p.rankings.insert(from.to_owned(), ranks);
            }
            "choices" => {
                let id = r.str("id")?;
                let Some((name, rid)) = id.strip_prefix("cls:").and_then(|rest| rest.split_once(':')) else {
                    return err(
                        &format!("{}.id", r.path),
                        "expected `cls:<question>:<response id>`",
                    );
                };
                if name != from {
                    return err(
                        &format!("{}.id", r.path),
                        format!("names question `{name}` but from_name is `{from}`"),
                    );
                }
                p.classifications
                    .entry(rid.to_owned())
                    .or_default()
                    .insert(name.to_owned(), r.choice()?.to_owned());
            }
            "textarea" if from == "rationale" => p.rationale = r.text("text")?,
            other => {
                return err(
                    &r.path,
                    format!("unexpected `{other}` result `{from}` for a ranking template"),
                );
            }
        }
    }
    Ok(p)
}

/// Reads a ranker value: a list of ids (best first), `{"<name>": [ids]}`, or rank buckets
/// `{"1": [ids], "2": [ids]}`.
fn import_ranker(r: &Res<'_>, from: &str) -> Result<BTreeMap<String, u32>, ImportError> {
    let p = r.value_path("ranker");
    let positions = |ids: &Vec<Value>| -> Result<BTreeMap<String, u32>, ImportError> {
        let mut out = BTreeMap::new();
        for (i, id) in ids.iter().enumerate() {
            let Some(id) = id.as_str() else {
                return err(&p, "expected response ids (strings)");
            };
            let rank = u32::try_from(i + 1).map_or_else(|_| err(&p, "too many responses"), Ok)?;
            out.insert(id.to_owned(), rank);
        }
        Ok(out)
    };
    match r.value()?.get("ranker") {
        Some(Value::Array(ids)) => positions(ids),
        Some(Value::Object(m)) => {
            if m.len() == 1
                && let Some(Value::Array(ids)) = m.get(from)
            {
                return positions(ids);
            }
            let mut out = BTreeMap::new();
            for (bucket, ids) in m {
                let Ok(rank) = bucket.parse::<u32>() else {
                    return err(
                        &p,
                        format!(
                            "unexpected bucket `{bucket}`; Sift buckets are named by rank (\"1\", \"2\", …)"
                        ),
                    );
                };
                let Some(ids) = ids.as_array() else {
                    return err(&p, "expected arrays of response ids");
                };
                for id in ids {
                    let Some(id) = id.as_str() else {
                        return err(&p, "expected response ids (strings)");
                    };
                    out.insert(id.to_owned(), rank);
                }
            }
            Ok(out)
        }
        _ => err(&p, "expected a list of ids or an object of buckets"),
    }
}
