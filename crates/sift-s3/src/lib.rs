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

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{Region, RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use base64::Engine as _;
use sift_api::{
    DownloadDone, DownloadJob, Fetched, ObjectStore, PutMode, PutOutcome, RemoteError, RemoteErrorKind,
    RemoteObject, SyncConfig, UploadDone, UploadJob,
};
use tokio::io::AsyncWriteExt as _;
use tokio::sync::Semaphore;

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
    runtime: tokio::runtime::Runtime,
}

impl S3Store {
    /// Builds a client from a project's sync configuration and the AWS credential chain.
    ///
    /// # Errors
    ///
    /// A [`RemoteError`] when no region is known or the runtime cannot start.
    pub fn connect(config: &SyncConfig, tuning: Tuning) -> Result<Self, RemoteError> {
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
            runtime,
        })
    }

    fn ctx(&self) -> Ctx {
        Ctx {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            prefix: self.prefix.clone(),
            endpoint: self.endpoint.clone(),
            attempts: self.tuning.max_attempts,
        }
    }
}

/// What each task needs (cheap to clone: the client is reference-counted).
#[derive(Debug, Clone)]
struct Ctx {
    client: Client,
    bucket: String,
    prefix: String,
    endpoint: String,
    attempts: u32,
}

impl Ctx {
    fn full(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// A PutObject of `body` carrying its SHA-256 as the checksum the store verifies and in
    /// the object's metadata (`x-amz-meta-sha256`). Callers send it with payload signing off:
    /// the checksum already guards the bytes, and hashing them again for SigV4 costs as much
    /// as the transfer on small files.
    fn checked_put(
        &self,
        key: &str,
        body: Vec<u8>,
        sha256: &str,
    ) -> Result<aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder, RemoteError> {
        let checksum = sha_b64(sha256).ok_or_else(|| {
            RemoteError::new(RemoteErrorKind::Other, format!("{sha256:?} is not a SHA-256"))
        })?;
        Ok(self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(self.full(key))
            .body(ByteStream::from(body))
            .checksum_sha256(checksum)
            .metadata("sha256", sha256))
    }

    /// Turns an SDK failure into a message that says what to do.
    fn error<E>(
        &self,
        what: &str,
        key: &str,
        err: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
    ) -> RemoteError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let at = format!("s3://{}/{}", self.bucket, self.full(key));
        let tries = self.attempts;
        match err {
            SdkError::ServiceError(service) => {
                let status = service.raw().status().as_u16();
                let code = service.err().code().unwrap_or("");
                let message = service.err().message().unwrap_or("");
                let detail = if code.is_empty() {
                    format!("HTTP {status}")
                } else {
                    format!("HTTP {status} {code}: {message}")
                };
                match (code, status) {
                    ("NoSuchBucket", _) => RemoteError::new(
                        RemoteErrorKind::NoBucket,
                        format!(
                            "bucket {:?} does not exist at {} ({detail}); create it or fix the bucket with `sift sync config --bucket`",
                            self.bucket, self.endpoint
                        ),
                    ),
                    (
                        "InvalidAccessKeyId"
                        | "SignatureDoesNotMatch"
                        | "ExpiredToken"
                        | "InvalidToken"
                        | "TokenRefreshRequired",
                        _,
                    ) => RemoteError::new(
                        RemoteErrorKind::Credentials,
                        format!(
                            "{} rejected the credentials while trying to {what} ({detail}); check AWS_ACCESS_KEY_ID and \
                                 AWS_SECRET_ACCESS_KEY, or the profile",
                            self.endpoint
                        ),
                    ),
                    // Garage answers a bad signature or an unknown key with a plain 403.
                    (_, 403) if mentions_credentials(message) => RemoteError::new(
                        RemoteErrorKind::Credentials,
                        format!(
                            "{} rejected the credentials while trying to {what} ({detail}); check AWS_ACCESS_KEY_ID and \
                             AWS_SECRET_ACCESS_KEY, or the profile",
                            self.endpoint
                        ),
                    ),
                    ("AccessDenied" | "Forbidden", _) | (_, 403) => RemoteError::new(
                        RemoteErrorKind::Forbidden,
                        format!(
                            "access denied to {at} while trying to {what} ({detail}); the credentials are not allowed to use \
                             bucket {:?} — check the key's permissions, or that these are the right credentials",
                            self.bucket
                        ),
                    ),
                    ("NoSuchKey", _) | (_, 404) => RemoteError::new(
                        RemoteErrorKind::NotFound,
                        format!("{at} does not exist ({detail})"),
                    ),
                    ("BadDigest" | "InvalidDigest" | "XAmzContentSHA256Mismatch" | "InvalidRequest", 400)
                        if message.to_ascii_lowercase().contains("checksum") || code.contains("Digest") =>
                    {
                        RemoteError::new(
                            RemoteErrorKind::Integrity,
                            format!(
                                "{at}: the store received bytes that do not match their checksum ({detail}); nothing was stored"
                            ),
                        )
                    }
                    ("SlowDown" | "Throttling" | "ThrottlingException" | "RequestLimitExceeded", _)
                    | (_, 429 | 503) => RemoteError::new(
                        RemoteErrorKind::Throttled,
                        format!(
                            "{} kept throttling requests ({detail}) after {tries} attempts with backoff; try again later, \
                                 or lower SIFT_S3_CONCURRENCY",
                            self.endpoint
                        ),
                    ),
                    (_, 500..=599) => RemoteError::new(
                        RemoteErrorKind::Server,
                        format!(
                            "{} failed to {what} {at} ({detail}) after {tries} attempts; try again later",
                            self.endpoint
                        ),
                    ),
                    _ => RemoteError::new(RemoteErrorKind::Other, format!("cannot {what} {at}: {detail}")),
                }
            }
            SdkError::DispatchFailure(d) if d.is_io() || d.is_timeout() => RemoteError::new(
                RemoteErrorKind::Unreachable,
                format!(
                    "cannot reach {} to {what} ({}) after {tries} attempts; is the server running and the endpoint right?",
                    self.endpoint,
                    root_cause(err)
                ),
            ),
            SdkError::TimeoutError(_) => RemoteError::new(
                RemoteErrorKind::Unreachable,
                format!(
                    "{} did not answer in time to {what} after {tries} attempts",
                    self.endpoint
                ),
            ),
            SdkError::ResponseError(_) => RemoteError::new(
                RemoteErrorKind::Server,
                format!(
                    "{} sent a response Sift cannot read while trying to {what} {at}: {}",
                    self.endpoint,
                    root_cause(err)
                ),
            ),
            _ => {
                let cause = root_cause(err);
                if cause.to_ascii_lowercase().contains("credential") {
                    RemoteError::new(
                        RemoteErrorKind::Credentials,
                        format!(
                            "no usable AWS credentials ({cause}); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, \
                             or a profile with `sift sync config --profile`"
                        ),
                    )
                } else {
                    RemoteError::new(RemoteErrorKind::Other, format!("cannot {what} {at}: {cause}"))
                }
            }
        }
    }
}

