//! Machine labels in the Ground Truth output manifest: after the human lines, one line per
//! live machine label of an item no person has labeled, marked `"human-annotated": "no"` with
//! the label's `confidence` (as Ground Truth marks its own automated labels), plus the model
//! and autolabel run that gave it.

use std::collections::HashSet;
use std::io::Write;

use serde_json::{Map, Value, json};
use sift_template::Kind;
use sift_template::export::ground_truth_label;

use crate::export::{ExportFormat, ExportOptions};
use crate::{Error, Project, Result};

impl Project {
    /// Writes the machine-label lines of a Ground Truth export; returns how many. Nothing for
    /// other formats, for `--approved` (machine labels are never approved), or with
    /// `human_only`.
    pub(crate) fn write_machine_labels_gt(&self, w: &mut dyn Write, opts: &ExportOptions) -> Result<u64> {
        if opts.format != ExportFormat::Gt || opts.approved_only || opts.human_only {
            return Ok(0);
        }
        let labels = self.store.machine_labels(None)?;
        if labels.is_empty() {
            return Ok(0);
        }
        let in_batch: Option<HashSet<i64>> = match &opts.batch {
            Some(name) => {
                let id = self
                    .store
                    .batch_by_name(name)?
                    .ok_or_else(|| Error::NotFound(format!("batch {name:?}")))?;
                Some(self.store.batch_item_ids(id)?.into_iter().collect())
            }
            None => None,
        };
        // A person's label supersedes a machine label of the same item.
        let human: HashSet<i64> = self
            .store
            .training_annotations(false)?
            .into_iter()
            .map(|a| a.item_id)
            .collect();
        let t = &self.template;
        let label_key = t.label_attribute();
        let mut models: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
        let mut written = 0;
        let mut line = Vec::with_capacity(4096);
        for m in labels {
            if human.contains(&m.item_id) || in_batch.as_ref().is_some_and(|b| !b.contains(&m.item_id)) {
                continue;
            }
            let Some(item) = self.store.item(m.item_id)? else {
                continue;
            };
            let payload: Value = serde_json::from_str(&m.payload)
                .map_err(|e| Error::Internal(format!("machine label of item {}: {e}", m.item_id)))?;
            let payload = t.parse_payload(&payload).map_err(|v| {
                Error::BadRequest(format!(
                    "item {}: the machine label no longer fits the template: {}",
                    m.item_id,
                    v.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
                ))
            })?;
            let mut metadata = Map::new();
            let value = if t.kind() == Kind::Classification {
                let gt = ground_truth_label(t, &payload)
                    .map_err(|e| Error::BadRequest(format!("item {}: {e}", m.item_id)))?;
                metadata.extend(gt.metadata);
                gt.value
            } else {
                serde_json::to_value(&payload).map_err(|e| Error::Internal(e.to_string()))?
            };
            let model = match models.get(&m.model_version_id) {
                Some(label) => label.clone(),
                None => {
                    let label = self
                        .store
                        .model_version_by_id(m.model_version_id)?
                        .map_or_else(|| "unknown".to_owned(), |r| format!("{}@{}", r.name, r.version));
                    models.insert(m.model_version_id, label.clone());
                    label
                }
            };
            metadata.insert("type".into(), json!(t.gt_type()));
            metadata.insert("job-name".into(), json!(t.job_name()));
            metadata.insert("human-annotated".into(), json!("no"));
            metadata.insert("confidence".into(), json!(m.confidence));
            metadata.insert("creation-date".into(), json!(m.created_at));
            metadata.insert("model".into(), json!(model));
            metadata.insert("autolabel-run".into(), json!(m.run_id));
            metadata.insert("item-id".into(), json!(m.item_id));
            // The stored input line, byte for byte, then the label and its metadata.
            line.clear();
            let body = item.content.trim_end();
            let body = body.strip_suffix('}').unwrap_or(body);
            line.extend_from_slice(body.as_bytes());
            if !body.trim_end().ends_with('{') {
                line.push(b',');
            }
            serde_json::to_writer(&mut line, label_key).map_err(|e| Error::Internal(e.to_string()))?;
            line.push(b':');
            serde_json::to_writer(&mut line, &value).map_err(|e| Error::Internal(e.to_string()))?;
            line.push(b',');
            serde_json::to_writer(&mut line, &format!("{label_key}-metadata"))
                .map_err(|e| Error::Internal(e.to_string()))?;
            line.push(b':');
            serde_json::to_writer(&mut line, &metadata).map_err(|e| Error::Internal(e.to_string()))?;
            line.extend_from_slice(b"}\n");
            w.write_all(&line)
                .map_err(|e| Error::io("cannot write the export", "output", e))?;
            written += 1;
        }
        Ok(written)
    }
}
