//! Figure rendering for `cargo xtask figures` on plotters: x–y axes, horizontal stacked bars
//! and heatmaps in a grid of panels, each with its legend beside the plot (never over the
//! data), rendered to an SVG and a PNG of the same drawing.
//!
//! Text is rasterized with the embedded DejaVu Sans (registered as `sans-serif`), so PNG
//! output needs no system font; SVG output names the `sans-serif` family.

use std::ops::Range;
use std::sync::OnceLock;

use anyhow::{Context, bail, ensure};

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, SegmentValue};
use plotters::coord::types::RangedCoordf64;
use plotters::element::{ComposedElement, Polygon};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};

/// Width of one panel's plot, title and tick labels, in pixels (its legend comes on top).
pub const PANEL_WIDTH: u32 = 560;
/// Height of one panel, in pixels.
pub const PANEL_HEIGHT: u32 = 420;
/// Height of one line of the figure title, in pixels.
pub const TITLE_HEIGHT: u32 = 40;

/// How values map to positions along an axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// Identity.
    Linear,
    /// `log10(v)`; non-positive points are not drawn.
    Log10,
    /// `sign(v) log10(1 + |v| / linthresh)`: linear near zero, logarithmic far from it;
    /// ticks at ±powers of ten. `linthresh` must be positive.
    SymLog {
        /// Magnitude below which the axis is roughly linear.
        linthresh: f64,
    },
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// A polyline, broken where a point cannot be drawn.
    Line,
    /// One marker per point; the shape cycles with the series index.
    Points,
    /// Both.
    LinePoints,
}

/// One labelled set of `(x, y)` points of an [`Axes`] panel.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend label; an empty label leaves the series out of the legend.
    pub label: String,
    /// Data, in original units.
    pub points: Vec<(f64, f64)>,
    /// How the points are drawn.
    pub mark: Mark,
}

/// An x–y plot of several series; colours follow the series index.
#[derive(Debug, Clone)]
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

/// Horizontal stacked bars: one bar per group (first on top), one segment per stack.
#[derive(Debug, Clone)]
pub struct Bars {
    /// Panel title.
    pub title: String,
    /// Label of the value axis.
    pub value_label: String,
    /// Group names, one bar each.
    pub groups: Vec<String>,
    /// `(legend label, one non-negative value per group)`, stacked left to right.
    pub stacks: Vec<(String, Vec<f64>)>,
}

/// A field of values on a regular grid, with point markers on top.
#[derive(Debug, Clone)]
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
    /// `ny` rows of `nx` values, row 0 at `y_range.0`.
    pub values: Vec<f64>,
    /// How values become colours.
    pub colors: HeatColors,
    /// Points drawn on top of the field; each distinct label gets a shape and a legend entry.
    pub markers: Vec<(f64, f64, String)>,
}

/// How a [`Heatmap`] colours its values.
#[derive(Debug, Clone)]
pub enum HeatColors {
    /// Viridis over the finite values' range in 12 bands, with a colour bar of this label.
    Continuous(String),
    /// Value `k` gets palette colour `k` and legend label `k`; NaN is grey ("no value").
    Categorical(Vec<String>),
}

/// One cell of a [`Figure`].
#[derive(Debug, Clone)]
pub enum Panel {
    /// An x–y plot.
    Axes(Axes),
    /// Stacked bars.
    Bars(Bars),
    /// A heatmap.
    Heatmap(Heatmap),
}

/// Panels laid out row by row in `columns` columns under a title (`\n` breaks its lines).
#[derive(Debug, Clone)]
pub struct Figure {
    /// Figure title.
    pub title: String,
    /// Panels, filled row by row.
    pub panels: Vec<Panel>,
    /// Number of columns (at least 1).
    pub columns: usize,
}

/// Renders `figure` to `(SVG, PNG)` bytes. A title wider than its figure or panel is an
/// error (shorten it, or break the figure title with `\n`), never clipped text.
pub fn render(figure: &Figure) -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
    ensure!(!figure.title.trim().is_empty(), "a figure needs a title");
    if !*FONTS.get_or_init(|| {
        register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    }) {
        bail!("cannot register the embedded DejaVu Sans font with plotters");
    }
    let columns = figure.columns.clamp(1, figure.panels.len().max(1));
    let rows = figure.panels.len().div_ceil(columns) as u32;
    let legend = figure.panels.iter().map(legend_width).max().unwrap_or(0);
    let panel_width = PANEL_WIDTH + legend;
    let width = columns as u32 * panel_width;
    let title_lines: Vec<&str> = figure.title.lines().collect();
    for line in &title_lines {
        fits(line, &bold(FIGURE_TITLE_SIZE), width, "the figure title")?;
    }
    let height = title_lines.len() as u32 * TITLE_HEIGHT + 8 + rows * PANEL_HEIGHT;
    let layout = Layout { columns, panel_width, legend, title_lines };
    let mut svg = String::new();
    draw_figure(SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area(), figure, &layout)?;
    let mut rgb = vec![255u8; width as usize * height as usize * 3];
    draw_figure(BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area(), figure, &layout)?;
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&rgb)?;
    writer.finish()?;
    Ok((svg.into_bytes(), png))
}

