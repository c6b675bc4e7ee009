//! Uploads: single requests carrying their SHA-256, and multipart uploads in parts with a
//! CRC32C each that resume an interrupted upload of the same content.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use sift_api::{RemoteError, RemoteErrorKind, UploadDone, UploadJob};
use tokio::sync::Semaphore;

use crate::Tuning;
use crate::ctx::{Ctx, crc32c_b64, io_error};

pub(crate) async fn read_file(path: &Path) -> Result<Vec<u8>, RemoteError> {
    tokio::fs::read(path)
        .await
        .map_err(|e| io_error("read", path, &e))
}

pub(crate) async fn upload_single(
    ctx: &Ctx,
    permits: &Semaphore,
    moved: &AtomicU64,
    job: &UploadJob,
) -> Result<UploadDone, RemoteError> {
    let _permit = permits.acquire().await.map_err(|_| closed())?;
    let body = read_file(&job.path).await?;
    if body.len() as u64 != job.size {
        return Err(changed(&job.path));
    }
    let out = ctx
        .checked_put(&job.key, body, &job.sha256)?
        .customize()
        .disable_payload_signing()
        .send()
        .await
        .map_err(|e| ctx.error("upload", &job.key, &e))?;
    moved.fetch_add(job.size, Ordering::Relaxed);
    Ok(UploadDone {
        etag: out.e_tag().map(str::to_owned),
        resumed_parts: 0,
    })
}

pub(crate) fn closed() -> RemoteError {
    RemoteError::new(RemoteErrorKind::Other, "transfers were cancelled")
}

pub(crate) fn changed(path: &Path) -> RemoteError {
    RemoteError::new(
        RemoteErrorKind::Integrity,
        format!(
            "{} changed while it was being uploaded; push again",
            path.display()
        ),
    )
}

/// A part already on the store: its size, ETag and CRC32C (if the store reports it).
#[derive(Debug, Clone)]
pub(crate) struct StoredPart {
    size: u64,
    etag: Option<String>,
    crc32c: Option<String>,
}

/// Finds an unfinished multipart upload of `key` and its parts. The key names the content
/// (its SHA-256), so an unfinished upload of it carries the same bytes.
pub(crate) async fn find_unfinished(
    ctx: &Ctx,
    key: &str,
) -> Result<Option<(String, BTreeMap<i32, StoredPart>)>, RemoteError> {
    let full = ctx.full(key);
    let uploads = ctx
        .client
        .list_multipart_uploads()
        .bucket(&ctx.bucket)
        .prefix(&full)
        .send()
        .await
        .map_err(|e| ctx.error("list unfinished uploads of", key, &e))?;
    let Some(upload_id) = uploads
        .uploads()
        .iter()
        .filter(|u| u.key() == Some(full.as_str()))
        .max_by_key(|u| u.initiated().map(|t| t.secs()))
        .and_then(|u| u.upload_id())
        .map(str::to_owned)
    else {
        return Ok(None);
    };
    let mut parts = BTreeMap::new();
    let mut marker: Option<String> = None;
    loop {
        let mut req = ctx
            .client
            .list_parts()
            .bucket(&ctx.bucket)
            .key(&full)
            .upload_id(&upload_id);
        if let Some(m) = &marker {
            req = req.part_number_marker(m);
        }
        let page = match req.send().await {
            Ok(p) => p,
            // Completed or aborted meanwhile: start afresh.
            Err(SdkError::ServiceError(s)) if s.raw().status().as_u16() == 404 => return Ok(None),
            Err(e) => return Err(ctx.error("list the parts of", key, &e)),
        };
        for p in page.parts() {
            if let Some(n) = p.part_number() {
                parts.insert(
                    n,
                    StoredPart {
                        size: p.size().unwrap_or(0).max(0) as u64,
                        etag: p.e_tag().map(str::to_owned),
                        crc32c: p.checksum_crc32_c().map(str::to_owned),
                    },
                );
            }
        }
        if page.is_truncated() == Some(true) {
            marker = page.next_part_number_marker().map(str::to_owned);
            if marker.is_none() {
                break;
            }
        } else {
            break;
        }
    }
    Ok(Some((upload_id, parts)))
}

