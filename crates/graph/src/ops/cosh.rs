//! `cosh`: the hyperbolic cosine; cosh' = sinh.

use super::{Example, Sinh, Unary};
use crate::{Graph, GraphError, NodeId, Shape};

/// Elementwise hyperbolic cosine (the standard library's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cosh;

impl Unary for Cosh {
    const NAME: &str = "cosh";
    #[inline(always)]
    fn value(x: f64) -> f64 {
        x.cosh()
    }
    /// cosh' = sinh(x).
    fn slope(g: &mut Graph, x: NodeId, _: NodeId) -> Result<NodeId, GraphError> {
        g.apply(Sinh, &[x])
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![Example::new(Cosh, [Shape::matrix(3, 2)])]
}

#[cfg(test)]
mod tests {
    use super::{Cosh, Unary};

    #[test]
    fn even_and_one_at_zero() {
        assert_eq!(Cosh::value(0.0), 1.0);
        assert_eq!(Cosh::value(-1.5), Cosh::value(1.5));
        assert_eq!(Cosh::value(f64::NEG_INFINITY), f64::INFINITY);
    }
}
