//! `sub`: elementwise difference with broadcasting.

use super::elementwise::{binary, broadcast_shape};
use super::{Example, Primitive, Tensor, TensorMut};
use crate::{Graph, GraphError, NodeId, Shape};

/// `a − b`, broadcasting dimensions of length 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sub;

impl Primitive for Sub {
    fn name(&self) -> &'static str {
        "sub"
    }
    fn arity(&self) -> usize {
        2
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        broadcast_shape(args)
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        binary(args[0], args[1], out, #[inline(always)] |x, y| x - y);
    }
    fn fold(&self, v: &[f64], _: &[Shape], _: Shape) -> Option<f64> {
        Some(v[0] - v[1])
    }
    fn simplify(&self, g: &mut Graph, args: &[NodeId], out: Shape) -> Result<Option<NodeId>, GraphError> {
        let (a, b) = (args[0], args[1]);
        if g.const_value(b) == Some(0.0) {
            return g.broadcast_like(a, out);
        }
        if g.const_value(a) == Some(0.0) {
            let nb = g.neg(b)?;
            return g.broadcast_like(nb, out);
        }
        if let Some((p, q, t)) = super::common_varying_factor(g, a, b) {
            let pq = g.sub(p, q)?;
            return g.mul(pq, t).map(Some);
        }
        Ok((a == b).then(|| g.fill(0.0, out)))
    }
    fn jvp(
        &self,
        g: &mut Graph,
        _: NodeId,
        _: &[NodeId],
        t: &[Option<NodeId>],
    ) -> Result<Option<NodeId>, GraphError> {
        match (t[0], t[1]) {
            (Some(da), Some(db)) => g.sub(da, db).map(Some),
            (Some(da), None) => Ok(Some(da)),
            (None, Some(db)) => g.neg(db).map(Some),
            (None, None) => Ok(None),
        }
    }
    fn transpose(
        &self,
        g: &mut Graph,
        _: &[NodeId],
        linear: &[bool],
        ct: NodeId,
    ) -> Result<Vec<Option<NodeId>>, GraphError> {
        let minus = if linear[1] { Some(g.neg(ct)?) } else { None };
        Ok(vec![linear[0].then_some(ct), minus])
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![
        Example::new(Sub, [Shape::matrix(3, 4), Shape::matrix(3, 4)]),
        Example::new(Sub, [Shape::matrix(1, 4), Shape::matrix(3, 4)]),
        Example::new(Sub, [Shape::matrix(2, 3), Shape::SCALAR]),
    ]
}
