//! Enums of names: the one derive list they share ([`named_enum!`](crate::named_enum), applied
//! with [`apply`]) and [`parse_name`], which reads a name back with an error that lists them all.
//!
//! A named enum is serialized by its serde names; `strum` derives the same names for
//! `as_str` (through `IntoStaticStr`), `Display` and the list of names (`VariantArray`), and
//! ts-rs the TypeScript type. Each enum states its case (`#[serde(rename_all = ...)]` and
//! `#[strum(serialize_all = ...)]`) next to the derive:
//!
//! ```
//! use sift_core::{apply, named_enum};
//!
//! /// A colour.
//! #[apply(named_enum!)]
//! #[serde(rename_all = "snake_case")]
//! #[strum(serialize_all = "snake_case")]
//! pub enum Colour {
//!     /// Dark.
//!     DeepBlue,
//! }
//!
//! assert_eq!(<&str>::from(Colour::DeepBlue), "deep_blue");
//! assert_eq!(sift_core::parse_name::<Colour>("deep_blue", "colour"), Ok(Colour::DeepBlue));
//! ```

/// Applies a `macro_rules!` macro to the item below it (here: [`named_enum!`](crate::named_enum)).
pub use macro_rules_attribute::apply;

/// Derives, on the enum it is applied to, what every enum of names has: `Debug`, `Clone`,
/// `Copy`, `PartialEq`, `Eq`, `Hash`, serde's `Serialize` and `Deserialize`, ts-rs's `TS`, and
/// strum's `IntoStaticStr`, `Display` and `VariantArray`. Use it as `#[apply(named_enum!)]`;
/// the crate using it depends on `serde`, `ts-rs` and `strum` itself.
#[macro_export]
macro_rules! named_enum {
    ($($item:tt)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[derive(::serde::Serialize, ::serde::Deserialize, ::ts_rs::TS)]
        #[derive(::strum::IntoStaticStr, ::strum::Display, ::strum::VariantArray)]
        $($item)*
    };
}

/// One of an enum's names (its serde name, which `strum` derives the same way), or an error
/// that lists them all: `unknown role "admin" (expected annotator, reviewer or lead)`.
pub fn parse_name<T>(s: &str, what: &str) -> Result<T, String>
where
    T: strum::VariantArray + Copy + Into<&'static str>,
{
    if let Some(v) = T::VARIANTS.iter().find(|v| Into::<&str>::into(**v) == s) {
        return Ok(*v);
    }
    let names: Vec<&str> = T::VARIANTS.iter().map(|v| (*v).into()).collect();
    let expected = match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    };
    Err(format!("unknown {what} {s:?} (expected {expected})"))
}
