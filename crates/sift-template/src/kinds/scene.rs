//! The setting and caption that image and video captions share: their rules ([`SceneRules`],
//! flattened into each kind's `[rules]`), the reader of those rules, and their checks.

use serde::Serialize;

use crate::template::rules::check_order;
use crate::template::toml_reader::{Reader, Table};
use crate::text::word_count;
use crate::validate::{Checker, plural};
use crate::violation::Code;

/// Rules for the setting and the caption (keys `require_setting`, `setting_max_chars`,
/// `caption_min_words`, `caption_max_words` of an image- or video-caption template).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SceneRules {
    /// Whether the setting text is required.
    pub require_setting: bool,
    /// Setting length limit in characters.
    pub setting_max_chars: u32,
    /// Caption word limits (words are separated by Unicode white space).
    pub caption_min_words: u32,
    /// See `caption_min_words`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption_max_words: Option<u32>,
}

/// The `[rules]` keys read by [`read`]; each caption kind lists them among its own.
#[cfg(test)]
const RULE_KEYS: [&str; 4] = [
    "require_setting",
    "setting_max_chars",
    "caption_min_words",
    "caption_max_words",
];

/// Reads the setting and caption rules from a kind's `[rules]` table; problems are recorded
/// in `r` (the caller decides from `r` whether its rules are usable).
pub(crate) fn read(r: &mut Reader<'_>, t: &Table<'_, '_>) -> SceneRules {
    let require_setting = t.boolean(r, "require_setting", true);
    let setting_max_chars = t.uint_or(r, "setting_max_chars", 1, 1000).value;
    let caption_min_words = t.uint_or(r, "caption_min_words", 0, 1);
    let caption_max_words = t.uint(r, "caption_max_words", 1);
    if let Some(max) = &caption_max_words {
        check_order(r, &caption_min_words, max);
    }
    SceneRules {
        require_setting,
        setting_max_chars,
        caption_min_words: caption_min_words.value,
        caption_max_words: caption_max_words.map(|m| m.value),
    }
}

/// Checks the setting (length, required) and the caption (word limits); submit only.
pub(crate) fn check(c: &mut Checker, rules: &SceneRules, setting: &str, caption: &str) {
    c.text(
        "setting",
        setting,
        rules.require_setting,
        0,
        rules.setting_max_chars,
        "setting",
    );
    check_caption(c, caption, rules.caption_min_words, rules.caption_max_words);
}

fn check_caption(c: &mut Checker, caption: &str, min: u32, max: Option<u32>) {
    if !c.submit {
        return;
    }
    let n = word_count(caption);
    if n == 0 && min > 0 {
        c.push("caption", Code::Required, "the caption is required");
        return;
    }
    if n < min as usize {
        c.push(
            "caption",
            Code::TooFewWords,
            format!(
                "the caption has {}; at least {min} are required",
                plural(n, "word", "words")
            ),
        );
    }
    if let Some(max) = max
        && n > max as usize
    {
        c.push(
            "caption",
            Code::TooManyWords,
            format!("the caption has {n} words; at most {max} are allowed"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE_KEYS;
    use crate::kinds::TaskKind;
    use crate::kinds::image::ImageCaptionKind;
    use crate::kinds::video::VideoCaptionKind;

    #[test]
    fn caption_kinds_accept_the_scene_keys() {
        for keys in [ImageCaptionKind::RULE_KEYS, VideoCaptionKind::RULE_KEYS] {
            for k in RULE_KEYS {
                assert!(keys.contains(&k), "{k} missing from {keys:?}");
            }
        }
    }
}
