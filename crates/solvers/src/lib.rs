//! `saddle-solvers`: minimize an [`Objective`] with exact derivatives, and classify
//! where the run ended.
//!
//! Each solver is one file implementing [`Method`] (one iteration at a time); the shared
//! [`minimize`] loop evaluates, records, and terminates with an explicit [`Status`].
//! [`analysis`] computes the exact Hessian's spectrum, inertia and classification;
//! [`lanczos`] and [`spectrum`] estimate spectra from Hessian-vector products alone.
//! The crate knows traits and faer, not graphs.
#![warn(missing_docs)]

mod adam;
pub mod analysis;
mod bfgs;
mod chain;
mod damped_newton;
mod dense;
mod driver;
mod engd;
mod gauss_newton;
mod gd;
pub mod lanczos;
mod lbfgs;
mod line_search;
mod lm;
mod newton;
mod newton_cg;
mod newton_pinv;
mod nncg;
mod objective;
mod saddle_free_newton;
mod self_scaled;
pub mod spectrum;
#[cfg(test)]
mod test_functions;
mod trust;
mod trust_region;

use std::fmt;
use std::str::FromStr;

pub use adam::Adam;
pub use analysis::{Classification, Curvature, Inertia};
pub use bfgs::Bfgs;
pub use chain::{Chain, ChainSpec};
pub use damped_newton::DampedNewton;
pub use driver::{
    Control, Iterate, Method, Outcome, Record, Status, Step, distance, dot, minimize,
    minimize_observing_iterates, norm,
};
pub use engd::Engd;
pub use gauss_newton::GaussNewton;
pub use gd::GradientDescent;
pub use lbfgs::Lbfgs;
pub use lm::LevenbergMarquardt;
pub use newton::Newton;
pub use newton_cg::NewtonCg;
pub use newton_pinv::NewtonPinv;
pub use nncg::Nncg;
pub use objective::{Counted, Evals, LeastSquares, Objective};
pub use saddle_free_newton::SaddleFreeNewton;
pub use self_scaled::{Family, SelfScaled};
pub use trust_region::TrustRegion;

/// The solver family, by command-line name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SolverKind {
    /// Exact, unmodified Newton: p = −H⁻¹g (LBLᵀ), unit step.
    Newton,
    /// (H + λI)p = −g with λ adapted from the reduction ratio.
    DampedNewton,
    /// p = −|H|⁻¹g through the eigendecomposition (Dauphin et al. 2014).
    SaddleFreeNewton,
    /// Exact trust-region subproblem (Moré-Sorensen, hard case included).
    TrustRegion,
    /// Hessian-free truncated CG (Steihaug) in a trust region, HVPs only.
    NewtonCg,
    /// Exact Newton with the Moore–Penrose step −H⁺g (continues where H is singular).
    NewtonPinv,
    /// Gauss-Newton on residuals and Jacobian.
    GaussNewton,
    /// Levenberg-Marquardt with Moré-style scaling and damping.
    Lm,
    /// Dense BFGS with a strong-Wolfe line search.
    Bfgs,
    /// Limited-memory BFGS (two-loop recursion).
    Lbfgs,
    /// Adam (full batch).
    Adam,
    /// Gradient descent with a fixed step.
    Gd,
    /// Damped Newton-CG with a Nyström preconditioner (Rathore et al. 2024), HVPs only.
    Nncg,
    /// Energy natural gradient: p = −(JᵀJ)⁺∇f (Gramian cutoff ε·n), grid line search.
    Engd,
    /// Self-scaled BFGS (Urbán et al. 2025) with a strong-Wolfe line search.
    SsBfgs,
    /// Self-scaled Broyden (Urbán et al. 2025) with a strong-Wolfe line search.
    SsBroyden,
}

impl SolverKind {
    /// Every solver, in the order the command line lists them.
    pub const ALL: [SolverKind; 16] = [
        SolverKind::Newton,
        SolverKind::NewtonPinv,
        SolverKind::DampedNewton,
        SolverKind::SaddleFreeNewton,
        SolverKind::TrustRegion,
        SolverKind::NewtonCg,
        SolverKind::GaussNewton,
        SolverKind::Lm,
        SolverKind::Bfgs,
        SolverKind::Lbfgs,
        SolverKind::Adam,
        SolverKind::Gd,
        SolverKind::Engd,
        SolverKind::Nncg,
        SolverKind::SsBfgs,
        SolverKind::SsBroyden,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            SolverKind::Newton => "newton",
            SolverKind::DampedNewton => "damped-newton",
            SolverKind::SaddleFreeNewton => "saddle-free-newton",
            SolverKind::TrustRegion => "trust-region",
            SolverKind::NewtonCg => "newton-cg",
            SolverKind::NewtonPinv => "newton-pinv",
            SolverKind::GaussNewton => "gauss-newton",
            SolverKind::Lm => "lm",
            SolverKind::Bfgs => "bfgs",
            SolverKind::Lbfgs => "lbfgs",
            SolverKind::Adam => "adam",
            SolverKind::Gd => "gd",
            SolverKind::Engd => "engd",
            SolverKind::Nncg => "nncg",
            SolverKind::SsBfgs => "ssbfgs",
            SolverKind::SsBroyden => "ssbroyden",
        }
    }

    /// The solver with its default hyperparameters.
    pub fn with_defaults(self) -> Box<dyn Method> {
        match self {
            SolverKind::Newton => Box::new(Newton::default()),
            SolverKind::DampedNewton => Box::new(DampedNewton::default()),
            SolverKind::SaddleFreeNewton => Box::new(SaddleFreeNewton::default()),
            SolverKind::TrustRegion => Box::new(TrustRegion::default()),
            SolverKind::NewtonCg => Box::new(NewtonCg::default()),
            SolverKind::NewtonPinv => Box::new(NewtonPinv::default()),
            SolverKind::GaussNewton => Box::new(GaussNewton::default()),
            SolverKind::Lm => Box::new(LevenbergMarquardt::default()),
            SolverKind::Bfgs => Box::new(Bfgs::default()),
            SolverKind::Lbfgs => Box::new(Lbfgs::default()),
            SolverKind::Adam => Box::new(Adam::default()),
            SolverKind::Gd => Box::new(GradientDescent::default()),
            SolverKind::Engd => Box::new(Engd::default()),
            SolverKind::Nncg => Box::new(Nncg::default()),
            SolverKind::SsBfgs => Box::new(SelfScaled::new(Family::Bfgs)),
            SolverKind::SsBroyden => Box::new(SelfScaled::new(Family::Broyden)),
        }
    }
}

