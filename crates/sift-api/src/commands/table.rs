// The one declaration of the labeling UI's commands. Nothing else lives in this file: it is
// `include!`d by the desktop shell's build script as well (for the app manifest's command
// names), where only the names are read.

/// Calls the macro `$callback` with every command of the labeling UI, one line each:
///
/// ```text
/// /// what it does
/// name(ArgumentType) -> ResultType [Role, ...] read|write;
/// ```
///
/// The roles are those allowed to call it (checked before the command runs; the command
/// itself may narrow further, e.g. an annotator opens only their own annotations); `read`
/// marks a command that changes nothing (so a client may safely send it again). From this
/// one list come the dispatch (`Project::call`, behind `POST /api/<command>` in `sift
/// serve`), [`COMMANDS`](crate::commands::COMMANDS), the desktop shell's Tauri commands and
/// their `allow-<name>` grants, and the UI's typed client (`ui/src/lib/bindings/commands.ts`,
/// written by `make types`).
#[macro_export]
macro_rules! ui_commands {
    ($callback:ident) => {
        $callback! {
            /// Who the caller is, their project, where media comes from.
            me($crate::commands::NoArgs) -> $crate::Me [Annotator, Reviewer, Lead] read;
            /// The project's template (what to label and the rules a submission must meet).
            template($crate::commands::NoArgs) -> $crate::commands::TemplateView<'_> [Annotator, Reviewer, Lead] read;
            /// The first page of the caller's queue, or with `after` the next page of new items.
            queue($crate::commands::QueueArgs) -> $crate::QueueView [Annotator, Reviewer, Lead] read;
            /// The caller's own annotations (any state), most recently changed first.
            recent_work($crate::commands::LimitArgs) -> Vec<$crate::WorkEntry> [Annotator, Reviewer, Lead] read;
            /// One item with the caller's own annotation of it.
            get_item($crate::commands::ItemArgs) -> $crate::ItemView [Annotator, Reviewer, Lead] read;
            /// Saves the caller's work on an item as a draft (a new version).
            save_draft($crate::commands::SaveArgs) -> $crate::AnnotationView [Annotator, Reviewer, Lead] write;
            /// Submits the caller's work on an item for review (a new version).
            submit($crate::commands::SaveArgs) -> $crate::AnnotationView [Annotator, Reviewer, Lead] write;
            /// Every rule a payload breaks, as a submission would be checked.
            validate($crate::commands::ValidateArgs) -> Vec<$crate::commands::Violation> [Annotator, Reviewer, Lead] read;
            /// Submitted work waiting for review, without the caller's own.
            pending_reviews($crate::commands::LimitArgs) -> Vec<$crate::AnnotationView> [Reviewer, Lead] read;
            /// An annotation with its item: for its annotator, reviewers and leads.
            get_annotation($crate::commands::AnnotationArgs) -> $crate::ReviewTask [Annotator, Reviewer, Lead] read;
            /// Approves or returns (with a comment) the latest submitted version.
            review($crate::commands::ReviewArgs) -> $crate::AnnotationView [Reviewer, Lead] write;
            /// The project's counts, per state and per annotator.
            status($crate::commands::NoArgs) -> $crate::StatusReport [Reviewer, Lead] read;
            /// Every annotation of an item but drafts: the work of several people side by side.
            item_annotations($crate::commands::ItemArgs) -> Vec<$crate::AnnotationView> [Reviewer, Lead] read;
            /// The template's dataset targets against the work so far.
            quotas($crate::commands::NoArgs) -> $crate::quality::quotas::QuotaReport [Reviewer, Lead] read;
        }
    };
}
