//! Sift's S3 transport: [`S3Store`] implements `sift-api`'s [`ObjectStore`] with the AWS SDK,
//! for AWS and for S3-compatible stores (Garage, MinIO, Ceph) with an endpoint URL and
//! path-style addressing.
//!
//! - Credentials come from the standard AWS chain (environment, shared config and
//!   credentials files, the configured profile, SSO); nothing here stores or logs them.
//! - Every write carries a checksum the store verifies: SHA-256 for single requests, CRC32C
//!   per part for multipart uploads; the whole file's SHA-256 travels in the object's
//!   metadata (`x-amz-meta-sha256`) and is checked on download. The checksum header is
//!   signed, so bodies are sent with `UNSIGNED-PAYLOAD`: signing the payload would hash every
//!   byte once more on each side (SigV4's body SHA-256) for no extra protection.
//! - Large files go up in parts, several at a time. An interrupted multipart upload is found
//!   again on the next run (`ListMultipartUploads` for the key, which names the content) and
//!   only its missing parts are sent.
//! - Downloads write to a hidden `.part` file beside the destination, resume from its length
//!   with a `Range` request, are verified against the expected size and SHA-256, synced, and
//!   renamed only when complete.
//! - Transient failures (throttling, 5xx, dropped connections) are retried by the SDK's
//!   standard retry strategy: exponential backoff with jitter. What remains is turned into a
//!   [`RemoteError`] that says what to do.
//!
//! Files: `lib.rs` (the store and its tuning), `ctx.rs` (what each request needs and errors
//! by cause), `upload.rs` (single and multipart uploads), `download.rs` (resumable,
//! verified downloads).

#![warn(missing_docs)]

mod ctx;
mod download;
mod upload;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::error::{ProvideErrorMetadata as _, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use sift_api::backup::Encryption;
use sift_api::{
    DownloadDone, DownloadJob, Fetched, ObjectStore, PutMode, PutOutcome, RemoteError, RemoteErrorKind,
    RemoteObject, SyncConfig, UploadDone, UploadJob, too_large,
};
use tokio::sync::Semaphore;

use crate::ctx::Ctx;
use crate::download::download;
pub use crate::download::partial_path;
use crate::upload::{upload_multipart, upload_single};

/// Transfer tuning. The defaults suit a laptop on a home connection and a LAN store alike.
#[derive(Debug, Clone)]
pub struct Tuning {
    /// Requests in flight at once (small files and parts together).
    pub concurrency: usize,
    /// Files at least this large are uploaded in parts.
    pub multipart_threshold: u64,
    /// Size of each part (S3 requires at least 5 MiB except for the last).
    pub part_size: u64,
    /// Attempts per request, including the first, for transient failures.
    pub max_attempts: u32,
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            concurrency: 16,
            multipart_threshold: 16 << 20,
            part_size: 8 << 20,
            max_attempts: 5,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

impl Tuning {
    /// The defaults, overridden by `SIFT_S3_CONCURRENCY`, `SIFT_S3_MULTIPART_THRESHOLD`,
    /// `SIFT_S3_PART_SIZE` (bytes) and `SIFT_S3_MAX_ATTEMPTS` when set to numbers.
    pub fn from_env() -> Self {
        let mut t = Self::default();
        let num = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        if let Some(v) = num("SIFT_S3_CONCURRENCY") {
            t.concurrency = v.clamp(1, 256) as usize;
        }
        if let Some(v) = num("SIFT_S3_MULTIPART_THRESHOLD") {
            t.multipart_threshold = v.max(1);
        }
        if let Some(v) = num("SIFT_S3_PART_SIZE") {
            t.part_size = v.max(1 << 20);
        }
        if let Some(v) = num("SIFT_S3_MAX_ATTEMPTS") {
            t.max_attempts = v.clamp(1, 20) as u32;
        }
        t
    }
}

/// One bucket and prefix on an S3-compatible store.
#[derive(Debug)]
pub struct S3Store {
    client: Client,
    bucket: String,
    prefix: String,
    endpoint: String,
    tuning: Tuning,
    /// Server-side encryption asked for every object written (backup's setting).
    encryption: Option<Encryption>,
    /// Shared with the stores of sibling buckets.
    runtime: Arc<tokio::runtime::Runtime>,
}

impl S3Store {
    /// Builds a client from a project's sync configuration and the AWS credential chain.
    ///
    /// # Errors
    ///
    /// A [`RemoteError`] when no region is known or the runtime cannot start.
    pub fn connect(config: &SyncConfig, tuning: Tuning) -> Result<Self, RemoteError> {
        Self::build(config, tuning, None)
    }

