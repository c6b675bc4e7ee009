//! `sift export --consensus`: one Ground Truth line per item holding the consensus of its
//! annotations instead of one line per annotation, with the agreement as the metadata's
//! `confidence` (what Ground Truth's own consolidation writes there).
//!
//! - classification, single-label: the majority vote (`vote`), or Dawid-Skene's most probable
//!   class (`dawid-skene`, EM over every annotator's confusion matrix on the whole export);
//!   `confidence` is the share of annotators behind the vote, or the posterior probability.
//!   A tied vote has no label: the item is left out and counted (a reviewer decides it).
//! - classification, multi-label: a class is in the consensus when more than half chose it;
//!   `confidence` is the mean of `1 - MASI distance` to each annotator's set; a class chosen
//!   by exactly half is a tie: the item is left out and counted.
//! - ranking: per dimension the Kemeny-optimal order (up to six responses; Borda beyond) of the
//!   annotators who ranked every response; `confidence` is the mean pairwise support over
//!   the dimensions; several optimal orders or equal Borda points are flagged `tie: true`.
//!   Per-response classifications take their majority (a tied one is left out).
//!
//! Metadata carries `consensus: {method, annotations, annotators, tie}` beside `confidence`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use serde_json::{Map, Value, json};
use sift_core::{apply, named_enum};
use sift_quality::{DawidSkeneOptions, Ratings, dawid_skene, majority_labels, majority_vote, set_agreement};
use sift_store::{ExportFilter, ExportRow};
use sift_template::{ClassificationPayload, Payload, RankingPayload, Spec, export};

use super::gt::push_json_str;
use super::sink::write_error;
use super::{ExportOptions, ExportReport};
use crate::quality::rank_consensus;
use crate::{Error, Progress, Project, Result};

/// How `--consensus` combines the annotations of an item.
#[apply(named_enum!)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum ConsensusMethod {
    /// Majority vote (classification), Kemeny / Borda (ranking).
    Vote,
    /// Dawid-Skene (single-label classification only).
    DawidSkene,
}

impl ConsensusMethod {
    /// The method's name, as `--consensus` takes it (`dawid-skene`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl std::str::FromStr for ConsensusMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        sift_core::parse_name(s, "consensus method")
    }
}

/// One annotation of the item being gathered.
struct Ann {
    annotator: String,
    annotator_id: i64,
    payload: Payload,
}

/// The item whose annotations are being gathered (rows come ordered by item).
struct Open {
    item_id: i64,
    content: Vec<u8>,
    latest: String,
    anns: Vec<Ann>,
}

/// The consensus of one item, ready to write.
struct Outcome {
    payload: Payload,
    confidence: f64,
    method: &'static str,
    tie: bool,
}

