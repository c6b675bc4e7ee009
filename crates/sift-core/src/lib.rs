//! Sift's domain vocabulary, free of storage and I/O.
//!
//! - [`AnnotationState`] and [`Action`]: the explicit review state machine every adapter obeys.
//! - [`Role`]: what a person may do in a project.
//! - [`named_enum!`] and [`parse_name`]: enums of names (roles, states, kinds, codes), their
//!   derives declared once.
//! - [`now_rfc3339`]: the one timestamp format Sift writes.
//! - [`hex`]: the one hex encoder and decoder for hashes and identifiers.
//! - [`check_time_spent_ms`] and [`add_time_spent_ms`]: the bound on the time one save adds
//!   (0 to 24 hours) and saturating totals.
//!
//! The store persists these states; the API crate asks [`AnnotationState::apply`] before
//! every change, so an invalid transition is refused the same way from the CLI, the browser
//! and the desktop app.

#![warn(missing_docs)]

pub mod hex;
mod names;
mod review;
mod time_spent;

pub use names::{apply, parse_name};
pub use review::{Action, AnnotationState, TransitionError};
pub use time_spent::{
    MAX_TIME_SPENT_MS, TimeSpentError, add_time_spent_ms, check_time_spent_ms, clamp_time_spent_ms,
};

use std::str::FromStr;

/// What a person may do in a project.
#[apply(named_enum!)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    /// Labels items and sees only their own work.
    Annotator,
    /// Labels, and approves or returns other people's submitted work.
    Reviewer,
    /// Everything, including imports, exports, batches and sync.
    Lead,
}

impl Role {
    /// The role's name, as stored and serialized.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Reviewers and leads may review.
    pub fn can_review(self) -> bool {
        matches!(self, Role::Reviewer | Role::Lead)
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_name(s, "role")
    }
}

/// The current UTC time as RFC 3339 with microseconds, e.g. `2026-11-21T17:04:48.123456Z`.
pub fn now_rfc3339() -> String {
    format_rfc3339(time::OffsetDateTime::now_utc())
}

/// Formats a timestamp the way Sift stores and exports it.
pub fn format_rfc3339(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc_with_micros() {
        let t = time::macros::datetime!(2020-10-18 22:18:13.527256 +02:00);
        assert_eq!(format_rfc3339(t), "2020-10-18T20:18:13.527256Z");
        let now = now_rfc3339();
        assert!(time::OffsetDateTime::parse(&now, &time::format_description::well_known::Rfc3339).is_ok());
    }

    #[test]
    fn roles_round_trip() {
        for r in [Role::Annotator, Role::Reviewer, Role::Lead] {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert_eq!(
            "admin".parse::<Role>().unwrap_err(),
            r#"unknown role "admin" (expected annotator, reviewer or lead)"#
        );
        assert!(!Role::Annotator.can_review());
    }

    #[test]
    fn names_are_the_serde_names() {
        use strum::VariantArray;
        for r in Role::VARIANTS {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
            assert_eq!(r.to_string(), r.as_str());
        }
        for s in AnnotationState::VARIANTS {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(s.to_string(), s.as_str());
        }
        assert_eq!(
            "done".parse::<AnnotationState>().unwrap_err(),
            r#"unknown annotation state "done" (expected draft, submitted, approved or returned)"#
        );
    }
}
