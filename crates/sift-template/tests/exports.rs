//! Export formats checked against their published shapes, and the Label Studio round trip.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns unwrap too

use std::collections::BTreeSet;

use serde_json::{Value, json};
use sift_template::export::{
    self, CocoCaptions, ExportError, PreferenceOptions, PreferenceStyle, SftOptions, SftStyle,
    from_label_studio, from_label_studio_task, label_studio_config, label_studio_result, label_studio_task,
};
use sift_template::interop::label_studio;
use sift_template::{MediaInfo, Mode, Payload, Template, parse_template, validate};

mod support;

use support::{CLASSIFICATION, IMAGE, QA, RANKING, VIDEO, template};

fn payload(t: &Template, v: &Value) -> Payload {
    t.parse_payload(v).unwrap_or_else(|e| panic!("{e:?}"))
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect()
}

fn set<'a>(ks: &[&'a str]) -> BTreeSet<&'a str> {
    ks.iter().copied().collect()
}

const PASSAGE: &str = "東京タワー opened in 1958. It is 333 m tall — taller than the Eiffel Tower 😀.";

/// Span of `needle` in the passage, in Unicode scalar values.
fn span_of(needle: &str) -> Value {
    let b = PASSAGE.find(needle).expect("in passage");
    let start = PASSAGE[..b].chars().count();
    json!({"start": start, "end": start + needle.chars().count()})
}

fn qa() -> (Template, Value, Payload) {
    let t = template(QA);
    let item = json!({"source": PASSAGE});
    let p = payload(
        &t,
        &json!({"pairs": [
            {"question": "When did Tokyo Tower open?", "answer": "In 1958.", "question_type": "factual",
             "spans": [span_of("東京タワー opened in 1958")]},
            {"question": "How does it compare to the Eiffel Tower?", "answer": "It is taller.", "question_type": "inferential",
             "spans": [span_of("It is 333 m tall"), span_of("taller than the Eiffel Tower 😀")]},
            {"question": "What is the passage about?", "answer": "Tokyo Tower.", "question_type": "whole-passage",
             "entire_passage": true},
        ]}),
    );
    assert!(validate(&t, &item, &p, &MediaInfo::default(), Mode::Submit).is_empty());
    (t, item, p)
}

fn ranking4() -> (Template, Value, Payload) {
    let t = template(RANKING);
    let item = json!({"prompt": "Name a prime.", "responses": [
        {"id": "a", "text": "2"}, {"id": "b", "text": "4"}, {"id": "c", "text": "7"}, {"id": "d", "text": "9"}]});
    let p = payload(
        &t,
        &json!({
            "rankings": {
                "clarity": {"a": 2, "b": 4, "c": 1, "d": 3},
                "accuracy": {"a": 1, "b": 3, "c": 2, "d": 4},
                "harmlessness": {"a": 4, "b": 3, "c": 2, "d": 1},
            },
            "classifications": {"a": {"factual_error": "no"}, "b": {"factual_error": "yes"},
                                "c": {"factual_error": "no"}, "d": {"factual_error": "yes"}},
            "rationale": "2 and 7 are primes.",
        }),
    );
    assert!(validate(&t, &item, &p, &MediaInfo::default(), Mode::Submit).is_empty());
    (t, item, p)
}

fn image() -> (Template, Value, Payload) {
    let t = template(IMAGE);
    let item = json!({"source-ref": "s3://b/pets/1.jpg", "width": 640, "height": 480});
    let p = payload(
        &t,
        &json!({
            "objects": [
                {"id": "o1", "x": 120.5, "y": 300, "name": "cat", "description": "A grey tabby cat."},
                {"id": "o2", "x": 410, "y": 280.25, "name": "dog", "description": "A golden retriever."},
            ],
            "relationships": [{"subject": "o1", "relation": "is lying next to", "object": "o2"}],
            "setting": "A sunny living room.",
            "caption": "A grey tabby cat is lying next to a golden retriever dog on the floor of a sunny living room.",
        }),
    );
    assert!(validate(&t, &item, &p, &MediaInfo::default(), Mode::Submit).is_empty());
    (t, item, p)
}

fn video() -> (Template, Value, Payload) {
    let t = template(VIDEO);
    let item = json!({"source-ref": "s3://b/clips/k.mp4", "duration": 12.5, "fps": 25});
    let p = payload(
        &t,
        &json!({
            "events": [
                {"start": 4.2, "end": 12.48, "description": "He tastes the soup."},
                {"start": 0.0, "end": 4.2, "description": "A man stirs the soup."},
            ],
            "setting": "A kitchen at night.",
            "caption": "In a small kitchen at night a man stirs a pot of soup, then lifts a spoon, tastes the soup and nods with approval before he turns away.",
        }),
    );
    assert!(validate(&t, &item, &p, &MediaInfo::default(), Mode::Submit).is_empty());
    (t, item, p)
}

