//! The documents of the remote layout as they travel (`project.json`, batch headers and
//! assignment lines, result segments with their trailer, review files) and their parsers.
//! Everything read back is treated as hostile: a parser refuses what does not fit, naming the
//! object and the line, and no line may be longer than [`MAX_LINE_BYTES`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sift_store::{RemoteVersion, SyncedReview};

use super::digest::parse_hash;
use crate::{Error, Result};

/// The longest line of a sync document (an assignment, a review, a segment's version or
/// trailer, a batch manifest's item): the limit of manifest lines on import. A longer line is
/// refused before it is parsed.
pub(super) const MAX_LINE_BYTES: usize = sift_manifest::DEFAULT_MAX_LINE_BYTES;

/// Refuses line `line` of `file` when it is longer than [`MAX_LINE_BYTES`].
pub(crate) fn check_line_length(text: &str, file: &str, line: u64) -> Result<()> {
    if text.len() > MAX_LINE_BYTES {
        return Err(Error::Manifest {
            file: file.to_owned(),
            line,
            reason: format!(
                "{} bytes long, longer than the {MAX_LINE_BYTES} bytes a line may have; not read",
                text.len()
            ),
        });
    }
    Ok(())
}

/// `project.json`.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ProjectDoc {
    /// The layout version ([`LAYOUT_VERSION`](super::LAYOUT_VERSION)) it was written with.
    pub sift_sync: u32,
    /// The lead's project name; a joining annotator's project takes it.
    pub name: String,
    /// The hash of the template text, as the project stores it.
    pub template_hash: String,
    /// The lead's template, from which a joining annotator's project is made.
    pub template_text: String,
    /// Annotators who write their results to a bucket of their own, and that bucket.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub results_buckets: BTreeMap<String, String>,
}

/// First line of `batches/<b>/assignments.jsonl`.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct BatchHeader {
    /// The layout version it was written with.
    pub sift_batch: u32,
    /// The batch's name.
    pub batch: String,
    /// SHA-256 (hex) of the batch's `manifest.jsonl`, so a reader can tell the two match.
    pub manifest_sha256: String,
    /// Assignment lines that follow.
    pub items: u64,
}

/// An item's media object, as an assignment line names it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct MediaDoc {
    /// `media/<sha256>.<ext>`, relative to the prefix.
    pub key: String,
    /// The file's size in bytes.
    pub size: u64,
    /// SHA-256 (hex) of the file, checked after download.
    pub sha256: String,
}

/// One item of `batches/<b>/assignments.jsonl`.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct AssignmentLine {
    /// The item's content hash (hex), which names it on every copy.
    pub item: String,
    /// Its place in the batch (0 first).
    pub position: i64,
    /// Who it is assigned to.
    pub annotators: Vec<String>,
    /// Its media object, when the lead pushes media.
    #[serde(default)]
    pub media: Option<MediaDoc>,
}

/// One saved version in a result segment.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct SegmentLine<'a> {
    /// The item's content hash (hex).
    pub item: String,
    /// The annotation version the line holds.
    pub version: i64,
    /// `draft` or `submitted`.
    pub kind: String,
    /// The saved payload, passed through as written.
    #[serde(borrow)]
    pub payload: &'a serde_json::value::RawValue,
    /// Time spent on this save, in milliseconds.
    pub time_spent_ms: i64,
    /// When the version was saved (RFC 3339, UTC).
    pub created_at: String,
}

/// First line of `batches/<b>/reviews/<annotator>.jsonl`.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ReviewsHeader {
    /// The layout version it was written with.
    pub sift_reviews: u32,
    /// The batch the reviewed work belongs to.
    pub batch: String,
    /// Whose work was reviewed.
    pub annotator: String,
    /// Review lines that follow.
    pub reviews: u64,
}

