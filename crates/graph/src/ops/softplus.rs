//! `softplus`: log(1 + e^x); softplus' = σ.

use super::elementwise::unary;
use super::{Example, Primitive, Tensor, TensorMut};
use crate::{Graph, GraphError, NodeId, Shape};

/// Elementwise softplus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Softplus;

/// log(1 + e^x), evaluated without overflow: max(x, 0) + log1p(e^−|x|).
pub fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

impl Primitive for Softplus {
    fn name(&self) -> &'static str {
        "softplus"
    }
    fn arity(&self) -> usize {
        1
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        Ok(args[0])
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        unary(args[0], out, softplus);
    }
    fn fold(&self, v: &[f64], _: &[Shape], _: Shape) -> Option<f64> {
        Some(softplus(v[0]))
    }
    /// d softplus(x) = dx · σ(x)
    fn jvp(
        &self,
        g: &mut Graph,
        _: NodeId,
        args: &[NodeId],
        t: &[Option<NodeId>],
    ) -> Result<Option<NodeId>, GraphError> {
        let slope = g.sigmoid(args[0])?;
        g.mul_maybe(t[0], slope)
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![Example::new(Softplus, [Shape::matrix(3, 2)])]
}
