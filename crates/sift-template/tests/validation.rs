//! Payload parsing and validation for every kind: valid and invalid payloads, draft versus
//! submit, non-ASCII spans, item problems.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns unwrap too

use serde_json::{Value, json};
use sift_template::{Code, MediaInfo, Mode, Payload, Span, Template, Violation, check, validate};

mod support;

use support::{CLASSIFICATION, IMAGE, QA, RANKING, VIDEO, template};

/// A small template of `kind` with extra TOML appended (rules, fields).
fn inline(kind: &str, extra: &str) -> Template {
    template(&format!(
        "name = \"inline\"\nkind = \"{kind}\"\nversion = 1\ntitle = \"Inline\"\ninstructions = \"Do it.\"\nlabel_attribute = \"out\"\n{extra}"
    ))
}

fn run(t: &Template, item: &Value, payload: &Value, media: &MediaInfo, mode: Mode) -> Vec<Violation> {
    let p = t
        .parse_payload(payload)
        .unwrap_or_else(|e| panic!("payload does not parse: {e:?}"));
    validate(t, item, &p, media, mode)
}

fn submit(t: &Template, item: &Value, payload: &Value) -> Vec<Violation> {
    run(t, item, payload, &MediaInfo::default(), Mode::Submit)
}

fn draft(t: &Template, item: &Value, payload: &Value) -> Vec<Violation> {
    run(t, item, payload, &MediaInfo::default(), Mode::Draft)
}

fn codes(vs: &[Violation]) -> Vec<(String, Code)> {
    vs.iter().map(|v| (v.path.clone(), v.code)).collect()
}

#[track_caller]
fn assert_has(vs: &[Violation], path: &str, code: Code) {
    assert!(
        vs.iter().any(|v| v.path == path && v.code == code),
        "expected {path} {code}, got {:#?}",
        codes(vs)
    );
}

#[track_caller]
fn assert_clean(vs: &[Violation]) {
    assert!(vs.is_empty(), "expected no violations, got {vs:#?}");
}

/// Span of the first occurrence of `needle` in `hay`, in Unicode scalar values.
fn span_of(hay: &str, needle: &str) -> Value {
    let b = hay.find(needle).expect("needle in passage");
    let start = hay[..b].chars().count();
    json!({"start": start, "end": start + needle.chars().count()})
}

// ---------------------------------------------------------------------------------------- Q&A

const PASSAGE: &str = "Le café « naïve » de 東京 😀 ouvrit en 1932. The bridge opened in 1932 and closed in 1990 \
                       because of corrosion; engineers said repairs would cost more than a new bridge.";

fn qa_item() -> Value {
    json!({"source": PASSAGE, "id": "p-1"})
}

fn qa_valid() -> Value {
    json!({"pairs": [
        {"question": "In which year did the bridge open?", "answer": "It opened in 1932.",
         "question_type": "factual", "spans": [span_of(PASSAGE, "The bridge opened in 1932")]},
        {"question": "Why was the bridge not repaired?", "answer": "Repairs would have cost more than a new bridge.",
         "question_type": "inferential",
         "spans": [span_of(PASSAGE, "closed in 1990"), span_of(PASSAGE, "repairs would cost more than a new bridge")]},
        {"question": "What is the passage mainly about?", "answer": "The life and closure of a bridge.",
         "question_type": "whole-passage", "entire_passage": true},
    ]})
}

#[test]
fn qa_valid_payload_submits() {
    let t = template(QA);
    assert_clean(&submit(&t, &qa_item(), &qa_valid()));
    assert!(check(&t, &qa_item(), &qa_valid(), &MediaInfo::default(), Mode::Submit).is_ok());
}

#[test]
fn qa_non_ascii_spans_count_scalar_values() {
    let t = template(QA);
    let n = PASSAGE.chars().count();
    // "東京" and "😀" are one scalar value per character.
    let tokyo = span_of(PASSAGE, "東京");
    assert_eq!(
        tokyo["end"].as_u64().unwrap() - tokyo["start"].as_u64().unwrap(),
        2
    );
    let emoji = span_of(PASSAGE, "😀");
    assert_eq!(
        emoji["end"].as_u64().unwrap() - emoji["start"].as_u64().unwrap(),
        1
    );
    let mut p = qa_valid();
    p["pairs"][0]["spans"] = json!([tokyo, emoji, {"start": n - 1, "end": n}]);
    assert_clean(&submit(&t, &qa_item(), &p));
    // One past the end, in scalar values: out of range (byte offsets would be accepted).
    p["pairs"][0]["spans"] = json!([{"start": n - 1, "end": n + 1}]);
    let vs = draft(&t, &qa_item(), &p);
    assert_has(&vs, "pairs[0].spans[0]", Code::SpanOutOfRange);
    assert!(PASSAGE.len() > n + 1, "the passage has multi-byte characters");
}