/// One review in `batches/<b>/reviews/<annotator>.jsonl`.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ReviewLine {
    /// The item's content hash (hex).
    pub item: String,
    /// The submitted version judged.
    pub version: i64,
    /// Approved or returned.
    pub decision: sift_store::Decision,
    /// The reviewer's comment.
    pub comment: Option<String>,
    /// Where the comment points (JSON text: a span, an object or a time).
    pub anchor: Option<String>,
    /// Who reviewed.
    pub reviewer: String,
    /// When (RFC 3339, UTC).
    pub created_at: String,
}

/// Last line of a result segment.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct SegmentTrailer {
    /// The trailer's contents; a segment without it is incomplete and not merged.
    pub end: TrailerBody,
}

/// What a segment's trailer says: its writer, its batch and how many version lines it has.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct TrailerBody {
    /// Who wrote the segment.
    pub annotator: String,
    /// The batch its versions belong to.
    pub batch: String,
    /// Version lines before the trailer.
    pub lines: u64,
}

/// `value` as one JSON line.
pub(super) fn json_line<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut v = serde_json::to_vec(value).map_err(|e| Error::Internal(e.to_string()))?;
    v.push(b'\n');
    Ok(v)
}

/// Reads `batches/<b>/assignments.jsonl` (`file` names it in messages): its header, and the
/// lines that assign an item to `annotator`, with their line numbers.
pub(super) fn parse_assignments(
    body: &[u8],
    file: &str,
    annotator: &str,
) -> Result<(BatchHeader, Vec<(u64, AssignmentLine)>)> {
    let text = std::str::from_utf8(body).map_err(|_| Error::ManifestFile {
        file: file.to_owned(),
        reason: "not UTF-8".into(),
    })?;
    let mut lines = text.lines().enumerate();
    let header: BatchHeader = match lines.next() {
        Some((_, l)) => check_line_length(l, file, 1).and_then(|()| {
            serde_json::from_str(l).map_err(|e| Error::Manifest {
                file: file.to_owned(),
                line: 1,
                reason: format!("batch header: {e}"),
            })
        })?,
        None => {
            return Err(Error::ManifestFile {
                file: file.to_owned(),
                reason: "empty".into(),
            });
        }
    };
    let mut mine = Vec::new();
    for (i, l) in lines {
        check_line_length(l, file, i as u64 + 1)?;
        let a: AssignmentLine = serde_json::from_str(l).map_err(|e| Error::Manifest {
            file: file.to_owned(),
            line: i as u64 + 1,
            reason: e.to_string(),
        })?;
        if a.annotators.iter().any(|x| x == annotator) {
            mine.push((i as u64 + 1, a));
        }
    }
    Ok((header, mine))
}

