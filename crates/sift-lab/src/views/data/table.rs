//! The item table: egui_extras' virtualized table draws only the rows on screen; rows whose
//! page has not arrived show a placeholder for a frame or two. The table takes keyboard focus
//! (Tab): arrows move, Space selects, Enter opens the detail pane, Ctrl+A selects all.

use std::collections::HashMap;

use eframe::egui::{self, Key, Modifiers, RichText, Sense, WidgetInfo, WidgetType};
use egui_extras::{Column, TableBuilder};
use sift_api::{Caller, Role};

use super::filters::SortChoice;
use super::{DataView, PAGE};
use crate::backend::Apply;
use crate::theme;
use crate::views::{Cx, Views, empty_state};

/// Height of a row (room for a thumbnail).
pub const ROW_HEIGHT: f32 = 24.0;
/// Thumbnails kept.
const MAX_THUMBS: usize = 400;

/// Thumbnails of image items, by item id.
#[derive(Debug, Default)]
pub struct Thumbs {
    map: HashMap<i64, Thumb>,
}

#[derive(Debug)]
enum Thumb {
    Loading,
    Decoded(egui::ColorImage),
    Ready(crate::media::Texture),
    Failed,
}

impl Thumbs {
    /// Turns decoded pictures into textures (on the UI thread, where textures are made).
    fn upload(&mut self, ctx: &egui::Context) {
        for (id, thumb) in &mut self.map {
            if let Thumb::Decoded(image) = thumb {
                let image = std::mem::take(image);
                *thumb = Thumb::Ready(crate::media::Texture(ctx.load_texture(
                    format!("thumb-{id}"),
                    image,
                    egui::TextureOptions::LINEAR,
                )));
            }
        }
    }

    fn texture(&self, id: i64) -> Option<&crate::media::Texture> {
        match self.map.get(&id) {
            Some(Thumb::Ready(t)) => Some(t),
            _ => None,
        }
    }

    /// Asks the media lane for the thumbnails of `ids` not asked for yet.
    fn request(&mut self, ids: &[i64], cx: &mut Cx<'_>) {
        if self.map.len() > MAX_THUMBS {
            self.map.retain(|id, _| ids.contains(id));
        }
        for &id in ids {
            if self.map.contains_key(&id) {
                continue;
            }
            self.map.insert(id, Thumb::Loading);
            cx.backend.media.run(move |p| {
                let lead = Caller {
                    name: String::new(),
                    role: Role::Lead,
                };
                // Only files inside the project's media folders, as for annotators.
                let image = p
                    .media_path_for(&lead, id)
                    .map_err(|e| e.to_string())
                    .and_then(|path| crate::media::load_image(&path, 44));
                Box::new(move |views: &mut Views| {
                    let thumbs = &mut views.data.thumbs.map;
                    thumbs.insert(id, image.map_or(Thumb::Failed, Thumb::Decoded));
                }) as Apply
            });
        }
    }
}

/// Room between the table and its focus ring (2 px wide, drawn inside the table's area).
const FOCUS_RING_GAP: f32 = 4.0;

/// Id of the table's focus target.
pub fn table_id() -> egui::Id {
    egui::Id::new("items-table")
}

