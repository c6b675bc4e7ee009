//! Template files: the shipped examples parse, and the broken corpus fails with the
//! expected errors.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns unwrap too

use sift_template::{ClassificationFields, Kind, Requirement, Spec, Template, parse_template};

mod support;

use support::{CLASSIFICATION, IMAGE, QA, RANKING, VIDEO};

fn parse(text: &str, origin: &str) -> Template {
    match parse_template(text, origin) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn shipped_templates_parse() {
    for (text, origin, kind) in [
        (QA, "qa.toml", Kind::Qa),
        (RANKING, "ranking.toml", Kind::Ranking),
        (IMAGE, "image-caption.toml", Kind::ImageCaption),
        (VIDEO, "video-caption.toml", Kind::VideoCaption),
    ] {
        let t = parse(text, origin);
        assert_eq!(t.kind(), kind, "{origin}");
        assert_eq!(t.source_text(), text);
        assert!(
            t.instructions().contains('#'),
            "{origin}: instructions should be Markdown"
        );
        assert!(!t.fields().is_empty());
        assert_eq!(t.gt_type(), format!("sift/{}", kind.as_str()));
        assert!(t.shortcuts().get("submit").is_some());
    }
}

#[test]
fn shipped_templates_accessors() {
    let qa = parse(QA, "qa.toml");
    assert_eq!(qa.name(), "qa-passages");
    assert_eq!(qa.label_attribute(), "qa-pairs");
    assert_eq!(qa.job_name(), "qa-passages");
    assert_eq!(qa.media_field(), None);
    assert_eq!(qa.fields()[0].role, "passage");
    assert_eq!(qa.fields()[0].key, "source");
    let Spec::Qa { rules, .. } = qa.spec() else {
        panic!("qa spec")
    };
    assert_eq!((rules.min_pairs, rules.max_pairs), (3, 6));

    let ranking = parse(RANKING, "ranking.toml");
    assert_eq!(
        ranking.job_name(),
        "response-ranking",
        "job_name defaults to name"
    );
    let Spec::Ranking { rules, .. } = ranking.spec() else {
        panic!("ranking spec")
    };
    assert_eq!(rules.dimensions.len(), 3);
    assert_eq!(
        rules.dimensions[2].direction,
        sift_template::Direction::LessIsBetter
    );

    let image = parse(IMAGE, "image-caption.toml");
    assert_eq!(image.media_field(), Some("source-ref"));
    let roles: Vec<_> = image
        .fields()
        .iter()
        .map(|f| (f.role, f.key, f.required))
        .collect();
    assert_eq!(
        roles,
        [
            ("image", "source-ref", true),
            ("width", "width", false),
            ("height", "height", false)
        ]
    );

    let video = parse(VIDEO, "video-caption.toml");
    assert_eq!(video.media_field(), Some("source-ref"));
    assert_eq!(
        video
            .shortcuts()
            .get("mark_event_start")
            .map(ToString::to_string)
            .as_deref(),
        Some("Alt+[")
    );
}

#[test]
fn effective_toml_round_trips() {
    for (text, origin) in [
        (QA, "qa"),
        (RANKING, "ranking"),
        (IMAGE, "image"),
        (VIDEO, "video"),
    ] {
        let t = parse(text, origin);
        let toml = t.to_toml_string().expect("serializes");
        let again = parse(&toml, "effective");
        assert_eq!(again.spec(), t.spec(), "{origin}");
        assert_eq!(again.shortcuts(), t.shortcuts(), "{origin}");
        assert_eq!(again.instructions(), t.instructions());
        assert_eq!(
            again.to_toml_string().expect("serializes"),
            toml,
            "{origin}: stable"
        );
        let json = t.to_json();
        assert_eq!(json["kind"], t.kind().as_str());
        assert_eq!(json["shortcuts"]["submit"], "Mod+Enter");
    }
}

#[test]
fn minimal_template_gets_defaults() {
    let t = parse(
        r#"
name = "tiny"
kind = "qa"
version = 1
title = "Tiny"
instructions = "Write pairs."
label_attribute = "tiny"
"#,
        "tiny.toml",
    );
    let Spec::Qa { fields, rules } = t.spec() else {
        panic!("qa")
    };
    assert_eq!(fields.passage, "source");
    assert_eq!((rules.min_pairs, rules.max_pairs), (1, 10));
    assert!(rules.require_spans && rules.allow_entire_passage);
    assert_eq!(
        t.shortcuts().get("add_pair").map(ToString::to_string).as_deref(),
        Some("Alt+N")
    );
    assert_eq!(t.description(), None);
    assert_eq!(t.version(), 1);
}

#[test]
fn shortcut_overrides_merge_and_unbind() {
    let t = parse(
        r#"
name = "tiny"
kind = "video-caption"
version = 3
title = "Tiny"
instructions = "Log events."
label_attribute = "tiny"
[shortcuts]
play_pause = "ctrl+shift+p"
skip = "none"
"#,
        "tiny.toml",
    );
    assert_eq!(
        t.shortcuts()
            .get("play_pause")
            .map(ToString::to_string)
            .as_deref(),
        Some("Ctrl+Shift+P")
    );
    assert!(t.shortcuts().get("skip").is_none());
    assert!(t.shortcuts().iter().any(|(a, c)| a.name == "skip" && c.is_none()));
    assert!(t.to_toml_string().unwrap().contains("skip = \"none\""));
}

/// Each file in `tests/broken/` starts with `# expect: <path> | <message substring>` lines.
/// Every expectation must match an error, and every error must be expected.
#[test]
fn broken_corpus() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/broken");
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    assert!(entries.len() >= 10, "corpus too small");
    for path in entries {
        let origin = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let expects: Vec<(String, String)> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .map(|l| {
                let (p, m) = l.split_once(" | ").expect("`path | message`");
                (p.trim().to_owned(), m.trim().to_owned())
            })
            .collect();
        assert!(!expects.is_empty(), "{origin}: no expectations");
        let errs = match parse_template(&text, &origin) {
            Ok(_) => panic!("{origin}: parsed but should fail"),
            Err(e) => e,
        };
        let rendered = errs.to_string();
        for (p, m) in &expects {
            assert!(
                errs.has(p, m),
                "{origin}: expected `{p}: …{m}…`, got:\n{rendered}"
            );
        }
        for e in &errs.errors {
            assert!(
                expects
                    .iter()
                    .any(|(p, m)| &e.path == p && e.message.contains(m.as_str())),
                "{origin}: unexpected error `{}: {}`",
                e.path,
                e.message
            );
        }
        for line in rendered.lines() {
            assert!(line.starts_with(&format!("{origin}: ")), "{line}");
        }
    }
}

