//! `damped-newton`: PLACEHOLDER, to be replaced by the real solver.

use crate::driver::{Iterate, Method, Step};
use crate::objective::Counted;

/// PLACEHOLDER.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DampedNewton;

impl Method for DampedNewton {
    fn name(&self) -> &'static str {
        "damped-newton"
    }

    fn step(&mut self, _: &mut Counted<'_>, _: &Iterate) -> Step {
        Step::Singular
    }
}
