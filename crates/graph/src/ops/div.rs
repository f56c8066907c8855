//! `div`: elementwise quotient with broadcasting.

use super::elementwise::{binary, broadcast_shape};
use super::{Example, Primitive, Tensor, TensorMut};
use crate::{Graph, GraphError, NodeId, Shape};

/// `a ⊘ b`, broadcasting dimensions of length 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Div;

impl Primitive for Div {
    fn name(&self) -> &'static str {
        "div"
    }
    fn arity(&self) -> usize {
        2
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        broadcast_shape(args)
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        binary(args[0], args[1], out, #[inline(always)] |x, y| x / y);
    }
    fn fold(&self, v: &[f64], _: &[Shape], _: Shape) -> Option<f64> {
        Some(v[0] / v[1])
    }
    fn simplify(&self, g: &mut Graph, args: &[NodeId], out: Shape) -> Result<Option<NodeId>, GraphError> {
        let (a, b) = (args[0], args[1]);
        if g.const_value(b) == Some(1.0) {
            return g.broadcast_like(a, out);
        }
        Ok((g.const_value(a) == Some(0.0)).then(|| g.fill(0.0, out)))
    }
    /// d(a/b) = (da − (a/b)·db) / b
    fn jvp(
        &self,
        g: &mut Graph,
        out: NodeId,
        args: &[NodeId],
        t: &[Option<NodeId>],
    ) -> Result<Option<NodeId>, GraphError> {
        let out_db = t[1].map(|db| g.mul(out, db)).transpose()?;
        let numerator = match (t[0], out_db) {
            (Some(da), Some(q)) => g.sub(da, q)?,
            (Some(da), None) => da,
            (None, Some(q)) => g.neg(q)?,
            (None, None) => return Ok(None),
        };
        g.div(numerator, args[1]).map(Some)
    }
    fn transpose(
        &self,
        g: &mut Graph,
        args: &[NodeId],
        linear: &[bool],
        ct: NodeId,
    ) -> Result<Vec<Option<NodeId>>, GraphError> {
        match linear {
            [true, false] => Ok(vec![Some(g.div(ct, args[1])?), None]),
            _ => Err(GraphError::NotLinear { op: "div" }),
        }
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![
        Example::new(Div, [Shape::matrix(3, 4), Shape::matrix(3, 4)]),
        Example::new(Div, [Shape::matrix(3, 4), Shape::matrix(1, 4)]),
        Example::new(Div, [Shape::SCALAR, Shape::matrix(2, 2)]),
    ]
}
