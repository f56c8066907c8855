//! `softplus`: log(1 + e^x); softplus' = σ.

use super::mathfn::{exp_nonpositive, log1p_unit};
use super::{Example, Unary};
use crate::{Graph, GraphError, NodeId, Shape};

/// Elementwise softplus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Softplus;

impl Unary for Softplus {
    const NAME: &str = "softplus";
    /// log(1 + eˣ) without a library call, so that loops over it vectorize, and without
    /// overflow: max(x, 0) + log1p(e^−|x|) with the helpers of [`super::mathfn`] (so
    /// x + e^−x for large x, eˣ, subnormals included, for very negative x). Within a few
    /// ulp of the same formula with the standard library's exp and log1p (measured in the
    /// tests below).
    #[inline(always)]
    fn value(x: f64) -> f64 {
        let positive_part = if x > 0.0 { x } else { 0.0 };
        positive_part + log1p_unit(exp_nonpositive(-x.abs()))
    }
    /// softplus' = σ(x)
    fn slope(g: &mut Graph, x: NodeId, _: NodeId) -> Result<NodeId, GraphError> {
        g.sigmoid(x)
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![Example::new(Softplus, [Shape::matrix(3, 2)])]
}

#[cfg(test)]
mod tests {
    use super::super::mathfn::testing::{exp_range_points, worst};
    use super::{Softplus, Unary};

    /// softplus with the standard library's exp and log1p, as the kernel computed it before.
    fn reference(x: f64) -> f64 {
        x.max(0.0) + (-x.abs()).exp().ln_1p()
    }

    #[test]
    fn within_a_few_ulp_of_the_standard_library() {
        let softplus = Softplus::value;
        let (u, x) = worst(exp_range_points(7), softplus, reference);
        eprintln!("softplus: worst {u} ulp at x = {x:e}");
        assert!(u <= 4, "{u} ulp at x = {x:e}");
        assert!(softplus(f64::NAN).is_nan());
        assert_eq!(softplus(f64::INFINITY), f64::INFINITY);
        assert_eq!(softplus(f64::NEG_INFINITY), 0.0);
        assert_eq!(softplus(1e300), 1e300);
        assert!(softplus(-740.0) > 0.0);
    }
}
