//! The model registry as the project sees it: registering a model version (its files copied
//! into `models/<name>/v<version>/`), finding one by `name@version`, and its stored scores.

use std::path::{Path, PathBuf};

use sift_store::{ModelScoreCounts, ModelVersionRow, NewModelVersion};

use crate::{Error, Project, Result};

/// A model version to register: the file, its config, and what the runtime adapter found in it.
#[derive(Debug, Clone)]
pub struct NewModel {
    /// Registry name (`digits`, `resnet-photos`); versions count up per name.
    pub name: String,
    /// The `.onnx` file; it is copied into the project folder.
    pub model_file: PathBuf,
    /// The model config as it will be stored (TOML).
    pub config: String,
    /// Files the config refers to (a tokenizer), copied beside the model under their file names.
    pub assets: Vec<PathBuf>,
    /// What the model declares (JSON), already checked against the config by the adapter.
    pub signature: Option<String>,
}

/// A stored model version with the paths its files have now.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelInfo {
    /// The registry row: name, version, config, file hash (flattened into the JSON).
    #[serde(flatten)]
    pub row: ModelVersionRow,
    /// The stored model file.
    pub path: PathBuf,
    /// The folder holding the model and its assets.
    pub dir: PathBuf,
}

impl ModelInfo {
    /// `name@version`.
    pub fn label(&self) -> String {
        format!("{}@{}", self.row.name, self.row.version)
    }
}

impl Project {
    /// The project folder (where `models/` lives).
    pub(crate) fn project_dir(&self) -> PathBuf {
        self.store
            .path()
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_owned)
    }

    fn model_info(&self, row: ModelVersionRow) -> ModelInfo {
        let path = {
            let stored = Path::new(&row.file_path);
            if stored.is_absolute() {
                stored.to_owned()
            } else {
                self.project_dir().join(stored)
            }
        };
        let dir = path.parent().map_or_else(|| self.project_dir(), Path::to_owned);
        ModelInfo { row, path, dir }
    }

    /// Registers a model version: copies the model file (and its assets) into the project's
    /// `models/<name>/v<version>/` folder and records its hash, config and signature. Adding a
    /// file identical to the newest version of the same name, with the same config, is refused.
    pub fn add_model(&mut self, model: &NewModel) -> Result<ModelInfo> {
        validate_model_name(&model.name)?;
        let bytes = std::fs::read(&model.model_file)
            .map_err(|e| Error::io("cannot read model", &model.model_file, e))?;
        let hash = blake3::hash(&bytes).to_hex().to_string();
        if let Some(latest) = self.store.model_version(&model.name, None)?
            && latest.file_hash == hash
            && latest.config == model.config
        {
            return Err(Error::Conflict(format!(
                "this model and config are already registered as {}@{}",
                latest.name, latest.version
            )));
        }
        let version = self.store.next_model_version(&model.name)?;
        let relative_dir = PathBuf::from("models")
            .join(&model.name)
            .join(format!("v{version}"));
        let dir = self.project_dir().join(&relative_dir);
        if dir.exists() {
            // Left over from an add that failed before it was recorded.
            std::fs::remove_dir_all(&dir).map_err(|e| Error::io("cannot clear", &dir, e))?;
        }
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("cannot create", &dir, e))?;
        let file_name = model
            .model_file
            .file_name()
            .map_or_else(|| "model.onnx".into(), |n| n.to_string_lossy().into_owned());
        let copy = || -> Result<()> {
            std::fs::write(dir.join(&file_name), &bytes)
                .map_err(|e| Error::io("cannot store model in", &dir, e))?;
            for asset in &model.assets {
                let name = asset.file_name().ok_or_else(|| {
                    Error::BadRequest(format!("asset {} has no file name", asset.display()))
                })?;
                std::fs::copy(asset, dir.join(name)).map_err(|e| Error::io("cannot copy", asset, e))?;
            }
            Ok(())
        };
        let stored_path = relative_dir.join(&file_name).to_string_lossy().into_owned();
        let added = copy().and_then(|()| {
            Ok(self.store.add_model_version(&NewModelVersion {
                name: &model.name,
                file_hash: &hash,
                file_path: &stored_path,
                config: &model.config,
                signature: model.signature.as_deref(),
            })?)
        });
        match added {
            Ok(row) => Ok(self.model_info(row)),
            Err(e) => {
                // Cleanup only: `e` is the error to report, and a folder left behind is
                // cleared by the next add of this version (`dir.exists()` above).
                let _ = std::fs::remove_dir_all(&dir);
                Err(e)
            }
        }
    }

    /// Every registered model version, by name then version.
    pub fn models(&self) -> Result<Vec<ModelInfo>> {
        Ok(self
            .store
            .model_versions()?
            .into_iter()
            .map(|row| self.model_info(row))
            .collect())
    }

    /// A model version by `name`, `name@version`, or (for `None`) the newest one added.
    pub fn model(&self, spec: Option<&str>) -> Result<ModelInfo> {
        let row = match spec {
            None => self.store.latest_model_version()?.ok_or_else(|| {
                Error::NotFound("model (add one with `sift model add MODEL.onnx --config model.toml`)".into())
            })?,
            Some(spec) => {
                let (name, version) = parse_model_spec(spec)?;
                self.store
                    .model_version(name, version)?
                    .ok_or_else(|| Error::NotFound(format!("model {spec}")))?
            }
        };
        Ok(self.model_info(row))
    }

    /// Per model version: how many items it scored and failed, and its newest run.
    pub fn model_scores(&self) -> Result<Vec<ModelScoreCounts>> {
        Ok(self.store.model_score_counts()?)
    }

    /// A run's stored outcome of one item: `(strategy, score, error)`.
    pub fn item_scores(&self, item_id: i64, model: &ModelInfo) -> Result<Vec<sift_store::StoredScore>> {
        Ok(self.store.item_scores(item_id, model.row.id)?)
    }
}

/// `name` or `name@version`.
pub fn parse_model_spec(spec: &str) -> Result<(&str, Option<i64>)> {
    match spec.rsplit_once('@') {
        None => Ok((spec, None)),
        Some((name, version)) => {
            let v = version.trim_start_matches('v').parse::<i64>().map_err(|_| {
                Error::BadRequest(format!("model {spec:?}: write NAME or NAME@VERSION (a number)"))
            })?;
            Ok((name, Some(v)))
        }
    }
}

pub(super) fn validate_model_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::BadRequest(format!(
            "model name {name:?}: use 1-64 ASCII letters, digits, '-', '_' or '.'"
        )))
    }
}