#[test]
fn qa_zero_length_span_is_a_draft_but_not_a_submission() {
    let t = template(QA);
    let mut p = qa_valid();
    p["pairs"][0]["spans"] = json!([{"start": 5, "end": 5}]);
    assert_clean(&draft(&t, &qa_item(), &p));
    let vs = submit(&t, &qa_item(), &p);
    assert_eq!(codes(&vs), [("pairs[0].spans[0]".to_owned(), Code::EmptySpan)]);
}

#[test]
fn qa_overlapping_spans() {
    let t = template(QA);
    let mut p = qa_valid();
    // Within one pair: rejected on submit.
    p["pairs"][1]["spans"] =
        json!([{"start": 10, "end": 20}, {"start": 30, "end": 40}, {"start": 15, "end": 25}]);
    let vs = submit(&t, &qa_item(), &p);
    assert_eq!(
        codes(&vs),
        [("pairs[1].spans[2]".to_owned(), Code::OverlappingSpans)]
    );
    assert!(vs[0].message.contains("spans[0]"), "{}", vs[0].message);
    // Touching spans do not overlap.
    p["pairs"][1]["spans"] = json!([{"start": 10, "end": 20}, {"start": 20, "end": 25}]);
    assert_clean(&submit(&t, &qa_item(), &p));
    // Across pairs: allowed.
    let mut p = qa_valid();
    p["pairs"][1]["spans"] = p["pairs"][0]["spans"].clone();
    assert_clean(&submit(&t, &qa_item(), &p));
}

#[test]
fn qa_reversed_span_is_an_error_even_in_drafts() {
    let t = template(QA);
    let mut p = qa_valid();
    p["pairs"][0]["spans"] = json!([{"start": 9, "end": 3}]);
    assert_has(
        &draft(&t, &qa_item(), &p),
        "pairs[0].spans[0]",
        Code::SpanReversed,
    );
}

#[test]
fn qa_reports_every_violation() {
    let t = template(QA);
    let p = json!({"pairs": [
        {"question": "Why?", "answer": "", "question_type": "opinion", "spans": []},
        {"question": "  why? ", "answer": "x", "question_type": "", "spans": [{"start": 0, "end": 9999}]},
    ]});
    let vs = submit(&t, &qa_item(), &p);
    let expected = [
        ("pairs", Code::TooFew),
        ("pairs", Code::MissingQuestionType),
        ("pairs[0].question", Code::TooShort),
        ("pairs[0].answer", Code::Required),
        ("pairs[0].question_type", Code::UnknownQuestionType),
        ("pairs[0].spans", Code::MissingSpans),
        ("pairs[1].question", Code::TooShort),
        ("pairs[1].question", Code::DuplicateQuestion),
        ("pairs[1].answer", Code::TooShort),
        ("pairs[1].question_type", Code::Required),
        ("pairs[1].spans[0]", Code::SpanOutOfRange),
    ];
    for (path, code) in expected {
        assert_has(&vs, path, code);
    }
    // Both required types are missing: one violation each.
    assert_eq!(
        vs.iter().filter(|v| v.code == Code::MissingQuestionType).count(),
        2
    );
    assert_eq!(vs.len(), expected.len() + 1, "{:#?}", codes(&vs));
}

#[test]
fn qa_counts_and_lengths() {
    let t = template(QA);
    let pair = json!({"question": "What opened in 1932?", "answer": "The bridge.", "question_type": "factual",
                      "spans": [{"start": 0, "end": 3}]});
    let many = json!({"pairs": vec![pair.clone(); 7]});
    let vs = submit(&t, &qa_item(), &many);
    assert_has(&vs, "pairs", Code::TooMany);
    let mut p = qa_valid();
    p["pairs"][0]["answer"] = json!("é".repeat(801));
    assert_has(&submit(&t, &qa_item(), &p), "pairs[0].answer", Code::TooLong);
    p["pairs"][0]["answer"] = json!("é".repeat(800));
    assert_clean(&submit(&t, &qa_item(), &p));
    p["pairs"][0]["spans"] = json!([]);
    assert_has(&submit(&t, &qa_item(), &p), "pairs[0].spans", Code::MissingSpans);
    let spans: Vec<Value> = (0..6)
        .map(|i| json!({"start": i * 2, "end": i * 2 + 1}))
        .collect();
    p["pairs"][0]["spans"] = json!(spans);
    assert_has(&submit(&t, &qa_item(), &p), "pairs[0].spans", Code::TooMany);
}

#[test]
fn qa_draft_allows_incomplete_work() {
    let t = template(QA);
    assert_clean(&draft(&t, &qa_item(), &json!({})));
    let p = json!({"pairs": [{"question": "Half writ"}]});
    assert_clean(&draft(&t, &qa_item(), &p));
    assert!(!submit(&t, &qa_item(), &p).is_empty());
}

