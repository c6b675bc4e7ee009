//! Text measurement shared by validation and exports.
//!
//! * Lengths and span offsets are counted in Unicode scalar values (Rust `char`s), never in
//!   bytes or UTF-16 code units: `"naïve 😀"` is 7 long.
//! * Words (caption limits) are the pieces of the text separated by Unicode white space
//!   (`str::split_whitespace`). Scripts written without spaces (Chinese, Japanese, Thai) count
//!   a whole run as one word.
//! * Mention matching ("the caption mentions every named object") compares lower-cased
//!   alphanumeric tokens; see [`mentions`].

/// Number of Unicode scalar values in `s`.
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Number of Unicode scalar values in `s` after trimming surrounding white space.
pub fn trimmed_len(s: &str) -> usize {
    char_len(s.trim())
}

/// The substring between scalar-value offsets `start..end` (half-open), or `None` when the
/// range is reversed or runs past the end of `s`.
pub fn slice_chars(s: &str, start: usize, end: usize) -> Option<&str> {
    if start > end {
        return None;
    }
    let byte_at = |n: usize| -> Option<usize> {
        if n == 0 {
            return Some(0);
        }
        match s.char_indices().nth(n) {
            Some((b, _)) => Some(b),
            None if char_len(s) == n => Some(s.len()),
            None => None,
        }
    };
    let b0 = byte_at(start)?;
    let b1 = byte_at(end)?;
    s.get(b0..b1)
}

/// Number of words: pieces separated by Unicode white space.
pub fn word_count(s: &str) -> usize {
    s.split_whitespace().count()
}

/// Lower-cased alphanumeric tokens of `s` (anything that is not `char::is_alphanumeric`
/// separates tokens): `"The cat's toy."` gives `["the", "cat", "s", "toy"]`.
pub fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(|t| t.to_lowercase())
        .collect()
}

/// Whether `text` mentions `phrase`: the phrase's tokens (see [`tokens`]) occur as a
/// contiguous run of the text's tokens, comparing case-insensitively. The phrase's last token
/// may also appear with an `s` or `es` suffix (`dog` matches `dogs`, `box` matches `boxes`).
/// A phrase without any alphanumeric token is never mentioned.
pub fn mentions(text: &str, phrase: &str) -> bool {
    let hay = tokens(text);
    let needle = tokens(phrase);
    mentions_tokens(&hay, &needle)
}

pub(crate) fn mentions_tokens(hay: &[String], needle: &[String]) -> bool {
    let Some((last, head)) = needle.split_last() else {
        return false;
    };
    if hay.len() < needle.len() {
        return false;
    }
    hay.windows(needle.len()).any(|w| {
        let Some((w_last, w_head)) = w.split_last() else {
            return false;
        };
        w_head == head && plural_eq(w_last, last)
    })
}

fn plural_eq(word: &str, base: &str) -> bool {
    word == base
        || word
            .strip_prefix(base)
            .is_some_and(|rest| rest == "s" || rest == "es")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_scalar_values() {
        assert_eq!(char_len("naïve café 東京 😀"), 15);
        assert_eq!(trimmed_len("  é  "), 1);
    }

    #[test]
    fn slices_by_scalar_offsets() {
        let s = "naïve café 東京 😀!";
        assert_eq!(slice_chars(s, 0, 5), Some("naïve"));
        assert_eq!(slice_chars(s, 11, 13), Some("東京"));
        assert_eq!(slice_chars(s, 14, 15), Some("😀"));
        assert_eq!(slice_chars(s, 14, 16), Some("😀!"));
        assert_eq!(slice_chars(s, 16, 16), Some(""));
        assert_eq!(slice_chars(s, 16, 17), None);
        assert_eq!(slice_chars(s, 3, 2), None);
        assert_eq!(slice_chars("", 0, 0), Some(""));
        assert_eq!(slice_chars("", 0, 1), None);
    }

    #[test]
    fn counts_words_on_unicode_whitespace() {
        assert_eq!(word_count("a  dog\u{3000}runs\u{a0}fast\n"), 4);
        assert_eq!(word_count("   "), 0);
        assert_eq!(word_count("東京タワー"), 1);
    }

    #[test]
    fn mention_matching() {
        assert!(mentions("A Black Dog sleeps.", "black dog"));
        assert!(mentions("Two dogs and three boxes", "dog"));
        assert!(mentions("Two dogs and three boxes", "box"));
        assert!(!mentions("A hotdog stand", "dog"));
        assert!(!mentions("A black cat", "black dog"));
        assert!(mentions("Le café est fermé", "CAFÉ"));
        assert!(mentions("東京 タワー at night", "東京"));
        assert!(!mentions("anything", "  "));
        assert!(!mentions("", "dog"));
    }
}