#[test]
fn display_format_is_origin_path_message() {
    let err = parse_template("name = \"x\"\nkind = \"qa\"\nversion = 0\n", "t.toml").unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(
            "t.toml: version: must be an integer from 1 to 4294967295, found 0 (line 3, column 11)"
        ),
        "{text}"
    );
    assert!(text.contains("t.toml: title: missing;"), "{text}");
}

#[test]
fn syntax_errors_have_line_and_column() {
    let err = parse_template("name = \"x\"\nkind = = \"qa\"\n", "bad.toml").unwrap_err();
    assert_eq!(err.errors.len(), 1, "{err}");
    let e = &err.errors[0];
    assert_eq!(e.path, "");
    assert_eq!(e.line, Some(2));
    assert!(e.message.starts_with("TOML syntax error"), "{e:?}");
    assert!(err.to_string().starts_with("bad.toml: TOML syntax error"));
}

#[test]
fn kind_names_and_gt_types() {
    for k in Kind::ALL {
        assert_eq!(Kind::from_name(k.as_str()), Some(k));
        assert_eq!(k.gt_type(), format!("sift/{k}"));
    }
    assert_eq!(Kind::from_name("image"), None);
}

#[test]
fn shipped_classification_template() {
    let t = parse(CLASSIFICATION, "classification.toml");
    assert_eq!(t.kind(), Kind::Classification);
    assert_eq!(t.gt_type(), "groundtruth/text-classification");
    assert_eq!(t.media_field(), None);
    let roles: Vec<_> = t.fields().iter().map(|f| (f.role, f.key, f.required)).collect();
    assert_eq!(roles, [("text", "source", true)]);
    assert!(t.instructions().contains('#'));
    let Spec::Classification { fields, rules } = t.spec() else {
        panic!("classification spec")
    };
    assert_eq!(fields, &ClassificationFields::Text("source".into()));
    assert!(!rules.multi_label && rules.allow_unsure);
    assert_eq!(rules.unsure_reason, Some(Requirement::Required));
    assert_eq!(rules.label_limits(), (1, Some(1)));
    let names: Vec<_> = rules.classes.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["billing", "technical", "account", "feature-request", "other"]
    );
    let keys: Vec<_> = rules.classes.iter().map(|c| c.key.as_deref()).collect();
    assert_eq!(keys, [Some("1"), Some("2"), Some("3"), Some("4"), Some("5")]);
    assert_eq!(rules.class_index("account"), Some(2));
    assert_eq!(
        t.shortcuts()
            .get("toggle_unsure")
            .map(ToString::to_string)
            .as_deref(),
        Some("Alt+U")
    );

    let toml = t.to_toml_string().expect("serializes");
    let again = parse(&toml, "effective");
    assert_eq!(again.spec(), t.spec());
    assert_eq!(again.to_toml_string().expect("serializes"), toml, "stable");
    let json = t.to_json();
    assert_eq!(json["kind"], "classification");
    assert_eq!(json["fields"], serde_json::json!({"text": "source"}));
    assert_eq!(json["rules"]["classes"][0]["key"], "1");
    assert_eq!(json["rules"]["classes"][0]["colour"], "#4e79a7");
    assert!(json["rules"].get("min_labels").is_none());
}