#[test]
fn qa_entire_passage_and_question_type_rules() {
    let t = inline("qa", "[rules]\nmin_pairs = 1\nallow_entire_passage = false\n");
    let p = json!({"pairs": [{"question": "What is it about?", "answer": "A bridge.", "entire_passage": true,
                              "question_type": "factual"}]});
    let vs = submit(&t, &qa_item(), &p);
    assert_has(&vs, "pairs[0].entire_passage", Code::EntirePassageNotAllowed);
    assert_has(&vs, "pairs[0].spans", Code::MissingSpans);
    // This template has no question types, so any type is unknown.
    assert_has(&vs, "pairs[0].question_type", Code::UnknownQuestionType);
}

#[test]
fn qa_item_problems_are_reported_not_panics() {
    let t = template(QA);
    let vs = submit(&t, &json!({"text": PASSAGE}), &qa_valid());
    assert_has(&vs, "item.source", Code::ItemFieldMissing);
    let vs = submit(&t, &json!({"source": 42}), &qa_valid());
    assert_has(&vs, "item.source", Code::ItemFieldInvalid);
    let vs = submit(&t, &json!(["not", "an", "object"]), &qa_valid());
    assert_has(&vs, "item", Code::ItemFieldInvalid);
    // Without a passage the spans cannot be range-checked, but everything else still is.
    assert_eq!(vs.len(), 1, "{vs:#?}");
}

// ------------------------------------------------------------------------------------ payloads

#[test]
fn payload_shape_errors_have_paths() {
    let t = template(QA);
    let errs = t
        .parse_payload(&json!({"pairs": [
            {"question": "ok", "answer": "ok"},
            {"question": 3},
            {"question": "x", "spans": [{"start": -1, "end": 2}]},
            {"questoin": "typo"},
        ], "notes": "extra"}))
        .unwrap_err();
    let paths: Vec<&str> = errs.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(paths, ["notes", "pairs[1]", "pairs[2]", "pairs[3]"]);
    assert!(errs.iter().all(|v| v.code == Code::InvalidPayload));
    assert!(errs[3].message.contains("questoin"), "{}", errs[3].message);
    assert!(t.parse_payload(&json!("nope")).is_err());
    assert!(t.parse_payload(&json!({"pairs": {}})).is_err());
}

#[test]
fn payload_kind_mismatch_is_a_violation() {
    let qa = template(QA);
    let payload = Payload::empty(sift_template::Kind::Ranking);
    let vs = validate(&qa, &qa_item(), &payload, &MediaInfo::default(), Mode::Draft);
    assert_eq!(codes(&vs), [(String::new(), Code::KindMismatch)]);
}

#[test]
fn payload_serializes_as_plain_object() {
    let t = template(QA);
    let p = t.parse_payload(&qa_valid()).unwrap();
    let back = p.to_json();
    assert_eq!(t.parse_payload(&back).unwrap(), p);
    assert!(back.get("pairs").is_some());
    assert_eq!(Span { start: 1, end: 3 }.len(), 2);
}

// ------------------------------------------------------------------------------------ ranking

fn ranking_item() -> Value {
    json!({"prompt": "Explain why the sky is blue.", "responses": ["Rayleigh scattering...", "Because it reflects the sea.", "Blue light scatters more."]})
}

fn ranking_valid() -> Value {
    json!({
        "rankings": {
            "clarity": {"0": 2, "1": 3, "2": 1},
            "accuracy": {"0": 1, "1": 3, "2": 2},
            "harmlessness": {"0": 1, "1": 2, "2": 3},
        },
        "classifications": {
            "0": {"factual_error": "no"}, "1": {"factual_error": "yes"}, "2": {"factual_error": "no"},
        },
        "rationale": "Response 1 (id 0) is correct and complete; id 1 repeats a myth.",
    })
}

#[test]
fn ranking_valid_payload_submits() {
    let t = template(RANKING);
    assert_clean(&submit(&t, &ranking_item(), &ranking_valid()));
}

#[test]
fn ranking_with_a_missing_response() {
    let t = template(RANKING);
    let mut p = ranking_valid();
    p["rankings"]["clarity"] = json!({"0": 1, "2": 2});
    let vs = submit(&t, &ranking_item(), &p);
    assert_eq!(
        codes(&vs),
        [("rankings.clarity.1".to_owned(), Code::MissingResponse)]
    );
    assert_clean(&draft(&t, &ranking_item(), &p));
}

#[test]
fn ranking_duplicate_ranks_without_ties() {
    let t = template(RANKING);
    let mut p = ranking_valid();
    p["rankings"]["accuracy"] = json!({"0": 1, "1": 1, "2": 2});
    let vs = submit(&t, &ranking_item(), &p);
    assert_has(&vs, "rankings.accuracy", Code::TieNotAllowed);
    assert_eq!(vs.len(), 1, "{vs:#?}");
    assert!(
        vs[0].message.contains("`0`, `1` share rank 1"),
        "{}",
        vs[0].message
    );
}