struct Layout<'a> {
    columns: usize,
    panel_width: u32,
    legend: u32,
    title_lines: Vec<&'a str>,
}

fn draw_figure<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    figure: &Figure,
    layout: &Layout,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (width, _) = root.dim_in_pixel();
    let (top, body) = root.split_vertically(layout.title_lines.len() as u32 * TITLE_HEIGHT + 8);
    let style = bold(FIGURE_TITLE_SIZE).pos(Pos::new(HPos::Center, VPos::Center));
    for (i, line) in layout.title_lines.iter().enumerate() {
        let y = (i as u32 * TITLE_HEIGHT + TITLE_HEIGHT / 2 + 4) as i32;
        top.draw_text(line, &style, (width as i32 / 2, y))?;
    }
    for (i, panel) in figure.panels.iter().enumerate() {
        let (row, col) = ((i / layout.columns) as u32, (i % layout.columns) as u32);
        let at = (col * layout.panel_width, row * PANEL_HEIGHT);
        let area = body.clone().shrink(at, (layout.panel_width, PANEL_HEIGHT));
        draw_panel(&area, panel, layout.legend).with_context(|| format!("panel {}", i + 1))?;
    }
    root.present()?;
    Ok(())
}

static FONTS: OnceLock<bool> = OnceLock::new();

// ---------------------------------------------------------------------------------------------
// Style

const FONT: &str = "sans-serif";
const FIGURE_TITLE_SIZE: f64 = 22.0;
const PANEL_TITLE_SIZE: f64 = 18.0;
const AXIS_LABEL_SIZE: f64 = 16.0;
const TICK_SIZE: f64 = 14.0;
const LEGEND_SIZE: f64 = 14.0;
/// Horizontal room of a legend entry's swatch, and the gap between plot and legend.
const SWATCH: u32 = 28;
const LEGEND_GAP: u32 = 12;
const NO_VALUE: RGBColor = RGBColor(0xd9, 0xd9, 0xd9);
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

fn palette(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Plotters divides font sizes by 1.24 when writing SVG `font-size`, so sizes are given in
/// CSS pixels and scaled here.
fn font(px: f64) -> TextStyle<'static> {
    TextStyle::from((FONT, px * 1.24).into_font()).color(&INK)
}

fn bold(px: f64) -> TextStyle<'static> {
    TextStyle::from((FONT, px * 1.24, FontStyle::Bold).into_font()).color(&INK)
}

fn text_width(text: &str, style: &TextStyle) -> u32 {
    style.font.box_size(text).map_or(0, |(w, _)| w)
}

fn fits(text: &str, style: &TextStyle, width: u32, what: &str) -> anyhow::Result<()> {
    let w = text_width(text, style);
    ensure!(w + 16 <= width, "{what} '{text}' is {w} px wide, more than the {width} px it has");
    Ok(())
}

/// Tick label of `v` on a `scale` axis: `2.5e-7` for tiny or huge values, at most four
/// significant digits otherwise; on a logarithmic axis, `1e-6` for powers of ten but 0.1, 1
/// and 10.
fn tick(scale: Scale, v: f64) -> String {
    let v = format!("{v:.3e}").parse::<f64>().unwrap_or(v);
    let exp = if v == 0.0 { 0 } else { v.abs().log10().floor() as i32 };
    let decade = scale != Scale::Linear && v.abs() == 10f64.powi(exp) && !(-1..=1).contains(&exp);
    if decade || !(-3..5).contains(&exp) { format!("{v:e}") } else { format!("{v}") }
}

// ---------------------------------------------------------------------------------------------
// Axes

/// A coordinate of f64 values on a [`Scale`], over `lo..hi` in original units. Ticks come
/// from plotters (linear and logarithmic) or are the ±powers of ten (symmetric log).
#[derive(Clone)]
struct Axis {
    scale: Scale,
    lo: f64,
    hi: f64,
}

