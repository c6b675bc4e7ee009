//! Property tests: spans in random Unicode passages, permutations as rankings, preference pair
//! counts, Label Studio round trips, and no panics on arbitrary input.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns unwrap too

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Value, json};
use sift_template::export::{self, PreferenceOptions, from_label_studio, label_studio_result};
use sift_template::text::{char_len, slice_chars};
use sift_template::{
    ClassificationPayload, ImageObject, ImagePayload, MediaInfo, Mode, Payload, QaPair, QaPayload,
    RankingPayload, Relationship, Span, Template, Unsure, VideoEvent, VideoPayload, parse_template, validate,
};

fn inline(kind: &str, extra: &str) -> Template {
    parse_template(
        &format!(
            "name = \"prop\"\nkind = \"{kind}\"\nversion = 1\ntitle = \"Prop\"\ninstructions = \"Do it.\"\nlabel_attribute = \"out\"\n{extra}"
        ),
        "prop",
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn qa_template() -> Template {
    inline(
        "qa",
        "[rules]\nmin_pairs = 1\nmax_pairs = 20\nquestion_min_chars = 1\nanswer_min_chars = 1\n",
    )
}

fn ranking_template(dims: usize, ties: bool) -> Template {
    let mut extra = format!("[rules]\nallow_ties = {ties}\nrationale = \"optional\"\n");
    for d in 0..dims {
        extra.push_str(&format!(
            "[[rules.dimensions]]\nname = \"dim{d}\"\ndescription = \"Dimension {d}.\"\n"
        ));
    }
    inline("ranking", &extra)
}

/// Any string of arbitrary Unicode scalar values (including astral planes and combining marks).
fn passage() -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..80).prop_map(String::from_iter)
}

