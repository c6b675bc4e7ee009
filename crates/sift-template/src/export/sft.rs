//! Supervised fine-tuning records from Q&A annotations (TRL conventions).

use serde_json::{Value, json};

use super::ExportError;
use crate::payload::{Payload, QaPair};
use crate::template::Template;
use crate::text::slice_chars;

/// Record style, named `messages` and `prompt-completion` (derived by `strum`, listed by
/// the CLI's `--sft-style`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, strum::IntoStaticStr, strum::Display, strum::VariantArray,
)]
#[strum(serialize_all = "kebab-case")]
pub enum SftStyle {
    /// `{"messages": [{"role": "system"?}, {"role": "user"}, {"role": "assistant"}]}`.
    #[default]
    Messages,
    /// `{"prompt": "...", "completion": "..."}` (plain strings).
    PromptCompletion,
}

impl SftStyle {
    /// The style's name: `messages` or `prompt-completion`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl std::str::FromStr for SftStyle {
    type Err = String;

    /// A style's name, or an error listing them.
    fn from_str(s: &str) -> Result<SftStyle, String> {
        sift_core::parse_name(s, "SFT style")
    }
}

/// The default user message: `{passage}` and `{question}` are replaced.
pub const DEFAULT_USER_TEMPLATE: &str =
    "Answer the question using the passage.\n\nPassage:\n{passage}\n\nQuestion: {question}";

/// Options of [`sft`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SftOptions {
    /// Record style.
    pub style: SftStyle,
    /// Optional system message. In prompt/completion style it is prepended to the prompt,
    /// followed by a blank line.
    pub system_prompt: Option<String>,
    /// The user message; `{passage}` and `{question}` are replaced in a single pass (text
    /// inserted for one placeholder is never scanned for the other).
    pub user_template: String,
    /// Adds `"metadata": {"question_type", "entire_passage", "spans": [{"start", "end", "text"}]}`
    /// to every record.
    pub include_metadata: bool,
}

impl Default for SftOptions {
    fn default() -> Self {
        SftOptions {
            style: SftStyle::Messages,
            system_prompt: None,
            user_template: DEFAULT_USER_TEMPLATE.to_owned(),
            include_metadata: false,
        }
    }
}

/// Fills `{passage}` and `{question}` in one left-to-right pass.
fn fill(template: &str, passage: &str, question: &str) -> String {
    let mut out = String::with_capacity(template.len() + passage.len() + question.len());
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        let (before, from_brace) = rest.split_at(i);
        out.push_str(before);
        if let Some(after) = from_brace.strip_prefix("{passage}") {
            out.push_str(passage);
            rest = after;
        } else if let Some(after) = from_brace.strip_prefix("{question}") {
            out.push_str(question);
            rest = after;
        } else {
            out.push('{');
            rest = from_brace.get(1..).unwrap_or("");
        }
    }
    out.push_str(rest);
    out
}

/// One SFT record per pair, in pair order; the passage is included in the user message.
pub fn sft(
    template: &Template,
    item: &Value,
    payload: &Payload,
    opts: &SftOptions,
) -> Result<Vec<Value>, ExportError> {
    let Payload::Qa(qa) = payload else {
        return Err(ExportError::WrongKind {
            format: "sft",
            found: payload.kind(),
        });
    };
    let passage = template.passage(item)?;
    Ok(qa.pairs.iter().map(|pair| record(passage, pair, opts)).collect())
}

fn record(passage: &str, pair: &QaPair, opts: &SftOptions) -> Value {
    let question = pair.question.trim();
    let answer = pair.answer.trim();
    let user = fill(&opts.user_template, passage, question);
    let mut rec = match opts.style {
        SftStyle::Messages => {
            let mut messages = Vec::new();
            if let Some(system) = &opts.system_prompt {
                messages.push(json!({"role": "system", "content": system}));
            }
            messages.push(json!({"role": "user", "content": user}));
            messages.push(json!({"role": "assistant", "content": answer}));
            json!({ "messages": messages })
        }
        SftStyle::PromptCompletion => {
            let prompt = match &opts.system_prompt {
                Some(system) => format!("{system}\n\n{user}"),
                None => user,
            };
            json!({ "prompt": prompt, "completion": answer })
        }
    };
    if opts.include_metadata
        && let Value::Object(map) = &mut rec
    {
        let spans: Vec<Value> = pair
            .spans
            .iter()
            .map(|s| json!({"start": s.start, "end": s.end, "text": slice_chars(passage, s.start, s.end).unwrap_or("")}))
            .collect();
        map.insert(
            "metadata".into(),
            json!({
                "question_type": pair.question_type,
                "entire_passage": pair.entire_passage,
                "spans": spans,
            }),
        );
    }
    rec
}

#[cfg(test)]
mod tests {
    use super::fill;

    #[test]
    fn fills_in_one_pass() {
        assert_eq!(
            fill("{passage}|{question}", "P {question}", "Q"),
            "P {question}|Q"
        );
        assert_eq!(fill("{x} {passage} {", "p", "q"), "{x} p {");
        assert_eq!(fill("no placeholders", "p", "q"), "no placeholders");
        assert_eq!(fill("{{passage}}", "p", "q"), "{p}");
    }

    #[test]
    fn style_names_round_trip() {
        use super::SftStyle;
        use strum::VariantArray as _;
        let names: Vec<&str> = SftStyle::VARIANTS.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ["messages", "prompt-completion"]);
        for &style in SftStyle::VARIANTS {
            assert_eq!(style.as_str().parse::<SftStyle>(), Ok(style));
            assert_eq!(style.to_string(), style.as_str());
        }
        assert_eq!(
            "chat".parse::<SftStyle>(),
            Err("unknown SFT style \"chat\" (expected messages or prompt-completion)".to_owned())
        );
    }
}
