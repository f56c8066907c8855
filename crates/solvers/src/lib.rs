//! `saddle-solvers`: minimize an [`Objective`] with exact derivatives, and classify
//! where the run ended.
//!
//! Each solver is one file implementing [`Method`] (one iteration at a time); the shared
//! [`minimize`] loop evaluates, records, and terminates with an explicit [`Status`].
//! [`analysis`] computes the exact Hessian's spectrum, inertia and classification.
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
pub use driver::{Control, Iterate, Method, Outcome, Record, Status, Step, distance, dot, minimize, norm};
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
