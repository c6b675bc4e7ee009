//! Where and how a project syncs, and who it is in the sync: the [`SyncConfig`] kept in the
//! project's settings (never a secret: credentials come from the AWS chain), its checks, and
//! the rule for names that become parts of remote keys.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Error, Project, Result};

/// Settings key of the sync configuration.
const SETTINGS_KEY: &str = "sync.config";

/// Who this project is in the sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncRole {
    /// Hands out batches and collects results.
    Lead,
    /// Labels pulled batches and pushes results.
    Annotator,
}

/// Where and how a project syncs. Credentials are not part of it: they come from the AWS
/// chain (environment, shared config and credentials files, the profile, SSO).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SyncConfig {
    /// The S3 bucket the project syncs through.
    pub bucket: String,
    /// Key prefix inside the bucket (no leading or trailing `/`), may be empty.
    #[serde(default)]
    pub prefix: String,
    /// AWS region (`None`: the profile's or environment's region).
    pub region: Option<String>,
    /// Endpoint URL of an S3-compatible store (`http://127.0.0.1:3900`); `None` for AWS.
    pub endpoint: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`), needed by most self-hosted stores.
    #[serde(default)]
    pub path_style: bool,
    /// AWS profile from the shared config files.
    pub profile: Option<String>,
    /// Whether this copy is the lead's or an annotator's (what it pushes and pulls).
    pub role: SyncRole,
    /// The annotator this project labels as (annotator role).
    pub annotator: Option<String>,
    /// Transfer media with batches (lead: upload; annotator: download).
    #[serde(default)]
    pub media: bool,
    /// Lead: the bucket each of these annotators writes results to, instead of this bucket.
    /// For stores that cannot limit a key to `results/<name>/` (Garage grants a key a whole
    /// bucket or nothing): each annotator gets a bucket only their key can write, and the lead
    /// reads their results from there alone. Published in `project.json` for the annotators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub results_buckets: Option<BTreeMap<String, String>>,
}

impl SyncConfig {
    /// A configuration for `bucket` with no prefix, region, endpoint or profile, virtual-host
    /// addressing and no media: what AWS needs; the rest is set field by field.
    pub fn new(bucket: &str, role: SyncRole) -> Self {
        Self {
            bucket: bucket.to_owned(),
            prefix: String::new(),
            region: None,
            endpoint: None,
            path_style: false,
            profile: None,
            role,
            annotator: None,
            media: false,
            results_buckets: None,
        }
    }

    /// The configuration as typed by a person, tidied: names trimmed, the prefix without
    /// leading or trailing `/`, empty optional fields absent. Every adapter that takes
    /// settings from people (CLI flags, the desktop form) passes them through this.
    pub fn normalized(mut self) -> Self {
        self.bucket = self.bucket.trim().to_owned();
        self.prefix = self.prefix.trim().trim_matches('/').to_owned();
        for field in [&mut self.region, &mut self.endpoint, &mut self.profile] {
            *field = field
                .take()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty());
        }
        self.results_buckets = self
            .results_buckets
            .take()
            .map(|m| {
                m.into_iter()
                    .map(|(a, b)| (a.trim().to_owned(), b.trim().to_owned()))
                    .collect::<BTreeMap<_, _>>()
            })
            .filter(|m| !m.is_empty());
        self
    }

    /// Checks names and the endpoint; refuses credentials embedded in the endpoint URL.
    pub fn validate(&self) -> Result<()> {
        check_bucket(&self.bucket)?;
        if !self.prefix.is_empty()
            && (self.prefix.starts_with('/')
                || self.prefix.ends_with('/')
                || self
                    .prefix
                    .split('/')
                    .any(|s| s.is_empty() || s == "." || s == ".."))
        {
            return Err(Error::BadRequest(format!(
                "prefix {:?}: use segments separated by '/', without a leading or trailing '/'",
                self.prefix
            )));
        }
        if let Some(e) = &self.endpoint {
            let rest = e
                .strip_prefix("http://")
                .or_else(|| e.strip_prefix("https://"))
                .ok_or_else(|| {
                    Error::BadRequest(format!("endpoint {e:?}: must start with http:// or https://"))
                })?;
            let authority = rest.split('/').next().unwrap_or_default();
            if authority.contains('@') {
                return Err(Error::BadRequest(
                    "endpoint: credentials do not belong in the URL (they would be saved in the project file); \
                     use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile"
                        .into(),
                ));
            }
            if authority.is_empty() {
                return Err(Error::BadRequest(format!("endpoint {e:?}: no host")));
            }
        }
        if self.role == SyncRole::Annotator {
            let name = self.annotator.as_deref().unwrap_or_default();
            crate::validate_person_name(name)?;
            check_key_segment(name, "annotator name")?;
        }
        if let Some(buckets) = &self.results_buckets {
            if self.role != SyncRole::Lead {
                return Err(Error::BadRequest(
                    "results buckets are the lead's to set: annotators learn theirs from the lead's project.json"
                        .into(),
                ));
            }
            check_results_buckets(buckets, &self.bucket)?;
        }
        Ok(())
    }

    /// `s3://bucket/prefix`.
    pub fn location(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }

    /// Whether a push or pull with `opts` transfers media.
    pub(super) fn with_media(&self, opts: &super::SyncOptions) -> bool {
        self.media || opts.media
    }
}

