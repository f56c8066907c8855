//! `sqrt`: the square root; sqrt' x = 1/(2·sqrt x).

use super::{Example, Unary};
use crate::{Graph, GraphError, NodeId, Shape};

/// Elementwise square root (correctly rounded): NaN below 0, and √−0 = −0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sqrt;

impl Unary for Sqrt {
    const NAME: &str = "sqrt";
    #[inline(always)]
    fn value(x: f64) -> f64 {
        x.sqrt()
    }
    /// sqrt' = 0.5/y, y = sqrt(x): computed once for every tangent direction.
    fn slope(g: &mut Graph, _: NodeId, y: NodeId) -> Result<NodeId, GraphError> {
        let half = g.scalar(0.5);
        g.div(half, y)
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![Example::new(Sqrt, [Shape::matrix(3, 2)])]
}
