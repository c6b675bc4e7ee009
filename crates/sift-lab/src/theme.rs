//! Look and feel: light and dark themes (following the system unless chosen), a focus ring
//! that is easy to see when moving with the keyboard, and the colours of item states and
//! categories used by the overview, the table and the map.

use eframe::egui::{self, Color32, Stroke, Theme, ThemePreference};
use sift_api::browse::ItemState;

/// Applies the Lab's styling to both themes; `preference` picks light, dark or the system's
/// (`None` leaves the context's choice, the system's by default).
pub fn install(ctx: &egui::Context, preference: Option<ThemePreference>) {
    if let Some(preference) = preference {
        ctx.options_mut(|o| o.theme_preference = preference);
    }
    for theme in [Theme::Light, Theme::Dark] {
        ctx.style_mut_of(theme, |style| {
            let accent = if theme == Theme::Dark {
                Color32::from_rgb(0x5e, 0xa8, 0xff)
            } else {
                Color32::from_rgb(0x0b, 0x57, 0xd0)
            };
            // Keyboard focus: a 2 px accent ring on whatever has focus (buttons, fields,
            // the table), visible against both backgrounds.
            style.visuals.widgets.active.bg_stroke = Stroke::new(2.0, accent);
            style.visuals.selection.stroke = Stroke::new(2.0, accent);
            style.visuals.selection.bg_fill = accent.gamma_multiply(0.35);
            style.spacing.item_spacing = egui::vec2(8.0, 6.0);
            style.spacing.button_padding = egui::vec2(8.0, 4.0);
            style.interaction.selectable_labels = true;
        });
    }
}

/// The accent colour of the current theme.
pub fn accent(ui: &egui::Ui) -> Color32 {
    ui.visuals().selection.stroke.color
}

/// The colour of an item state.
pub fn state_color(state: ItemState, dark: bool) -> Color32 {
    let (light, dark_c) = match state {
        ItemState::Unlabeled => (
            Color32::from_rgb(0x9a, 0xa0, 0xa6),
            Color32::from_rgb(0x80, 0x86, 0x8b),
        ),
        ItemState::Draft => (
            Color32::from_rgb(0xf2, 0x99, 0x00),
            Color32::from_rgb(0xfb, 0xbc, 0x04),
        ),
        ItemState::Returned => (
            Color32::from_rgb(0xd9, 0x30, 0x25),
            Color32::from_rgb(0xf2, 0x8b, 0x82),
        ),
        ItemState::Submitted => (
            Color32::from_rgb(0x1a, 0x73, 0xe8),
            Color32::from_rgb(0x8a, 0xb4, 0xf8),
        ),
        ItemState::Approved => (
            Color32::from_rgb(0x18, 0x80, 0x38),
            Color32::from_rgb(0x81, 0xc9, 0x95),
        ),
    };
    if dark { dark_c } else { light }
}

/// A categorical palette (Tableau 10), for annotators and other categories.
pub fn category_color(index: usize) -> Color32 {
    const PALETTE: [Color32; 10] = [
        Color32::from_rgb(0x4e, 0x79, 0xa7),
        Color32::from_rgb(0xf2, 0x8e, 0x2b),
        Color32::from_rgb(0xe1, 0x57, 0x59),
        Color32::from_rgb(0x76, 0xb7, 0xb2),
        Color32::from_rgb(0x59, 0xa1, 0x4f),
        Color32::from_rgb(0xed, 0xc9, 0x48),
        Color32::from_rgb(0xb0, 0x7a, 0xa1),
        Color32::from_rgb(0xff, 0x9d, 0xa7),
        Color32::from_rgb(0x9c, 0x75, 0x5f),
        Color32::from_rgb(0xba, 0xb0, 0xac),
    ];
    PALETTE[index % PALETTE.len()]
}

/// A sequential colour for a value in 0..=1 (viridis, by linear steps between five stops).
pub fn ramp_color(t: f32) -> Color32 {
    const STOPS: [(u8, u8, u8); 5] = [
        (0x44, 0x01, 0x54),
        (0x3b, 0x52, 0x8b),
        (0x21, 0x90, 0x8d),
        (0x5d, 0xc8, 0x63),
        (0xfd, 0xe7, 0x25),
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let x = t * (STOPS.len() - 1) as f32;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - i as f32;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |p: u8, q: u8| (f32::from(p) + (f32::from(q) - f32::from(p)) * f).round() as u8;
    Color32::from_rgb(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}
