//! `input`: a named value supplied at evaluation time.

use super::{Example, Primitive, Tensor, TensorMut};
use crate::Shape;

/// A named input of a fixed shape; its value is bound when a program runs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Input {
    /// The name the value is bound by.
    pub name: String,
    /// The declared shape.
    pub shape: Shape,
}

impl Primitive for Input {
    fn name(&self) -> &'static str {
        "input"
    }
    fn params(&self) -> String {
        self.name.clone()
    }
    fn arity(&self) -> usize {
        0
    }
    fn shape(&self, _: &[Shape]) -> Result<Shape, String> {
        Ok(self.shape)
    }
    /// Inputs are written by the program before it runs; nothing to compute.
    fn eval(&self, _: &[Tensor<'_>], _: TensorMut<'_>) {}
}

/// A leaf: nothing to differentiate.
pub(super) fn examples() -> Vec<Example> {
    Vec::new()
}
