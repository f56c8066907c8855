//! `exp`: the exponential; exp' = exp.

use super::{Example, Unary, mathfn};
use crate::{Graph, GraphError, NodeId, Shape};

/// Elementwise eˣ by `mathfn::exp`: no library call, so that loops over it vectorize;
/// within 1 ulp of the standard library's (measured in the tests below).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Exp;

impl Unary for Exp {
    const NAME: &str = "exp";
    #[inline(always)]
    fn value(x: f64) -> f64 {
        mathfn::exp(x)
    }
    /// exp' = y, y = exp(x): the result node itself is the slope.
    fn slope(_: &mut Graph, _: NodeId, y: NodeId) -> Result<NodeId, GraphError> {
        Ok(y)
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![Example::new(Exp, [Shape::matrix(3, 2)])]
}

#[cfg(test)]
mod tests {
    use super::super::mathfn::testing::{exp_range_points, worst};
    use super::{Exp, Unary};

    #[test]
    fn within_a_few_ulp_of_the_standard_library() {
        let exp = Exp::value;
        // Around the overflow threshold ln(f64::MAX) = 709.782712893384 and the last
        // subnormal result, e^−745.13 = 2⁻¹⁰⁷⁴, too.
        let edges = [709.78, 709.782712893384, 709.7827128933841, 709.79, -745.13, -745.14, -708.4, -708.3];
        let (u, x) = worst(exp_range_points(8).chain(edges), exp, f64::exp);
        eprintln!("exp: worst {u} ulp at x = {x:e}"); // 1 against glibc
        assert!(u <= 2, "{u} ulp at x = {x:e}");
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp(709.79), f64::INFINITY);
        assert_eq!(exp(-745.13), f64::from_bits(1));
        assert_eq!(exp(-0.0), 1.0);
        assert_eq!(exp(0.0), 1.0);
    }
}