fn mentions_credentials(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "signature",
        "access key",
        "no such key",
        "invalid key",
        "credential",
        "unknown key",
    ]
    .iter()
    .any(|w| m.contains(w))
}

/// The innermost message of an error chain (without any request or credential details).
fn root_cause(err: &dyn std::error::Error) -> String {
    let mut cur: &dyn std::error::Error = err;
    let mut text = cur.to_string();
    while let Some(next) = cur.source() {
        cur = next;
        text = cur.to_string();
    }
    text
}

fn io_error(what: &str, path: &Path, e: &std::io::Error) -> RemoteError {
    RemoteError::new(
        RemoteErrorKind::Io,
        format!("cannot {what} {}: {e}", path.display()),
    )
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn sha_b64(hex: &str) -> Option<String> {
    sift_api::parse_sha(hex).map(|b| b64(&b))
}

fn crc32c_b64(bytes: &[u8]) -> String {
    b64(&crc32c::crc32c(bytes).to_be_bytes())
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

    fn get(&self, key: &str) -> Result<Option<Fetched>, RemoteError> {
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
            let expected = out.content_length();
            let body = out
                .body
                .collect()
                .await
                .map_err(|e| {
                    RemoteError::new(
                        RemoteErrorKind::Unreachable,
                        format!(
                            "the connection to {} broke while reading {key}: {e}",
                            ctx.endpoint
                        ),
                    )
                })?
                .into_bytes()
                .to_vec();
            if let Some(n) = expected
                && n >= 0
                && body.len() as u64 != n as u64
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

async fn read_file(path: &Path) -> Result<Vec<u8>, RemoteError> {
    tokio::fs::read(path)
        .await
        .map_err(|e| io_error("read", path, &e))
}

async fn upload_single(
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

fn closed() -> RemoteError {
    RemoteError::new(RemoteErrorKind::Other, "transfers were cancelled")
}

fn changed(path: &Path) -> RemoteError {
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
struct StoredPart {
    size: u64,
    etag: Option<String>,
    crc32c: Option<String>,
}

/// Finds an unfinished multipart upload of `key` and its parts. The key names the content
/// (its SHA-256), so an unfinished upload of it carries the same bytes.
async fn find_unfinished(
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

async fn read_part(path: &Path, offset: u64, len: u64) -> Result<Vec<u8>, RemoteError> {
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

async fn upload_multipart(
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
            let created = ctx
                .client
                .create_multipart_upload()
                .bucket(&ctx.bucket)
                .key(ctx.full(&job.key))
                .metadata("sha256", &job.sha256)
                .checksum_algorithm(ChecksumAlgorithm::Crc32C)
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

/// The hidden temporary file a download is written to, named after the content it will hold.
pub fn partial_path(dest: &Path, sha256: &str) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dest.with_file_name(format!(".{name}.{}.part", sha256.get(..16).unwrap_or(sha256)))
}

async fn download(
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
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(offset == 0)
            .append(offset > 0)
            .open(&part)
            .await
            .map_err(|e| io_error("write", &part, &e))?;
        let mut body = out.body;
        loop {
            match body.try_next().await {
                Ok(Some(chunk)) => {
                    file.write_all(&chunk)
                        .await
                        .map_err(|e| io_error("write", &part, &e))?;
                    moved.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                }
                Ok(None) => break,
                Err(e) => {
                    // Keep what arrived: the next run resumes from it.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_files_are_hidden_and_named_by_content() {
        let p = partial_path(Path::new("/m/abc.jpg"), "0123456789abcdef0123");
        assert_eq!(p, Path::new("/m/.abc.jpg.0123456789abcdef.part"));
    }

    #[test]
    fn checksums_are_base64_of_the_raw_bytes() {
        // SHA-256 of the empty string.
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(
            sha_b64(hex).as_deref(),
            Some("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        );
        assert_eq!(sha_b64("zz"), None);
        // CRC32C check value of "123456789" is 0xE3069283.
        assert_eq!(crc32c_b64(b"123456789"), b64(&[0xE3, 0x06, 0x92, 0x83]));
    }

    #[test]
    fn tuning_reads_the_environment_defaults() {
        let t = Tuning::default();
        assert!(t.part_size >= 5 << 20 && t.multipart_threshold >= t.part_size);
    }
}
