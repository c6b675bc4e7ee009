//! A scatter plot that stays interactive at 100,000 points: the points are rasterised into
//! one texture (a few milliseconds, only when the view, colours or selection change), so a
//! frame draws one textured rectangle whatever the number of points. Hover finds the nearest
//! point through a grid; box and lasso selections are tested in screen space.
//!
//! Mouse: scroll zooms about the pointer, dragging selects (box or lasso), dragging with the
//! right or middle button pans. Keyboard (when focused): arrows pan, `+`/`-` zoom, `0` resets.

use std::sync::Arc;

use eframe::egui::{self, Color32, Pos2, Rect, Sense, Vec2};

/// Point size in physical pixels.
const DOT: i32 = 3;

/// How a drag selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// A rectangle from where the drag started.
    Box,
    /// A free shape following the pointer.
    Lasso,
}

/// What changes the picture (when equal, the texture is reused).
#[derive(Debug, Clone, PartialEq)]
struct RasterKey {
    size: [usize; 2],
    zoom: f32,
    centre: Pos2,
    colours: u64,
    selection: u64,
    dark: bool,
}

/// The plot's state: the points, the view, the cached picture and the hover grid.
#[derive(Debug)]
pub struct Scatter {
    xy: Arc<Vec<[f32; 2]>>,
    bounds: Rect,
    /// Screen pixels per data unit at zoom 1 are set so the bounds fill the plot.
    pub zoom: f32,
    /// The data point at the plot's centre.
    pub centre: Pos2,
    texture: Option<crate::media::Texture>,
    key: Option<RasterKey>,
    grid: Grid,
    lasso: Vec<Pos2>,
    drag_start: Option<Pos2>,
}

impl Default for Scatter {
    fn default() -> Self {
        Scatter {
            xy: Arc::default(),
            bounds: Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)),
            zoom: 1.0,
            centre: Pos2::new(0.5, 0.5),
            texture: None,
            key: None,
            grid: Grid::default(),
            lasso: Vec::new(),
            drag_start: None,
        }
    }
}

/// What happened in the plot this frame.
#[derive(Debug)]
pub struct ScatterOutput {
    /// The point under the pointer.
    pub hovered: Option<usize>,
    /// A finished box or lasso selection (indices into the points).
    pub selected: Option<Vec<usize>>,
    /// The plot's response (for its tooltip).
    pub response: egui::Response,
}

impl Scatter {
    /// Shows `xy` from now on (the view is reset to fit them).
    pub fn set_points(&mut self, xy: Arc<Vec<[f32; 2]>>) {
        let mut bounds = Rect::NOTHING;
        for p in xy.iter() {
            if p[0].is_finite() && p[1].is_finite() {
                bounds.extend_with(Pos2::new(p[0], p[1]));
            }
        }
        if !bounds.is_positive() {
            bounds = Rect::from_center_size(bounds.center().max(Pos2::ZERO), Vec2::splat(1.0));
        }
        self.bounds = bounds.expand2(bounds.size() * 0.04);
        self.grid = Grid::build(&xy, self.bounds);
        self.xy = xy;
        self.reset_view();
    }

    /// Fits every point in view again (the `0` key).
    pub fn reset_view(&mut self) {
        self.zoom = 1.0;
        self.centre = self.bounds.center();
        self.key = None;
    }

    /// Data units to screen points: the scale that fits the bounds, times the zoom.
    fn scale(&self, rect: Rect) -> f32 {
        let fit = (rect.width() / self.bounds.width()).min(rect.height() / self.bounds.height());
        fit * self.zoom
    }

    fn to_screen(&self, rect: Rect, p: [f32; 2]) -> Pos2 {
        let s = self.scale(rect);
        Pos2::new(
            rect.center().x + (p[0] - self.centre.x) * s,
            rect.center().y - (p[1] - self.centre.y) * s,
        )
    }

    fn to_data(&self, rect: Rect, q: Pos2) -> Pos2 {
        let s = self.scale(rect);
        Pos2::new(
            self.centre.x + (q.x - rect.center().x) / s,
            self.centre.y - (q.y - rect.center().y) / s,
        )
    }

