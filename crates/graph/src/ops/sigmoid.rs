//! `sigmoid`: the logistic function σ(x) = 1 / (1 + e^−x); σ' = σ(1 − σ).

use super::elementwise::unary;
use super::{Example, Primitive, Tensor, TensorMut};
use crate::{Graph, GraphError, NodeId, Shape};

/// Elementwise logistic sigmoid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sigmoid;

/// σ(x), evaluated without overflow for large |x|.
pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

impl Primitive for Sigmoid {
    fn name(&self) -> &'static str {
        "sigmoid"
    }
    fn arity(&self) -> usize {
        1
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        Ok(args[0])
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        unary(args[0], out, sigmoid);
    }
    fn fold(&self, v: &[f64], _: &[Shape], _: Shape) -> Option<f64> {
        Some(sigmoid(v[0]))
    }
    /// d σ(x) = dx · y(1 − y), y = σ(x)
    fn jvp(
        &self,
        g: &mut Graph,
        y: NodeId,
        _: &[NodeId],
        t: &[Option<NodeId>],
    ) -> Result<Option<NodeId>, GraphError> {
        let one = g.scalar(1.0);
        let one_minus_y = g.sub(one, y)?;
        let slope = g.mul(y, one_minus_y)?;
        g.mul_maybe(t[0], slope)
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![Example::new(Sigmoid, [Shape::matrix(3, 2)])]
}