#[test]
fn classification_defaults_keys_and_colours() {
    let mut text = String::from(
        "name = \"tags\"\nkind = \"classification\"\nversion = 1\ntitle = \"Tags\"\ninstructions = \"Tag.\"\n\
         label_attribute = \"tags\"\n[fields]\nimage = \"source-ref\"\n[rules]\nmulti_label = true\n",
    );
    for i in 0..11 {
        text.push_str(&format!("[[rules.classes]]\nname = \"c{i}\"\n"));
        match i {
            2 => text.push_str("key = \"1\"\ncolour = \"#ABC\"\n"),
            4 => text.push_str("key = \"none\"\n"),
            _ => {}
        }
    }
    let t = parse(&text, "tags.toml");
    assert_eq!(t.gt_type(), "groundtruth/image-classification-multilabel");
    assert_eq!(t.media_field(), Some("source-ref"));
    assert_eq!(t.fields()[0].role, "image");
    let Spec::Classification { rules, .. } = t.spec() else {
        panic!("classification spec")
    };
    assert_eq!(rules.label_limits(), (1, None));
    assert!(!rules.allow_unsure && rules.unsure_reason.is_none());
    let keys: Vec<_> = rules.classes.iter().map(|c| c.key.as_deref()).collect();
    // Class 0 loses its default `1` to class 2's explicit key; class 4 is unbound; the tenth
    // class gets `0` and the eleventh none.
    assert_eq!(
        keys,
        [
            None,
            Some("2"),
            Some("1"),
            Some("4"),
            None,
            Some("6"),
            Some("7"),
            Some("8"),
            Some("9"),
            Some("0"),
            None
        ]
    );
    assert_eq!(rules.classes[2].colour, "#aabbcc");
    assert_eq!(rules.classes[0].colour, "#4e79a7");
    assert_eq!(
        rules.classes[10].colour, rules.classes[0].colour,
        "the palette repeats"
    );
    let toml = t.to_toml_string().expect("serializes");
    assert!(toml.contains("key = \"none\""), "{toml}");
    let again = parse(&toml, "effective");
    assert_eq!(again.spec(), t.spec(), "unbound keys stay unbound");
}
