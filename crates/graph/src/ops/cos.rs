//! `cos`: cosine; cos' = −sin.

use super::elementwise::unary;
use super::{Example, Primitive, Tensor, TensorMut};
use crate::{Graph, GraphError, NodeId, Shape};

/// Elementwise cosine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cos;

impl Primitive for Cos {
    fn name(&self) -> &'static str {
        "cos"
    }
    fn arity(&self) -> usize {
        1
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        Ok(args[0])
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        unary(args[0], out, f64::cos);
    }
    fn fold(&self, v: &[f64], _: &[Shape], _: Shape) -> Option<f64> {
        Some(v[0].cos())
    }
    /// d cos(x) = −dx · sin(x)
    fn jvp(
        &self,
        g: &mut Graph,
        _: NodeId,
        args: &[NodeId],
        t: &[Option<NodeId>],
    ) -> Result<Option<NodeId>, GraphError> {
        let sin = g.sin(args[0])?;
        let slope = g.neg(sin)?;
        g.mul_maybe(t[0], slope)
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![Example::new(Cos, [Shape::matrix(3, 2)])]
}
