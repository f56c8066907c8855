//! The study's figures, one file per group: F1–F7 in `sine`, F8 in `landscape`, F9 and
//! F9t in `field`, F10 in `rathore`, F11 in `curvature`, F12 in `scale`, and what they share in
//! `common`.
//! Each runs its experiment through `saddle_cli::study::experiments`, writes the CSV of what
//! it plots, renders SVG and PNG, and contributes the tables of docs/REPRODUCTION.md. This
//! file is the registry (which step runs which figure, and the stems and tables a run must
//! make); the figure files import `common`, never this file or each other.

mod common;
mod curvature;
mod field;
mod landscape;
mod rathore;
mod scale;
mod sine;

use std::path::{Path, PathBuf};

use crate::report::Report;

pub use common::{Settings, root};

/// A figure's generator: stages its files and records its tables in the report.
pub type Generator = fn(&Settings, &mut Report) -> anyhow::Result<()>;

/// The experiments in order: (figures, what runs, generator). Some experiments feed
/// several figures (F2–F4 share their runs, as do F5 and F7).
pub const STEPS: [(&str, &str, Generator); 10] = [
    ("F1", "linear vs nonlinear discretization", sine::f1),
    ("F2-F4", "solver comparison, spectra, learned basis", sine::f2_f3_f4),
    ("F5,F7", "end points over seeds, widths and depths", sine::f5_f7),
    ("F6", "the PINN counterpart", sine::f6),
    ("F8", "two-parameter landscape and basins", landscape::f8),
    ("F9", "ENGD's 2-D Poisson: the field's solvers over seeds", field::f9),
    ("F9t", "ENGD's 2-D Poisson at equal wall time", field::f9_time),
    ("F10", "Rathore et al.'s problems and where L-BFGS stalls", rathore::f10),
    ("F11", "where the curvature at the end points comes from", curvature::f11),
    ("F12", "Newton with capped MINRES-QLP solves at 10⁴–10⁵ parameters", scale::f12),
];

/// The experiments that run as shards (`--shard NAME`, then `--merge`), with their shards' names.
pub fn shards(id: &str) -> Option<Vec<&'static str>> {
    match id {
        "F10" => Some(rathore::RECIPES.iter().map(|r| r.name).collect()),
        "F12" => Some(scale::SIZES.iter().map(|s| s.name).collect()),
        _ => None,
    }
}

/// The figure stems every full or quick run writes (each as .svg, .png and .csv).
pub const STEMS: [&str; 14] = [
    "f1_linear_vs_network",
    "f2_solvers",
    "f3_spectra",
    "f4_learned_basis",
    "f5_shares",
    "f6_pinn",
    "f6_pinn_basis",
    "f7_loss_vs_index",
    "f8_landscape",
    "f9_poisson2d",
    "f9_time",
    "f10_field",
    "f11_curvature",
    "f12_scale",
];

/// Every table the figures produce (the names docs/REPRODUCTION.md may use).
pub const TABLES: [&str; 19] = [
    "f1",
    "f2",
    "f5",
    "f5_trivial",
    "f6",
    "f6_shares",
    "f7",
    "f8",
    "f8_points",
    "f9",
    "f9_time",
    "f9_split",
    "f10",
    "f10_stall",
    "f10_modes",
    "f11",
    "f11_density",
    "f12",
    "f12_newton",
];

/// Where a figure's files go.
pub fn paths(out: &Path, stem: &str) -> [PathBuf; 3] {
    ["svg", "png", "csv"].map(|ext| out.join(format!("{stem}.{ext}")))
}
