//! `saddle-free-newton`: PLACEHOLDER, to be replaced by the real solver.

use crate::driver::{Iterate, Method, Step};
use crate::objective::Counted;

/// PLACEHOLDER.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SaddleFreeNewton;

impl Method for SaddleFreeNewton {
    fn name(&self) -> &'static str {
        "saddle-free-newton"
    }

    fn step(&mut self, _: &mut Counted<'_>, _: &Iterate) -> Step {
        Step::Singular
    }
}
