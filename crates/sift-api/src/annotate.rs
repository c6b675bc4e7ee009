//! Saving, submitting and reviewing work.

use serde_json::Value;
use sift_core::Action;
use sift_store::{AnnotationRow, Decision, ReviewRow};
use sift_template::Mode;

use crate::learn::{Suggestion, SuggestionReport};
use crate::{Error, Project, Result};

/// An item as an annotator sees it.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct ItemView {
    /// The item's id in the project.
    pub id: i64,
    /// The item's data as imported (the manifest line's fields, e.g. `source`).
    pub content: Value,
    /// Where the UI loads the item's media from (`None` for text-only items).
    pub media_url: Option<String>,
    /// The viewer's own annotation, if they have started one.
    pub annotation: Option<AnnotationView>,
    /// The current model's prediction for the item, shown as a suggestion (never as an answer
    /// already given); `None` when there is none or the project turned suggestions off.
    pub suggestion: Option<Suggestion>,
}

/// One annotator's work on an item: its state, newest payload and reviews.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct AnnotationView {
    /// The annotation's id (one per item and annotator).
    pub id: i64,
    /// The item it labels.
    pub item_id: i64,
    /// Whose work it is.
    pub annotator: String,
    /// Where it stands (draft, submitted, returned, approved).
    pub state: sift_core::AnnotationState,
    /// The newest saved version; every draft save or submission adds one.
    pub version: i64,
    /// The version last submitted (the one reviewers judge), if any.
    pub submitted_version: Option<i64>,
    /// The newest version's payload (`null` when nothing is saved yet).
    pub payload: Value,
    /// Total time spent on it across saves, in milliseconds.
    pub time_spent_ms: i64,
    /// When it was last saved or reviewed (RFC 3339, UTC).
    pub updated_at: String,
    /// Its reviews, oldest first.
    pub reviews: Vec<ReviewRow>,
    /// Only in the answer to a submission of a gold item, when the project shows feedback:
    /// whether it matched, and the expected answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub gold: Option<crate::quality::gold::GoldFeedback>,
}

/// A reviewer's decision on one version.
#[derive(Debug, Clone)]
pub struct ReviewInput<'a> {
    /// The annotation judged.
    pub annotation_id: i64,
    /// The submitted version judged (it must still be the one awaiting review).
    pub version: i64,
    /// Who judges (a reviewer or lead, not the annotation's author).
    pub reviewer: &'a str,
    /// Approve or return.
    pub decision: Decision,
    /// What to fix (required to return work) or a note.
    pub comment: Option<&'a str>,
    /// `{"span":[s,e]}`, `{"object":"id"}` or `{"time":12.5}`.
    pub anchor: Option<Value>,
}

impl Project {
    /// An item, with `annotator`'s own work on it.
    pub fn item(&self, item_id: i64, annotator: Option<&str>) -> Result<ItemView> {
        let row = self
            .store
            .item(item_id)?
            .ok_or_else(|| Error::NotFound(format!("item {item_id}")))?;
        let content = serde_json::from_str(&row.content)
            .map_err(|e| Error::Internal(format!("item {item_id}: {e}")))?;
        let suggestion = self.suggestion_for(item_id, &content)?.map(|(s, _)| s);
        let annotation = match annotator {
            None => None,
            Some(name) => {
                let who = self.annotator(name)?;
                match self.store.annotation(item_id, who.id)? {
                    Some(a) => Some(self.view(a)?),
                    None => None,
                }
            }
        };
        let media_url = row
            .media_ref
            .as_ref()
            .map(|_| format!("{}/items/{}", self.media_base, row.id));
        Ok(ItemView {
            id: row.id,
            content,
            media_url,
            annotation,
            suggestion,
        })
    }

    /// Whether the project was opened read-only (its file or folder cannot be written by
    /// this process): saves fail with the `read_only` code.
    pub fn read_only(&self) -> bool {
        self.store.read_only()
    }

    /// Saves work in progress. Drafts may be incomplete but must be well-formed.
    pub fn save_draft(
        &mut self,
        item_id: i64,
        annotator: &str,
        payload: &Value,
        time_spent_ms: i64,
    ) -> Result<AnnotationView> {
        self.record(
            item_id,
            annotator,
            payload,
            time_spent_ms,
            Action::SaveDraft,
            SuggestionReport::default(),
        )
    }

    /// Hands work in for review. The payload must meet every rule of the template; the
    /// error lists every rule it breaks.
    pub fn submit(
        &mut self,
        item_id: i64,
        annotator: &str,
        payload: &Value,
        time_spent_ms: i64,
    ) -> Result<AnnotationView> {
        self.record(
            item_id,
            annotator,
            payload,
            time_spent_ms,
            Action::Submit,
            SuggestionReport::default(),
        )
    }

    /// [`save_draft`](Self::save_draft) (`submit` false) or [`submit`](Self::submit) (`submit`
    /// true) that records with the new version whether a model suggestion was shown for the
    /// item and accepted unchanged.
    pub fn save_with_suggestion(
        &mut self,
        item_id: i64,
        annotator: &str,
        payload: &Value,
        time_spent_ms: i64,
        submit: bool,
        suggestion: SuggestionReport,
    ) -> Result<AnnotationView> {
        let action = if submit { Action::Submit } else { Action::SaveDraft };
        self.record(item_id, annotator, payload, time_spent_ms, action, suggestion)
    }

