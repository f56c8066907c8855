//! `sigmoid`: the logistic function σ(x) = 1 / (1 + e^−x); σ' = σ(1 − σ).

use super::mathfn::exp_nonpositive;
use super::{Example, Unary};
use crate::{Graph, GraphError, NodeId, Shape};

/// Elementwise logistic sigmoid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sigmoid;

impl Unary for Sigmoid {
    const NAME: &str = "sigmoid";
    /// σ(x) without a library call, so that loops over it vectorize, and without overflow:
    /// with e = e^−|x| ([`super::mathfn::exp_nonpositive`], subnormal results included),
    /// σ(x) = 1/(1 + e) for x ≥ 0 and e/(1 + e) for x < 0. Within a few ulp of the same
    /// formulas with the standard library's exp (measured in the tests below).
    #[inline(always)]
    fn value(x: f64) -> f64 {
        let e = exp_nonpositive(-x.abs());
        let numerator = if x < 0.0 { e } else { 1.0 };
        numerator / (1.0 + e)
    }
    /// σ' = y(1 − y), y = σ(x)
    fn slope(g: &mut Graph, _: NodeId, y: NodeId) -> Result<NodeId, GraphError> {
        let one = g.scalar(1.0);
        let one_minus_y = g.sub(one, y)?;
        g.mul(y, one_minus_y)
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![Example::new(Sigmoid, [Shape::matrix(3, 2)])]
}

#[cfg(test)]
mod tests {
    use super::super::mathfn::testing::{exp_range_points, worst};
    use super::{Sigmoid, Unary};

    /// σ with the standard library's exp, as the kernel computed it before.
    fn reference(x: f64) -> f64 {
        if x >= 0.0 {
            1.0 / (1.0 + (-x).exp())
        } else {
            let e = x.exp();
            e / (1.0 + e)
        }
    }

    #[test]
    fn within_a_few_ulp_of_the_standard_library() {
        let sigmoid = Sigmoid::value;
        let (u, x) = worst(exp_range_points(6), sigmoid, reference);
        eprintln!("sigmoid: worst {u} ulp at x = {x:e}");
        assert!(u <= 4, "{u} ulp at x = {x:e}");
        assert!(sigmoid(f64::NAN).is_nan());
        assert_eq!(sigmoid(f64::INFINITY), 1.0);
        assert_eq!(sigmoid(f64::NEG_INFINITY), 0.0);
        assert_eq!(sigmoid(-0.0), 0.5);
        assert!(sigmoid(-740.0) > 0.0);
    }
}
