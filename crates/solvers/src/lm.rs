//! `lm`: PLACEHOLDER, to be replaced by the real solver.

use crate::driver::{Iterate, Method, Step};
use crate::objective::Counted;

/// PLACEHOLDER.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LevenbergMarquardt;

impl Method for LevenbergMarquardt {
    fn name(&self) -> &'static str {
        "lm"
    }

    fn step(&mut self, _: &mut Counted<'_>, _: &Iterate) -> Step {
        Step::Singular
    }
}
