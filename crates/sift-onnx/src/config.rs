//! The model config (`model.toml`): which input adapter feeds the model and how its output
//! is read.
//!
//! ```toml
//! name = "digits"                 # registry name (default: the model file's stem)
//!
//! [input]
//! adapter = "features"            # image | text | features | ranking
//! field = "features"              # features: the manifest field holding the numbers
//!
//! [output]
//! name = "probabilities"          # default: the model's first output
//! kind = "probabilities"          # logits (default) | probabilities | embedding (an encoder)
//! ```
//!
//! See `docs/active-learning.md` for every key of every adapter.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::OnnxError;

/// A parsed model config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Registry name; default: the model file's stem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `[input]`: the adapter that turns items into model inputs (required).
    pub input: InputConfig,
    /// `[output]`: which model output to read and how (default: the first output, as logits).
    #[serde(default)]
    pub output: OutputConfig,
    /// Items per model call (default 32); `sift score --batch-size` overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
}

/// How items become model inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "adapter", rename_all = "kebab-case")]
pub enum InputConfig {
    /// `adapter = "image"`: the item's image file, decoded and resized.
    Image(ImageConfig),
    /// `adapter = "text"`: a text field, tokenized.
    Text(TextConfig),
    /// `adapter = "features"`: an array of numbers from the manifest.
    Features(FeaturesConfig),
    /// `adapter = "ranking"`: each (prompt, response) pair through a reward model.
    Ranking(RankingConfig),
}

impl InputConfig {
    /// The adapter's name as written in the config.
    pub fn adapter(&self) -> &'static str {
        match self {
            InputConfig::Image(_) => "image",
            InputConfig::Text(_) => "text",
            InputConfig::Features(_) => "features",
            InputConfig::Ranking(_) => "ranking",
        }
    }
}

/// How an image is resized to the model's input size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResizeMode {
    /// Straight to the model's width and height (the aspect ratio is not kept).
    #[default]
    Stretch,
    /// Scale so the shorter side is `shorter_side` (default: the larger model side), keeping
    /// the aspect ratio, then cut the model's size out of the centre.
    Crop,
}

/// Resampling filter (Pillow's names and behaviour: antialiased when shrinking).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Filter {
    /// `nearest`: the closest source pixel; no smoothing or antialiasing.
    Nearest,
    /// `bilinear` (the default): a triangle filter of radius 1.
    #[default]
    Bilinear,
    /// `bicubic`: the Catmull-Rom cubic filter of radius 2 (Pillow's `BICUBIC`).
    Bicubic,
    /// `lanczos3`: a windowed sinc of radius 3; the sharpest and the slowest.
    Lanczos3,
}

/// Channel order of the model's colour input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChannelOrder {
    /// `rgb` (the default): red, green, blue.
    #[default]
    Rgb,
    /// `bgr`: blue, green, red (OpenCV-trained models).
    Bgr,
}

/// Tensor layout of an image input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// `nchw` (the default): `[batch, channels, height, width]`, channel planes one after another.
    #[default]
    Nchw,
    /// `nhwc`: `[batch, height, width, channels]`, channels interleaved per pixel.
    Nhwc,
}

/// `adapter = "image"`: decode (EXIF orientation applied), resize, normalise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageConfig {
    /// The model input (default: the model's only input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Manifest field holding the image path; default: the item's `source-ref`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Model input width and height; default: from the model's input shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Model input height in pixels; default: from the model's input shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// How the image is brought to `width` x `height` (default: stretched).
    #[serde(default)]
    pub resize: ResizeMode,
    /// [`ResizeMode::Crop`] only: the length in pixels of the shorter side after scaling,
    /// before the centre crop; default: the larger of `width` and `height`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shorter_side: Option<u32>,
    /// The resampling filter (default: bilinear).
    #[serde(default)]
    pub filter: Filter,
    /// Per channel, on values scaled to `[0, 1]`: `(pixel / 255 - mean) / std`.
    #[serde(default = "zeros")]
    pub mean: [f32; 3],
    /// Per-channel divisor of the normalisation above (default `[1, 1, 1]`).
    #[serde(default = "ones")]
    pub std: [f32; 3],
    /// Channel order the model expects (default: RGB).
    #[serde(default)]
    pub channels: ChannelOrder,
    /// Tensor layout the model expects (default: NCHW).
    #[serde(default)]
    pub layout: Layout,
}

