//! What each transfer task needs ([`Ctx`]: the client, bucket and prefix), the checked
//! single-request write, and the translation of SDK failures into errors that say what to do.

use std::path::Path;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use base64::Engine as _;
use sift_api::backup::Encryption;
use sift_api::{RemoteError, RemoteErrorKind};

/// What each task needs (cheap to clone: the client is reference-counted).
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub client: Client,
    pub bucket: String,
    pub prefix: String,
    pub endpoint: String,
    pub attempts: u32,
    /// Server-side encryption asked for every write.
    pub encryption: Option<Encryption>,
}

impl Ctx {
    pub(crate) fn full(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// A PutObject of `body` carrying its SHA-256 as the checksum the store verifies and in
    /// the object's metadata (`x-amz-meta-sha256`). Callers send it with payload signing off:
    /// the checksum already guards the bytes, and hashing them again for SigV4 costs as much
    /// as the transfer on small files.
    pub(crate) fn checked_put(
        &self,
        key: &str,
        body: Vec<u8>,
        sha256: &str,
    ) -> Result<aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder, RemoteError> {
        let checksum = sha_b64(sha256).ok_or_else(|| {
            RemoteError::new(RemoteErrorKind::Other, format!("{sha256:?} is not a SHA-256"))
        })?;
        let put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(self.full(key))
            .body(ByteStream::from(body))
            .checksum_sha256(checksum)
            .metadata("sha256", sha256);
        Ok(match self.sse() {
            None => put,
            Some((mode, kms)) => put.server_side_encryption(mode).set_ssekms_key_id(kms),
        })
    }

    /// The `x-amz-server-side-encryption` header and KMS key to send with writes, if any.
    pub(crate) fn sse(&self) -> Option<(ServerSideEncryption, Option<String>)> {
        match &self.encryption {
            None => None,
            Some(Encryption::SseS3) => Some((ServerSideEncryption::Aes256, None)),
            Some(Encryption::SseKms { key_id }) => Some((ServerSideEncryption::AwsKms, key_id.clone())),
        }
    }

    /// Turns an SDK failure into a message that says what to do.
    pub(crate) fn error<E>(
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

pub(crate) fn io_error(what: &str, path: &Path, e: &std::io::Error) -> RemoteError {
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

pub(crate) fn crc32c_b64(bytes: &[u8]) -> String {
    b64(&crc32c::crc32c(bytes).to_be_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

#[cfg(test)]
mod sse_tests {
    use super::*;

    fn ctx(encryption: Option<Encryption>) -> Ctx {
        let conf = aws_sdk_s3::Config::builder()
            .behavior_version_latest()
            .region(aws_sdk_s3::config::Region::new("garage"))
            .build();
        Ctx {
            client: Client::from_conf(conf),
            bucket: "b".into(),
            prefix: "p/".into(),
            endpoint: "test".into(),
            attempts: 1,
            encryption,
        }
    }

    /// Backup's encryption setting becomes the headers of every write.
    #[test]
    fn writes_carry_the_server_side_encryption_asked_for() {
        let sha = "ab".repeat(32);
        let plain = ctx(None).checked_put("k", vec![1], &sha).unwrap();
        assert_eq!(plain.get_server_side_encryption(), &None);
        let s3 = ctx(Some(Encryption::SseS3))
            .checked_put("k", vec![1], &sha)
            .unwrap();
        assert_eq!(
            s3.get_server_side_encryption(),
            &Some(ServerSideEncryption::Aes256)
        );
        let kms = ctx(Some(Encryption::SseKms {
            key_id: Some("alias/sift".into()),
        }))
        .checked_put("k", vec![1], &sha)
        .unwrap();
        assert_eq!(
            kms.get_server_side_encryption(),
            &Some(ServerSideEncryption::AwsKms)
        );
        assert_eq!(kms.get_ssekms_key_id().as_deref(), Some("alias/sift"));
    }
}
