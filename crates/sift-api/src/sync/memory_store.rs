//! An [`ObjectStore`] in memory, for tests of the sync rules and of the adapters that drive
//! them (the desktop's sync commands). The real store is `sift-s3`, tested against Garage;
//! this one keeps the bytes in a map and checks what a real store checks: each upload's
//! SHA-256 against its bytes, and `If-None-Match: *` on conditional writes.
//!
//! Built for this crate's tests and, with the `memory-store` feature, for other crates' tests.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::sync::{
    DownloadDone, DownloadJob, Fetched, ObjectStore, PutMode, PutOutcome, RemoteError, RemoteErrorKind,
    RemoteObject, UploadDone, UploadJob, sha256_hex, too_large,
};

/// key → (body, SHA-256 named by the writer).
type Objects = BTreeMap<String, (Vec<u8>, String)>;

/// A bucket in memory. Clones share the same objects; its siblings (other buckets) are
/// shared by every store made from it.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    location: String,
    objects: Arc<Mutex<Objects>>,
    rounds: Arc<Mutex<Vec<usize>>>,
    buckets: Arc<Mutex<BTreeMap<String, Arc<Mutex<Objects>>>>>,
}

impl MemoryStore {
    /// An empty bucket that describes itself as `location`.
    pub fn new(location: &str) -> Self {
        Self {
            location: location.to_owned(),
            ..Self::default()
        }
    }

    fn objects(&self) -> MutexGuard<'_, Objects> {
        self.objects.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every key, in order.
    pub fn keys(&self) -> Vec<String> {
        self.objects().keys().cloned().collect()
    }

    /// Deletes `key`; whether it was there.
    pub fn remove(&self, key: &str) -> bool {
        self.objects().remove(key).is_some()
    }

    /// How many files each `upload_files` call carried, oldest first; clears the record.
    pub fn take_upload_rounds(&self) -> Vec<usize> {
        std::mem::take(&mut *self.rounds.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

fn etag(sha: &str) -> Option<String> {
    Some(format!("\"{}\"", sha.get(..16).unwrap_or(sha)))
}

fn io(e: &std::io::Error) -> RemoteError {
    RemoteError::new(RemoteErrorKind::Io, e.to_string())
}

impl ObjectStore for MemoryStore {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn list(&self, prefix: &str) -> Result<Vec<RemoteObject>, RemoteError> {
        Ok(self
            .objects()
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, (body, sha))| RemoteObject {
                key: k.clone(),
                size: body.len() as u64,
                etag: etag(sha),
            })
            .collect())
    }

    fn get(&self, key: &str, max_bytes: u64) -> Result<Option<Fetched>, RemoteError> {
        let objects = self.objects();
        let Some((body, sha)) = objects.get(key) else {
            return Ok(None);
        };
        if body.len() as u64 > max_bytes {
            return Err(too_large(key, body.len() as u64, max_bytes));
        }
        Ok(Some(Fetched {
            body: body.clone(),
            etag: etag(sha),
            sha256: Some(sha.clone()),
        }))
    }

    fn put(&self, key: &str, body: Vec<u8>, sha256: &str, mode: PutMode) -> Result<PutOutcome, RemoteError> {
        if sha256_hex(&body) != sha256 {
            return Err(RemoteError::new(
                RemoteErrorKind::Integrity,
                format!("{key}: checksum mismatch"),
            ));
        }
        let mut objects = self.objects();
        if mode == PutMode::IfAbsent && objects.contains_key(key) {
            return Ok(PutOutcome::AlreadyExists);
        }
        objects.insert(key.to_owned(), (body, sha256.to_owned()));
        Ok(PutOutcome::Written { etag: etag(sha256) })
    }

    fn upload_files(
        &self,
        jobs: &[UploadJob],
        progress: &(dyn Fn(u64) + Sync),
    ) -> Vec<Result<UploadDone, RemoteError>> {
        self.rounds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(jobs.len());
        let mut sent = 0;
        jobs.iter()
            .map(|job| {
                let body = std::fs::read(&job.path).map_err(|e| io(&e))?;
                if sha256_hex(&body) != job.sha256 {
                    return Err(RemoteError::new(
                        RemoteErrorKind::Integrity,
                        format!("{}: checksum mismatch", job.key),
                    ));
                }
                sent += job.size;
                self.objects().insert(job.key.clone(), (body, job.sha256.clone()));
                progress(sent);
                Ok(UploadDone::default())
            })
            .collect()
    }

    fn delete(&self, key: &str) -> Result<(), RemoteError> {
        self.remove(key);
        Ok(())
    }

    fn sibling(&self, bucket: &str) -> Result<Box<dyn ObjectStore>, RemoteError> {
        let objects = Arc::clone(
            self.buckets
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(bucket.to_owned())
                .or_default(),
        );
        Ok(Box::new(MemoryStore {
            location: format!("s3://{bucket} at memory"),
            objects,
            rounds: Arc::clone(&self.rounds),
            buckets: Arc::clone(&self.buckets),
        }))
    }

    fn download_files(
        &self,
        jobs: &[DownloadJob],
        progress: &(dyn Fn(u64) + Sync),
    ) -> Vec<Result<DownloadDone, RemoteError>> {
        let mut got = 0;
        jobs.iter()
            .map(|job| {
                let body = self.objects().get(&job.key).map(|(b, _)| b.clone());
                let body =
                    body.ok_or_else(|| RemoteError::new(RemoteErrorKind::NotFound, job.key.clone()))?;
                std::fs::write(&job.dest, body).map_err(|e| io(&e))?;
                got += job.size;
                progress(got);
                Ok(DownloadDone::default())
            })
            .collect()
    }
}