#[test]
fn ranking_ties_share_a_rank_and_ranks_are_dense() {
    let t = inline(
        "ranking",
        "[rules]\nallow_ties = true\nrationale = \"off\"\n[[rules.dimensions]]\nname = \"quality\"\ndescription = \"Overall.\"\n",
    );
    let ok = json!({"rankings": {"quality": {"0": 1, "1": 1, "2": 2}}});
    assert_clean(&submit(&t, &ranking_item(), &ok));
    let all_tied = json!({"rankings": {"quality": {"0": 1, "1": 1, "2": 1}}});
    assert_clean(&submit(&t, &ranking_item(), &all_tied));
    let gap = json!({"rankings": {"quality": {"0": 1, "1": 1, "2": 3}}});
    assert_eq!(
        codes(&submit(&t, &ranking_item(), &gap)),
        [("rankings.quality".to_owned(), Code::RankGap)]
    );
    let with_rationale = json!({"rankings": {"quality": {"0": 1, "1": 2, "2": 3}}, "rationale": "because"});
    assert_eq!(
        codes(&submit(&t, &ranking_item(), &with_rationale)),
        [("rationale".to_owned(), Code::RationaleNotAllowed)]
    );
}

#[test]
fn ranking_structural_errors_in_drafts() {
    let t = template(RANKING);
    let p = json!({
        "rankings": {"clarity": {"0": 0, "7": 1, "1": 4}, "verbosity": {"0": 1}},
        "classifications": {"0": {"factual_error": "maybe", "tone": "nice"}, "9": {"factual_error": "no"}},
    });
    let vs = draft(&t, &ranking_item(), &p);
    assert_has(&vs, "rankings.clarity.0", Code::RankOutOfRange);
    assert_has(&vs, "rankings.clarity.1", Code::RankOutOfRange);
    assert_has(&vs, "rankings.clarity.7", Code::UnknownResponse);
    assert_has(&vs, "rankings.verbosity", Code::UnknownDimension);
    assert_has(&vs, "classifications.0.factual_error", Code::InvalidOption);
    assert_has(&vs, "classifications.0.tone", Code::UnknownClassification);
    assert_has(&vs, "classifications.9", Code::UnknownResponse);
    assert_eq!(vs.len(), 7, "{:#?}", codes(&vs));
}

#[test]
fn ranking_submit_requires_everything() {
    let t = template(RANKING);
    let p = json!({"rankings": {"clarity": {"0": 1, "1": 2, "2": 3}}, "classifications": {"0": {"factual_error": "no"}}});
    let vs = submit(&t, &ranking_item(), &p);
    assert_has(&vs, "rankings.accuracy", Code::MissingDimension);
    assert_has(&vs, "rankings.harmlessness", Code::MissingDimension);
    assert_has(
        &vs,
        "classifications.1.factual_error",
        Code::MissingClassification,
    );
    assert_has(
        &vs,
        "classifications.2.factual_error",
        Code::MissingClassification,
    );
    assert_has(&vs, "rationale", Code::Required);
    assert_eq!(vs.len(), 5, "{:#?}", codes(&vs));
}

#[test]
fn ranking_items_with_object_responses() {
    let t = template(RANKING);
    let item = json!({"prompt": "Hi", "responses": [
        {"id": "model-a", "text": "Hello!", "model": "a"},
        {"id": 7, "text": "Hey."},
    ]});
    let rs = t.responses(&item).unwrap();
    assert_eq!(
        rs.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["model-a", "7"]
    );
    let p = json!({
        "rankings": {"clarity": {"model-a": 1, "7": 2}, "accuracy": {"model-a": 2, "7": 1}, "harmlessness": {"7": 1, "model-a": 2}},
        "classifications": {"model-a": {"factual_error": "no"}, "7": {"factual_error": "unsure"}},
        "rationale": "Both fine.",
    });
    assert_clean(&submit(&t, &item, &p));

    let bad = json!({"prompt": "Hi", "responses": [{"id": "a", "text": "x"}, {"id": "a", "text": "y"}, {"text": "z"}, 5]});
    let vs = submit(&t, &bad, &json!({}));
    assert_has(&vs, "item.responses[1]", Code::ItemFieldInvalid);
    assert_has(&vs, "item.responses[2].id", Code::ItemFieldMissing);
    assert_has(&vs, "item.responses[3]", Code::ItemFieldInvalid);
    let one = json!({"prompt": "Hi", "responses": ["only one"]});
    assert_has(&submit(&t, &one, &json!({})), "item.responses", Code::TooFew);
    let no_prompt = json!({"responses": ["a", "b"]});
    assert_has(
        &draft(&t, &no_prompt, &json!({})),
        "item.prompt",
        Code::ItemFieldMissing,
    );
}

