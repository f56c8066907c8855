//! `ssbroyden`: self-scaled Broyden (Urbán et al. 2025), dense, strong-Wolfe search; the update is in `self_scaled.rs`.

use crate::registry::{self, Family, Solver};
use crate::self_scaled::{SelfScaled, Update};

/// `ssbroyden` in the registry.
pub const SOLVER: Solver = Solver {
    name: "ssbroyden",
    summary: "self-scaled Broyden (Urbán et al. 2025), dense, strong-Wolfe search",
    family: Family::QuasiNewton,
    options: SelfScaled::OPTIONS,
    build: |o| Ok(Box::new(SelfScaled::new(Update::Broyden).with_wolfe(o.number("c1"), o.number("c2"))?)),
    dense: Some(registry::inverse_approximation),
};
