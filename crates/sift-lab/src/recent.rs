//! The Lab's settings file: recent projects (most recent first) and the chosen theme, as JSON
//! in `$XDG_CONFIG_HOME/sift/lab.json` (or `~/.config/sift/lab.json`). A missing or unreadable
//! file is an empty list; a failed save is reported, never fatal.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// How many projects the list keeps.
pub const MAX_RECENT: usize = 12;

/// One remembered project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentProject {
    /// The project folder.
    pub path: PathBuf,
    /// The project's name.
    pub name: String,
    /// Its template kind (`qa`, `classification`, ...).
    pub kind: String,
}

/// What is kept between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Most recently opened first.
    #[serde(default)]
    pub recent: Vec<RecentProject>,
    /// `system`, `light` or `dark`.
    #[serde(default)]
    pub theme: Option<String>,
}

/// The default settings file.
pub fn default_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("sift").join("lab.json"))
}

impl Settings {
    /// Reads `file`; the defaults when it is missing or unreadable.
    pub fn load(file: &Path) -> Settings {
        std::fs::read_to_string(file)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default()
    }

    /// Writes the settings (to a temporary file renamed over the old one).
    pub fn save(&self, file: &Path) -> std::io::Result<()> {
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        let tmp = file.with_extension("json.tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, file)
    }

    /// Puts `project` first (replacing an older entry for the same folder).
    pub fn remember(&mut self, project: RecentProject) {
        self.recent.retain(|r| r.path != project.path);
        self.recent.insert(0, project);
        self.recent.truncate(MAX_RECENT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_comes_first_once_and_the_list_survives_a_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sub/lab.json");
        assert_eq!(Settings::load(&file), Settings::default());
        let mut s = Settings::default();
        for i in 0..20 {
            s.remember(RecentProject {
                path: PathBuf::from(format!("/p/{}", i % 15)),
                name: format!("p{i}"),
                kind: "qa".into(),
            });
        }
        assert_eq!(s.recent.len(), MAX_RECENT);
        assert_eq!(s.recent[0].name, "p19");
        assert_eq!(s.recent.iter().filter(|r| r.path == Path::new("/p/4")).count(), 1);
        s.save(&file).unwrap();
        assert_eq!(Settings::load(&file), s);
        std::fs::write(&file, "{broken").unwrap();
        assert!(Settings::load(&file).recent.is_empty());
    }
}