    /// Like [`S3Store::connect`], with an explicit access key instead of the AWS chain: for
    /// tools and tests that hold a key of their own (the Garage tests give each annotator one).
    /// Sift's programs use the chain.
    ///
    /// # Errors
    ///
    /// As [`S3Store::connect`].
    pub fn connect_with_key(
        config: &SyncConfig,
        tuning: Tuning,
        access_key_id: &str,
        secret_access_key: &str,
    ) -> Result<Self, RemoteError> {
        let key = Credentials::new(access_key_id, secret_access_key, None, None, "sift");
        Self::build(config, tuning, Some(key))
    }

    fn build(config: &SyncConfig, tuning: Tuning, key: Option<Credentials>) -> Result<Self, RemoteError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("sift-s3")
            .build()
            .map_err(|e| {
                RemoteError::new(
                    RemoteErrorKind::Other,
                    format!("cannot start the transfer runtime: {e}"),
                )
            })?;
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(tuning.max_attempts)
                    .with_initial_backoff(Duration::from_millis(200))
                    .with_max_backoff(Duration::from_secs(8)),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(tuning.connect_timeout)
                    .read_timeout(Duration::from_secs(60))
                    .build(),
            );
        if let Some(profile) = &config.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &config.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(key) = key {
            loader = loader.credentials_provider(key);
        }
        let sdk = runtime.block_on(loader.load());
        if sdk.region().is_none() {
            return Err(RemoteError::new(
                RemoteErrorKind::Other,
                "no AWS region: set it with `sift sync config --region R` (for Garage: `garage`) or AWS_REGION",
            ));
        }
        let mut builder = aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(config.path_style)
            // Sift sends its own checksums (SHA-256, CRC32C) and checks downloads itself.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if let Some(endpoint) = &config.endpoint {
            builder = builder.endpoint_url(endpoint);
        }
        let endpoint = config.endpoint.clone().unwrap_or_else(|| {
            format!(
                "AWS S3 ({})",
                sdk.region().map(ToString::to_string).unwrap_or_default()
            )
        });
        Ok(Self {
            client: Client::from_conf(builder.build()),
            bucket: config.bucket.clone(),
            prefix: if config.prefix.is_empty() {
                String::new()
            } else {
                format!("{}/", config.prefix)
            },
            endpoint,
            tuning,
            encryption: None,
            runtime: Arc::new(runtime),
        })
    }

    /// The same store asking for server-side encryption (SSE-S3 or SSE-KMS) of every object
    /// it writes, single or multipart.
    #[must_use]
    pub fn with_encryption(mut self, encryption: Option<Encryption>) -> Self {
        self.encryption = encryption;
        self
    }

    fn ctx(&self) -> Ctx {
        Ctx {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            prefix: self.prefix.clone(),
            endpoint: self.endpoint.clone(),
            attempts: self.tuning.max_attempts,
            encryption: self.encryption.clone(),
        }
    }
}

impl ObjectStore for S3Store {
    fn location(&self) -> String {
        let prefix = self.prefix.trim_end_matches('/');
        let sep = if prefix.is_empty() { "" } else { "/" };
        format!("s3://{}{sep}{prefix} at {}", self.bucket, self.endpoint)
    }