fn zeros() -> [f32; 3] {
    [0.0; 3]
}

fn ones() -> [f32; 3] {
    [1.0; 3]
}

/// Model input names of a text model (used when the model has them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenInputs {
    /// The input that gets the token ids (default `input_ids`).
    #[serde(default = "default_input_ids")]
    pub input_ids: String,
    /// The input that gets the mask, 1 for real tokens and 0 for padding (default `attention_mask`).
    #[serde(default = "default_attention_mask")]
    pub attention_mask: String,
    /// The input that gets the segment ids (default `token_type_ids`).
    #[serde(default = "default_token_type_ids")]
    pub token_type_ids: String,
}

impl Default for TokenInputs {
    fn default() -> Self {
        Self {
            input_ids: default_input_ids(),
            attention_mask: default_attention_mask(),
            token_type_ids: default_token_type_ids(),
        }
    }
}

fn default_input_ids() -> String {
    "input_ids".into()
}
fn default_attention_mask() -> String {
    "attention_mask".into()
}
fn default_token_type_ids() -> String {
    "token_type_ids".into()
}
fn default_max_length() -> usize {
    512
}
fn default_source() -> String {
    "source".into()
}

/// `adapter = "text"`: a Hugging Face `tokenizer.json`, truncated to `max_length` tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextConfig {
    /// Path of `tokenizer.json` (relative to the config file; stored beside the model).
    pub tokenizer: PathBuf,
    /// The most tokens fed per item (default 512); longer texts are truncated.
    #[serde(default = "default_max_length")]
    pub max_length: usize,
    /// Manifest field holding the text.
    #[serde(default = "default_source")]
    pub field: String,
    /// `[input.inputs]`: the model's input names for ids, mask and segment ids.
    #[serde(default)]
    pub inputs: TokenInputs,
}

/// `adapter = "features"`: a numeric vector from a manifest field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeaturesConfig {
    /// The model input (default: the model's only input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Manifest field holding an array of numbers (`a.b` reaches into objects).
    pub field: String,
}

fn default_prompt() -> String {
    "prompt".into()
}
fn default_responses() -> String {
    "responses".into()
}

/// `adapter = "ranking"`: every (prompt, response) pair of an item is scored by the model
/// (a reward model); the item's rewards are soft-maxed over its responses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankingConfig {
    /// Path of the reward model's `tokenizer.json` (relative to the config file; stored
    /// beside the model).
    pub tokenizer: PathBuf,
    /// The most tokens fed per (prompt, response) pair (default 512); longer pairs are truncated.
    #[serde(default = "default_max_length")]
    pub max_length: usize,
    /// Manifest field holding the prompt text (default `prompt`).
    #[serde(default = "default_prompt")]
    pub prompt_field: String,
    /// An array of strings, or of objects whose `response_key` holds the text.
    #[serde(default = "default_responses")]
    pub responses_field: String,
    /// For responses given as objects, the key holding the text (default `text`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_key: Option<String>,
    /// `[input.inputs]`: the model's input names for ids, mask and segment ids.
    #[serde(default)]
    pub inputs: TokenInputs,
}

/// How the output is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutputKind {
    /// Unnormalised scores (soft-maxed with a max shift).
    #[default]
    Logits,
    /// Class probabilities.
    Probabilities,
    /// An encoder: a `[batch, d]` output, each row an item's vector (`sift embed` stores it;
    /// `sift score` refuses the model).
    Embedding,
}

/// Reduction of a sequence output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reduce {
    /// A `(batch, tokens, vocab)` output: each strategy's score per token, averaged over the
    /// item's real tokens (the attention mask); `entropy` is the mean token entropy.
    MeanTokenEntropy,
}