/// Non-empty, non-overlapping spans inside `0..=len`, from sorted distinct cut points.
fn spans_within(len: usize) -> impl Strategy<Value = Vec<Span>> {
    proptest::collection::btree_set(0..=len, 0..8).prop_map(|cuts| {
        let cuts: Vec<usize> = cuts.into_iter().collect();
        cuts.chunks_exact(2)
            .map(|c| Span {
                start: c[0],
                end: c[1],
            })
            .collect()
    })
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Zé東😀 ]{1,20}".prop_filter("not blank", |s| !s.trim().is_empty())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn valid_spans_in_unicode_passages_validate(
        (passage, spans) in passage().prop_filter("non-empty", |p| !p.is_empty())
            .prop_flat_map(|p| { let n = char_len(&p); (Just(p), spans_within(n)) }),
        question in text(),
        answer in text(),
    ) {
        let t = qa_template();
        let item = json!({"source": passage});
        let entire = spans.is_empty();
        let payload = Payload::Qa(QaPayload { pairs: vec![QaPair {
            question, answer, question_type: String::new(), spans: spans.clone(), entire_passage: entire,
        }] });
        let vs = validate(&t, &item, &payload, &MediaInfo::default(), Mode::Submit);
        prop_assert!(vs.is_empty(), "{:?}", vs);
        for s in &spans {
            let slice = slice_chars(&passage, s.start, s.end);
            prop_assert!(slice.is_some());
            prop_assert_eq!(slice.map(char_len), Some(s.len()));
        }
    }

    #[test]
    fn spans_past_the_end_never_validate(passage in passage(), extra in 1usize..5, start_back in 0usize..3) {
        let t = qa_template();
        let n = char_len(&passage);
        let span = Span { start: n.saturating_sub(start_back), end: n + extra };
        let payload = Payload::Qa(QaPayload { pairs: vec![QaPair { spans: vec![span], ..QaPair::default() }] });
        let vs = validate(&t, &json!({"source": passage}), &payload, &MediaInfo::default(), Mode::Draft);
        prop_assert!(vs.iter().any(|v| v.code == sift_template::Code::SpanOutOfRange), "{:?}", vs);
    }

    #[test]
    fn any_permutation_is_a_valid_ranking_without_ties(
        perms in (2usize..8).prop_flat_map(|n| proptest::collection::vec(Just((1..=n as u32).collect::<Vec<_>>()).prop_shuffle(), 2))
    ) {
        let n = perms[0].len();
        let t = ranking_template(2, false);
        let item = json!({"prompt": "p", "responses": (0..n).map(|i| format!("r{i}")).collect::<Vec<_>>()});
        let mut rankings = BTreeMap::new();
        for (d, perm) in perms.iter().enumerate() {
            rankings.insert(format!("dim{d}"), perm.iter().enumerate().map(|(i, r)| (i.to_string(), *r)).collect());
        }
        let payload = Payload::Ranking(RankingPayload { rankings, ..RankingPayload::default() });
        let vs = validate(&t, &item, &payload, &MediaInfo::default(), Mode::Submit);
        prop_assert!(vs.is_empty(), "{:?}", vs);
    }

    #[test]
    fn a_repeated_rank_is_a_tie_error(perm in (3usize..8).prop_flat_map(|n| Just((1..=n as u32).collect::<Vec<_>>()).prop_shuffle())) {
        let n = perm.len();
        let t = ranking_template(1, false);
        let item = json!({"prompt": "p", "responses": (0..n).map(|i| format!("r{i}")).collect::<Vec<_>>()});
        let mut ranks: BTreeMap<String, u32> = perm.iter().enumerate().map(|(i, r)| (i.to_string(), *r)).collect();
        ranks.insert("0".into(), ranks["1"]);
        let payload = Payload::Ranking(RankingPayload { rankings: BTreeMap::from([("dim0".into(), ranks)]), ..RankingPayload::default() });
        let vs = validate(&t, &item, &payload, &MediaInfo::default(), Mode::Submit);
        prop_assert!(vs.iter().any(|v| v.code == sift_template::Code::TieNotAllowed), "{:?}", vs);
    }

    #[test]
    fn preference_pairs_of_a_total_order(
        perms in (2usize..9).prop_flat_map(|n| proptest::collection::vec(Just((1..=n as u32).collect::<Vec<_>>()).prop_shuffle(), 3))
    ) {
        let n = perms[0].len();
        let t = ranking_template(3, false);
        let item = json!({"prompt": "p", "responses": (0..n).map(|i| format!("text {i}")).collect::<Vec<_>>()});
        let mut rankings = BTreeMap::new();
        for (d, perm) in perms.iter().enumerate() {
            rankings.insert(format!("dim{d}"), perm.iter().enumerate().map(|(i, r)| (i.to_string(), *r)).collect::<BTreeMap<_, _>>());
        }
        let payload = Payload::Ranking(RankingPayload { rankings: rankings.clone(), ..RankingPayload::default() });
        let recs = export::preference(&t, &item, &payload, &PreferenceOptions::default()).unwrap();
        prop_assert_eq!(recs.len(), 3 * n * (n - 1) / 2);
        for d in 0..3 {
            let dim = format!("dim{d}");
            let mine: Vec<&Value> = recs.iter().filter(|r| r["dimension"] == dim.as_str()).collect();
            prop_assert_eq!(mine.len(), n * (n - 1) / 2);
            for r in mine {
                let (c, j) = (r["chosen_id"].as_str().unwrap(), r["rejected_id"].as_str().unwrap());
                prop_assert!(rankings[&dim][c] < rankings[&dim][j]);
                prop_assert_eq!(r["chosen"].as_str().unwrap(), format!("text {c}"));
            }
        }
        // Filtering to one dimension keeps exactly its pairs.
        let one = PreferenceOptions { dimensions: Some(vec!["dim1".into()]), ..PreferenceOptions::default() };
        prop_assert_eq!(export::preference(&t, &item, &payload, &one).unwrap().len(), n * (n - 1) / 2);
    }

    #[test]
    fn preference_with_ties_counts_only_strict_pairs(ranks in proptest::collection::vec(1u32..4, 2..8)) {
        let t = ranking_template(1, true);
        let n = ranks.len();
        let item = json!({"prompt": "p", "responses": (0..n).map(|i| format!("r{i}")).collect::<Vec<_>>()});
        let map: BTreeMap<String, u32> = ranks.iter().enumerate().map(|(i, r)| (i.to_string(), *r)).collect();
        let payload = Payload::Ranking(RankingPayload { rankings: BTreeMap::from([("dim0".into(), map)]), ..RankingPayload::default() });
        let recs = export::preference(&t, &item, &payload, &PreferenceOptions::default()).unwrap();
        let strict = (0..n).flat_map(|i| (0..n).map(move |j| (i, j))).filter(|(i, j)| ranks[*i] < ranks[*j]).count();
        prop_assert_eq!(recs.len(), strict);
    }

    #[test]
    fn label_studio_round_trip_qa(
        (passage, spans) in passage().prop_flat_map(|p| { let n = char_len(&p); (Just(p), spans_within(n)) }),
        questions in proptest::collection::vec((text(), text(), any::<bool>()), 0..4),
    ) {
        let t = inline("qa", "[rules]\nquestion_types = [\"factual\", \"inferential\"]\n");
        let pairs = questions.into_iter().enumerate().map(|(i, (q, a, entire))| QaPair {
            question: q, answer: a,
            question_type: if i % 2 == 0 { "factual".into() } else { String::new() },
            spans: if i == 0 { spans.clone() } else { Vec::new() },
            entire_passage: entire,
        }).collect();
        let payload = Payload::Qa(QaPayload { pairs });
        let item = json!({"source": passage});
        let result = label_studio_result(&t, &item, &payload, &MediaInfo::default()).unwrap();
        let back = from_label_studio(&t, &item, &Value::Array(result), &MediaInfo::default()).unwrap();
        prop_assert_eq!(back, payload);
    }

    #[test]
    fn label_studio_round_trip_ranking(
        ranks in proptest::collection::vec(proptest::collection::vec(1u32..5, 4), 1..3),
        answers in proptest::collection::vec(proptest::option::of(prop_oneof![Just("yes"), Just("no")]), 4),
        rationale in proptest::option::of(text()),
    ) {
        let t = inline("ranking", "[rules]\nallow_ties = true\n[[rules.dimensions]]\nname = \"a\"\ndescription = \"A.\"\n\
            [[rules.dimensions]]\nname = \"b\"\ndescription = \"B.\"\n\
            [[rules.classifications]]\nname = \"err\"\nquestion = \"Error?\"\noptions = [\"yes\", \"no\"]\n");
        let ids = ["x", "y:1", "z z", "0"];
        let item = json!({"prompt": "p", "responses": ids.iter().map(|id| json!({"id": id, "text": id})).collect::<Vec<_>>()});
        let mut p = RankingPayload::default();
        for (d, rs) in ranks.iter().enumerate() {
            p.rankings.insert(["a", "b"][d].into(), ids.iter().zip(rs).map(|(id, r)| ((*id).to_owned(), *r)).collect());
        }
        for (id, ans) in ids.iter().zip(&answers) {
            if let Some(a) = ans {
                p.classifications.insert((*id).to_owned(), BTreeMap::from([("err".to_owned(), (*a).to_owned())]));
            }
        }
        p.rationale = rationale.unwrap_or_default();
        let payload = Payload::Ranking(p);
        let result = label_studio_result(&t, &item, &payload, &MediaInfo::default()).unwrap();
        let back = from_label_studio(&t, &item, &Value::Array(result), &MediaInfo::default()).unwrap();
        prop_assert_eq!(back, payload);
    }

    #[test]
    fn label_studio_round_trip_image(
        (w, h) in (1u32..4000, 1u32..4000),
        points in proptest::collection::vec((0u32..=100_000, 0u32..=100_000, text(), proptest::option::of(text())), 0..6),
    ) {
        let t = inline("image-caption", "[fields]\nwidth = \"w\"\nheight = \"h\"\n");
        let item = json!({"source-ref": "s3://b/i.png", "w": w, "h": h});
        // Coordinates with up to two decimals anywhere in the image.
        let objects: Vec<ImageObject> = points.iter().enumerate().map(|(i, (fx, fy, name, desc))| ImageObject {
            id: format!("o{i}"),
            x: (f64::from(*fx) / 100_000.0 * f64::from(w) * 100.0).round() / 100.0,
            y: (f64::from(*fy) / 100_000.0 * f64::from(h) * 100.0).round() / 100.0,
            name: name.clone(),
            description: desc.clone().unwrap_or_default(),
        }).collect();
        let relationships = if objects.len() >= 2 {
            vec![Relationship { subject: "o0".into(), relation: "near".into(), object: "o1".into() }]
        } else { Vec::new() };
        let payload = Payload::ImageCaption(ImagePayload { objects, relationships, setting: "s".into(), caption: "c".into() });
        let result = label_studio_result(&t, &item, &payload, &MediaInfo::default()).unwrap();
        for r in &result {
            if let Some(x) = r["value"]["x"].as_f64() {
                prop_assert!((0.0..=100.0).contains(&x) && (0.0..=100.0).contains(&r["value"]["y"].as_f64().unwrap()));
            }
        }
        let back = from_label_studio(&t, &item, &Value::Array(result), &MediaInfo::default()).unwrap();
        prop_assert_eq!(back, payload);
    }

    #[test]
    fn label_studio_round_trip_video(
        fps in prop_oneof![Just(24.0), Just(25.0), Just(30.0), Just(60.0)],
        frames in proptest::collection::vec((0u32..10_000, 0u32..500, proptest::option::of(text())), 0..6),
    ) {
        let t = inline("video-caption", "[fields]\nframe_rate = \"fps\"\n");
        let item = json!({"source-ref": "v.mp4", "fps": fps});
        let events = frames.iter().map(|(s, len, d)| VideoEvent {
            start: f64::from(*s) / fps,
            end: f64::from(s + len) / fps,
            description: d.clone().unwrap_or_default(),
        }).collect();
        let payload = Payload::VideoCaption(VideoPayload { events, setting: "s".into(), caption: String::new() });
        let result = label_studio_result(&t, &item, &payload, &MediaInfo::default()).unwrap();
        let back = from_label_studio(&t, &item, &Value::Array(result), &MediaInfo::default()).unwrap();
        prop_assert_eq!(back, payload);
    }

    #[test]
    fn label_studio_round_trip_classification(
        picks in proptest::collection::vec(0usize..5, 0..5),
        unsure in proptest::option::of(text()),
        image in any::<bool>(),
    ) {
        let fields = if image { "image = \"source-ref\"" } else { "text = \"source\"" };
        let t = inline("classification", &format!(
            "[fields]\n{fields}\n[rules]\nmulti_label = true\nallow_unsure = true\n{}",
            ["a b", "c", "Ü", "d:e", "f"].iter().map(|n| format!("[[rules.classes]]\nname = \"{n}\"\n")).collect::<String>()
        ));
        let names = ["a b", "c", "Ü", "d:e", "f"];
        let labels = picks.iter().map(|i| names[*i].to_owned()).collect();
        let payload = Payload::Classification(ClassificationPayload {
            labels,
            unsure: unsure.map(|reason| Unsure { reason }),
        });
        let item = json!({"source": "t", "source-ref": "s3://b/i.png"});
        let result = label_studio_result(&t, &item, &payload, &MediaInfo::default()).unwrap();
        let back = from_label_studio(&t, &item, &Value::Array(result), &MediaInfo::default()).unwrap();
        prop_assert_eq!(back, payload);
    }

    #[test]
    fn arbitrary_classification_json_never_panics(v in arb_json(), item in arb_json()) {
        for fields in ["text = \"source\"", "image = \"source\""] {
            let t = inline("classification", &format!(
                "[fields]\n{fields}\n[rules]\nallow_unsure = true\n[[rules.classes]]\nname = \"d\"\n[[rules.classes]]\nname = \"x\"\n"
            ));
            let _ = sift_template::check(&t, &item, &v, &MediaInfo::default(), Mode::Submit);
            if let Ok(p) = t.parse_payload(&v) {
                let _ = validate(&t, &item, &p, &MediaInfo::default(), Mode::Draft);
                let _ = label_studio_result(&t, &item, &p, &MediaInfo::default());
                let _ = export::classification(&t, &item, &p);
                let _ = export::ground_truth_label(&t, &p);
            }
            let _ = from_label_studio(&t, &item, &v, &MediaInfo::default());
        }
    }

    #[test]
    fn arbitrary_payload_json_never_panics(v in arb_json(), item in arb_json()) {
        for kind in ["qa", "ranking", "image-caption", "video-caption"] {
            let t = inline(kind, if kind == "ranking" { "[[rules.dimensions]]\nname = \"d\"\ndescription = \"D.\"\n" } else { "" });
            let _ = sift_template::check(&t, &item, &v, &MediaInfo::default(), Mode::Submit);
            if let Ok(p) = t.parse_payload(&v) {
                let _ = validate(&t, &item, &p, &MediaInfo { width: Some(10.0), height: Some(10.0), duration: Some(1.0), frame_rate: None }, Mode::Draft);
                let _ = label_studio_result(&t, &item, &p, &MediaInfo::default());
                let _ = export::captions(&t, &item, &p, &MediaInfo::default());
            }
            let _ = from_label_studio(&t, &item, &v, &MediaInfo::default());
        }
    }

    #[test]
    fn arbitrary_template_text_never_panics(s in "(name|kind|rules|\\[|\\]|=|\"|qa|ranking|\\.|dimensions|\\n| |[a-z0-9_-]){0,80}") {
        let _ = parse_template(&s, "fuzz");
    }

    #[test]
    fn slice_chars_agrees_with_char_vectors(s in passage(), a in 0usize..90, b in 0usize..90) {
        let chars: Vec<char> = s.chars().collect();
        let expected = (a <= b && b <= chars.len()).then(|| chars[a..b].iter().collect::<String>());
        prop_assert_eq!(slice_chars(&s, a, b).map(str::to_owned), expected);
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        "[a-z0-9 _:-]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("pairs".to_owned()),
                    Just("spans".to_owned()),
                    Just("start".to_owned()),
                    Just("end".to_owned()),
                    Just("rankings".to_owned()),
                    Just("d".to_owned()),
                    Just("objects".to_owned()),
                    Just("x".to_owned()),
                    Just("events".to_owned()),
                    Just("source".to_owned()),
                    Just("type".to_owned()),
                    Just("value".to_owned()),
                    Just("labels".to_owned()),
                    Just("unsure".to_owned()),
                    Just("reason".to_owned()),
                    "[a-z0-9]{1,3}",
                ],
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
