//! The writing half of an import: what the reader thread sends, added to the project in one
//! transaction, [`WRITE_BATCH`] lines at a time (their items in one go, whose content hashes
//! the store checks in sorted order; then their labels and predictions, in line order).

use crossbeam_channel::Receiver;
use sift_manifest::ManifestFormat;
use sift_store::{ImportStats, InsertOutcome, NewImport, NewItem};

use super::{
    ImportOptions, ImportReport, MAX_LISTED, Msg, Parsed, PendingImport, Record, SkippedLine, Target,
};
use crate::{Error, Result};

/// Inserts what the reader sends, in one transaction that it returns uncommitted (`None`
/// when the file held no lines: nothing to record).
pub(super) fn write_all<'s>(
    store: &'s mut sift_store::Store,
    rx: &Receiver<Msg>,
    target: &Target<'_>,
    opts: &ImportOptions,
    report: &mut ImportReport,
) -> Result<Option<PendingImport<'s>>> {
    let Target { display, root, .. } = *target;
    let format_name = match target.format {
        ManifestFormat::GroundTruth => "gt",
        ManifestFormat::LabelStudio => "label-studio",
    };
    let new = NewImport {
        file: display,
        format: format_name,
        media_root: None,
    };
    let mut itx = if target.bulk {
        store.begin_bulk_import(&new)?
    } else {
        store.begin_import(&new)?
    };
    let mut writer = Writer {
        itx: &mut itx,
        target,
        opts,
        report,
        stats: ImportStats::default(),
        root_used: false,
        records: Vec::with_capacity(WRITE_BATCH),
    };
    let mut pending: Vec<Parsed> = Vec::with_capacity(WRITE_BATCH);
    for msg in rx.iter() {
        match msg {
            Msg::Fatal(e) => return Err(e),
            Msg::Batch(b) if pending.is_empty() && b.len() >= WRITE_BATCH => pending = b,
            Msg::Batch(mut b) => pending.append(&mut b),
        }
        if pending.len() >= WRITE_BATCH {
            writer.write(&mut pending)?;
        }
    }
    writer.write(&mut pending)?;
    let Writer { stats, root_used, .. } = writer;
    report.lines = stats.lines;
    report.added = stats.added;
    report.duplicates = stats.duplicates;
    report.skipped = stats.skipped;
    report.labels_added = stats.labels_added;
    if stats.lines == 0 {
        return Ok(None); // nothing to record: the transaction rolls back
    }
    if root_used {
        itx.add_media_root(&root.path)?;
    }
    let details = serde_json::json!({
        "file": display, "format": format_name, "lines": stats.lines, "added": stats.added,
        "duplicates": stats.duplicates, "skipped": stats.skipped, "labels_added": stats.labels_added,
        "predictions_added": report.predictions_added,
    });
    Ok(Some(PendingImport { itx, stats, details }))
}

/// Lines the writer adds at a time: their hashes are checked in sorted order
/// (`sift_store::ImportTx::insert_items`), so the more the faster, up to the memory they hold.
pub(super) const WRITE_BATCH: usize = 16 * 1024;

/// The writer's state while an import's lines arrive.
struct Writer<'w, 's> {
    itx: &'w mut sift_store::ImportTx<'s>,
    target: &'w Target<'w>,
    opts: &'w ImportOptions,
    report: &'w mut ImportReport,
    stats: ImportStats,
    /// Whether a line had local media (the media root is then checked and recorded).
    root_used: bool,
    /// The valid lines of the batch being written, with their line numbers.
    records: Vec<(u64, Record)>,
}

impl Writer<'_, '_> {
    /// Writes a batch of parsed lines (emptying `batch`): the invalid ones are refused or
    /// listed, the items added in one go, then their labels and predictions in line order.
    fn write(&mut self, batch: &mut Vec<Parsed>) -> Result<()> {
        let display = self.target.display;
        self.records.clear();
        for parsed in batch.drain(..) {
            self.stats.lines += 1;
            let record = match parsed.record {
                Ok(r) => r,
                Err(reason) => {
                    if !self.opts.skip_invalid {
                        return Err(Error::Manifest {
                            file: display.to_owned(),
                            line: parsed.line,
                            reason: format!(
                                "{reason} (nothing was imported; fix the line or use --skip-invalid)"
                            ),
                        });
                    }
                    self.stats.skipped += 1;
                    if self.report.skipped_lines.len() < MAX_LISTED {
                        self.report.skipped_lines.push(SkippedLine {
                            line: parsed.line,
                            reason,
                        });
                    }
                    continue;
                }
            };
            if record.media_local && !self.root_used {
                self.target.root.check(display, parsed.line)?;
                self.root_used = true;
            }
            self.report.annotations_left_out += record.left_out;
            if let Some(path) = &record.media_missing {
                self.report.missing_media += 1;
                if self.report.missing_media_lines.len() < MAX_LISTED {
                    self.report.missing_media_lines.push(SkippedLine {
                        line: parsed.line,
                        reason: format!("media file not found: {path}"),
                    });
                }
            }
            self.records.push((parsed.line, record));
        }
        let items: Vec<NewItem<'_>> = self
            .records
            .iter()
            .map(|(line, r)| NewItem {
                content: &r.content,
                hash: &r.hash,
                media_ref: r.media.as_deref(),
                line: *line,
            })
            .collect();
        let outcomes = self.itx.insert_items(&items)?.to_vec();
        drop(items);
        let records = std::mem::take(&mut self.records);
        for ((_, record), outcome) in records.iter().zip(outcomes) {
            let item_id = match outcome {
                InsertOutcome::Added(id) => {
                    self.stats.added += 1;
                    Some(id)
                }
                InsertOutcome::Duplicate => {
                    self.stats.duplicates += 1;
                    if record.labels.is_empty() && record.predictions.is_empty() {
                        None
                    } else {
                        self.itx.item_id_by_hash(&record.hash)?
                    }
                }
            };
            if let Some(item_id) = item_id {
                self.add_labels(item_id, record)?;
            }
        }
        self.records = records; // kept for its capacity
        Ok(())
    }

    /// Stores a line's existing labels and predictions with its item.
    fn add_labels(&mut self, item_id: i64, record: &Record) -> Result<()> {
        let itx = &mut *self.itx;
        for label in &record.labels {
            let annotator = itx.ensure_annotator(&label.annotator)?;
            let reviewer = match &label.reviewer {
                Some(r) => Some(itx.ensure_annotator(r)?),
                None => None,
            };
            let created = label.created_at.clone().unwrap_or_else(sift_core::now_rfc3339);
            if itx.import_label(item_id, annotator, &label.payload, &created, reviewer)? {
                self.stats.labels_added += 1;
            }
        }
        for p in &record.predictions {
            let created = p.created_at.clone().unwrap_or_else(sift_core::now_rfc3339);
            let new = sift_store::NewImportedPrediction {
                format: p.format,
                model_version: &p.model_version,
                payload: &p.payload,
                score: p.score,
                created_at: &created,
            };
            if itx.import_prediction(item_id, &new)? {
                self.report.predictions_added += 1;
            }
        }
        Ok(())
    }
}