// ------------------------------------------------------------------------------------ image

fn image_item() -> Value {
    json!({"source-ref": "s3://bucket/pets/cat-and-dog.jpg", "width": 640, "height": 480})
}

fn image_valid() -> Value {
    json!({
        "objects": [
            {"id": "o1", "x": 120.5, "y": 300, "name": "cat", "description": "A grey tabby cat curled up asleep."},
            {"id": "o2", "x": 410, "y": 280.25, "name": "golden retriever", "description": "A large dog lying on its side."},
        ],
        "relationships": [{"subject": "o1", "relation": "is lying next to", "object": "o2"}],
        "setting": "A sunny living room with a wooden floor.",
        "caption": "A small grey cat sleeps curled up next to a large golden retriever on the wooden floor of a sunny living room.",
    })
}

#[test]
fn image_valid_payload_submits() {
    let t = template(IMAGE);
    assert_clean(&submit(&t, &image_item(), &image_valid()));
}

#[test]
fn image_points_outside_the_image() {
    let t = template(IMAGE);
    let mut p = image_valid();
    p["objects"][0]["x"] = json!(641);
    p["objects"][1]["y"] = json!(-0.5);
    let vs = draft(&t, &image_item(), &p);
    assert_eq!(
        codes(&vs),
        [
            ("objects[0]".to_owned(), Code::PointOutsideImage),
            ("objects[1]".to_owned(), Code::PointOutsideImage)
        ]
    );
    assert!(vs[0].message.contains("640×480"), "{}", vs[0].message);
    // The edges belong to the image.
    p["objects"][0]["x"] = json!(640);
    p["objects"][1]["y"] = json!(480);
    assert_clean(&submit(&t, &image_item(), &p));
    // Known media size wins over the manifest's.
    p["objects"][0]["x"] = json!(900);
    let media = MediaInfo {
        width: Some(1000.0),
        height: Some(500.0),
        ..MediaInfo::default()
    };
    assert_clean(&run(&t, &image_item(), &p, &media, Mode::Submit));
    assert!(!submit(&t, &image_item(), &p).is_empty());
}

#[test]
fn image_size_fields_are_checked() {
    let t = template(IMAGE);
    let item = json!({"source-ref": "s3://b/x.jpg", "height": "tall"});
    let vs = draft(&t, &item, &image_valid());
    assert_has(&vs, "item.width", Code::ItemFieldMissing);
    assert_has(&vs, "item.height", Code::ItemFieldInvalid);
    let vs = draft(&t, &json!({"width": 640, "height": 480}), &image_valid());
    assert_has(&vs, "item.source-ref", Code::ItemFieldMissing);
}

#[test]
fn image_caption_must_mention_every_object() {
    let t = template(IMAGE);
    let mut p = image_valid();
    p["caption"] = json!(
        "A small grey cat sleeps curled up next to a large dog on the wooden floor of a sunny living room today."
    );
    let vs = submit(&t, &image_item(), &p);
    assert_eq!(codes(&vs), [("caption".to_owned(), Code::ObjectNotMentioned)]);
    assert!(vs[0].message.contains("golden retriever"), "{}", vs[0].message);
    // Case and plural do not matter.
    p["caption"] = json!(
        "Two CATS sleep curled up next to a large Golden Retrievers on the wooden floor of a sunny living room."
    );
    assert_clean(&submit(&t, &image_item(), &p));
}

#[test]
fn image_caption_word_limits() {
    let t = template(IMAGE);
    let mut p = image_valid();
    p["caption"] = json!("A cat and a golden retriever.");
    assert_eq!(
        codes(&submit(&t, &image_item(), &p)),
        [("caption".to_owned(), Code::TooFewWords)]
    );
    let long = format!("A cat next to a golden retriever {}", "word ".repeat(80));
    p["caption"] = json!(long);
    assert_eq!(
        codes(&submit(&t, &image_item(), &p)),
        [("caption".to_owned(), Code::TooManyWords)]
    );
    p["caption"] = json!("");
    assert_has(&submit(&t, &image_item(), &p), "caption", Code::Required);
    // Exactly 15 words, separated by assorted Unicode white space.
    p["caption"] = json!(
        "one\u{3000}two\u{a0}cat golden retriever six seven\teight nine ten\neleven twelve thirteen fourteen fifteen"
    );
    assert_clean(&submit(&t, &image_item(), &p));
}