    /// Parses `payload` for the template and checks it against item `item_id` in `mode`:
    /// the parsed payload, or every rule it breaks. Saving and live validation share it.
    pub(crate) fn check_payload(
        &self,
        item_id: i64,
        payload: &Value,
        mode: Mode,
    ) -> Result<std::result::Result<sift_template::Payload, Vec<sift_template::Violation>>> {
        let item = self
            .store
            .item(item_id)?
            .ok_or_else(|| Error::NotFound(format!("item {item_id}")))?;
        let content: Value = serde_json::from_str(&item.content)
            .map_err(|e| Error::Internal(format!("item {item_id}: {e}")))?;
        let parsed = match self.template.parse_payload(payload) {
            Ok(p) => p,
            Err(violations) => return Ok(Err(violations)),
        };
        let media =
            crate::media::MediaFacts::default().info(&self.template, &content, item.media_ref.as_deref());
        let violations = sift_template::validate(&self.template, &content, &parsed, &media, mode);
        Ok(if violations.is_empty() {
            Ok(parsed)
        } else {
            Err(violations)
        })
    }

    fn record(
        &mut self,
        item_id: i64,
        annotator: &str,
        payload: &Value,
        time_spent_ms: i64,
        action: Action,
        suggestion: SuggestionReport,
    ) -> Result<AnnotationView> {
        let who = self.annotator(annotator)?;
        let mode = if action == Action::Submit {
            Mode::Submit
        } else {
            Mode::Draft
        };
        let parsed = self
            .check_payload(item_id, payload, mode)?
            .map_err(Error::Invalid)?;
        let text = parsed.to_json().to_string();
        let shown = self.suggestion_use(item_id, suggestion)?;
        let row =
            self.store
                .record_work_with(item_id, who.id, action, &text, time_spent_ms, shown.as_ref())?;
        let mut view = self.view(row)?;
        if action == Action::Submit {
            view.gold = self.gold_feedback(item_id, &text)?;
        }
        Ok(view)
    }

    /// Approves or returns a submitted version. Reviewers may not judge their own work.
    pub fn review(&mut self, input: &ReviewInput<'_>) -> Result<AnnotationView> {
        let reviewer = self.annotator(input.reviewer)?;
        if !reviewer.role.can_review() {
            return Err(Error::Forbidden(format!(
                "{} is an annotator, not a reviewer",
                reviewer.name
            )));
        }
        let current = self
            .store
            .annotation_by_id(input.annotation_id)?
            .ok_or_else(|| Error::NotFound(format!("annotation {}", input.annotation_id)))?;
        if current.annotator_id == reviewer.id {
            return Err(Error::Forbidden("reviewers cannot review their own work".into()));
        }
        if input.decision == Decision::Returned && input.comment.is_none_or(|c| c.trim().is_empty()) {
            return Err(Error::BadRequest(
                "returning work needs a comment that says what to fix".into(),
            ));
        }
        if let Some(anchor) = &input.anchor {
            check_anchor(anchor)?;
        }
        let anchor = input.anchor.as_ref().map(Value::to_string);
        let row = self.store.review(
            input.annotation_id,
            input.version,
            reviewer.id,
            input.decision,
            input.comment,
            anchor.as_deref(),
        )?;
        self.view(row)
    }

    /// What `annotator` should work on next: returned work first, then drafts, then
    /// assigned items, then new ones.
    pub fn queue(&self, annotator: &str, limit: u32) -> Result<Vec<sift_store::QueueEntry>> {
        let who = self.annotator(annotator)?;
        Ok(self.store.queue(who.id, limit)?)
    }

    /// Every annotation of an item that is not a draft (submitted, returned, approved), by
    /// annotator: what reviewers compare when several people labeled the item.
    pub fn item_annotations(&self, item_id: i64) -> Result<Vec<AnnotationView>> {
        if self.store.item(item_id)?.is_none() {
            return Err(Error::NotFound(format!("item {item_id}")));
        }
        self.store
            .annotations_of_item(item_id)?
            .into_iter()
            .filter(|a| a.state != sift_core::AnnotationState::Draft)
            .map(|a| self.view(a))
            .collect()
    }

    /// Submitted work waiting for review, oldest first.
    pub fn pending_reviews(&self, limit: u32) -> Result<Vec<AnnotationView>> {
        self.store
            .pending_reviews(limit)?
            .into_iter()
            .map(|a| self.view(a))
            .collect()
    }

    pub(crate) fn view(&self, a: AnnotationRow) -> Result<AnnotationView> {
        let latest = self.store.latest_version(a.id)?;
        let payload = match &latest {
            Some(v) => serde_json::from_str(&v.payload)
                .map_err(|e| Error::Internal(format!("annotation {}: {e}", a.id)))?,
            None => Value::Null,
        };
        Ok(AnnotationView {
            id: a.id,
            item_id: a.item_id,
            annotator: a.annotator,
            state: a.state,
            version: a.latest_version,
            submitted_version: a.submitted_version,
            payload,
            time_spent_ms: a.time_spent_ms,
            updated_at: a.updated_at,
            reviews: self.store.reviews(a.id)?,
            gold: None,
        })
    }
}

pub(crate) fn check_anchor(anchor: &Value) -> Result<()> {
    let ok = match anchor {
        Value::Object(m) if m.len() == 1 => match m.iter().next() {
            Some((k, v)) if k == "span" => v
                .as_array()
                .is_some_and(|a| a.len() == 2 && a.iter().all(|x| x.as_u64().is_some())),
            Some((k, v)) if k == "object" => v.is_string(),
            Some((k, v)) if k == "time" => v.as_f64().is_some_and(|t| t.is_finite() && t >= 0.0),
            _ => false,
        },
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::BadRequest(
            "review anchor must be {\"span\":[start,end]}, {\"object\":\"id\"} or {\"time\":seconds}".into(),
        ))
    }
}
