//! `abs_grad`: abs's derivative applied to a tangent, sign(x)·t with sign(0) = 0.
//!
//! The JVP of `abs` and the transpose of that JVP are this one op. Its derivative with
//! respect to x is zero wherever it exists (everywhere but x = 0), so the set of ops stays
//! closed under differentiation without a `sign` of its own.

use super::elementwise::{binary, broadcast_shape};
use super::{Example, Primitive, Tensor, TensorMut};
use crate::{Graph, GraphError, NodeId, Shape};

/// `sign(x) ⊙ t`, broadcasting dimensions of length 1; linear in t. sign is −1 below 0,
/// +1 above, 0 at ±0 and NaN at NaN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AbsGrad;

/// sign(x): −1, 0 (at ±0) or +1; NaN at NaN.
#[inline(always)]
fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0 * x
    }
}

impl Primitive for AbsGrad {
    fn name(&self) -> &'static str {
        "abs_grad"
    }
    fn arity(&self) -> usize {
        2
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        broadcast_shape(args)
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        binary(args[0], args[1], out, #[inline(always)] |x, t| sign(x) * t);
    }
    fn fold(&self, v: &[f64], _: &[Shape], _: Shape) -> Option<f64> {
        Some(sign(v[0]) * v[1])
    }
    /// [`simplify_scaled_tangent`](super::simplify_scaled_tangent) with slope sign(x).
    fn simplify(&self, g: &mut Graph, args: &[NodeId], out: Shape) -> Result<Option<NodeId>, GraphError> {
        super::simplify_scaled_tangent(g, args[0], args[1], out, sign)
    }
    /// d[sign(x)·t] = sign(x)·dt: the derivative along x is zero away from x = 0.
    fn jvp(
        &self,
        g: &mut Graph,
        _: NodeId,
        args: &[NodeId],
        tangents: &[Option<NodeId>],
    ) -> Result<Option<NodeId>, GraphError> {
        tangents[1].map(|dt| g.apply(AbsGrad, &[args[0], dt])).transpose()
    }
    /// Linear in t, and symmetric: the cotangent of t is `abs_grad(x, ct)`.
    fn transpose(
        &self,
        g: &mut Graph,
        args: &[NodeId],
        linear: &[bool],
        ct: NodeId,
    ) -> Result<Vec<Option<NodeId>>, GraphError> {
        match linear {
            [false, true] => Ok(vec![None, Some(g.apply(AbsGrad, &[args[0], ct])?)]),
            _ => Err(GraphError::NotLinear { op: "abs_grad" }),
        }
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![
        Example::new(AbsGrad, [Shape::matrix(3, 2), Shape::matrix(3, 2)]),
        Example::new(AbsGrad, [Shape::matrix(1, 2), Shape::matrix(3, 2)]),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::{Primitive, Tensor, TensorMut};
    use super::AbsGrad;
    use crate::Shape;

    #[test]
    fn the_sign_times_the_tangent_and_zero_at_zero() {
        let x = [-2.0, -0.0, 0.0, 3.0, f64::NAN, f64::NEG_INFINITY];
        let t = [5.0; 6];
        let shape = Shape::vector(6);
        let mut y = [0.0; 6];
        AbsGrad.eval(&[Tensor { data: &x, shape }, Tensor { data: &t, shape }], TensorMut { data: &mut y, shape });
        assert_eq!(y[..4], [-5.0, 0.0, 0.0, 5.0]);
        assert!(y[4].is_nan());
        assert_eq!(y[5], -5.0);
    }
}
