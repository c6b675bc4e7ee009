//! Reading Label Studio `result` arrays: one [`Res`] per result object, with accessors that
//! name the exact place of every problem (`result[3].value.start`).

use serde_json::{Map, Value};

use super::{ImportError, err};

/// One result object, with accessors that report precise errors.
pub(crate) struct Res<'a> {
    /// Where the result sits (`result[3]`).
    pub(crate) path: String,
    /// The result object.
    pub(crate) obj: &'a Map<String, Value>,
}

impl<'a> Res<'a> {
    pub(crate) fn str(&self, key: &str) -> Result<&'a str, ImportError> {
        match self.obj.get(key) {
            Some(Value::String(s)) => Ok(s),
            Some(_) => err(&format!("{}.{key}", self.path), "expected a string"),
            None => err(&self.path, format!("missing `{key}`")),
        }
    }

    pub(crate) fn opt_str(&self, key: &str) -> Option<&'a str> {
        self.obj.get(key).and_then(Value::as_str)
    }

    pub(crate) fn value(&self) -> Result<&'a Map<String, Value>, ImportError> {
        match self.obj.get("value") {
            Some(Value::Object(m)) => Ok(m),
            _ => err(&self.path, "missing `value` object"),
        }
    }

    pub(crate) fn value_path(&self, key: &str) -> String {
        format!("{}.value.{key}", self.path)
    }

    /// `value.<key>` as a list of strings (textarea `text`, `choices`, labels).
    pub(crate) fn strings(&self, key: &str) -> Result<Vec<&'a str>, ImportError> {
        let p = self.value_path(key);
        match self.value()?.get(key) {
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| v.as_str().map_or_else(|| err(&p, "expected strings"), Ok))
                .collect(),
            Some(_) => err(&p, "expected an array of strings"),
            None => err(&self.path, format!("missing `value.{key}`")),
        }
    }

    /// `value.<key>` as one string: the texts of a textarea joined by newlines.
    pub(crate) fn text(&self, key: &str) -> Result<String, ImportError> {
        Ok(self.strings(key)?.join("\n"))
    }

    /// The single chosen option of a `choices` result.
    pub(crate) fn choice(&self) -> Result<&'a str, ImportError> {
        match self.strings("choices")?.as_slice() {
            [one] => Ok(one),
            other => err(
                &self.value_path("choices"),
                format!("expected exactly one choice, found {}", other.len()),
            ),
        }
    }

    pub(crate) fn number(&self, map: &Map<String, Value>, key: &str, path: &str) -> Result<f64, ImportError> {
        match map.get(key).and_then(Value::as_f64) {
            Some(n) if n.is_finite() => Ok(n),
            _ => err(&format!("{path}.{key}"), "expected a number"),
        }
    }

    pub(crate) fn offset(&self, key: &str) -> Result<usize, ImportError> {
        match self.value()?.get(key).and_then(Value::as_u64) {
            Some(n) => usize::try_from(n).map_or_else(|_| err(&self.value_path(key), "offset too large"), Ok),
            None => err(&self.value_path(key), "expected a non-negative integer offset"),
        }
    }
}

/// The results of one annotation, in order.
pub(crate) fn results(result: &Value) -> Result<Vec<Res<'_>>, ImportError> {
    let Some(arr) = result.as_array() else {
        return err("result", "expected an array of results");
    };
    arr.iter()
        .enumerate()
        .map(|(i, r)| {
            let path = format!("result[{i}]");
            match r {
                Value::Object(obj) => Ok(Res { path, obj }),
                _ => err(&path, "expected an object"),
            }
        })
        .collect()
}
