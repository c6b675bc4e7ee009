//! Learning-curve plots of a simulation as SVG (plotters' SVG backend) or PNG (its bitmap
//! backend, text in a font compiled in, encoded with `png`): per arm, the median test
//! accuracy as a line and the interquartile range over seeds as a translucent band, with the
//! target accuracies as dotted guides. Both formats are drawn by the same code.

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{LearnError, Result};
use crate::simulate::{Arm, SimReport};

/// Size and title of a plot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlotOptions {
    /// Width in pixels (default 960).
    pub width: u32,
    /// Height in pixels (default 600).
    pub height: u32,
    /// Title (default: "Learning curves: median and interquartile range over N seeds").
    pub title: Option<String>,
}

impl Default for PlotOptions {
    fn default() -> Self {
        Self {
            width: 960,
            height: 600,
            title: None,
        }
    }
}

/// Okabe-Ito colours (distinguishable with the common colour-vision deficiencies); random
/// order is drawn in grey.
const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
];
const RANDOM: RGBColor = RGBColor(110, 110, 110);

fn plot_error(e: impl std::fmt::Display) -> LearnError {
    LearnError::Plot(e.to_string())
}

/// The learning curves of a simulation report as an SVG document.
///
/// # Errors
/// A report without curves, or a failure inside the plotting library.
pub fn learning_curves_svg(report: &SimReport, options: &PlotOptions) -> Result<String> {
    check_curves(report)?;
    register_font()?; // plotters measures text with it for the layout
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (options.width, options.height)).into_drawing_area();
        draw(&root, report, options)?;
    }
    Ok(svg)
}

/// The learning curves of a simulation report as a PNG image (RGB, 8 bits).
///
/// # Errors
/// A report without curves, a size of zero, or a failure inside the plotting library.
pub fn learning_curves_png(report: &SimReport, options: &PlotOptions) -> Result<Vec<u8>> {
    check_curves(report)?;
    let (w, h) = (options.width, options.height);
    if w == 0 || h == 0 {
        return Err(LearnError::Plot(format!("a {w} x {h} image has no pixels")));
    }
    register_font()?;
    let mut pixels = vec![0_u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        draw(&root, report, options)?;
    }
    let mut png_bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut png_bytes, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(plot_error)?;
    writer.write_image_data(&pixels).map_err(plot_error)?;
    writer.finish().map_err(plot_error)?;
    Ok(png_bytes)
}

/// Registers the compiled-in face as plotters' "sans-serif" (once per process): it sets the
/// PNG's text and measures the text of both formats for the layout.
fn register_font() -> Result<()> {
    static REGISTERED: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(
                "sans-serif",
                FontStyle::Normal,
                epaint_default_fonts::UBUNTU_LIGHT,
            )
            .map_err(|_| "the compiled-in font cannot be read".to_owned())
        })
        .clone()
        .map_err(LearnError::Plot)
}

fn check_curves(report: &SimReport) -> Result<()> {
    if report.arms.iter().all(|a| a.curve.is_empty()) {
        return Err(LearnError::Plot("the report holds no learning curve".into()));
    }
    Ok(())
}

/// Draws the plot on any plotters backend.
fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &SimReport,
    options: &PlotOptions,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let points: Vec<_> = report.arms.iter().flat_map(|a| a.curve.iter()).collect();
    let x_min = points.iter().map(|p| p.labels).min().unwrap_or(0) as f64;
    let x_max = (points.iter().map(|p| p.labels).max().unwrap_or(1) as f64).max(x_min + 1.0);
    let y_low = points.iter().map(|p| p.accuracy.q1).fold(1.0_f64, f64::min);
    let y_min = ((y_low * 20.0).floor() / 20.0).clamp(0.0, 0.95);
    let title = options.title.clone().unwrap_or_else(|| {
        format!(
            "Learning curves: median and interquartile range over {} seeds",
            report.config.seeds.len()
        )
    });
    {
        root.fill(&WHITE).map_err(plot_error)?;
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 22))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(64)
            .build_cartesian_2d(x_min..x_max, y_min..1.0)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("labeled items")
            .y_desc("test accuracy")
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 17))
            .light_line_style(RGBColor(246, 246, 246))
            .bold_line_style(RGBColor(222, 222, 222))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
            .draw()
            .map_err(plot_error)?;
        for &target in report.config.targets.iter().filter(|&&t| t >= y_min) {
            chart
                .draw_series(DashedLineSeries::new(
                    [(x_min, target), (x_max, target)],
                    3,
                    5,
                    RGBColor(150, 150, 150).stroke_width(1),
                ))
                .map_err(plot_error)?;
        }
        let mut colours = PALETTE.iter().cycle();
        for arm in &report.arms {
            let colour = if arm.arm == Arm::Random {
                RANDOM
            } else {
                *colours.next().unwrap_or(&PALETTE[0])
            };
            let upper = arm.curve.iter().map(|p| (p.labels as f64, p.accuracy.q3));
            let lower = arm.curve.iter().rev().map(|p| (p.labels as f64, p.accuracy.q1));
            chart
                .draw_series(std::iter::once(Polygon::new(
                    upper.chain(lower).collect::<Vec<_>>(),
                    colour.mix(0.2).filled(),
                )))
                .map_err(plot_error)?;
            let width = if arm.arm == Arm::Random { 3 } else { 2 };
            chart
                .draw_series(LineSeries::new(
                    arm.curve.iter().map(|p| (p.labels as f64, p.accuracy.median)),
                    colour.stroke_width(width),
                ))
                .map_err(plot_error)?
                .label(arm.arm.to_string())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font(("sans-serif", 16))
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(180, 180, 180))
            .draw()
            .map_err(plot_error)?;
        root.present().map_err(plot_error)?;
    }
    Ok(())
}
