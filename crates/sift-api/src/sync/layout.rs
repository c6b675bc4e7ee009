//! The remote layout's keys: how each object is named, and reading a listed key back into
//! what it names (refusing anything that does not fit the layout).
//!
//! ```text
//! <prefix>/project.json                          lead: name, template snapshot and its hash
//! <prefix>/batches/<batch>/manifest.jsonl        lead: the batch's items, one manifest line each
//! <prefix>/batches/<batch>/assignments.jsonl     lead: header (with the manifest's SHA-256), then
//!                                                      one line per item: hash, position, annotators, media
//! <prefix>/batches/<batch>/reviews/<annotator>.jsonl
//!                                                lead: every review of that annotator's work in the batch
//! <prefix>/media/<sha256>.<ext>                  lead: media, named by content (same key = same bytes)
//! <prefix>/results/<annotator>/<batch>/<seq>.jsonl
//!                                                annotator: append-only segments of saved versions,
//!                                                      each ending with a trailer line
//! <prefix>/pool/index.json                       lead: the pool's segments, their SHA-256, sizes and
//!                                                      item counts (the one pool object rewritten)
//! <prefix>/pool/<sha256>.jsonl                   lead: a segment of unlabeled items, named by content
//! <prefix>/models/<name>@<version>/model.json    lead: a model version's config and files
//! <prefix>/models/<name>@<version>/<file>        lead: the model file and its assets
//! <prefix>/scores/<name>@<version>/<I>-of-<N>/<seq>.jsonl
//!                                                worker I of N: scores, each segment with a trailer
//! <prefix>/embeddings/<name>@<version>/<I>-of-<N>/<seq>.jsonl
//!                                                worker I of N: vectors, likewise
//! <prefix>/{scores,embeddings}/<name>@<version>/<I>-of-<N>/done.json
//!                                                worker I of N: the shard is finished (for a pool)
//! ```
//!
//! Workers write `scores/` and `embeddings/` to the results bucket when the lead names one
//! (their key may write there and nowhere else), else beside the pool.

use std::path::Path;

use super::config::check_key_segment;
use super::digest::parse_sha;

/// Version of the remote layout written in `project.json` and batch headers.
pub const LAYOUT_VERSION: u32 = 1;

/// The lead's project document.
pub(super) const PROJECT_KEY: &str = "project.json";

/// Suffix of the probe key an annotator writes once to learn whether the store honours
/// conditional writes.
pub(super) const PROBE_SUFFIX: &str = "/.conditional-write-probe";

/// `batches/<batch>/manifest.jsonl`.
pub(super) fn manifest_key(batch: &str) -> String {
    format!("batches/{batch}/manifest.jsonl")
}

/// `batches/<batch>/assignments.jsonl`.
pub(super) fn assignments_key(batch: &str) -> String {
    format!("batches/{batch}/assignments.jsonl")
}

/// `batches/<batch>/reviews/<annotator>.jsonl`.
pub(super) fn reviews_key(batch: &str, annotator: &str) -> String {
    format!("batches/{batch}/reviews/{annotator}.jsonl")
}

/// `results/<annotator>/<batch>/`: the folder of one annotator's segments for one batch.
pub(super) fn segment_dir(annotator: &str, batch: &str) -> String {
    format!("results/{annotator}/{batch}/")
}

/// `results/<annotator>/.conditional-write-probe`.
pub(super) fn probe_key(annotator: &str) -> String {
    format!("results/{annotator}{PROBE_SUFFIX}")
}

/// `results/<annotator>/<batch>/<seq>.jsonl` → (annotator, batch).
pub(super) fn parse_segment_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix("results/")?;
    let mut parts = rest.split('/');
    let annotator = parts.next()?;
    let batch = parts.next()?;
    let file = parts.next()?;
    if parts.next().is_some()
        || crate::validate_person_name(annotator).is_err()
        || check_key_segment(annotator, "").is_err()
        || check_key_segment(batch, "").is_err()
    {
        return None;
    }
    let seq = file.strip_suffix(".jsonl")?;
    (!seq.is_empty() && seq.bytes().all(|b| b.is_ascii_digit())).then_some((annotator, batch))
}

/// The sequence number of a segment key directly under `dir` (a [`segment_dir`]).
pub(super) fn segment_seq(key: &str, dir: &str) -> Option<u64> {
    key.strip_prefix(dir)?.strip_suffix(".jsonl")?.parse().ok()
}

