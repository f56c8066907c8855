//! `atan`: the arctangent; atan' x = 1/(1 + x²).

use super::{Example, Unary};
use crate::{Graph, GraphError, NodeId, Shape};

/// Elementwise arctangent (the standard library's), in (−π/2, π/2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Atan;

impl Unary for Atan {
    const NAME: &str = "atan";
    #[inline(always)]
    fn value(x: f64) -> f64 {
        x.atan()
    }
    /// atan' = 1/(1 + x²): computed once for every tangent direction.
    fn slope(g: &mut Graph, x: NodeId, _: NodeId) -> Result<NodeId, GraphError> {
        let one = g.scalar(1.0);
        let x2 = g.mul(x, x)?;
        let denominator = g.add(one, x2)?;
        g.div(one, denominator)
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![Example::new(Atan, [Shape::matrix(3, 2)])]
}

#[cfg(test)]
mod tests {
    use super::{Atan, Unary};
    use std::f64::consts::{FRAC_PI_2, FRAC_PI_4};

    #[test]
    fn odd_with_its_limits() {
        assert_eq!(Atan::value(0.0), 0.0);
        assert_eq!(Atan::value(1.0), FRAC_PI_4);
        assert_eq!(Atan::value(-1.0), -FRAC_PI_4);
        assert_eq!(Atan::value(f64::INFINITY), FRAC_PI_2);
        assert_eq!(Atan::value(f64::NEG_INFINITY), -FRAC_PI_2);
    }
}
