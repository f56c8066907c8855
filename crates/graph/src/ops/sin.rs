//! `sin`: sine; sin' = cos.

use super::elementwise::unary_in_range;
use super::mathfn::{SIN_COS_LIMIT, sin_or_cos};
use super::{Example, Tensor, TensorMut, Unary};
use crate::{Graph, GraphError, NodeId, Shape};

/// Elementwise sine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sin;

impl Unary for Sin {
    const NAME: &str = "sin";
    /// sin(x) without a library call for |x| ≤ 2²⁰ (Cody–Waite reduction by π/2 and
    /// fdlibm's kernels, [`super::mathfn::sin_or_cos`]), so that loops over it vectorize;
    /// the standard library's beyond (and for ±∞, NaN). Within 1 ulp of glibc's (measured
    /// in the tests below).
    #[inline(always)]
    fn value(x: f64) -> f64 {
        if x.abs() <= SIN_COS_LIMIT { sin_or_cos(x, 0) } else { x.sin() }
    }
    fn kernel(x: Tensor<'_>, out: TensorMut<'_>) {
        unary_in_range(x, out, SIN_COS_LIMIT, #[inline(always)] |x| sin_or_cos(x, 0), f64::sin);
    }
    /// sin' = cos
    fn slope(g: &mut Graph, x: NodeId, _: NodeId) -> Result<NodeId, GraphError> {
        g.cos(x)
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![Example::new(Sin, [Shape::matrix(3, 2)])]
}

#[cfg(test)]
mod tests {
    use super::super::mathfn::testing::{sin_cos_points as points, worst};
    use super::{Sin, Unary};

    #[test]
    fn within_a_few_ulp_of_the_standard_library() {
        let sin = Sin::value;
        let (u, x) = worst(points(), sin, f64::sin);
        eprintln!("sin: worst {u} ulp at x = {x:e}"); // 1 against glibc
        assert!(u <= 2, "{u} ulp at x = {x:e}");
        assert!(sin(f64::NAN).is_nan() && sin(f64::INFINITY).is_nan());
        assert!(sin(-0.0).is_sign_negative());
    }
}
