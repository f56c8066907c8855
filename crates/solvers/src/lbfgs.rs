//! `lbfgs`: PLACEHOLDER, to be replaced by the real solver.

use crate::driver::{Iterate, Method, Step};
use crate::objective::Counted;

/// PLACEHOLDER.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lbfgs;

impl Method for Lbfgs {
    fn name(&self) -> &'static str {
        "lbfgs"
    }

    fn step(&mut self, _: &mut Counted<'_>, _: &Iterate) -> Step {
        Step::Singular
    }
}
