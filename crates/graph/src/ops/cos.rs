//! `cos`: cosine; cos' = −sin.

use super::elementwise::unary_in_range;
use super::mathfn::{SIN_COS_LIMIT, sin_or_cos};
use super::{Example, Primitive, Tensor, TensorMut};
use crate::{Graph, GraphError, NodeId, Shape};

/// Elementwise cosine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cos;

/// cos(x) without a library call for |x| ≤ 2²⁰ (as [`super::sin::sin`]: cos x =
/// sin(x + π/2) by the quadrant), the standard library's beyond (and for ±∞, NaN).
/// Within 1 ulp of glibc's (measured in the tests below).
#[inline(always)]
pub fn cos(x: f64) -> f64 {
    if x.abs() <= SIN_COS_LIMIT { sin_or_cos(x, 1) } else { x.cos() }
}

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
        unary_in_range(args[0], out, SIN_COS_LIMIT, #[inline(always)] |x| sin_or_cos(x, 1), f64::cos);
    }
    fn fold(&self, v: &[f64], _: &[Shape], _: Shape) -> Option<f64> {
        Some(cos(v[0]))
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

#[cfg(test)]
mod tests {
    use super::super::mathfn::testing::{sin_cos_points as points, worst};
    use super::cos;

    #[test]
    fn within_a_few_ulp_of_the_standard_library() {
        let (u, x) = worst(points(), cos, f64::cos);
        eprintln!("cos: worst {u} ulp at x = {x:e}"); // 1 against glibc
        assert!(u <= 2, "{u} ulp at x = {x:e}");
        assert!(cos(f64::NAN).is_nan() && cos(f64::NEG_INFINITY).is_nan());
        assert_eq!(cos(-0.0), 1.0);
    }
}
