//! The documents of scoring in shards as they travel — the pool's index and item lines, a
//! model version's `model.json`, a worker's result lines, their trailer and `done.json` —
//! and their parsers. Everything read back is hostile: sizes are bounded before reading
//! (`MAX_*`), hashes are checked, and a parser refuses what does not fit, naming the object
//! and the line.

use serde::{Deserialize, Serialize};

use crate::sync::layout;
use crate::{Error, Result};

/// Version of these documents.
pub const SHARDS_VERSION: u32 = 1;
/// The most items a pool segment holds (a 100-million-item pool is 2,000 segments).
pub const POOL_SEGMENT_ITEMS: usize = 50_000;
/// The most bytes a pool segment is written with (a segment closes early when its lines
/// reach this).
pub const POOL_SEGMENT_BYTES: usize = 64 << 20;
/// The most bytes of a pool segment or a result segment a reader takes into memory.
pub const MAX_SEGMENT_BYTES: u64 = 128 << 20;
/// The most bytes of `pool/index.json`, `model.json` or `done.json` read into memory.
pub const MAX_INDEX_BYTES: u64 = 32 << 20;
/// The most segments a pool index may list.
pub const MAX_POOL_SEGMENTS: usize = 100_000;
/// The most bytes of one model file a worker downloads (ONNX's protobuf limit is 2 GiB; larger
/// models keep external data beside them).
pub const MAX_MODEL_FILE_BYTES: u64 = 8 << 30;

/// `pool/index.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PoolIndex {
    /// [`SHARDS_VERSION`].
    pub sift_pool: u32,
    /// Items in all segments.
    pub items: u64,
    /// The segments, in the order they were written.
    pub segments: Vec<PoolSegmentRef>,
}

/// One segment as the index lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PoolSegmentRef {
    /// `pool/<sha256>.jsonl`.
    pub key: String,
    /// SHA-256 of its bytes (hex), which its key also names.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// Item lines in it.
    pub items: u64,
}

/// One item of a pool segment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PoolLine {
    /// The item's content hash (32 hex digits).
    pub item: String,
    /// The manifest object as the lead imported it (JSON text, kept byte for byte so a worker
    /// hands the model exactly what the lead's own run would).
    pub content: String,
    /// The item's media reference (a remote URI, or a path on storage the workers share).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<String>,
    /// The media file in the bucket, when the lead pushed the pool with media: workers
    /// download it (checked against its size and SHA-256) and hand the model that copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_object: Option<MediaObject>,
}

/// A media file in the bucket (`media/<sha256>.<ext>`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct MediaObject {
    /// Its key.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// SHA-256 (hex) of its bytes.
    pub sha256: String,
}

/// `models/<name>@<version>/model.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelDoc {
    /// [`SHARDS_VERSION`].
    pub sift_model: u32,
    /// Registry name.
    pub name: String,
    /// Version under that name.
    pub version: i64,
    /// The model config (TOML), as registered.
    pub config: String,
    /// The model file's name among `files`.
    pub model_file: String,
    /// The model file and its assets.
    pub files: Vec<ModelFile>,
}

/// One file of a model version in the bucket.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelFile {
    /// File name (a plain name: no folders).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// SHA-256 (hex), checked after download.
    pub sha256: String,
}

/// One line of a score segment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScoreLine {
    /// The item's content hash (hex).
    pub item: String,
    /// Strategy name → score (absent values: the item failed).
    pub scores: Vec<(String, Option<f64>)>,
    /// Why the item could not be scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The vector kept for diversity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding: Option<Vec<f32>>,
}

/// One line of an embedding segment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VectorLine {
    /// The item's content hash (hex).
    pub item: String,
    /// The item's vector; `None` with `error` when the item had none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<Vec<f32>>,
    /// Why the item has no vector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Last line of a result segment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResultTrailer {
    /// What the trailer says; a segment without it is incomplete and never counts.
    pub end: ResultTrailerBody,
}

/// A result segment's trailer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResultTrailerBody {
    /// `<name>@<version>`.
    pub model: String,
    /// `I/N`.
    pub shard: String,
    /// Result lines before the trailer.
    pub lines: u64,
    /// SHA-256 (hex) of the bytes before the trailer.
    pub sha256: String,
    /// Where the worker ran (`cpu`, `cuda:0`) and its runtime.
    pub device: String,
    /// The runtime that ran the model.
    pub runtime: String,
}

/// `done.json`: a worker finished its shard of a pool.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardDone {
    /// [`SHARDS_VERSION`].
    pub sift_shard: u32,
    /// `<name>@<version>`.
    pub model: String,
    /// `I/N`.
    pub shard: String,
    /// SHA-256 of the `pool/index.json` the shard was taken from.
    pub pool_sha256: String,
    /// Items of the shard in that pool (all of them have a result line).
    pub items: u64,
    /// Result segments of the shard.
    pub segments: u64,
}

/// `value` as one JSON line.
pub(crate) fn json_line<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut v = serde_json::to_vec(value).map_err(|e| Error::Internal(e.to_string()))?;
    v.push(b'\n');
    Ok(v)
}

/// A whole JSON document from `body` (`file` names it in messages).
pub(crate) fn parse_doc<T: serde::de::DeserializeOwned>(body: &[u8], file: &str) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| Error::ManifestFile {
        file: file.to_owned(),
        reason: e.to_string(),
    })
}

/// The 16-byte item hash of a line, or an error naming the file and line.
pub(crate) fn item_hash(hex: &str, file: &str, line: u64) -> Result<[u8; 16]> {
    sift_core::hex::decode_array(hex).map_err(|_| Error::Manifest {
        file: file.to_owned(),
        line,
        reason: format!("item {hex:?} is not a 32-digit hex content hash"),
    })
}

