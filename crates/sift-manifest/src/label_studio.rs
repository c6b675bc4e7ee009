//! Label Studio task files, read one task at a time: a JSON array of tasks or one task
//! object, each task with its `data` wrapper or without one (then the object itself is the
//! data), as Label Studio itself accepts them.

use std::io::{self, BufRead};

use crate::elements::{Element, Elements, SplitError};
use crate::gt::{check_numbers, first_duplicate, parse_pairs};
use crate::hash::{ContentHash, content_hash_of_pairs};

/// One task of a Label Studio export.
#[derive(Debug)]
pub struct LabelStudioTask {
    /// 0-based position in the array.
    pub index: usize,
    /// 1-based line where the task's object starts.
    pub line: u64,
    /// The task's data object, as written in the file: its `data` member, or the whole
    /// task object when it has none.
    pub data: String,
    /// Hash of `data`, for deduplication.
    pub hash: ContentHash,
    /// The task's `id`, if any.
    pub id: Option<serde_json::Value>,
    /// The task's `annotations` (each with a `result` list), if any; the `completions` of
    /// exports from Label Studio before 1.0 count as annotations.
    pub annotations: Vec<serde_json::Value>,
    /// The task's `predictions` (each with a `result` list, and usually `model_version` and
    /// `score`), if any: a model's pre-annotations, never a person's.
    pub predictions: Vec<serde_json::Value>,
}

/// Why a Label Studio file or one of its tasks could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LabelStudioError<E: std::error::Error + 'static> {
    /// The file is not a JSON array of tasks nor one task; reading cannot go on.
    #[error("line {line}: invalid JSON: {message}")]
    Syntax {
        /// The 1-based line of the file where the syntax error is.
        line: u64,
        /// What is wrong, in words.
        message: String,
    },
    /// One task is malformed or too long; the others can still be read.
    #[error("line {line}: task {index}: {message}")]
    Task {
        /// The 1-based line where the task's object starts.
        line: u64,
        /// The task's 0-based position in the array.
        index: usize,
        /// What is wrong with the task, in words.
        message: String,
    },
    /// Reading the file failed.
    #[error("reading failed near line {line}: {source}")]
    Io {
        /// The 1-based line the reader had reached.
        line: u64,
        /// The underlying read error.
        source: io::Error,
    },
    /// The callback refused a task; holds the callback's own error.
    #[error(transparent)]
    Callback(E),
}

/// Streams the tasks of a Label Studio JSON file to `on_task`, with tasks limited to
/// [`crate::DEFAULT_MAX_LINE_BYTES`].
pub fn read_label_studio_tasks<R, E, F>(reader: R, on_task: F) -> Result<usize, LabelStudioError<E>>
where
    R: BufRead,
    E: std::error::Error + 'static,
    F: FnMut(Result<LabelStudioTask, LabelStudioError<E>>) -> Result<(), E>,
{
    read_label_studio_tasks_with_limit(reader, crate::DEFAULT_MAX_LINE_BYTES, on_task)
}

/// Streams the tasks of a Label Studio JSON file to `on_task`, keeping one task in memory.
///
/// `on_task` gets each well-formed task, or the error for a malformed one (including a
/// task over `max_task_bytes`, which is skipped without being read into memory), and
/// decides whether to go on (return `Ok`) or stop (return `Err`, which is handed back as
/// [`LabelStudioError::Callback`]). Returns the number of tasks seen.
pub fn read_label_studio_tasks_with_limit<R, E, F>(
    reader: R,
    max_task_bytes: usize,
    mut on_task: F,
) -> Result<usize, LabelStudioError<E>>
where
    R: BufRead,
    E: std::error::Error + 'static,
    F: FnMut(Result<LabelStudioTask, LabelStudioError<E>>) -> Result<(), E>,
{
    let mut elements = Elements::new(reader, max_task_bytes);
    let mut scratch = Vec::new();
    let mut count = 0;
    while let Some(next) = elements.next() {
        let task = match next {
            Err(SplitError::Syntax { line, message }) => {
                return Err(LabelStudioError::Syntax { line, message });
            }
            Err(SplitError::Io { line, source }) => return Err(LabelStudioError::Io { line, source }),
            Ok(Element::TooLong { index, line, limit }) => Err(LabelStudioError::Task {
                line,
                index,
                message: format!("longer than the limit of {limit} bytes"),
            }),
            Ok(Element::Value { index, line, bytes }) => task_from_bytes(bytes, index, line, &mut scratch),
        };
        count += 1;
        let task = match task {
            Err(e @ LabelStudioError::Syntax { .. }) => return Err(e),
            other => other,
        };
        on_task(task).map_err(LabelStudioError::Callback)?;
    }
    Ok(count)
}

