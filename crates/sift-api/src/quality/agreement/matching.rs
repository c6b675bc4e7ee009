//! Agreement by one-to-one matching, per pair of annotators on the items both did, summed
//! over items (micro F1): Q&A pairs (matched when their citations' character F1 is at least
//! 0.5, or both reference the whole passage), with the overlap of everything cited and the
//! question types of matched pairs (Cohen's kappa); image objects (points within 5 % of the
//! image diagonal, or 32 px where the item gives no size, with the same normalised name);
//! video events (temporal IoU at least 0.5).

use std::collections::BTreeMap;

use sift_quality::{
    CitedPair, Event, Mark, MatchCounts, Names, ObjectMatching, Summary, cohen_kappa_pairs, compare_qa,
    match_events, match_objects,
};
use sift_template::Payload;

use super::{ItemAgreement, ItemContext, Measure, PairFigure, Scope, Work};

/// Least character F1 for two Q&A pairs to match.
pub const QA_MIN_F1: f64 = 0.5;
/// Least temporal IoU for two events to match.
pub const EVENT_MIN_IOU: f64 = 0.5;
/// Object matching radius as a share of the image diagonal.
pub const OBJECT_RADIUS_SHARE: f64 = 0.05;
/// Object matching radius, pixels, where the item gives no image size.
pub const OBJECT_RADIUS_PX: f64 = 32.0;

/// Each item's work, by item, as (annotator, work) in annotator order.
fn by_item<'a, 'w>(work: &'w [Work<'a>]) -> BTreeMap<i64, Vec<&'w Work<'a>>> {
    let mut out: BTreeMap<i64, Vec<&Work<'_>>> = BTreeMap::new();
    for w in work {
        out.entry(w.item).or_default().push(w);
    }
    out
}

/// Per pair and overall match counts, pushed as figures named `what`.
#[derive(Default)]
struct Tally {
    pairs: BTreeMap<(String, String), (MatchCounts, u64)>,
    total: MatchCounts,
    compared: u64,
    /// Per item: the counts over its pairs, and how many annotators took part.
    items: BTreeMap<i64, (MatchCounts, u64)>,
}

impl Tally {
    fn add(&mut self, item: i64, annotators: usize, a: &str, b: &str, counts: MatchCounts) {
        let per_item = self.items.entry(item).or_default();
        per_item.0 += counts;
        per_item.1 = annotators as u64;
        let key = if a <= b { (a, b) } else { (b, a) };
        let e = self
            .pairs
            .entry((key.0.to_owned(), key.1.to_owned()))
            .or_default();
        e.0 += counts;
        e.1 += 1;
        self.total += counts;
        self.compared += 1;
    }

    fn push(self, out: &mut Scope, what: &str) {
        for (item, (counts, annotators)) in &self.items {
            out.per_item.push(ItemAgreement {
                item: *item,
                annotations: *annotators,
                measure: what.to_owned(),
                agreement: counts.f1().ok(),
                tie: false,
            });
        }
        out.measures.push(Measure::of(
            what,
            None,
            self.total.f1().map(|f| (f, self.compared as usize)),
        ));
        for ((a, b), (counts, items)) in self.pairs {
            let f1 = counts.f1();
            out.pairs.push(PairFigure {
                a,
                b,
                measure: what.to_owned(),
                dimension: None,
                value: f1.as_ref().ok().copied(),
                shared_items: items,
                undefined: f1.err().map(|e| e.to_string()),
            });
        }
    }
}

/// Every pair of two annotators' work on the same item, with how many annotated the item.
fn item_pairs<'a, 'w>(items: &BTreeMap<i64, Vec<&'w Work<'a>>>) -> Vec<(&'w Work<'a>, &'w Work<'a>, usize)> {
    let mut out = Vec::new();
    for entries in items.values() {
        for (i, a) in entries.iter().enumerate() {
            for b in &entries[i + 1..] {
                out.push((*a, *b, entries.len()));
            }
        }
    }
    out
}