/// `[output]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// The model output to read (default: the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the output holds (default: logits).
    #[serde(default)]
    pub kind: OutputKind,
    /// How a per-token output is reduced to one row per item; `None` for a `[batch, classes]` output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduce: Option<Reduce>,
    /// Ranking: the column of a `(batch, n)` reward output (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// A `(batch, d)` output to use as each item's vector for batch diversity (default: the
    /// class probabilities).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding: Option<String>,
}

impl ModelConfig {
    /// Parses a config's text; `origin` names it in errors.
    ///
    /// # Errors
    ///
    /// [`OnnxError::Config`] with TOML's message (line and column) or the rule broken.
    pub fn parse(text: &str, origin: &str) -> Result<Self, OnnxError> {
        let config: ModelConfig = toml::from_str(text).map_err(|e| OnnxError::Config {
            file: origin.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        config.check(origin)?;
        Ok(config)
    }

    /// Reads and parses a config file.
    ///
    /// # Errors
    ///
    /// As [`ModelConfig::parse`], or when the file cannot be read.
    pub fn load(path: &Path) -> Result<Self, OnnxError> {
        let text = std::fs::read_to_string(path).map_err(|e| OnnxError::Config {
            file: path.display().to_string(),
            message: format!("cannot read: {e}"),
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    fn check(&self, origin: &str) -> Result<(), OnnxError> {
        let fail = |message: String| {
            Err(OnnxError::Config {
                file: origin.to_owned(),
                message,
            })
        };
        if self.batch_size == Some(0) {
            return fail("batch_size must be at least 1".into());
        }
        match &self.input {
            InputConfig::Image(c) => {
                if c.std.iter().any(|s| !s.is_finite() || *s == 0.0) || c.mean.iter().any(|m| !m.is_finite())
                {
                    return fail("input.mean must be finite and input.std finite and non-zero".into());
                }
                if c.width == Some(0) || c.height == Some(0) || c.shorter_side == Some(0) {
                    return fail(
                        "input.width, input.height and input.shorter_side must be at least 1".into(),
                    );
                }
            }
            InputConfig::Text(TextConfig { max_length, .. })
            | InputConfig::Ranking(RankingConfig { max_length, .. }) => {
                if *max_length == 0 {
                    return fail("input.max_length must be at least 1".into());
                }
            }
            InputConfig::Features(c) => {
                if c.field.is_empty() {
                    return fail("input.field must name a manifest field".into());
                }
            }
        }
        if self.output.reduce.is_some() && matches!(self.input, InputConfig::Ranking(_)) {
            return fail("output.reduce does not apply to the ranking adapter".into());
        }
        if self.is_encoder() {
            let extra = [
                ("output.reduce", self.output.reduce.is_some()),
                ("output.column", self.output.column.is_some()),
                ("output.embedding", self.output.embedding.is_some()),
            ];
            if let Some((key, _)) = extra.iter().find(|(_, set)| *set) {
                return fail(format!(
                    "{key} does not apply to an encoder (output.kind = \"embedding\"): its output is already one vector per item"
                ));
            }
            if matches!(self.input, InputConfig::Ranking(_)) {
                return fail(
                    "output.kind = \"embedding\" does not apply to the ranking adapter (it runs several rows per item); \
                     embed the texts with the text adapter"
                        .into(),
                );
            }
        }
        Ok(())
    }

    /// Whether the config declares an encoder (`output.kind = "embedding"`).
    pub fn is_encoder(&self) -> bool {
        self.output.kind == OutputKind::Embedding
    }

    /// The files the config refers to, resolved against `base` (the config's folder).
    pub fn assets(&self, base: &Path) -> Vec<PathBuf> {
        match &self.input {
            InputConfig::Text(c) => vec![base.join(&c.tokenizer)],
            InputConfig::Ranking(c) => vec![base.join(&c.tokenizer)],
            _ => Vec::new(),
        }
    }

    /// The config as stored with a registered model: assets referred to by file name only,
    /// since they are copied beside the model.
    ///
    /// # Errors
    ///
    /// Only if the config cannot be written as TOML (not expected).
    pub fn to_stored_toml(&self) -> Result<String, OnnxError> {
        let mut stored = self.clone();
        let just_name = |p: &mut PathBuf| {
            if let Some(name) = p.file_name() {
                *p = PathBuf::from(name);
            }
        };
        match &mut stored.input {
            InputConfig::Text(c) => just_name(&mut c.tokenizer),
            InputConfig::Ranking(c) => just_name(&mut c.tokenizer),
            _ => {}
        }
        toml::to_string(&stored).map_err(|e| OnnxError::Config {
            file: "model config".into(),
            message: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_adapter_with_defaults() {
        let c = ModelConfig::parse("[input]\nadapter = \"features\"\nfield = \"x\"\n", "m.toml").unwrap();
        assert_eq!(c.output.kind, OutputKind::Logits);
        assert!(matches!(c.input, InputConfig::Features(FeaturesConfig { ref field, .. }) if field == "x"));

        let c = ModelConfig::parse(
            "[input]\nadapter = \"image\"\nresize = \"crop\"\nshorter_side = 256\nmean = [0.485, 0.456, 0.406]\n\
             std = [0.229, 0.224, 0.225]\nchannels = \"bgr\"\nlayout = \"nhwc\"\n[output]\nkind = \"probabilities\"\n",
            "m.toml",
        )
        .unwrap();
        let InputConfig::Image(i) = &c.input else { panic!() };
        assert_eq!(
            (i.resize, i.channels, i.layout),
            (ResizeMode::Crop, ChannelOrder::Bgr, Layout::Nhwc)
        );

        let c = ModelConfig::parse(
            "[input]\nadapter = \"text\"\ntokenizer = \"tok/tokenizer.json\"\nmax_length = 64\n[output]\nreduce = \"mean-token-entropy\"\n",
            "m.toml",
        )
        .unwrap();
        assert_eq!(
            c.assets(Path::new("/cfg")),
            vec![PathBuf::from("/cfg/tok/tokenizer.json")]
        );
        let stored = c.to_stored_toml().unwrap();
        assert!(stored.contains("tokenizer = \"tokenizer.json\""), "{stored}");
        assert_eq!(
            ModelConfig::parse(&stored, "stored").unwrap().output.reduce,
            Some(Reduce::MeanTokenEntropy)
        );
    }

    #[test]
    fn encoders() {
        let text = "[input]\nadapter = \"text\"\ntokenizer = \"tokenizer.json\"\n[output]\nname = \"embedding\"\nkind = \"embedding\"\n";
        let c = ModelConfig::parse(text, "m.toml").unwrap();
        assert!(c.is_encoder());
        assert!(
            ModelConfig::parse(&c.to_stored_toml().unwrap(), "stored")
                .unwrap()
                .is_encoder()
        );
        assert!(
            !ModelConfig::parse("[input]\nadapter = \"features\"\nfield = \"x\"\n", "m.toml")
                .unwrap()
                .is_encoder()
        );
        for (extra, key) in [
            ("reduce = \"mean-token-entropy\"\n", "output.reduce"),
            ("column = 1\n", "output.column"),
            ("embedding = \"e\"\n", "output.embedding"),
        ] {
            let err = ModelConfig::parse(&format!("{text}{extra}"), "m.toml")
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("m.toml: ") && err.contains(key) && err.contains("encoder"),
                "{err}"
            );
        }
        let err = ModelConfig::parse(
            "[input]\nadapter = \"ranking\"\ntokenizer = \"t.json\"\n[output]\nkind = \"embedding\"\n",
            "m.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("ranking adapter"), "{err}");
    }

    #[test]
    fn precise_errors() {
        let err = ModelConfig::parse("[input]\nadapter = \"audio\"\n", "m.toml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("m.toml:") && err.contains("audio"), "{err}");
        let err = ModelConfig::parse(
            "[input]\nadapter = \"features\"\nfield = \"x\"\ncolour = 1\n",
            "m.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("colour"), "{err}");
        let err = ModelConfig::parse("[input]\nadapter = \"image\"\nstd = [1.0, 0.0, 1.0]\n", "m.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("std"), "{err}");
        let err = ModelConfig::parse("[input]\nadapter = \"features\"\n", "m.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("field"), "{err}");
    }
}
