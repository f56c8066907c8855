//! F8: the two-parameter model u = c·tanh(w x), its landscape and basins of attraction.

use saddle_cli::study::experiments::landscape::{self, Grid, TanhUnit};
use saddle_solvers::{Classification, Control, SolverKind};

use super::common::{Settings, figure};
use crate::plot::{HeatColors, Heatmap, Panel};
use crate::report::{Report, Table, num, short};

/// F8 (claims 2, 4, 5 in two dimensions): u = c·tanh(w x) fitted to sin(2.5x); the loss
/// over (c, w) with every stationary point, and the basins of attraction of exact and
/// saddle-free Newton over a grid of starts.
pub fn f8(s: &Settings, report: &mut Report) -> anyhow::Result<()> {
    let unit = TanhUnit::study();
    let cells = s.pick(80, 24);
    let grid = Grid { c: (-2.0, 2.0), w: (-6.0, 6.0), nc: cells, nw: cells };
    let control = Control { max_iter: 100, gtol: 1e-12, ..Control::default() };
    let (tol, merge) = (1e-8, 1e-4);
    let newton = landscape::landings(&unit, &grid, SolverKind::Newton, &control)?;
    let free = landscape::landings(&unit, &grid, SolverKind::SaddleFreeNewton, &control)?;
    let all: Vec<_> = newton.iter().chain(&free).copied().collect();
    let points = landscape::stationary_points(&unit, &grid, &all, tol, merge)?;
    let loss = landscape::loss_grid(&unit, &grid)?;
    let newton_basins = landscape::basins(&newton, &points, tol, merge);
    let free_basins = landscape::basins(&free, &points, tol, merge);

    // The point a start reaches (numbered from 1), or "none".
    let reach = |b: Option<usize>| b.map_or("none".to_string(), |k| (k + 1).to_string());
    let mut csv = Table::default();
    for (i, p) in grid.points().iter().enumerate() {
        csv.row([
            ("c", num(p[0])),
            ("w", num(p[1])),
            ("loss", num(loss[i])),
            ("newton_reaches", reach(newton_basins[i])),
            ("saddle_free_newton_reaches", reach(free_basins[i])),
        ]);
    }
    report.csv(&s.out, "f8_landscape.csv", &csv);
    let (mut csv, mut table) = (Table::default(), Table::default());
    for (k, p) in points.iter().enumerate() {
        let class = p.classification.name().to_string();
        let row = |f: fn(f64) -> String| {
            [
                ("point", (k + 1).to_string()),
                ("c", f(p.theta[0])),
                ("w", f(p.theta[1])),
                ("loss", f(p.loss)),
                ("classification", class.clone()),
            ]
        };
        csv.row(row(num));
        table.row(row(short));
    }
    report.csv(&s.out, "f8_stationary_points.csv", &csv);
    report.table("f8_points", &table);

    let markers: Vec<(f64, f64, String)> =
        points.iter().map(|p| (p.theta[0], p.theta[1], p.classification.name().to_string())).collect();
    let labels: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(k, p)| {
            format!("{} {} ({}, {})", k + 1, p.classification.name(), short(p.theta[0]), short(p.theta[1]))
        })
        .collect();
    let heatmap = |title: &str, values: Vec<f64>, colors: HeatColors| {
        Panel::Heatmap(Heatmap {
            title: title.into(),
            x_label: "c (output weight)".into(),
            y_label: "w (inner weight)".into(),
            x_range: grid.c,
            y_range: grid.w,
            nx: grid.nc,
            values,
            colors,
            markers: markers.clone(),
        })
    };
    let basins = |b: &[Option<usize>]| b.iter().map(|b| b.map_or(f64::NAN, |k| k as f64)).collect();
    let panels = vec![
        heatmap(
            "log10 loss and stationary points",
            loss.iter().map(|l| l.log10()).collect(),
            HeatColors::Continuous("log10 loss".into()),
        ),
        heatmap(
            "exact Newton: which point each start reaches",
            basins(&newton_basins),
            HeatColors::Categorical(labels.clone()),
        ),
        heatmap(
            "saddle-free Newton: which point each start reaches",
            basins(&free_basins),
            HeatColors::Categorical(labels),
        ),
    ];
    let title = "F8  u = c·tanh(w x) fitted to sin(2.5x) at 41 points: landscape and basins of attraction";
    report.figure(&s.out, "f8_landscape", &figure(title, panels, 3))?;

    let share = |basins: &[Option<usize>], keep: &dyn Fn(Option<usize>) -> bool| {
        short(basins.iter().filter(|&&b| keep(b)).count() as f64 / basins.len() as f64)
    };
    let class_of = |b: Option<usize>| b.map(|k| points[k].classification);
    let mut table = Table::default();
    for (name, b) in [("newton", &newton_basins), ("saddle-free-newton", &free_basins)] {
        table.row([
            ("solver", name.to_string()),
            ("starts", b.len().to_string()),
            ("→ minimum", share(b, &|k| class_of(k) == Some(Classification::Minimum))),
            ("→ saddle", share(b, &|k| class_of(k) == Some(Classification::Saddle))),
            ("→ nowhere (not converged in 100 iterations or left the window)", share(b, &|k| k.is_none())),
        ]);
    }
    report.table("f8", &table);
    Ok(())
}
