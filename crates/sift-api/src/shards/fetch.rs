//! What a worker downloads besides the pool: a model version's files by name
//! ([`fetch_model`], from `models/<name>@<version>/model.json`) and the media its items name
//! (`fetch_media`), each checked against its size and SHA-256 before it is used.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::wire::{MAX_INDEX_BYTES, MAX_MODEL_FILE_BYTES, ModelDoc, PoolLine, SHARDS_VERSION, parse_doc};
use crate::sync::layout::{POOL_INDEX_KEY, model_dir};
use crate::sync::{DownloadJob, ObjectStore};
use crate::{Error, Result};

/// A model version pulled from the bucket.
#[derive(Debug, Clone)]
pub struct PulledModel {
    /// Its `model.json`.
    pub doc: ModelDoc,
    /// The folder holding its files.
    pub dir: PathBuf,
    /// The model file.
    pub path: PathBuf,
}

/// Downloads `models/<name>@<version>/` into `cache/<name>@<version>/` (files already there
/// with the right hash are kept; every download is checked against `model.json`).
pub fn fetch_model(remote: &dyn ObjectStore, label: &str, cache: &Path) -> Result<PulledModel> {
    if !crate::sync::is_key_segment(label) || !label.contains('@') {
        return Err(Error::BadRequest(format!("model {label:?}: write NAME@VERSION")));
    }
    let dir = model_dir(label);
    let key = format!("{dir}model.json");
    let fetched = remote.get(&key, MAX_INDEX_BYTES)?.ok_or_else(|| {
        Error::NotFound(format!(
            "{}/{key}: no such model in the bucket (the lead publishes it with `sift sync push --pool --model {label}`)",
            remote.location()
        ))
    })?;
    let doc: ModelDoc = parse_doc(&fetched.body, &key)?;
    if doc.sift_model != SHARDS_VERSION || format!("{}@{}", doc.name, doc.version) != label {
        return Err(Error::ManifestFile {
            file: key,
            reason: format!(
                "describes {}@{} (layout {}), not {label}",
                doc.name, doc.version, doc.sift_model
            ),
        });
    }
    let local = cache.join(label);
    std::fs::create_dir_all(&local).map_err(|e| Error::io("cannot create", &local, e))?;
    let mut jobs = Vec::new();
    for f in &doc.files {
        if !crate::sync::is_key_segment(&f.name)
            || f.size > MAX_MODEL_FILE_BYTES
            || crate::parse_sha(&f.sha256).is_none()
        {
            return Err(Error::ManifestFile {
                file: key.clone(),
                reason: format!(
                    "file {:?}: not a plain name, too large or without a SHA-256",
                    f.name
                ),
            });
        }
        let dest = local.join(&f.name);
        let have = std::fs::metadata(&dest).is_ok_and(|m| m.len() == f.size)
            && crate::sha256_file(&dest).is_ok_and(|sha| sha == f.sha256);
        if !have {
            let _ = std::fs::remove_file(&dest);
            jobs.push(DownloadJob {
                key: format!("{dir}{}", f.name),
                dest,
                size: f.size,
                sha256: f.sha256.clone(),
            });
        }
    }
    for done in remote.download_files(&jobs, &|_| {}) {
        done?;
    }
    if !doc.files.iter().any(|f| f.name == doc.model_file) {
        return Err(Error::ManifestFile {
            file: key,
            reason: format!("the model file {:?} is not among its files", doc.model_file),
        });
    }
    let path = local.join(&doc.model_file);
    Ok(PulledModel {
        doc,
        dir: local,
        path,
    })
}

/// Downloads the media the `pending` lines name into `dir` (files already there with the right
/// size are kept: a download is checked against size and SHA-256 before it is renamed into
/// place) and points each line's media reference at its copy.
pub(super) fn fetch_media(
    pool: &dyn ObjectStore,
    dir: Option<&Path>,
    pending: &mut [([u8; 16], PoolLine)],
) -> Result<()> {
    let mut jobs: Vec<DownloadJob> = Vec::new();
    let mut seen = HashSet::new();
    for (_, line) in pending.iter_mut() {
        let Some(object) = &line.media_object else {
            continue;
        };
        let dir = dir.ok_or_else(|| {
            Error::BadRequest(
                "the pool carries media: give the worker a folder for it (--model-cache)".into(),
            )
        })?;
        if !crate::sync::layout::is_media_key(&object.key) || crate::parse_sha(&object.sha256).is_none() {
            return Err(Error::ManifestFile {
                file: POOL_INDEX_KEY.to_owned(),
                reason: format!("media object {:?} is not media/<sha256>.<ext>", object.key),
            });
        }
        let dest = dir.join(crate::sync::layout::media_file_name(&object.key));
        if seen.insert(dest.clone()) && !std::fs::metadata(&dest).is_ok_and(|m| m.len() == object.size) {
            jobs.push(DownloadJob {
                key: object.key.clone(),
                dest: dest.clone(),
                size: object.size,
                sha256: object.sha256.clone(),
            });
        }
        line.media = Some(dest.to_string_lossy().into_owned());
    }
    if jobs.is_empty() {
        return Ok(());
    }
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
    }
    for done in pool.download_files(&jobs, &|_| {}) {
        done?;
    }
    Ok(())
}