/// Position of `v` along an axis of `scale`, or `None` if it cannot be drawn there.
fn forward(scale: Scale, v: f64) -> Option<f64> {
    match scale {
        _ if !v.is_finite() => None,
        Scale::Linear => Some(v),
        Scale::Log10 => (v > 0.0).then(|| v.log10()),
        Scale::SymLog { linthresh } => {
            Some(v.signum() * (v.abs() / linthresh).ln_1p() / std::f64::consts::LN_10)
        }
    }
}

fn inverse(scale: Scale, t: f64) -> f64 {
    match scale {
        Scale::Linear => t,
        Scale::Log10 => 10f64.powf(t),
        Scale::SymLog { linthresh } => t.signum() * linthresh * (10f64.powf(t.abs()) - 1.0),
    }
}

impl Axis {
    /// The data's range on `scale`, padded by 5% (a flat or empty range gets room around it).
    fn fit(scale: Scale, values: impl Iterator<Item = f64>) -> Axis {
        let (lo, hi) = values
            .filter_map(|v| forward(scale, v))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), t| (lo.min(t), hi.max(t)));
        let span = hi - lo;
        let (lo, hi) = if span > 0.0 && span.is_finite() {
            (lo - 0.05 * span, hi + 0.05 * span)
        } else if span == 0.0 {
            let pad = 0.5_f64.max(lo.abs() * 0.1);
            (lo - pad, hi + pad)
        } else {
            (0.0, 1.0)
        };
        Axis { scale, lo: inverse(scale, lo), hi: inverse(scale, hi) }
    }
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, (start, end): (i32, i32)) -> i32 {
        let t = |v| forward(self.scale, v).unwrap_or(f64::NAN);
        let f = (t(*v) - t(self.lo)) / (t(self.hi) - t(self.lo));
        start + ((end - start) as f64 * f).round().clamp(-1e6, 1e6) as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        match self.scale {
            Scale::Linear => {
                // Plotters' ticks are multiples of a step, up to rounding: make 0 exact.
                let tiny = 1e-9 * (self.hi - self.lo).abs();
                let ticks = RangedCoordf64::from(self.lo..self.hi).key_points(hint);
                ticks.into_iter().map(|t| if t.abs() < tiny { 0.0 } else { t }).collect()
            }
            Scale::Log10 => {
                // Over few decades plotters adds 2, 3, ..., 9 × 10^k: keep 1, 2 and 5.
                let ticks = LogCoord::from((self.lo..self.hi).log_scale()).key_points(hint);
                let mantissa = |t: f64| (t / 10f64.powf((t.log10() + 1e-6).floor()) * 1e6).round() / 1e6;
                ticks.into_iter().filter(|&t| [1.0, 2.0, 5.0].contains(&mantissa(t))).collect()
            }
            Scale::SymLog { linthresh } => {
                let top = self.lo.abs().max(self.hi.abs()).log10().ceil() as i32;
                let decades: Vec<i32> = (linthresh.log10().floor() as i32..=top).collect();
                // Every `step`-th decade, ±, and 0: at most about a dozen ticks.
                let step = decades.len().div_ceil(6).max(1);
                let mut ticks = vec![0.0];
                for k in decades.iter().rev().step_by(step) {
                    ticks.extend([10f64.powi(*k), -(10f64.powi(*k))]);
                }
                ticks.retain(|t| (self.lo..=self.hi).contains(t));
                ticks.sort_by(f64::total_cmp);
                ticks
            }
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// A pixel position.
type Px = (i32, i32);

/// A marker: a filled shape with an outline, anchored at a data (or pixel) position.
type Marker<C, DB> = ComposedElement<C, DB, Polygon<Px>, PathElement<Px>>;

/// Marker `kind` (circle, triangle, square, diamond, inverted triangle, cycled) of
/// radius `r` at `at`.
fn marker<C, DB: DrawingBackend>(
    kind: usize,
    at: C,
    r: i32,
    fill: ShapeStyle,
    edge: ShapeStyle,
) -> Marker<C, DB> {
    let s = r + 1;
    let vertices = match kind % 5 {
        0 => (0..16)
            .map(|k| {
                let a = k as f64 * std::f64::consts::PI / 8.0;
                ((r as f64 * a.cos()).round() as i32, (r as f64 * a.sin()).round() as i32)
            })
            .collect(),
        1 => vec![(0, -s), (s, r), (-s, r)],
        2 => vec![(-r, -r), (r, -r), (r, r), (-r, r)],
        3 => vec![(0, -s), (s, 0), (0, s), (-s, 0)],
        _ => vec![(-s, -r), (s, -r), (0, s)],
    };
    let outline: Vec<Px> = vertices.iter().chain(&vertices[..1]).copied().collect();
    EmptyElement::at(at) + Polygon::new(vertices, fill) + PathElement::new(outline, edge)
}

/// A legend key: a short line (possibly transparent) with a marker (possibly transparent)
/// on its middle.
#[derive(Clone, Copy)]
struct Key {
    line: ShapeStyle,
    kind: usize,
    r: i32,
    fill: ShapeStyle,
    edge: ShapeStyle,
}

type KeyElement<DB> = ComposedElement<Px, DB, PathElement<Px>, Marker<Px, DB>>;

impl Key {
    /// The key of series `i` drawn with `mark`.
    fn series(i: usize, mark: Mark) -> Key {
        let (color, none) = (palette(i), ShapeStyle::from(TRANSPARENT));
        let (line, r) = if mark == Mark::Points { (none, 5) } else { (color.stroke_width(3), 4) };
        let (fill, edge) = if mark == Mark::Line { (none, none) } else { (color.filled(), color.into()) };
        Key { line, kind: i, r, fill, edge }
    }

    /// A filled square.
    fn swatch(color: RGBColor) -> Key {
        let none = ShapeStyle::from(TRANSPARENT);
        Key { line: none, kind: 2, r: 7, fill: color.filled(), edge: BLACK.mix(0.4).stroke_width(1) }
    }

    fn element<DB: DrawingBackend>(self, at: Px) -> KeyElement<DB> {
        EmptyElement::at(at)
            + PathElement::new(vec![(0, 0), (22, 0)], self.line)
            + marker(self.kind, (11, 0), self.r, self.fill, self.edge)
    }
}

/// A panel's legend: label and key of each entry.
type Legend = Vec<(String, Key)>;

/// The legend entries of a panel, and what else its side strip holds (a colour bar).
fn legend_of(panel: &Panel) -> Legend {
    match panel {
        Panel::Axes(a) => a
            .series
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.label.is_empty())
            .map(|(i, s)| (s.label.clone(), Key::series(i, s.mark)))
            .collect(),
        Panel::Bars(b) => {
            b.stacks.iter().enumerate().map(|(i, s)| (s.0.clone(), Key::swatch(palette(i)))).collect()
        }
        Panel::Heatmap(h) => {
            let mut kinds: Legend = Vec::new();
            for (_, _, label) in &h.markers {
                if !kinds.iter().any(|(l, _)| l == label) {
                    let k = kinds.len();
                    let (fill, edge) = if k.is_multiple_of(2) { (WHITE, BLACK) } else { (BLACK, WHITE) };
                    let key = Key {
                        line: TRANSPARENT.into(),
                        kind: k,
                        r: 5,
                        fill: fill.filled(),
                        edge: edge.into(),
                    };
                    kinds.push((label.clone(), key));
                }
            }
            if let HeatColors::Categorical(labels) = &h.colors {
                kinds.extend(labels.iter().enumerate().map(|(k, l)| (l.clone(), Key::swatch(palette(k)))));
                if h.values.iter().any(|v| !v.is_finite()) {
                    kinds.push(("no value".into(), Key::swatch(NO_VALUE)));
                }
            }
            kinds
        }
    }
}

/// Room for a panel's legend (or colour bar) beside its plot.
fn legend_width(panel: &Panel) -> u32 {
    let style = font(LEGEND_SIZE);
    let widest = legend_of(panel).iter().map(|(l, _)| text_width(l, &style)).max();
    let keys = widest.map_or(0, |w| LEGEND_GAP + SWATCH + w + 16);
    match panel {
        Panel::Heatmap(Heatmap { colors: HeatColors::Continuous(_), .. }) => keys.max(COLOUR_BAR_WIDTH),
        _ => keys,
    }
}

/// Draws `legend` at the top left of `side` with plotters' series labels, on a blank chart
/// that covers the strip (labels drawn on the data chart would be clipped to its plot).
fn draw_legend<DB: DrawingBackend>(side: &DrawingArea<DB, Shift>, legend: &Legend) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    if legend.is_empty() {
        return Ok(());
    }
    let mut chart = ChartBuilder::on(side).build_cartesian_2d(0.0..1.0, 0.0..1.0)?;
    for (label, key) in legend {
        let key = *key;
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
            .label(label)
            .legend(move |at| key.element(at));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .margin(0)
        .legend_area_size(SWATCH)
        .label_font(font(LEGEND_SIZE))
        .background_style(WHITE)
        .border_style(TRANSPARENT)
        .draw()?;
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    legend: u32,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let title = match panel {
        Panel::Axes(a) => &a.title,
        Panel::Bars(b) => &b.title,
        Panel::Heatmap(h) => &h.title,
    };
    fits(title, &bold(PANEL_TITLE_SIZE), area.dim_in_pixel().0, "the panel title")?;
    let area = area.titled(title, bold(PANEL_TITLE_SIZE))?;
    let (w, h) = area.dim_in_pixel();
    let (main, side) = area.split_horizontally(w - legend);
    // The side strip starts level with the top of the plot and ends level with its bottom.
    let side = side.margin(MARGIN, MARGIN + X_LABELS, LEGEND_GAP, 0);
    let mut builder = ChartBuilder::on(&main);
    builder.margin(MARGIN).x_label_area_size(X_LABELS).y_label_area_size(76);
    match panel {
        Panel::Axes(axes) => draw_axes(&mut builder, axes)?,
        Panel::Bars(bars) => draw_bars(&mut builder, bars)?,
        Panel::Heatmap(heat) => draw_heatmap(&mut builder, heat)?,
    }
    let entries = legend_of(panel);
    draw_legend(&side, &entries)?;
    if let Panel::Heatmap(Heatmap { colors: HeatColors::Continuous(label), values, .. }) = panel {
        let top = entries.len() as u32 * LEGEND_ROW + 16;
        if top + 60 < h {
            colour_bar(&side.margin(top, 0, 0, 0), finite_range(values), label)?;
        }
    }
    Ok(())
}

const MARGIN: u32 = 8;
const X_LABELS: u32 = 44;
const LEGEND_ROW: u32 = 20;
const COLOUR_BAR_WIDTH: u32 = 110;

fn mesh<'a, DB: DrawingBackend + 'a, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    (x_desc, y_desc): (&str, &str),
    (x_scale, y_scale): (Scale, Scale),
) -> anyhow::Result<()>
where
    X: Ranged<FormatOption = DefaultFormatting, ValueType = f64>,
    Y: Ranged<FormatOption = DefaultFormatting, ValueType = f64>,
    DB::ErrorType: 'static,
{
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&|v| tick(x_scale, *v))
        .y_label_formatter(&|v| tick(y_scale, *v))
        .label_style(font(TICK_SIZE))
        .axis_desc_style(font(AXIS_LABEL_SIZE))
        .bold_line_style(BLACK.mix(0.1))
        .light_line_style(TRANSPARENT)
        .axis_style(INK.mix(0.8))
        .draw()?;
    Ok(())
}