/// Reads a reviews file: a header naming the batch, the annotator and the count, then one
/// review a line. Anything that does not match is refused whole, with file and line.
pub(super) fn parse_reviews(
    body: &[u8],
    file: &str,
    batch: &str,
    annotator: &str,
) -> Result<Vec<(u64, SyncedReview)>> {
    let bad = |line: u64, reason: String| Error::Manifest {
        file: file.to_owned(),
        line,
        reason,
    };
    let text = std::str::from_utf8(body).map_err(|_| bad(0, "not UTF-8".into()))?;
    let mut lines = text.lines();
    let header: ReviewsHeader = lines
        .next()
        .ok_or_else(|| bad(1, "empty".into()))
        .and_then(|l| check_line_length(l, file, 1).map(|()| l))
        .and_then(|l| serde_json::from_str(l).map_err(|e| bad(1, format!("reviews header: {e}"))))?;
    if header.batch != batch || header.annotator != annotator {
        return Err(bad(
            1,
            format!(
                "header names {}/{}, the file is under {batch}/{annotator}",
                header.batch, header.annotator
            ),
        ));
    }
    let mut out = Vec::new();
    for (i, l) in lines.enumerate() {
        let line = i as u64 + 2;
        check_line_length(l, file, line)?;
        let r: ReviewLine = serde_json::from_str(l).map_err(|e| bad(line, e.to_string()))?;
        let item_hash = parse_hash(&r.item)
            .ok_or_else(|| bad(line, format!("field \"item\": {:?} is not a hash", r.item)))?;
        if r.version < 1 {
            return Err(bad(
                line,
                format!("field \"version\": {} is not a version number", r.version),
            ));
        }
        crate::validate_person_name(&r.reviewer)
            .map_err(|e| bad(line, format!("field \"reviewer\": {e}")))?;
        if let Some(anchor) = &r.anchor {
            serde_json::from_str::<serde_json::Value>(anchor)
                .map_err(|e| Error::BadRequest(format!("not JSON: {e}")))
                .and_then(|v| crate::annotate::check_anchor(&v))
                .map_err(|e| bad(line, format!("field \"anchor\": {e}")))?;
        }
        out.push((
            line,
            SyncedReview {
                item_hash,
                version: r.version,
                decision: r.decision,
                comment: r.comment,
                anchor: r.anchor,
                reviewer: r.reviewer,
                created_at: r.created_at,
            },
        ));
    }
    if out.len() as u64 != header.reviews {
        return Err(bad(
            out.len() as u64 + 1,
            format!(
                "header says {} reviews, the file has {}: incomplete; not applied",
                header.reviews,
                out.len()
            ),
        ));
    }
    Ok(out)
}

/// Reads a segment: version lines, then a trailer naming its writer and line count. A
/// segment without its trailer is incomplete and rejected as a whole.
pub(super) fn parse_segment(
    body: &[u8],
    key: &str,
    annotator: &str,
    batch: &str,
) -> Result<Vec<RemoteVersion>> {
    let bad = |line: u64, reason: String| Error::Manifest {
        file: key.to_owned(),
        line,
        reason,
    };
    let text = std::str::from_utf8(body).map_err(|_| bad(0, "not UTF-8".into()))?;
    let lines: Vec<&str> = text.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        check_line_length(l, key, i as u64 + 1)?;
    }
    let trailer: SegmentTrailer = lines
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| {
            bad(
                lines.len() as u64,
                "no trailer line: the segment is incomplete; not merged".into(),
            )
        })?;
    if trailer.end.annotator != annotator
        || trailer.end.batch != batch
        || trailer.end.lines != lines.len() as u64 - 1
    {
        return Err(bad(
            lines.len() as u64,
            format!(
                "trailer says {} lines of {}/{}, the segment has {} lines under {annotator}/{batch}; not merged",
                trailer.end.lines,
                trailer.end.annotator,
                trailer.end.batch,
                lines.len() - 1
            ),
        ));
    }
    let mut out = Vec::with_capacity(lines.len() - 1);
    for (i, l) in lines[..lines.len() - 1].iter().enumerate() {
        let line = i as u64 + 1;
        let s: SegmentLine<'_> = serde_json::from_str(l).map_err(|e| bad(line, e.to_string()))?;
        let item_hash = parse_hash(&s.item)
            .ok_or_else(|| bad(line, format!("field \"item\": {:?} is not a hash", s.item)))?;
        let submitted = match s.kind.as_str() {
            "submitted" => true,
            "draft" => false,
            other => {
                return Err(bad(
                    line,
                    format!("field \"kind\": {other:?} is not draft or submitted"),
                ));
            }
        };
        if s.version < 1 {
            return Err(bad(
                line,
                format!("field \"version\": {} is not a version number", s.version),
            ));
        }
        if !s.payload.get().trim_start().starts_with('{') {
            return Err(bad(line, "field \"payload\": not a JSON object".into()));
        }
        out.push(RemoteVersion {
            item_hash,
            version: s.version,
            submitted,
            payload: s.payload.get().to_owned(),
            time_spent_ms: s.time_spent_ms,
            created_at: s.created_at,
            line,
        });
    }
    Ok(out)
}