    /// Draws the plot filling `size`; `colour` gives each point's colour, `selected` whether it
    /// is selected. `colours` and `selection` are generation numbers of those two.
    pub fn show(
        &mut self,
        ui: &mut egui::Ui,
        size: Vec2,
        tool: Tool,
        colour: &dyn Fn(usize) -> Color32,
        selected: &dyn Fn(usize) -> bool,
        generations: (u64, u64),
    ) -> ScatterOutput {
        let (rect, response) = ui.allocate_exact_size(size, Sense::click_and_drag());
        response.widget_info(|| {
            egui::WidgetInfo::labeled(
                egui::WidgetType::Other,
                true,
                format!("Data map, {} points", self.xy.len()),
            )
        });
        let mut out = ScatterOutput {
            hovered: None,
            selected: None,
            response: response.clone(),
        };
        self.navigate(ui, rect, &response);
        // Selection by dragging with the primary button.
        let pointer = response.interact_pointer_pos();
        if response.drag_started_by(egui::PointerButton::Primary) {
            // The selection starts where the button went down, not where the drag was
            // recognised (a few pixels further on).
            self.drag_start = ui.input(|i| i.pointer.press_origin()).or(pointer);
            self.lasso.clear();
            self.lasso.extend(self.drag_start);
        }
        if response.dragged_by(egui::PointerButton::Primary)
            && let Some(p) = pointer
            && self.lasso.last().is_none_or(|last| last.distance(p) > 3.0)
        {
            self.lasso.push(p);
        }
        if response.drag_stopped()
            && let Some(start) = self.drag_start.take()
        {
            let end = self.lasso.last().copied().unwrap_or(start);
            let picked = match tool {
                Tool::Box => self.in_box(rect, Rect::from_two_pos(start, end)),
                Tool::Lasso => self.in_lasso(rect),
            };
            self.lasso.clear();
            out.selected = Some(picked);
        }
        // The picture.
        let ppp = ui.ctx().pixels_per_point();
        let px = [
            ((rect.width() * ppp).round() as usize).max(1),
            ((rect.height() * ppp).round() as usize).max(1),
        ];
        let key = RasterKey {
            size: px,
            zoom: self.zoom,
            centre: self.centre,
            colours: generations.0,
            selection: generations.1,
            dark: ui.visuals().dark_mode,
        };
        if self.key.as_ref() != Some(&key) || self.texture.is_none() {
            let image = self.raster(rect, px, ppp, colour, selected, key.dark);
            match &mut self.texture {
                Some(t) => t.set(image, egui::TextureOptions::NEAREST),
                None => {
                    self.texture = Some(crate::media::Texture(ui.ctx().load_texture(
                        "data-map",
                        image,
                        egui::TextureOptions::NEAREST,
                    )))
                }
            }
            self.key = Some(key);
        }
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
        if let Some(t) = &self.texture {
            painter.image(
                t.id(),
                rect,
                Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)),
                Color32::WHITE,
            );
        }
        let stroke = egui::Stroke::new(1.5, ui.visuals().selection.stroke.color);
        if let (Some(start), Some(end)) = (self.drag_start, self.lasso.last()) {
            match tool {
                Tool::Box => {
                    painter.rect_stroke(
                        Rect::from_two_pos(start, *end),
                        0.0,
                        stroke,
                        egui::StrokeKind::Middle,
                    );
                }
                Tool::Lasso => {
                    painter.add(egui::Shape::closed_line(self.lasso.clone(), stroke));
                }
            }
        }
        if response.has_focus() {
            painter.rect_stroke(
                rect,
                2.0,
                egui::Stroke::new(2.0, ui.visuals().selection.stroke.color),
                egui::StrokeKind::Inside,
            );
        }
        if let Some(hover) = response.hover_pos()
            && self.drag_start.is_none()
        {
            out.hovered = self.nearest(rect, hover, 6.0);
            if let Some(i) = out.hovered {
                let p = self.to_screen(rect, self.xy[i]);
                painter.circle_stroke(p, 5.0, egui::Stroke::new(1.5, ui.visuals().strong_text_color()));
            }
        }
        out
    }

    /// Zoom (scroll, `+`/`-`), pan (secondary or middle drag, arrows) and reset (`0`).
    fn navigate(&mut self, ui: &egui::Ui, rect: Rect, response: &egui::Response) {
        if response.hovered() {
            let scroll = ui.input(|i| i.smooth_scroll_delta.y);
            if scroll != 0.0 {
                let factor = (scroll / 200.0).exp();
                if let Some(p) = response.hover_pos() {
                    let before = self.to_data(rect, p);
                    self.zoom = (self.zoom * factor).clamp(0.2, 500.0);
                    let after = self.to_data(rect, p);
                    self.centre += before - after;
                }
            }
        }
        if response.dragged_by(egui::PointerButton::Secondary)
            || response.dragged_by(egui::PointerButton::Middle)
        {
            let d = response.drag_delta();
            let s = self.scale(rect);
            self.centre += Vec2::new(-d.x / s, d.y / s);
        }
        if response.clicked() {
            response.request_focus();
        }
        if response.has_focus() {
            let s = self.scale(rect);
            let step = 40.0 / s;
            ui.input(|i| {
                if i.key_pressed(egui::Key::ArrowLeft) {
                    self.centre.x -= step;
                }
                if i.key_pressed(egui::Key::ArrowRight) {
                    self.centre.x += step;
                }
                if i.key_pressed(egui::Key::ArrowUp) {
                    self.centre.y += step;
                }
                if i.key_pressed(egui::Key::ArrowDown) {
                    self.centre.y -= step;
                }
                if i.key_pressed(egui::Key::Plus) || i.key_pressed(egui::Key::Equals) {
                    self.zoom = (self.zoom * 1.25).min(500.0);
                }
                if i.key_pressed(egui::Key::Minus) {
                    self.zoom = (self.zoom / 1.25).max(0.2);
                }
            });
            if ui.input(|i| i.key_pressed(egui::Key::Num0)) {
                self.reset_view();
            }
        }
    }

    fn raster(
        &self,
        rect: Rect,
        px: [usize; 2],
        ppp: f32,
        colour: &dyn Fn(usize) -> Color32,
        selected: &dyn Fn(usize) -> bool,
        dark: bool,
    ) -> egui::ColorImage {
        let (w, h) = (px[0] as i32, px[1] as i32);
        let mut pixels = vec![Color32::TRANSPARENT; px[0] * px[1]];
        let s = self.scale(rect) * ppp;
        let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
        let mut plot = |i: usize, size: i32, c: Color32| {
            let p = self.xy[i];
            let x = (cx + (p[0] - self.centre.x) * s) as i32;
            let y = (cy - (p[1] - self.centre.y) * s) as i32;
            let half = size / 2;
            for yy in (y - half).max(0)..(y - half + size).min(h) {
                let row = (yy * w) as usize;
                for xx in (x - half).max(0)..(x - half + size).min(w) {
                    pixels[row + xx as usize] = c;
                }
            }
        };
        let mut chosen = Vec::new();
        for i in 0..self.xy.len() {
            if selected(i) {
                chosen.push(i);
            } else {
                plot(i, DOT, colour(i));
            }
        }
        // Selected points on top, larger, with an outline.
        let ring = if dark { Color32::WHITE } else { Color32::BLACK };
        for &i in &chosen {
            plot(i, DOT + 4, ring);
        }
        for &i in &chosen {
            plot(i, DOT + 1, colour(i));
        }
        egui::ColorImage::new(px, pixels)
    }

    fn in_box(&self, rect: Rect, area: Rect) -> Vec<usize> {
        (0..self.xy.len())
            .filter(|&i| area.contains(self.to_screen(rect, self.xy[i])))
            .collect()
    }

    fn in_lasso(&self, rect: Rect) -> Vec<usize> {
        if self.lasso.len() < 3 {
            return Vec::new();
        }
        let mut area = Rect::NOTHING;
        for p in &self.lasso {
            area.extend_with(*p);
        }
        (0..self.xy.len())
            .filter(|&i| {
                let q = self.to_screen(rect, self.xy[i]);
                area.contains(q) && inside(&self.lasso, q)
            })
            .collect()
    }

    /// The point nearest to `pos` within `radius` screen points.
    fn nearest(&self, rect: Rect, pos: Pos2, radius: f32) -> Option<usize> {
        let s = self.scale(rect);
        let d = self.to_data(rect, pos);
        let r = radius / s;
        let mut best: Option<(f32, usize)> = None;
        for i in self.grid.near(d, r) {
            let q = self.to_screen(rect, self.xy[i]);
            let dist = q.distance(pos);
            if dist <= radius && best.is_none_or(|(b, _)| dist < b) {
                best = Some((dist, i));
            }
        }
        best.map(|(_, i)| i)
    }
}