#[test]
fn image_objects_and_relationships() {
    let t = template(IMAGE);
    let mut p = image_valid();
    p["objects"][1]["id"] = json!("o1");
    p["objects"][0]["description"] = json!("");
    p["relationships"] = json!([
        {"subject": "o1", "relation": "chases", "object": "o9"},
        {"subject": "o1", "relation": "looks at", "object": "o1"},
        {"subject": "", "relation": "", "object": "o1"},
    ]);
    p["setting"] = json!(" ");
    let vs = submit(&t, &image_item(), &p);
    assert_has(&vs, "objects[1].id", Code::DuplicateId);
    assert_has(&vs, "objects[0].description", Code::Required);
    assert_has(&vs, "relationships[0].object", Code::UnknownObject);
    assert_has(&vs, "relationships[1]", Code::SelfRelationship);
    assert_has(&vs, "relationships[2].subject", Code::Required);
    assert_has(&vs, "relationships[2].relation", Code::Required);
    assert_has(&vs, "setting", Code::Required);
    let too_few = json!({"objects": [image_valid()["objects"][0].clone()], "relationships": []});
    let vs = submit(&t, &image_item(), &too_few);
    assert_has(&vs, "objects", Code::TooFew);
    assert_has(&vs, "relationships", Code::TooFew);
    // A point needs coordinates.
    assert!(
        t.parse_payload(&json!({"objects": [{"id": "a", "name": "cat"}]}))
            .is_err()
    );
}

// ------------------------------------------------------------------------------------ video

fn video_item() -> Value {
    json!({"source-ref": "s3://bucket/clips/kitchen.mp4", "duration": 12.5, "fps": 25})
}

fn video_valid() -> Value {
    json!({
        "events": [
            {"start": 0.0, "end": 4.2, "description": "A man lifts the lid of a pot and stirs the soup."},
            {"start": 3.0, "end": 3.0, "description": "A door slams off screen."},
            {"start": 4.2, "end": 12.5, "description": "He tastes the soup and adds salt."},
        ],
        "setting": "A small home kitchen in the evening.",
        "caption": "In a small kitchen in the evening, a man lifts the lid of a pot, stirs the soup, hears a door slam, tastes the soup and adds salt.",
    })
}

#[test]
fn video_valid_payload_submits() {
    let t = template(VIDEO);
    assert_clean(&submit(&t, &video_item(), &video_valid()));
}

#[test]
fn video_event_times() {
    let t = template(VIDEO);
    let mut p = video_valid();
    p["events"][0] = json!({"start": 5.0, "end": 4.0, "description": "Backwards."});
    p["events"][1] = json!({"start": 10.0, "end": 13.0, "description": "Too long."});
    p["events"][2] = json!({"start": -1.0, "end": 2.0, "description": "Negative."});
    let vs = draft(&t, &video_item(), &p);
    assert_eq!(
        codes(&vs),
        [
            ("events[0]".to_owned(), Code::EndBeforeStart),
            ("events[1].end".to_owned(), Code::BeyondDuration),
            ("events[2].start".to_owned(), Code::InvalidTime),
        ]
    );
    // One millisecond of slack for player rounding.
    p["events"] = json!([{"start": 12.0, "end": 12.5005, "description": "The end."}]);
    assert_clean(&submit(&t, &video_item(), &p));
    // Without a known duration only the order is checked.
    let item = json!({"source-ref": "s3://b/v.mp4"});
    let t2 = inline(
        "video-caption",
        "[rules]\nrequire_setting = false\ncaption_min_words = 1\n",
    );
    let p2 = json!({"events": [{"start": 100.0, "end": 200.0, "description": "Late."}], "caption": "Late."});
    assert_clean(&submit(&t2, &item, &p2));
    let media = MediaInfo {
        duration: Some(150.0),
        ..MediaInfo::default()
    };
    assert_has(
        &run(&t2, &item, &p2, &media, Mode::Submit),
        "events[0].end",
        Code::BeyondDuration,
    );
}

#[test]
fn video_overlap_rule_and_caption_limits() {
    let t = inline(
        "video-caption",
        "[rules]\nallow_overlapping_events = false\ncaption_min_words = 3\ncaption_max_words = 5\nmax_events = 2\n",
    );
    let p = json!({
        "events": [
            {"start": 0.0, "end": 10.0, "description": "Long."},
            {"start": 2.0, "end": 3.0, "description": "Inside."},
            {"start": 5.0, "end": 6.0, "description": "Also inside."},
        ],
        "setting": "Somewhere.",
        "caption": "one two three four five six",
    });
    let vs = submit(&t, &json!({"source-ref": "v.mp4"}), &p);
    assert_has(&vs, "events", Code::TooMany);
    assert_has(&vs, "events[1]", Code::OverlappingEvents);
    assert_has(&vs, "events[2]", Code::OverlappingEvents);
    assert_has(&vs, "caption", Code::TooManyWords);
    assert_eq!(vs.len(), 4, "{:#?}", codes(&vs));
}

#[test]
fn video_submit_requires_descriptions_and_setting() {
    let t = template(VIDEO);
    let p = json!({"events": [{"start": 1.0, "end": 2.0}], "caption": "short"});
    let vs = submit(&t, &video_item(), &p);
    assert_has(&vs, "events[0].description", Code::Required);
    assert_has(&vs, "setting", Code::Required);
    assert_has(&vs, "caption", Code::TooFewWords);
    assert_clean(&draft(&t, &video_item(), &p));
}

