//! `log`: the natural logarithm; log' x = 1/x.

use super::{Example, Unary};
use crate::{Graph, GraphError, NodeId, Shape};

/// Elementwise natural logarithm (the standard library's): −∞ at ±0, NaN below 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Log;

impl Unary for Log {
    const NAME: &str = "log";
    #[inline(always)]
    fn value(x: f64) -> f64 {
        x.ln()
    }
    /// log' = 1/x: the reciprocal is computed once for every tangent direction.
    fn slope(g: &mut Graph, x: NodeId, _: NodeId) -> Result<NodeId, GraphError> {
        let one = g.scalar(1.0);
        g.div(one, x)
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![Example::new(Log, [Shape::matrix(3, 2)])]
}

#[cfg(test)]
mod tests {
    use super::super::{Primitive, Tensor, TensorMut};
    use super::Log;
    use crate::Shape;

    #[test]
    fn non_positive_arguments_give_minus_infinity_or_nan() {
        let x = [0.0, -0.0, -1.0, f64::NEG_INFINITY, f64::NAN, 1.0, std::f64::consts::E, f64::INFINITY];
        let shape = Shape::vector(x.len());
        let mut y = [0.0; 8];
        Log.eval(&[Tensor { data: &x, shape }], TensorMut { data: &mut y, shape });
        assert_eq!(y[..2], [f64::NEG_INFINITY; 2]);
        assert!(y[2..5].iter().all(|y| y.is_nan()));
        assert_eq!(y[5..], [0.0, 1.0, f64::INFINITY]);
    }
}
