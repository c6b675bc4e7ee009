//! Use cases as a signed-in person sees them: what the labeling UI calls, through the HTTP
//! server or the desktop shell. Every method takes the [`Caller`] and enforces who may see
//! and change what: annotators see and change only their own work; reviewers and leads
//! review; media is served only from inside the project's media roots.

use std::path::PathBuf;

use serde_json::Value;
use sift_core::Role;
use sift_store::QueueEntry;
use sift_template::{Mode, Violation};

use crate::annotate::{AnnotationView, ItemView};
use crate::media::{self, MediaRef};
use crate::{Error, Project, ProjectInfo, Result};

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct Caller {
    /// The person's name in the project (unique).
    pub name: String,
    /// What they may do: label, review, or everything.
    pub role: Role,
}

/// The signed-in person and their project.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct Me {
    /// Who is signed in.
    pub annotator: Caller,
    /// The project they are signed in to.
    pub project: ProjectInfo,
    /// Where media is served from, when not from the page's own origin (the desktop app).
    pub media_base_url: Option<String>,
    /// The project was opened read-only (this process cannot write its file or folder):
    /// work can be read, not saved. Decided once, when the project was opened.
    pub read_only: bool,
}

/// A person's queue and their progress.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct QueueView {
    /// What to work on next, in order: returned work, drafts, assigned items, then new ones.
    pub entries: Vec<QueueEntry>,
    /// Items this person has finished (submitted or approved) plus what is left for them.
    pub total_items: u64,
    /// Items this person has submitted or that were approved.
    pub done: u64,
}

/// One item the caller has worked on.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct WorkEntry {
    /// The item worked on.
    pub item_id: i64,
    /// The caller's annotation of it.
    pub annotation_id: i64,
    /// Where the annotation stands (draft, submitted, returned, approved).
    pub state: sift_core::AnnotationState,
    /// The newest saved version (versions count from 1; every save adds one).
    pub version: i64,
    /// When it was last saved or reviewed (RFC 3339, UTC).
    pub updated_at: String,
}

/// An annotation with its item, for review.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct ReviewTask {
    /// The annotation to judge, with its newest payload and earlier reviews.
    pub annotation: AnnotationView,
    /// The item it labels; its own `annotation` is empty (the work judged is the field above).
    pub item: ItemView,
}

impl Project {
    /// The person a token belongs to.
    pub fn caller(&self, token: &str) -> Result<Caller> {
        let row = self.authenticate(token)?;
        Ok(Caller {
            name: row.name,
            role: row.role,
        })
    }

    /// A caller by name, for adapters that authenticate by other means (the desktop app's
    /// local user).
    pub fn caller_named(&self, name: &str) -> Result<Caller> {
        let row = self.annotator(name)?;
        Ok(Caller {
            name: row.name,
            role: row.role,
        })
    }

    /// Sets the prefix of media URLs handed to the UI (`/media` for the HTTP server).
    pub fn set_media_base(&mut self, base: impl Into<String>) {
        self.media_base = base.into();
    }

    /// Who the caller is and which project they are in; `media_base_url` is passed through
    /// for adapters that serve media from another origin.
    pub fn me(&self, caller: &Caller, media_base_url: Option<String>) -> Result<Me> {
        Ok(Me {
            annotator: caller.clone(),
            project: self.info()?,
            media_base_url,
            read_only: self.read_only(),
        })
    }

    /// The caller's queue (at most `limit` entries, clamped to 1..=1000) and progress.
    pub fn queue_view(&self, caller: &Caller, limit: u32) -> Result<QueueView> {
        let who = self.annotator(&caller.name)?;
        let limit = limit.clamp(1, 1000);
        let entries = self.mix_gold(who.id, self.store.queue(who.id, limit)?, limit as usize)?;
        let (remaining, done) = self.store.queue_counts(who.id)?;
        Ok(QueueView {
            entries,
            total_items: remaining + done,
            done,
        })
    }

    /// The next page of new items after `after_item_id` (see [`QueueView`]); counts as for
    /// [`Project::queue_view`].
    pub fn queue_after(&self, caller: &Caller, after_item_id: i64, limit: u32) -> Result<QueueView> {
        let who = self.annotator(&caller.name)?;
        let entries = self.store.queue_after(after_item_id, limit.clamp(1, 1000))?;
        let (remaining, done) = self.store.queue_counts(who.id)?;
        Ok(QueueView {
            entries,
            total_items: remaining + done,
            done,
        })
    }

