//! Elementwise functions of one operand, declared by their value and their derivative
//! ([`Unary`]); their [`Primitive`] rules follow.

use super::{Primitive, Tensor, TensorMut, elementwise};
use crate::{Graph, GraphError, NodeId, Shape};

/// An elementwise function y = f(x), declared by its value and its derivative. Every
/// such type is a [`Primitive`]: the result has the operand's shape, constant operands
/// fold through [`Unary::value`], and the JVP is the tangent times [`Unary::slope`].
pub trait Unary: Copy {
    /// The op's name: in the text form, in errors, and in problem files and `--act` when
    /// the op is a function or an activation.
    const NAME: &'static str;

    /// f(x) at one point: constant folding and, by default, the kernel. Mark it
    /// `#[inline(always)]` so that the kernel's loop vectorizes.
    fn value(x: f64) -> f64;

    /// Computes `out = f(x)` elementwise: by default [`Unary::value`] in
    /// [`elementwise::unary`]'s loop. Override for a fast path valid in a range
    /// ([`elementwise::unary_in_range`]) or wider vectors ([`elementwise::unary_widest`]);
    /// every element must still equal [`Unary::value`] bit for bit.
    fn kernel(x: Tensor<'_>, out: TensorMut<'_>) {
        elementwise::unary(x, out, Self::value);
    }

    /// f'(x) as a graph node, built from the operand `x` or the result `y` (tanh' =
    /// 1 − y² reuses y): computed once, whatever the number of tangent directions.
    fn slope(g: &mut Graph, x: NodeId, y: NodeId) -> Result<NodeId, GraphError>;

    /// The tangent of y along a tangent `t` of x: by default `t ⊙ slope`. Override for a
    /// fused op that computes it in one pass (tanh's `tanh_grad`).
    fn tangent(g: &mut Graph, x: NodeId, y: NodeId, t: NodeId) -> Result<NodeId, GraphError> {
        let slope = Self::slope(g, x, y)?;
        g.mul(t, slope)
    }
}

impl<U: Unary> Primitive for U {
    fn name(&self) -> &'static str {
        U::NAME
    }
    fn arity(&self) -> usize {
        1
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        Ok(args[0])
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        U::kernel(args[0], out);
    }
    fn fold(&self, v: &[f64], _: &[Shape], _: Shape) -> Option<f64> {
        Some(U::value(v[0]))
    }
    fn jvp(
        &self,
        g: &mut Graph,
        y: NodeId,
        args: &[NodeId],
        t: &[Option<NodeId>],
    ) -> Result<Option<NodeId>, GraphError> {
        t[0].map(|t| U::tangent(g, args[0], y, t)).transpose()
    }
}
