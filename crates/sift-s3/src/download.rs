//! Downloads to a hidden `.part` file beside the destination that resume from its length,
//! are verified against the expected size and SHA-256, synced, and renamed only when whole.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sift_api::{DownloadDone, DownloadJob, RemoteError, RemoteErrorKind};
use tokio::io::AsyncWriteExt as _;
use tokio::sync::Semaphore;

use crate::ctx::{Ctx, io_error};
use crate::upload::closed;

/// The hidden temporary file a download is written to, named after the content it will hold.
pub fn partial_path(dest: &Path, sha256: &str) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!(".{name}.{}.part", sha256.get(..16).unwrap_or(sha256)))
}

pub(crate) async fn download(
    ctx: &Ctx,
    permits: &Semaphore,
    moved: &AtomicU64,
    job: &DownloadJob,
) -> Result<DownloadDone, RemoteError> {
    let _permit = permits.acquire().await.map_err(|_| closed())?;
    let part = partial_path(&job.dest, &job.sha256);
    let mut offset = tokio::fs::metadata(&part).await.map(|m| m.len()).unwrap_or(0);
    if offset > job.size {
        offset = 0;
    }
    let resumed_from = offset;
    moved.fetch_add(offset, Ordering::Relaxed);
    if offset < job.size || job.size == 0 {
        let mut req = ctx
            .client
            .get_object()
            .bucket(&ctx.bucket)
            .key(ctx.full(&job.key));
        if offset > 0 {
            req = req.range(format!("bytes={offset}-"));
        }
        let out = req
            .send()
            .await
            .map_err(|e| ctx.error("download", &job.key, &e))?;
        // Never more than the expected size: an object that is larger is not the one named.
        let remaining = job.size - offset;
        if let Some(n) = out.content_length().filter(|n| *n >= 0).map(|n| n as u64)
            && n > remaining
        {
            // What an earlier run kept is the start of another object: not worth keeping.
            match tokio::fs::remove_file(&part).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(io_error("remove", &part, &e));
                }
                _ => return Err(oversized(job, offset + n)),
            }
        }
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(offset == 0)
            .append(offset > 0)
            .open(&part)
            .await
            .map_err(|e| io_error("write", &part, &e))?;
        let mut body = out.body;
        let mut written = 0u64;
        loop {
            match body.try_next().await {
                Ok(Some(chunk)) => {
                    written += chunk.len() as u64;
                    if written > remaining {
                        drop(file);
                        // What was written is the start of another object: not worth keeping.
                        if let Err(e) = tokio::fs::remove_file(&part).await {
                            return Err(io_error("remove", &part, &e));
                        }
                        return Err(oversized(job, offset + written));
                    }
                    file.write_all(&chunk)
                        .await
                        .map_err(|e| io_error("write", &part, &e))?;
                    moved.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                }
                Ok(None) => break,
                Err(e) => {
                    // Keep what arrived: the next run resumes from it. A flush that fails
                    // too only loses bytes the next run fetches again.
                    let _ = file.flush().await;
                    return Err(RemoteError::new(
                        RemoteErrorKind::Unreachable,
                        format!(
                            "the connection to {} broke while downloading {} ({e}); run the pull again to resume",
                            ctx.endpoint, job.key
                        ),
                    ));
                }
            }
        }
        file.flush().await.map_err(|e| io_error("write", &part, &e))?;
        file.sync_all().await.map_err(|e| io_error("sync", &part, &e))?;
    }
    let check = part.clone();
    let (size, sha) = tokio::task::spawn_blocking(move || {
        let size = std::fs::metadata(&check)?.len();
        Ok::<_, std::io::Error>((size, sift_api::sha256_file(&check)?))
    })
    .await
    .map_err(|e| RemoteError::new(RemoteErrorKind::Other, e.to_string()))?
    .map_err(|e| io_error("read", &part, &e))?;
    if size != job.size || !sha.eq_ignore_ascii_case(&job.sha256) {
        // The integrity error below says what matters; a file left behind is started afresh.
        let _ = tokio::fs::remove_file(&part).await;
        return Err(RemoteError::new(
            RemoteErrorKind::Integrity,
            format!(
                "{}: downloaded {size} bytes with SHA-256 {sha}, expected {} bytes with {}; discarded — pull again",
                job.key, job.size, job.sha256
            ),
        ));
    }
    tokio::fs::rename(&part, &job.dest)
        .await
        .map_err(|e| io_error("move into place", &job.dest, &e))?;
    Ok(DownloadDone { resumed_from })
}

/// `job`'s object holds more than its expected size (`at_least` bytes so far).
fn oversized(job: &DownloadJob, at_least: u64) -> RemoteError {
    RemoteError::new(
        RemoteErrorKind::Integrity,
        format!(
            "{}: the store sent {at_least} bytes or more, more than the expected {} bytes; stopped there and \
             discarded (the object changed since its batch was pushed: pull again)",
            job.key, job.size
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_files_are_hidden_and_named_by_content() {
        let p = partial_path(Path::new("/m/abc.jpg"), "0123456789abcdef0123");
        assert_eq!(p, Path::new("/m/.abc.jpg.0123456789abcdef.part"));
    }
}