    /// The caller's own work, most recently changed first, so finished items can be reopened.
    pub fn recent_work_for(&self, caller: &Caller, limit: u32) -> Result<Vec<WorkEntry>> {
        let who = self.annotator(&caller.name)?;
        Ok(self
            .store
            .recent_work(who.id, limit.clamp(1, 1000))?
            .into_iter()
            .map(|a| WorkEntry {
                item_id: a.item_id,
                annotation_id: a.id,
                state: a.state,
                version: a.latest_version,
                updated_at: a.updated_at,
            })
            .collect())
    }

    /// Refuses an annotator an item outside their queue: they see and change only items
    /// assigned to them, new items nobody has started or been given, and their own work.
    /// Reviewers and leads reach every item. Item ids are sequential, so without this check
    /// any id could be opened, overwritten or have its media read.
    pub fn require_item_access(&self, caller: &Caller, item_id: i64) -> Result<()> {
        if caller.role.can_review() {
            return Ok(());
        }
        let who = self.annotator(&caller.name)?;
        if self.store.item_open_to(who.id, item_id)? {
            return Ok(());
        }
        if self.store.item(item_id)?.is_none() {
            return Err(Error::NotFound(format!("item {item_id}")));
        }
        Err(Error::Forbidden(format!(
            "item {item_id} is not in {}'s queue (it is assigned to or started by someone else)",
            caller.name
        )))
    }

    /// An item with the caller's own annotation (never anyone else's).
    pub fn item_for(&self, caller: &Caller, item_id: i64) -> Result<ItemView> {
        self.require_item_access(caller, item_id)?;
        let mut view = self.item(item_id, Some(&caller.name))?;
        // A gold item's answer came from a manifest field: annotators must not see it.
        if !caller.role.can_review()
            && let Some(field) = self.store.gold_field(item_id)?
            && let Some(content) = view.content.as_object_mut()
        {
            content.remove(&field);
        }
        Ok(view)
    }

    /// Every rule the payload does not meet yet, as on submit, without saving anything.
    pub fn validate_for(&self, caller: &Caller, item_id: i64, payload: &Value) -> Result<Vec<Violation>> {
        self.require_item_access(caller, item_id)?;
        Ok(self
            .check_payload(item_id, payload, Mode::Submit)?
            .err()
            .unwrap_or_default())
    }

    /// Submitted work waiting for review (reviewers and leads), without the caller's own.
    pub fn pending_reviews_for(&self, caller: &Caller, limit: u32) -> Result<Vec<AnnotationView>> {
        require_reviewer(caller)?;
        let mut list = self.pending_reviews(limit.clamp(1, 1000))?;
        list.retain(|a| a.annotator != caller.name);
        Ok(list)
    }

    /// An annotation with its item: for its owner, reviewers and leads.
    pub fn annotation_for(&self, caller: &Caller, annotation_id: i64) -> Result<ReviewTask> {
        let row = self
            .store
            .annotation_by_id(annotation_id)?
            .ok_or_else(|| Error::NotFound(format!("annotation {annotation_id}")))?;
        if row.annotator != caller.name && !caller.role.can_review() {
            return Err(Error::Forbidden(
                "only its annotator and reviewers can open this annotation".into(),
            ));
        }
        let item = self.item(row.item_id, None)?;
        Ok(ReviewTask {
            annotation: self.view(row)?,
            item,
        })
    }

    /// The local file of an item's media, refused unless it lies inside one of the
    /// project's media roots (after resolving `..` and symbolic links).
    pub fn media_path_for(&self, caller: &Caller, item_id: i64) -> Result<PathBuf> {
        self.require_item_access(caller, item_id)?;
        let item = self
            .store
            .item(item_id)?
            .ok_or_else(|| Error::NotFound(format!("item {item_id}")))?;
        let Some(reference) = item.media_ref else {
            return Err(Error::NotFound(format!("media of item {item_id}")));
        };
        let path = match media::resolve(&reference, std::path::Path::new("/")) {
            MediaRef::Remote(uri) => {
                return Err(Error::NotFound(format!(
                    "local copy of {uri} (pull the batch's media first)"
                )));
            }
            MediaRef::Local(p) => p,
        };
        let real = path
            .canonicalize()
            .map_err(|_| Error::NotFound(format!("media file {}", path.display())))?;
        let roots = self.store.media_roots()?;
        let allowed = roots
            .iter()
            .filter_map(|r| r.canonicalize().ok())
            .any(|root| real.starts_with(&root));
        if !allowed {
            return Err(Error::Forbidden(format!(
                "media of item {item_id} is outside the project's media folders"
            )));
        }
        Ok(real)
    }
}

fn require_reviewer(caller: &Caller) -> Result<()> {
    if caller.role.can_review() {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "{} is an annotator; reviewing needs the reviewer or lead role",
            caller.name
        )))
    }
}
