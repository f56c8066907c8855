//! `add`: elementwise sum with broadcasting.

use super::elementwise::{binary, broadcast_shape};
use super::{Example, Op, Primitive, Tensor, TensorMut};
use crate::{Graph, GraphError, NodeId, Shape};

/// `a + b`, broadcasting dimensions of length 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Add;

impl Primitive for Add {
    fn name(&self) -> &'static str {
        "add"
    }
    fn arity(&self) -> usize {
        2
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        broadcast_shape(args)
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        binary(args[0], args[1], out, #[inline(always)] |x, y| x + y);
    }
    fn fold(&self, v: &[f64], _: &[Shape], _: Shape) -> Option<f64> {
        Some(v[0] + v[1])
    }
    fn simplify(&self, g: &mut Graph, args: &[NodeId], out: Shape) -> Result<Option<NodeId>, GraphError> {
        let (a, b) = (args[0], args[1]);
        if g.const_value(b) == Some(0.0) {
            return g.broadcast_like(a, out);
        }
        if g.const_value(a) == Some(0.0) {
            return g.broadcast_like(b, out);
        }
        // x + x = 2·x (exact), which a factor varying less can then join.
        if a == b {
            let two = g.scalar(2.0);
            return g.mul(two, a).map(Some);
        }
        if let Some((p, q, t)) = super::common_varying_factor(g, a, b) {
            let pq = g.add(p, q)?;
            return g.mul(pq, t).map(Some);
        }
        // a + (-b) = a - b
        if let Op::Neg(_) = g.node(b).op {
            let nb = g.node(b).args[0];
            return g.sub(a, nb).map(Some);
        }
        if let Op::Neg(_) = g.node(a).op {
            let na = g.node(a).args[0];
            return g.sub(b, na).map(Some);
        }
        // Commutative: one canonical operand order, so equal sums are shared.
        Ok(if a > b { Some(g.add(b, a)?) } else { None })
    }
    fn jvp(
        &self,
        g: &mut Graph,
        _: NodeId,
        _: &[NodeId],
        t: &[Option<NodeId>],
    ) -> Result<Option<NodeId>, GraphError> {
        g.add_maybe(t[0], t[1])
    }
    fn transpose(
        &self,
        _: &mut Graph,
        _: &[NodeId],
        linear: &[bool],
        ct: NodeId,
    ) -> Result<Vec<Option<NodeId>>, GraphError> {
        Ok(linear.iter().map(|&l| l.then_some(ct)).collect())
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![
        Example::new(Add, [Shape::matrix(3, 4), Shape::matrix(3, 4)]),
        Example::new(Add, [Shape::matrix(3, 4), Shape::matrix(1, 4)]),
        Example::new(Add, [Shape::matrix(3, 1), Shape::matrix(3, 4)]),
        Example::new(Add, [Shape::SCALAR, Shape::matrix(2, 3)]),
    ]
}
