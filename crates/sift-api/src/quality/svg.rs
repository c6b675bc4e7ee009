//! Inline SVG charts for the HTML report: horizontal bars and a pair heat map. No script and
//! no external asset; every label is escaped.

/// Text made safe for HTML and SVG (element content and quoted attributes).
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const BAR: &str = "#0072b2";
const BAR_MUTED: &str = "#9aa4ad";

/// Horizontal bars, one a row: `(label, value, shown text)`; `None` draws no bar and says
/// "—". Values are drawn on `[lo, hi]` (a value below `lo` draws no bar).
pub(crate) fn bars(title: &str, rows: &[(String, Option<f64>, String)], lo: f64, hi: f64) -> String {
    let (label_w, bar_w, row_h) = (170.0, 320.0, 22.0);
    let height = 28.0 + row_h * rows.len() as f64;
    let mut s = String::new();
    s.push_str(&format!(
        "<svg class=\"chart\" role=\"img\" aria-label=\"{t}\" viewBox=\"0 0 {w} {height}\" width=\"{w}\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{t}</title>",
        t = esc(title),
        w = label_w + bar_w + 70.0,
    ));
    for (i, (label, value, text)) in rows.iter().enumerate() {
        let y = 20.0 + row_h * i as f64;
        s.push_str(&format!(
            "<text x=\"{x}\" y=\"{ty}\" text-anchor=\"end\" class=\"lbl\">{l}</text>",
            x = label_w - 8.0,
            ty = y + 14.0,
            l = esc(label)
        ));
        let share = value.map(|v| ((v - lo) / (hi - lo)).clamp(0.0, 1.0));
        if let Some(share) = share {
            s.push_str(&format!(
                "<rect x=\"{label_w}\" y=\"{y}\" width=\"{bw:.1}\" height=\"{h}\" rx=\"2\" fill=\"{BAR}\"/>",
                bw = (share * bar_w).max(1.0),
                h = row_h - 6.0
            ));
        } else {
            s.push_str(&format!(
                "<rect x=\"{label_w}\" y=\"{y}\" width=\"{bar_w}\" height=\"{h}\" rx=\"2\" fill=\"none\" stroke=\"{BAR_MUTED}\" stroke-dasharray=\"3 3\"/>",
                h = row_h - 6.0
            ));
        }
        s.push_str(&format!(
            "<text x=\"{x}\" y=\"{ty}\" class=\"val\">{v}</text>",
            x = label_w + bar_w + 6.0,
            ty = y + 14.0,
            v = esc(text)
        ));
    }
    s.push_str("</svg>");
    s
}

/// A symmetric heat map of pair figures: `names` on both axes, `value(a, b)` in `[-1, 1]`
/// (blue high, orange low, grey missing), the value written in each cell.
pub(crate) fn heat_map(title: &str, names: &[String], value: impl Fn(usize, usize) -> Option<f64>) -> String {
    let (label_w, top, cell) = (120.0, 28.0, 54.0);
    let grid = cell * names.len() as f64;
    let mut s = String::new();
    s.push_str(&format!(
        "<svg class=\"chart\" role=\"img\" aria-label=\"{t}\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{t}</title>",
        t = esc(title),
        w = label_w + grid + 4.0,
        h = top + grid + 4.0
    ));
    for (i, name) in names.iter().enumerate() {
        let c = label_w + cell * i as f64 + cell / 2.0;
        s.push_str(&format!(
            "<text x=\"{x}\" y=\"{y}\" text-anchor=\"end\" class=\"lbl\">{n}</text><text x=\"{c}\" y=\"{ly}\" text-anchor=\"middle\" class=\"lbl\">{n}</text>",
            x = label_w - 6.0,
            y = top + cell * i as f64 + cell / 2.0 + 4.0,
            ly = top - 10.0,
            n = esc(name)
        ));
    }
    for i in 0..names.len() {
        for j in 0..names.len() {
            let (x, y) = (label_w + cell * j as f64, top + cell * i as f64);
            let v = if i == j { None } else { value(i.min(j), i.max(j)) };
            let fill = match v {
                _ if i == j => "#ffffff".to_owned(),
                None => "#eceff1".to_owned(),
                Some(v) => colour(v),
            };
            s.push_str(&format!(
                "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{w}\" fill=\"{fill}\" stroke=\"#ffffff\"/>",
                w = cell
            ));
            let text = match v {
                _ if i == j => String::new(),
                None => "—".into(),
                Some(v) => format!("{v:.2}"),
            };
            s.push_str(&format!(
                "<text x=\"{cx}\" y=\"{cy}\" text-anchor=\"middle\" class=\"cell\">{text}</text>",
                cx = x + cell / 2.0,
                cy = y + cell / 2.0 + 4.0
            ));
        }
    }
    s.push_str("</svg>");
    s
}

/// Blue for agreement, orange for disagreement, pale near zero.
fn colour(v: f64) -> String {
    let v = v.clamp(-1.0, 1.0);
    let (r, g, b) = if v >= 0.0 {
        (0.0, 114.0, 178.0)
    } else {
        (213.0, 94.0, 0.0)
    };
    let t = v.abs() * 0.85 + 0.05;
    let mix = |c: f64| (255.0 + (c - 255.0) * t).round() as u8;
    format!("#{:02x}{:02x}{:02x}", mix(r), mix(g), mix(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        assert_eq!(
            esc("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        let svg = bars("t<", &[("<script>".into(), Some(0.5), "50%".into())], 0.0, 1.0);
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;"));
        let map = heat_map("m", &["<b>".into(), "c".into()], |_, _| Some(0.3));
        assert!(!map.contains("<b>") && map.contains("0.30"));
    }
}