impl Project {
    /// The consensus export (see the module documentation).
    pub(super) fn export_consensus(
        &self,
        w: &mut dyn Write,
        opts: &ExportOptions,
        method: ConsensusMethod,
        progress: &dyn Progress,
    ) -> Result<ExportReport> {
        let (single_label, kind_ok) = match self.template.spec() {
            Spec::Classification { rules, .. } => (!rules.multi_label, true),
            Spec::Ranking { .. } => (false, true),
            _ => (false, false),
        };
        if !kind_ok {
            return Err(Error::BadRequest(format!(
                "--consensus applies to classification and ranking projects; this project is {}",
                self.template.kind().as_str()
            )));
        }
        if method == ConsensusMethod::DawidSkene && !single_label {
            return Err(Error::BadRequest(
                "--consensus dawid-skene applies to single-label classification projects".into(),
            ));
        }
        let filter = ExportFilter {
            approved_only: opts.approved_only,
            batch: opts.batch.as_deref(),
        };
        let ds = match method {
            ConsensusMethod::DawidSkene => Some(self.dawid_skene_estimates(&filter)?),
            ConsensusMethod::Vote => None,
        };
        progress.start("exporting", Some(self.store.labelled_count(opts.approved_only)?));
        let mut writer = LineWriter::new(&self.template);
        let (mut annotations, mut records, mut no_consensus) = (0_u64, 0_u64, 0_u64);
        let mut open: Option<Open> = None;
        let mut flush = |o: Open, w: &mut dyn Write| -> Result<()> {
            match self.outcome(&o, ds.as_ref())? {
                Some(out) => {
                    writer.write(&self.template, &o, &out, w)?;
                    records += 1;
                }
                None => no_consensus += 1,
            }
            Ok(())
        };
        let result = self.store.for_each_labelled(&filter, |row: ExportRow<'_>| {
            annotations += 1;
            if annotations.is_multiple_of(65536) {
                progress.set_position(annotations);
            }
            let payload = super::sink::decode(self, &row)?.1;
            if open.as_ref().is_some_and(|o| o.item_id != row.item_id)
                && let Some(done) = open.take()
            {
                flush(done, w)?;
            }
            let o = open.get_or_insert_with(|| Open {
                item_id: row.item_id,
                content: row.content.to_vec(),
                latest: String::new(),
                anns: Vec::new(),
            });
            if row.submitted_at > o.latest.as_str() {
                o.latest = row.submitted_at.to_owned();
            }
            o.anns.push(Ann {
                annotator: row.annotator.to_owned(),
                annotator_id: row.annotator_id,
                payload,
            });
            Ok::<(), Error>(())
        })?;
        result?;
        if let Some(done) = open.take() {
            flush(done, w)?;
        }
        progress.finish();
        Ok(ExportReport {
            path: None,
            format: opts.format.as_str(),
            annotations,
            records,
            no_consensus: Some(no_consensus),
        })
    }

    /// Dawid-Skene over every exported single-label annotation: item id → (class, posterior,
    /// tie).
    fn dawid_skene_estimates(&self, filter: &ExportFilter<'_>) -> Result<BTreeMap<i64, (usize, f64, bool)>> {
        let Spec::Classification { rules, .. } = self.template.spec() else {
            return Ok(BTreeMap::new());
        };
        let mut records = Vec::new();
        let result = self.store.for_each_labelled(filter, |row: ExportRow<'_>| {
            if let Payload::Classification(p) = super::sink::decode(self, &row)?.1
                && let [label] = p.labels.as_slice()
                && let Some(class) = rules.class_index(label)
            {
                records.push((row.item_id, row.annotator_id, class));
            }
            Ok::<(), Error>(())
        })?;
        result?;
        let labelled =
            Ratings::from_records(records).map_err(|e| Error::Internal(format!("consensus: {e}")))?;
        let estimate = dawid_skene(
            &labelled.ratings,
            rules.classes.len(),
            DawidSkeneOptions::default(),
        )
        .map_err(|e| Error::BadRequest(format!("Dawid-Skene cannot run on this export: {e}")))?;
        Ok(labelled
            .units
            .iter()
            .zip(estimate.units)
            .filter_map(|(item, u)| u.map(|u| (*item, (u.label, u.confidence, u.tie))))
            .collect())
    }

    /// The consensus of one item; `None` for a classification tie.
    fn outcome(&self, o: &Open, ds: Option<&BTreeMap<i64, (usize, f64, bool)>>) -> Result<Option<Outcome>> {
        match self.template.spec() {
            Spec::Classification { rules, .. } => {
                let sets: Vec<BTreeSet<&str>> = o
                    .anns
                    .iter()
                    .filter_map(|a| match &a.payload {
                        Payload::Classification(p) => Some(p.labels.iter().map(String::as_str).collect()),
                        _ => None,
                    })
                    .collect();
                let labels_of = |labels: Vec<String>| {
                    Payload::Classification(ClassificationPayload { labels, unsure: None })
                };
                if let Some(ds) = ds {
                    let Some(&(class, posterior, tie)) = ds.get(&o.item_id) else {
                        return Ok(None);
                    };
                    if tie {
                        return Ok(None);
                    }
                    let name = rules.classes[class].name.clone();
                    return Ok(Some(Outcome {
                        payload: labels_of(vec![name]),
                        confidence: posterior,
                        method: "dawid-skene",
                        tie: false,
                    }));
                }
                if rules.multi_label {
                    let vote = majority_labels(sets.iter()).map_err(|e| Error::Internal(e.to_string()))?;
                    if vote.is_tie() || vote.labels.is_empty() {
                        return Ok(None);
                    }
                    let agreement = set_agreement(sets.iter(), &vote.labels)
                        .map_err(|e| Error::Internal(e.to_string()))?;
                    Ok(Some(Outcome {
                        payload: labels_of(vote.labels.iter().map(|s| (*s).to_owned()).collect()),
                        confidence: agreement,
                        method: "majority-vote",
                        tie: false,
                    }))
                } else {
                    let singles: Vec<&str> = sets.iter().filter_map(|s| s.first().copied()).collect();
                    let vote = majority_vote(singles.iter()).map_err(|e| Error::Internal(e.to_string()))?;
                    Ok(vote.label().map(|label| Outcome {
                        payload: labels_of(vec![(*label).to_owned()]),
                        confidence: vote.agreement(),
                        method: "majority-vote",
                        tie: false,
                    }))
                }
            }
            Spec::Ranking { .. } => Ok(Some(ranking_outcome(&o.anns))),
            _ => Ok(None),
        }
    }
}

