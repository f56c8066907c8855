//! `bfgs`: PLACEHOLDER, to be replaced by the real solver.

use crate::driver::{Iterate, Method, Step};
use crate::objective::Counted;

/// PLACEHOLDER.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bfgs;

impl Method for Bfgs {
    fn name(&self) -> &'static str {
        "bfgs"
    }

    fn step(&mut self, _: &mut Counted<'_>, _: &Iterate) -> Step {
        Step::Singular
    }
}
