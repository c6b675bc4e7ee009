//! Template files: the shipped examples parse, and the broken corpus fails with the
//! expected errors.

#![allow(clippy::unwrap_used)] // helpers outside #[test] fns unwrap too

use sift_template::{Kind, Spec, Template, parse_template};

const QA: &str = include_str!("../../../labeling-templates/qa.toml");
const RANKING: &str = include_str!("../../../labeling-templates/ranking.toml");
const IMAGE: &str = include_str!("../../../labeling-templates/image-caption.toml");
const VIDEO: &str = include_str!("../../../labeling-templates/video-caption.toml");

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
