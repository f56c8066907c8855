//! Figure rendering for `cargo xtask figures`: line/scatter axes, stacked bars and heatmaps,
//! drawn once per backend into a byte-identical SVG and PNG pair.
//!
//! Text is rasterized with the embedded DejaVu Sans (registered as `sans-serif`), so PNG
//! output needs no system font; SVG output names the `sans-serif` family.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, FontTransform, register_font};

/// Width of one panel, in pixels.
pub const PANEL_WIDTH: u32 = 560;
/// Height of one panel, in pixels.
pub const PANEL_HEIGHT: u32 = 420;
/// Height of the figure title strip, in pixels (only when the figure title is not empty).
pub const TITLE_HEIGHT: u32 = 44;

/// How values map to positions along an axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// Identity.
    Linear,
    /// `log10(v)`; non-positive and non-finite points are skipped.
    Log10,
    /// `sign(v) * log10(1 + |v| / linthresh)`: linear near zero, logarithmic far from it.
    /// Ticks are labelled in original units. A non-positive `linthresh` is treated as 1.
    SymLog {
        /// Magnitude below which the axis is roughly linear.
        linthresh: f64,
    },
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// A polyline, broken wherever a point cannot be drawn (NaN, or non-positive on a log axis).
    Line,
    /// One marker per point; the marker shape cycles with the series index.
    Points,
    /// Both.
    LinePoints,
}

/// One labelled set of `(x, y)` points of an [`Axes`] panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend label; an empty label leaves the series out of the legend.
    pub label: String,
    /// Data, in original units.
    pub points: Vec<(f64, f64)>,
    /// How the points are drawn.
    pub mark: Mark,
}

/// An x–y plot of several series; colours follow the series index.
#[derive(Debug, Clone, PartialEq)]
pub struct Axes {
    /// Panel title.
    pub title: String,
    /// Label of the horizontal axis.
    pub x_label: String,
    /// Label of the vertical axis.
    pub y_label: String,
    /// Scale of the horizontal axis.
    pub x_scale: Scale,
    /// Scale of the vertical axis.
    pub y_scale: Scale,
    /// The series, drawn in order.
    pub series: Vec<Series>,
}

/// Stacked bars: one bar per group, one coloured segment per stack.
#[derive(Debug, Clone, PartialEq)]
pub struct Bars {
    /// Panel title.
    pub title: String,
    /// Label of the vertical axis.
    pub y_label: String,
    /// Group names, one bar each, left to right.
    pub groups: Vec<String>,
    /// `(legend label, one value per group)`, stacked bottom to top in this order.
    /// Negative values stack downwards from zero; non-finite values count as zero.
    pub stacks: Vec<(String, Vec<f64>)>,
}

/// A field of values on a regular grid, with optional point markers on top.
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    /// Panel title.
    pub title: String,
    /// Label of the horizontal axis.
    pub x_label: String,
    /// Label of the vertical axis.
    pub y_label: String,
    /// Horizontal extent of the grid (left edge of the first cell, right edge of the last).
    pub x_range: (f64, f64),
    /// Vertical extent of the grid.
    pub y_range: (f64, f64),
    /// Number of cells along x.
    pub nx: usize,
    /// Number of cells along y.
    pub ny: usize,
    /// `ny` rows of `nx` values, row 0 at `y_range.0`.
    pub values: Vec<f64>,
    /// How values become colours.
    pub colors: HeatColors,
    /// Points drawn on top of the field.
    pub markers: Vec<Marker>,
}

/// How a [`Heatmap`] colours its values.
#[derive(Debug, Clone, PartialEq)]
pub enum HeatColors {
    /// Viridis over the finite values' min..max, quantized into 12 bands, with a colour bar.
    Continuous {
        /// Label of the colour bar.
        legend: String,
    },
    /// Value `k` gets palette colour `k`; NaN (or a negative value) is light grey.
    Categorical {
        /// Legend label of category `k`, for each `k`.
        labels: Vec<String>,
    },
}

/// A point drawn on a [`Heatmap`]; each distinct label gets its own shape and legend entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Horizontal position, in data units.
    pub x: f64,
    /// Vertical position, in data units.
    pub y: f64,
    /// Legend label, e.g. `"minimum"` or `"saddle"`.
    pub label: String,
}

/// One cell of a [`Figure`].
#[derive(Debug, Clone, PartialEq)]
pub enum Panel {
    /// An x–y plot.
    Axes(Axes),
    /// Stacked bars.
    Bars(Bars),
    /// A heatmap.
    Heatmap(Heatmap),
}

/// Panels laid out row by row in `columns` columns, under a title.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Figure title; an empty title takes no space.
    pub title: String,
    /// Panels, filled row by row.
    pub panels: Vec<Panel>,
    /// Number of columns; 0 counts as 1, more columns than panels are not kept.
    pub columns: usize,
}

/// Why a figure could not be rendered or written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The embedded font could not be registered with plotters.
    #[error("cannot register the embedded DejaVu Sans font with plotters")]
    Font,
    /// A panel's data has inconsistent lengths.
    #[error("panel {panel} ('{title}'): {message}")]
    Shape {
        /// Index of the panel in the figure.
        panel: usize,
        /// Title of the panel.
        title: String,
        /// What does not fit, and what was expected.
        message: String,
    },
    /// Plotters failed while drawing (on either backend).
    #[error("drawing failed: {0}")]
    Draw(String),
    /// The PNG encoder failed.
    #[error("PNG encoding failed: {0}")]
    Png(String),
    /// Writing an output file failed.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file being written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Pixel size `(width, height)` of the images [`render`] produces for `figure`.
/// A figure title wider than the figure is word-wrapped, and gets [`TITLE_HEIGHT`] per line.
pub fn figure_size(figure: &Figure) -> (u32, u32) {
    let (columns, rows) = grid(figure);
    let width = columns as u32 * PANEL_WIDTH;
    let title = title_lines(&figure.title, width).len() as u32 * TITLE_HEIGHT;
    (width, title + rows as u32 * PANEL_HEIGHT)
}

/// Renders `figure` to `dir/stem.svg` and `dir/stem.png` (creating `dir` if needed) and
/// returns both paths. Both images are fully rendered in memory and written under temporary
/// names first, so an error leaves no half-written file behind.
pub fn render(figure: &Figure, dir: &Path, stem: &str) -> Result<Vec<PathBuf>, PlotError> {
    register_fonts()?;
    validate(figure)?;
    let (width, height) = figure_size(figure);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        draw_figure(&root, figure)?;
        root.present().map_err(draw_err)?;
    }
    let mut rgb = vec![255u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        draw_figure(&root, figure)?;
        root.present().map_err(draw_err)?;
    }
    let png = encode_png(&rgb, width, height)?;

    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PlotError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let outputs =
        [(dir.join(format!("{stem}.svg")), svg.into_bytes()), (dir.join(format!("{stem}.png")), png)];
    let temps: Vec<PathBuf> =
        outputs.iter().map(|(path, _)| dir.join(format!(".{}.tmp", file_name(path)))).collect();
    let written = outputs
        .iter()
        .zip(&temps)
        .try_for_each(|((_, bytes), temp)| std::fs::write(temp, bytes).map_err(io(temp)));
    let renamed = written.and_then(|()| {
        outputs
            .iter()
            .zip(&temps)
            .try_for_each(|((path, _), temp)| std::fs::rename(temp, path).map_err(io(path)))
    });
    if let Err(error) = renamed {
        for temp in &temps {
            let _ = std::fs::remove_file(temp);
        }
        return Err(error);
    }
    Ok(outputs.into_iter().map(|(path, _)| path).collect())
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default()
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, PlotError> {
    let png_err = |e: png::EncodingError| PlotError::Png(e.to_string());
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(png_err)?;
    writer.write_image_data(rgb).map_err(png_err)?;
    writer.finish().map_err(png_err)?;
    Ok(bytes)
}

fn register_fonts() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    });
    if ok { Ok(()) } else { Err(PlotError::Font) }
}

