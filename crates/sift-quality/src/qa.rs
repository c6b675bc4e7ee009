//! Q&A agreement: citation overlap between two annotators of the same passage, matching of
//! their question/answer pairs by what they cite, and question-type agreement on the matches.
//!
//! Spans are half-open character ranges `[start, end)` in Unicode scalar values, the unit of
//! `sift_template::Span`. Overlap is measured in characters, not tokens: it needs no
//! tokenizer, behaves the same in every language and script, and two annotators who select
//! the same clause with or without its final period still score close to 1.

use std::ops::Range;

use serde::Serialize;

use crate::error::{QualityError, Result, Undefined};
use crate::matching::{MatchCounts, Matched, best_matching};
use crate::ratings::Ratings;

/// Character overlap between two annotators' citations of the same passage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpanOverlap {
    /// Characters cited by both.
    pub overlap: usize,
    /// Characters cited by the first annotator (spans merged: a character counts once).
    pub left: usize,
    /// Characters cited by the second annotator.
    pub right: usize,
    /// `overlap / left` (0 when the first cites nothing).
    pub precision: f64,
    /// `overlap / right` (0 when the second cites nothing).
    pub recall: f64,
    /// `2 overlap / (left + right)`.
    pub f1: f64,
}

/// Sorted, disjoint, non-adjacent ranges covering the same characters as `spans`.
fn merged(spans: &[Range<usize>]) -> Result<Vec<Range<usize>>> {
    let mut sorted = Vec::with_capacity(spans.len());
    for (index, span) in spans.iter().enumerate() {
        if span.start > span.end {
            return Err(QualityError::InvalidInput {
                what: "span",
                index,
                problem: format!("ends at {} before it starts at {}", span.end, span.start),
            });
        }
        if span.start < span.end {
            sorted.push(span.clone());
        }
    }
    sorted.sort_by_key(|s| (s.start, s.end));
    let mut out: Vec<Range<usize>> = Vec::with_capacity(sorted.len());
    for span in sorted {
        match out.last_mut() {
            Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
            _ => out.push(span),
        }
    }
    Ok(out)
}

fn covered(spans: &[Range<usize>]) -> usize {
    spans.iter().map(|s| s.end - s.start).sum()
}

/// Character-level precision, recall and F1 between two sets of cited spans (each set is
/// merged first, so overlapping citations of one annotator count once). Undefined when
/// neither cites a character; a span ending before it starts is an error.
pub fn span_overlap(a: &[Range<usize>], b: &[Range<usize>]) -> Result<SpanOverlap> {
    let (a, b) = (merged(a)?, merged(b)?);
    let (left, right) = (covered(&a), covered(&b));
    if left + right == 0 {
        return Err(Undefined::Empty.into());
    }
    let (mut i, mut j, mut overlap) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        let start = a[i].start.max(b[j].start);
        let end = a[i].end.min(b[j].end);
        overlap += end.saturating_sub(start);
        if a[i].end < b[j].end {
            i += 1;
        } else {
            j += 1;
        }
    }
    let share = |n: usize| if n == 0 { 0.0 } else { overlap as f64 / n as f64 };
    Ok(SpanOverlap {
        overlap,
        left,
        right,
        precision: share(left),
        recall: share(right),
        f1: 2.0 * overlap as f64 / (left + right) as f64,
    })
}

/// What the Q&A measures need of one question/answer pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CitedPair<T> {
    /// The pair's question type (`factual`, ...).
    pub question_type: T,
    /// Its cited spans.
    pub spans: Vec<Range<usize>>,
    /// "References entire passage".
    pub entire_passage: bool,
}

/// Two annotators' Q&A work on the same passage, compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QaComparison<T> {
    /// Overlap of everything each cited (the union of the spans of all their pairs).
    pub citations: Result<SpanOverlap, Undefined>,
    /// Pairs matched one to one; `score` is the span F1 of the two pairs (1 for two
    /// entire-passage pairs).
    pub matched: Vec<Matched>,
    /// How many pairs each wrote and how many matched: pair-level F1.
    pub counts: MatchCounts,
    /// The two question types of each matched pair, in the order of `matched`: the input of
    /// [`crate::cohen_kappa_pairs`] (pool them over a batch) or of [`matched_type_ratings`].
    pub types: Vec<(T, T)>,
}

