//! The annotation and review state machine.
//!
//! One annotation is one annotator's work on one item. Its states:
//!
//! ```text
//!             save_draft            submit               approve
//!   (none) ─────────────▶ Draft ─────────────▶ Submitted ─────────▶ Approved (final)
//!      │                   ▲  │                   │
//!      └────── submit ─────┼──┘                   │ return (with comment)
//!                          │     save_draft       ▼
//!                          └──────────────── Returned ── submit ──▶ Submitted
//! ```
//!
//! Every save and every submission creates a new stored version; reviews refer to the
//! version they judged, and only the latest submitted version can be judged.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::{apply, named_enum};
use std::str::FromStr;

/// Where one annotator's work on one item stands.
#[apply(named_enum!)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum AnnotationState {
    /// Work in progress, possibly incomplete.
    Draft,
    /// Handed in, waiting for review.
    Submitted,
    /// Accepted by a reviewer. Final.
    Approved,
    /// Sent back to the annotator with a comment.
    Returned,
}

/// Something a person does to an annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The annotator saves work in progress: allowed before any save, on a draft and on a
    /// returned annotation; the result is [`AnnotationState::Draft`].
    SaveDraft,
    /// The annotator hands the work in for review (from the same states as `SaveDraft`);
    /// the result is [`AnnotationState::Submitted`].
    Submit,
    /// A reviewer accepts the submitted version; the result, [`AnnotationState::Approved`],
    /// is final.
    Approve,
    /// A reviewer sends the submitted version back with a comment; the result is
    /// [`AnnotationState::Returned`].
    Return,
}

/// An action that the current state does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} an annotation that is {}", state_name(*.from))]
pub struct TransitionError {
    /// The annotation's state when the action was tried; `None` when the annotator had
    /// saved nothing for the item yet.
    pub from: Option<AnnotationState>,
    /// The action that this state does not allow.
    pub action: Action,
}

fn state_name(s: Option<AnnotationState>) -> &'static str {
    match s {
        None => "not started",
        Some(AnnotationState::Draft) => "a draft",
        Some(AnnotationState::Submitted) => "submitted and waiting for review",
        Some(AnnotationState::Approved) => "already approved",
        Some(AnnotationState::Returned) => "returned for rework",
    }
}

impl AnnotationState {
    /// The state after `action`, or why it is not allowed. `from` is `None` before the
    /// annotator has saved anything for the item.
    pub fn apply(from: Option<AnnotationState>, action: Action) -> Result<AnnotationState, TransitionError> {
        use AnnotationState::*;
        let to = match (from, action) {
            (None | Some(Draft) | Some(Returned), Action::SaveDraft) => Draft,
            (None | Some(Draft) | Some(Returned), Action::Submit) => Submitted,
            (Some(Submitted), Action::Approve) => Approved,
            (Some(Submitted), Action::Return) => Returned,
            _ => return Err(TransitionError { from, action }),
        };
        Ok(to)
    }

    /// The state's name, as stored and serialized.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// States whose latest submitted version counts as a label in exports.
    pub fn is_labelled(self) -> bool {
        matches!(self, AnnotationState::Submitted | AnnotationState::Approved)
    }
}

impl FromStr for AnnotationState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::parse_name(s, "annotation state")
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::SaveDraft => "save a draft of",
            Action::Submit => "submit",
            Action::Approve => "approve",
            Action::Return => "return",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::AnnotationState::*;
    use super::*;

    const ALL_STATES: [Option<AnnotationState>; 5] =
        [None, Some(Draft), Some(Submitted), Some(Approved), Some(Returned)];
    const ALL_ACTIONS: [Action; 4] = [Action::SaveDraft, Action::Submit, Action::Approve, Action::Return];

    #[test]
    fn full_transition_table() {
        let expected = |from: Option<AnnotationState>, a: Action| -> Option<AnnotationState> {
            match (from, a) {
                (None, Action::SaveDraft) => Some(Draft),
                (None, Action::Submit) => Some(Submitted),
                (Some(Draft), Action::SaveDraft) => Some(Draft),
                (Some(Draft), Action::Submit) => Some(Submitted),
                (Some(Submitted), Action::Approve) => Some(Approved),
                (Some(Submitted), Action::Return) => Some(Returned),
                (Some(Returned), Action::SaveDraft) => Some(Draft),
                (Some(Returned), Action::Submit) => Some(Submitted),
                _ => None,
            }
        };
        for from in ALL_STATES {
            for a in ALL_ACTIONS {
                assert_eq!(
                    AnnotationState::apply(from, a).ok(),
                    expected(from, a),
                    "{from:?} {a:?}"
                );
            }
        }
    }

    #[test]
    fn returning_twice_needs_a_resubmission_in_between() {
        let s = AnnotationState::apply(Some(Submitted), Action::Return).unwrap();
        let err = AnnotationState::apply(Some(s), Action::Return).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot return an annotation that is returned for rework"
        );
        let s = AnnotationState::apply(Some(s), Action::Submit).unwrap();
        assert_eq!(AnnotationState::apply(Some(s), Action::Return).unwrap(), Returned);
    }

    #[test]
    fn approved_is_final() {
        for a in ALL_ACTIONS {
            assert!(AnnotationState::apply(Some(Approved), a).is_err());
        }
    }

    #[test]
    fn names_round_trip() {
        for s in [Draft, Submitted, Approved, Returned] {
            assert_eq!(s.as_str().parse::<AnnotationState>().unwrap(), s);
        }
    }
}