// ------------------------------------------------------------------------------ classification

fn message_item() -> Value {
    json!({"source": "I was charged twice for my subscription this month.", "id": "m-1"})
}

fn multi_label() -> Template {
    inline(
        "classification",
        "[fields]\nimage = \"source-ref\"\n[rules]\nmulti_label = true\nmin_labels = 2\nmax_labels = 3\n\
         [[rules.classes]]\nname = \"cat\"\n[[rules.classes]]\nname = \"dog\"\n\
         [[rules.classes]]\nname = \"bird\"\n[[rules.classes]]\nname = \"fish\"\n",
    )
}

#[test]
fn classification_valid_payloads_submit() {
    let t = template(CLASSIFICATION);
    assert_clean(&submit(&t, &message_item(), &json!({"labels": ["billing"]})));
    assert_clean(&submit(
        &t,
        &message_item(),
        &json!({"labels": ["billing"], "unsure": {"reason": "could also be an account problem"}}),
    ));
    assert_clean(&draft(&t, &message_item(), &json!({})));
    let m = multi_label();
    let item = json!({"source-ref": "s3://b/pets/1.jpg"});
    assert_clean(&submit(&m, &item, &json!({"labels": ["dog", "cat"]})));
    assert_clean(&submit(&m, &item, &json!({"labels": ["dog", "cat", "fish"]})));
}

#[test]
fn classification_labels_must_be_known_classes_chosen_once() {
    let t = template(CLASSIFICATION);
    let p = json!({"labels": ["billing", "Billing", "billing", "refund"]});
    for vs in [draft(&t, &message_item(), &p), submit(&t, &message_item(), &p)] {
        assert_has(&vs, "labels[1]", Code::UnknownClass);
        assert_has(&vs, "labels[2]", Code::DuplicateLabel);
        assert_has(&vs, "labels[3]", Code::UnknownClass);
    }
    let vs = draft(&t, &message_item(), &p);
    assert_eq!(vs.len(), 3, "{:#?}", codes(&vs));
    assert!(
        vs[0]
            .message
            .contains("(billing, technical, account, feature-request, other)"),
        "{}",
        vs[0]
    );
    assert!(vs[1].message.contains("labels[0]"), "{}", vs[1]);
}

#[test]
fn classification_single_label_needs_exactly_one_class() {
    let t = template(CLASSIFICATION);
    let none = submit(&t, &message_item(), &json!({"labels": []}));
    assert_eq!(codes(&none), [("labels".to_owned(), Code::Required)]);
    let two = submit(&t, &message_item(), &json!({"labels": ["billing", "account"]}));
    assert_eq!(codes(&two), [("labels".to_owned(), Code::TooMany)]);
    assert!(two[0].message.contains("single-label"), "{}", two[0]);
    assert_clean(&draft(
        &t,
        &message_item(),
        &json!({"labels": ["billing", "account"]}),
    ));
}

#[test]
fn classification_multi_label_counts() {
    let t = multi_label();
    let item = json!({"source-ref": "s3://b/pets/1.jpg"});
    let few = submit(&t, &item, &json!({"labels": ["dog"]}));
    assert_eq!(codes(&few), [("labels".to_owned(), Code::TooFew)]);
    assert!(
        few[0].message.contains("at least 2 classes, found 1"),
        "{}",
        few[0]
    );
    let many = submit(&t, &item, &json!({"labels": ["dog", "cat", "fish", "bird"]}));
    assert_eq!(codes(&many), [("labels".to_owned(), Code::TooMany)]);
}

#[test]
fn classification_unsure_mark() {
    let t = template(CLASSIFICATION);
    let no_reason = json!({"labels": ["billing"], "unsure": {}});
    assert_eq!(
        codes(&submit(&t, &message_item(), &no_reason)),
        [("unsure.reason".to_owned(), Code::Required)]
    );
    assert_clean(&draft(&t, &message_item(), &no_reason));
    let long = json!({"labels": ["billing"], "unsure": {"reason": "x".repeat(301)}});
    assert_eq!(
        codes(&submit(&t, &message_item(), &long)),
        [("unsure.reason".to_owned(), Code::TooLong)]
    );
    let optional = inline(
        "classification",
        "[fields]\ntext = \"source\"\n[rules]\nallow_unsure = true\nunsure_reason = \"optional\"\n\
         [[rules.classes]]\nname = \"a\"\n[[rules.classes]]\nname = \"b\"\n",
    );
    assert_clean(&submit(
        &optional,
        &message_item(),
        &json!({"labels": ["a"], "unsure": {}}),
    ));
    // A template without `allow_unsure` refuses the mark on submit (drafts keep it).
    let strict = inline(
        "classification",
        "[fields]\ntext = \"source\"\n[[rules.classes]]\nname = \"a\"\n[[rules.classes]]\nname = \"b\"\n",
    );
    let marked = json!({"labels": ["a"], "unsure": {"reason": "hmm"}});
    assert_eq!(
        codes(&submit(&strict, &message_item(), &marked)),
        [("unsure".to_owned(), Code::UnsureNotAllowed)]
    );
    assert_clean(&draft(&strict, &message_item(), &marked));
}