fn validate(figure: &Figure) -> Result<(), PlotError> {
    for (panel, p) in figure.panels.iter().enumerate() {
        let shape =
            |title: &str, message: String| PlotError::Shape { panel, title: title.to_string(), message };
        match p {
            Panel::Axes(_) => {}
            Panel::Bars(bars) => {
                for (label, values) in &bars.stacks {
                    if values.len() != bars.groups.len() {
                        return Err(shape(
                            &bars.title,
                            format!(
                                "stack '{label}' has {} values but there are {} groups; give one value per group",
                                values.len(),
                                bars.groups.len()
                            ),
                        ));
                    }
                }
            }
            Panel::Heatmap(heat) => {
                if heat.nx.checked_mul(heat.ny) != Some(heat.values.len()) {
                    return Err(shape(
                        &heat.title,
                        format!(
                            "{} values for a {}x{} grid; give ny rows of nx values",
                            heat.values.len(),
                            heat.nx,
                            heat.ny
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Style

const FONT: &str = "sans-serif";
const FIGURE_TITLE_SIZE: f64 = 22.0;
const PANEL_TITLE_SIZE: f64 = 18.0;
const AXIS_LABEL_SIZE: f64 = 16.0;
const TICK_SIZE: f64 = 14.0;
const LEGEND_SIZE: f64 = 14.0;
const NAN_GREY: RGBColor = RGBColor(0xd9, 0xd9, 0xd9);
const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);

/// Tableau 10 followed by two extras; series `i` gets `PALETTE[i % 12]`.
const PALETTE: [RGBColor; 12] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0xff, 0x9d, 0xa7),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0xba, 0xb0, 0xac),
    RGBColor(0x17, 0xbe, 0xcf),
    RGBColor(0x3d, 0x3d, 0x7a),
];

/// Matplotlib's viridis at 0, 1/8, ..., 1.
const VIRIDIS: [(u8, u8, u8); 9] = [
    (0x44, 0x01, 0x54),
    (0x47, 0x2d, 0x7b),
    (0x3b, 0x52, 0x8b),
    (0x2c, 0x72, 0x8e),
    (0x21, 0x91, 0x8c),
    (0x28, 0xae, 0x80),
    (0x5e, 0xc9, 0x62),
    (0xad, 0xdc, 0x30),
    (0xfd, 0xe7, 0x25),
];

/// Quantization of a continuous heatmap into filled-contour bands at round levels.
#[derive(Clone, Copy)]
struct Bands {
    /// Lower edge of band 0.
    first: f64,
    /// Width of each band (0 when all values are equal).
    step: f64,
    /// Number of bands.
    count: usize,
}

impl Bands {
    /// About 12 bands of round width covering `lo..=hi`.
    fn new(lo: f64, hi: f64) -> Self {
        let step = nice_step(hi - lo, 12.0);
        if hi <= lo || !positive_finite(step) {
            return Bands { first: lo, step: 0.0, count: 1 };
        }
        let first = (lo / step).floor() * step;
        let count = (((hi - first) / step).ceil() as usize).clamp(1, 40);
        Bands { first, step, count }
    }

    fn index(&self, v: f64) -> usize {
        if self.step == 0.0 {
            return 0;
        }
        (((v - self.first) / self.step).floor().max(0.0) as usize).min(self.count - 1)
    }

    fn color(&self, band: usize) -> RGBColor {
        if self.count == 1 { viridis(0.5) } else { viridis(band as f64 / (self.count - 1) as f64) }
    }
}

fn palette(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

fn viridis(u: f64) -> RGBColor {
    let u = if u.is_finite() { u.clamp(0.0, 1.0) } else { 0.0 } * (VIRIDIS.len() - 1) as f64;
    let i = (u.floor() as usize).min(VIRIDIS.len() - 2);
    let f = u - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Plotters divides font sizes by 1.24 when writing SVG `font-size` (and ab_glyph's scale
/// is the ascent-to-descent height), so sizes are given in CSS pixels and scaled here.
const PLOTTERS_SIZE: f64 = 1.24;

fn font(px: f64) -> TextStyle<'static> {
    TextStyle::from((FONT, px * PLOTTERS_SIZE).into_font()).color(&INK)
}

fn bold(px: f64) -> TextStyle<'static> {
    TextStyle::from((FONT, px * PLOTTERS_SIZE, FontStyle::Bold).into_font()).color(&INK)
}

fn draw_err<E: std::fmt::Display>(error: E) -> PlotError {
    PlotError::Draw(error.to_string())
}

fn text_width<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, text: &str, style: &TextStyle) -> i32 {
    area.estimate_text_size(text, style).map(|(w, _)| w as i32).unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// Figure and panel layout

fn grid(figure: &Figure) -> (usize, usize) {
    let n = figure.panels.len().max(1);
    let columns = figure.columns.clamp(1, n);
    (columns, n.div_ceil(columns))
}

/// Free space left and right of the figure title, in pixels.
const TITLE_MARGIN: u32 = 12;
/// Distance between the baselines of a wrapped figure title, in pixels.
const TITLE_LINE: i32 = 30;

/// Width of `text` in the figure title font, in pixels.
fn title_width(text: &str) -> u32 {
    let _ = register_fonts();
    let style = bold(FIGURE_TITLE_SIZE);
    // Without the font (never expected), assume a generous average glyph width.
    style
        .font
        .box_size(text)
        .map(|(w, _)| w)
        .unwrap_or((text.chars().count() as f64 * 0.7 * FIGURE_TITLE_SIZE) as u32)
}

/// The figure title word-wrapped to fit `width` pixels (a word wider than that is broken
/// between characters); no lines for an empty title. Runs of spaces inside a line are kept.
fn title_lines(title: &str, width: u32) -> Vec<String> {
    let title = title.trim();
    if title.is_empty() {
        return Vec::new();
    }
    let room = width.saturating_sub(2 * TITLE_MARGIN).max(1);
    let fits = |s: &str| title_width(s) <= room;
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in title.split(' ') {
        let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
        if line.is_empty() || fits(candidate.trim_end()) {
            line = candidate;
            continue;
        }
        lines.push(line.trim_end().to_string());
        line = word.to_string();
    }
    lines.push(line.trim_end().to_string());
    // Break words that are wider than the figure on their own.
    let mut out = Vec::new();
    for line in lines {
        let mut rest = line.as_str();
        while !fits(rest) {
            let mut cut = rest.char_indices().nth(1).map_or(rest.len(), |(i, _)| i);
            for (i, _) in rest.char_indices().skip(2) {
                if !fits(&rest[..i]) {
                    break;
                }
                cut = i;
            }
            out.push(rest[..cut].to_string());
            rest = &rest[cut..];
        }
        if !rest.is_empty() {
            out.push(rest.to_string());
        }
    }
    out
}

fn draw_figure<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, figure: &Figure) -> Result<(), PlotError> {
    root.fill(&WHITE).map_err(draw_err)?;
    let (width, _) = root.dim_in_pixel();
    let lines = title_lines(&figure.title, width);
    let body = if lines.is_empty() {
        root.clone()
    } else {
        let (top, body) = root.split_vertically(lines.len() as u32 * TITLE_HEIGHT);
        let (w, h) = top.dim_in_pixel();
        let style = bold(FIGURE_TITLE_SIZE).pos(Pos::new(HPos::Center, VPos::Center));
        // The lines sit closer together than TITLE_HEIGHT, centred in the title strip.
        let first = h as i32 / 2 - (lines.len() as i32 - 1) * TITLE_LINE / 2;
        for (i, line) in lines.iter().enumerate() {
            top.draw_text(line, &style, (w as i32 / 2, first + i as i32 * TITLE_LINE)).map_err(draw_err)?;
        }
        body
    };
    let (columns, _) = grid(figure);
    if figure.panels.is_empty() {
        return no_data(&body, "no panels");
    }
    for (i, panel) in figure.panels.iter().enumerate() {
        let (row, col) = ((i / columns) as i32, (i % columns) as i32);
        let x = col * PANEL_WIDTH as i32;
        let y = row * PANEL_HEIGHT as i32;
        let area = body.clone().shrink((x, y), (PANEL_WIDTH, PANEL_HEIGHT));
        match panel {
            Panel::Axes(axes) => draw_axes(&area, axes)?,
            Panel::Bars(bars) => draw_bars(&area, bars)?,
            Panel::Heatmap(heat) => draw_heatmap(&area, heat)?,
        }
    }
    Ok(())
}

/// Draws the panel title and returns the area below it.
fn titled<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, PlotError> {
    if title.is_empty() {
        return Ok(area.margin(10, 0, 0, 0));
    }
    area.titled(title, bold(PANEL_TITLE_SIZE)).map_err(draw_err)
}

fn no_data<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, note: &str) -> Result<(), PlotError> {
    let (w, h) = area.dim_in_pixel();
    let style =
        font(AXIS_LABEL_SIZE).color(&RGBColor(0x77, 0x77, 0x77)).pos(Pos::new(HPos::Center, VPos::Center));
    area.draw_text(note, &style, (w as i32 / 2, h as i32 / 2)).map_err(draw_err)
}

// ---------------------------------------------------------------------------------------------
// Scales and ticks

/// One axis of a chart: plotted range (in transformed units) and labelled ticks.
struct AxisSpec {
    range: (f64, f64),
    ticks: Vec<(f64, String)>,
}

fn linthresh(t: f64) -> f64 {
    if usable(t) && t > 0.0 { t } else { 1.0 }
}

/// Values beyond this magnitude are treated like non-finite ones, so that spans, padding
/// and tick arithmetic never overflow.
const LIMIT: f64 = 1e200;

fn usable(v: f64) -> bool {
    v.is_finite() && v.abs() <= LIMIT
}

/// Position of `v` along an axis of `scale`, or `None` if it cannot be drawn.
fn forward(scale: Scale, v: f64) -> Option<f64> {
    if !usable(v) {
        return None;
    }
    match scale {
        Scale::Linear => Some(v),
        Scale::Log10 => (v > 0.0).then(|| v.log10()),
        Scale::SymLog { linthresh: t } => {
            let (a, t) = (v.abs(), linthresh(t));
            // log10(1 + a/t), written so that a/t cannot overflow.
            let magnitude = if a > t {
                a.log10() - t.log10() + (t / a).ln_1p() / std::f64::consts::LN_10
            } else {
                (a / t).ln_1p() / std::f64::consts::LN_10
            };
            Some(v.signum() * magnitude)
        }
    }
}

fn inverse(scale: Scale, t: f64) -> f64 {
    match scale {
        Scale::Linear => t,
        Scale::Log10 => 10f64.powf(t),
        Scale::SymLog { linthresh: l } => t.signum() * linthresh(l) * (10f64.powf(t.abs()) - 1.0),
    }
}

/// Padded plotting range (in transformed units) for the transformed data range `lo..=hi`.
fn padded_range(scale: Scale, data: Option<(f64, f64)>) -> (f64, f64) {
    let Some((lo, hi)) = data else {
        return match scale {
            Scale::Linear => (0.0, 1.0),
            Scale::Log10 => (0.0, 1.0),
            Scale::SymLog { .. } => (-1.0, 1.0),
        };
    };
    let span = hi - lo;
    if !positive_finite(span) {
        let half = match scale {
            Scale::Linear if lo != 0.0 && lo.is_finite() => 0.1 * lo.abs(),
            Scale::Linear => 1.0,
            _ => 0.5,
        };
        return (lo - half, lo + half);
    }
    let pad = match scale {
        Scale::Log10 => (0.05 * span).max(0.1),
        _ => 0.05 * span,
    };
    (lo - pad, hi + pad)
}

fn axis_spec(scale: Scale, data: Option<(f64, f64)>) -> AxisSpec {
    let range = padded_range(scale, data);
    let ticks = match scale {
        Scale::Linear => linear_ticks(range.0, range.1),
        Scale::Log10 => log_ticks(range.0, range.1),
        Scale::SymLog { linthresh: t } => symlog_ticks(scale, linthresh(t), range),
    };
    AxisSpec { range, ticks }
}

fn nice_step(span: f64, target: f64) -> f64 {
    let raw = span / target;
    let mag = 10f64.powf(raw.log10().floor());
    let m = raw / mag;
    mag * if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    }
}

fn linear_values(lo: f64, hi: f64) -> (Vec<f64>, f64) {
    let step = nice_step(hi - lo, 6.0);
    if !positive_finite(step) {
        return (vec![lo], 1.0);
    }
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    ((first..=last).map(|i| i as f64 * step).collect(), step)
}

fn linear_ticks(lo: f64, hi: f64) -> Vec<(f64, String)> {
    let (values, step) = linear_values(lo, hi);
    values.into_iter().map(|v| (v, fmt_linear(v, step))).collect()
}

fn log_ticks(lo: f64, hi: f64) -> Vec<(f64, String)> {
    let (kmin, kmax) = (lo.ceil() as i64, hi.floor() as i64);
    if kmax > kmin {
        let step = ((kmax - kmin + 7) / 7).max(1);
        return (kmin..=kmax).filter(|k| k.rem_euclid(step) == 0).map(|k| (k as f64, fmt_pow10(k))).collect();
    }
    let (values, step) = linear_values(10f64.powf(lo), 10f64.powf(hi));
    values.into_iter().filter(|&v| v > 0.0).map(|v| (v.log10(), fmt_linear(v, step))).collect()
}

fn symlog_ticks(scale: Scale, lt: f64, (lo, hi): (f64, f64)) -> Vec<(f64, String)> {
    let vmax = inverse(scale, lo).abs().max(inverse(scale, hi).abs());
    let decade = |v: f64| (v.log10() as i64).clamp(-400, 400);
    let (kmin, kmax) = (decade(lt) - 2, decade(vmax) + 2);
    // Ticks closer than `min_gap` to an earlier one (e.g. ±linthresh next to 0) are dropped.
    let min_gap = (hi - lo) / 20.0;
    let in_range = |v: f64| forward(scale, v).is_some_and(|t| t >= lo && t <= hi && t.abs() >= min_gap);
    let decades: Vec<(f64, i64)> = (kmin..=kmax)
        .rev()
        .flat_map(|k| [(1.0, k), (-1.0, k)])
        .filter(|&(sign, k)| in_range(sign * 10f64.powi(k as i32)))
        .collect();
    // Every `step`-th decade (aligned on 1), at most ~10 of them; then 5s and 2s if few.
    let step = (decades.len().max(1) as i64 - 1) / 10 + 1;
    let mut candidates = vec![(0.0, "0".to_string())];
    for &(sign, k) in decades.iter().filter(|(_, k)| k.rem_euclid(step) == 0) {
        candidates.push((sign * 10f64.powi(k as i32), fmt_symlog(sign, 1.0, k)));
    }
    if candidates.len() < 4 {
        for mantissa in [5.0, 2.0] {
            for k in (kmin..=kmax).rev() {
                for sign in [1.0, -1.0] {
                    candidates.push((sign * mantissa * 10f64.powi(k as i32), fmt_symlog(sign, mantissa, k)));
                }
            }
        }
    }
    let mut ticks: Vec<(f64, String)> = Vec::new();
    for (v, label) in candidates {
        let Some(t) = forward(scale, v) else { continue };
        if t < lo || t > hi || ticks.iter().any(|(u, _)| (u - t).abs() < min_gap) {
            continue;
        }
        ticks.push((t, label));
    }
    ticks.sort_by(|a, b| a.0.total_cmp(&b.0));
    ticks
}

fn fmt_pow10(k: i64) -> String {
    match k {
        -1 => "0.1".into(),
        0 => "1".into(),
        1 => "10".into(),
        _ => format!("1e{k}"),
    }
}

fn fmt_symlog(sign: f64, mantissa: f64, k: i64) -> String {
    let sign = if sign < 0.0 { "-" } else { "" };
    if mantissa == 1.0 {
        format!("{sign}{}", fmt_pow10(k))
    } else if (-1..=1).contains(&k) {
        let v = mantissa * 10f64.powi(k as i32);
        format!("{sign}{}", fmt_linear(v, 10f64.powi(k as i32)))
    } else {
        format!("{sign}{mantissa}e{k}")
    }
}

/// Label of tick `v` on a grid of spacing `step`, with just enough digits.
fn fmt_linear(v: f64, step: f64) -> String {
    if v.abs() < step * 1e-6 {
        return "0".into();
    }
    let step_exp = step.abs().log10().floor() as i64;
    let exp = v.abs().log10().floor() as i64;
    if !(-3..5).contains(&exp) {
        let digits = (exp - step_exp).clamp(0, 6) as usize;
        return format!("{v:.digits$e}");
    }
    let decimals = (-step_exp).clamp(0, 10) as usize;
    format!("{v:.decimals$}")
}

/// Short label for an arbitrary value (colour bar ticks): 3 significant digits.
fn fmt_general(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let exp = v.abs().log10().floor() as i64;
    let s = if !(-2..4).contains(&exp) {
        format!("{v:.2e}")
    } else {
        let decimals = (2 - exp).max(0) as usize;
        format!("{v:.decimals$}")
    };
    trim_zeros(&s)
}

fn trim_zeros(s: &str) -> String {
    let (mantissa, exp) = match s.find('e') {
        Some(i) => s.split_at(i),
        None => (s, ""),
    };
    let mantissa =
        if mantissa.contains('.') { mantissa.trim_end_matches('0').trim_end_matches('.') } else { mantissa };
    format!("{mantissa}{exp}")
}

fn positive_finite(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

fn min_max(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.filter(|&v| usable(v)).fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

// ---------------------------------------------------------------------------------------------
// Chart frame

/// A linear f64 coordinate whose grid lines and tick labels sit exactly at given positions.
struct Ticked {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ticked {
    fn new(axis: &AxisSpec) -> Self {
        Ticked { lo: axis.range.0, hi: axis.range.1, ticks: axis.ticks.iter().map(|t| t.0).collect() }
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, (start, end): (i32, i32)) -> i32 {
        let f = (v - self.lo) / (self.hi - self.lo);
        if !f.is_finite() {
            return (start + end) / 2;
        }
        // Saturating cast: far-away values land off-canvas instead of wrapping.
        start + ((end - start) as f64 * f).round().clamp(-1e6, 1e6) as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() { Vec::new() } else { self.ticks.clone() }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Ticked, Ticked>>;

struct Frame<'a> {
    x: &'a AxisSpec,
    y: &'a AxisSpec,
    x_label: &'a str,
    y_label: &'a str,
    x_grid: bool,
    rotate_x_labels: bool,
}

/// Builds a chart on `area` with the given axes, draws its mesh and returns it.
fn frame<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    spec: &Frame,
) -> Result<Chart<'a, DB>, PlotError> {
    let tick_style = font(TICK_SIZE);
    let y_tick_w = spec.y.ticks.iter().map(|(_, s)| text_width(area, s, &tick_style)).max().unwrap_or(0);
    let widest = |style: &TextStyle| spec.x.ticks.iter().map(|(_, s)| text_width(area, s, style)).max();
    // Rotated labels shrink (down to ROTATED_MIN_SIZE) rather than take more than 40% of
    // the panel height; the label area always fits the longest one at the size used.
    let mut rotated_size = TICK_SIZE;
    let x_tick_h = if spec.rotate_x_labels {
        let room = area.dim_in_pixel().1 as i32 * 2 / 5;
        while rotated_size > ROTATED_MIN_SIZE && widest(&font(rotated_size)).unwrap_or(0) > room {
            rotated_size -= 1.0;
        }
        // Label distance from the axis, and a little slack for renderers with wider glyphs.
        let w = widest(&font(rotated_size)).unwrap_or(0);
        ROTATED_GAP + w + w / 20
    } else {
        TICK_SIZE as i32
    };
    let x_desc = if spec.x_label.is_empty() { 0 } else { AXIS_LABEL_SIZE as i32 + 8 };
    let y_desc = if spec.y_label.is_empty() { 0 } else { AXIS_LABEL_SIZE as i32 + 8 };
    let mut chart = ChartBuilder::on(area)
        .margin_top(6)
        .margin_right(18)
        .margin_left(4)
        .margin_bottom(4)
        .x_label_area_size(x_tick_h + x_desc + 14)
        .y_label_area_size(y_tick_w + y_desc + 14)
        .build_cartesian_2d(Ticked::new(spec.x), Ticked::new(spec.y))
        .map_err(draw_err)?;
    let lookup = |ticks: &[(f64, String)], v: f64| {
        ticks.iter().find(|(t, _)| *t == v).map(|(_, s)| s.clone()).unwrap_or_default()
    };
    let x_fmt = |v: &f64| lookup(&spec.x.ticks, *v);
    let y_fmt = |v: &f64| lookup(&spec.y.ticks, *v);
    // Plotters centres every x label on its tick, which would put half of a rotated label
    // above the axis (and in the bitmap, inside the plot); those are drawn below instead.
    let x_tick_style = if spec.rotate_x_labels { tick_style.color(&TRANSPARENT) } else { tick_style.clone() };
    let mut mesh = chart.configure_mesh();
    mesh.x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_label_style(x_tick_style)
        .y_label_style(tick_style)
        .x_desc(spec.x_label)
        .y_desc(spec.y_label)
        .axis_desc_style(font(AXIS_LABEL_SIZE))
        .bold_line_style(BLACK.mix(0.1))
        .light_line_style(TRANSPARENT)
        .axis_style(INK.mix(0.8));
    if !spec.x_grid {
        mesh.disable_x_mesh();
    }
    mesh.draw().map_err(draw_err)?;
    if spec.rotate_x_labels {
        // Read upwards, hanging from the tick: the end of the text is just below the axis.
        let style =
            font(rotated_size).transform(FontTransform::Rotate270).pos(Pos::new(HPos::Right, VPos::Center));
        let base = area.get_base_pixel();
        let axis_y = chart.plotting_area().get_pixel_range().1.end;
        for (t, label) in &spec.x.ticks {
            let (x, _) = chart.backend_coord(&(*t, spec.y.range.0));
            area.draw_text(label, &style, (x - base.0, axis_y - base.1 + ROTATED_GAP)).map_err(draw_err)?;
        }
    }
    Ok(chart)
}

/// Gap between the x axis and a rotated x label, in pixels.
const ROTATED_GAP: i32 = 10;
/// Smallest font size of rotated x labels, in pixels.
const ROTATED_MIN_SIZE: f64 = 10.0;

/// Plot area of `chart` as a pixel-addressed area, and the backend position of its origin.
fn plot_pixels<DB: DrawingBackend>(chart: &Chart<'_, DB>) -> (DrawingArea<DB, Shift>, (i32, i32)) {
    let area = chart.plotting_area().strip_coord_spec();
    let base = area.get_base_pixel();
    (area, base)
}

// ---------------------------------------------------------------------------------------------
// Markers and legends

const SHAPES: usize = 6;

/// Draws marker `shape` (cycled over 6 shapes) centred at pixel `(x, y)` of `area`.
fn draw_shape<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    shape: usize,
    r: i32,
    fill: RGBColor,
    edge: RGBColor,
) -> Result<(), PlotError> {
    let polygon = |pts: Vec<(i32, i32)>| -> Result<(), PlotError> {
        area.draw(&Polygon::new(pts.clone(), fill.filled())).map_err(draw_err)?;
        let mut closed = pts.clone();
        closed.push(pts[0]);
        area.draw(&PathElement::new(closed, edge.stroke_width(1))).map_err(draw_err)
    };
    let s = r + 1;
    match shape % SHAPES {
        0 => {
            area.draw(&Circle::new((x, y), r, fill.filled())).map_err(draw_err)?;
            area.draw(&Circle::new((x, y), r, edge.stroke_width(1))).map_err(draw_err)
        }
        1 => polygon(vec![(x, y - s), (x + s, y + r), (x - s, y + r)]),
        2 => polygon(vec![(x - r, y - r), (x + r, y - r), (x + r, y + r), (x - r, y + r)]),
        3 => polygon(vec![(x, y - s), (x + s, y), (x, y + s), (x - s, y)]),
        4 => polygon(vec![(x - s, y - r), (x + s, y - r), (x, y + s)]),
        _ => {
            for (a, b) in [((x - r, y - r), (x + r, y + r)), ((x - r, y + r), (x + r, y - r))] {
                area.draw(&PathElement::new(vec![a, b], edge.stroke_width(5))).map_err(draw_err)?;
                area.draw(&PathElement::new(vec![a, b], fill.stroke_width(3))).map_err(draw_err)?;
            }
            Ok(())
        }
    }
}

/// Marker style of the `i`-th distinct heatmap marker label: alternately white on black
/// and black on white, so it stands out on dark and bright cells alike.
fn marker_colors(i: usize) -> (RGBColor, RGBColor) {
    match i % 2 {
        0 => (WHITE, BLACK),
        _ => (BLACK, WHITE),
    }
}

enum Swatch {
    /// A short line, with an optional marker shape on it.
    Line(RGBColor, Option<usize>),
    /// A marker shape alone: shape, fill, edge.
    Shape(usize, RGBColor, RGBColor),
    /// A filled square.
    Rect(RGBColor),
}

struct LegendEntry {
    label: String,
    swatch: Swatch,
}

struct LegendLayout {
    rows: usize,
    column_width: i32,
    width: i32,
    height: i32,
}

const LEGEND_ROW: i32 = 20;
const LEGEND_SWATCH: i32 = 22;
const LEGEND_PAD: i32 = 6;

/// Lays out `entries` in as many columns as needed to stay within `max_height` pixels.
fn legend_layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    max_height: i32,
) -> LegendLayout {
    let style = font(LEGEND_SIZE);
    let label_w = entries.iter().map(|e| text_width(area, &e.label, &style)).max().unwrap_or(0);
    let max_rows = ((max_height - 2 * LEGEND_PAD) / LEGEND_ROW).max(1) as usize;
    let columns = entries.len().div_ceil(max_rows).max(1);
    let rows = entries.len().div_ceil(columns);
    let column_width = LEGEND_SWATCH + 6 + label_w + 10;
    LegendLayout {
        rows,
        column_width,
        width: columns as i32 * column_width + 2 * LEGEND_PAD - 10,
        height: rows as i32 * LEGEND_ROW + 2 * LEGEND_PAD,
    }
}

/// Draws a legend with its top-left corner at `(x0, y0)` of `area`, column by column.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    layout: &LegendLayout,
    (x0, y0): (i32, i32),
    framed: bool,
) -> Result<(), PlotError> {
    if framed {
        let rect = [(x0, y0), (x0 + layout.width, y0 + layout.height)];
        area.draw(&Rectangle::new(rect, WHITE.mix(0.85).filled())).map_err(draw_err)?;
        area.draw(&Rectangle::new(rect, BLACK.mix(0.3).stroke_width(1))).map_err(draw_err)?;
    }
    let style = font(LEGEND_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, entry) in entries.iter().enumerate() {
        let (col, row) = ((i / layout.rows) as i32, (i % layout.rows) as i32);
        let x = x0 + LEGEND_PAD + col * layout.column_width;
        let y = y0 + LEGEND_PAD + row * LEGEND_ROW + LEGEND_ROW / 2;
        let mid = x + LEGEND_SWATCH / 2;
        match entry.swatch {
            Swatch::Line(color, shape) => {
                let line = PathElement::new(vec![(x, y), (x + LEGEND_SWATCH, y)], color.stroke_width(3));
                area.draw(&line).map_err(draw_err)?;
                if let Some(shape) = shape {
                    draw_shape(area, (mid, y), shape, 4, color, color)?;
                }
            }
            Swatch::Shape(shape, fill, edge) => draw_shape(area, (mid, y), shape, 5, fill, edge)?,
            Swatch::Rect(color) => {
                let rect = [(mid - 7, y - 7), (mid + 7, y + 7)];
                area.draw(&Rectangle::new(rect, color.filled())).map_err(draw_err)?;
                area.draw(&Rectangle::new(rect, BLACK.mix(0.4).stroke_width(1))).map_err(draw_err)?;
            }
        }
        area.draw_text(&entry.label, &style, (x + LEGEND_SWATCH + 6, y)).map_err(draw_err)?;
    }
    Ok(())
}

/// Draws a framed legend inside the plot area, in the corner covering the fewest of the
/// given data pixels (upper right on ties).
fn legend_inside<DB: DrawingBackend>(
    plot: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    data_pixels: &[(i32, i32)],
) -> Result<(), PlotError> {
    if entries.is_empty() {
        return Ok(());
    }
    let (w, h) = plot.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let layout = legend_layout(plot, entries, h * 45 / 100);
    let m = 8;
    let corners = [
        (w - layout.width - m, m),
        (m, m),
        (w - layout.width - m, h - layout.height - m),
        (m, h - layout.height - m),
    ];
    let covered = |&(x, y): &(i32, i32)| {
        data_pixels
            .iter()
            .filter(|&&(px, py)| px >= x && px <= x + layout.width && py >= y && py <= y + layout.height)
            .count()
    };
    let mut best = corners[0];
    let mut best_count = covered(&best);
    for corner in &corners[1..] {
        let count = covered(corner);
        if count < best_count {
            (best, best_count) = (*corner, count);
        }
    }
    draw_legend(plot, entries, &layout, best, true)
}

// ---------------------------------------------------------------------------------------------
// Axes

fn draw_axes<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, axes: &Axes) -> Result<(), PlotError> {
    let area = titled(area, &axes.title)?;
    // Transformed points of each series; `None` marks a point that cannot be drawn.
    let series: Vec<Vec<Option<(f64, f64)>>> = axes
        .series
        .iter()
        .map(|s| {
            s.points
                .iter()
                .map(|&(x, y)| Some((forward(axes.x_scale, x)?, forward(axes.y_scale, y)?)))
                .collect()
        })
        .collect();
    let drawable = || series.iter().flatten().flatten();
    let x_data = min_max(drawable().map(|p| p.0));
    let y_data = min_max(drawable().map(|p| p.1));
    let x = axis_spec(axes.x_scale, x_data);
    let y = axis_spec(axes.y_scale, y_data);
    let spec = Frame {
        x: &x,
        y: &y,
        x_label: &axes.x_label,
        y_label: &axes.y_label,
        x_grid: true,
        rotate_x_labels: false,
    };
    let mut chart = frame(&area, &spec)?;
    let (plot, base) = plot_pixels(&chart);
    // Every labelled series is in the legend, even one without a drawable point.
    let entries: Vec<LegendEntry> = axes
        .series
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.label.is_empty())
        .map(|(i, s)| LegendEntry {
            label: s.label.clone(),
            swatch: match s.mark {
                Mark::Line => Swatch::Line(palette(i), None),
                Mark::LinePoints => Swatch::Line(palette(i), Some(i)),
                Mark::Points => Swatch::Shape(i, palette(i), palette(i)),
            },
        })
        .collect();
    if x_data.is_none() {
        no_data(&plot, "no data")?;
        return legend_inside(&plot, &entries, &[]);
    }
    let to_px = |chart: &Chart<'_, DB>, p: (f64, f64)| {
        let (px, py) = chart.backend_coord(&p);
        (px - base.0, py - base.1)
    };
    let mut data_pixels = Vec::new();
    for (i, (s, points)) in axes.series.iter().zip(&series).enumerate() {
        let color = palette(i);
        if matches!(s.mark, Mark::Line | Mark::LinePoints) {
            for segment in points.split(|p| p.is_none()) {
                let segment: Vec<(f64, f64)> = segment.iter().flatten().copied().collect();
                if segment.len() < 2 {
                    continue;
                }
                let pixels: Vec<(i32, i32)> = segment.iter().map(|&p| to_px(&chart, p)).collect();
                for pair in pixels.windows(2) {
                    for k in 0..4 {
                        let f = k as f64 / 4.0;
                        let lerp = |a: i32, b: i32| a + ((b - a) as f64 * f) as i32;
                        data_pixels.push((lerp(pair[0].0, pair[1].0), lerp(pair[0].1, pair[1].1)));
                    }
                }
                chart
                    .draw_series(std::iter::once(PathElement::new(segment, color.stroke_width(2))))
                    .map_err(draw_err)?;
            }
        }
        if matches!(s.mark, Mark::Points | Mark::LinePoints) {
            let r = if s.mark == Mark::Points { 4 } else { 3 };
            for &p in points.iter().flatten() {
                let px = to_px(&chart, p);
                data_pixels.push(px);
                draw_shape(&plot, px, i, r, color, color)?;
            }
        } else {
            data_pixels.extend(points.iter().flatten().map(|&p| to_px(&chart, p)));
        }
    }
    legend_inside(&plot, &entries, &data_pixels)
}

