//! Preference pairs from ranking annotations (TRL `prompt`/`chosen`/`rejected`).

use serde_json::{Value, json};

use super::ExportError;
use crate::payload::Payload;
use crate::template::{Spec, Template};

/// Record style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PreferenceStyle {
    /// Plain strings: `{"prompt": "...", "chosen": "...", "rejected": "..."}`.
    #[default]
    Standard,
    /// Conversational: `prompt` is `[{"role": "user", ...}]`, `chosen`/`rejected` are
    /// `[{"role": "assistant", ...}]`.
    Conversational,
}

/// Options of [`preference`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PreferenceOptions {
    /// Only these dimensions (all when `None`). Unknown names are an error.
    pub dimensions: Option<Vec<String>>,
    /// Record style.
    pub style: PreferenceStyle,
}

/// Every pair implied by each dimension's order: for responses `a`, `b` ranked on a
/// dimension with `rank(a) < rank(b)`, one record with `a` chosen and `b` rejected. Tied
/// responses give no pair; unranked responses are left out. A total order of N responses
/// gives N(N-1)/2 records per dimension.
///
/// Each record: `prompt`, `chosen`, `rejected`, `dimension`, `chosen_id`, `rejected_id`,
/// `chosen_rank`, `rejected_rank`. Records come dimension by dimension (template order), then
/// by chosen rank, then by rejected rank, then by ids.
pub fn preference(
    template: &Template,
    item: &Value,
    payload: &Payload,
    opts: &PreferenceOptions,
) -> Result<Vec<Value>, ExportError> {
    let (Spec::Ranking { rules, .. }, Payload::Ranking(p)) = (&template.spec, payload) else {
        return Err(ExportError::WrongKind {
            format: "preference",
            found: payload.kind(),
        });
    };
    if let Some(wanted) = &opts.dimensions {
        let unknown: Vec<&str> = wanted
            .iter()
            .filter(|w| rules.dimension(w).is_none())
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            let names: Vec<&str> = rules.dimensions.iter().map(|d| d.name.as_str()).collect();
            return Err(ExportError::BadOption(format!(
                "unknown dimension(s) {}; this template has: {}",
                unknown.join(", "),
                names.join(", ")
            )));
        }
    }
    let prompt = template.prompt(item)?;
    let responses = template.responses(item)?;

    let mut out = Vec::new();
    for dim in &rules.dimensions {
        if opts.dimensions.as_ref().is_some_and(|w| !w.contains(&dim.name)) {
            continue;
        }
        let Some(ranks) = p.rankings.get(&dim.name) else {
            continue;
        };
        // (rank, id, text) of ranked responses that exist in the item.
        let mut ranked: Vec<(u32, &str, &str)> = responses
            .iter()
            .filter_map(|r| {
                ranks
                    .get(&r.id)
                    .map(|rank| (*rank, r.id.as_str(), r.text.as_str()))
            })
            .collect();
        ranked.sort_unstable();
        for (i, (rank_a, id_a, text_a)) in ranked.iter().enumerate() {
            for (rank_b, id_b, text_b) in ranked.iter().skip(i + 1) {
                if rank_a >= rank_b {
                    continue; // tie: no preference
                }
                let (prompt_v, chosen_v, rejected_v) = match opts.style {
                    PreferenceStyle::Standard => (json!(prompt), json!(text_a), json!(text_b)),
                    PreferenceStyle::Conversational => (
                        json!([{"role": "user", "content": prompt}]),
                        json!([{"role": "assistant", "content": text_a}]),
                        json!([{"role": "assistant", "content": text_b}]),
                    ),
                };
                out.push(json!({
                    "prompt": prompt_v,
                    "chosen": chosen_v,
                    "rejected": rejected_v,
                    "dimension": dim.name,
                    "chosen_id": id_a,
                    "rejected_id": id_b,
                    "chosen_rank": rank_a,
                    "rejected_rank": rank_b,
                }));
            }
        }
    }
    Ok(out)
}
