//! `sqrt`: the square root; sqrt' x = 1/(2·sqrt x).

use super::elementwise::unary;
use super::{Example, Primitive, Tensor, TensorMut};
use crate::{Graph, GraphError, NodeId, Shape};

/// Elementwise square root (correctly rounded): NaN below 0, and √−0 = −0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sqrt;

impl Primitive for Sqrt {
    fn name(&self) -> &'static str {
        "sqrt"
    }
    fn arity(&self) -> usize {
        1
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        Ok(args[0])
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        unary(args[0], out, f64::sqrt);
    }
    fn fold(&self, v: &[f64], _: &[Shape], _: Shape) -> Option<f64> {
        Some(v[0].sqrt())
    }
    /// d sqrt(x) = dx · (0.5/y), y = sqrt(x): the slope is computed once for every
    /// tangent direction.
    fn jvp(
        &self,
        g: &mut Graph,
        y: NodeId,
        _: &[NodeId],
        t: &[Option<NodeId>],
    ) -> Result<Option<NodeId>, GraphError> {
        let half = g.scalar(0.5);
        let slope = g.div(half, y)?;
        g.mul_maybe(t[0], slope)
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![Example::new(Sqrt, [Shape::matrix(3, 2)])]
}