/// Q&A: pair F1, citation overlap, question types of matched pairs.
pub(super) fn qa(out: &mut Scope, work: &[Work<'_>]) {
    let cited = |w: &Work<'_>| -> Vec<CitedPair<String>> {
        match &w.payload {
            Payload::Qa(p) => p
                .pairs
                .iter()
                .map(|pair| CitedPair {
                    question_type: pair.question_type.clone(),
                    spans: pair.spans.iter().map(|s| s.start..s.end).collect(),
                    entire_passage: pair.entire_passage,
                })
                .collect(),
            _ => Vec::new(),
        }
    };
    let items = by_item(work);
    let mut tally = Tally::default();
    let mut citations = Vec::new();
    let mut types: Vec<(String, String)> = Vec::new();
    for (a, b, n) in item_pairs(&items) {
        let Ok(c) = compare_qa(&cited(a), &cited(b), QA_MIN_F1) else {
            continue;
        };
        tally.add(a.item, n, a.annotator, b.annotator, c.counts);
        citations.push(c.citations.map(|s| s.f1));
        types.extend(c.types);
    }
    tally.push(out, "Q&A pair F1 (citations' character F1 >= 0.5)");
    let s = Summary::of(citations);
    out.measures.push(Measure {
        name: "citation overlap F1 (mean over item pairs)".into(),
        dimension: None,
        value: s.mean,
        units: s.defined as u64,
        undefined: s
            .mean
            .is_none()
            .then(|| "no two annotators cited on the same item".into()),
    });
    out.measures.push(Measure::of(
        "question-type Cohen's kappa (matched pairs)",
        None,
        cohen_kappa_pairs(types.iter().map(|(x, y)| (x, y))).map(|k| (k.value, k.units)),
    ));
}

/// Image captioning: object F1.
pub(super) fn objects(out: &mut Scope, ctx: &ItemContext, work: &[Work<'_>]) {
    let marks = |w: &Work<'_>| -> Vec<(f64, f64, String)> {
        match &w.payload {
            Payload::ImageCaption(p) => p.objects.iter().map(|o| (o.x, o.y, o.name.clone())).collect(),
            _ => Vec::new(),
        }
    };
    let items = by_item(work);
    let mut tally = Tally::default();
    for (a, b, n) in item_pairs(&items) {
        let radius = ctx
            .diagonal
            .get(&a.item)
            .map_or(OBJECT_RADIUS_PX, |d| d * OBJECT_RADIUS_SHARE);
        let (ma, mb) = (marks(a), marks(b));
        let rule = ObjectMatching {
            radius,
            names: Names::Normalized,
        };
        if let Ok(m) = match_objects(&as_marks(&ma), &as_marks(&mb), rule) {
            tally.add(a.item, n, a.annotator, b.annotator, m.counts);
        }
    }
    tally.push(out, "object F1 (within 5% of the diagonal, same name)");
}

fn as_marks(m: &[(f64, f64, String)]) -> Vec<Mark<'_>> {
    m.iter().map(|(x, y, name)| Mark { x: *x, y: *y, name }).collect()
}

/// Video captioning: event F1.
pub(super) fn events(out: &mut Scope, work: &[Work<'_>]) {
    let events = |w: &Work<'_>| -> Vec<Event> {
        match &w.payload {
            Payload::VideoCaption(p) => p
                .events
                .iter()
                .map(|e| Event {
                    start: e.start,
                    end: e.end,
                })
                .collect(),
            _ => Vec::new(),
        }
    };
    let items = by_item(work);
    let mut tally = Tally::default();
    for (a, b, n) in item_pairs(&items) {
        if let Ok(m) = match_events(&events(a), &events(b), EVENT_MIN_IOU) {
            tally.add(a.item, n, a.annotator, b.annotator, m.counts);
        }
    }
    tally.push(out, "event F1 (temporal IoU >= 0.5)");
}