    fn list(&self, prefix: &str) -> Result<Vec<RemoteObject>, RemoteError> {
        let ctx = self.ctx();
        self.runtime.block_on(async {
            let mut out = Vec::new();
            let mut pages = ctx
                .client
                .list_objects_v2()
                .bucket(&ctx.bucket)
                .prefix(ctx.full(prefix))
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| ctx.error("list", prefix, &e))?;
                for o in page.contents() {
                    let Some(key) = o.key().and_then(|k| k.strip_prefix(&ctx.prefix)) else {
                        continue;
                    };
                    out.push(RemoteObject {
                        key: key.to_owned(),
                        size: o.size().unwrap_or(0).max(0) as u64,
                        etag: o.e_tag().map(str::to_owned),
                    });
                }
            }
            out.sort_by(|a, b| a.key.cmp(&b.key));
            Ok(out)
        })
    }

    fn get(&self, key: &str, max_bytes: u64) -> Result<Option<Fetched>, RemoteError> {
        let ctx = self.ctx();
        self.runtime.block_on(async {
            let out = match ctx
                .client
                .get_object()
                .bucket(&ctx.bucket)
                .key(ctx.full(key))
                .send()
                .await
            {
                Ok(out) => out,
                Err(SdkError::ServiceError(s)) if s.err().is_no_such_key() => return Ok(None),
                Err(e) => return Err(ctx.error("read", key, &e)),
            };
            let etag = out.e_tag().map(str::to_owned);
            let sha256 = out.metadata().and_then(|m| m.get("sha256")).cloned();
            let expected = out.content_length().filter(|n| *n >= 0).map(|n| n as u64);
            if let Some(n) = expected
                && n > max_bytes
            {
                return Err(too_large(key, n, max_bytes));
            }
            let body = read_capped(out.body, key, max_bytes, &ctx.endpoint).await?;
            if let Some(n) = expected
                && body.len() as u64 != n
            {
                return Err(RemoteError::new(
                    RemoteErrorKind::Integrity,
                    format!("{key}: received {} of {n} bytes", body.len()),
                ));
            }
            Ok(Some(Fetched { body, etag, sha256 }))
        })
    }

    fn put(&self, key: &str, body: Vec<u8>, sha256: &str, mode: PutMode) -> Result<PutOutcome, RemoteError> {
        let ctx = self.ctx();
        let mut req = ctx.checked_put(key, body, sha256)?;
        self.runtime.block_on(async {
            if mode == PutMode::IfAbsent {
                req = req.if_none_match("*");
            }
            match req.customize().disable_payload_signing().send().await {
                Ok(out) => Ok(PutOutcome::Written {
                    etag: out.e_tag().map(str::to_owned),
                }),
                Err(SdkError::ServiceError(s))
                    if mode == PutMode::IfAbsent
                        && (s.raw().status().as_u16() == 412
                            || s.err().code() == Some("PreconditionFailed")) =>
                {
                    Ok(PutOutcome::AlreadyExists)
                }
                Err(e) => Err(ctx.error("write", key, &e)),
            }
        })
    }

    fn upload_files(
        &self,
        jobs: &[UploadJob],
        progress: &(dyn Fn(u64) + Sync),
    ) -> Vec<Result<UploadDone, RemoteError>> {
        let ctx = self.ctx();
        let tuning = self.tuning.clone();
        let permits = Arc::new(Semaphore::new(tuning.concurrency));
        let moved = Arc::new(AtomicU64::new(0));
        self.runtime.block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for (i, job) in jobs.iter().cloned().enumerate() {
                let (ctx, tuning, permits, moved) =
                    (ctx.clone(), tuning.clone(), permits.clone(), moved.clone());
                set.spawn(async move {
                    let r = if job.size >= tuning.multipart_threshold {
                        upload_multipart(&ctx, &tuning, &permits, &moved, &job).await
                    } else {
                        upload_single(&ctx, &permits, &moved, &job).await
                    };
                    (i, r)
                });
            }
            collect(set, jobs.len(), &moved, progress).await
        })
    }

    fn sibling(&self, bucket: &str) -> Result<Box<dyn ObjectStore>, RemoteError> {
        Ok(Box::new(S3Store {
            client: self.client.clone(),
            bucket: bucket.to_owned(),
            prefix: self.prefix.clone(),
            endpoint: self.endpoint.clone(),
            tuning: self.tuning.clone(),
            encryption: self.encryption.clone(),
            runtime: Arc::clone(&self.runtime),
        }))
    }

    fn delete(&self, key: &str) -> Result<(), RemoteError> {
        let ctx = self.ctx();
        self.runtime.block_on(async {
            ctx.client
                .delete_object()
                .bucket(&ctx.bucket)
                .key(ctx.full(key))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| ctx.error("delete", key, &e))
        })
    }

    fn download_files(
        &self,
        jobs: &[DownloadJob],
        progress: &(dyn Fn(u64) + Sync),
    ) -> Vec<Result<DownloadDone, RemoteError>> {
        let ctx = self.ctx();
        let permits = Arc::new(Semaphore::new(self.tuning.concurrency));
        let moved = Arc::new(AtomicU64::new(0));
        self.runtime.block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for (i, job) in jobs.iter().cloned().enumerate() {
                let (ctx, permits, moved) = (ctx.clone(), permits.clone(), moved.clone());
                set.spawn(async move { (i, download(&ctx, &permits, &moved, &job).await) });
            }
            collect(set, jobs.len(), &moved, progress).await
        })
    }
}