fn draw_axes<'a, DB: DrawingBackend + 'a>(
    builder: &mut ChartBuilder<'a, '_, DB>,
    axes: &Axes,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let drawable =
        |&(px, py): &(f64, f64)| forward(axes.x_scale, px).is_some() && forward(axes.y_scale, py).is_some();
    let points = || axes.series.iter().flat_map(|s| &s.points).filter(|p| drawable(p));
    let x = Axis::fit(axes.x_scale, points().map(|p| p.0));
    let y = Axis::fit(axes.y_scale, points().map(|p| p.1));
    let mut chart = builder.build_cartesian_2d(x, y)?;
    mesh(&mut chart, (&axes.x_label, &axes.y_label), (axes.x_scale, axes.y_scale))?;
    if points().next().is_none() {
        no_data(&chart.plotting_area().strip_coord_spec())?;
    }
    for (i, s) in axes.series.iter().enumerate() {
        let color = palette(i);
        if s.mark != Mark::Points {
            for segment in s.points.split(|p| !drawable(p)).filter(|seg| seg.len() > 1) {
                chart.draw_series([PathElement::new(segment.to_vec(), color.stroke_width(2))])?;
            }
        }
        if s.mark != Mark::Line {
            let r = if s.mark == Mark::Points { 4 } else { 3 };
            let points = s.points.iter().filter(|p| drawable(p));
            chart.draw_series(points.map(|&p| marker(i, p, r, color.filled(), color.into())))?;
        }
    }
    Ok(())
}

