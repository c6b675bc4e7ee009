//! Where an import's media live: references resolved against the manifest's folder, and the
//! folder recorded as a media root (refused when it would expose far more than the media).

use std::path::{Path, PathBuf};

use super::ParseCtx;
use crate::media::{self, MediaRef};
use crate::{Error, Result};

/// The folder that becomes a media root when the import has local media.
pub(super) struct MediaRoot {
    pub(super) path: PathBuf,
    /// Named by the person importing rather than taken from the manifest's location.
    explicit: bool,
}

impl MediaRoot {
    pub(super) fn choose(explicit: Option<&Path>, manifest_folder: &Path) -> Result<Self> {
        let Some(dir) = explicit else {
            return Ok(Self {
                path: manifest_folder.to_owned(),
                explicit: false,
            });
        };
        let path = dir
            .canonicalize()
            .map_err(|e| Error::io("cannot use the media root", dir, e))?;
        if !path.is_dir() {
            return Err(Error::BadRequest(format!(
                "the media root {} is not a folder",
                dir.display()
            )));
        }
        Ok(Self { path, explicit: true })
    }

    /// Refuses, at the first line with local media, a root nobody named that would expose
    /// far more than the manifest's media.
    pub(super) fn check(&self, display: &str, line: u64) -> Result<()> {
        let Some(why) = (!self.explicit)
            .then(|| media::risky_root(&self.path, media::home_folder().as_deref()))
            .flatten()
        else {
            return Ok(());
        };
        let path = self.path.display();
        Err(Error::Manifest {
            file: display.to_owned(),
            line,
            reason: format!(
                "refusing to serve media from {path} ({why}): annotators could read every file \
                 under it. Move the manifest and its media into a folder of their own, or name \
                 the folder to serve explicitly with --media-root {path}. Nothing was imported."
            ),
        })
    }
}

/// The stored reference, whether it is a local file, and the path of a local file that
/// does not exist.
pub(super) fn resolve_media(
    value: Option<&str>,
    ctx: &ParseCtx<'_>,
) -> std::result::Result<(Option<String>, bool, Option<String>), String> {
    let Some(value) = value else {
        return Ok((None, false, None));
    };
    let resolved = media::resolve(value, ctx.base);
    let missing = match &resolved {
        MediaRef::Local(p) if !p.is_file() => Some(p.display().to_string()),
        _ => None,
    };
    if let (Some(path), true) = (&missing, ctx.opts.require_media) {
        return Err(format!("media file not found: {path}"));
    }
    let local = matches!(resolved, MediaRef::Local(_));
    Ok((Some(resolved.as_stored()), local, missing))
}
