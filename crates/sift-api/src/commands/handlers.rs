//! What each command of the table does: one function per command, named after it, taking
//! its parsed arguments and returning its result. The role check from the table has already
//! run; finer rules (whose work a caller may see) live in the use cases they call.

// One signature for every command (the dispatch hands each its parsed arguments by value).
#![allow(clippy::needless_pass_by_value)]

use sift_template::{TemplateView, Violation};

use super::{
    AnnotationArgs, Context, ItemArgs, LimitArgs, NoArgs, QueueArgs, ReviewArgs, SaveArgs, ValidateArgs,
};
use crate::access::Caller;
use crate::learn::SuggestionReport;
use crate::{
    AnnotationView, ItemView, Me, Project, QueueView, Result, ReviewInput, ReviewTask, StatusReport,
    WorkEntry,
};

pub(super) fn me(p: &mut Project, caller: &Caller, _: NoArgs, ctx: Context<'_>) -> Result<Me> {
    p.me(caller, ctx.media_base_url.map(str::to_owned))
}

pub(super) fn template<'p>(
    p: &'p mut Project,
    _: &Caller,
    _: NoArgs,
    _: Context<'_>,
) -> Result<TemplateView<'p>> {
    Ok(p.template().view())
}

pub(super) fn queue(p: &mut Project, caller: &Caller, a: QueueArgs, _: Context<'_>) -> Result<QueueView> {
    let limit = a.limit.unwrap_or(50);
    match a.after {
        Some(after) => p.queue_after(caller, after, limit),
        None => p.queue_view(caller, limit),
    }
}

pub(super) fn recent_work(
    p: &mut Project,
    caller: &Caller,
    a: LimitArgs,
    _: Context<'_>,
) -> Result<Vec<WorkEntry>> {
    p.recent_work_for(caller, a.limit.unwrap_or(100))
}

pub(super) fn get_item(p: &mut Project, caller: &Caller, a: ItemArgs, _: Context<'_>) -> Result<ItemView> {
    p.item_for(caller, a.item_id)
}

pub(super) fn save_draft(
    p: &mut Project,
    caller: &Caller,
    a: SaveArgs,
    _: Context<'_>,
) -> Result<AnnotationView> {
    p.require_item_access(caller, a.item_id)?;
    let s = SuggestionReport::from_args(a.suggestion_shown, a.suggestion_accepted)?;
    p.save_with_suggestion(a.item_id, &caller.name, &a.payload, a.time_spent_ms, false, s)
}

pub(super) fn submit(
    p: &mut Project,
    caller: &Caller,
    a: SaveArgs,
    _: Context<'_>,
) -> Result<AnnotationView> {
    p.require_item_access(caller, a.item_id)?;
    let s = SuggestionReport::from_args(a.suggestion_shown, a.suggestion_accepted)?;
    p.save_with_suggestion(a.item_id, &caller.name, &a.payload, a.time_spent_ms, true, s)
}

pub(super) fn validate(
    p: &mut Project,
    caller: &Caller,
    a: ValidateArgs,
    _: Context<'_>,
) -> Result<Vec<Violation>> {
    p.validate_for(caller, a.item_id, &a.payload)
}

pub(super) fn pending_reviews(
    p: &mut Project,
    caller: &Caller,
    a: LimitArgs,
    _: Context<'_>,
) -> Result<Vec<AnnotationView>> {
    p.pending_reviews_for(caller, a.limit.unwrap_or(100))
}

pub(super) fn get_annotation(
    p: &mut Project,
    caller: &Caller,
    a: AnnotationArgs,
    _: Context<'_>,
) -> Result<ReviewTask> {
    p.annotation_for(caller, a.annotation_id)
}

pub(super) fn review(
    p: &mut Project,
    caller: &Caller,
    a: ReviewArgs,
    _: Context<'_>,
) -> Result<AnnotationView> {
    p.review(&ReviewInput {
        annotation_id: a.annotation_id,
        version: a.version,
        reviewer: &caller.name,
        decision: a.decision,
        comment: a.comment.as_deref(),
        anchor: a.anchor,
    })
}

pub(super) fn status(p: &mut Project, _: &Caller, _: NoArgs, _: Context<'_>) -> Result<StatusReport> {
    p.status()
}

pub(super) fn item_annotations(
    p: &mut Project,
    _: &Caller,
    a: ItemArgs,
    _: Context<'_>,
) -> Result<Vec<AnnotationView>> {
    p.item_annotations(a.item_id)
}

pub(super) fn quotas(
    p: &mut Project,
    _: &Caller,
    _: NoArgs,
    _: Context<'_>,
) -> Result<crate::quality::quotas::QuotaReport> {
    p.quota_report()
}