fn no_data<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let (w, h) = area.dim_in_pixel();
    let style = font(AXIS_LABEL_SIZE).pos(Pos::new(HPos::Center, VPos::Center));
    area.draw_text("no data", &style, (w as i32 / 2, h as i32 / 2))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Bars and heatmaps

fn draw_bars<'a, DB: DrawingBackend + 'a>(
    builder: &mut ChartBuilder<'a, '_, DB>,
    bars: &Bars,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let n = bars.groups.len();
    let value =
        |s: usize, g: usize| bars.stacks[s].1.get(g).copied().filter(|v| v.is_finite()).unwrap_or(0.0);
    let total = (0..n).map(|g| (0..bars.stacks.len()).map(|s| value(s, g)).sum::<f64>()).fold(0.0, f64::max);
    let width = bars.groups.iter().map(|g| text_width(g, &font(TICK_SIZE))).max().unwrap_or(0);
    builder.y_label_area_size(width + 16);
    let shares = Axis { scale: Scale::Linear, lo: 0.0, hi: if total > 0.0 { total * 1.02 } else { 1.0 } };
    let mut chart = builder.build_cartesian_2d(shares, (0..n.saturating_sub(1)).into_segmented())?;
    // Group g is row n-1-g, so the first group is on top.
    let name = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(row) if *row < n => bars.groups[n - 1 - row].clone(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .x_desc(bars.value_label.as_str())
        .x_label_formatter(&|v| tick(Scale::Linear, *v))
        .y_label_formatter(&name)
        .y_labels(n.max(1))
        .disable_y_mesh()
        .label_style(font(TICK_SIZE))
        .axis_desc_style(font(AXIS_LABEL_SIZE))
        .bold_line_style(BLACK.mix(0.1))
        .light_line_style(TRANSPARENT)
        .axis_style(INK.mix(0.8))
        .draw()?;
    for s in 0..bars.stacks.len() {
        let segments = (0..n).filter(|&g| value(s, g) > 0.0).map(|g| {
            let from: f64 = (0..s).map(|t| value(t, g)).sum();
            let row = n - 1 - g;
            let corners =
                [(from, SegmentValue::Exact(row)), (from + value(s, g), SegmentValue::Exact(row + 1))];
            let mut rect = Rectangle::new(corners, palette(s).filled());
            rect.set_margin(3, 3, 0, 0);
            rect
        });
        chart.draw_series(segments)?;
    }
    Ok(())
}

/// The smallest and largest finite value (an empty range if there is none).
fn finite_range(values: &[f64]) -> (f64, f64) {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    (finite.clone().fold(f64::INFINITY, f64::min), finite.fold(f64::NEG_INFINITY, f64::max))
}

/// Viridis in 12 bands over `lo..=hi`, like filled contours.
fn banded(v: f64, (lo, hi): (f64, f64)) -> RGBColor {
    let band = ((v - lo) / (hi - lo) * 12.0).floor().clamp(0.0, 11.0);
    ViridisRGB.get_color(if band.is_finite() { band / 11.0 } else { 0.5 })
}

fn draw_heatmap<'a, DB: DrawingBackend + 'a>(
    builder: &mut ChartBuilder<'a, '_, DB>,
    heat: &Heatmap,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let x = Axis { scale: Scale::Linear, lo: heat.x_range.0, hi: heat.x_range.1 };
    let y = Axis { scale: Scale::Linear, lo: heat.y_range.0, hi: heat.y_range.1 };
    ensure!(x.lo < x.hi && y.lo < y.hi, "a heatmap needs a non-empty range");
    let nx = heat.nx.max(1);
    let ny = heat.values.len() / nx;
    ensure!(ny * nx == heat.values.len(), "{} values do not make rows of {nx}", heat.values.len());
    let range = finite_range(&heat.values);
    let color = |v: f64| match &heat.colors {
        _ if !v.is_finite() => NO_VALUE,
        HeatColors::Continuous(_) => banded(v, range),
        HeatColors::Categorical(_) => palette(v as usize),
    };
    let mut chart = builder.build_cartesian_2d(x.clone(), y.clone())?;
    mesh(&mut chart, (&heat.x_label, &heat.y_label), (Scale::Linear, Scale::Linear))?;
    let (dx, dy) = ((x.hi - x.lo) / nx as f64, (y.hi - y.lo) / ny.max(1) as f64);
    let mut cells = Vec::new();
    for (j, row) in heat.values.chunks(nx).enumerate() {
        // One rectangle per run of equal colours keeps the SVG small.
        let mut i = 0;
        while i < row.len() {
            let end = (i..row.len()).find(|&e| color(row[e]) != color(row[i])).unwrap_or(row.len());
            let (x0, y0) = (x.lo + i as f64 * dx, y.lo + j as f64 * dy);
            cells.push(Rectangle::new([(x0, y0), (x.lo + end as f64 * dx, y0 + dy)], color(row[i]).filled()));
            i = end;
        }
    }
    chart.draw_series(cells)?;
    // The markers, with the keys their legend shows.
    let inside = |m: &&(f64, f64, String)| x.lo <= m.0 && m.0 <= x.hi && y.lo <= m.1 && m.1 <= y.hi;
    for (label, key) in legend_of(&Panel::Heatmap(heat.clone())) {
        let at = heat.markers.iter().filter(inside).filter(|m| m.2 == label);
        chart.draw_series(at.map(|m| marker(key.kind, (m.0, m.1), 6, key.fill, key.edge)))?;
    }
    Ok(())
}

/// A colour bar of `banded` over `lo..=hi` at the left of `side`, labelled by plotters' mesh.
fn colour_bar<DB: DrawingBackend>(
    side: &DrawingArea<DB, Shift>,
    (lo, hi): (f64, f64),
    label: &str,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    if lo > hi {
        return Ok(());
    }
    let hi = if hi > lo { hi } else { lo + 1.0 };
    let width = side.dim_in_pixel().0;
    let mut bar = ChartBuilder::on(side)
        .margin_right(width.saturating_sub(COLOUR_BAR_WIDTH))
        .right_y_label_area_size(COLOUR_BAR_WIDTH - 22)
        .build_cartesian_2d(0.0..1.0, Axis { scale: Scale::Linear, lo, hi })?;
    bar.configure_mesh()
        .disable_x_axis()
        .disable_mesh()
        .y_desc(label)
        .y_label_formatter(&|v| tick(Scale::Linear, *v))
        .label_style(font(TICK_SIZE))
        .axis_desc_style(font(AXIS_LABEL_SIZE))
        .axis_style(INK.mix(0.8))
        .draw()?;
    let steps = 96;
    let level = |k: usize| lo + (hi - lo) * k as f64 / steps as f64;
    bar.draw_series((0..steps).map(|k| {
        Rectangle::new(
            [(0.0, level(k)), (1.0, level(k + 1))],
            banded((level(k) + level(k + 1)) / 2.0, (lo, hi)).filled(),
        )
    }))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Figure {
        let series = |label: &str, mark, f: fn(f64) -> f64| Series {
            label: label.into(),
            points: (0..20).map(|i| (i as f64, f(i as f64))).collect(),
            mark,
        };
        Figure {
            title: "Sample figure\nsecond line".into(),
            panels: vec![
                Panel::Axes(Axes {
                    title: "Linear convergence".into(),
                    x_label: "iteration".into(),
                    y_label: "objective".into(),
                    x_scale: Scale::Linear,
                    y_scale: Scale::Log10,
                    series: vec![
                        series("solver 1", Mark::Line, |i| 10f64.powf(2.0 - i / 2.0)),
                        series("solver 2", Mark::LinePoints, |i| 10f64.powf(-i / 3.0)),
                        series("", Mark::Points, |i| -i),
                    ],
                }),
                Panel::Axes(Axes {
                    title: "eigenvalue".into(),
                    x_label: String::new(),
                    y_label: String::new(),
                    x_scale: Scale::Linear,
                    y_scale: Scale::SymLog { linthresh: 1e-6 },
                    series: vec![series("lambda", Mark::Points, |i| (i - 5.0).powi(5) * 1e-3)],
                }),
                Panel::Bars(Bars {
                    title: "share of starts".into(),
                    value_label: "share".into(),
                    groups: vec!["trust region".into(), "newton".into()],
                    stacks: vec![("fitted".into(), vec![0.2, 1.0]), ("not converged".into(), vec![0.8, 0.0])],
                }),
                Panel::Heatmap(Heatmap {
                    title: "f(x, y)".into(),
                    x_label: "x".into(),
                    y_label: "y".into(),
                    x_range: (-1.0, 1.0),
                    y_range: (0.0, 2.0),
                    nx: 3,
                    values: vec![0.0, 1.0, f64::NAN, 1.0, 0.0, 1.0],
                    colors: HeatColors::Categorical(vec!["minimum".into(), "saddle".into()]),
                    markers: vec![(0.0, 1.0, "diverged".into())],
                }),
                Panel::Heatmap(Heatmap {
                    title: "log10 loss".into(),
                    x_label: "x".into(),
                    y_label: "y".into(),
                    x_range: (-1.0, 1.0),
                    y_range: (0.0, 2.0),
                    nx: 2,
                    values: vec![-1.0, 0.5, 2.0, f64::NAN],
                    colors: HeatColors::Continuous("log10 loss".into()),
                    markers: vec![(0.5, 0.5, "minimum".into())],
                }),
            ],
            columns: 2,
        }
    }

    #[test]
    fn every_panel_kind_renders_its_text_and_the_png_has_the_size_of_the_svg() {
        let (svg, png) = render(&sample()).unwrap();
        let svg = String::from_utf8(svg).unwrap();
        let size = |tag: &str| {
            svg.split(&format!("{tag}=\"")).nth(1).unwrap().split('"').next().unwrap().parse::<u32>().unwrap()
        };
        let (width, height) = (size("width"), size("height"));
        let info = png::Decoder::new(std::io::Cursor::new(&png)).read_info().unwrap().info().clone();
        assert_eq!((info.width, info.height), (width, height));
        assert_eq!(height, 2 * TITLE_HEIGHT + 8 + 3 * PANEL_HEIGHT);
        assert!(width > 2 * PANEL_WIDTH, "the legends get their own room");
        for text in [
            "Sample figure",
            "second line",
            "Linear convergence",
            "objective",
            "solver 2",
            "lambda",
            "share of starts",
            "trust region",
            "not converged",
            "minimum",
            "saddle",
            "no value",
            "diverged",
            "log10 loss",
            "1e2",
            "1e-6",
            "-1e-2",
            "0",
        ] {
            assert!(svg.contains(&format!(">\n{text}\n</text>")), "SVG lacks text {text:?}");
        }
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        assert_eq!(render(&sample()).unwrap().1, png, "rendering is deterministic");
    }

    #[test]
    fn a_title_wider_than_its_room_is_an_error() {
        let mut figure = sample();
        figure.title = "x".repeat(300);
        assert!(render(&figure).unwrap_err().to_string().contains("the figure title"));
        let mut figure = sample();
        figure.columns = 1;
        let Panel::Axes(a) = &mut figure.panels[0] else { unreachable!() };
        a.title = "y".repeat(80);
        assert!(format!("{:#}", render(&figure).unwrap_err()).contains("panel 1: the panel title"));
    }

    #[test]
    fn empty_and_non_finite_data_render_as_no_data() {
        let axes = Axes {
            title: "t".into(),
            x_label: String::new(),
            y_label: String::new(),
            x_scale: Scale::Log10,
            y_scale: Scale::Linear,
            series: vec![Series {
                label: "ghost".into(),
                points: vec![(-1.0, 1.0), (f64::NAN, 2.0)],
                mark: Mark::Line,
            }],
        };
        let figure = Figure { title: "T".into(), panels: vec![Panel::Axes(axes)], columns: 1 };
        let svg = String::from_utf8(render(&figure).unwrap().0).unwrap();
        assert!(svg.contains(">\nno data\n</text>") && svg.contains(">\nghost\n</text>"));
    }

    #[test]
    fn tick_labels_are_short() {
        let labels: Vec<String> =
            [1e-6, 0.001, 0.2, 1.0, 10.0, 1e4, 1e5, -1e-3, 0.30000000000000004, 2.5e-7, 0.0, 2000.0]
                .iter()
                .map(|&v| tick(Scale::Log10, v))
                .collect();
        assert_eq!(
            labels,
            ["1e-6", "1e-3", "0.2", "1", "10", "1e4", "1e5", "-1e-3", "0.3", "2.5e-7", "0", "2000"]
        );
        let linear: Vec<String> = [0.01, 0.02, 100.0, 1e4, 1e-4].map(|v| tick(Scale::Linear, v)).to_vec();
        assert_eq!(linear, ["0.01", "0.02", "100", "10000", "1e-4"]);
        let axis = Axis { scale: Scale::SymLog { linthresh: 1.0 }, lo: -150.0, hi: 150.0 };
        assert_eq!(axis.key_points(12), [-100.0, -10.0, -1.0, 0.0, 1.0, 10.0, 100.0]);
        // Every other decade over fourteen, 1 included despite the rounding on the way.
        let log = Axis { scale: Scale::Log10, lo: 1e-10, hi: 1e4 }.key_points(8);
        let labels: Vec<String> = log.iter().map(|&v| tick(Scale::Log10, v)).collect();
        assert_eq!(labels, ["1e-10", "1e-8", "1e-6", "1e-4", "1e-2", "1", "1e2", "1e4"]);
    }
}
