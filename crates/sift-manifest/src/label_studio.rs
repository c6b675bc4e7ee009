//! Label Studio task exports (a JSON array of tasks), read one task at a time.

use std::cell::Cell;
use std::fmt;
use std::io::{self, Read};
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::gt::parse_object;
use crate::hash::{ContentHash, content_hash_of_pairs};

/// One task of a Label Studio export.
#[derive(Debug)]
pub struct LabelStudioTask {
    /// 0-based position in the array.
    pub index: usize,
    /// 1-based line where the task's object starts.
    pub line: u64,
    /// The task's `data` object, as written in the file.
    pub data: String,
    /// Hash of `data`, for deduplication.
    pub hash: ContentHash,
    /// The task's `id`, if any.
    pub id: Option<serde_json::Value>,
    /// The task's `annotations` (each with a `result` list), if any.
    pub annotations: Vec<serde_json::Value>,
}

/// Why a Label Studio file or one of its tasks could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LabelStudioError<E: std::error::Error + 'static> {
    /// The file is not a JSON array of objects; reading cannot go on.
    #[error("line {line}: invalid JSON: {message}")]
    Syntax { line: u64, message: String },
    /// One task is malformed; the others can still be read.
    #[error("line {line}: task {index}: {message}")]
    Task {
        line: u64,
        index: usize,
        message: String,
    },
    /// Reading the file failed.
    #[error("reading failed near line {line}: {source}")]
    Io { line: u64, source: io::Error },
    /// The callback refused a task.
    #[error(transparent)]
    Callback(E),
}

#[derive(serde::Deserialize)]
struct TaskFields {
    #[serde(default)]
    id: Option<serde_json::Value>,
    data: Option<Box<RawValue>>,
    #[serde(default)]
    annotations: Option<Vec<serde_json::Value>>,
}

/// Streams the tasks of a Label Studio JSON export to `on_task`.
///
/// `on_task` gets each well-formed task, or the error for a malformed one, and decides
/// whether to go on (return `Ok`) or stop (return `Err`, which is handed back as
/// [`LabelStudioError::Callback`]).
pub fn read_label_studio_tasks<R, E, F>(reader: R, mut on_task: F) -> Result<usize, LabelStudioError<E>>
where
    R: Read,
    E: std::error::Error + 'static,
    F: FnMut(Result<LabelStudioTask, LabelStudioError<E>>) -> Result<(), E>,
{
    let lines = Rc::new(Cell::new(1u64));
    let counting = CountingReader {
        inner: reader,
        lines: Rc::clone(&lines),
        skip_bom: true,
    };
    let mut de = serde_json::Deserializer::from_reader(counting);
    let mut failure: Option<E> = None;
    let seed = TaskSeq {
        lines: Rc::clone(&lines),
        on_task: &mut on_task,
        failure: &mut failure,
        count: 0,
    };
    let result = seed.deserialize(&mut de).and_then(|n| de.end().map(|()| n));
    if let Some(e) = failure {
        return Err(LabelStudioError::Callback(e));
    }
    result.map_err(|e| {
        if e.is_io() {
            let source = io::Error::other(e.to_string());
            LabelStudioError::Io {
                line: lines.get(),
                source,
            }
        } else {
            let msg = e.to_string();
            let msg = msg
                .rfind(" at line ")
                .map_or(msg.clone(), |i| msg[..i].to_owned());
            LabelStudioError::Syntax {
                line: e.line() as u64,
                message: msg,
            }
        }
    })
}

struct TaskSeq<'f, F, E> {
    lines: Rc<Cell<u64>>,
    on_task: &'f mut F,
    failure: &'f mut Option<E>,
    count: usize,
}

impl<'de, F, E> DeserializeSeed<'de> for TaskSeq<'_, F, E>
where
    E: std::error::Error + 'static,
    F: FnMut(Result<LabelStudioTask, LabelStudioError<E>>) -> Result<(), E>,
{
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F, E> Visitor<'de> for TaskSeq<'_, F, E>
where
    E: std::error::Error + 'static,
    F: FnMut(Result<LabelStudioTask, LabelStudioError<E>>) -> Result<(), E>,
{
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of Label Studio tasks")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<usize, A::Error> {
        let mut scratch = Vec::new();
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            let index = self.count;
            self.count += 1;
            let newlines = raw.get().bytes().filter(|&b| b == b'\n').count() as u64;
            let line = self.lines.get().saturating_sub(newlines);
            let task = task_from_raw(&raw, index, line, &mut scratch);
            if let Err(e) = (self.on_task)(task) {
                *self.failure = Some(e);
                return Err(de::Error::custom("stopped by the importer"));
            }
        }
        Ok(self.count)
    }
}

fn task_from_raw<E: std::error::Error>(
    raw: &RawValue,
    index: usize,
    line: u64,
    scratch: &mut Vec<u8>,
) -> Result<LabelStudioTask, LabelStudioError<E>> {
    let fail = |message: String| LabelStudioError::Task { line, index, message };
    if !raw.get().starts_with('{') {
        return Err(fail("expected a task object".into()));
    }
    let fields: TaskFields = serde_json::from_str(raw.get()).map_err(|e| fail(e.to_string()))?;
    let data = fields
        .data
        .ok_or_else(|| fail("field \"data\" is missing".into()))?;
    let pairs = parse_object(data.get()).map_err(|e| fail(format!("field \"data\": {e}")))?;
    let hash = content_hash_of_pairs(&pairs, scratch);
    Ok(LabelStudioTask {
        index,
        line,
        data: data.get().to_owned(),
        hash,
        id: fields.id,
        annotations: fields.annotations.unwrap_or_default(),
    })
}

/// Counts newlines as serde_json consumes bytes, so tasks can be reported by line.
struct CountingReader<R> {
    inner: R,
    lines: Rc<Cell<u64>>,
    skip_bom: bool,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = self.inner.read(buf)?;
        if self.skip_bom && n > 0 {
            self.skip_bom = false;
            // serde_json reads one byte at a time through `bytes()`, so a BOM arrives as three
            // single-byte reads at most; handle both that and a larger first read.
            if buf[..n].starts_with(b"\xEF\xBB\xBF") {
                buf.copy_within(3..n, 0);
                n -= 3;
            } else if n < 3 && buf[0] == 0xEF {
                let mut rest = [0u8; 2];
                let need = 3 - n;
                self.inner.read_exact(&mut rest[..need])?;
                let mut bom = [0xEFu8, 0, 0];
                bom[1..n].copy_from_slice(&buf[1..n]);
                bom[n..].copy_from_slice(&rest[..need]);
                if bom == *b"\xEF\xBB\xBF" {
                    return self.read(buf);
                }
                return Err(io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"));
            }
        }
        let added = buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        self.lines.set(self.lines.get() + added);
        Ok(n)
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
        let (n, got) = read("[{\"id\":1},\n 5,\n {\"data\":{\"t\":1}}]");
        assert_eq!(n, Ok(3));
        assert_eq!(got[0], Err("line 1: task 0: field \"data\" is missing".into()));
        assert_eq!(got[1], Err("line 2: task 1: expected a task object".into()));
        assert!(got[2].is_ok());
    }

    #[test]
    fn broken_json_stops_with_a_line() {
        let (n, _) = read("[{\"data\":{}},\n {\"data\": }]");
        assert_eq!(n, Err("line 2: invalid JSON: expected value".into()));
        let (n, _) = read("{\"data\":{}}");
        assert!(n.unwrap_err().contains("a JSON array of Label Studio tasks"));
    }
}
