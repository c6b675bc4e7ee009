//! Keyboard shortcuts: the actions every kind shares (each kind lists its own next to its
//! rules), key-chord parsing, the effective bindings of a template, and conflict checks.
//!
//! A chord is written `Modifier+…+Key`, for example `Mod+Enter`, `Alt+Shift+N` or `F1`.
//!
//! * Modifiers (case-insensitive, any order, each at most once): `Mod` (Cmd on macOS, Ctrl
//!   elsewhere), `Ctrl` (`Control`), `Alt` (`Option`), `Shift`, `Meta` (`Cmd`, `Command`, `Super`).
//! * Key: one printable ASCII character (`A`-`Z`, `0`-`9`, punctuation such as `[` `,` `/`), or a
//!   named key: `Enter`, `Escape`, `Tab`, `Space`, `Backspace`, `Delete`, `Insert`, `Up`, `Down`,
//!   `Left`, `Right`, `Home`, `End`, `PageUp`, `PageDown`, `Plus` (the `+` key), `F1`-`F12`.
//! * Every key except `Escape` and `F1`-`F12` needs `Mod`, `Ctrl`, `Alt` or `Meta`: annotators
//!   type into text fields, so a bare letter, `Shift+letter`, `Enter` or `Backspace` would
//!   fight with typing.
//! * The value `"none"` unbinds an action.
//!
//! Chords are compared after canonicalisation (`ctrl+shift+n` equals `Shift+Ctrl+N`); `Mod`
//! conflicts with `Ctrl` (Windows, Linux) and with `Meta` (macOS).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Serialize, Serializer};

use crate::kinds::{Kind, TaskKind, with_kind};

/// One bindable action of a labeling UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    /// Name used as the key under `[shortcuts]`.
    pub name: &'static str,
    /// Default chord.
    pub default_key: &'static str,
    /// What the action does, for help screens.
    pub description: &'static str,
}

/// An action entry (kinds list theirs with it).
pub(crate) const fn act(name: &'static str, default_key: &'static str, description: &'static str) -> Action {
    Action {
        name,
        default_key,
        description,
    }
}

const COMMON: &[Action] = &[
    act("submit", "Mod+Enter", "Submit the annotation (runs every rule)"),
    act(
        "save_draft",
        "Mod+S",
        "Save the work as a draft (incomplete work allowed)",
    ),
    act("skip", "Alt+S", "Skip the item without annotating it"),
    act("toggle_instructions", "F1", "Show or hide the instructions panel"),
];

/// Every action available for `kind`: the common ones first, then the kind's own.
pub fn actions(kind: Kind) -> impl Iterator<Item = &'static Action> {
    let own: &'static [Action] = with_kind!(kind, |K| K::ACTIONS);
    COMMON.iter().chain(own.iter())
}

/// Looks up an action of `kind` by name.
pub fn action(kind: Kind, name: &str) -> Option<&'static Action> {
    actions(kind).find(|a| a.name == name)
}

/// A parsed key chord such as `Mod+Shift+N`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Chord {
    modifier: bool,
    ctrl: bool,
    alt: bool,
    shift: bool,
    meta: bool,
    key: String,
}

const NAMED_KEYS: &[&str] = &[
    "Enter",
    "Escape",
    "Tab",
    "Space",
    "Backspace",
    "Delete",
    "Insert",
    "Up",
    "Down",
    "Left",
    "Right",
    "Home",
    "End",
    "PageUp",
    "PageDown",
    "Plus",
    "F1",
    "F2",
    "F3",
    "F4",
    "F5",
    "F6",
    "F7",
    "F8",
    "F9",
    "F10",
    "F11",
    "F12",
];

fn named_key(token: &str) -> Option<&'static str> {
    let lower = token.to_ascii_lowercase();
    let alias = match lower.as_str() {
        "return" => "enter",
        "esc" => "escape",
        "del" => "delete",
        "arrowup" => "up",
        "arrowdown" => "down",
        "arrowleft" => "left",
        "arrowright" => "right",
        "spacebar" => "space",
        other => other,
    };
    NAMED_KEYS.iter().copied().find(|k| k.eq_ignore_ascii_case(alias))
}

