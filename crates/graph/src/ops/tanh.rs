//! `tanh`: hyperbolic tangent; tanh' = 1 − tanh².

use super::elementwise::unary;
use super::{Example, Primitive, Tensor, TensorMut};
use crate::{Graph, GraphError, NodeId, Shape};

/// Elementwise tanh.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tanh;

impl Primitive for Tanh {
    fn name(&self) -> &'static str {
        "tanh"
    }
    fn arity(&self) -> usize {
        1
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        Ok(args[0])
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        unary(args[0], out, f64::tanh);
    }
    fn fold(&self, v: &[f64], _: &[Shape], _: Shape) -> Option<f64> {
        Some(v[0].tanh())
    }
    /// d tanh(x) = dx · (1 − y²), y = tanh(x)
    fn jvp(
        &self,
        g: &mut Graph,
        y: NodeId,
        _: &[NodeId],
        t: &[Option<NodeId>],
    ) -> Result<Option<NodeId>, GraphError> {
        let one = g.scalar(1.0);
        let y2 = g.mul(y, y)?;
        let slope = g.sub(one, y2)?;
        g.mul_maybe(t[0], slope)
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![Example::new(Tanh, [Shape::matrix(3, 2)])]
}
