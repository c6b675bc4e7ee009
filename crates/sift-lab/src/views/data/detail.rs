//! The detail pane: one item (its text, its image or a video's poster), where it came from,
//! its batches and scores, and everyone's work on it with every saved version and review
//! (`Project::item_detail`).

use eframe::egui::{self, RichText};
use sift_api::browse::{ItemDetail, ItemMedia};

use super::table::short_time;
use crate::backend::{Apply, message};
use crate::theme;
use crate::views::{Cx, Views, error_line, loading, stale};

/// Largest picture shown, in pixels per side.
const PICTURE_SIDE: u32 = 1024;

#[derive(Debug)]
enum Picture {
    None,
    Loading,
    Decoded(egui::ColorImage),
    Ready(crate::media::Texture),
    Failed(String),
}

/// Which view a detail pane belongs to (where its answers are delivered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemOf {
    /// The data manager's pane.
    Data,
    /// The reviews view's pane.
    Reviews,
}

/// The pane's state.
#[derive(Debug)]
pub struct DetailPane {
    of: ItemOf,
    item: Option<i64>,
    detail: Option<Result<ItemDetail, String>>,
    loaded: Option<(i64, u64)>,
    picture: Picture,
}

impl Default for DetailPane {
    fn default() -> Self {
        DetailPane::new(ItemOf::Data)
    }
}

/// The pane of `of` in `views`.
fn pane(views: &mut Views, of: ItemOf) -> &mut DetailPane {
    match of {
        ItemOf::Data => &mut views.data.detail,
        ItemOf::Reviews => &mut views.reviews.item,
    }
}

impl DetailPane {
    /// An empty pane of the view `of`.
    pub fn new(of: ItemOf) -> Self {
        DetailPane {
            of,
            item: None,
            detail: None,
            loaded: None,
            picture: Picture::None,
        }
    }

    /// Shows `id` (loaded when next drawn).
    pub fn open(&mut self, id: i64) {
        if self.item != Some(id) {
            self.item = Some(id);
            self.detail = None;
            self.picture = Picture::None;
        }
    }

    /// Empties the pane.
    pub fn close(&mut self) {
        *self = DetailPane::new(self.of);
    }

    /// The item shown, if any.
    pub fn item(&self) -> Option<i64> {
        self.item
    }

    fn refresh(&mut self, cx: &mut Cx<'_>) {
        let Some(id) = self.item else {
            return;
        };
        if !stale(self.loaded.filter(|(i, _)| *i == id).map(|(_, r)| r), cx.revision) {
            return;
        }
        self.loaded = Some((id, cx.revision));
        let of = self.of;
        cx.backend.pages.run(move |p| {
            let detail = p.item_detail(id).map_err(|e| message(&e));
            Box::new(move |views: &mut Views| {
                let pane = pane(views, of);
                if pane.item == Some(id) {
                    pane.detail = Some(detail);
                }
            }) as Apply
        });
    }

    fn request_picture(&mut self, id: i64, media: &ItemMedia, cx: &mut Cx<'_>) {
        let ItemMedia::File { path, video } = media.clone() else {
            return;
        };
        self.picture = Picture::Loading;
        let of = self.of;
        cx.backend.media.run(move |_p| {
            let picture = if video {
                crate::media::video_poster(&path, PICTURE_SIDE)
            } else {
                crate::media::load_image(&path, PICTURE_SIDE)
            };
            Box::new(move |views: &mut Views| {
                let pane = pane(views, of);
                if pane.item == Some(id) {
                    pane.picture = match picture {
                        Ok(image) => Picture::Decoded(image),
                        Err(e) => Picture::Failed(e),
                    };
                }
            }) as Apply
        });
    }