impl Chord {
    /// Parses a chord; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Chord, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err("empty key chord (use \"none\" to unbind the action)".into());
        }
        let tokens: Vec<&str> = trimmed.split('+').map(str::trim).collect();
        let mut chord = Chord {
            modifier: false,
            ctrl: false,
            alt: false,
            shift: false,
            meta: false,
            key: String::new(),
        };
        let last = tokens.len().saturating_sub(1);
        for (i, token) in tokens.iter().enumerate() {
            if token.is_empty() {
                return Err(format!(
                    "`{trimmed}` has an empty part; write `Plus` for the + key"
                ));
            }
            let flag = match token.to_ascii_lowercase().as_str() {
                "mod" => Some(&mut chord.modifier),
                "ctrl" | "control" => Some(&mut chord.ctrl),
                "alt" | "option" => Some(&mut chord.alt),
                "shift" => Some(&mut chord.shift),
                "meta" | "cmd" | "command" | "super" => Some(&mut chord.meta),
                _ => None,
            };
            match flag {
                Some(flag) if i < last => {
                    if *flag {
                        return Err(format!("`{trimmed}` repeats the modifier `{token}`"));
                    }
                    *flag = true;
                }
                Some(_) => return Err(format!("`{trimmed}` has no key after its modifiers")),
                None if i < last => {
                    return Err(format!(
                        "`{token}` in `{trimmed}` is not a modifier (Mod, Ctrl, Alt, Shift, Meta); \
                         only the last part may be a key"
                    ));
                }
                None => chord.key = canonical_key(token)?,
            }
        }
        let has_command_modifier = chord.modifier || chord.ctrl || chord.alt || chord.meta;
        let free_key = chord.key == "Escape" || (chord.key.len() >= 2 && chord.key.starts_with('F'));
        if !has_command_modifier && !free_key {
            return Err(format!(
                "`{trimmed}` would fire while typing; add Mod, Ctrl, Alt or Meta \
                 (only Escape and F1-F12 may be used alone or with Shift)"
            ));
        }
        Ok(chord)
    }

    /// The non-modifier key, canonically spelled (`A`, `Enter`, `F1`, `[`).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Whether the two chords are the same key press on Windows/Linux or on macOS.
    pub fn conflicts_with(&self, other: &Chord) -> bool {
        self.on_platform(false) == other.on_platform(false)
            || self.on_platform(true) == other.on_platform(true)
    }

    fn on_platform(&self, mac: bool) -> (bool, bool, bool, bool, &str) {
        let ctrl = self.ctrl || (self.modifier && !mac);
        let meta = self.meta || (self.modifier && mac);
        (ctrl, self.alt, self.shift, meta, &self.key)
    }
}

fn canonical_key(token: &str) -> Result<String, String> {
    if let Some(named) = named_key(token) {
        return Ok(named.to_owned());
    }
    let mut chars = token.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_graphic() => Ok(c.to_ascii_uppercase().to_string()),
        (Some(c), None) => Err(format!(
            "`{c}` is not a supported key; use an ASCII letter, digit or punctuation mark, or a named key"
        )),
        _ => Err(format!(
            "unknown key `{token}`; named keys are: {}",
            NAMED_KEYS.join(", ")
        )),
    }
}

impl fmt::Display for Chord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (on, name) in [
            (self.modifier, "Mod"),
            (self.ctrl, "Ctrl"),
            (self.alt, "Alt"),
            (self.shift, "Shift"),
            (self.meta, "Meta"),
        ] {
            if on {
                write!(f, "{name}+")?;
            }
        }
        f.write_str(&self.key)
    }
}

impl Serialize for Chord {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The effective shortcuts of a template: the kind's defaults merged with the template's
/// `[shortcuts]` overrides. An action mapped to `None` is unbound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortcuts {
    kind: Kind,
    bindings: BTreeMap<&'static str, Option<Chord>>,
}

