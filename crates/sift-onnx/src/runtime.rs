//! Finding and loading the ONNX Runtime shared library, and choosing the device.
//!
//! Sift never links ONNX Runtime: it is loaded on first use (`ort`'s `load-dynamic`), so every
//! other command works on a machine without it. The library is looked for, in order:
//!
//! 1. `ORT_DYLIB_PATH` (a file; if set, nothing else is tried);
//! 2. beside the `sift` binary (and in `lib/` beside it);
//! 3. the project's set-up location: the `onnxruntime` (or `onnxruntime-gpu`) wheel that
//!    `make setup` installs into `$SIFT_VENV`, `$XDG_CACHE_HOME/sift/venv` or
//!    `~/.cache/sift/venv` (`lib/python3.*/site-packages/onnxruntime/capi/`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;

use crate::error::OnnxError;

/// The ONNX Runtime minor version this build is written for (`ort` 2.0.0-rc.15 → 1.31).
pub const EXPECTED_RUNTIME: &str = "1.31";

/// The loaded runtime.
#[derive(Debug)]
pub struct Runtime {
    /// The shared library that was loaded.
    pub path: PathBuf,
    /// Its version, e.g. `1.31.1`.
    pub version: String,
    pub(crate) env: ort::environment::Environment,
}

impl Runtime {
    /// Whether this runtime build carries the CUDA execution provider (`onnxruntime-gpu`).
    pub fn has_cuda(&self) -> bool {
        use ort::ep::ExecutionProvider as _;
        ort::ep::CUDA::is_available().unwrap_or(false)
    }
}

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

/// Loads ONNX Runtime once per process (see the module docs for where it is looked for).
///
/// # Errors
///
/// [`OnnxError::RuntimeMissing`] with the places searched and how to install it.
pub fn runtime() -> Result<&'static Runtime, OnnxError> {
    RUNTIME
        .get_or_init(load)
        .as_ref()
        .map_err(|m| OnnxError::RuntimeMissing(m.clone()))
}

fn load() -> Result<Runtime, String> {
    let path = locate(&SearchPlaces::from_env())?;
    ort::init_from(&path).map_err(|e| {
        format!(
            "cannot load ONNX Runtime from {}: {e}\n{}",
            path.display(),
            how_to_install()
        )
    })?;
    let env = ort::init()
        .with_name("sift")
        .build()
        .map_err(|e| format!("ONNX Runtime from {} failed to start: {e}", path.display()))?;
    let version = version_from_file_name(&path)
        .or_else(|| version_from_build_info(ort::info()))
        .unwrap_or_else(|| "unknown".to_owned());
    Ok(Runtime { path, version, env })
}

/// Where to look for the library.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchPlaces {
    /// `ORT_DYLIB_PATH`, when set and not empty.
    pub explicit: Option<PathBuf>,
    /// The folder of the running binary.
    pub exe_dir: Option<PathBuf>,
    /// Python virtual environments that may hold the `onnxruntime` wheel.
    pub venvs: Vec<PathBuf>,
}

impl SearchPlaces {
    /// The places for this process: its environment variables and binary.
    pub fn from_env() -> Self {
        let explicit = std::env::var_os("ORT_DYLIB_PATH")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let exe_dir = std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(Path::to_owned));
        let mut venvs = Vec::new();
        if let Some(v) = std::env::var_os("SIFT_VENV").filter(|v| !v.is_empty()) {
            venvs.push(PathBuf::from(v));
        }
        if let Some(c) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
            venvs.push(PathBuf::from(c).join("sift").join("venv"));
        }
        if let Some(h) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
            venvs.push(PathBuf::from(h).join(".cache").join("sift").join("venv"));
        }
        venvs.dedup();
        Self {
            explicit,
            exe_dir,
            venvs,
        }
    }
}

/// The library file to load.
///
/// # Errors
///
/// A message listing every place searched and how to install the runtime.
pub fn locate(places: &SearchPlaces) -> Result<PathBuf, String> {
    if let Some(path) = &places.explicit {
        if path.is_file() {
            return Ok(path.clone());
        }
        return Err(format!(
            "ONNX Runtime not found: ORT_DYLIB_PATH is {} but no such file exists.\n{}",
            path.display(),
            how_to_install()
        ));
    }
    let mut searched = Vec::new();
    if let Some(dir) = &places.exe_dir {
        for d in [dir.clone(), dir.join("lib")] {
            if let Some(found) = library_in(&d) {
                return Ok(found);
            }
            searched.push(d.join(library_pattern()).display().to_string());
        }
    }
    for venv in &places.venvs {
        for capi in capi_dirs(venv) {
            if let Some(found) = library_in(&capi) {
                return Ok(found);
            }
        }
        searched.push(
            venv.join("lib/python3.*/site-packages/onnxruntime/capi")
                .join(library_pattern())
                .display()
                .to_string(),
        );
    }
    Err(format!(
        "ONNX Runtime not found (ORT_DYLIB_PATH is not set; looked for {}).\n{}",
        searched.join(", "),
        how_to_install()
    ))
}