fn task_from_bytes<E: std::error::Error>(
    bytes: &[u8],
    index: usize,
    line: u64,
    scratch: &mut Vec<u8>,
) -> Result<LabelStudioTask, LabelStudioError<E>> {
    let fail = |message: String| LabelStudioError::Task { line, index, message };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        fail(format!(
            "not valid UTF-8 (first bad byte at offset {} of the task)",
            e.valid_up_to()
        ))
    })?;
    if !text.starts_with('{') {
        // Still JSON (or the file is broken, which the caller must hear about).
        return match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Ok(_) => Err(fail("expected a task object".into())),
            Err(e) => Err(syntax(&e, line)),
        };
    }
    let task = parse_pairs(text).map_err(|e| syntax(&e, line))?;
    if let Some(k) = first_duplicate(&task) {
        return Err(fail(format!("field {k:?} appears more than once")));
    }
    let member = |name: &str| task.iter().find(|(k, _)| k == name).map(|(_, v)| *v);
    // Label Studio reads a task without a `data` member as its data, whole.
    let (data, id, annotations, predictions): (&str, _, _, _) = match member("data") {
        None => (text, None, None, None),
        Some(data) => (
            data.get(),
            member("id"),
            member("annotations").or_else(|| member("completions")),
            member("predictions"),
        ),
    };
    if !data.starts_with('{') {
        return Err(fail(format!(
            "field \"data\": expected a JSON object, found {}",
            json_kind(data)
        )));
    }
    let pairs = parse_pairs(data).map_err(|e| syntax(&e, line))?;
    if let Some(k) = first_duplicate(&pairs) {
        return Err(fail(format!(
            "field \"data\": field {k:?} appears more than once"
        )));
    }
    if let Err(e) = check_numbers(&pairs) {
        return Err(fail(format!("field \"data\": {e}")));
    }
    let hash = content_hash_of_pairs(&pairs, scratch);
    let id = match id {
        Some(v) => Some(serde_json::from_str(v.get()).map_err(|e| fail(format!("field \"id\": {e}")))?),
        None => None,
    };
    let annotations = match annotations {
        None => Vec::new(),
        Some(v) if v.get() == "null" => Vec::new(),
        Some(v) => serde_json::from_str::<Vec<serde_json::Value>>(v.get())
            .map_err(|_| fail("field \"annotations\": expected a list of annotations".into()))?,
    };
    let predictions = match predictions {
        None => Vec::new(),
        Some(v) if v.get() == "null" => Vec::new(),
        Some(v) => serde_json::from_str::<Vec<serde_json::Value>>(v.get())
            .map_err(|_| fail("field \"predictions\": expected a list of predictions".into()))?,
    };
    Ok(LabelStudioTask {
        index,
        line,
        data: data.to_owned(),
        hash,
        id,
        annotations,
        predictions,
    })
}

/// A syntax error inside a task breaks the file: it is reported at its own line.
fn syntax<E: std::error::Error>(e: &serde_json::Error, task_line: u64) -> LabelStudioError<E> {
    let msg = e.to_string();
    let msg = msg.rfind(" at line ").map_or(msg.as_str(), |i| &msg[..i]);
    LabelStudioError::Syntax {
        line: task_line + (e.line() as u64).saturating_sub(1),
        message: msg.to_owned(),
    }
}

