//! `sin`: sine; sin' = cos.

use super::elementwise::unary;
use super::{Example, Primitive, Tensor, TensorMut};
use crate::{Graph, GraphError, NodeId, Shape};

/// Elementwise sine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sin;

impl Primitive for Sin {
    fn name(&self) -> &'static str {
        "sin"
    }
    fn arity(&self) -> usize {
        1
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        Ok(args[0])
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        unary(args[0], out, f64::sin);
    }
    fn fold(&self, v: &[f64], _: &[Shape], _: Shape) -> Option<f64> {
        Some(v[0].sin())
    }
    /// d sin(x) = dx · cos(x)
    fn jvp(
        &self,
        g: &mut Graph,
        _: NodeId,
        args: &[NodeId],
        t: &[Option<NodeId>],
    ) -> Result<Option<NodeId>, GraphError> {
        let slope = g.cos(args[0])?;
        g.mul_maybe(t[0], slope)
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![Example::new(Sin, [Shape::matrix(3, 2)])]
}
