//! `newton-cg`: PLACEHOLDER, to be replaced by the real solver.

use crate::driver::{Iterate, Method, Step};
use crate::objective::Counted;

/// PLACEHOLDER.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewtonCg;

impl Method for NewtonCg {
    fn name(&self) -> &'static str {
        "newton-cg"
    }

    fn step(&mut self, _: &mut Counted<'_>, _: &Iterate) -> Step {
        Step::Singular
    }
}
