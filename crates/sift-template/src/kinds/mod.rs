//! Template kinds: the contract every kind implements ([`TaskKind`]) and the registry that
//! lists them.
//!
//! Each kind lives in its own module and owns everything particular to it: its `[fields]`
//! and `[rules]` types and their reader, its payload types, its checks, its item accessors,
//! its shortcut actions and its Label Studio conversion. The rest of the crate (template
//! parsing, payload parsing, validation, Label Studio tasks) reaches a kind only through the
//! registry below, so adding a kind means writing one new module that implements
//! [`TaskKind`] and `label_studio::Convert`, then adding one line to each registry in this
//! file: the `mod` list, [`Kind`] ([`Kind::ALL`] and the names follow), [`Spec`], [`Payload`],
//! [`Payload::kind`], [`with_kind!`] and [`with_spec!`]. The compiler points at any line
//! forgotten.

pub(crate) mod classification;
pub(crate) mod image;
pub(crate) mod qa;
pub(crate) mod ranking;
pub(crate) mod scene;
pub(crate) mod video;

use serde::Serialize;
use serde_json::{Map, Value};
use strum::VariantArray;

use crate::MediaInfo;
use crate::item::MediaFact;
use crate::template::rules::FieldReader;
use crate::template::shortcuts::Action;
use crate::template::toml_reader::{Reader, Table};
use crate::template::{FieldBinding, Template};
use crate::validate::Checker;
use crate::violation::Violation;
use sift_core::{apply, named_enum};

pub use classification::{Class, ClassificationFields, ClassificationPayload, ClassificationRules, Unsure};
pub use image::{ImageFields, ImageObject, ImagePayload, ImageRules, Relationship};
pub use qa::{QaFields, QaPair, QaPayload, QaRules, Span};
pub use ranking::{
    Classification, Dimension, Direction, RankingFields, RankingPayload, RankingRules, Response,
};
pub use scene::SceneRules;
pub use video::{VideoEvent, VideoFields, VideoPayload, VideoRules};

/// What one template kind provides. Implemented by a unit type in each kind's module.
pub(crate) trait TaskKind {
    /// The registry entry (its name, `kind = "..."` in templates, is [`Kind::as_str`]).
    const KIND: Kind;
    /// The Ground Truth metadata `type` of Sift's own output shape: `sift/<name>`.
    const GT_TYPE: &'static str;
    /// Keys allowed under `[fields]`.
    const FIELD_KEYS: &'static [&'static str];
    /// Keys allowed under `[rules]`, in documentation order (listed in error messages).
    const RULE_KEYS: &'static [&'static str];
    /// Top-level keys of a payload.
    const PAYLOAD_KEYS: &'static [&'static str];
    /// The kind's own shortcut actions (the common ones come first).
    const ACTIONS: &'static [Action];

    /// `[fields]`.
    type Fields;
    /// `[rules]`.
    type Rules;
    /// The annotation of one item.
    type Payload: Default;

    /// Reads `[fields]` through `f`, then `[rules]` from `rules` (an empty table when absent).
    /// `None` when something was wrong; every problem is recorded in `r`.
    fn read_spec(r: &mut Reader<'_>, f: &mut FieldReader<'_, '_, '_>, rules: &Table<'_, '_>) -> Option<Spec>;

    /// The manifest keys the template reads, with their roles.
    fn bindings(fields: &Self::Fields) -> Vec<FieldBinding<'_>>;

    /// The manifest key holding the media reference, `None` for text items.
    fn media_field(_fields: &Self::Fields) -> Option<&str> {
        None
    }

    /// The Ground Truth metadata `type` of the template's output lines.
    fn gt_type(_fields: &Self::Fields, _rules: &Self::Rules) -> &'static str {
        Self::GT_TYPE
    }

    /// The payload held by a Ground Truth output line whose label attribute holds `label`
    /// (and whose `<label>-metadata` is `metadata`, `null` when absent). `None` when the label
    /// is the payload itself (Sift's own shape); kinds that write one of Ground Truth's
    /// built-in shapes read it back here.
    fn payload_from_ground_truth(
        _rules: &Self::Rules,
        _label: &Value,
        _metadata: &Value,
    ) -> Option<Result<Value, String>> {
        None
    }

    /// Item fields that carry media facts (image size, video duration, frame rate).
    fn media_facts(_fields: &Self::Fields) -> Vec<(MediaFact, &str)> {
        Vec::new()
    }

    /// Reads a payload object whose keys are already known to be among [`Self::PAYLOAD_KEYS`],
    /// recording every shape problem with its path.
    fn parse_payload(obj: &Map<String, Value>, errs: &mut Vec<Violation>) -> Self::Payload;

    /// The payload as the crate-wide [`Payload`].
    fn wrap(p: Self::Payload) -> Payload;

    /// This kind's payload inside a [`Payload`], if it is one.
    fn unwrap(p: &Payload) -> Option<&Self::Payload>;

    /// Checks a payload against the template and item (see [`crate::validate()`]).
    #[allow(clippy::too_many_arguments)]
    fn check(
        c: &mut Checker,
        t: &Template,
        fields: &Self::Fields,
        rules: &Self::Rules,
        item: &Value,
        media: &MediaInfo,
        p: &Self::Payload,
    );
}

