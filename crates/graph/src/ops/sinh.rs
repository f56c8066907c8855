//! `sinh`: the hyperbolic sine; sinh' = cosh.

use super::{Cosh, Example, Unary};
use crate::{Graph, GraphError, NodeId, Shape};

/// Elementwise hyperbolic sine (the standard library's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sinh;

impl Unary for Sinh {
    const NAME: &str = "sinh";
    #[inline(always)]
    fn value(x: f64) -> f64 {
        x.sinh()
    }
    /// sinh' = cosh(x).
    fn slope(g: &mut Graph, x: NodeId, _: NodeId) -> Result<NodeId, GraphError> {
        g.apply(Cosh, &[x])
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![Example::new(Sinh, [Shape::matrix(3, 2)])]
}

#[cfg(test)]
mod tests {
    use super::{Sinh, Unary};

    #[test]
    fn odd_and_zero_at_zero() {
        assert_eq!(Sinh::value(0.0), 0.0);
        assert_eq!(Sinh::value(-1.5), -Sinh::value(1.5));
        assert!((Sinh::value(1.0) - (std::f64::consts::E - 1.0 / std::f64::consts::E) / 2.0).abs() < 1e-15);
        assert_eq!(Sinh::value(f64::NEG_INFINITY), f64::NEG_INFINITY);
    }
}