pub(crate) async fn read_part(path: &Path, offset: u64, len: u64) -> Result<Vec<u8>, RemoteError> {
    let path_buf = path.to_owned();
    tokio::task::spawn_blocking(move || {
        use std::os::unix::fs::FileExt as _;
        let file = std::fs::File::open(&path_buf).map_err(|e| io_error("read", &path_buf, &e))?;
        let mut buf = vec![0u8; len as usize];
        file.read_exact_at(&mut buf, offset)
            .map_err(|e| io_error("read", &path_buf, &e))?;
        Ok(buf)
    })
    .await
    .map_err(|e| RemoteError::new(RemoteErrorKind::Other, format!("reading {}: {e}", path.display())))?
}

pub(crate) async fn upload_multipart(
    ctx: &Ctx,
    tuning: &Tuning,
    permits: &Arc<Semaphore>,
    moved: &Arc<AtomicU64>,
    job: &UploadJob,
) -> Result<UploadDone, RemoteError> {
    let part_size = tuning.part_size;
    let count = job.size.div_ceil(part_size).max(1);
    let (upload_id, stored) = match find_unfinished(ctx, &job.key).await? {
        Some(found) => found,
        None => {
            let mut create = ctx
                .client
                .create_multipart_upload()
                .bucket(&ctx.bucket)
                .key(ctx.full(&job.key))
                .metadata("sha256", &job.sha256)
                .checksum_algorithm(ChecksumAlgorithm::Crc32C);
            if let Some((mode, kms)) = ctx.sse() {
                create = create.server_side_encryption(mode).set_ssekms_key_id(kms);
            }
            let created = create
                .send()
                .await
                .map_err(|e| ctx.error("start uploading", &job.key, &e))?;
            let id = created.upload_id().map(str::to_owned).ok_or_else(|| {
                RemoteError::new(
                    RemoteErrorKind::Server,
                    format!("{}: no upload id in the answer", ctx.endpoint),
                )
            })?;
            (id, BTreeMap::new())
        }
    };
    let mut tasks = tokio::task::JoinSet::new();
    let mut resumed = 0u32;
    let mut done: HashMap<i32, (Option<String>, String)> = HashMap::new();
    for n in 0..count {
        let number = (n + 1) as i32;
        let offset = n * part_size;
        let len = part_size.min(job.size - offset);
        let previous = stored.get(&number).filter(|p| p.size == len).cloned();
        let (ctx, permits, moved, path, key, upload_id) = (
            ctx.clone(),
            permits.clone(),
            moved.clone(),
            job.path.clone(),
            job.key.clone(),
            upload_id.clone(),
        );
        tasks.spawn(async move {
            let _permit = permits.acquire().await.map_err(|_| closed())?;
            let bytes = read_part(&path, offset, len).await?;
            let crc = crc32c_b64(&bytes);
            if let Some(p) = previous
                && p.crc32c.as_deref().is_none_or(|c| c == crc)
            {
                // Already on the store (the completion below has the store check its checksum).
                moved.fetch_add(len, Ordering::Relaxed);
                return Ok::<_, RemoteError>((number, p.etag, crc, true));
            }
            let out = ctx
                .client
                .upload_part()
                .bucket(&ctx.bucket)
                .key(ctx.full(&key))
                .upload_id(&upload_id)
                .part_number(number)
                .checksum_crc32_c(&crc)
                .body(ByteStream::from(bytes))
                .customize()
                .disable_payload_signing()
                .send()
                .await
                .map_err(|e| ctx.error(&format!("upload part {number} of"), &key, &e))?;
            moved.fetch_add(len, Ordering::Relaxed);
            Ok((number, out.e_tag().map(str::to_owned), crc, false))
        });
    }
    let mut first_error = None;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok((number, etag, crc, reused))) => {
                resumed += u32::from(reused);
                done.insert(number, (etag, crc));
            }
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(e) => {
                first_error.get_or_insert(RemoteError::new(
                    RemoteErrorKind::Other,
                    format!("part task failed: {e}"),
                ));
            }
        }
    }
    // The upload stays open on failure: the next run finds it and sends only what is missing.
    if let Some(e) = first_error {
        return Err(e);
    }
    let parts: Vec<CompletedPart> = (1..=count as i32)
        .map(|n| {
            let (etag, crc) = done.remove(&n).unwrap_or_default();
            CompletedPart::builder()
                .part_number(n)
                .set_e_tag(etag)
                .checksum_crc32_c(crc)
                .build()
        })
        .collect();
    let out = ctx
        .client
        .complete_multipart_upload()
        .bucket(&ctx.bucket)
        .key(ctx.full(&job.key))
        .upload_id(&upload_id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .map_err(|e| ctx.error("complete the upload of", &job.key, &e))?;
    Ok(UploadDone {
        etag: out.e_tag().map(str::to_owned),
        resumed_parts: resumed,
    })
}