/// Compares two annotators' pairs on the same passage. Two pairs can match when both
/// reference the entire passage (score 1), or when neither does and the character F1 of
/// their spans is at least `min_f1` (in `(0, 1]`; 0.5 is a sensible default). The matching
/// is optimal ([`best_matching`]): most matched pairs, then highest total F1.
pub fn compare_qa<T: Clone>(a: &[CitedPair<T>], b: &[CitedPair<T>], min_f1: f64) -> Result<QaComparison<T>> {
    if !(min_f1 > 0.0 && min_f1 <= 1.0) {
        return Err(QualityError::InvalidParameter {
            what: "min_f1",
            rule: "in (0, 1]",
            value: min_f1,
        });
    }
    let mut table = vec![None; a.len() * b.len()];
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            table[i * b.len() + j] = match (x.entire_passage, y.entire_passage) {
                (true, true) => Some(1.0),
                (false, false) => match span_overlap(&x.spans, &y.spans) {
                    Ok(o) if o.f1 >= min_f1 => Some(o.f1),
                    Ok(_) | Err(QualityError::Undefined(_)) => None,
                    Err(e) => return Err(e),
                },
                _ => None,
            };
        }
    }
    let matched = best_matching(a.len(), b.len(), |i, j| table[i * b.len() + j])?;
    let cited = |pairs: &[CitedPair<T>]| -> Vec<Range<usize>> {
        pairs
            .iter()
            .filter(|p| !p.entire_passage)
            .flat_map(|p| p.spans.iter().cloned())
            .collect()
    };
    let citations = match span_overlap(&cited(a), &cited(b)) {
        Ok(o) => Ok(o),
        Err(QualityError::Undefined(why)) => Err(why),
        Err(e) => return Err(e),
    };
    let types = matched
        .iter()
        .map(|m| (a[m.left].question_type.clone(), b[m.right].question_type.clone()))
        .collect();
    Ok(QaComparison {
        citations,
        counts: MatchCounts {
            matched: matched.len(),
            left: a.len(),
            right: b.len(),
        },
        matched,
        types,
    })
}

/// A ratings matrix with one unit per matched pair: `(coder_a, coder_b, type_a, type_b)`
/// becomes a unit where those two coders (column indices below `coders`) gave those types and
/// everyone else is missing. Krippendorff's alpha over it is question-type agreement across
/// any number of annotators.
pub fn matched_type_ratings<T>(
    coders: usize,
    matches: impl IntoIterator<Item = (usize, usize, T, T)>,
) -> Result<Ratings<T>> {
    let mut rows = Vec::new();
    for (index, (a, b, ta, tb)) in matches.into_iter().enumerate() {
        if a >= coders || b >= coders || a == b {
            return Err(QualityError::InvalidInput {
                what: "match",
                index,
                problem: format!("coders {a} and {b} must differ and be below {coders}"),
            });
        }
        let mut row: Vec<Option<T>> = std::iter::repeat_with(|| None).take(coders).collect();
        row[a] = Some(ta);
        row[b] = Some(tb);
        rows.push(row);
    }
    if rows.is_empty() {
        return Ok(Ratings::new(0, coders));
    }
    Ratings::from_rows(rows)
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)] // citations are lists of ranges; one-span lists are meant
mod tests {
    use super::*;

    #[test]
    fn overlap_merges_each_side_first() {
        // a cites 0..10 twice over (0..6 and 4..10): 10 characters; b cites 5..15.
        let o = span_overlap(&[0..6, 4..10], &[5..15]).unwrap();
        assert_eq!((o.overlap, o.left, o.right), (5, 10, 10));
        assert_eq!(o.f1, 0.5);
        let disjoint = span_overlap(&[0..3], &[3..6]).unwrap();
        assert_eq!(disjoint.f1, 0.0);
        let one_sided = span_overlap(&[], &[3..6]).unwrap();
        assert_eq!(
            (one_sided.precision, one_sided.recall, one_sided.f1),
            (0.0, 0.0, 0.0)
        );
        assert_eq!(
            span_overlap(&[2..2], &[]),
            Err(QualityError::Undefined(Undefined::Empty))
        );
        #[allow(clippy::reversed_empty_ranges)] // a reversed span is the input under test
        let reversed = span_overlap(&[5..2], &[0..1]);
        assert!(matches!(
            reversed,
            Err(QualityError::InvalidInput { index: 0, .. })
        ));
    }

    #[test]
    fn pairs_match_by_citation_and_types_follow() {
        let pair = |t: &'static str, spans: Vec<Range<usize>>, entire: bool| CitedPair {
            question_type: t,
            spans,
            entire_passage: entire,
        };
        let a = [
            pair("factual", vec![0..20], false),
            pair("inferential", vec![40..60, 70..80], false),
            pair("whole-passage", vec![], true),
        ];
        let b = [
            pair("inferential", vec![42..60, 70..80], false),
            pair("factual", vec![100..120], false),
            pair("whole-passage", vec![], true),
            pair("factual", vec![2..20], false),
        ];
        let c = compare_qa(&a, &b, 0.5).unwrap();
        let pairs: Vec<_> = c.matched.iter().map(|m| (m.left, m.right)).collect();
        assert_eq!(pairs, [(0, 3), (1, 0), (2, 2)]);
        assert_eq!(
            c.types,
            [
                ("factual", "factual"),
                ("inferential", "inferential"),
                ("whole-passage", "whole-passage")
            ]
        );
        assert_eq!(c.counts.f1().unwrap(), 6.0 / 7.0);
        let cited = c.citations.unwrap();
        assert_eq!((cited.left, cited.right, cited.overlap), (50, 66, 46));
        assert!(compare_qa(&a, &b, 0.0).is_err());

        let r = matched_type_ratings(
            3,
            [(0, 2, "factual", "factual"), (1, 2, "factual", "inferential")],
        )
        .unwrap();
        assert_eq!((r.units(), r.coders()), (2, 3));
        assert_eq!(r.get(1, 2), Some(&"inferential"));
        assert!(matched_type_ratings(2, [(0, 0, "a", "a")]).is_err());
    }
}
