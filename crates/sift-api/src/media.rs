//! Resolving media references from manifests, and which folders may be media roots.

use std::path::{Component, Path, PathBuf};

/// Where an item's media lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MediaRef {
    /// A remote object (`s3://`, `http(s)://`, `gs://`): stored as written, not checked.
    Remote(String),
    /// A local file, made absolute against the manifest's folder.
    Local(PathBuf),
}

impl MediaRef {
    pub(crate) fn as_stored(&self) -> String {
        match self {
            MediaRef::Remote(s) => s.clone(),
            MediaRef::Local(p) => p.to_string_lossy().into_owned(),
        }
    }
}

/// Resolves `reference` (a URI or a path) against `base`, the manifest's folder.
pub(crate) fn resolve(reference: &str, base: &Path) -> MediaRef {
    let lower = reference.get(..8).unwrap_or(reference).to_ascii_lowercase();
    if ["s3://", "http://", "https://", "gs://"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return MediaRef::Remote(reference.to_owned());
    }
    let path = reference.strip_prefix("file://").unwrap_or(reference);
    let path = Path::new(path);
    let joined = if path.is_absolute() {
        path.to_owned()
    } else {
        base.join(path)
    };
    MediaRef::Local(normalize(&joined))
}

/// Removes `.` and resolves `..` lexically (the file may not exist yet).
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Folders directly under the file system's root that hold the system, not media.
const SYSTEM_FOLDERS: &[&str] = &[
    "bin", "boot", "dev", "etc", "lib", "lib32", "lib64", "proc", "root", "run", "sbin", "sys", "tmp", "usr",
    "var",
];

/// Folders of the home folder that hold keys and credentials.
const SECRET_FOLDERS: &[&str] = &[".aws", ".azure", ".config", ".docker", ".gnupg", ".kube", ".ssh"];

/// Why `dir` (absolute, resolved) must not become a media root unless it is named
/// explicitly: everything under a media root can be served to annotators.
pub(crate) fn risky_root(dir: &Path, home: Option<&Path>) -> Option<&'static str> {
    if dir.parent().is_none() {
        return Some("the root of the file system");
    }
    if let Some(home) = home {
        if dir == home {
            return Some("the home folder");
        }
        if home.starts_with(dir) {
            return Some("a folder that holds the home folder");
        }
        if let Ok(Component::Normal(first)) = dir
            .strip_prefix(home)
            .map(|rest| rest.components().next().unwrap_or(Component::CurDir))
            && SECRET_FOLDERS.iter().any(|s| first == *s)
        {
            return Some("a folder of keys and settings");
        }
    }
    let mut parts = dir.components();
    if let (Some(Component::RootDir), Some(Component::Normal(top))) = (parts.next(), parts.next())
        && parts.next().is_none()
        && SYSTEM_FOLDERS.iter().any(|s| top == *s)
    {
        return Some("a system folder");
    }
    None
}

/// The user's home folder, resolved, if there is one.
pub(crate) fn home_folder() -> Option<PathBuf> {
    std::env::home_dir()
        .filter(|h| h.is_absolute())
        .map(|h| h.canonicalize().unwrap_or(h))
}

/// Facts about an item's media that validation and exports need: image sizes are read
/// from the file's header (cached per path); manifest fields fill in the rest.
#[derive(Debug, Default)]
pub(crate) struct MediaFacts {
    sizes: std::collections::HashMap<String, Option<(f64, f64)>>,
}

impl MediaFacts {
    pub(crate) fn info(
        &mut self,
        template: &sift_template::Template,
        item: &serde_json::Value,
        media_ref: Option<&str>,
    ) -> sift_template::MediaInfo {
        let mut known = sift_template::MediaInfo::default();
        if template.kind() == sift_template::Kind::ImageCaption
            && let Some(path) = media_ref
        {
            let size = *self.sizes.entry(path.to_owned()).or_insert_with(|| {
                imagesize::size(path)
                    .ok()
                    .map(|s| (s.width as f64, s.height as f64))
            });
            if let Some((w, h)) = size {
                known.width = Some(w);
                known.height = Some(h);
            }
        }
        template.media_info(item, &known).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risky_roots_are_named() {
        let home = Some(Path::new("/home/ana"));
        let risky = |dir: &str| risky_root(Path::new(dir), home);
        assert_eq!(risky("/"), Some("the root of the file system"));
        assert_eq!(risky("/home/ana"), Some("the home folder"));
        assert_eq!(risky("/home"), Some("a folder that holds the home folder"));
        assert_eq!(risky("/home/ana/.ssh"), Some("a folder of keys and settings"));
        assert_eq!(risky("/home/ana/.aws/x"), Some("a folder of keys and settings"));
        assert_eq!(risky("/etc"), Some("a system folder"));
        assert_eq!(risky("/tmp"), Some("a system folder"));
        assert_eq!(risky("/home/ana/data"), None);
        assert_eq!(risky("/home/ana/.cache/sift/demo-media"), None);
        assert_eq!(risky("/home/anabel"), None);
        assert_eq!(risky("/srv/images"), None);
        assert_eq!(risky("/tmp/x"), None);
        assert_eq!(risky_root(Path::new("/home/ana"), None), None);
    }

    #[test]
    fn resolves_relative_absolute_file_and_remote() {
        let base = Path::new("/data/manifests");
        let local = |p: &str| MediaRef::Local(p.into());
        let remote = |p: &str| MediaRef::Remote(p.into());
        for (reference, want) in [
            ("img/a.jpg", local("/data/manifests/img/a.jpg")),
            ("../img/./a.jpg", local("/data/img/a.jpg")),
            ("/abs/a.jpg", local("/abs/a.jpg")),
            ("file:///abs/a.jpg", local("/abs/a.jpg")),
            ("S3://bucket/a.jpg", remote("S3://bucket/a.jpg")),
            ("https://x/y.mp4", remote("https://x/y.mp4")),
        ] {
            assert_eq!(resolve(reference, base), want, "{reference}");
        }
    }
}
