//! `neg`: elementwise negation.

use super::elementwise::unary;
use super::{Example, Op, Primitive, Tensor, TensorMut};
use crate::{Graph, GraphError, NodeId, Shape};

/// `−a`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Neg;

impl Primitive for Neg {
    fn name(&self) -> &'static str {
        "neg"
    }
    fn arity(&self) -> usize {
        1
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        Ok(args[0])
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        unary(args[0], out, #[inline(always)] |x| -x);
    }
    fn fold(&self, v: &[f64], _: &[Shape], _: Shape) -> Option<f64> {
        Some(-v[0])
    }
    fn simplify(&self, g: &mut Graph, args: &[NodeId], _: Shape) -> Result<Option<NodeId>, GraphError> {
        let inner = g.node(args[0]);
        match inner.op {
            // −(−x) = x
            Op::Neg(_) => Ok(Some(inner.args[0])),
            // −(a − b) = b − a
            Op::Sub(_) => {
                let (a, b) = (inner.args[0], inner.args[1]);
                g.sub(b, a).map(Some)
            }
            // −(p·t) = (−p)·t when t depends on a later input than p (negated once, not per t).
            Op::Mul(_) => {
                let (x, y) = (inner.args[0], inner.args[1]);
                for (p, t) in [(x, y), (y, x)] {
                    if g.input_rank(t) > g.input_rank(p) {
                        let np = g.neg(p)?;
                        return g.mul(np, t).map(Some);
                    }
                }
                Ok(None)
            }
            _ => Ok(None),
        }
    }
    linear_rules!(|g, _, ct| g.neg(ct)?);
}

pub(super) fn examples() -> Vec<Example> {
    vec![Example::new(Neg, [Shape::matrix(2, 3)])]
}
