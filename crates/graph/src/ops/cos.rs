//! `cos`: cosine; cos' = −sin.

use super::elementwise::unary_in_range;
use super::mathfn::{SIN_COS_LIMIT, sin_or_cos};
use super::{Example, Tensor, TensorMut, Unary};
use crate::{Graph, GraphError, NodeId, Shape};

/// Elementwise cosine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cos;

impl Unary for Cos {
    const NAME: &str = "cos";
    /// cos(x) without a library call for |x| ≤ 2²⁰ (as [`super::Sin`]: cos x = sin(x + π/2)
    /// by the quadrant), the standard library's beyond (and for ±∞, NaN). Within 1 ulp of
    /// glibc's (measured in the tests below).
    #[inline(always)]
    fn value(x: f64) -> f64 {
        if x.abs() <= SIN_COS_LIMIT { sin_or_cos(x, 1) } else { x.cos() }
    }
    fn kernel(x: Tensor<'_>, out: TensorMut<'_>) {
        unary_in_range(x, out, SIN_COS_LIMIT, #[inline(always)] |x| sin_or_cos(x, 1), f64::cos);
    }
    /// cos' = −sin
    fn slope(g: &mut Graph, x: NodeId, _: NodeId) -> Result<NodeId, GraphError> {
        let sin = g.sin(x)?;
        g.neg(sin)
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![Example::new(Cos, [Shape::matrix(3, 2)])]
}

#[cfg(test)]
mod tests {
    use super::super::mathfn::testing::{sin_cos_points as points, worst};
    use super::{Cos, Unary};

    #[test]
    fn within_a_few_ulp_of_the_standard_library() {
        let cos = Cos::value;
        let (u, x) = worst(points(), cos, f64::cos);
        eprintln!("cos: worst {u} ulp at x = {x:e}"); // 1 against glibc
        assert!(u <= 2, "{u} ulp at x = {x:e}");
        assert!(cos(f64::NAN).is_nan() && cos(f64::NEG_INFINITY).is_nan());
        assert_eq!(cos(-0.0), 1.0);
    }
}
