//! `const`: a value whose every element is the same number.

use std::hash::{Hash, Hasher};

use super::{Example, Primitive, Tensor, TensorMut};
use crate::Shape;

/// A constant fill of a given shape. Scalars print inline as literals.
#[derive(Clone, Copy, Debug)]
pub struct Const {
    /// The value of every element.
    pub value: f64,
    /// The shape.
    pub shape: Shape,
}

// Constants are compared bit for bit so that hash-consing never merges 0.0 and -0.0.
impl PartialEq for Const {
    fn eq(&self, other: &Self) -> bool {
        self.value.to_bits() == other.value.to_bits() && self.shape == other.shape
    }
}
impl Eq for Const {}
impl Hash for Const {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.to_bits().hash(state);
        self.shape.hash(state);
    }
}

impl Primitive for Const {
    fn name(&self) -> &'static str {
        "fill"
    }
    fn params(&self) -> String {
        format!("{:?}", self.value)
    }
    fn arity(&self) -> usize {
        0
    }
    fn shape(&self, _: &[Shape]) -> Result<Shape, String> {
        Ok(self.shape)
    }
    fn eval(&self, _: &[Tensor<'_>], out: TensorMut<'_>) {
        out.data.fill(self.value);
    }
}

/// A leaf: nothing to differentiate.
pub(super) fn examples() -> Vec<Example> {
    Vec::new()
}