fn json_kind(raw: &str) -> &'static str {
    match raw.as_bytes().first() {
        Some(b'[') => "a list",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Collected = Vec<Result<(usize, u64, String, usize), String>>;

    fn read(input: &str) -> (Result<usize, String>, Collected) {
        let mut got = Vec::new();
        let r = read_label_studio_tasks::<_, io::Error, _>(std::io::BufReader::new(input.as_bytes()), |t| {
            got.push(
                t.map(|t| (t.index, t.line, t.data, t.annotations.len()))
                    .map_err(|e| e.to_string()),
            );
            Ok(())
        });
        (r.map_err(|e| e.to_string()), got)
    }

    #[test]
    fn streams_tasks_with_their_lines() {
        let input = "\u{feff}[\n  {\"id\": 1, \"data\": {\"text\": \"a\"}},\n  {\n    \"id\": 2,\n    \"data\": {\"text\": \"b\"},\n    \"annotations\": [{\"result\": []}]\n  }\n]\n";
        let (n, got) = read(input);
        assert_eq!(n, Ok(2));
        assert_eq!(got[0], Ok((0, 2, "{\"text\": \"a\"}".into(), 0)));
        assert_eq!(got[1], Ok((1, 3, "{\"text\": \"b\"}".into(), 1)));
    }

    #[test]
    fn a_bad_task_is_reported_and_reading_goes_on() {
        let (n, got) = read("[{\"data\":3},\n 5,\n {\"data\":{\"t\":1}},\n {\"data\":{\"t\":1,\"t\":2}}]");
        assert_eq!(n, Ok(4));
        let data = "line 1: task 0: field \"data\": expected a JSON object, found a number";
        assert_eq!(got[0], Err(data.into()));
        assert_eq!(got[1], Err("line 2: task 1: expected a task object".into()));
        assert!(got[2].is_ok());
        let dup = "line 4: task 3: field \"data\": field \"t\" appears more than once";
        assert_eq!(got[3], Err(dup.into()));
    }

    /// Found by the `label_studio` fuzz target: a task whose data holds a number beyond a
    /// double was handed out, and no reader could use it later. It is a task error now.
    #[test]
    fn numbers_beyond_a_double_are_a_task_error() {
        let (n, got) = read("[{\"d\":1E11111111},\n{\"data\":{\"t\":[-9e999]}}, {\"t\":1e308}]");
        assert_eq!(n, Ok(3));
        let want = |line, index, field| {
            format!(
                "line {line}: task {index}: field \"data\": field \"{field}\": number out of range (beyond what a 64-bit float holds)"
            )
        };
        assert_eq!(got[0], Err(want(1, 0, "d")));
        assert_eq!(got[1], Err(want(2, 1, "t")));
        assert!(got[2].is_ok());
    }

    /// Found by the `label_studio` fuzz target: a task without `data` (the task is its data)
    /// keyed by serde_json's private raw-value marker was handed out as an object that no
    /// later read could parse. It is a task error now.
    #[test]
    fn serde_json_raw_value_marker_as_a_key_is_a_task_error() {
        let (n, got) = read("[{\"$serde_json::private::RawValue\"  \r:\"lf\"},\n{\"data\":{\"t\":1}}]");
        assert_eq!(n, Ok(2));
        assert_eq!(
            got[0],
            Err(r#"line 1: task 0: field "data": field "$serde_json::private::RawValue": the key "$serde_json::private::RawValue" is reserved"#.into())
        );
        assert!(got[1].is_ok());
    }

    #[test]
    fn one_task_object_and_tasks_without_data_are_read_as_label_studio_does() {
        let (n, got) = read("\n{\"id\": 3, \"data\": {\"text\": \"a\"}, \"annotations\": [{}]}\n");
        assert_eq!(n, Ok(1));
        assert_eq!(got[0], Ok((0, 2, "{\"text\": \"a\"}".into(), 1)));
        // Without `data` the object is the data, all of it; `completions` (before 1.0)
        // are annotations.
        let (n, got) =
            read("[{\"text\": \"b\", \"annotations\": [{}]}, {\"data\": {}, \"completions\": [{}, {}]}]");
        assert_eq!(n, Ok(2));
        assert_eq!(
            got[0],
            Ok((0, 1, "{\"text\": \"b\", \"annotations\": [{}]}".into(), 0))
        );
        assert_eq!(got[1], Ok((1, 1, "{}".into(), 2)));
    }

    #[test]
    fn predictions_are_read_apart_from_annotations() {
        let input = "[{\"data\": {\"t\": 1}, \"annotations\": [{}], \"predictions\": [{\"score\": 0.5}, {}]},\n {\"data\": {}, \"predictions\": null},\n {\"data\": {}, \"predictions\": 3}]";
        let mut got = Vec::new();
        let n = read_label_studio_tasks::<_, io::Error, _>(input.as_bytes(), |t| {
            got.push(
                t.map(|t| (t.annotations.len(), t.predictions))
                    .map_err(|e| e.to_string()),
            );
            Ok(())
        });
        assert_eq!(n.unwrap(), 3);
        assert_eq!(
            got[0],
            Ok((1, vec![serde_json::json!({"score": 0.5}), serde_json::json!({})]))
        );
        assert_eq!(got[1], Ok((0, vec![])));
        assert_eq!(
            got[2],
            Err("line 3: task 2: field \"predictions\": expected a list of predictions".into())
        );
    }

    #[test]
    fn an_over_long_task_is_an_error_and_reading_goes_on() {
        let long = "x".repeat(crate::DEFAULT_MAX_LINE_BYTES + 1);
        let input = format!("[\n{{\"data\":{{\"text\":\"{long}\"}}}},\n{{\"data\":{{\"t\":1}}}}]");
        let (n, got) = read(&input);
        assert_eq!(n, Ok(2));
        // Compared by length: a failure must not print megabytes.
        assert_eq!(
            got[0].as_ref().map(|t| t.2.len()),
            Err(&format!(
                "line 2: task 0: longer than the limit of {} bytes",
                crate::DEFAULT_MAX_LINE_BYTES
            ))
        );
        assert_eq!(got[1], Ok((1, 3, "{\"t\":1}".into(), 0)));
    }

    #[test]
    fn broken_json_stops_with_a_line() {
        let (n, _) = read("[{\"data\":{}},\n {\"data\": }]");
        assert_eq!(n, Err("line 2: invalid JSON: expected value".into()));
        let (n, _) = read("5");
        assert_eq!(
            n,
            Err(
                "line 1: invalid JSON: expected a JSON array of Label Studio tasks or one task object".into()
            )
        );
        let (n, _) = read("{\"data\":{}} {}");
        assert_eq!(n, Err("line 1: invalid JSON: trailing characters".into()));
    }
}
