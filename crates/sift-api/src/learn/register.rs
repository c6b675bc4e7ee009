//! Saving a trained head as the next version of a regular registered model: the ONNX file
//! (`model.onnx`, written by `sift-learn`), its `model.toml`, and the head itself
//! (`head.json`, read back to warm-start the next round), stored like any model
//! `sift model add` registers.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::features::{FeatureSource, INJECTED_KEY};
use crate::scoring::{ModelInfo, NewModel};
use crate::{Error, Project, Result};

/// The file a head is kept in beside its ONNX model.
pub const HEAD_FILE: &str = "head.json";

/// What one head version is made of.
#[derive(Debug)]
pub(crate) struct HeadFiles<'a, H: Serialize> {
    /// The registered model's name; the head becomes its next version.
    pub name: &'a str,
    /// The head itself, written as `head.json`.
    pub head: &'a H,
    /// The head as an ONNX model.
    pub onnx: Vec<u8>,
    /// Where its input vectors come from (recorded in the model config).
    pub source: &'a FeatureSource,
    /// The input vectors' length.
    pub dim: usize,
    /// Output columns: `probabilities` (k) and `logits` (k), or `reward` (1).
    pub outputs: &'a [(&'a str, usize)],
    /// `probabilities` for classifiers; `None` (the logits default) for reward heads.
    pub output_kind: Option<&'a str>,
    /// What the head is, in words: the model config's opening comment.
    pub doc: &'a str,
}

/// The default model name of a project's heads: the template name, made safe, plus `-head`.
pub(crate) fn default_head_name(template_name: &str) -> String {
    let mut base: String = template_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    base = base.trim_matches(|c| c == '.' || c == '-').to_owned();
    base.truncate(48);
    if base.is_empty() {
        base = "project".into();
    }
    format!("{base}-head")
}

/// The `model.toml` of a head: the `features` adapter on the source's field, or on the
/// vector Sift adds under [`INJECTED_KEY`] when the source is stored embeddings.
fn config_toml(name: &str, source: &FeatureSource, output_kind: Option<&str>, doc: &str) -> String {
    let (field, note) = match source {
        FeatureSource::Field { field } => (field.clone(), format!("the numbers in field `{field}`")),
        FeatureSource::Embeddings { model, .. } => (
            INJECTED_KEY.to_owned(),
            format!("the stored embeddings of {model}, which Sift adds to each item as `{INJECTED_KEY}`"),
        ),
    };
    let mut t = format!(
        "# Written by `sift learn`: {doc}\n# Input: {note}.\nname = {}\nbatch_size = 256\n\n[input]\nadapter = \"features\"\nfield = {}\n",
        toml_str(name),
        toml_str(&field)
    );
    if let Some(kind) = output_kind {
        t.push_str(&format!(
            "\n[output]\nname = \"probabilities\"\nkind = {}\n",
            toml_str(kind)
        ));
    } else {
        t.push_str("\n[output]\nname = \"reward\"\n");
    }
    t
}

fn toml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

impl Project {
    /// Registers a head as the next version of `files.name`.
    pub(crate) fn register_head<H: Serialize>(&mut self, files: &HeadFiles<'_, H>) -> Result<ModelInfo> {
        let dir = tempfile::Builder::new()
            .prefix(".sift-head-")
            .tempdir_in(self.project_dir())
            .map_err(|e| Error::io("cannot create a folder in", self.project_dir(), e))?;
        let model_file = dir.path().join("model.onnx");
        let head_file = dir.path().join(HEAD_FILE);
        std::fs::write(&model_file, &files.onnx).map_err(|e| Error::io("cannot write", &model_file, e))?;
        let head_json = serde_json::to_vec(files.head)
            .map_err(|e| Error::Internal(format!("the head does not serialise: {e}")))?;
        std::fs::write(&head_file, head_json).map_err(|e| Error::io("cannot write", &head_file, e))?;
        let signature = json!({
            "inputs": [{"name": "features", "element": "float32", "shape": [null, files.dim]}],
            "outputs": files.outputs.iter().map(|(name, k)| json!({
                "name": name, "element": "float32", "shape": [null, k]
            })).collect::<Vec<_>>(),
        });
        self.add_model(&NewModel {
            name: files.name.to_owned(),
            model_file,
            config: config_toml(files.name, files.source, files.output_kind, files.doc),
            assets: vec![head_file],
            signature: Some(signature.to_string()),
        })
    }

    /// The newest version of `name` that the loop trained, with its stored head.
    pub(crate) fn previous_head<H: DeserializeOwned>(&self, name: &str) -> Result<Option<(ModelInfo, H)>> {
        let rounds = self.store.learn_rounds()?;
        let Some(round) = rounds.iter().rev().find(|r| r.name == name) else {
            return Ok(None);
        };
        let info = self.model(Some(&format!("{}@{}", round.name, round.version)))?;
        match read_head(&info.dir.join(HEAD_FILE)) {
            Some(head) => Ok(Some((info, head))),
            None => Ok(None),
        }
    }
}

/// A stored head, if the file is there and reads back (a command-trained version has none).
pub(crate) fn read_head<H: DeserializeOwned>(path: &Path) -> Option<H> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_configs() {
        assert_eq!(default_head_name("support-topics"), "support-topics-head");
        assert_eq!(default_head_name("my topics/v2"), "my-topics-v2-head");
        assert_eq!(default_head_name("..."), "project-head");
        let field = FeatureSource::Field {
            field: "features".into(),
        };
        let t = config_toml("h", &field, Some("probabilities"), "a head");
        assert!(t.contains("field = \"features\""), "{t}");
        let parsed: toml::Value = toml::from_str(&t).unwrap();
        assert_eq!(parsed["input"]["adapter"].as_str(), Some("features"));
        let emb = FeatureSource::Embeddings {
            model: "minilm@1".into(),
            model_version_id: 3,
        };
        let t = config_toml("h", &emb, None, "a reward head");
        let parsed: toml::Value = toml::from_str(&t).unwrap();
        assert_eq!(parsed["input"]["field"].as_str(), Some(INJECTED_KEY));
        assert_eq!(parsed["output"]["name"].as_str(), Some("reward"));
    }
}
