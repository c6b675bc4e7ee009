//! Options that take one of an enum's names: `--help` (and shell completion) lists the names,
//! taken from the enum's own list, while parsing stays what it was (the type's `FromStr`, or
//! the raw string for a command that parses it later and reports its own error).

use std::ffi::OsStr;

use clap::builder::{PossibleValue, StringValueParser, TypedValueParser};

/// A value parser that parses like `parser` and lists `names` as the possible values.
#[derive(Debug, Clone)]
pub(crate) struct Listed<P> {
    parser: P,
    names: Vec<&'static str>,
}

/// A `FromStr::from_str` (or `str::parse`) as a value parser.
type ParseFn<T, E> = fn(&str) -> Result<T, E>;

/// Parses with `T`'s `FromStr` (exactly as clap does for a plain `T` field, errors included)
/// and lists `names` in `--help`.
pub(crate) fn parsed<T, E>(
    parse: ParseFn<T, E>,
    names: impl IntoIterator<Item = &'static str>,
) -> Listed<ParseFn<T, E>>
where
    T: Send + Sync + Clone + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync + 'static>> + 'static,
{
    Listed {
        parser: parse,
        names: names.into_iter().collect(),
    }
}

/// Keeps the value as written (the command parses it and reports a bad one itself) and lists
/// `names` in `--help`.
pub(crate) fn unparsed(names: impl IntoIterator<Item = &'static str>) -> Listed<StringValueParser> {
    Listed {
        parser: StringValueParser::new(),
        names: names.into_iter().collect(),
    }
}

impl<P: TypedValueParser> TypedValueParser for Listed<P> {
    type Value = P::Value;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<Self::Value, clap::Error> {
        self.parser.parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.names.iter().map(|&n| PossibleValue::new(n))))
    }
}
