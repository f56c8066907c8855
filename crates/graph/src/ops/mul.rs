//! `mul`: elementwise product with broadcasting.

use super::elementwise::{binary, broadcast_shape};
use super::{Example, Primitive, Tensor, TensorMut, later_factor};
use crate::{Graph, GraphError, NodeId, Shape};

/// `a ⊙ b`, broadcasting dimensions of length 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Mul;

impl Primitive for Mul {
    fn name(&self) -> &'static str {
        "mul"
    }
    fn arity(&self) -> usize {
        2
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        broadcast_shape(args)
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        binary(args[0], args[1], out, #[inline(always)] |x, y| x * y);
    }
    fn fold(&self, v: &[f64], _: &[Shape], _: Shape) -> Option<f64> {
        Some(v[0] * v[1])
    }
    fn simplify(&self, g: &mut Graph, args: &[NodeId], out: Shape) -> Result<Option<NodeId>, GraphError> {
        let (a, b) = (args[0], args[1]);
        for (x, c) in [(a, b), (b, a)] {
            match g.const_value(c) {
                Some(0.0) => return Ok(Some(g.fill(0.0, out))),
                Some(1.0) => return g.broadcast_like(x, out),
                Some(-1.0) => {
                    let nx = g.neg(x)?;
                    return g.broadcast_like(nx, out);
                }
                _ => {}
            }
        }
        // p·(q·t) = (p·q)·t when t depends on a later input than p and q.
        if let Some((p, q, t)) = later_factor(g, a, b) {
            let pq = g.mul(p, q)?;
            return g.mul(pq, t).map(Some);
        }
        // Commutative: one canonical operand order, so equal products are shared.
        Ok(if a > b { Some(g.mul(b, a)?) } else { None })
    }
    bilinear_rules!(|g, b, ct| g.mul(ct, b)?, |g, a, ct| g.mul(a, ct)?);
}

pub(super) fn examples() -> Vec<Example> {
    vec![
        Example::new(Mul, [Shape::matrix(3, 4), Shape::matrix(3, 4)]),
        Example::new(Mul, [Shape::matrix(3, 4), Shape::matrix(3, 1)]),
        Example::new(Mul, [Shape::SCALAR, Shape::matrix(2, 3)]),
    ]
}
