//! `ssbfgs`: self-scaled BFGS (Urbán et al. 2025), dense, strong-Wolfe search; the update is in `self_scaled.rs`.

use crate::registry::{self, Family, Solver};
use crate::self_scaled::{SelfScaled, Update};

/// `ssbfgs` in the registry.
pub const SOLVER: Solver = Solver {
    name: "ssbfgs",
    summary: "self-scaled BFGS (Urbán et al. 2025), dense, strong-Wolfe search",
    family: Family::QuasiNewton,
    options: SelfScaled::OPTIONS,
    build: |o| Ok(Box::new(SelfScaled::new(Update::Bfgs).with_wolfe(o.number("c1"), o.number("c2"))?)),
    dense: Some(registry::inverse_approximation),
};