// ------------------------------------------------------------------------------ registry

/// The task kinds. Serialized (and parsed with [`str::parse`]) by their template names:
/// `qa`, `ranking`, `image-caption`, `video-caption`, `classification`. serde, `strum` (for
/// [`Kind::as_str`], `Display` and the list of names) and the TypeScript type `TemplateKind`
/// derive them from the variant names the same way; tests keep them in step.
#[apply(named_enum!)]
#[derive(PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
#[ts(rename = "TemplateKind", rename_all = "kebab-case")]
pub enum Kind {
    /// Question/answer pairs written about a passage (SFT demonstration data).
    Qa,
    /// Ranking model responses to a prompt along one or more dimensions (preference data).
    Ranking,
    /// Objects, relationships, setting and a caption for an image.
    ImageCaption,
    /// Timestamped events, setting and a caption for a video.
    VideoCaption,
    /// One class (or several) for a text or an image.
    Classification,
}

impl Kind {
    /// Every kind, in documentation order (the order of the declaration above).
    pub const ALL: [Kind; <Kind as VariantArray>::VARIANTS.len()] = {
        let variants = <Kind as VariantArray>::VARIANTS;
        let mut all = [Kind::Qa; <Kind as VariantArray>::VARIANTS.len()];
        let mut i = 0;
        while i < all.len() {
            all[i] = variants[i];
            i += 1;
        }
        all
    };
}

/// Kind-specific part of a template: which manifest keys feed it, and its rules. Serialized
/// as `kind`, `fields` and `rules` (the kind's template name as the tag), in line with the
/// template's other keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Spec {
    /// `kind = "qa"`.
    Qa {
        /// `[fields]`.
        fields: QaFields,
        /// `[rules]`.
        rules: QaRules,
    },
    /// `kind = "ranking"`.
    Ranking {
        /// `[fields]`.
        fields: RankingFields,
        /// `[rules]`.
        rules: RankingRules,
    },
    /// `kind = "image-caption"`.
    ImageCaption {
        /// `[fields]`.
        fields: ImageFields,
        /// `[rules]`.
        rules: ImageRules,
    },
    /// `kind = "video-caption"`.
    VideoCaption {
        /// `[fields]`.
        fields: VideoFields,
        /// `[rules]`.
        rules: VideoRules,
    },
    /// `kind = "classification"`.
    Classification {
        /// `[fields]`.
        fields: ClassificationFields,
        /// `[rules]`.
        rules: ClassificationRules,
    },
}

/// An annotation payload of any kind. Serializes as the inner payload object (no tag): the
/// kind comes from the template.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(untagged)]
pub enum Payload {
    /// `qa`.
    Qa(QaPayload),
    /// `ranking`.
    Ranking(RankingPayload),
    /// `image-caption`.
    ImageCaption(ImagePayload),
    /// `video-caption`.
    VideoCaption(VideoPayload),
    /// `classification`.
    Classification(ClassificationPayload),
}

impl Payload {
    /// The kind of this payload.
    pub fn kind(&self) -> Kind {
        match self {
            Payload::Qa(_) => Kind::Qa,
            Payload::Ranking(_) => Kind::Ranking,
            Payload::ImageCaption(_) => Kind::ImageCaption,
            Payload::VideoCaption(_) => Kind::VideoCaption,
            Payload::Classification(_) => Kind::Classification,
        }
    }
}

/// Evaluates `$body` with `$k` naming the [`TaskKind`] type of a [`Kind`] value.
macro_rules! with_kind {
    ($kind:expr, |$k:ident| $body:expr) => {
        match $kind {
            $crate::Kind::Qa => {
                #[allow(dead_code)]
                type $k = $crate::kinds::qa::QaKind;
                $body
            }
            $crate::Kind::Ranking => {
                #[allow(dead_code)]
                type $k = $crate::kinds::ranking::RankingKind;
                $body
            }
            $crate::Kind::ImageCaption => {
                #[allow(dead_code)]
                type $k = $crate::kinds::image::ImageCaptionKind;
                $body
            }
            $crate::Kind::VideoCaption => {
                #[allow(dead_code)]
                type $k = $crate::kinds::video::VideoCaptionKind;
                $body
            }
            $crate::Kind::Classification => {
                #[allow(dead_code)]
                type $k = $crate::kinds::classification::ClassificationKind;
                $body
            }
        }
    };
}

