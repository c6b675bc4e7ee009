//! The labeling UI's commands, by name: one table that both transports dispatch through —
//! `POST /api/<command>` in `sift serve` and `invoke("<command>")` in the desktop app — so
//! the two can never drift apart. Each command takes a JSON object of arguments and returns
//! JSON; the argument types are exported to TypeScript with the results.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sift_store::Decision;

use crate::session::Caller;
use crate::{Error, Project, Result, ReviewInput};

/// `get_item`, `get_annotation`-style arguments.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ItemArgs {
    pub item_id: i64,
}

/// `save_draft` and `submit`.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct SaveArgs {
    pub item_id: i64,
    pub payload: Value,
    /// Active time spent since the previous save.
    #[serde(default)]
    pub time_spent_ms: i64,
}

/// `validate`.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ValidateArgs {
    pub item_id: i64,
    pub payload: Value,
}

/// `queue` and `pending_reviews`.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct LimitArgs {
    #[serde(default)]
    #[ts(optional)]
    pub limit: Option<u32>,
}

/// `queue`: the first page, or with `after` the next page of new items after that item id.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct QueueArgs {
    #[serde(default)]
    #[ts(optional)]
    pub limit: Option<u32>,
    #[serde(default)]
    #[ts(optional)]
    pub after: Option<i64>,
}

/// `get_annotation`.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct AnnotationArgs {
    pub annotation_id: i64,
}

/// `review`.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ReviewArgs {
    pub annotation_id: i64,
    pub version: i64,
    pub decision: Decision,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub anchor: Option<Value>,
}

/// Every command name, for adapters that register them one by one.
pub const COMMANDS: &[&str] = &[
    "me",
    "template",
    "queue",
    "recent_work",
    "get_item",
    "save_draft",
    "submit",
    "validate",
    "pending_reviews",
    "get_annotation",
    "review",
    "status",
];

fn args<T: DeserializeOwned>(command: &str, value: Value) -> Result<T> {
    let value = if value.is_null() {
        Value::Object(Default::default())
    } else {
        value
    };
    serde_json::from_value(value).map_err(|e| Error::BadRequest(format!("{command}: {e}")))
}

fn json<T: serde::Serialize>(value: T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::Internal(format!("cannot serialize the result: {e}")))
}

impl Project {
    /// Runs the command `name` for `caller`. `media_base_url` is reported by `me` (the
    /// desktop app's media server; `None` over HTTP, where media comes from the same origin).
    pub fn call(
        &mut self,
        caller: &Caller,
        name: &str,
        arguments: Value,
        media_base_url: Option<&str>,
    ) -> Result<Value> {
        match name {
            "me" => json(self.me(caller, media_base_url.map(str::to_owned))?),
            "template" => Ok(self.template_view()),
            "queue" => {
                let a: QueueArgs = args(name, arguments)?;
                let limit = a.limit.unwrap_or(50);
                match a.after {
                    Some(after) => json(self.queue_after(caller, after, limit)?),
                    None => json(self.queue_view(caller, limit)?),
                }
            }
            "recent_work" => {
                let a: LimitArgs = args(name, arguments)?;
                json(self.recent_work_for(caller, a.limit.unwrap_or(100))?)
            }
            "get_item" => {
                let a: ItemArgs = args(name, arguments)?;
                json(self.item_for(caller, a.item_id)?)
            }
            "save_draft" => {
                let a: SaveArgs = args(name, arguments)?;
                self.require_item_access(caller, a.item_id)?;
                json(self.save_draft(a.item_id, &caller.name, &a.payload, a.time_spent_ms)?)
            }
            "submit" => {
                let a: SaveArgs = args(name, arguments)?;
                self.require_item_access(caller, a.item_id)?;
                json(self.submit(a.item_id, &caller.name, &a.payload, a.time_spent_ms)?)
            }
            "validate" => {
                let a: ValidateArgs = args(name, arguments)?;
                json(self.validate_for(caller, a.item_id, &a.payload)?)
            }
            "pending_reviews" => {
                let a: LimitArgs = args(name, arguments)?;
                json(self.pending_reviews_for(caller, a.limit.unwrap_or(100))?)
            }
            "get_annotation" => {
                let a: AnnotationArgs = args(name, arguments)?;
                json(self.annotation_for(caller, a.annotation_id)?)
            }
            "review" => {
                let a: ReviewArgs = args(name, arguments)?;
                let input = ReviewInput {
                    annotation_id: a.annotation_id,
                    version: a.version,
                    reviewer: &caller.name,
                    decision: a.decision,
                    comment: a.comment.as_deref(),
                    anchor: a.anchor,
                };
                json(self.review(&input)?)
            }
            "status" => {
                if !caller.role.can_review() {
                    return Err(Error::Forbidden(
                        "project status is for reviewers and leads".into(),
                    ));
                }
                json(self.status()?)
            }
            other => Err(Error::NotFound(format!("command {other:?}"))),
        }
    }
}