/// Waits for every task, reporting bytes moved every 100 ms; results in job order.
async fn collect<T: Send + 'static>(
    mut set: tokio::task::JoinSet<(usize, Result<T, RemoteError>)>,
    n: usize,
    moved: &AtomicU64,
    progress: &(dyn Fn(u64) + Sync),
) -> Vec<Result<T, RemoteError>> {
    let mut out: Vec<Option<Result<T, RemoteError>>> = (0..n).map(|_| None).collect();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tokio::select! {
            next = set.join_next() => match next {
                Some(Ok((i, r))) => out[i] = Some(r),
                Some(Err(e)) => {
                    // A panicking transfer task is a bug; report it on the first free slot.
                    if let Some(slot) = out.iter_mut().find(|s| s.is_none()) {
                        *slot = Some(Err(RemoteError::new(RemoteErrorKind::Other, format!("transfer task failed: {e}"))));
                    }
                }
                None => break,
            },
            _ = tick.tick() => progress(moved.load(Ordering::Relaxed)),
        }
    }
    progress(moved.load(Ordering::Relaxed));
    out.into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(RemoteError::new(
                    RemoteErrorKind::Other,
                    "transfer did not finish",
                ))
            })
        })
        .collect()
}

/// Reads a body into memory, refusing it as soon as it passes `max_bytes` (whatever length
/// the store announced).
async fn read_capped(
    mut body: ByteStream,
    key: &str,
    max_bytes: u64,
    endpoint: &str,
) -> Result<Vec<u8>, RemoteError> {
    let mut out = Vec::new();
    loop {
        let chunk = body.try_next().await.map_err(|e| {
            RemoteError::new(
                RemoteErrorKind::Unreachable,
                format!("the connection to {endpoint} broke while reading {key}: {e}"),
            )
        })?;
        let Some(chunk) = chunk else {
            return Ok(out);
        };
        let size = out.len() as u64 + chunk.len() as u64;
        if size > max_bytes {
            return Err(too_large(key, size, max_bytes));
        }
        out.extend_from_slice(&chunk);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_read_up_to_its_cap_and_no_further() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let read =
            |len: usize, max: u64| rt.block_on(read_capped(ByteStream::from(vec![7u8; len]), "k", max, "e"));
        assert_eq!(read(1000, 1000).unwrap().len(), 1000);
        let e = read(1001, 1000).unwrap_err();
        assert_eq!(e.kind, RemoteErrorKind::TooLarge);
        assert!(e.message.contains("larger than the 1000 bytes"), "{e}");
    }

    #[test]
    fn tuning_reads_the_environment_defaults() {
        let t = Tuning::default();
        assert!(t.part_size >= 5 << 20 && t.multipart_threshold >= t.part_size);
    }
}
