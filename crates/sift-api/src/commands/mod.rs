//! The labeling UI's commands, by name: one table that both transports dispatch through —
//! `POST /api/<command>` in `sift serve` and `invoke("<command>")` in the desktop app — so
//! the two can never drift apart. Each command takes a JSON object of arguments and returns
//! JSON; the argument types are exported to TypeScript with the results.
//!
//! The commands are declared once, in `table.rs` ([`ui_commands!`](crate::ui_commands)):
//! name, arguments, result, the roles allowed and whether it changes anything. This module
//! turns that list into the dispatch ([`Project::call`]) and [`COMMANDS`]; `handlers.rs`
//! holds what each command does.

mod handlers;
mod table;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sift_core::Role;
use sift_store::Decision;

use crate::access::Caller;
use crate::{Error, Project, Result};

/// Commands without arguments (`{}` or nothing).
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

/// `get_item`, `get_annotation`-style arguments.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ItemArgs {
    /// The item asked for.
    pub item_id: i64,
}

/// `save_draft` and `submit`.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct SaveArgs {
    /// The item the work is on.
    pub item_id: i64,
    /// The work, in the template's payload shape; checked as a draft or a submission.
    pub payload: Value,
    /// Active time spent since the previous save.
    #[serde(default)]
    pub time_spent_ms: i64,
    /// A model suggestion was shown for the item (absent: none was).
    #[serde(default)]
    #[ts(optional)]
    pub suggestion_shown: Option<bool>,
    /// The saved answer is that suggestion, unchanged.
    #[serde(default)]
    #[ts(optional)]
    pub suggestion_accepted: Option<bool>,
}

/// `validate`.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ValidateArgs {
    /// The item the work is on.
    pub item_id: i64,
    /// The work to check against the template's submission rules (nothing is saved).
    pub payload: Value,
}

/// `recent_work` and `pending_reviews`.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct LimitArgs {
    /// At most this many entries (default 100).
    #[serde(default)]
    #[ts(optional)]
    pub limit: Option<u32>,
}

/// `queue`: the first page, or with `after` the next page of new items after that item id.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct QueueArgs {
    /// At most this many entries (default 50, clamped to 1..=1000).
    #[serde(default)]
    #[ts(optional)]
    pub limit: Option<u32>,
    /// The last item id of the page before; absent for the first page.
    #[serde(default)]
    #[ts(optional)]
    pub after: Option<i64>,
}

/// `get_annotation`.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct AnnotationArgs {
    /// The annotation asked for.
    pub annotation_id: i64,
}

/// `review`.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ReviewArgs {
    /// The annotation judged.
    pub annotation_id: i64,
    /// The submitted version judged (it must still be the one awaiting review).
    pub version: i64,
    /// Approve or return.
    pub decision: Decision,
    /// What to fix (required to return work) or a note.
    #[serde(default)]
    pub comment: Option<String>,
    /// Where the comment points: `{"span":[s,e]}`, `{"object":"id"}` or `{"time":12.5}`.
    #[serde(default)]
    pub anchor: Option<Value>,
}

/// One command of the table, as adapters see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    /// Its name: the HTTP path segment, the Tauri command, the client's call.
    pub name: &'static str,
    /// Who may call it.
    pub roles: &'static [Role],
    /// It changes nothing: sending it again is safe.
    pub read_only: bool,
}

impl Command {
    /// The command named `name`.
    pub fn named(name: &str) -> Option<&'static Command> {
        COMMANDS.iter().find(|c| c.name == name)
    }
}

/// What a command runs with besides its arguments.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'a> {
    /// Where media is served from, when not from the page's own origin (the desktop app).
    pub media_base_url: Option<&'a str>,
}

/// `read` / `write` in the table.
macro_rules! read_only {
    (read) => {
        true
    };
    (write) => {
        false
    };
}

/// The dispatch and [`COMMANDS`], from the table.
macro_rules! dispatch {
    ($( $(#[doc = $doc:expr])* $name:ident($args:ty) -> $result:ty [$($role:ident),*] $mode:ident; )*) => {
        /// Every command, in the table's order.
        pub const COMMANDS: &[Command] = &[$(
            Command {
                name: stringify!($name),
                roles: &[$(Role::$role),*],
                read_only: read_only!($mode),
            },
        )*];

        impl Project {
            /// Runs the command `name` for `caller`. `media_base_url` is reported by `me`
            /// (the desktop app's media server; `None` over HTTP, where media comes from the
            /// same origin).
            pub fn call(
                &mut self,
                caller: &Caller,
                name: &str,
                arguments: Value,
                media_base_url: Option<&str>,
            ) -> Result<Value> {
                let ctx = Context { media_base_url };
                match name {
                    $(stringify!($name) => {
                        allowed(caller, name, &[$(Role::$role),*])?;
                        let a: $args = args(name, arguments)?;
                        let out: $result = handlers::$name(self, caller, a, ctx)?;
                        json(out)
                    })*
                    other => Err(Error::NotFound(format!("command {other:?}"))),
                }
            }
        }
    };
}

/// The result of `template` (the template as JSON) and other untyped values.
pub type JsonValue = Value;

pub use sift_template::{TemplateView, Violation};

crate::ui_commands!(dispatch);

/// Refuses a caller whose role the command's line in the table does not list.
fn allowed(caller: &Caller, command: &str, roles: &[Role]) -> Result<()> {
    if roles.contains(&caller.role) {
        return Ok(());
    }
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    Err(Error::Forbidden(format!(
        "{} is {} {}; {command} needs the role {}",
        caller.name,
        if caller.role == Role::Annotator { "an" } else { "a" },
        caller.role,
        names.join(" or ")
    )))
}

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
