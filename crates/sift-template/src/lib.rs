//! Sift labeling templates, annotation payloads and training-ready exports.
//!
//! This crate is the single source of truth for what a labeling task asks for and what an
//! annotation must contain, so the desktop app, the browser UI and the CLI enforce the same
//! rules. It is a pure library: no I/O, no storage.
//!
//! * [`parse_template`] reads a template (TOML, see `labeling-templates/README.md`) for one of
//!   the task kinds ([`Kind`]): Q&A pairs about a passage, ranking model responses, image
//!   captioning, video captioning and classification of a text or an image. Every problem is
//!   reported with its key path.
//! * [`Payload`] is the typed annotation of one item, serialized as JSON and parsed with
//!   [`Template::parse_payload`].
//! * [`validate()`] checks a payload against its template and item in [`Mode::Draft`] (structure
//!   only) or [`Mode::Submit`] (every rule), returning every [`Violation`].
//! * [`export`] turns submitted annotations into training-ready records: SFT, preference
//!   pairs, captions JSONL, COCO captions, classification records, and the Ground Truth label
//!   of a classification in the built-in shape.
//! * [`interop`] speaks other tools' formats both ways: Label Studio tasks (export, import,
//!   labeling configuration).
//!
//! Layout: each kind lives in its own module under `kinds/` (its `[fields]` and `[rules]`
//! with their reader, its payload, its checks, its Label Studio mapping), behind the
//! registry in `kinds/mod.rs`; [`template`], [`payload`], [`validate`] and
//! [`interop::label_studio`] hold what every kind shares and reach the kinds only through
//! that registry. [`Code`] and [`Violation`] sit in a leaf module that everything reports
//! through.
//!
//! The UI's TypeScript types of the template ([`TemplateView`], with every kind's fields and
//! rules), of the payloads ([`Payload`]) and of [`Violation`] derive from these types with
//! ts-rs; `sift-api`'s bindings test writes them to `ui/src/lib/bindings/`.
//!
//! Offsets and lengths are counted in Unicode scalar values; see [`text`].

#![warn(missing_docs)]

pub mod export;
pub mod interop;
mod item;
mod kinds;
mod path;
pub mod payload;
pub mod template;
pub mod text;
pub mod validate;
mod violation;

pub use kinds::Response;
pub use payload::{
    ClassificationPayload, ImageObject, ImagePayload, Payload, QaPair, QaPayload, RankingPayload,
    Relationship, Span, Unsure, VideoEvent, VideoPayload, parse_payload,
};
pub use template::{
    Action, Chord, Class, Classification, ClassificationFields, ClassificationRules, Dimension, Direction,
    FieldBinding, ImageFields, ImageRules, Kind, QaFields, QaRules, QuotaBounds, Quotas, RankingFields,
    RankingRules, Requirement, SceneRules, ShareQuota, Shortcuts, Spec, Template, TemplateError,
    TemplateErrors, TemplateView, VideoFields, VideoRules, WordBand, parse_template,
};
pub use validate::{Code, MediaInfo, Mode, Violation, check, validate};
