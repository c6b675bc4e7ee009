//! Where and how a project is backed up: [`BackupConfig`], kept in the project's settings
//! (never a secret: credentials come from the AWS chain, as for sync), and turning backup on
//! and off.

use serde::{Deserialize, Serialize};

use crate::sync::{SyncConfig, SyncRole};
use crate::{Error, Project, Result};

/// Settings key of the backup configuration.
const SETTINGS_KEY: &str = "backup.config";

/// Server-side encryption asked of the store for every object written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum Encryption {
    /// SSE-S3: `x-amz-server-side-encryption: AES256`.
    SseS3,
    /// SSE-KMS: `x-amz-server-side-encryption: aws:kms`, with a key id or the bucket's
    /// default key.
    SseKms {
        /// The KMS key (id, ARN or alias); `None`: the account's default key.
        key_id: Option<String>,
    },
}

fn default_keep() -> u32 {
    7
}

fn default_every() -> u64 {
    6 * 3600
}

/// Where and how a project is backed up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupConfig {
    /// The bucket.
    pub bucket: String,
    /// Key prefix inside the bucket for this project's backup (no leading or trailing `/`).
    #[serde(default)]
    pub prefix: String,
    /// AWS region (`None`: the profile's or environment's).
    pub region: Option<String>,
    /// Endpoint of an S3-compatible store; `None` for AWS.
    pub endpoint: Option<String>,
    /// Path-style addressing (most self-hosted stores).
    #[serde(default)]
    pub path_style: bool,
    /// AWS profile.
    pub profile: Option<String>,
    /// Server-side encryption for every object written.
    #[serde(default)]
    pub encryption: Option<Encryption>,
    /// How many snapshots retention keeps (at least 1); older ones, and the change segments
    /// only they need, are deleted.
    #[serde(default = "default_keep")]
    pub keep_snapshots: u32,
    /// A new snapshot once the newest is this many seconds old.
    #[serde(default = "default_every")]
    pub snapshot_every_s: u64,
}

impl BackupConfig {
    /// A configuration for `bucket/prefix` with the defaults (7 snapshots, one every 6 h).
    pub fn new(bucket: &str, prefix: &str) -> Self {
        Self {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
            region: None,
            endpoint: None,
            path_style: false,
            profile: None,
            encryption: None,
            keep_snapshots: default_keep(),
            snapshot_every_s: default_every(),
        }
    }

    /// The connection settings as a sync configuration (what `sift-s3` connects with).
    pub fn connection(&self) -> SyncConfig {
        let mut c = SyncConfig::new(&self.bucket, SyncRole::Lead);
        c.prefix = self.prefix.clone();
        c.region = self.region.clone();
        c.endpoint = self.endpoint.clone();
        c.path_style = self.path_style;
        c.profile = self.profile.clone();
        c.normalized()
    }

    /// Checks the bucket, prefix and endpoint (as sync does) and the retention numbers.
    pub fn validate(&self) -> Result<()> {
        self.connection().validate()?;
        if self.keep_snapshots == 0 {
            return Err(Error::BadRequest(
                "keep_snapshots: keep at least 1 snapshot".into(),
            ));
        }
        if self.snapshot_every_s < 60 {
            return Err(Error::BadRequest("snapshot_every_s: at least 60 seconds".into()));
        }
        if let Some(Encryption::SseKms { key_id: Some(k) }) = &self.encryption
            && (k.trim().is_empty() || k.chars().any(char::is_control))
        {
            return Err(Error::BadRequest(format!("KMS key id {k:?} is not a key id")));
        }
        Ok(())
    }

    /// `s3://bucket/prefix`.
    pub fn location(&self) -> String {
        self.connection().location()
    }
}

impl Project {
    /// The backup configuration, if set.
    pub fn backup_config(&self) -> Result<Option<BackupConfig>> {
        match self.store.setting(SETTINGS_KEY)? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| Error::Internal(format!("stored backup configuration is unreadable: {e}"))),
        }
    }

    /// Whether backup is configured and on in this file.
    pub fn backup_enabled(&self) -> Result<bool> {
        Ok(self.store.backup_state()?.enabled && self.backup_config()?.is_some())
    }

    /// Saves the configuration and turns capture on: from now on every committed change is
    /// logged for shipping, and the next shipping pass starts with a snapshot.
    pub fn backup_enable(&mut self, config: &BackupConfig) -> Result<()> {
        config.validate()?;
        let text = serde_json::to_string(config).map_err(|e| Error::Internal(e.to_string()))?;
        self.store.set_setting(SETTINGS_KEY, &text)?;
        self.store.backup_enable()?;
        self.store.append_event(
            None,
            "backup_enabled",
            &serde_json::json!({"location": config.location()}),
        )?;
        Ok(())
    }

    /// Turns capture off (the configuration is kept; what was shipped stays in the bucket).
    pub fn backup_disable(&mut self) -> Result<()> {
        self.store.backup_disable()?;
        self.store
            .append_event(None, "backup_disabled", &serde_json::json!({}))?;
        Ok(())
    }

    /// Calls `hook` after each commit of this project's connection (the backup shipper's
    /// wake-up; it must only signal). `None` removes it.
    pub fn set_commit_hook(&mut self, hook: Option<Box<dyn FnMut() -> bool + Send>>) -> Result<()> {
        Ok(self.store.set_commit_hook(hook)?)
    }
}