/// Evaluates `$body` with `$k` naming the [`TaskKind`] type of a [`Spec`] and `$fields`,
/// `$rules` bound to its parts (an identifier, or `_`).
macro_rules! with_spec {
    ($spec:expr, |$k:ident, $fields:tt, $rules:tt| $body:expr) => {
        match $spec {
            $crate::Spec::Qa {
                fields: $fields,
                rules: $rules,
            } => {
                #[allow(dead_code)]
                type $k = $crate::kinds::qa::QaKind;
                $body
            }
            $crate::Spec::Ranking {
                fields: $fields,
                rules: $rules,
            } => {
                #[allow(dead_code)]
                type $k = $crate::kinds::ranking::RankingKind;
                $body
            }
            $crate::Spec::ImageCaption {
                fields: $fields,
                rules: $rules,
            } => {
                #[allow(dead_code)]
                type $k = $crate::kinds::image::ImageCaptionKind;
                $body
            }
            $crate::Spec::VideoCaption {
                fields: $fields,
                rules: $rules,
            } => {
                #[allow(dead_code)]
                type $k = $crate::kinds::video::VideoCaptionKind;
                $body
            }
            $crate::Spec::Classification {
                fields: $fields,
                rules: $rules,
            } => {
                #[allow(dead_code)]
                type $k = $crate::kinds::classification::ClassificationKind;
                $body
            }
        }
    };
}

pub(crate) use {with_kind, with_spec};

// ------------------------------------------------------------------- derived from the registry

impl Kind {
    /// The name used in templates: `qa`, `ranking`, `image-caption`, `video-caption`,
    /// `classification`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parses a kind name as written in templates.
    pub fn from_name(name: &str) -> Option<Kind> {
        name.parse().ok()
    }

    /// The Ground Truth `<label>-metadata.type` value of Sift's own output shape:
    /// `sift/<kind>`. (A classification template writes Ground Truth's built-in
    /// classification shape instead; see [`Template::gt_type`].)
    pub fn gt_type(self) -> &'static str {
        with_kind!(self, |K| K::GT_TYPE)
    }

    /// Whether every item of this kind references a media object (image or video). A
    /// classification template decides per template ([`Template::media_field`]).
    pub fn has_media(self) -> bool {
        matches!(self, Kind::ImageCaption | Kind::VideoCaption)
    }
}

impl std::str::FromStr for Kind {
    type Err = String;

    /// A kind's template name, or an error listing them all.
    fn from_str(s: &str) -> Result<Kind, String> {
        sift_core::parse_name(s, "kind")
    }
}

impl Spec {
    /// The task kind.
    pub fn kind(&self) -> Kind {
        with_spec!(self, |K, _, _| K::KIND)
    }
}

impl Payload {
    /// An empty payload of `kind` (a blank draft).
    pub fn empty(kind: Kind) -> Payload {
        with_kind!(kind, |K| K::wrap(<K as TaskKind>::Payload::default()))
    }

    /// The payload as a JSON value.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_entries_agree() {
        for k in Kind::ALL {
            assert_eq!(with_kind!(k, |K| K::KIND), k);
            assert_eq!(k.as_str().parse::<Kind>(), Ok(k));
            assert_eq!(k.to_string(), k.as_str());
            assert_eq!(
                serde_json::from_value::<Kind>(Value::from(k.as_str())).ok(),
                Some(k)
            );
            assert_eq!(k.gt_type(), format!("sift/{}", k.as_str()));
            assert_eq!(Payload::empty(k).kind(), k);
            assert_eq!(serde_json::to_value(k).ok(), Some(Value::from(k.as_str())));
        }
        let mut names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Kind::ALL.len());
    }

    /// The UI's TypeScript types spell the kinds as templates do: `TemplateKind` and the `kind`
    /// tag of each template's `fields` and `rules`.
    #[test]
    fn typescript_kind_names_are_the_template_names() {
        use ts_rs::TS;
        let cfg = ts_rs::Config::new();
        let names: Vec<String> = Kind::ALL.iter().map(|k| format!("\"{}\"", k.as_str())).collect();
        assert_eq!(Kind::inline(&cfg), names.join(" | "));
        let spec = Spec::inline(&cfg);
        for k in Kind::ALL {
            assert!(
                spec.contains(&format!("\"kind\": \"{}\"", k.as_str())),
                "{k}: {spec}"
            );
        }
    }
}
