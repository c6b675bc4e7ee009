//! The `qa` kind in Label Studio: per pair *n*, `textarea`s `question` and `answer`, `choices`
//! `question_type` and `entire_passage`, and `labels` `evidence` spans, tied together by result
//! ids `pair{n}-…` (Label Studio has no notion of a pair).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{QaFields, QaKind, QaPair, QaPayload, QaRules, Span};
use crate::export::ExportError;
use crate::interop::label_studio::{Convert, ImportError, Res, Task, attr, err, region, textarea};
use crate::template::Template;
use crate::text::slice_chars;

impl Convert for QaKind {
    fn task_data(t: &Template, item: &Value, data: &mut Map<String, Value>) -> Result<(), ExportError> {
        data.insert("passage".into(), json!(t.passage(item)?));
        Ok(())
    }

    fn result(task: Task<'_>, p: &QaPayload) -> Result<Vec<Value>, ExportError> {
        Ok(result(task.t.passage(task.item)?, p))
    }

    fn import(_task: Task<'_>, rs: &[Res<'_>]) -> Result<QaPayload, ImportError> {
        import(rs)
    }

    fn config(_fields: &QaFields, rules: &QaRules, x: &mut String) {
        x.push_str("  <Text name=\"passage\" value=\"$passage\"/>\n");
        x.push_str("  <Labels name=\"evidence\" toName=\"passage\">\n");
        for n in 1..=rules.max_pairs {
            x.push_str(&format!("    <Label value=\"pair {n}\"/>\n"));
        }
        x.push_str("  </Labels>\n");
        x.push_str(
            "  <TextArea name=\"question\" toName=\"passage\" placeholder=\"Question\" editable=\"true\"/>\n",
        );
        x.push_str(
            "  <TextArea name=\"answer\" toName=\"passage\" placeholder=\"Answer\" editable=\"true\"/>\n",
        );
        if !rules.question_types.is_empty() {
            x.push_str("  <Choices name=\"question_type\" toName=\"passage\">\n");
            for t in &rules.question_types {
                x.push_str(&format!("    <Choice value=\"{}\"/>\n", attr(t)));
            }
            x.push_str("  </Choices>\n");
        }
        if rules.allow_entire_passage {
            x.push_str("  <Choices name=\"entire_passage\" toName=\"passage\">\n    <Choice value=\"entire passage\"/>\n  </Choices>\n");
        }
    }
}

fn result(passage: &str, p: &QaPayload) -> Vec<Value> {
    let mut out = Vec::new();
    for (i, pair) in p.pairs.iter().enumerate() {
        let n = i + 1;
        out.push(textarea(
            &format!("pair{n}-question"),
            "question",
            "passage",
            &pair.question,
        ));
        out.push(textarea(
            &format!("pair{n}-answer"),
            "answer",
            "passage",
            &pair.answer,
        ));
        if !pair.question_type.is_empty() {
            let v = json!({"choices": [pair.question_type]});
            out.push(region(
                &format!("pair{n}-type"),
                "question_type",
                "passage",
                "choices",
                v,
            ));
        }
        if pair.entire_passage {
            let v = json!({"choices": ["entire passage"]});
            out.push(region(
                &format!("pair{n}-entire"),
                "entire_passage",
                "passage",
                "choices",
                v,
            ));
        }
        for (j, s) in pair.spans.iter().enumerate() {
            let text = slice_chars(passage, s.start, s.end).unwrap_or("");
            let v = json!({"start": s.start, "end": s.end, "text": text, "labels": [format!("pair {n}")]});
            out.push(region(
                &format!("pair{n}-span{}", j + 1),
                "evidence",
                "passage",
                "labels",
                v,
            ));
        }
    }
    out
}

/// The pair number of a result: from an id `pair{n}-…`, else from a label `pair {n}`.
fn pair_number(r: &Res<'_>) -> Option<usize> {
    let from_id = r
        .opt_str("id")
        .and_then(|id| id.strip_prefix("pair"))
        .and_then(|rest| rest.split_once('-'))
        .and_then(|(n, _)| n.parse().ok());
    from_id.or_else(|| {
        let labels = r.strings("labels").ok()?;
        labels
            .iter()
            .find_map(|l| l.strip_prefix("pair ").and_then(|n| n.trim().parse().ok()))
    })
}

fn import(rs: &[Res<'_>]) -> Result<QaPayload, ImportError> {
    let mut pairs: BTreeMap<usize, QaPair> = BTreeMap::new();
    for r in rs {
        let from = r.str("from_name")?;
        let Some(n) = pair_number(r) else {
            return err(
                &r.path,
                "cannot tell which pair this result belongs to (expected id `pair<N>-…` or label `pair <N>`)",
            );
        };
        let pair = pairs.entry(n).or_default();
        match from {
            "question" => pair.question = r.text("text")?,
            "answer" => pair.answer = r.text("text")?,
            "question_type" => pair.question_type = r.choice()?.to_owned(),
            "entire_passage" => pair.entire_passage = true,
            "evidence" => pair.spans.push(Span {
                start: r.offset("start")?,
                end: r.offset("end")?,
            }),
            other => return err(&r.path, format!("unknown control `{other}` for a qa template")),
        }
    }
    Ok(QaPayload {
        pairs: pairs.into_values().collect(),
    })
}