#[test]
fn classification_item_problems() {
    let t = template(CLASSIFICATION);
    let p = json!({"labels": ["billing"]});
    assert_eq!(
        codes(&submit(&t, &json!({"text": "wrong key"}), &p)),
        [("item.source".to_owned(), Code::ItemFieldMissing)]
    );
    assert_eq!(
        codes(&draft(&t, &json!({"source": 42}), &p)),
        [("item.source".to_owned(), Code::ItemFieldInvalid)]
    );
    let m = multi_label();
    assert_eq!(
        codes(&submit(
            &m,
            &json!({"source": "text"}),
            &json!({"labels": ["dog", "cat"]})
        )),
        [("item.source-ref".to_owned(), Code::ItemFieldMissing)]
    );
}

#[test]
fn classification_payload_shapes() {
    let t = template(CLASSIFICATION);
    for (bad, path) in [
        (json!({"labels": "billing"}), "labels"),
        (json!({"labels": ["billing", 3]}), "labels[1]"),
        (json!({"unsure": true}), "unsure"),
        (json!({"unsure": {"why": "x"}}), "unsure"),
        (json!({"label": ["billing"]}), "label"),
    ] {
        let errs = t.parse_payload(&bad).unwrap_err();
        assert!(
            errs.iter()
                .any(|v| v.path == path && v.code == Code::InvalidPayload),
            "{bad}: {errs:#?}"
        );
    }
    let sure = t
        .parse_payload(&json!({"labels": ["billing"], "unsure": null}))
        .unwrap();
    assert_eq!(sure.to_json(), json!({"labels": ["billing"]}));
    let unsure = t
        .parse_payload(&json!({"labels": ["billing"], "unsure": {"reason": "r"}}))
        .unwrap();
    assert_eq!(
        unsure.to_json(),
        json!({"labels": ["billing"], "unsure": {"reason": "r"}})
    );
    assert_eq!(
        Payload::empty(sift_template::Kind::Classification).to_json(),
        json!({"labels": []})
    );
    let qa = template(QA).parse_payload(&json!({"pairs": []})).unwrap();
    assert_eq!(
        codes(&validate(
            &t,
            &message_item(),
            &qa,
            &MediaInfo::default(),
            Mode::Draft
        )),
        [(String::new(), Code::KindMismatch)]
    );
    assert_eq!(
        serde_json::to_value(Code::UnknownClass).unwrap(),
        json!("unknown_class")
    );
    assert_eq!(Code::UnsureNotAllowed.as_str(), "unsure_not_allowed");
}

#[test]
fn violations_render_and_serialize() {
    let v = Violation::new("pairs[0].answer", Code::Required, "the answer is required");
    assert_eq!(
        v.to_string(),
        "pairs[0].answer: the answer is required [required]"
    );
    let j = serde_json::to_value(&v).unwrap();
    assert_eq!(
        j,
        json!({"path": "pairs[0].answer", "code": "required", "message": "the answer is required"})
    );
    for c in [
        Code::TieNotAllowed,
        Code::PointOutsideImage,
        Code::EndBeforeStart,
        Code::ItemFieldMissing,
    ] {
        assert_eq!(serde_json::to_value(c).unwrap(), json!(c.as_str()));
    }
}

#[test]
fn api_types_deserialize() {
    let m: Mode = serde_json::from_value(json!("submit")).unwrap();
    assert_eq!(m, Mode::Submit);
    let info: MediaInfo = serde_json::from_value(json!({"width": 640, "height": 480})).unwrap();
    assert_eq!(info.width, Some(640.0));
    assert!(serde_json::from_value::<MediaInfo>(json!({"widht": 1})).is_err());
    let v: Violation =
        serde_json::from_value(json!({"path": "caption", "code": "too_few_words", "message": "m"})).unwrap();
    assert_eq!(v.code, Code::TooFewWords);
    let k: sift_template::Kind = "image-caption".parse().unwrap();
    assert_eq!(serde_json::to_value(k).unwrap(), json!("image-caption"));
    assert!("image".parse::<sift_template::Kind>().is_err());
    // Nonsense media facts from the caller count as unknown rather than breaking checks.
    let t = template(IMAGE);
    let nan = MediaInfo {
        width: Some(f64::NAN),
        height: Some(-1.0),
        ..MediaInfo::default()
    };
    assert_clean(&run(&t, &image_item(), &image_valid(), &nan, Mode::Submit));
}
