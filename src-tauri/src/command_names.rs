// Included by `build.rs` (for the app manifest) and by the crate (for the handler), so the
// commands that need a capability and the commands registered can never drift apart.

/// The labeling UI's commands: the names of `sift_api::commands::COMMANDS`, one Tauri
/// command each, answering exactly what `POST /api/<command>` answers in `sift serve`.
pub const API_COMMANDS: &[&str] = &[
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

/// Commands only the desktop app has: choosing which project is open, and S3 sync.
pub const DESKTOP_COMMANDS: &[&str] = &[
    "open_project",
    "create_project",
    "recent_projects",
    "pick_project_folder",
    "pick_manifest_file",
    "sync_settings",
    "save_sync_settings",
    "sync_status",
    "sync_now",
];

/// Every app command, for the app manifest: each needs an `allow-<name>` grant in a
/// capability before the webview may call it.
pub const APP_COMMANDS: &[&str] = &[
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
    "open_project",
    "create_project",
    "recent_projects",
    "pick_project_folder",
    "pick_manifest_file",
    "sync_settings",
    "save_sync_settings",
    "sync_status",
    "sync_now",
];
