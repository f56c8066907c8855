//! `abs`: the absolute value; abs' = sign, taken as 0 at 0.

use super::{AbsGrad, Example, Unary};
use crate::{Graph, GraphError, NodeId, Shape};

/// Elementwise absolute value |x|.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Abs;

impl Unary for Abs {
    const NAME: &str = "abs";
    #[inline(always)]
    fn value(x: f64) -> f64 {
        x.abs()
    }
    /// abs' = sign(x) (−1, 0 at ±0, +1): |x| has no derivative at 0, and 0 is the
    /// subgradient in the middle; `abs_grad(x, 1)`.
    fn slope(g: &mut Graph, x: NodeId, _: NodeId) -> Result<NodeId, GraphError> {
        let one = g.scalar(1.0);
        g.apply(AbsGrad, &[x, one])
    }
    /// t·sign(x) as one [`AbsGrad`].
    fn tangent(g: &mut Graph, x: NodeId, _: NodeId, t: NodeId) -> Result<NodeId, GraphError> {
        g.apply(AbsGrad, &[x, t])
    }
}

/// The harness samples operands in [0.5, 1.5], away from the kink at 0; the sign's other
/// branch is checked in problem files (`crates/cli/src/study/problem_file/tests.rs`).
pub(super) fn examples() -> Vec<Example> {
    vec![Example::new(Abs, [Shape::matrix(3, 2)])]
}

#[cfg(test)]
mod tests {
    use super::{Abs, Unary};

    #[test]
    fn even_and_zero_at_zero() {
        assert_eq!(Abs::value(-2.5), 2.5);
        assert_eq!(Abs::value(2.5), 2.5);
        assert_eq!(Abs::value(-0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(Abs::value(f64::NEG_INFINITY), f64::INFINITY);
        assert!(Abs::value(f64::NAN).is_nan());
    }
}