/// The batch of `batches/<batch>/assignments.jsonl`.
pub(super) fn assignments_key_batch(key: &str) -> Option<&str> {
    key.strip_prefix("batches/")
        .and_then(|k| k.strip_suffix("/assignments.jsonl"))
        .filter(|b| check_key_segment(b, "batch").is_ok())
}

/// The batch of `batches/<batch>/reviews/<annotator>.jsonl`, for this annotator's file only.
pub(super) fn reviews_key_batch<'k>(key: &'k str, annotator: &str) -> Option<&'k str> {
    let rest = key.strip_prefix("batches/")?;
    let (batch, file) = rest.split_once("/reviews/")?;
    let who = file.strip_suffix(".jsonl")?;
    (who == annotator && check_key_segment(batch, "batch").is_ok()).then_some(batch)
}

/// `media/<sha256>.<ext>` (the extension kept when it is short and plain).
pub(super) fn media_key(sha: &str, path: &Path) -> String {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .filter(|e| !e.is_empty() && e.len() <= 8 && e.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(str::to_ascii_lowercase);
    match ext {
        Some(ext) => format!("media/{sha}.{ext}"),
        None => format!("media/{sha}"),
    }
}

/// Whether `key` is a media object of this layout (and so a safe file name).
pub(crate) fn is_media_key(key: &str) -> bool {
    key.strip_prefix("media/").is_some_and(|name| {
        let (sha, ext) = name.split_once('.').unwrap_or((name, ""));
        parse_sha(sha).is_some() && ext.len() <= 8 && ext.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

/// The file name a media object is downloaded to.
pub(crate) fn media_file_name(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

/// `pool/index.json`: the pool's segments.
pub(crate) const POOL_INDEX_KEY: &str = "pool/index.json";

/// `pool/<sha256>.jsonl`.
pub(crate) fn pool_segment_key(sha: &str) -> String {
    format!("pool/{sha}.jsonl")
}

/// The SHA-256 a `pool/<sha256>.jsonl` key names.
pub(crate) fn pool_segment_sha(key: &str) -> Option<&str> {
    key.strip_prefix("pool/")?
        .strip_suffix(".jsonl")
        .filter(|sha| parse_sha(sha).is_some())
}

/// `models/<name>@<version>/`: a model version's folder.
pub(crate) fn model_dir(label: &str) -> String {
    format!("models/{label}/")
}

/// `scores/` or `embeddings/`: the two kinds of worker results.
pub(crate) const RESULT_KINDS: [&str; 2] = ["scores", "embeddings"];

/// `<kind>/<name>@<version>/<I>-of-<N>/`: one shard's results.
pub(crate) fn shard_dir(kind: &str, label: &str, shard: &str) -> String {
    format!("{kind}/{label}/{shard}/")
}

/// `<kind>/<name>@<version>/<I>-of-<N>/done.json`.
pub(crate) fn shard_done_key(kind: &str, label: &str, shard: &str) -> String {
    format!("{kind}/{label}/{shard}/done.json")
}

/// What a listed key under `scores/` or `embeddings/` is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShardKey<'k> {
    /// `scores` or `embeddings`.
    pub kind: &'k str,
    /// `<name>@<version>`.
    pub label: &'k str,
    /// `I`.
    pub index: u32,
    /// `N`.
    pub count: u32,
    /// The segment's sequence number; `None` for `done.json`.
    pub seq: Option<u64>,
}

/// Reads `<kind>/<name>@<version>/<I>-of-<N>/(<seq>.jsonl|done.json)` back; anything else
/// (another file, a name outside the alphabet, `I >= N`) is `None`.
pub(crate) fn parse_shard_key(key: &str) -> Option<ShardKey<'_>> {
    let mut parts = key.split('/');
    let kind = parts.next().filter(|k| RESULT_KINDS.contains(k))?;
    let label = parts.next().filter(|l| check_key_segment(l, "").is_ok())?;
    let (name, version) = label.rsplit_once('@')?;
    if name.is_empty() || version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (index, count) = parts.next()?.split_once("-of-")?;
    let (index, count): (u32, u32) = (index.parse().ok()?, count.parse().ok()?);
    if index >= count {
        return None;
    }
    let file = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let seq = if file == "done.json" {
        None
    } else {
        let seq = file.strip_suffix(".jsonl")?;
        if seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(seq.parse().ok()?)
    };
    Some(ShardKey {
        kind,
        label,
        index,
        count,
        seq,
    })
}
