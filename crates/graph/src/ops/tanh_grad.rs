//! `tanh_grad`: tanh's derivative applied to a tangent, t·(1 − y²) given y = tanh(x).
//!
//! The JVP of `tanh` and the transpose of that JVP are this one op (TensorFlow's
//! `TanhGrad`, PyTorch's `tanh_backward`), so a derivative program makes one pass over
//! y and t where `mul`, `sub` and `mul` made three. The value is computed as
//! (1 − y·y)·t, the same IEEE operations those three ops did.

use super::elementwise::{binary, broadcast_shape};
use super::{Example, Primitive, Tensor, TensorMut};
use crate::{Graph, GraphError, NodeId, Shape};

/// `t ⊙ (1 − y ⊙ y)` for y = tanh(x), broadcasting dimensions of length 1; linear in t.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TanhGrad;

impl Primitive for TanhGrad {
    fn name(&self) -> &'static str {
        "tanh_grad"
    }
    fn arity(&self) -> usize {
        2
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        broadcast_shape(args)
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        binary(args[0], args[1], out, #[inline(always)] |y, t| (1.0 - y * y) * t);
    }
    fn fold(&self, v: &[f64], _: &[Shape], _: Shape) -> Option<f64> {
        Some((1.0 - v[0] * v[0]) * v[1])
    }
    /// [`simplify_scaled_tangent`](super::simplify_scaled_tangent) with slope 1 − y².
    fn simplify(&self, g: &mut Graph, args: &[NodeId], out: Shape) -> Result<Option<NodeId>, GraphError> {
        super::simplify_scaled_tangent(g, args[0], args[1], out, |y| 1.0 - y * y)
    }
    /// d[t(1 − y²)] = dt·(1 − y²) − 2·y·t·dy; the factor −2·y·t (`tanh_grad_dy`),
    /// free of dy, is built first so that a batch of tangents dy multiplies it once each.
    fn jvp(
        &self,
        g: &mut Graph,
        _: NodeId,
        args: &[NodeId],
        tangents: &[Option<NodeId>],
    ) -> Result<Option<NodeId>, GraphError> {
        let (y, t) = (args[0], args[1]);
        let along_t = tangents[1].map(|dt| g.tanh_grad(y, dt)).transpose()?;
        let along_y = match tangents[0] {
            Some(dy) => {
                let factor = g.tanh_grad_dy(y, t)?;
                Some(g.mul(factor, dy)?)
            }
            None => None,
        };
        g.add_maybe(along_t, along_y)
    }
    /// Linear in t, and symmetric: the cotangent of t is `tanh_grad(y, ct)`.
    fn transpose(
        &self,
        g: &mut Graph,
        args: &[NodeId],
        linear: &[bool],
        ct: NodeId,
    ) -> Result<Vec<Option<NodeId>>, GraphError> {
        match linear {
            [false, true] => Ok(vec![None, Some(g.tanh_grad(args[0], ct)?)]),
            _ => Err(GraphError::NotLinear { op: "tanh_grad" }),
        }
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![
        Example::new(TanhGrad, [Shape::matrix(3, 2), Shape::matrix(3, 2)]),
        Example::new(TanhGrad, [Shape::matrix(1, 2), Shape::matrix(3, 2)]),
    ]
}