// ------------------------------------------------------------------------------------ SFT

#[test]
fn sft_messages_shape() {
    let (t, item, p) = qa();
    let recs = export::sft(&t, &item, &p, &SftOptions::default()).unwrap();
    assert_eq!(recs.len(), 3);
    for r in &recs {
        assert_eq!(keys(r), set(&["messages"]));
        let msgs = r["messages"].as_array().unwrap();
        assert_eq!(msgs.len(), 2);
        assert_eq!(keys(&msgs[0]), set(&["role", "content"]));
        assert_eq!(msgs[0]["role"], "user");
        assert_eq!(msgs[1]["role"], "assistant");
        assert!(
            msgs[0]["content"].as_str().unwrap().contains(PASSAGE),
            "passage is the context"
        );
    }
    assert!(
        recs[0]["messages"][0]["content"]
            .as_str()
            .unwrap()
            .ends_with("Question: When did Tokyo Tower open?")
    );
    assert_eq!(recs[0]["messages"][1]["content"], "In 1958.");

    let opts = SftOptions {
        system_prompt: Some("Be brief.".into()),
        include_metadata: true,
        ..SftOptions::default()
    };
    let recs = export::sft(&t, &item, &p, &opts).unwrap();
    assert_eq!(keys(&recs[1]), set(&["messages", "metadata"]));
    assert_eq!(
        recs[1]["messages"][0],
        json!({"role": "system", "content": "Be brief."})
    );
    assert_eq!(
        recs[1]["metadata"]["spans"][0],
        json!({"start": 22, "end": 38, "text": "It is 333 m tall"})
    );
    assert_eq!(
        recs[1]["metadata"]["spans"][1]["text"],
        "taller than the Eiffel Tower 😀"
    );
    assert_eq!(recs[2]["metadata"]["entire_passage"], true);
}

#[test]
fn sft_prompt_completion_shape() {
    let (t, item, p) = qa();
    let opts = SftOptions {
        style: SftStyle::PromptCompletion,
        user_template: "Context: {passage}\nQ: {question}\nA:".into(),
        ..SftOptions::default()
    };
    let recs = export::sft(&t, &item, &p, &opts).unwrap();
    assert_eq!(keys(&recs[0]), set(&["prompt", "completion"]));
    assert_eq!(
        recs[0]["prompt"],
        format!("Context: {PASSAGE}\nQ: When did Tokyo Tower open?\nA:")
    );
    assert_eq!(recs[0]["completion"], "In 1958.");
}

#[test]
fn exports_refuse_the_wrong_kind() {
    let (qa_t, qa_item, qa_p) = qa();
    let (r_t, r_item, r_p) = ranking4();
    assert!(matches!(
        export::sft(&r_t, &r_item, &r_p, &SftOptions::default()),
        Err(ExportError::WrongKind { .. })
    ));
    assert!(matches!(
        export::preference(&qa_t, &qa_item, &qa_p, &PreferenceOptions::default()),
        Err(ExportError::WrongKind { .. })
    ));
    assert!(export::captions(&qa_t, &qa_item, &qa_p, &MediaInfo::default()).is_err());
    assert!(label_studio_result(&qa_t, &qa_item, &r_p, &MediaInfo::default()).is_err());
    let err = export::sft(&qa_t, &json!({"text": "x"}), &qa_p, &SftOptions::default()).unwrap_err();
    assert!(err.to_string().contains("item.source"), "{err}");
}

// ------------------------------------------------------------------------------------ preference