    /// Draws the pane: the item, its picture, batches, scores and annotation history (loading it
    /// first when needed).
    pub fn show(&mut self, ui: &mut egui::Ui, cx: &mut Cx<'_>) {
        self.refresh(cx);
        let Some(id) = self.item else {
            return;
        };
        if self.of == ItemOf::Data {
            ui.horizontal(|ui| {
                ui.heading(format!("Item {id}"));
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if ui
                        .button("Close")
                        .on_hover_text("Close the detail pane")
                        .clicked()
                    {
                        self.close();
                    }
                });
            });
        }
        if self.item.is_none() {
            return;
        }
        let detail = match &self.detail {
            None => {
                loading(ui, "the item");
                return;
            }
            Some(Err(e)) => {
                error_line(ui, e);
                return;
            }
            Some(Ok(d)) => d.clone(),
        };
        if matches!(self.picture, Picture::None)
            && let Some(media) = &detail.media
        {
            self.request_picture(id, media, cx);
        }
        if let Picture::Decoded(image) = &mut self.picture {
            let image = std::mem::take(image);
            self.picture = Picture::Ready(crate::media::Texture(ui.ctx().load_texture(
                format!("detail-{id}"),
                image,
                egui::TextureOptions::LINEAR,
            )));
        }
        egui::ScrollArea::vertical().auto_shrink(false).show(ui, |ui| {
            if let Some(source) = &detail.source {
                ui.label(
                    RichText::new(format!(
                        "From {}:{} (imported {})",
                        source.file,
                        source.line,
                        short_time(&source.imported_at)
                    ))
                    .weak(),
                );
            }
            match (&detail.media, &self.picture) {
                (Some(ItemMedia::Unavailable { reference, reason }), _) => {
                    ui.label(format!("Media: {reference}"));
                    error_line(ui, reason);
                }
                (Some(ItemMedia::File { path, .. }), picture) => {
                    ui.label(RichText::new(path.display().to_string()).weak());
                    match picture {
                        Picture::Ready(texture) => {
                            let size = texture.size_vec2();
                            let scale = (ui.available_width() / size.x).min(1.0);
                            ui.image((texture.id(), size * scale));
                        }
                        Picture::Failed(e) => error_line(ui, e),
                        _ => loading(ui, "the picture"),
                    }
                }
                (None, _) => {}
            }
            for (key, text) in &detail.texts {
                ui.label(RichText::new(key).strong());
                ui.label(text);
                ui.add_space(4.0);
            }
            if !detail.batches.is_empty() {
                ui.separator();
                ui.label(RichText::new("Batches").strong());
                for b in &detail.batches {
                    let score = b.score.map(|s| format!(", score {s:.3}")).unwrap_or_default();
                    let who = if b.assigned.is_empty() {
                        "unassigned".to_owned()
                    } else {
                        format!("assigned to {}", b.assigned)
                    };
                    ui.label(format!("{} (position {}{score}), {who}", b.batch, b.position + 1));
                }
            }
            if !detail.scores.is_empty() {
                ui.separator();
                ui.label(RichText::new("Scores").strong());
                egui::Grid::new("detail-scores").striped(true).show(ui, |ui| {
                    for s in &detail.scores {
                        ui.label(format!("{}@{}", s.model, s.version));
                        ui.label(&s.strategy);
                        match (&s.score, &s.error) {
                            (Some(v), _) => ui.label(format!("{v:.4}")),
                            (None, Some(e)) => ui.label(RichText::new(e).color(ui.visuals().error_fg_color)),
                            (None, None) => ui.label("—"),
                        };
                        ui.end_row();
                    }
                });
            }
            ui.separator();
            ui.label(RichText::new("Annotation history").strong());
            if detail.annotations.is_empty() {
                ui.label(
                    RichText::new("Nobody has worked on this item yet.")
                        .italics()
                        .weak(),
                );
            }
            let dark = ui.visuals().dark_mode;
            for a in &detail.annotations {
                let state_color = theme::state_color(state_of(a.state), dark);
                let title = RichText::new(format!(
                    "{}: {} (version {}, {} min)",
                    a.annotator,
                    a.state.as_str(),
                    a.versions.len(),
                    a.time_spent_ms / 60_000
                ))
                .color(state_color);
                egui::CollapsingHeader::new(title)
                    .id_salt(("annotation", a.annotation_id))
                    .default_open(true)
                    .show(ui, |ui| {
                        for v in a.versions.iter().rev() {
                            let kind = if v.submitted { "submitted" } else { "draft" };
                            egui::CollapsingHeader::new(format!(
                                "v{} {kind} at {} ({} s)",
                                v.version,
                                short_time(&v.created_at),
                                v.time_spent_ms / 1000
                            ))
                            .id_salt(("version", a.annotation_id, v.version))
                            .default_open(false)
                            .show(ui, |ui| {
                                let pretty = serde_json::from_str::<serde_json::Value>(&v.payload)
                                    .ok()
                                    .and_then(|j| serde_json::to_string_pretty(&j).ok())
                                    .unwrap_or_else(|| v.payload.clone());
                                ui.label(RichText::new(pretty).monospace());
                            });
                        }
                        for r in &a.reviews {
                            let comment = r
                                .comment
                                .as_deref()
                                .map(|c| format!(": “{c}”"))
                                .unwrap_or_default();
                            ui.label(format!(
                                "{} {} v{} at {}{comment}",
                                r.reviewer,
                                r.decision.as_str(),
                                r.version,
                                short_time(&r.created_at)
                            ));
                        }
                    });
            }
        });
    }
}

/// The item-state colour of an annotation state.
fn state_of(state: sift_api::AnnotationState) -> sift_api::browse::ItemState {
    use sift_api::AnnotationState as A;
    use sift_api::browse::ItemState as I;
    match state {
        A::Draft => I::Draft,
        A::Submitted => I::Submitted,
        A::Approved => I::Approved,
        A::Returned => I::Returned,
    }
}