// ---------------------------------------------------------------------------------------------
// Bars

fn draw_bars<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, bars: &Bars) -> Result<(), PlotError> {
    let area = titled(area, &bars.title)?;
    let n = bars.groups.len();
    let value = |stack: usize, group: usize| {
        let v = bars.stacks[stack].1[group];
        if usable(v) { v } else { 0.0 }
    };
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for g in 0..n {
        let pos: f64 = (0..bars.stacks.len()).map(|s| value(s, g).max(0.0)).sum();
        let neg: f64 = (0..bars.stacks.len()).map(|s| value(s, g).min(0.0)).sum();
        (lo, hi) = (lo.min(neg), hi.max(pos));
    }
    if lo == hi {
        hi = 1.0;
    }
    let y_range = (lo - if lo < 0.0 { 0.05 * (hi - lo) } else { 0.0 }, hi + 0.05 * (hi - lo));
    let y = AxisSpec { range: y_range, ticks: linear_ticks(y_range.0, y_range.1) };
    let x_ticks: Vec<(f64, String)> =
        bars.groups.iter().enumerate().map(|(i, g)| (i as f64 + 0.5, g.clone())).collect();
    let x = AxisSpec { range: (0.0, n.max(1) as f64), ticks: x_ticks };

    // Legend on the right, outside the bars (shares fill the whole height): every stack in
    // order, all-zero ones included (an empty category is still a category).
    let entries: Vec<LegendEntry> = bars
        .stacks
        .iter()
        .enumerate()
        .map(|(i, (label, _))| LegendEntry { label: label.clone(), swatch: Swatch::Rect(palette(i)) })
        .collect();
    let (w, h) = area.dim_in_pixel();
    let layout = legend_layout(&area, &entries, h as i32 - 60);
    let legend_w = if entries.is_empty() { 0 } else { (layout.width + 8).min(w as i32 / 2) };
    let (main, side) = area.split_horizontally(w as i32 - legend_w);

    let tick_style = font(TICK_SIZE);
    let plot_w_guess = (w as i32 - legend_w - 90).max(50);
    let widest = x.ticks.iter().map(|(_, s)| text_width(&main, s, &tick_style)).max().unwrap_or(0);
    let rotate = n > 0 && widest + 8 > plot_w_guess / n as i32;
    let spec =
        Frame { x: &x, y: &y, x_label: "", y_label: &bars.y_label, x_grid: false, rotate_x_labels: rotate };
    let mut chart = frame(&main, &spec)?;
    if n == 0 || bars.stacks.is_empty() {
        return no_data(&plot_pixels(&chart).0, "no data");
    }
    for g in 0..n {
        let (mut up, mut down) = (0.0, 0.0);
        for s in 0..bars.stacks.len() {
            let v = value(s, g);
            let (from, to) = if v >= 0.0 {
                up += v;
                (up - v, up)
            } else {
                down += v;
                (down - v, down)
            };
            if v == 0.0 {
                continue;
            }
            let rect = [(g as f64 + 0.15, from), (g as f64 + 0.85, to)];
            chart
                .draw_series(std::iter::once(Rectangle::new(rect, palette(s).filled())))
                .map_err(draw_err)?;
            let edge = Rectangle::new(rect, WHITE.stroke_width(1));
            chart.draw_series(std::iter::once(edge)).map_err(draw_err)?;
        }
    }
    if !entries.is_empty() {
        let top = chart.plotting_area().get_pixel_range().1.start - side.get_base_pixel().1;
        draw_legend(&side, &entries, &layout, (0, top), false)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Heatmap

fn sane_range((a, b): (f64, f64)) -> (f64, f64) {
    let (a, b) = if usable(a) && usable(b) { (a.min(b), a.max(b)) } else { (0.0, 1.0) };
    if b > a { (a, b) } else { (a - 0.5, a + 0.5) }
}

fn draw_heatmap<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, heat: &Heatmap) -> Result<(), PlotError> {
    let area = titled(area, &heat.title)?;
    let (w, h) = area.dim_in_pixel();
    let finite = min_max(heat.values.iter().copied());
    // Grey "no value" cells: NaN/unusable values, and negative categories.
    let categorical = matches!(heat.colors, HeatColors::Categorical { .. });
    let has_nan = heat.values.iter().any(|&v| !usable(v) || (categorical && v < 0.0));

    // Colour of each value, and what goes on the right of the plot.
    let mut side_entries = Vec::new();
    let bands = finite.map(|(lo, hi)| Bands::new(lo, hi));
    // Colour bar labels: (fraction of the bar's height, text).
    let bar_labels: Vec<(f64, String)> = match bands {
        Some(b) if b.step > 0.0 => {
            let skip = (b.count + 1).div_ceil(7);
            (0..=b.count)
                .step_by(skip)
                .map(|i| (i as f64 / b.count as f64, fmt_linear(b.first + i as f64 * b.step, b.step)))
                .collect()
        }
        Some(b) => vec![(0.5, fmt_general(b.first))],
        None => Vec::new(),
    };
    let bar_label_w =
        bar_labels.iter().map(|(_, s)| text_width(&area, s, &font(TICK_SIZE))).max().unwrap_or(0);
    let side_w = match &heat.colors {
        HeatColors::Continuous { .. } => BAR_X1 + 6 + bar_label_w + 10 + AXIS_LABEL_SIZE as i32 + 8,
        HeatColors::Categorical { labels } => {
            side_entries = labels
                .iter()
                .enumerate()
                .map(|(k, label)| LegendEntry { label: label.clone(), swatch: Swatch::Rect(palette(k)) })
                .collect();
            if has_nan {
                side_entries.push(LegendEntry { label: "no value".into(), swatch: Swatch::Rect(NAN_GREY) });
            }
            let layout = legend_layout(&area, &side_entries, h as i32 - 60);
            (layout.width + 8).min(w as i32 / 2)
        }
    };
    let color_of = |v: f64| -> RGBColor {
        if !usable(v) {
            return NAN_GREY;
        }
        match &heat.colors {
            HeatColors::Continuous { .. } => {
                let Some(bands) = bands else { return NAN_GREY };
                bands.color(bands.index(v))
            }
            HeatColors::Categorical { .. } => {
                if v < 0.0 {
                    NAN_GREY
                } else {
                    palette(v as usize)
                }
            }
        }
    };

    let (main, side) = area.split_horizontally(w as i32 - side_w);
    let (x0, x1) = sane_range(heat.x_range);
    let (y0, y1) = sane_range(heat.y_range);
    let x = AxisSpec { range: (x0, x1), ticks: linear_ticks(x0, x1) };
    let y = AxisSpec { range: (y0, y1), ticks: linear_ticks(y0, y1) };
    let spec = Frame {
        x: &x,
        y: &y,
        x_label: &heat.x_label,
        y_label: &heat.y_label,
        x_grid: false,
        rotate_x_labels: false,
    };
    let mut chart = frame(&main, &spec)?;
    let (plot, base) = plot_pixels(&chart);
    let no_cells = heat.nx == 0 || heat.ny == 0;
    let continuous_empty = matches!(heat.colors, HeatColors::Continuous { .. }) && finite.is_none();
    if no_cells || continuous_empty {
        no_data(&plot, "no data")?;
    } else {
        let (dx, dy) = ((x1 - x0) / heat.nx as f64, (y1 - y0) / heat.ny as f64);
        for (j, row) in heat.values.chunks(heat.nx).enumerate() {
            // One rectangle per run of equal colours keeps the SVG small.
            let mut i = 0;
            while i < row.len() {
                let color = color_of(row[i]);
                let mut end = i + 1;
                while end < row.len() && color_of(row[end]) == color {
                    end += 1;
                }
                let rect = [
                    (x0 + i as f64 * dx, y0 + j as f64 * dy),
                    (x0 + end as f64 * dx, y0 + (j + 1) as f64 * dy),
                ];
                chart.draw_series(std::iter::once(Rectangle::new(rect, color.filled()))).map_err(draw_err)?;
                i = end;
            }
        }
    }

    // Markers: one shape per distinct label, in order of first appearance.
    let mut kinds: Vec<&str> = Vec::new();
    let mut marker_pixels = Vec::new();
    for m in &heat.markers {
        let kind = match kinds.iter().position(|k| *k == m.label) {
            Some(kind) => kind,
            None => {
                kinds.push(&m.label);
                kinds.len() - 1
            }
        };
        let inside =
            m.x.is_finite() && m.y.is_finite() && (x0..=x1).contains(&m.x) && (y0..=y1).contains(&m.y);
        if inside {
            let (px, py) = chart.backend_coord(&(m.x, m.y));
            let px = (px - base.0, py - base.1);
            marker_pixels.push(px);
            let (fill, edge) = marker_colors(kind);
            draw_shape(&plot, px, kind, 6, fill, edge)?;
        }
    }
    let marker_entries: Vec<LegendEntry> = kinds
        .iter()
        .enumerate()
        .map(|(k, label)| {
            let (fill, edge) = marker_colors(k);
            LegendEntry { label: label.to_string(), swatch: Swatch::Shape(k, fill, edge) }
        })
        .collect();
    legend_inside(&plot, &marker_entries, &marker_pixels)?;

    // Colour bar or category legend, aligned with the plot area.
    let (_, plot_y) = chart.plotting_area().get_pixel_range();
    let side_base = side.get_base_pixel();
    let (top, bottom) = (plot_y.start - side_base.1, plot_y.end - side_base.1);
    match &heat.colors {
        HeatColors::Categorical { .. } => {
            let layout = legend_layout(&side, &side_entries, bottom - top);
            draw_legend(&side, &side_entries, &layout, (0, top), false)?;
        }
        HeatColors::Continuous { legend } => {
            if let Some(bands) = bands {
                colour_bar(&side, (top, bottom), bands, &bar_labels, bar_label_w, legend)?;
            }
        }
    }
    Ok(())
}

const BAR_X0: i32 = 4;
const BAR_X1: i32 = 22;

/// Draws the colour bar of `bands` between pixel rows `top` and `bottom` of `side`.
fn colour_bar<DB: DrawingBackend>(
    side: &DrawingArea<DB, Shift>,
    (top, bottom): (i32, i32),
    bands: Bands,
    labels: &[(f64, String)],
    label_w: i32,
    legend: &str,
) -> Result<(), PlotError> {
    let height = (bottom - top) as f64;
    let y_at = |f: f64| bottom - (height * f).round() as i32;
    for k in 0..bands.count {
        let (f0, f1) = (k as f64 / bands.count as f64, (k + 1) as f64 / bands.count as f64);
        let rect = [(BAR_X0, y_at(f1)), (BAR_X1, y_at(f0))];
        side.draw(&Rectangle::new(rect, bands.color(k).filled())).map_err(draw_err)?;
    }
    let frame = Rectangle::new([(BAR_X0, top), (BAR_X1, bottom)], INK.mix(0.8).stroke_width(1));
    side.draw(&frame).map_err(draw_err)?;
    let style = font(TICK_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    for (f, label) in labels {
        let y = y_at(*f);
        side.draw(&PathElement::new(vec![(BAR_X1, y), (BAR_X1 + 4, y)], INK.stroke_width(1)))
            .map_err(draw_err)?;
        side.draw_text(label, &style, (BAR_X1 + 6, y)).map_err(draw_err)?;
    }
    let x = BAR_X1 + 6 + label_w + 10;
    let style =
        font(AXIS_LABEL_SIZE).transform(FontTransform::Rotate270).pos(Pos::new(HPos::Center, VPos::Top));
    side.draw_text(legend, &style, (x, (top + bottom) / 2)).map_err(draw_err)
}

// ---------------------------------------------------------------------------------------------
// Tests

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_figure() -> Figure {
        let linear = Axes {
            title: "Linear convergence".into(),
            x_label: "iteration".into(),
            y_label: "objective".into(),
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            series: (0..3)
                .map(|s| Series {
                    label: format!("solver {s}"),
                    points: (0..40)
                        .map(|i| (i as f64, (i as f64 * 0.2 + s as f64).sin() + s as f64))
                        .collect(),
                    mark: [Mark::Line, Mark::Points, Mark::LinePoints][s],
                })
                .collect(),
        };
        let log = Axes {
            title: "Gradient norm".into(),
            x_label: "iteration".into(),
            y_label: "|grad f|".into(),
            x_scale: Scale::Linear,
            y_scale: Scale::Log10,
            series: (0..10)
                .map(|s| Series {
                    label: format!("run {s}"),
                    points: (0..30)
                        .map(|i| {
                            let v = 10f64.powf(2.0 - (s + 1) as f64 * i as f64 * 0.04);
                            // Some points that a log axis cannot draw.
                            let v = if i == 7 {
                                0.0
                            } else if i == 11 {
                                -3.0
                            } else if i == 13 {
                                f64::NAN
                            } else {
                                v
                            };
                            (i as f64, v)
                        })
                        .collect(),
                    mark: Mark::Line,
                })
                .collect(),
        };
        let symlog = Axes {
            title: "Hessian eigenvalues".into(),
            x_label: "step".into(),
            y_label: "eigenvalue".into(),
            x_scale: Scale::Linear,
            y_scale: Scale::SymLog { linthresh: 1e-8 },
            series: vec![
                Series {
                    label: "lambda min".into(),
                    points: (0..12).map(|i| (i as f64, -(10f64.powi(3 - i)))).collect(),
                    mark: Mark::LinePoints,
                },
                Series {
                    label: "lambda max".into(),
                    points: (0..12).map(|i| (i as f64, 10f64.powi(-8 + i))).collect(),
                    mark: Mark::LinePoints,
                },
            ],
        };
        let bars = Bars {
            title: "Outcomes".into(),
            y_label: "share of starts".into(),
            groups: vec!["newton".into(), "trust region".into(), "lbfgs".into()],
            stacks: vec![
                ("minimum".into(), vec![0.6, 0.7, 0.8]),
                ("saddle".into(), vec![0.3, 0.1, 0.15]),
                ("not converged".into(), vec![0.1, 0.2, f64::NAN]),
            ],
        };
        let (nx, ny) = (40, 30);
        let continuous = Heatmap {
            title: "Objective".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            x_range: (-2.0, 2.0),
            y_range: (-1.5, 1.5),
            nx,
            ny,
            values: (0..nx * ny)
                .map(|k| {
                    let (x, y) = (
                        -2.0 + 4.0 * ((k % nx) as f64 + 0.5) / nx as f64,
                        -1.5 + 3.0 * ((k / nx) as f64 + 0.5) / ny as f64,
                    );
                    (x * x - 1.0).powi(2) + y * y
                })
                .collect(),
            colors: HeatColors::Continuous { legend: "f(x, y)".into() },
            markers: vec![
                Marker { x: -1.0, y: 0.0, label: "minimum".into() },
                Marker { x: 1.0, y: 0.0, label: "minimum".into() },
                Marker { x: 0.0, y: 0.0, label: "saddle".into() },
                Marker { x: f64::NAN, y: 0.0, label: "saddle".into() },
            ],
        };
        let categorical = Heatmap {
            title: "Basins".into(),
            x_label: "x0".into(),
            y_label: "y0".into(),
            x_range: (-2.0, 2.0),
            y_range: (-1.5, 1.5),
            nx: 4,
            ny: 3,
            values: vec![0.0, 0.0, 1.0, 1.0, 0.0, f64::NAN, 2.0, 1.0, 0.0, 0.0, 1.0, 1.0],
            colors: HeatColors::Categorical {
                labels: vec!["left".into(), "right".into(), "diverged".into()],
            },
            markers: vec![],
        };
        Figure {
            title: "Sample figure".into(),
            panels: vec![
                Panel::Axes(linear),
                Panel::Axes(log),
                Panel::Axes(symlog),
                Panel::Bars(bars),
                Panel::Heatmap(continuous),
                Panel::Heatmap(categorical),
            ],
            columns: 3,
        }
    }

    fn decode(path: &Path) -> (u32, u32, Vec<u8>) {
        let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
        let mut reader = png::Decoder::new(file).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    #[test]
    fn renders_every_panel_kind_to_svg_and_png() {
        let dir = tempfile::tempdir().unwrap();
        let figure = sample_figure();
        // `PLOT_SAMPLE_DIR=dir cargo test` keeps a copy of the sample for eyeballing.
        if let Some(keep) = std::env::var_os("PLOT_SAMPLE_DIR") {
            render(&figure, Path::new(&keep), "sample").unwrap();
        }
        let paths = render(&figure, dir.path(), "sample").unwrap();
        assert_eq!(paths, vec![dir.path().join("sample.svg"), dir.path().join("sample.png")]);
        for path in &paths {
            assert!(path.is_file(), "{} missing", path.display());
        }
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);

        let (width, height, rgb) = decode(&paths[1]);
        assert_eq!((width, height), (3 * PANEL_WIDTH, TITLE_HEIGHT + 2 * PANEL_HEIGHT));
        assert_eq!((width, height), figure_size(&figure));
        // The title strip holds dark pixels: text was rasterized with the embedded font.
        let dark = |x: u32, y: u32| {
            let i = 3 * (y * width + x) as usize;
            rgb[i..i + 3].iter().all(|&c| c < 100)
        };
        let title_dark = (0..TITLE_HEIGHT)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .filter(|&(x, y)| dark(x, y))
            .count();
        assert!(title_dark > 100, "only {title_dark} dark pixels in the title strip");
        // Coloured pixels exist (series, bars, heatmap cells).
        let colored =
            rgb.chunks(3).filter(|p| p.iter().max().unwrap() - p.iter().min().unwrap() > 60).count();
        assert!(colored > 10_000, "only {colored} coloured pixels");

        let svg = std::fs::read_to_string(&paths[0]).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..50.min(svg.len())]);
        for text in [
            "Sample figure",
            "Linear convergence",
            "iteration",
            "objective",
            "solver 2",
            "run 9",
            "eigenvalue",
            "lambda min",
            "share of starts",
            "trust region",
            "not converged",
            "f(x, y)",
            "minimum",
            "saddle",
            "diverged",
            "no value",
        ] {
            assert!(svg.contains(&format!(">\n{text}\n</text>")), "SVG lacks text '{text}'");
        }
        // Log axis ticks in decades, symlog ticks in original units with both signs.
        for tick in [">\n1e-10\n<", ">\n1e2\n<", ">\n1e-6\n<", ">\n0\n<", ">\n-1e-3\n<", ">\n1e3\n<"] {
            assert!(svg.contains(tick), "SVG lacks tick {tick}");
        }
    }

    #[test]
    fn output_is_deterministic() {
        let figure = sample_figure();
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let first = render(&figure, a.path(), "f").unwrap();
        let second = render(&figure, b.path(), "f").unwrap();
        for (x, y) in first.iter().zip(&second) {
            assert!(std::fs::read(x).unwrap() == std::fs::read(y).unwrap(), "{} differs", x.display());
        }
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let dir = tempfile::tempdir().unwrap();
        let nan = Series {
            label: "nan".into(),
            points: vec![(f64::NAN, 1.0), (1.0, f64::INFINITY)],
            mark: Mark::LinePoints,
        };
        let flat = Series { label: "flat".into(), points: vec![(2.0, 5.0), (2.0, 5.0)], mark: Mark::Line };
        let axes = |series: Vec<Series>, y_scale| {
            Panel::Axes(Axes {
                title: String::new(),
                x_label: String::new(),
                y_label: String::new(),
                x_scale: Scale::Linear,
                y_scale,
                series,
            })
        };
        let extreme = |points: Vec<(f64, f64)>| Series { label: "x".into(), points, mark: Mark::Points };
        let figure = Figure {
            title: String::new(),
            panels: vec![
                axes(vec![extreme(vec![(-1e200, -1e200), (1e200, 1e200), (f64::MAX, 0.0)])], Scale::Linear),
                axes(vec![extreme(vec![(0.0, 1e-320), (1.0, f64::MAX)])], Scale::Log10),
                axes(
                    vec![extreme(vec![(0.0, -1e200), (1.0, 1e200), (2.0, f64::MAX)])],
                    Scale::SymLog { linthresh: 1e-200 },
                ),
                axes(vec![nan.clone()], Scale::Linear),
                axes(vec![nan.clone()], Scale::Log10),
                axes(vec![nan, flat.clone()], Scale::SymLog { linthresh: -1.0 }),
                axes(vec![flat], Scale::Log10),
                axes(vec![], Scale::Linear),
                Panel::Bars(Bars {
                    title: "empty".into(),
                    y_label: String::new(),
                    groups: vec![],
                    stacks: vec![],
                }),
                Panel::Heatmap(Heatmap {
                    title: "all missing".into(),
                    x_label: String::new(),
                    y_label: String::new(),
                    x_range: (1.0, 1.0),
                    y_range: (f64::NAN, 0.0),
                    nx: 2,
                    ny: 1,
                    values: vec![f64::NAN, f64::INFINITY],
                    colors: HeatColors::Continuous { legend: "v".into() },
                    markers: vec![Marker { x: f64::INFINITY, y: 0.0, label: "m".into() }],
                }),
                Panel::Heatmap(Heatmap {
                    title: "empty".into(),
                    x_label: String::new(),
                    y_label: String::new(),
                    x_range: (0.0, 1.0),
                    y_range: (0.0, 1.0),
                    nx: 0,
                    ny: 0,
                    values: vec![],
                    colors: HeatColors::Categorical { labels: vec![] },
                    markers: vec![],
                }),
            ],
            columns: 0,
        };
        render(&figure, dir.path(), "degenerate").unwrap();
        let (width, height, _) = decode(&dir.path().join("degenerate.png"));
        assert_eq!((width, height), (PANEL_WIDTH, 11 * PANEL_HEIGHT));
        let svg = std::fs::read_to_string(dir.path().join("degenerate.svg")).unwrap();
        assert!(svg.contains(">\nno data\n</text>"));
        assert!(!svg.contains("inf") && !svg.contains("NaN"), "non-finite value written to the SVG");

        let empty = Figure { title: "Nothing".into(), panels: vec![], columns: 2 };
        render(&empty, dir.path(), "empty").unwrap();
        let (width, height, _) = decode(&dir.path().join("empty.png"));
        assert_eq!((width, height), (PANEL_WIDTH, TITLE_HEIGHT + PANEL_HEIGHT));
    }

    #[test]
    fn inconsistent_data_is_an_error_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let bars = Bars {
            title: "b".into(),
            y_label: String::new(),
            groups: vec!["a".into()],
            stacks: vec![("s".into(), vec![])],
        };
        let figure = Figure { title: String::new(), panels: vec![Panel::Bars(bars)], columns: 1 };
        let error = render(&figure, dir.path(), "bad").unwrap_err();
        assert!(error.to_string().contains("one value per group"), "{error}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    /// `(attributes, content)` of every `<text>` element of an SVG written by plotters.
    fn svg_texts(svg: &str) -> Vec<(String, String)> {
        svg.split("<text ")
            .skip(1)
            .map(|t| {
                let (attrs, rest) = t.split_once('>').unwrap();
                let content = rest.split("</text>").next().unwrap().trim();
                (format!(" {attrs}"), content.to_string())
            })
            .collect()
    }

    fn attr(attrs: &str, name: &str) -> String {
        let start = attrs.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        attrs[start..].split('"').next().unwrap().to_string()
    }

    const F5_TITLE: &str =
        "F5  Where runs end, per solver (sin 2πx, 64 points; stationary: ‖∇L‖ ≤ 1e-6; fitted: ‖r‖ ≤ 1e-3‖y‖)";

    /// Like figure F5: 13 long-named groups, five stacks of which three are all zero.
    fn f5_bars() -> Bars {
        let groups: Vec<String> = [
            "newton",
            "newton-pinv",
            "damped-newton",
            "saddle-free-newton",
            "trust-region",
            "newton-cg",
            "gauss-newton",
            "lm",
            "bfgs",
            "lbfgs",
            "adam",
            "gd",
            "cubic-regularized-newton",
        ]
        .map(String::from)
        .to_vec();
        let n = groups.len();
        let fitted: Vec<f64> = (0..n).map(|g| [0.0, 0.1, 0.2][g % 3]).collect();
        Bars {
            title: "network 1,8,1 tanh, 20 seeds".into(),
            y_label: "share of runs".into(),
            groups,
            stacks: vec![
                ("fitted".into(), fitted.clone()),
                ("minimum".into(), fitted.iter().map(|f| 1.0 - f).collect()),
                ("degenerate".into(), vec![0.0; n]),
                ("saddle".into(), vec![0.0; n]),
                ("not_converged".into(), vec![0.0; n]),
            ],
        }
    }

    #[test]
    fn long_figure_title_wraps_instead_of_clipping() {
        let dir = tempfile::tempdir().unwrap();
        let figure = Figure { title: F5_TITLE.into(), panels: vec![Panel::Bars(f5_bars())], columns: 1 };
        let lines = title_lines(F5_TITLE, PANEL_WIDTH);
        assert!(lines.len() >= 2, "{lines:?}");
        for line in &lines {
            assert!(title_width(line) <= PANEL_WIDTH - 2 * TITLE_MARGIN, "line '{line}' too wide");
        }
        assert_eq!(lines.join(" "), F5_TITLE, "wrapping must keep every character");
        let size = figure_size(&figure);
        assert_eq!(size, (PANEL_WIDTH, lines.len() as u32 * TITLE_HEIGHT + PANEL_HEIGHT));
        render(&figure, dir.path(), "f5").unwrap();
        let (w, h, _) = decode(&dir.path().join("f5.png"));
        assert_eq!((w, h), size);
        let svg = std::fs::read_to_string(dir.path().join("f5.svg")).unwrap();
        let texts = svg_texts(&svg);
        for word in F5_TITLE.split_whitespace() {
            assert!(texts.iter().any(|(_, t)| t.split_whitespace().any(|x| x == word)), "no word '{word}'");
        }
        // A title that fits stays on one line; a word wider than the figure is broken.
        assert_eq!(title_lines("Sample figure", PANEL_WIDTH), ["Sample figure"]);
        assert!(title_lines("", PANEL_WIDTH).is_empty());
        let long = "x".repeat(200);
        let broken = title_lines(&long, PANEL_WIDTH);
        assert!(broken.len() >= 2 && broken.concat() == long, "{broken:?}");
    }

    #[test]
    fn bars_show_every_stack_and_whole_rotated_labels() {
        let dir = tempfile::tempdir().unwrap();
        let bars = f5_bars();
        let figure = Figure { title: String::new(), panels: vec![Panel::Bars(bars.clone())], columns: 1 };
        render(&figure, dir.path(), "bars").unwrap();
        let svg = std::fs::read_to_string(dir.path().join("bars.svg")).unwrap();
        let texts = svg_texts(&svg);

        // Every stack is in the legend, in order, all-zero stacks included.
        let at = |label: &str| texts.iter().position(|(_, t)| t == label);
        let positions: Vec<Option<usize>> = bars.stacks.iter().map(|(label, _)| at(label)).collect();
        assert!(positions.iter().all(Option::is_some), "legend lacks a stack: {positions:?}");
        assert!(positions.windows(2).all(|p| p[0] < p[1]), "legend out of order: {positions:?}");

        // Rotated group labels hang from the axis, end at the top, and fit in the image.
        let axis_y: i32 =
            texts.iter().find(|(_, t)| t == "0").map(|(a, _)| attr(a, "y").parse().unwrap()).unwrap();
        for group in &bars.groups {
            let (attrs, _) =
                texts.iter().find(|(_, t)| t == group).unwrap_or_else(|| panic!("no label {group}"));
            assert!(attrs.contains("rotate(270,"), "{attrs}");
            assert_eq!(attr(attrs, "text-anchor"), "end", "{attrs}");
            let (x, y): (i32, i32) = (attr(attrs, "x").parse().unwrap(), attr(attrs, "y").parse().unwrap());
            let size: f64 = attr(attrs, "font-size").parse().unwrap();
            assert!((ROTATED_MIN_SIZE..=TICK_SIZE).contains(&size), "{group} at {size} px");
            let len = font(size).font.box_size(group).unwrap().0 as i32;
            assert!(x > 0 && x < PANEL_WIDTH as i32, "{group} at x = {x}");
            assert!(y > axis_y && y + len < PANEL_HEIGHT as i32, "{group} spans {y}..{}", y + len);
        }
        // Nothing but the group labels is rotated by 90 degrees (the stray glyphs were
        // halves of centred labels poking into the plot).
        assert!(!svg.contains("rotate(90,"), "label rotated the wrong way");

        // In the bitmap, the label area below the axis holds the labels' ink.
        let (width, height, rgb) = decode(&dir.path().join("bars.png"));
        let dark_rows = (axis_y as u32 + 6..height)
            .filter(|&y| (0..width).any(|x| rgb[3 * (y * width + x) as usize] < 100))
            .count();
        assert!(dark_rows > 100, "rotated labels missing below the axis ({dark_rows} dark rows)");
    }

    #[test]
    fn axes_legend_lists_series_without_drawable_points() {
        let dir = tempfile::tempdir().unwrap();
        let series =
            |label: &str, points: Vec<(f64, f64)>| Series { label: label.into(), points, mark: Mark::Line };
        let axes = |series: Vec<Series>| {
            Panel::Axes(Axes {
                title: "t".into(),
                x_label: "x".into(),
                y_label: "y".into(),
                x_scale: Scale::Linear,
                y_scale: Scale::Log10,
                series,
            })
        };
        let figure = Figure {
            title: String::new(),
            panels: vec![
                axes(vec![series("drawn", vec![(0.0, 1.0), (1.0, 2.0)]), series("ghost", vec![(0.0, -1.0)])]),
                axes(vec![series("lonely", vec![(f64::NAN, 1.0)])]),
            ],
            columns: 2,
        };
        render(&figure, dir.path(), "axes").unwrap();
        let svg = std::fs::read_to_string(dir.path().join("axes.svg")).unwrap();
        for label in ["drawn", "ghost", "lonely", "no data"] {
            assert!(svg.contains(&format!(">\n{label}\n</text>")), "SVG lacks '{label}'");
        }
    }

    #[test]
    fn no_value_entry_only_with_grey_cells() {
        let dir = tempfile::tempdir().unwrap();
        let heat = |values: Vec<f64>| {
            Panel::Heatmap(Heatmap {
                title: "c".into(),
                x_label: String::new(),
                y_label: String::new(),
                x_range: (0.0, 1.0),
                y_range: (0.0, 1.0),
                nx: 2,
                ny: 1,
                values,
                colors: HeatColors::Categorical { labels: vec!["a".into(), "b".into()] },
                markers: vec![],
            })
        };
        for (values, grey) in [(vec![0.0, 1.0], false), (vec![0.0, f64::NAN], true), (vec![-1.0, 1.0], true)]
        {
            let figure = Figure { title: String::new(), panels: vec![heat(values.clone())], columns: 1 };
            render(&figure, dir.path(), "heat").unwrap();
            let svg = std::fs::read_to_string(dir.path().join("heat.svg")).unwrap();
            assert_eq!(svg.contains(">\nno value\n</text>"), grey, "{values:?}");
        }
    }

    #[test]
    fn ticks_are_labelled_in_original_units() {
        let labels = |ticks: Vec<(f64, String)>| ticks.into_iter().map(|t| t.1).collect::<Vec<_>>();
        assert_eq!(labels(linear_ticks(-0.05, 1.05)), ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        assert_eq!(labels(log_ticks(-3.2, 2.1)), ["1e-3", "1e-2", "0.1", "1", "10", "1e2"]);
        let scale = Scale::SymLog { linthresh: 1.0 };
        let range = (forward(scale, -150.0).unwrap(), forward(scale, 150.0).unwrap());
        assert_eq!(labels(symlog_ticks(scale, 1.0, range)), ["-1e2", "-10", "-1", "0", "1", "10", "1e2"]);
        assert_eq!(fmt_general(0.000123456), "1.23e-4");
        assert_eq!(fmt_general(12.5), "12.5");
    }
}