/// The most memory one dense matrix may take: 1 GiB (a Hessian of n ≤ 11585
/// parameters). Solvers and analyses that would build a larger one are refused.
pub const DENSE_BYTES_LIMIT: usize = 1 << 30;

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
    /// Its size in bytes (f64 entries); `None` if that overflows.
    pub fn bytes(&self) -> Option<usize> {
        self.rows.checked_mul(self.cols)?.checked_mul(8)
    }

    /// Whether it fits [`DENSE_BYTES_LIMIT`].
    pub fn fits(&self) -> bool {
        self.bytes().is_some_and(|b| b <= DENSE_BYTES_LIMIT)
    }
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

impl SolverKind {
    /// The dense matrices the solver builds for n parameters and m residuals (none for
    /// the matrix-free ones).
    pub fn dense_matrices(self, n: usize, m: usize) -> Vec<DenseMatrix> {
        let square = |what| DenseMatrix { what, rows: n, cols: n };
        match self {
            SolverKind::Newton
            | SolverKind::NewtonPinv
            | SolverKind::DampedNewton
            | SolverKind::SaddleFreeNewton
            | SolverKind::TrustRegion => vec![square("Hessian")],
            SolverKind::GaussNewton | SolverKind::Lm | SolverKind::Engd => {
                vec![DenseMatrix { what: "Jacobian", rows: m, cols: n }, square("normal-equations")]
            }
            SolverKind::Bfgs | SolverKind::SsBfgs | SolverKind::SsBroyden => {
                vec![square("inverse-Hessian approximation")]
            }
            SolverKind::Nncg => {
                vec![DenseMatrix { what: "Nyström sketch", rows: n, cols: Nncg::DEFAULT_RANK }]
            }
            SolverKind::NewtonCg | SolverKind::Lbfgs | SolverKind::Adam | SolverKind::Gd => Vec::new(),
        }
    }

    /// `Err` with a one-line message when a dense matrix of the solver for n parameters
    /// and m residuals would exceed [`DENSE_BYTES_LIMIT`]: it names n, the memory and
    /// the matrix-free solvers.
    pub fn check_size(self, n: usize, m: usize) -> Result<(), String> {
        match self.dense_matrices(n, m).into_iter().find(|d| !d.fits()) {
            None => Ok(()),
            Some(d) => Err(format!(
                "--solver {self} needs the dense {} × {} {} ({}) for n = {n} parameters, more than the {} \
                 limit on a dense matrix; use a matrix-free solver: adam, gd, lbfgs or newton-cg",
                d.rows,
                d.cols,
                d.what,
                format_bytes(d.rows as f64 * d.cols as f64 * 8.0),
                format_bytes(DENSE_BYTES_LIMIT as f64),
            )),
        }
    }
}

impl fmt::Display for SolverKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SolverKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        SolverKind::ALL.into_iter().find(|k| k.name() == s).ok_or_else(|| {
            let names: Vec<&str> = SolverKind::ALL.iter().map(|k| k.name()).collect();
            format!("unknown solver '{s}' (expected one of: {})", names.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_solvers_refuse_networks_above_the_limit() {
        // 11585² · 8 bytes is just under 1 GiB, 11586² just over.
        assert!(SolverKind::Newton.check_size(11585, 10).is_ok());
        let e = SolverKind::Newton.check_size(1_002_001, 1024).unwrap_err();
        assert_eq!(
            e,
            "--solver newton needs the dense 1002001 × 1002001 Hessian (7.3 TiB) for n = 1002001 \
             parameters, more than the 1.0 GiB limit on a dense matrix; use a matrix-free solver: \
             adam, gd, lbfgs or newton-cg"
        );
        // Gauss-Newton's Jacobian is m × n: 20000 points × 8000 parameters is 1.2 GiB.
        let e = SolverKind::Lm.check_size(8000, 20000).unwrap_err();
        assert!(e.contains("20000 × 8000 Jacobian (1.2 GiB)"), "{e}");
        for kind in [SolverKind::Adam, SolverKind::Gd, SolverKind::Lbfgs, SolverKind::NewtonCg] {
            assert!(kind.check_size(usize::MAX, usize::MAX).is_ok());
        }
        // Sizes whose byte count overflows are refused, not wrapped.
        assert!(SolverKind::Bfgs.check_size(usize::MAX / 2, 1).is_err());
    }
}
