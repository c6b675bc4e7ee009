//! The four labeling templates, built into the app so "New project" works anywhere.

use std::io::Write;
use std::path::{Path, PathBuf};

use sift_api::Error;

/// `(id, file text)` of every bundled template.
pub const BUNDLED: &[(&str, &str)] = &[
    ("qa", include_str!("../../labeling-templates/qa.toml")),
    ("ranking", include_str!("../../labeling-templates/ranking.toml")),
    (
        "image-caption",
        include_str!("../../labeling-templates/image-caption.toml"),
    ),
    (
        "video-caption",
        include_str!("../../labeling-templates/video-caption.toml"),
    ),
];

/// A template file to create a project from.
#[derive(Debug)]
pub enum TemplateFile {
    /// A bundled template, written to a temporary file.
    Bundled(tempfile::NamedTempFile),
    /// A file the user chose.
    User(PathBuf),
}

impl TemplateFile {
    pub fn path(&self) -> &Path {
        match self {
            TemplateFile::Bundled(f) => f.path(),
            TemplateFile::User(p) => p,
        }
    }
}

/// A bundled template by id, or else a template file by path.
pub fn resolve(template: &str) -> Result<TemplateFile, Error> {
    if let Some((id, text)) = BUNDLED.iter().find(|(id, _)| *id == template) {
        let mut file = tempfile::Builder::new()
            .prefix(&format!("sift-{id}-"))
            .suffix(".toml")
            .tempfile()
            .map_err(|e| Error::Internal(format!("cannot write the {id} template: {e}")))?;
        file.write_all(text.as_bytes())
            .map_err(|e| Error::Internal(format!("cannot write the {id} template: {e}")))?;
        return Ok(TemplateFile::Bundled(file));
    }
    let path = PathBuf::from(template);
    if path.is_file() {
        return Ok(TemplateFile::User(path));
    }
    let ids: Vec<&str> = BUNDLED.iter().map(|(id, _)| *id).collect();
    Err(Error::BadRequest(format!(
        "unknown template {template:?}: use one of {} or the path of a template file",
        ids.join(", ")
    )))
}
