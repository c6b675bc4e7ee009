//! Recovering a project that is in its backup bucket but not on this disk: what the bucket
//! holds for it (the offer a window makes: where, how recent), and restoring it into the
//! folder it used to live in. The desktop app uses both when a recent project's folder has
//! gone (docs/desktop.md); the work itself is [`restore`](super::restore)'s.

use std::path::Path;

use serde::Serialize;

use super::restore::{RestoreReport, restore};
use super::status::remote_chain;
use crate::sync::ObjectStore;
use crate::{Error, PROJECT_FILE, Project, Result};

/// What a bucket holds for a project that can be recovered from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecoveryOffer {
    /// `s3://bucket/prefix`.
    pub location: String,
    /// When the newest change in the backup was written (Unix ms): the newest change
    /// segment's, else the newest snapshot's.
    pub last_change_ms: i64,
    /// Its age in seconds, at the time of asking.
    pub last_change_age_s: f64,
    /// Snapshots in the bucket.
    pub snapshots: usize,
}

/// The offer `remote` makes: `None` when it holds no snapshot (nothing to restore from).
pub fn recovery_offer(remote: &dyn ObjectStore) -> Result<Option<RecoveryOffer>> {
    let chain = remote_chain(remote)?;
    let Some(newest_snapshot) = chain.snapshots.iter().map(|s| s.at_ms).max() else {
        return Ok(None);
    };
    let last = chain
        .last_change
        .map_or(newest_snapshot, |(_, at)| at.max(newest_snapshot));
    let now = sift_store::backup::now_ms();
    Ok(Some(RecoveryOffer {
        location: remote.location(),
        last_change_ms: last,
        last_change_age_s: (now - last).max(0) as f64 / 1000.0,
        snapshots: chain.snapshots.len(),
    }))
}

/// What [`recover`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Recovered {
    /// The restore.
    pub report: RestoreReport,
    /// Whether backup was turned on again (the restored file holds its configuration), so
    /// the project goes on shipping to the same bucket and prefix, starting with a snapshot.
    pub backup_resumed: bool,
}

/// Restores the newest state of the backup in `remote` into `folder`, which must not hold
/// a project (a project there is never overwritten: that is a conflict), then turns backup
/// on again with the configuration the file holds: the person goes on where they were, and
/// so does the backup.
pub fn recover(remote: &dyn ObjectStore, folder: &Path) -> Result<Recovered> {
    if folder.join(PROJECT_FILE).exists() {
        return Err(Error::Conflict(format!(
            "{} holds a project already: open it instead of restoring over it",
            folder.display()
        )));
    }
    let report = restore(remote, folder, None)?;
    let mut project = Project::open(&report.file)?;
    let backup_resumed = match project.backup_config()? {
        Some(config) => {
            project.backup_enable(&config)?;
            true
        }
        None => false,
    };
    Ok(Recovered {
        report,
        backup_resumed,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::backup::BackupConfig;
    use crate::sync::memory_store::MemoryStore;
    use crate::{NoProgress, Role};

    fn project(dir: &Path) -> Project {
        let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/qa-minimal.toml");
        let mut p = crate::init_project(dir, &template, Some("demo")).unwrap();
        let manifest = dir.join("manifest.jsonl");
        std::fs::write(&manifest, "{\"source\":\"One.\"}\n{\"source\":\"Two.\"}\n").unwrap();
        p.import(&manifest, &Default::default(), &NoProgress).unwrap();
        p.add_annotator("ann", Role::Annotator).unwrap();
        p
    }

    #[test]
    fn an_empty_bucket_offers_nothing() {
        let remote = MemoryStore::new("s3://backups/nothing");
        assert_eq!(recovery_offer(&remote).unwrap(), None);
    }

    #[test]
    fn a_lost_folder_is_offered_recovered_and_backs_up_again() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("laptop");
        let mut p = project(&src);
        p.backup_enable(&BackupConfig::new("backups", "team/demo"))
            .unwrap();
        let remote = MemoryStore::new("s3://backups/team/demo");
        p.backup_ship(&remote, false).unwrap();
        let draft = serde_json::json!({"pairs": [{"question": "kept?"}]});
        p.save_draft(2, "ann", &draft, 100).unwrap();
        let before = sift_store::backup::now_ms();
        p.backup_ship(&remote, false).unwrap();

        let offer = recovery_offer(&remote).unwrap().expect("an offer");
        assert_eq!(offer.location, "s3://backups/team/demo");
        assert_eq!(offer.snapshots, 1);
        // The newest change is the draft's, not the snapshot's.
        assert!(offer.last_change_ms <= before && before - offer.last_change_ms < 5_000);
        assert!(offer.last_change_age_s < 60.0);

        // The laptop's folder is gone; the project comes back where it was.
        drop(p);
        std::fs::remove_dir_all(&src).unwrap();
        let got = recover(&remote, &src).unwrap();
        assert!(got.report.problems.is_empty(), "{:?}", got.report.problems);
        assert!(got.backup_resumed);
        let mut back = Project::open(&src).unwrap();
        assert!(back.backup_enabled().unwrap());
        let ann = back.caller_named("ann").unwrap();
        let item = back
            .call(&ann, "get_item", serde_json::json!({"item_id": 2}), None)
            .unwrap();
        assert!(item.to_string().contains("kept?"), "{item}");
        // Shipping goes on into the same chain: a new snapshot, no error.
        back.backup_ship(&remote, false).unwrap();
        assert!(recovery_offer(&remote).unwrap().unwrap().snapshots >= 1);

        // A folder holding a project is never restored over.
        let err = recover(&remote, &src).unwrap_err();
        assert!(err.to_string().contains("holds a project already"), "{err}");
    }
}
