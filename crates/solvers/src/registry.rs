//! What a solver declares about itself: [`Solver`], one constant per solver file, listed
//! once in the `solvers!` registry of lib.rs. The command line, the size checks, the help
//! table and the docs all read it.

use std::fmt;

use crate::SolverKind;
use crate::dense::DENSE_BYTES_LIMIT;
use crate::driver::Method;
use crate::options::{OptionSpec, Options};

/// One solver of the family, as its file declares it.
pub struct Solver {
    /// The command-line name, e.g. `lbfgs`.
    pub name: &'static str,
    /// One line: what the step is.
    pub summary: &'static str,
    /// Which group of the family it belongs to.
    pub family: Family,
    /// Its options, each with default, range and meaning.
    pub options: &'static [OptionSpec],
    /// The solver with the given (already range-checked) options; `Err` for a combination
    /// the ranges cannot express (e.g. c₁ ≥ c₂).
    pub build: fn(&Options) -> Result<Box<dyn Method>, String>,
    /// The dense matrices it builds for n parameters and m residuals; `None` for a
    /// matrix-free solver (vectors of length n only).
    pub dense: Option<DenseMatrices>,
}

/// The dense matrices a solver builds for n parameters, m residuals and its options.
pub type DenseMatrices = fn(n: usize, m: usize, &Options) -> Vec<DenseMatrix>;

/// The groups of the solver family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// Exact Newton steps, unmodified: the methods under study.
    ExactNewton,
    /// Newton steps with a safeguard (damping, |H|, a trust region).
    SafeguardedNewton,
    /// Steps from the residuals' Jacobian (JᵀJ in place of H).
    GaussNewton,
    /// Curvature learned from gradients.
    QuasiNewton,
    /// Gradient steps.
    FirstOrder,
}

impl Family {
    /// The name in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Family::ExactNewton => "exact-newton",
            Family::SafeguardedNewton => "safeguarded-newton",
            Family::GaussNewton => "gauss-newton",
            Family::QuasiNewton => "quasi-newton",
            Family::FirstOrder => "first-order",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A dense matrix a solver builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DenseMatrix {
    /// What it is, e.g. `Hessian`.
    pub what: &'static str,
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
}

impl DenseMatrix {
    /// The n × n matrix `what`.
    pub fn square(what: &'static str, n: usize) -> DenseMatrix {
        DenseMatrix { what, rows: n, cols: n }
    }

    /// Its size in bytes (f64 entries); `None` if that overflows.
    pub fn bytes(&self) -> Option<usize> {
        self.rows.checked_mul(self.cols)?.checked_mul(8)
    }

    /// Whether it fits [`DENSE_BYTES_LIMIT`].
    pub fn fits(&self) -> bool {
        self.bytes().is_some_and(|b| b <= DENSE_BYTES_LIMIT)
    }
}

/// The Hessian, for the solvers that factorize or decompose it.
pub(crate) fn hessian_matrix(n: usize, _m: usize, _: &Options) -> Vec<DenseMatrix> {
    vec![DenseMatrix::square("Hessian", n)]
}

/// The Jacobian and the n × n normal equations, for the Gauss-Newton group.
pub(crate) fn jacobian_matrices(n: usize, m: usize, _: &Options) -> Vec<DenseMatrix> {
    vec![DenseMatrix { what: "Jacobian", rows: m, cols: n }, DenseMatrix::square("normal-equations", n)]
}

/// The dense inverse-Hessian approximation of the BFGS-type methods.
pub(crate) fn inverse_approximation(n: usize, _m: usize, _: &Options) -> Vec<DenseMatrix> {
    vec![DenseMatrix::square("inverse-Hessian approximation", n)]
}

/// A byte count in binary units, e.g. `7.3 TiB`.
pub fn format_bytes(bytes: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", units[unit])
}

impl Solver {
    /// Whether it builds no dense matrix.
    pub fn is_matrix_free(&self) -> bool {
        self.dense.is_none()
    }

    /// `Err` with a one-line message when one of its dense matrices for n parameters and m
    /// residuals would exceed [`DENSE_BYTES_LIMIT`]: it names n, the memory and the
    /// matrix-free solvers.
    pub fn check_size(&self, options: &Options, n: usize, m: usize) -> Result<(), String> {
        let Some(dense) = self.dense else { return Ok(()) };
        match dense(n, m, options).into_iter().find(|d| !d.fits()) {
            None => Ok(()),
            Some(d) => {
                let free: Vec<&str> = SolverKind::ALL
                    .iter()
                    .map(|k| k.solver())
                    .filter(|s| s.is_matrix_free())
                    .map(|s| s.name)
                    .collect();
                Err(format!(
                    "--solver {} needs the dense {} × {} {} ({}) for n = {n} parameters, more than the {} \
                     limit on a dense matrix; use a matrix-free solver: {}",
                    self.name,
                    d.rows,
                    d.cols,
                    d.what,
                    format_bytes(d.rows as f64 * d.cols as f64 * 8.0),
                    format_bytes(DENSE_BYTES_LIMIT as f64),
                    free.join(", "),
                ))
            }
        }
    }
}

/// The family as a Markdown table: name, group, size class and step, in registry order.
pub fn solvers_table() -> String {
    let mut table = String::from("| solver | family | size | step |\n|---|---|---|---|\n");
    for kind in SolverKind::ALL {
        let s = kind.solver();
        let size = if s.is_matrix_free() { "matrix-free" } else { "dense" };
        table.push_str(&format!(
            "| `{}` | {} | {size} | {} |\n",
            s.name,
            s.family,
            s.summary.replace('|', "\\|")
        ));
    }
    table
}

/// Every solver's options as a Markdown table (one row per option): what `saddle solvers`
/// prints and docs/solvers.md shows.
pub fn options_table() -> String {
    let mut table =
        String::from("| solver | option | default | valid values | meaning |\n|---|---|---|---|---|\n");
    for kind in SolverKind::ALL {
        let solver = kind.solver();
        let first = format!("| `{}` ", solver.name);
        if solver.options.is_empty() {
            table.push_str(&format!("{first}| — | | | no options |\n"));
        }
        for (i, option) in solver.options.iter().enumerate() {
            let lead = if i == 0 { first.as_str() } else { "| " };
            table.push_str(&format!(
                "{lead}| `{}` | {} | {} | {} |\n",
                option.name,
                option.default,
                option.accepts().replace('|', "\\|"),
                option.meaning.replace('|', "\\|")
            ));
        }
    }
    table
}
