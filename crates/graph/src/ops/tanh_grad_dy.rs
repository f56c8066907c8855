//! `tanh_grad_dy`: −2·y·t, the derivative of `tanh_grad(y, t)` = (1 − y²)·t with respect
//! to y.
//!
//! `tanh_grad`'s JVP multiplies it by dy; as one op it is one pass over y and t where
//! `mul(−2, y)` and `mul(·, t)` made two. The value is computed as (−2·y)·t, the IEEE
//! operations those two ops did (−2·y is exact), so results keep their bits.

use super::elementwise::{binary, broadcast_shape};
use super::{Example, Primitive, Tensor, TensorMut, later_factor};
use crate::{Graph, GraphError, NodeId, Shape};

/// `−2 ⊙ y ⊙ t`, broadcasting dimensions of length 1; linear in each operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TanhGradDy;

impl Primitive for TanhGradDy {
    fn name(&self) -> &'static str {
        "tanh_grad_dy"
    }
    fn arity(&self) -> usize {
        2
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        broadcast_shape(args)
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        binary(args[0], args[1], out, #[inline(always)] |y, t| (-2.0 * y) * t);
    }
    fn fold(&self, v: &[f64], _: &[Shape], _: Shape) -> Option<f64> {
        Some((-2.0 * v[0]) * v[1])
    }
    /// A zero operand gives zero; a constant operand c gives the product of the other
    /// with −2c (the same bits: −2c and −2y are exact), which the product's own
    /// identities can move.
    fn simplify(&self, g: &mut Graph, args: &[NodeId], out: Shape) -> Result<Option<NodeId>, GraphError> {
        let (y, t) = (args[0], args[1]);
        let (cy, ct) = (g.const_value(y), g.const_value(t));
        if cy == Some(0.0) || ct == Some(0.0) {
            return Ok(Some(g.fill(0.0, out)));
        }
        if let Some((c, other)) = cy.map(|c| (c, t)).or(ct.map(|c| (c, y))) {
            let factor = g.scalar(-2.0 * c);
            let product = g.mul(other, factor)?;
            return g.broadcast_like(product, out);
        }
        // As `mul`'s: −2·p·(q·r) = (−2·p·q)·r when r depends on a later input than p and q.
        if let Some((p, q, r)) = later_factor(g, y, t) {
            let pq = g.tanh_grad_dy(p, q)?;
            return g.mul(pq, r).map(Some);
        }
        Ok(None)
    }
    // Linear in each operand with the other fixed: d(−2·y·t) = −2·dy·t − 2·y·dt, and the
    // cotangent of one is `tanh_grad_dy(other, ct)`.
    bilinear_rules!(|g, t, ct| g.tanh_grad_dy(t, ct)?, |g, y, ct| g.tanh_grad_dy(y, ct)?);
}

pub(super) fn examples() -> Vec<Example> {
    vec![
        Example::new(TanhGradDy, [Shape::matrix(3, 2), Shape::matrix(3, 2)]),
        Example::new(TanhGradDy, [Shape::matrix(1, 2), Shape::matrix(3, 2)]),
    ]
}
