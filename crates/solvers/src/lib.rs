//! `saddle-solvers`: minimize an [`Objective`] with exact derivatives, and classify
//! where the run ended.
//!
//! Each solver is one file implementing [`Method`] (one iteration at a time); the shared
//! [`minimize`] loop evaluates, records, and terminates with an explicit [`Status`].
//! [`analysis`] computes the exact Hessian's spectrum, inertia and classification;
//! [`lanczos`] and [`spectrum`] estimate spectra from Hessian-vector products alone.
//! The crate knows traits and faer, not graphs.
#![warn(missing_docs)]

pub mod analysis;
mod chain;
mod damping;
mod dense;
mod driver;
mod hager_zhang;
mod inertia;
pub mod lanczos;
mod line_search;
mod line_search_kind;
mod minres_qlp;
mod objective;
pub mod options;
mod registry;
mod self_scaled;
mod spec;
pub mod spectrum;
mod strong_wolfe;
#[cfg(test)]
mod test_functions;
mod trust;

use std::fmt;
use std::str::FromStr;

pub use analysis::{Classification, Curvature, Inertia};
pub use chain::Chain;
pub use dense::DENSE_BYTES_LIMIT;
pub use driver::{
    Control, InnerSolve, Iterate, Method, Outcome, Record, StageEnd, Status, Step, distance, dot, minimize,
    minimize_observing_iterates, norm,
};
pub use line_search_kind::LineSearchKind;
pub use objective::{Counted, Evals, LeastSquares, Objective};
pub use options::{OptionSpec, Options, Range, Value};
pub use registry::{DenseMatrix, Family, Solver, format_bytes, options_table, solvers_table};
pub use spec::{ChainSpec, SolverSpec, Stage};

/// The registry: one line per solver, `Variant: module`. The module is the solver's file
/// (`src/module.rs`), whose `SOLVER` constant declares its name, options, size class and
/// family; the order is the order of every list the command line and docs print.
macro_rules! solvers {
    ($($variant:ident: $module:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// The solver family, one variant per registered solver.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum SolverKind {
            $(#[doc = concat!("The solver of [`", stringify!($module), "`].")] $variant,)*
        }

        impl SolverKind {
            /// Every solver, in registry order.
            pub const ALL: &'static [SolverKind] = &[$(SolverKind::$variant),*];

            /// What the solver declares about itself.
            pub fn solver(self) -> &'static Solver {
                match self {
                    $(SolverKind::$variant => &$module::SOLVER,)*
                }
            }
        }
    };
}

solvers! {
    Newton: newton,
    NewtonPinv: newton_pinv,
    NewtonMinres: newton_minres,
    DampedNewton: damped_newton,
    SaddleFreeNewton: saddle_free_newton,
    TrustRegion: trust_region,
    NewtonCg: newton_cg,
    GaussNewton: gauss_newton,
    Lm: lm,
    Bfgs: bfgs,
    Lbfgs: lbfgs,
    Adam: adam,
    Gd: gd,
    Engd: engd,
    Nncg: nncg,
    SsBfgs: ssbfgs,
    SsBroyden: ssbroyden,
}

impl SolverKind {
    /// The command-line name.
    pub fn name(self) -> &'static str {
        self.solver().name
    }

    /// The solver with its default options.
    pub fn with_defaults(self) -> Box<dyn Method> {
        SolverSpec::new(self).method().unwrap_or_else(|e| unreachable!("{self}'s defaults are invalid: {e}"))
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
        SolverKind::ALL.iter().copied().find(|k| k.name() == s).ok_or_else(|| {
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
        assert!(ChainSpec::from(SolverKind::Newton).check_size(11585, 10).is_ok());
        let e = ChainSpec::from(SolverKind::Newton).check_size(1_002_001, 1024).unwrap_err();
        assert_eq!(
            e,
            "--solver newton needs the dense 1002001 × 1002001 Hessian (7.3 TiB) for n = 1002001 \
             parameters, more than the 1.0 GiB limit on a dense matrix; use a matrix-free solver: \
             newton-minres, newton-cg, lbfgs, adam, gd"
        );
        // Gauss-Newton's Jacobian is m × n: 20000 points × 8000 parameters is 1.2 GiB.
        let e = ChainSpec::from(SolverKind::Lm).check_size(8000, 20000).unwrap_err();
        assert!(e.contains("20000 × 8000 Jacobian (1.2 GiB)"), "{e}");
        for kind in [SolverKind::Adam, SolverKind::Gd, SolverKind::Lbfgs, SolverKind::NewtonCg] {
            assert!(ChainSpec::from(kind).check_size(usize::MAX, usize::MAX).is_ok());
        }
        // Sizes whose byte count overflows are refused, not wrapped.
        assert!(ChainSpec::from(SolverKind::Bfgs).check_size(usize::MAX / 2, 1).is_err());
    }
}