/// Whether `q` is inside the polygon (even-odd rule).
fn inside(poly: &[Pos2], q: Pos2) -> bool {
    let mut inside = false;
    let mut j = poly.len() - 1;
    for i in 0..poly.len() {
        let (a, b) = (poly[i], poly[j]);
        if (a.y > q.y) != (b.y > q.y) && q.x < (b.x - a.x) * (q.y - a.y) / (b.y - a.y) + a.x {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// Point indices by cell of a uniform grid over the data bounds.
#[derive(Debug, Default)]
struct Grid {
    bounds: Option<Rect>,
    side: usize,
    cells: Vec<Vec<u32>>,
}

impl Grid {
    fn build(xy: &[[f32; 2]], bounds: Rect) -> Grid {
        let side = ((xy.len() as f64).sqrt() / 2.0).clamp(1.0, 512.0) as usize;
        let mut cells = vec![Vec::new(); side * side];
        let grid = Grid {
            bounds: Some(bounds),
            side,
            cells: Vec::new(),
        };
        for (i, p) in xy.iter().enumerate() {
            if let Some(c) = grid.cell(Pos2::new(p[0], p[1])) {
                cells[c.1 * side + c.0].push(i as u32);
            }
        }
        Grid { cells, ..grid }
    }

    fn cell(&self, p: Pos2) -> Option<(usize, usize)> {
        let b = self.bounds?;
        if !p.x.is_finite() || !p.y.is_finite() {
            return None;
        }
        let fx = ((p.x - b.min.x) / b.width()).clamp(0.0, 0.999_999);
        let fy = ((p.y - b.min.y) / b.height()).clamp(0.0, 0.999_999);
        Some(((fx * self.side as f32) as usize, (fy * self.side as f32) as usize))
    }

    /// Indices in the cells within `r` (data units) of `p`.
    fn near(&self, p: Pos2, r: f32) -> impl Iterator<Item = usize> + '_ {
        let (lo, hi) = match (self.cell(p - Vec2::splat(r)), self.cell(p + Vec2::splat(r))) {
            (Some(lo), Some(hi)) => (lo, hi),
            _ => ((1, 1), (0, 0)),
        };
        (lo.1..=hi.1.max(lo.1).min(self.side.saturating_sub(1)))
            .filter(move |_| lo.0 <= hi.0)
            .flat_map(move |y| (lo.0..=hi.0).map(move |x| (x, y)))
            .flat_map(move |(x, y)| self.cells[y * self.side + x].iter().map(|&i| i as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lasso_and_grid_find_the_right_points() {
        let square = [
            Pos2::new(0.0, 0.0),
            Pos2::new(10.0, 0.0),
            Pos2::new(10.0, 10.0),
            Pos2::new(0.0, 10.0),
        ];
        assert!(inside(&square, Pos2::new(5.0, 5.0)));
        assert!(!inside(&square, Pos2::new(15.0, 5.0)));
        let xy: Vec<[f32; 2]> = (0..10_000)
            .map(|i| [(i % 100) as f32, (i / 100) as f32])
            .collect();
        let bounds = Rect::from_min_max(Pos2::ZERO, Pos2::new(99.0, 99.0));
        let grid = Grid::build(&xy, bounds);
        let near: Vec<usize> = grid.near(Pos2::new(50.2, 50.1), 0.5).collect();
        assert!(near.contains(&(50 * 100 + 50)));
        assert!(near.len() < 200, "only nearby cells are visited: {}", near.len());
    }
}