#[test]
fn preference_total_order_of_four_gives_six_pairs_per_dimension() {
    let (t, item, p) = ranking4();
    let recs = export::preference(&t, &item, &p, &PreferenceOptions::default()).unwrap();
    assert_eq!(recs.len(), 18);
    for dim in ["clarity", "accuracy", "harmlessness"] {
        let mine: Vec<&Value> = recs.iter().filter(|r| r["dimension"] == dim).collect();
        assert_eq!(mine.len(), 6, "{dim}");
        let pairs: BTreeSet<(String, String)> = mine
            .iter()
            .map(|r| {
                (
                    r["chosen_id"].as_str().unwrap().to_owned(),
                    r["rejected_id"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(pairs.len(), 6, "{dim}: distinct pairs");
    }
    for r in &recs {
        assert_eq!(
            keys(r),
            set(&[
                "prompt",
                "chosen",
                "rejected",
                "dimension",
                "chosen_id",
                "rejected_id",
                "chosen_rank",
                "rejected_rank"
            ])
        );
        assert_eq!(r["prompt"], "Name a prime.");
        assert!(r["chosen_rank"].as_u64() < r["rejected_rank"].as_u64());
    }
    // clarity: c(1) > a(2) > d(3) > b(4); the first record is the best against the second.
    assert_eq!(recs[0]["dimension"], "clarity");
    assert_eq!(
        (recs[0]["chosen"].as_str(), recs[0]["rejected"].as_str()),
        (Some("7"), Some("2"))
    );
}

#[test]
fn preference_filter_ties_and_conversational_style() {
    let (t, item, p) = ranking4();
    let opts = PreferenceOptions {
        dimensions: Some(vec!["accuracy".into()]),
        style: PreferenceStyle::Conversational,
    };
    let recs = export::preference(&t, &item, &p, &opts).unwrap();
    assert_eq!(recs.len(), 6);
    assert_eq!(
        recs[0]["prompt"],
        json!([{"role": "user", "content": "Name a prime."}])
    );
    assert_eq!(recs[0]["chosen"], json!([{"role": "assistant", "content": "2"}]));
    assert_eq!(
        recs[0]["rejected"],
        json!([{"role": "assistant", "content": "7"}])
    );

    let bad = PreferenceOptions {
        dimensions: Some(vec!["helpfulness".into()]),
        ..PreferenceOptions::default()
    };
    let err = export::preference(&t, &item, &p, &bad).unwrap_err();
    assert!(
        err.to_string().contains("helpfulness") && err.to_string().contains("clarity"),
        "{err}"
    );

    // Ties give no pair: a,b tied at 1, c,d tied at 2 → only the 4 cross pairs.
    let tied = payload(
        &t,
        &json!({"rankings": {"clarity": {"a": 1, "b": 1, "c": 2, "d": 2}}}),
    );
    let recs = export::preference(&t, &item, &tied, &PreferenceOptions::default()).unwrap();
    assert_eq!(recs.len(), 4);
    assert!(
        recs.iter()
            .all(|r| r["chosen_rank"] == 1 && r["rejected_rank"] == 2)
    );
    // Everything tied: nothing.
    let all = payload(
        &t,
        &json!({"rankings": {"clarity": {"a": 1, "b": 1, "c": 1, "d": 1}}}),
    );
    assert!(
        export::preference(&t, &item, &all, &PreferenceOptions::default())
            .unwrap()
            .is_empty()
    );
}

// ------------------------------------------------------------------------------------ captions

#[test]
fn captions_image_record() {
    let (t, item, p) = image();
    let recs = export::captions(&t, &item, &p, &MediaInfo::default()).unwrap();
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!(
        keys(r),
        set(&[
            "media",
            "media_type",
            "width",
            "height",
            "caption",
            "setting",
            "objects",
            "relationships"
        ])
    );
    assert_eq!(r["media"], "s3://b/pets/1.jpg");
    assert_eq!(r["media_type"], "image");
    assert_eq!(
        (r["width"].as_u64(), r["height"].as_u64()),
        (Some(640), Some(480))
    );
    assert_eq!(
        r["objects"][0],
        json!({"id": "o1", "name": "cat", "description": "A grey tabby cat.", "x": 120.5, "y": 300.0})
    );
    assert_eq!(
        r["relationships"][0],
        json!({"subject": "o1", "relation": "is lying next to", "object": "o2", "subject_name": "cat", "object_name": "dog"})
    );
}

#[test]
fn captions_video_record() {
    let (t, item, p) = video();
    let recs = export::captions(&t, &item, &p, &MediaInfo::default()).unwrap();
    let r = &recs[0];
    assert_eq!(
        keys(r),
        set(&["media", "media_type", "duration", "caption", "setting", "events"])
    );
    assert_eq!(r["media_type"], "video");
    assert_eq!(r["duration"], 12.5);
    // Sorted by start time.
    assert_eq!(
        r["events"][0],
        json!({"start": 0.0, "end": 4.2, "description": "A man stirs the soup."})
    );
    assert_eq!(
        r["events"][1],
        json!({"start": 4.2, "end": 12.48, "description": "He tastes the soup."})
    );
}

#[test]
fn coco_captions_document() {
    let (t, item, p) = image();
    let mut coco = CocoCaptions::new();
    assert!(coco.is_empty());
    assert_eq!(coco.add(&t, &item, &p, &MediaInfo::default()).unwrap(), 1);
    let other = json!({"source-ref": "s3://b/pets/2.jpg", "width": 800, "height": 600});
    assert_eq!(coco.add(&t, &other, &p, &MediaInfo::default()).unwrap(), 2);
    // A second annotation of the first image.
    assert_eq!(coco.add(&t, &item, &p, &MediaInfo::default()).unwrap(), 1);
    assert_eq!(coco.len(), 3);
    let no_size = json!({"source-ref": "s3://b/pets/3.jpg"});
    let t_nosize = parse_template(
        &IMAGE.replace("width = \"width\"\nheight = \"height\"\n", ""),
        "x",
    )
    .unwrap();
    assert!(matches!(
        coco.add(&t_nosize, &no_size, &p, &MediaInfo::default()),
        Err(ExportError::MissingMediaInfo(_))
    ));
    let media = MediaInfo {
        width: Some(10.0),
        height: Some(20.0),
        ..MediaInfo::default()
    };
    assert_eq!(coco.add(&t_nosize, &no_size, &p, &media).unwrap(), 3);

    let doc = coco.finish();
    assert_eq!(keys(&doc), set(&["info", "licenses", "images", "annotations"]));
    let images = doc["images"].as_array().unwrap();
    let anns = doc["annotations"].as_array().unwrap();
    assert_eq!((images.len(), anns.len()), (3, 4));
    for img in images {
        assert_eq!(keys(img), set(&["id", "file_name", "width", "height"]));
        assert!(
            img["id"].is_u64()
                && img["width"].is_u64()
                && img["height"].is_u64()
                && img["file_name"].is_string()
        );
    }
    for a in anns {
        assert_eq!(keys(a), set(&["id", "image_id", "caption"]));
        assert!(a["id"].is_u64() && a["image_id"].is_u64() && a["caption"].is_string());
    }
    assert_eq!(
        images[1],
        json!({"id": 2, "file_name": "s3://b/pets/2.jpg", "width": 800, "height": 600})
    );
    assert_eq!(anns[2]["image_id"], 1);
    let ids: BTreeSet<u64> = anns.iter().map(|a| a["id"].as_u64().unwrap()).collect();
    assert_eq!(ids.len(), 4);
}

// ------------------------------------------------------------------------------------ Label Studio

fn round_trip(t: &Template, item: &Value, p: &Payload) -> Value {
    let task = label_studio_task(t, item, &MediaInfo::default(), 17, &[(5, p)]).unwrap();
    assert_eq!(keys(&task), set(&["id", "data", "annotations", "predictions"]));
    assert_eq!(task["id"], 17);
    let ann = &task["annotations"][0];
    assert_eq!(keys(ann), set(&["id", "result", "was_cancelled", "ground_truth"]));
    for r in ann["result"].as_array().unwrap() {
        if r["type"] == "relation" {
            assert!(r["from_id"].is_string() && r["to_id"].is_string());
        } else {
            for k in ["id", "from_name", "to_name", "type", "value"] {
                assert!(r.get(k).is_some(), "result lacks {k}: {r}");
            }
        }
    }
    let back = from_label_studio(t, &task["data"], &ann["result"], &MediaInfo::default()).unwrap();
    assert_eq!(&back, p, "round trip");
    let all = from_label_studio_task(t, &task, &MediaInfo::default()).unwrap();
    assert_eq!(all, vec![p.clone()]);
    task
}

#[test]
fn label_studio_qa() {
    let (t, item, p) = qa();
    let task = round_trip(&t, &item, &p);
    assert_eq!(task["data"]["passage"], PASSAGE);
    let result = task["annotations"][0]["result"].as_array().unwrap();
    let span = result.iter().find(|r| r["id"] == "pair2-span2").unwrap();
    assert_eq!(span["type"], "labels");
    // Offsets in code points: the emoji is one.
    assert_eq!(
        span["value"],
        json!({"start": 41, "end": 71, "text": "taller than the Eiffel Tower 😀", "labels": ["pair 2"]})
    );
    let q = result.iter().find(|r| r["id"] == "pair1-question").unwrap();
    assert_eq!(q["type"], "textarea");
    assert_eq!(q["value"], json!({"text": ["When did Tokyo Tower open?"]}));
}

#[test]
fn label_studio_ranking() {
    let (t, item, p) = ranking4();
    let task = round_trip(&t, &item, &p);
    assert_eq!(
        task["data"]["responses"][0],
        json!({"id": "a", "title": "Response a", "body": "2"})
    );
    let result = task["annotations"][0]["result"].as_array().unwrap();
    let clarity = result.iter().find(|r| r["from_name"] == "clarity").unwrap();
    assert_eq!(clarity["type"], "ranker");
    assert_eq!(
        clarity["value"],
        json!({"ranker": {"clarity": ["c", "a", "d", "b"]}})
    );
    let cls = result.iter().find(|r| r["id"] == "cls:factual_error:b").unwrap();
    assert_eq!(cls["value"], json!({"choices": ["yes"]}));

    // Ties use rank buckets, and still round-trip.
    let tied = payload(
        &t,
        &json!({"rankings": {"clarity": {"a": 1, "b": 1, "c": 2, "d": 3}}}),
    );
    let task = round_trip(&t, &item, &tied);
    assert_eq!(
        task["annotations"][0]["result"][0]["value"],
        json!({"ranker": {"1": ["a", "b"], "2": ["c"], "3": ["d"]}})
    );
    // Label Studio's older plain-list form is accepted too.
    let old = json!([{"id": "x", "from_name": "clarity", "to_name": "responses", "type": "ranker",
                      "value": {"ranker": ["d", "c", "b", "a"]}}]);
    let Payload::Ranking(r) = from_label_studio(&t, &json!({}), &old, &MediaInfo::default()).unwrap() else {
        panic!()
    };
    assert_eq!(r.rankings["clarity"]["d"], 1);
    assert_eq!(r.rankings["clarity"]["a"], 4);
}

#[test]
fn label_studio_image() {
    let (t, item, p) = image();
    let task = round_trip(&t, &item, &p);
    let result = task["annotations"][0]["result"].as_array().unwrap();
    let point = result.iter().find(|r| r["type"] == "keypointlabels").unwrap();
    assert_eq!(point["id"], "obj:o1");
    assert_eq!(
        (
            point["original_width"].as_u64(),
            point["original_height"].as_u64()
        ),
        (Some(640), Some(480))
    );
    let (x, y) = (
        point["value"]["x"].as_f64().unwrap(),
        point["value"]["y"].as_f64().unwrap(),
    );
    assert!(
        (x - 120.5 / 640.0 * 100.0).abs() < 1e-9 && (y - 62.5).abs() < 1e-9,
        "{x} {y}"
    );
    for r in result
        .iter()
        .filter(|r| r.get("value").is_some_and(|v| v.get("x").is_some()))
    {
        let x = r["value"]["x"].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&x));
    }
    let rel = result.iter().find(|r| r["type"] == "relation").unwrap();
    assert_eq!(rel["labels"], json!(["is lying next to"]));
    // Without a known image size there are no percentages to compute.
    let no_size = json!({"source-ref": "s3://b/x.jpg"});
    let t2 = parse_template(
        &IMAGE.replace("width = \"width\"\nheight = \"height\"\n", ""),
        "x",
    )
    .unwrap();
    assert!(matches!(
        label_studio_result(&t2, &no_size, &p, &MediaInfo::default()),
        Err(ExportError::MissingMediaInfo(_))
    ));
}

#[test]
fn label_studio_video() {
    let (t, item, p) = video();
    let task = round_trip(&t, &item, &p);
    let result = task["annotations"][0]["result"].as_array().unwrap();
    let ev = result.iter().find(|r| r["type"] == "timelinelabels").unwrap();
    // 25 fps from the item's `fps` field: 4.2 s → frame 105, 12.48 s → frame 312.
    assert_eq!(
        ev["value"],
        json!({"ranges": [{"start": 105, "end": 312}], "timelinelabels": ["event"]})
    );
    // Off-grid times are rounded to the nearest frame, and never pushed past the duration.
    let off_grid = payload(
        &t,
        &json!({"events": [{"start": 0.01, "end": 12.5, "description": "x"}]}),
    );
    let task = label_studio_task(&t, &item, &MediaInfo::default(), 1, &[(1, &off_grid)]).unwrap();
    let ann = &task["annotations"][0];
    assert_eq!(
        ann["result"][0]["value"]["ranges"],
        json!([{"start": 0, "end": 313}])
    );
    let Payload::VideoCaption(back) =
        from_label_studio(&t, &task["data"], &ann["result"], &MediaInfo::default()).unwrap()
    else {
        panic!("video")
    };
    assert_eq!((back.events[0].start, back.events[0].end), (0.0, 12.5));
    let desc = result
        .iter()
        .find(|r| r["from_name"] == "event_description" && r["id"] == ev["id"])
        .unwrap();
    assert_eq!(desc["value"]["text"][0], "He tastes the soup.");
}

#[test]
fn label_studio_import_errors_name_the_result() {
    let (t, _, _) = qa();
    let bad = json!([{"id": "pair1-question", "from_name": "question", "to_name": "passage", "type": "textarea", "value": {"text": 3}}]);
    let err = from_label_studio(&t, &json!({}), &bad, &MediaInfo::default()).unwrap_err();
    assert_eq!(err.path, "result[0].value.text");
    let unknown = json!([{"id": "pair1-x", "from_name": "comment", "to_name": "passage", "type": "textarea", "value": {"text": ["hi"]}}]);
    let err = from_label_studio(&t, &json!({}), &unknown, &MediaInfo::default()).unwrap_err();
    assert!(err.message.contains("comment"), "{err}");
    assert!(from_label_studio(&t, &json!({}), &json!({}), &MediaInfo::default()).is_err());
    let cancelled = json!({"data": {}, "annotations": [{"was_cancelled": true, "result": "garbage"}]});
    assert!(
        from_label_studio_task(&t, &cancelled, &MediaInfo::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn label_studio_configs_name_the_controls() {
    let (qa_t, ..) = qa();
    let x = label_studio_config(&qa_t);
    for needle in [
        "<Text name=\"passage\" value=\"$passage\"/>",
        "name=\"evidence\"",
        "<Label value=\"pair 6\"/>",
        "name=\"question_type\"",
    ] {
        assert!(x.contains(needle), "{needle} in\n{x}");
    }
    let (r_t, ..) = ranking4();
    let x = label_studio_config(&r_t);
    assert!(
        x.contains("<Ranker name=\"clarity\" toName=\"responses\"/>"),
        "{x}"
    );
    assert!(x.contains("<Choice value=\"unsure\"/>"), "{x}");
    let (i_t, ..) = image();
    assert!(label_studio_config(&i_t).contains("<KeyPointLabels name=\"objects\""));
    let (v_t, ..) = video();
    assert!(label_studio_config(&v_t).contains("<TimelineLabels name=\"events\""));
}

// ------------------------------------------------------------------------------ classification

fn message() -> Value {
    json!({"source": "I was charged twice for my subscription this month.", "id": "m-1"})
}

/// A multi-label image template with four classes.
fn pets() -> Template {
    template(
        "name = \"pets\"\nkind = \"classification\"\nversion = 1\ntitle = \"Pets\"\ninstructions = \"Tag.\"\n\
         label_attribute = \"pets\"\njob_name = \"tag-pets\"\n[fields]\nimage = \"source-ref\"\n[rules]\nmulti_label = true\n\
         allow_unsure = true\nunsure_reason = \"optional\"\n\
         [[rules.classes]]\nname = \"cat\"\ndescription = \"A cat, any size.\"\n[[rules.classes]]\nname = \"dog\"\n\
         [[rules.classes]]\nname = \"bird\"\nkey = \"b\"\n[[rules.classes]]\nname = \"fish\"\n",
    )
}

fn pet_photo() -> Value {
    json!({"source-ref": "s3://bucket/pets/0001.jpg"})
}

#[test]
fn ground_truth_single_label_shape() {
    let t = template(CLASSIFICATION);
    let gt = export::ground_truth_label(&t, &payload(&t, &json!({"labels": ["account"]}))).unwrap();
    assert_eq!(gt.value, json!(2));
    assert_eq!(
        Value::Object(gt.metadata),
        json!({"class-name": "account", "confidence": 1.0})
    );
    assert_eq!(t.gt_type(), "groundtruth/text-classification");

    let unsure = payload(
        &t,
        &json!({"labels": ["billing"], "unsure": {"reason": " maybe an account problem "}}),
    );
    let gt = export::ground_truth_label(&t, &unsure).unwrap();
    assert_eq!(gt.value, json!(0));
    assert_eq!(
        Value::Object(gt.metadata),
        json!({"class-name": "billing", "confidence": export::UNSURE_CONFIDENCE, "unsure": true,
               "worker-feedback": [{"comment": "maybe an account problem"}]})
    );
}

#[test]
fn ground_truth_multi_label_shape() {
    let t = pets();
    assert_eq!(t.gt_type(), "groundtruth/image-classification-multilabel");
    let p = payload(&t, &json!({"labels": ["fish", "cat"], "unsure": {}}));
    let gt = export::ground_truth_label(&t, &p).unwrap();
    // Indices ascending, whatever order the annotator chose them in.
    assert_eq!(gt.value, json!([0, 3]));
    assert_eq!(
        Value::Object(gt.metadata),
        json!({"class-map": {"0": "cat", "3": "fish"}, "confidence-map": {"0": 0.5, "3": 0.5},
               "class-names": ["cat", "fish"], "unsure": true})
    );
}

#[test]
fn classification_exports_refuse_what_they_cannot_write() {
    let t = template(CLASSIFICATION);
    let (qa_t, qa_item, qa_p) = qa();
    assert!(matches!(
        export::ground_truth_label(&t, &qa_p),
        Err(ExportError::WrongKind { format: "gt", .. })
    ));
    assert!(matches!(
        export::classification(&qa_t, &qa_item, &qa_p),
        Err(ExportError::WrongKind { .. })
    ));
    let unknown = payload(&t, &json!({"labels": ["refund"]}));
    let err = export::ground_truth_label(&t, &unknown).unwrap_err();
    assert!(err.to_string().contains("`refund` is not a class"), "{err}");
    let none = payload(&t, &json!({"labels": []}));
    assert!(export::classification(&t, &message(), &none).is_err());
    let err = export::classification(
        &t,
        &json!({"text": "x"}),
        &payload(&t, &json!({"labels": ["other"]})),
    )
    .unwrap_err();
    assert!(err.to_string().contains("item.source"), "{err}");
}

#[test]
fn classification_training_records() {
    let t = template(CLASSIFICATION);
    let recs = export::classification(&t, &message(), &payload(&t, &json!({"labels": ["billing"]}))).unwrap();
    assert_eq!(
        recs,
        [
            json!({"text": "I was charged twice for my subscription this month.", "label": "billing", "unsure": false})
        ]
    );
    let m = pets();
    let recs = export::classification(
        &m,
        &pet_photo(),
        &payload(&m, &json!({"labels": ["dog", "cat"], "unsure": {}})),
    )
    .unwrap();
    assert_eq!(
        recs,
        [json!({"image": "s3://bucket/pets/0001.jpg", "label": ["cat", "dog"], "unsure": true})]
    );
    let one = export::classification(&m, &pet_photo(), &payload(&m, &json!({"labels": ["bird"]}))).unwrap();
    assert_eq!(
        one[0]["label"],
        json!(["bird"]),
        "multi-label records always hold a list"
    );
}

#[test]
fn label_studio_classification() {
    let t = template(CLASSIFICATION);
    let p = payload(
        &t,
        &json!({"labels": ["technical"], "unsure": {"reason": "or billing?"}}),
    );
    let task = round_trip(&t, &message(), &p);
    assert_eq!(task["data"]["text"], message()["source"]);
    assert_eq!(
        task["annotations"][0]["result"],
        json!([
            {"id": "classes", "from_name": "classes", "to_name": "text", "type": "choices", "value": {"choices": ["technical"]}},
            {"id": "unsure", "from_name": "unsure", "to_name": "text", "type": "choices", "value": {"choices": ["unsure"]}},
            {"id": "unsure-reason", "from_name": "unsure_reason", "to_name": "text", "type": "textarea", "value": {"text": ["or billing?"]}}
        ])
    );
    let m = pets();
    for v in [
        json!({"labels": ["fish", "cat"]}),
        json!({"labels": []}),
        json!({"labels": ["dog"], "unsure": {}}),
    ] {
        let p = payload(&m, &v);
        let task = round_trip(&m, &pet_photo(), &p);
        assert_eq!(task["data"]["image"], "s3://bucket/pets/0001.jpg");
    }
    let x = label_studio_config(&m);
    for needle in [
        "<Image name=\"image\" value=\"$image\"/>",
        "<Choices name=\"classes\" toName=\"image\" choice=\"multiple\" showInline=\"true\">",
        "<Choice value=\"cat\" hint=\"A cat, any size.\" hotkey=\"1\"/>",
        "<Choice value=\"bird\" hotkey=\"b\"/>",
        "<Choices name=\"unsure\" toName=\"image\">",
        "<TextArea name=\"unsure_reason\" toName=\"image\"",
    ] {
        assert!(x.contains(needle), "{needle} in\n{x}");
    }
    let x = label_studio_config(&t);
    assert!(x.contains("<Text name=\"text\" value=\"$text\"/>"), "{x}");
    assert!(x.contains("choice=\"single-radio\""), "{x}");
}

/// A task as Label Studio itself exports a text classification project (its control is
/// called `sentiment`, results carry Label Studio's own ids and extra keys).
#[test]
fn label_studio_choices_import_as_sift_payloads() {
    let t = template(
        "name = \"sentiment\"\nkind = \"classification\"\nversion = 1\ntitle = \"Sentiment\"\ninstructions = \"Judge.\"\n\
         label_attribute = \"sentiment\"\n[fields]\ntext = \"text\"\n\
         [[rules.classes]]\nname = \"Positive\"\n[[rules.classes]]\nname = \"Negative\"\n[[rules.classes]]\nname = \"Neutral\"\n",
    );
    let task = json!({
        "id": 42,
        "data": {"text": "The delivery was fast and the food was great."},
        "annotations": [
            {"id": 7, "completed_by": 1, "was_cancelled": false, "ground_truth": false, "lead_time": 3.1,
             "created_at": "2024-05-02T10:00:00.000000Z",
             "result": [{"value": {"choices": ["Positive"]}, "id": "fXJbM7z0aK", "from_name": "sentiment",
                         "to_name": "text", "type": "choices", "origin": "manual"}]},
            {"id": 8, "was_cancelled": true, "result": []},
            {"id": 9, "result": []}
        ]
    });
    let got = from_label_studio_task(&t, &task, &MediaInfo::default()).unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].to_json(), json!({"labels": ["Positive"]}));
    assert_eq!(got[1].to_json(), json!({"labels": []}));

    let bad = json!([{"id": "x", "from_name": "sentiment", "to_name": "text", "type": "choices",
                      "value": {"choices": ["Positive", "positive"]}}]);
    let err = label_studio::from_label_studio(&t, &json!({}), &bad, &MediaInfo::default()).unwrap_err();
    assert_eq!(err.path, "result[0].value.choices[1]");
    assert!(
        err.message
            .contains("`positive` is not a class of this template (Positive, Negative, Neutral)"),
        "{err}"
    );
    let two = json!([
        {"id": "a", "from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": ["Positive"]}},
        {"id": "b", "from_name": "topic", "to_name": "text", "type": "choices", "value": {"choices": ["Neutral"]}}
    ]);
    let err = label_studio::from_label_studio(&t, &json!({}), &two, &MediaInfo::default()).unwrap_err();
    assert_eq!(err.path, "result[1].from_name");
    let other = json!([{"id": "c", "from_name": "comment", "to_name": "text", "type": "textarea", "value": {"text": ["hi"]}}]);
    let err = label_studio::from_label_studio(&t, &json!({}), &other, &MediaInfo::default()).unwrap_err();
    assert!(err.message.contains("`textarea` result `comment`"), "{err}");
}

#[test]
fn ground_truth_classification_labels_read_back() {
    use sift_template::interop::ground_truth::payload_from_label;
    let t = template(CLASSIFICATION);
    for v in [
        json!({"labels": ["technical"]}),
        json!({"labels": ["other"], "unsure": {"reason": "spam or praise?"}}),
        json!({"labels": ["billing"], "unsure": {}}),
    ] {
        let p = payload(&t, &v);
        let gt = export::ground_truth_label(&t, &p).unwrap();
        let back = payload_from_label(&t, &gt.value, &Value::Object(gt.metadata)).unwrap();
        assert_eq!(payload(&t, &back), p, "{v}");
    }
    let m = pets();
    let p = payload(&m, &json!({"labels": ["cat", "bird"]}));
    let gt = export::ground_truth_label(&m, &p).unwrap();
    let back = payload_from_label(&m, &gt.value, &Value::Object(gt.metadata)).unwrap();
    assert_eq!(payload(&m, &back), p);

    // Lines as Ground Truth itself writes them: a string index, or indices with a class map.
    let aws =
        json!({"class-name": "technical", "confidence": 0.8, "type": "groundtruth/text-classification"});
    assert_eq!(
        payload_from_label(&t, &json!("1"), &aws).unwrap().into_owned(),
        json!({"labels": ["technical"]})
    );
    let aws = json!({"class-map": {"3": "fish", "0": "cat"}, "confidence-map": {"3": 0.9, "0": 0.7}});
    assert_eq!(
        payload_from_label(&m, &json!([3, 0]), &aws).unwrap().into_owned(),
        json!({"labels": ["fish", "cat"]})
    );
    let err = payload_from_label(&t, &json!(1), &json!({"class-name": "billing"})).unwrap_err();
    assert!(
        err.contains("class index 1 is `technical` in the template but `billing`"),
        "{err}"
    );
    let err = payload_from_label(&t, &json!(9), &Value::Null).unwrap_err();
    assert!(err.contains("out of range: the template has 5 classes"), "{err}");
    assert!(payload_from_label(&t, &json!(true), &Value::Null).is_err());
    // Sift's own payload shape passes through, and other kinds' labels are their payloads.
    let own = json!({"labels": ["account"]});
    assert_eq!(
        payload_from_label(&t, &own, &Value::Null).unwrap().into_owned(),
        own
    );
    let (qa_t, ..) = qa();
    let qa_label = json!({"pairs": []});
    assert_eq!(
        payload_from_label(&qa_t, &qa_label, &Value::Null)
            .unwrap()
            .into_owned(),
        qa_label
    );
}
