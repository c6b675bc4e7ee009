// The desktop app's command names, declared once. Included by `build.rs` (the app manifest
// and the capability that grants the commands) and by the crate (the handler list), so what
// is registered, what is granted and what exists can never drift apart.

/// Calls `$callback` with `[$prefix]` and the commands only the desktop app has (choosing
/// which project is open, S3 sync, recovery from backup, starting the Lab). Each is a hand-written `#[tauri::command]` in
/// `commands.rs` of the same name; the labeling UI's commands come from
/// `sift_api::ui_commands!`.
macro_rules! desktop_commands {
    ($callback:ident [$($prefix:tt)*]) => {
        $callback! {
            [$($prefix)*]
            open_project,
            create_project,
            recent_projects,
            pick_project_folder,
            pick_manifest_file,
            sync_settings,
            save_sync_settings,
            sync_status,
            sync_now,
            recovery_candidates,
            restore_project,
            open_in_lab
        }
    };
}
#[allow(unused_imports)] // build.rs reads the list through `APP_COMMANDS` only
pub(crate) use desktop_commands;

/// The names of the labeling UI's commands (`sift_api::ui_commands!`), then the desktop's.
macro_rules! app_command_names {
    ($( $(#[doc = $doc:expr])* $name:ident($args:ty) -> $result:ty [$($role:ident),*] $mode:ident; )*) => {
        desktop_commands!(name_list [$($name)*])
    };
}

/// `[a b] c, d` → `&["a", "b", "c", "d"]`.
macro_rules! name_list {
    ([$($api:ident)*] $($desktop:ident),*) => {
        &[$(stringify!($api),)* $(stringify!($desktop)),*]
    };
}

/// Every app command: the labeling UI's, in the table's order, then the desktop's own. Each
/// needs an `allow-<name>` grant in a capability before the webview may call it.
/// (`ui_commands!` is in scope unqualified: `#[macro_use] extern crate sift_api` in the crate,
/// the `include!` of the table in `build.rs`.)
pub const APP_COMMANDS: &[&str] = ui_commands!(app_command_names);