/// Checks an index read from the store: known version, segment keys that name their hash, at
/// most [`MAX_POOL_SEGMENTS`], and counts that add up.
pub(crate) fn check_index(index: &PoolIndex, file: &str) -> Result<()> {
    let bad = |reason: String| Error::ManifestFile {
        file: file.to_owned(),
        reason,
    };
    if index.sift_pool != SHARDS_VERSION {
        return Err(bad(format!(
            "pool layout {} is not {SHARDS_VERSION}; update sift",
            index.sift_pool
        )));
    }
    if index.segments.len() > MAX_POOL_SEGMENTS {
        return Err(bad(format!(
            "{} segments, more than {MAX_POOL_SEGMENTS}",
            index.segments.len()
        )));
    }
    let mut sum = 0_u64;
    for s in &index.segments {
        if layout::pool_segment_sha(&s.key) != Some(s.sha256.as_str()) {
            return Err(bad(format!("segment {:?} is not pool/<its sha256>.jsonl", s.key)));
        }
        if s.size > MAX_SEGMENT_BYTES {
            return Err(bad(format!(
                "segment {} is {} bytes, more than {MAX_SEGMENT_BYTES}",
                s.key, s.size
            )));
        }
        sum = sum.saturating_add(s.items);
    }
    if sum != index.items {
        return Err(bad(format!(
            "segments hold {sum} items, the index says {}",
            index.items
        )));
    }
    Ok(())
}

/// Calls `f(hash, parse)` for each line of a pool segment whose bytes were checked against its
/// key: `hash` read from the line's start as the lead writes it (`{"item":"<32 hex>"`, else from
/// the parsed line), `parse` the whole line, checked, for the lines a worker keeps (a worker
/// reads every line of the pool and keeps 1/N of them: the others are not parsed).
pub(crate) fn for_each_pool_line(
    body: &[u8],
    file: &str,
    mut f: impl FnMut([u8; 16], &mut dyn FnMut() -> Result<PoolLine>) -> Result<()>,
) -> Result<()> {
    let text = std::str::from_utf8(body).map_err(|_| Error::ManifestFile {
        file: file.to_owned(),
        reason: "not UTF-8".into(),
    })?;
    for (i, l) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        crate::sync::check_line(l, file, line_no)?;
        let parse_line = || -> Result<PoolLine> {
            serde_json::from_str(l).map_err(|e| Error::Manifest {
                file: file.to_owned(),
                line: line_no,
                reason: e.to_string(),
            })
        };
        let quick = l
            .strip_prefix("{\"item\":\"")
            .and_then(|rest| rest.get(..32).filter(|_| rest.as_bytes().get(32) == Some(&b'"')))
            .and_then(|hex| sift_core::hex::decode_array::<16>(hex).ok());
        let hash = match quick {
            Some(h) => h,
            None => item_hash(&parse_line()?.item, file, line_no)?,
        };
        let mut parse = || -> Result<PoolLine> {
            let line = parse_line()?;
            if item_hash(&line.item, file, line_no)? != hash {
                return Err(Error::Manifest {
                    file: file.to_owned(),
                    line: line_no,
                    reason: "the item field does not match the line's start".into(),
                });
            }
            Ok(line)
        };
        f(hash, &mut parse)?;
    }
    Ok(())
}

/// A result segment: its lines (as `T`) and its trailer, checked: the trailer is the last
/// line, names this model and shard, counts the lines and hashes the bytes before it. A
/// segment that fails any of these (a worker killed while writing, a damaged object) is an
/// error and counts for nothing.
pub(crate) fn parse_result_segment<T: serde::de::DeserializeOwned>(
    body: &[u8],
    file: &str,
    model: &str,
    shard: &str,
) -> Result<(Vec<T>, ResultTrailerBody)> {
    let bad = |reason: String| Error::ManifestFile {
        file: file.to_owned(),
        reason,
    };
    let text = std::str::from_utf8(body).map_err(|_| bad("not UTF-8".into()))?;
    let trimmed = text
        .strip_suffix('\n')
        .ok_or_else(|| bad("no trailer: incomplete, not counted".into()))?;
    let (head, last) = match trimmed.rfind('\n') {
        Some(at) => (&text[..=at], &trimmed[at + 1..]),
        None => ("", trimmed),
    };
    let trailer: ResultTrailer =
        serde_json::from_str(last).map_err(|_| bad("no trailer: incomplete, not counted".into()))?;
    let end = trailer.end;
    if end.model != model || end.shard != shard {
        return Err(bad(format!(
            "the trailer names {} shard {}, not {model} shard {shard}",
            end.model, end.shard
        )));
    }
    let sha = crate::sync::sha256_hex(head.as_bytes());
    if !end.sha256.eq_ignore_ascii_case(&sha) {
        return Err(bad(
            "the lines do not match the trailer's SHA-256; not counted".into()
        ));
    }
    let mut lines = Vec::new();
    for (i, l) in head.lines().enumerate() {
        crate::sync::check_line(l, file, i as u64 + 1)?;
        lines.push(serde_json::from_str(l).map_err(|e| Error::Manifest {
            file: file.to_owned(),
            line: i as u64 + 1,
            reason: e.to_string(),
        })?);
    }
    if lines.len() as u64 != end.lines {
        return Err(bad(format!(
            "{} lines, the trailer says {}",
            lines.len(),
            end.lines
        )));
    }
    Ok((lines, end))
}

/// Item hashes of a parsed result segment's lines (for resuming and merging).
pub(crate) trait ResultLine {
    /// The line's item hash, as hex.
    fn item(&self) -> &str;
}

impl ResultLine for ScoreLine {
    fn item(&self) -> &str {
        &self.item
    }
}

impl ResultLine for VectorLine {
    fn item(&self) -> &str {
        &self.item
    }
}
