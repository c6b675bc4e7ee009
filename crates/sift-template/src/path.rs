//! Key paths used in error messages: `rules.dimensions[1].name`, `pairs[2].spans[0]`,
//! `rankings.clarity["resp a"]`.

/// Appends a key to a path. Keys made of ASCII letters, digits, `_` and `-` are written
/// as `.key`; any other key is written as a quoted index `["key"]` (JSON string syntax).
pub(crate) fn key(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let mut out = String::with_capacity(parent.len() + key.len() + 4);
    out.push_str(parent);
    if plain {
        if !parent.is_empty() {
            out.push('.');
        }
        out.push_str(key);
    } else {
        out.push('[');
        out.push_str(&serde_json::Value::String(key.to_owned()).to_string());
        out.push(']');
    }
    out
}

/// Appends an array index to a path: `parent[i]`.
pub(crate) fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_paths() {
        assert_eq!(key("", "rules"), "rules");
        assert_eq!(key("rules", "max_pairs"), "rules.max_pairs");
        assert_eq!(index("rules.dimensions", 1), "rules.dimensions[1]");
        assert_eq!(key("rankings.clarity", "resp a"), "rankings.clarity[\"resp a\"]");
        assert_eq!(key("", "a\"b"), "[\"a\\\"b\"]");
        assert_eq!(key("x", ""), "x[\"\"]");
    }
}
