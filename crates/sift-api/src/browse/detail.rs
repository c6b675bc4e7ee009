//! One item as the lead sees it: its content, media, where it came from, the batches that
//! hold it, every score, and everyone's work on it with every saved version and review.

use std::path::PathBuf;

use serde_json::Value;
use sift_store::{ItemBatchRow, ItemScoreRow, ItemSource, ReviewRow, VersionRow};

use crate::{Caller, Error, Project, Result, Role};

/// An item's media file, when it has one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum ItemMedia {
    /// A local image or video inside the project's media folders.
    File {
        /// The file, resolved inside a media root.
        path: PathBuf,
        /// The template is a video template (show a player, not an image).
        video: bool,
    },
    /// A remote object, or a file that cannot be shown (the reason is given).
    Unavailable {
        /// The item's media reference as imported (a path or URI).
        reference: String,
        /// Why it cannot be shown (outside the media roots, missing, remote).
        reason: String,
    },
}

/// One person's work on the item, with its whole history.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AnnotationHistory {
    /// The annotation's id.
    pub annotation_id: i64,
    /// Whose work it is.
    pub annotator: String,
    /// Where it stands now.
    pub state: sift_core::AnnotationState,
    /// Total time spent on it across saves, in milliseconds.
    pub time_spent_ms: i64,
    /// When it was first saved (RFC 3339, UTC).
    pub created_at: String,
    /// When it was last saved or reviewed (RFC 3339, UTC).
    pub updated_at: String,
    /// Every saved version, oldest first.
    pub versions: Vec<VersionRow>,
    /// Every review, oldest first.
    pub reviews: Vec<ReviewRow>,
}

/// Everything about one item.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ItemDetail {
    /// The item's id.
    pub id: i64,
    /// The manifest object as imported.
    pub content: Value,
    /// The template's text fields that the item has, `(key, text)`.
    pub texts: Vec<(String, String)>,
    /// Its media file, when it has a media reference.
    pub media: Option<ItemMedia>,
    /// The manifest file and line it was imported from, when recorded.
    pub source: Option<ItemSource>,
    /// The batches holding it, oldest first.
    pub batches: Vec<ItemBatchRow>,
    /// Every stored score, by model, version and strategy.
    pub scores: Vec<ItemScoreRow>,
    /// Everyone's work on it, oldest annotation first.
    pub annotations: Vec<AnnotationHistory>,
}

impl Project {
    /// Everything about one item, for a lead.
    pub fn item_detail(&self, item_id: i64) -> Result<ItemDetail> {
        let row = self
            .store
            .item(item_id)?
            .ok_or_else(|| Error::NotFound(format!("item {item_id}")))?;
        let content: Value = serde_json::from_str(&row.content)
            .map_err(|e| Error::Internal(format!("item {item_id}: {e}")))?;
        let media_key = self.template.media_field();
        let texts = self
            .template
            .fields()
            .iter()
            .filter(|f| Some(f.key) != media_key)
            .filter_map(|f| {
                let text = match content.get(f.key)? {
                    Value::String(s) => s.clone(),
                    other => serde_json::to_string_pretty(other).ok()?,
                };
                Some((f.key.to_owned(), text))
            })
            .collect();
        let media = row
            .media_ref
            .as_ref()
            .map(|reference| self.detail_media(item_id, reference));
        let mut annotations = Vec::new();
        for a in self.store.annotations_of_item(item_id)? {
            annotations.push(AnnotationHistory {
                versions: self.store.versions(a.id)?,
                reviews: self.store.reviews(a.id)?,
                annotation_id: a.id,
                annotator: a.annotator,
                state: a.state,
                time_spent_ms: a.time_spent_ms,
                created_at: a.created_at,
                updated_at: a.updated_at,
            });
        }
        Ok(ItemDetail {
            id: item_id,
            content,
            texts,
            media,
            source: self.store.item_source(item_id)?,
            batches: self.store.item_batches(item_id)?,
            scores: self.store.item_all_scores(item_id)?,
            annotations,
        })
    }

    /// The item's media file if it may be shown: inside the media folders, as served to
    /// annotators.
    fn detail_media(&self, item_id: i64, reference: &str) -> ItemMedia {
        let lead = Caller {
            name: String::new(),
            role: Role::Lead,
        };
        match self.media_path_for(&lead, item_id) {
            Ok(path) => ItemMedia::File {
                video: self.template.kind() == sift_template::Kind::VideoCaption,
                path,
            },
            Err(e) => ItemMedia::Unavailable {
                reference: reference.to_owned(),
                reason: e.to_string(),
            },
        }
    }
}
