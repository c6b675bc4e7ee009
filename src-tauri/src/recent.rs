//! The recent-projects list: a small JSON file in the app's config folder, most recent
//! first. Entries whose folder has gone are kept (marked `exists: false`) so a project on an
//! unplugged drive comes back when the drive does, and one whose folder is gone for good can
//! be restored from its backup (see [`crate::recovery`]).

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// How many projects the list keeps.
pub const MAX_RECENT: usize = 12;

/// One project in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentProject {
    /// The project folder.
    pub path: PathBuf,
    pub name: String,
    /// The template kind (`qa`, `ranking`, `image-caption`, `video-caption`).
    pub kind: String,
    /// The template's name.
    pub template: String,
    /// When it was last opened, in seconds since the Unix epoch.
    pub opened_at: u64,
    /// Where the project is backed up, when it is (never a secret: credentials come from the
    /// AWS chain): if the folder goes, the window offers to restore it from there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<sift_api::backup::BackupConfig>,
    /// Whether the project file is still there (computed when the list is read).
    #[serde(default, skip_deserializing)]
    pub exists: bool,
}

/// The list, stored in one file.
#[derive(Debug, Clone)]
pub struct RecentList {
    file: PathBuf,
}

impl RecentList {
    pub fn new(file: impl Into<PathBuf>) -> Self {
        Self { file: file.into() }
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The projects, most recently opened first. A missing or unreadable file is an empty list.
    pub fn entries(&self) -> Vec<RecentProject> {
        let Ok(text) = std::fs::read_to_string(&self.file) else {
            return Vec::new();
        };
        let mut list: Vec<RecentProject> = serde_json::from_str(&text).unwrap_or_default();
        for entry in &mut list {
            entry.exists = entry.path.join(sift_api::PROJECT_FILE).is_file();
        }
        list
    }

    /// Puts `entry` first (replacing an older entry for the same folder) and saves the list.
    pub fn record(&self, mut entry: RecentProject) -> std::io::Result<Vec<RecentProject>> {
        if entry.opened_at == 0 {
            entry.opened_at = now();
        }
        let mut list = self.entries();
        list.retain(|e| e.path != entry.path);
        list.insert(0, entry);
        list.truncate(MAX_RECENT);
        self.save(&list)?;
        Ok(self.entries())
    }

    fn save(&self, list: &[RecentProject]) -> std::io::Result<()> {
        let dir = self.file.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let text = serde_json::to_string_pretty(list).map_err(std::io::Error::other)?;
        // Write beside the file and rename, so a crash never leaves half a list.
        let tmp = self.file.with_extension("json.tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &self.file)
    }
}

/// The project to open at start: the most recent one that exists, unless a more recent one
/// is gone but backed up — then none, so the window offers to restore that one (the person
/// expects the project they last worked in, not an older one in its place).
pub fn to_open_at_start(entries: &[RecentProject]) -> Option<&Path> {
    for entry in entries {
        if entry.exists {
            return Some(&entry.path);
        }
        if entry.backup.is_some() {
            return None;
        }
    }
    None
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn entry(path: &Path, name: &str) -> RecentProject {
        RecentProject {
            path: path.to_owned(),
            name: name.into(),
            kind: "qa".into(),
            template: "qa".into(),
            opened_at: 0,
            backup: None,
            exists: false,
        }
    }

    #[test]
    fn most_recent_first_without_duplicates_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let list = RecentList::new(dir.path().join("cfg/recent.json"));
        assert!(list.entries().is_empty());
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::create_dir_all(&a).unwrap();
        std::fs::write(a.join(sift_api::PROJECT_FILE), b"").unwrap();
        list.record(entry(&a, "a")).unwrap();
        list.record(entry(&b, "b")).unwrap();
        let got = list.record(entry(&a, "a")).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].name, "a");
        assert!(got[0].exists, "a holds a project file");
        assert!(!got[1].exists, "b does not");
        for i in 0..(MAX_RECENT + 5) {
            list.record(entry(&dir.path().join(format!("p{i}")), "p"))
                .unwrap();
        }
        assert_eq!(list.entries().len(), MAX_RECENT);
    }

    #[test]
    fn at_start_a_lost_backed_up_project_is_not_replaced_by_an_older_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut gone = entry(&dir.path().join("gone"), "gone");
        let mut older = entry(&dir.path().join("older"), "older");
        older.exists = true;
        // Gone without a backup: the older one opens.
        assert_eq!(
            to_open_at_start(&[gone.clone(), older.clone()]),
            Some(older.path.as_path())
        );
        // Gone but backed up: none opens (the window offers the restore).
        gone.backup = Some(sift_api::backup::BackupConfig::new("backups", "gone"));
        assert_eq!(to_open_at_start(&[gone.clone(), older.clone()]), None);
        assert_eq!(
            to_open_at_start(&[older.clone(), gone]),
            Some(older.path.as_path())
        );
        assert_eq!(to_open_at_start(&[]), None);
    }

    #[test]
    fn a_corrupt_file_reads_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("recent.json");
        std::fs::write(&file, b"{not json").unwrap();
        let list = RecentList::new(&file);
        assert!(list.entries().is_empty());
        list.record(entry(dir.path(), "x")).unwrap();
        assert_eq!(list.entries().len(), 1);
    }
}