impl DataView {
    pub(super) fn table(&mut self, ui: &mut egui::Ui, cx: &mut Cx<'_>) {
        self.thumbs.upload(ui.ctx());
        let n = self.ids.len();
        if n == 0 {
            if self.is_current(cx.revision) {
                let text = if self.listing_error.is_some() {
                    "The listing failed (see above)."
                } else if self
                    .facets
                    .as_ref()
                    .is_some_and(|_| self.filters.query() != Default::default())
                {
                    "No items match these filters."
                } else {
                    "No items yet: import a manifest (Ctrl+I)."
                };
                empty_state(ui, text);
            } else {
                crate::views::loading(ui, "items");
            }
            return;
        }
        let area = ui.available_rect_before_wrap();
        let focus = ui.interact(area, table_id(), Sense::focusable_noninteractive());
        focus.widget_info(|| WidgetInfo::labeled(WidgetType::Other, true, format!("Items table, {n} rows")));
        if focus.has_focus() {
            // Arrows move the cursor, not the focus (Tab still leaves the table).
            ui.memory_mut(|m| {
                m.set_focus_lock_filter(
                    table_id(),
                    egui::EventFilter {
                        horizontal_arrows: true,
                        vertical_arrows: true,
                        tab: false,
                        escape: true,
                    },
                );
            });
            self.keys(ui);
        }
        let facet = self.filters.model.and_then(|m| {
            self.facets
                .as_ref()?
                .models
                .iter()
                .find(|x| x.model_version_id == m)
        });
        let strategies: Vec<String> = facet.map(|m| m.strategies.clone()).unwrap_or_default();
        // A head of the learning loop adds its predicted class and that class's probability.
        let predicts = facet.is_some_and(|m| !m.classes.is_empty());
        let dark = ui.visuals().dark_mode;
        let modifiers = ui.input(|i| i.modifiers);
        // The table sits inside the focus ring, clear of it (the ring would hide the first
        // letter of the first header).
        let mut inner = ui.new_child(
            egui::UiBuilder::new()
                .id_salt("items-inner")
                .max_rect(area.shrink(FOCUS_RING_GAP))
                .layout(*ui.layout()),
        );
        let mut builder = TableBuilder::new(&mut inner)
            .id_salt("items")
            .striped(true)
            .resizable(true)
            .sense(Sense::click())
            .column(Column::exact(96.0))
            .column(Column::initial(380.0).at_least(120.0).clip(true))
            .column(Column::exact(86.0))
            .column(Column::initial(120.0).clip(true))
            .column(Column::initial(110.0).clip(true))
            .columns(Column::initial(90.0).clip(true), if predicts { 2 } else { 0 })
            .columns(Column::exact(84.0), strategies.len())
            .column(Column::remainder().at_least(120.0).clip(true));
        if let Some(row) = self.scroll_to.take() {
            builder = builder.scroll_to_row(row, None);
        }
        let mut sort_clicked: Option<SortChoice> = None;
        let (mut first, mut last) = (usize::MAX, 0_usize);
        let mut clicked: Option<usize> = None;
        let mut toggled: Option<usize> = None;
        let mut thumbs_wanted: Vec<i64> = Vec::new();
        let this = &*self;
        builder
            .header(26.0, |mut header| {
                let mut sortable =
                    |header: &mut egui_extras::TableRow<'_, '_>, title: &str, choice: Option<SortChoice>| {
                        header.col(|ui| {
                            let Some(choice) = choice else {
                                ui.strong(title);
                                return;
                            };
                            let arrow = if this.filters.sort == choice {
                                if this.filters.descending { " ⏷" } else { " ⏶" }
                            } else {
                                ""
                            };
                            if ui
                                .add(
                                    egui::Button::new(RichText::new(format!("{title}{arrow}")).strong())
                                        .frame(false),
                                )
                                .on_hover_text(format!("Sort by {}", title.to_lowercase()))
                                .clicked()
                            {
                                sort_clicked = Some(choice);
                            }
                        });
                    };
                sortable(&mut header, "Item", Some(SortChoice::Import));
                sortable(&mut header, "Text or media", None);
                sortable(&mut header, "State", Some(SortChoice::State));
                sortable(&mut header, "People", None);
                sortable(&mut header, "Batch", None);
                if predicts {
                    sortable(&mut header, "Predicted", None);
                    sortable(&mut header, "Confidence", None);
                }
                for s in &strategies {
                    sortable(&mut header, s, Some(SortChoice::Score(s.clone())));
                }
                sortable(&mut header, "Last change", Some(SortChoice::Updated));
            })
            .body(|body| {
                body.rows(ROW_HEIGHT, n, |mut row| {
                    let i = row.index();
                    first = first.min(i);
                    last = last.max(i);
                    let id = this.ids[i];
                    let selected = this.selected.contains(&id);
                    row.set_selected(selected);
                    if this.cursor == Some(i) {
                        row.set_overline(true);
                    }
                    row.col(|ui| {
                        let mut on = selected;
                        let response = ui.checkbox(&mut on, id.to_string());
                        response.widget_info(|| {
                            WidgetInfo::selected(WidgetType::Checkbox, true, on, format!("Select item {id}"))
                        });
                        if response.clicked() {
                            toggled = Some(i);
                        }
                    });
                    let Some(item) = this.row(i) else {
                        let text = this.page_error(i).map_or("…", |_| "(could not load)");
                        row.col(|ui| {
                            ui.label(RichText::new(text).weak());
                        });
                        return;
                    };
                    row.col(|ui| {
                        if let Some(path) = &item.media_path {
                            if let Some(texture) = this.thumbs.texture(id) {
                                let size = texture.size_vec2();
                                let scale = (ROW_HEIGHT - 2.0) / size.y.max(1.0);
                                ui.image((texture.id(), size * scale));
                            } else {
                                thumbs_wanted.push(id);
                            }
                            let name = std::path::Path::new(path)
                                .file_name()
                                .map_or_else(|| path.clone(), |n| n.to_string_lossy().into_owned());
                            ui.label(name);
                        } else {
                            ui.label(&item.preview);
                        }
                    });
                    row.col(|ui| {
                        ui.label(
                            RichText::new(item.state.as_str()).color(theme::state_color(item.state, dark)),
                        );
                    });
                    row.col(|ui| {
                        let people = match (item.annotators.is_empty(), item.assigned.is_empty()) {
                            (false, _) => item.annotators.clone(),
                            (true, false) => format!("→ {}", item.assigned),
                            (true, true) => String::new(),
                        };
                        ui.label(people);
                    });
                    row.col(|ui| {
                        ui.label(item.batch.as_deref().unwrap_or(""));
                    });
                    if predicts {
                        let prediction = item.prediction.as_ref();
                        row.col(|ui| {
                            ui.label(prediction.map_or("", |p| p.label.as_str()));
                        });
                        row.col(|ui| {
                            let confidence = prediction.and_then(|p| p.confidence);
                            ui.label(confidence.map_or_else(String::new, |c| format!("{:.1}%", c * 100.0)));
                        });
                    }
                    for s in &strategies {
                        row.col(|ui| {
                            let score = item
                                .scores
                                .iter()
                                .find(|(name, _)| name == s)
                                .and_then(|(_, v)| *v);
                            ui.label(score.map_or_else(String::new, |v| format!("{v:.3}")));
                        });
                    }
                    row.col(|ui| {
                        ui.label(item.updated_at.as_deref().map(short_time).unwrap_or_default());
                    });
                    if row.response().clicked() {
                        clicked = Some(i);
                    }
                });
            });
        ui.advance_cursor_after_rect(area);
        if focus.has_focus() {
            ui.painter().rect_stroke(
                area,
                2.0,
                egui::Stroke::new(2.0, theme::accent(ui)),
                egui::StrokeKind::Inside,
            );
        }
        if let Some(choice) = sort_clicked {
            if self.filters.sort == choice {
                self.filters.descending = !self.filters.descending;
            } else {
                self.filters.sort = choice;
                self.filters.descending = false;
            }
        }
        if let Some(i) = toggled {
            self.toggle_row(i);
        } else if let Some(i) = clicked {
            self.click_row(i, modifiers);
            ui.memory_mut(|m| m.request_focus(table_id()));
        }
        if first != usize::MAX {
            self.want_pages(first / PAGE, last / PAGE, cx);
        }
        if !thumbs_wanted.is_empty() {
            self.thumbs.request(&thumbs_wanted, cx);
        }
        // Rows still loading: look again soon.
        if (first..=last.max(first))
            .any(|i| first != usize::MAX && self.row(i).is_none() && self.page_error(i).is_none())
        {
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(30));
        }
    }

    /// Keys for the focused table.
    fn keys(&mut self, ui: &mut egui::Ui) {
        let (down, up, page_down, page_up, home, end, space, enter, all, escape, shift) = ui.input_mut(|i| {
            let shift = i.modifiers.shift;
            let plain = if shift { Modifiers::SHIFT } else { Modifiers::NONE };
            (
                // Counted: several presses can arrive in one frame (key repeat, a slow frame).
                i.count_and_consume_key(plain, Key::ArrowDown),
                i.count_and_consume_key(plain, Key::ArrowUp),
                i.count_and_consume_key(plain, Key::PageDown),
                i.count_and_consume_key(plain, Key::PageUp),
                i.consume_key(Modifiers::NONE, Key::Home),
                i.consume_key(Modifiers::NONE, Key::End),
                i.consume_key(Modifiers::NONE, Key::Space),
                i.consume_key(Modifiers::NONE, Key::Enter),
                i.consume_key(Modifiers::COMMAND, Key::A),
                i.consume_key(Modifiers::NONE, Key::Escape),
                shift,
            )
        });
        let rows = |n: usize, per: isize| isize::try_from(n).unwrap_or(isize::MAX / 64).saturating_mul(per);
        let delta = rows(down, 1) - rows(up, 1) + rows(page_down, 20) - rows(page_up, 20);
        if delta != 0 {
            self.move_cursor(delta, shift);
        }
        if home {
            self.move_cursor(isize::MIN / 2, false);
        }
        if end {
            self.move_cursor(isize::MAX / 2, false);
        }
        if space && let Some(c) = self.cursor {
            self.toggle_row(c);
        }
        if enter && let Some(id) = self.cursor.and_then(|c| self.ids.get(c).copied()) {
            self.detail.open(id);
        }
        if all {
            self.select_all();
        }
        if escape {
            self.selected.clear();
        }
    }
}

/// `2026-03-01T12:34:56.789Z` as `2026-03-01 12:34`.
pub fn short_time(at: &str) -> String {
    at.get(..16).unwrap_or(at).replacen('T', " ", 1)
}