impl Shortcuts {
    /// The defaults for `kind`.
    pub fn defaults(kind: Kind) -> Shortcuts {
        let bindings = actions(kind)
            .map(|a| (a.name, Chord::parse(a.default_key).ok()))
            .collect();
        Shortcuts { kind, bindings }
    }

    pub(crate) fn set(&mut self, action: &'static str, chord: Option<Chord>) {
        self.bindings.insert(action, chord);
    }

    /// The chord bound to `action`, if the action exists and is bound.
    pub fn get(&self, action: &str) -> Option<&Chord> {
        self.bindings.get(action).and_then(Option::as_ref)
    }

    /// Every action of the kind, in catalogue order, with its chord (`None` when unbound).
    pub fn iter(&self) -> impl Iterator<Item = (&'static Action, Option<&Chord>)> + '_ {
        actions(self.kind).map(|a| (a, self.bindings.get(a.name).and_then(Option::as_ref)))
    }

    /// Pairs of actions bound to conflicting chords.
    pub(crate) fn conflicts(&self) -> Vec<(&'static str, &'static str)> {
        let bound: Vec<(&'static str, &Chord)> = actions(self.kind)
            .filter_map(|a| self.get(a.name).map(|c| (a.name, c)))
            .collect();
        let mut out = Vec::new();
        for (i, (a, ca)) in bound.iter().enumerate() {
            for (b, cb) in bound.iter().skip(i + 1) {
                if ca.conflicts_with(cb) {
                    out.push((*a, *b));
                }
            }
        }
        out
    }
}

impl Serialize for Shortcuts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        for (action, chord) in self.iter() {
            match chord {
                Some(c) => map.serialize_entry(action.name, &c.to_string())?,
                None => map.serialize_entry(action.name, "none")?,
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_do_not_conflict() {
        for kind in Kind::ALL {
            for a in actions(kind) {
                assert!(
                    Chord::parse(a.default_key).is_ok(),
                    "{}: {}",
                    a.name,
                    a.default_key
                );
            }
            let s = Shortcuts::defaults(kind);
            assert!(s.conflicts().is_empty(), "{kind:?}: {:?}", s.conflicts());
            let mut names: Vec<_> = actions(kind).map(|a| a.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), actions(kind).count());
        }
    }

    #[test]
    fn canonicalises() {
        assert_eq!(Chord::parse("shift+ctrl+n").unwrap().to_string(), "Ctrl+Shift+N");
        assert_eq!(Chord::parse(" cmd + return ").unwrap().to_string(), "Meta+Enter");
        assert_eq!(Chord::parse("Alt+Plus").unwrap().to_string(), "Alt+Plus");
        assert_eq!(Chord::parse("f5").unwrap().to_string(), "F5");
        assert_eq!(Chord::parse("Shift+Esc").unwrap().to_string(), "Shift+Escape");
    }

    #[test]
    fn rejects_bad_chords() {
        for (bad, needle) in [
            ("", "empty"),
            ("Ctrl++", "Plus"),
            ("Ctrl+Ctrl+A", "repeats"),
            ("Ctrl+Shift", "no key"),
            ("A+Ctrl", "not a modifier"),
            ("Ctrl+Banana", "unknown key"),
            ("Ctrl+é", "not a supported key"),
            ("J", "while typing"),
            ("Shift+J", "while typing"),
            ("Enter", "while typing"),
        ] {
            let err = Chord::parse(bad).unwrap_err();
            assert!(err.contains(needle), "{bad}: {err}");
        }
    }

    #[test]
    fn mod_conflicts_with_ctrl_and_meta() {
        let m = Chord::parse("Mod+S").unwrap();
        assert!(m.conflicts_with(&Chord::parse("Ctrl+S").unwrap()));
        assert!(m.conflicts_with(&Chord::parse("Meta+S").unwrap()));
        assert!(!m.conflicts_with(&Chord::parse("Alt+S").unwrap()));
        assert!(!m.conflicts_with(&Chord::parse("Mod+Shift+S").unwrap()));
    }
}