impl Project {
    /// The sync configuration, if set.
    pub fn sync_config(&self) -> Result<Option<SyncConfig>> {
        match self.store.setting(SETTINGS_KEY)? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| Error::Internal(format!("stored sync configuration is unreadable: {e}"))),
        }
    }

    /// Saves the sync configuration after checking it.
    pub fn set_sync_config(&self, config: &SyncConfig) -> Result<()> {
        config.validate()?;
        let text = serde_json::to_string(config).map_err(|e| Error::Internal(e.to_string()))?;
        self.store.set_setting(SETTINGS_KEY, &text)?;
        self.store.append_event(
            None,
            "sync_configured",
            &serde_json::json!({"location": config.location()}),
        )?;
        Ok(())
    }

    /// The sync configuration, or an error saying how to set it.
    pub fn require_sync_config(&self) -> Result<SyncConfig> {
        self.sync_config()?.ok_or_else(|| {
            Error::BadRequest(
                "sync is not set up for this project: enter the bucket in the app's Sync panel, \
                 or run `sift sync config --bucket B ...`"
                    .into(),
            )
        })
    }
}

/// A bucket name S3 accepts: 3-63 lowercase letters, digits, '-' or '.'.
fn check_bucket(b: &str) -> Result<()> {
    let ok = (3..=63).contains(&b.len())
        && b.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && !b.starts_with(['-', '.'])
        && !b.ends_with(['-', '.']);
    if ok {
        Ok(())
    } else {
        Err(Error::BadRequest(format!(
            "bucket {b:?}: use 3-63 lowercase letters, digits, '-' or '.'"
        )))
    }
}

/// Annotators' results buckets (a lead's configuration, or the lead's `project.json`): valid
/// names, none of them the shared bucket.
pub(super) fn check_results_buckets(buckets: &BTreeMap<String, String>, shared: &str) -> Result<()> {
    for (annotator, bucket) in buckets {
        crate::validate_person_name(annotator)?;
        check_key_segment(annotator, "annotator name")?;
        check_bucket(bucket)?;
        if bucket == shared {
            return Err(Error::BadRequest(format!(
                "results bucket of {annotator:?}: {bucket:?} is the shared bucket; name a bucket of their own \
                 (or leave them out: their results are then read from results/{annotator}/ in the shared bucket)"
            )));
        }
    }
    Ok(())
}

/// Whether `name` may be a key segment: 1 to 128 letters, digits, '-', '_', '.' or '@', and
/// not `.` or `..`.
pub(crate) fn is_key_segment(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'))
}

/// Batch and annotator names become key segments: keep them to a safe alphabet.
pub(super) fn check_key_segment(name: &str, what: &str) -> Result<()> {
    if is_key_segment(name) {
        Ok(())
    } else {
        Err(Error::BadRequest(format!(
            "{what} {name:?} cannot be synced: use letters, digits, '-', '_', '.' or '@'"
        )))
    }
}