fn how_to_install() -> String {
    format!(
        "Scoring and embedding need the ONNX Runtime {EXPECTED_RUNTIME} shared library. Install it with `make setup` (it puts the \
         onnxruntime=={EXPECTED_RUNTIME}.* wheel into ~/.cache/sift/venv), or `pip install onnxruntime=={EXPECTED_RUNTIME}.*` \
         (onnxruntime-gpu for CUDA) and set ORT_DYLIB_PATH to its onnxruntime/capi/{}* file. \
         Labeling, import, export and sync do not need it.",
        library_pattern()
    )
}

fn library_pattern() -> String {
    format!(
        "{}onnxruntime{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// `<venv>/lib/python3.*/site-packages/onnxruntime/capi` (and `Lib/site-packages/...` on Windows).
fn capi_dirs(venv: &Path) -> Vec<PathBuf> {
    let mut out = vec![venv.join("Lib/site-packages/onnxruntime/capi")];
    if let Ok(entries) = std::fs::read_dir(venv.join("lib")) {
        let mut pythons: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("python3"))
            .map(|e| e.path().join("site-packages/onnxruntime/capi"))
            .collect();
        pythons.sort();
        out.extend(pythons);
    }
    out
}

/// `libonnxruntime.so` or a versioned `libonnxruntime.so.1.31.1` in `dir` (never a provider
/// library such as `libonnxruntime_providers_shared.so`).
fn library_in(dir: &Path) -> Option<PathBuf> {
    let plain = dir.join(library_pattern());
    if plain.is_file() {
        return Some(plain);
    }
    let prefix = format!("{}.", library_pattern());
    let mut versioned: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    versioned.sort();
    versioned.pop()
}

fn version_from_file_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let rest = name.strip_prefix(&format!("{}.", library_pattern()))?;
    rest.split('.')
        .all(|p| p.parse::<u32>().is_ok())
        .then(|| rest.to_owned())
}

fn version_from_build_info(info: &str) -> Option<String> {
    let start = info.find("git-branch=rel-")? + "git-branch=rel-".len();
    let version: String = info
        .get(start..)?
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    (!version.is_empty()).then_some(version)
}

/// Where to run the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Device {
    /// CUDA when the runtime and the machine have it, else the CPU.
    #[default]
    Auto,
    /// The CPU only (`cpu`).
    Cpu,
    /// A CUDA device by index.
    Cuda(i32),
}

impl FromStr for Device {
    type Err = OnnxError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        match lower.as_str() {
            "auto" => Ok(Device::Auto),
            "cpu" => Ok(Device::Cpu),
            "cuda" | "gpu" => Ok(Device::Cuda(0)),
            _ => lower
                .strip_prefix("cuda:")
                .and_then(|n| n.parse::<i32>().ok())
                .filter(|n| *n >= 0)
                .map(Device::Cuda)
                .ok_or_else(|| OnnxError::Device(s.to_owned())),
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Auto => f.write_str("auto"),
            Device::Cpu => f.write_str("cpu"),
            Device::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_parse() {
        assert_eq!("auto".parse::<Device>().unwrap(), Device::Auto);
        assert_eq!("CPU".parse::<Device>().unwrap(), Device::Cpu);
        assert_eq!("cuda".parse::<Device>().unwrap(), Device::Cuda(0));
        assert_eq!("cuda:1".parse::<Device>().unwrap(), Device::Cuda(1));
        assert!("cuda:x".parse::<Device>().is_err());
        assert!("tpu".parse::<Device>().is_err());
        assert_eq!(Device::Cuda(2).to_string(), "cuda:2");
    }

    #[test]
    fn search_order_and_messages() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("bin");
        let venv = dir.path().join("venv");
        let capi = venv.join("lib/python3.11/site-packages/onnxruntime/capi");
        std::fs::create_dir_all(&exe).unwrap();
        std::fs::create_dir_all(&capi).unwrap();
        let places = SearchPlaces {
            explicit: None,
            exe_dir: Some(exe.clone()),
            venvs: vec![venv.clone()],
        };
        let err = locate(&places).unwrap_err();
        assert!(err.contains("ONNX Runtime not found"), "{err}");
        assert!(err.contains("make setup"), "{err}");
        assert!(
            err.contains("Labeling, import, export and sync do not need it"),
            "{err}"
        );

        let wheel = capi.join(format!("{}.1.31.1", library_pattern()));
        std::fs::write(&wheel, b"").unwrap();
        std::fs::write(
            capi.join(format!(
                "{}onnxruntime_providers_shared{}",
                std::env::consts::DLL_PREFIX,
                std::env::consts::DLL_SUFFIX
            )),
            b"",
        )
        .unwrap();
        assert_eq!(locate(&places).unwrap(), wheel);
        assert_eq!(version_from_file_name(&wheel).as_deref(), Some("1.31.1"));

        let beside = exe.join(library_pattern());
        std::fs::write(&beside, b"").unwrap();
        assert_eq!(locate(&places).unwrap(), beside);

        let explicit = SearchPlaces {
            explicit: Some(dir.path().join("nope.so")),
            ..places
        };
        let err = locate(&explicit).unwrap_err();
        assert!(
            err.contains("ORT_DYLIB_PATH is") && err.contains("nope.so"),
            "{err}"
        );
    }

    #[test]
    fn build_info_version() {
        assert_eq!(
            version_from_build_info("ORT Build Info: git-branch=rel-1.31.1, git-commit-id=abc").as_deref(),
            Some("1.31.1")
        );
        assert_eq!(version_from_build_info("nothing"), None);
    }
}
