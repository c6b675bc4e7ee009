//! The `classification` kind in Label Studio: the chosen classes as one `choices` result
//! (`classes`, values = class names), the unsure mark as a `choices` result `unsure` and its
//! reason as a `textarea` `unsure_reason`. Import also reads exports of Label Studio's own
//! classification projects, whatever their `choices` control is called.

use serde_json::{Map, Value, json};

use super::{ClassificationFields, ClassificationKind, ClassificationPayload, ClassificationRules};
use crate::export::ExportError;
use crate::interop::label_studio::{Convert, ImportError, Res, Task, attr, err, region, textarea};
use crate::kinds::Spec;
use crate::template::Template;

/// The name of the object the results point at: `image` or `text`.
fn object(t: &Template) -> &'static str {
    if t.media_field().is_some() {
        "image"
    } else {
        "text"
    }
}

impl Convert for ClassificationKind {
    fn task_data(t: &Template, item: &Value, data: &mut Map<String, Value>) -> Result<(), ExportError> {
        if t.media_field().is_some() {
            data.insert("image".into(), json!(t.media_ref(item)?));
        } else {
            data.insert("text".into(), json!(t.input_text(item)?));
        }
        Ok(())
    }

    fn result(task: Task<'_>, p: &ClassificationPayload) -> Result<Vec<Value>, ExportError> {
        let to = object(task.t);
        let mut out = Vec::new();
        if !p.labels.is_empty() {
            out.push(region(
                "classes",
                "classes",
                to,
                "choices",
                json!({ "choices": p.labels }),
            ));
        }
        if let Some(u) = &p.unsure {
            out.push(region(
                "unsure",
                "unsure",
                to,
                "choices",
                json!({ "choices": ["unsure"] }),
            ));
            if !u.reason.is_empty() {
                out.push(textarea("unsure-reason", "unsure_reason", to, &u.reason));
            }
        }
        Ok(out)
    }

    fn import(task: Task<'_>, rs: &[Res<'_>]) -> Result<ClassificationPayload, ImportError> {
        let Spec::Classification { rules, .. } = &task.t.spec else {
            return err("result", format!("a {} template has no classes", task.t.kind()));
        };
        import(rules, rs)
    }

    fn config(fields: &ClassificationFields, rules: &ClassificationRules, x: &mut String) {
        let (tag, to) = if fields.is_image() {
            ("Image", "image")
        } else {
            ("Text", "text")
        };
        x.push_str(&format!("  <{tag} name=\"{to}\" value=\"${to}\"/>\n"));
        let choice = if rules.multi_label {
            "multiple"
        } else {
            "single-radio"
        };
        x.push_str(&format!(
            "  <Choices name=\"classes\" toName=\"{to}\" choice=\"{choice}\" showInline=\"true\">\n"
        ));
        for c in &rules.classes {
            let mut attrs = format!("value=\"{}\"", attr(&c.name));
            if !c.description.is_empty() {
                attrs.push_str(&format!(" hint=\"{}\"", attr(&c.description)));
            }
            if let Some(key) = &c.key {
                attrs.push_str(&format!(" hotkey=\"{}\"", attr(key)));
            }
            x.push_str(&format!("    <Choice {attrs}/>\n"));
        }
        x.push_str("  </Choices>\n");
        if rules.allow_unsure {
            x.push_str(&format!(
                "  <Choices name=\"unsure\" toName=\"{to}\">\n    <Choice value=\"unsure\"/>\n  </Choices>\n"
            ));
            x.push_str(&format!(
                "  <TextArea name=\"unsure_reason\" toName=\"{to}\" placeholder=\"Why unsure?\"/>\n"
            ));
        }
    }
}

/// Every `choices` result except `unsure` holds classes; they must all come from one control
/// (Sift's `classes`, or whatever a Label Studio project named it) and name classes of the
/// template.
fn import(rules: &ClassificationRules, rs: &[Res<'_>]) -> Result<ClassificationPayload, ImportError> {
    let mut p = ClassificationPayload::default();
    let mut control: Option<&str> = None;
    for r in rs {
        let from = r.str("from_name")?;
        match (r.str("type")?, from) {
            ("choices", "unsure") => {
                p.unsure.get_or_insert_with(Default::default);
            }
            ("textarea", "unsure_reason") => {
                p.unsure.get_or_insert_with(Default::default).reason = r.text("text")?;
            }
            ("choices", _) => {
                if let Some(first) = control
                    && first != from
                {
                    return err(
                        &format!("{}.from_name", r.path),
                        format!(
                            "choices from two controls, `{first}` and `{from}`; a classification template has one set of classes"
                        ),
                    );
                }
                control = Some(from);
                for (j, choice) in r.strings("choices")?.into_iter().enumerate() {
                    if rules.class(choice).is_none() {
                        let names: Vec<&str> = rules.classes.iter().map(|c| c.name.as_str()).collect();
                        return err(
                            &format!("{}[{j}]", r.value_path("choices")),
                            format!(
                                "`{choice}` is not a class of this template ({})",
                                names.join(", ")
                            ),
                        );
                    }
                    p.labels.push(choice.to_owned());
                }
            }
            (other, _) => {
                return err(
                    &r.path,
                    format!("unexpected `{other}` result `{from}` for a classification template"),
                );
            }
        }
    }
    Ok(p)
}