/// Kemeny (or Borda) per dimension, the majority per response classification.
fn ranking_outcome(anns: &[Ann]) -> Outcome {
    let payloads: Vec<&RankingPayload> = anns
        .iter()
        .filter_map(|a| match &a.payload {
            Payload::Ranking(p) => Some(p),
            _ => None,
        })
        .collect();
    let dims: BTreeSet<&String> = payloads.iter().flat_map(|p| p.rankings.keys()).collect();
    let (mut rankings, mut supports, mut tie, mut method) = (BTreeMap::new(), Vec::new(), false, "kemeny");
    for dim in dims {
        let ids: BTreeSet<&String> = payloads
            .iter()
            .filter_map(|p| p.rankings.get(dim))
            .flat_map(|r| r.keys())
            .collect();
        let full: Vec<Vec<u32>> = payloads
            .iter()
            .filter_map(|p| {
                let r = p.rankings.get(dim)?;
                ids.iter().map(|id| r.get(*id).copied()).collect()
            })
            .collect();
        let Some((c, how)) = rank_consensus(&full) else {
            continue;
        };
        if how == "borda" {
            method = "borda";
        }
        tie |= c.tie;
        supports.extend(c.support);
        rankings.insert(
            dim.clone(),
            ids.iter().map(|id| (*id).clone()).zip(c.ranks).collect(),
        );
    }
    let mut classifications: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut chosen: BTreeMap<(&String, &String), Vec<&String>> = BTreeMap::new();
    for p in &payloads {
        for (response, by_name) in &p.classifications {
            for (name, option) in by_name {
                chosen.entry((response, name)).or_default().push(option);
            }
        }
    }
    for ((response, name), options) in chosen {
        if let Ok(vote) = majority_vote(options.iter().copied())
            && let Some(option) = vote.label()
        {
            classifications
                .entry(response.clone())
                .or_default()
                .insert(name.clone(), (*option).clone());
        }
    }
    let confidence = if supports.is_empty() {
        1.0
    } else {
        supports.iter().sum::<f64>() / supports.len() as f64
    };
    Outcome {
        payload: Payload::Ranking(RankingPayload {
            rankings,
            classifications,
            rationale: String::new(),
        }),
        confidence,
        method,
        tie,
    }
}

/// Writes consensus lines: the stored input line, the label, and the metadata.
struct LineWriter {
    label_key: Vec<u8>,
    meta_key: Vec<u8>,
    line: Vec<u8>,
}

impl LineWriter {
    fn new(template: &sift_template::Template) -> Self {
        let label = template.label_attribute();
        let mut label_key = Vec::new();
        push_json_str(&mut label_key, label);
        label_key.push(b':');
        let mut meta_key = Vec::new();
        push_json_str(&mut meta_key, &format!("{label}-metadata"));
        meta_key.push(b':');
        Self {
            label_key,
            meta_key,
            line: Vec::with_capacity(4096),
        }
    }

    fn write(
        &mut self,
        template: &sift_template::Template,
        o: &Open,
        out: &Outcome,
        w: &mut dyn Write,
    ) -> Result<()> {
        let (value, mut metadata) = match template.spec() {
            Spec::Classification { .. } => {
                let label = export::ground_truth_label(template, &out.payload)
                    .map_err(|e| Error::BadRequest(format!("item {}: {e}", o.item_id)))?;
                (label.value, label.metadata)
            }
            _ => (
                serde_json::to_value(&out.payload).map_err(|e| Error::Internal(e.to_string()))?,
                Map::new(),
            ),
        };
        metadata.insert("type".into(), json!(template.gt_type()));
        metadata.insert("job-name".into(), json!(template.job_name()));
        metadata.insert("human-annotated".into(), json!("yes"));
        metadata.insert("creation-date".into(), json!(o.latest));
        metadata.insert("confidence".into(), json!(round6(out.confidence)));
        if let Some(Value::Object(map)) = metadata.get_mut("confidence-map") {
            for v in map.values_mut() {
                *v = json!(round6(out.confidence));
            }
        }
        let mut annotators: Vec<(i64, &str)> = o
            .anns
            .iter()
            .map(|a| (a.annotator_id, a.annotator.as_str()))
            .collect();
        annotators.sort_unstable();
        metadata.insert(
            "consensus".into(),
            json!({
                "method": out.method,
                "annotations": o.anns.len(),
                "annotators": annotators.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
                "tie": out.tie,
            }),
        );
        metadata.insert("item-id".into(), json!(o.item_id));
        let l = &mut self.line;
        l.clear();
        let body = o.content.trim_ascii_end();
        let body = body.strip_suffix(b"}").unwrap_or(body);
        l.extend_from_slice(body);
        if !body.trim_ascii_end().ends_with(b"{") {
            l.push(b',');
        }
        l.extend_from_slice(&self.label_key);
        serde_json::to_writer(&mut *l, &value).map_err(|e| Error::Internal(e.to_string()))?;
        l.push(b',');
        l.extend_from_slice(&self.meta_key);
        serde_json::to_writer(&mut *l, &Value::Object(metadata))
            .map_err(|e| Error::Internal(e.to_string()))?;
        l.extend_from_slice(b"}\n");
        w.write_all(l).map_err(write_error)
    }
}

/// Six decimals: enough for any share of annotators, stable across platforms.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
