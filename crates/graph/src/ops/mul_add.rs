//! `mul_add`: a·b + c over operands of one shape, in one pass.
//!
//! Derivative rules never build it: [`crate::Program::compile`] runs an `add` of a
//! product that nothing else reads as this one step, which reads a, b and c once and
//! writes once, where the two steps wrote a·b and read it back. The value is the same
//! two roundings (a·b, then + c; Rust never contracts them into a fused multiply-add).
//! Its JVP is built from `mul` and `add`, so reverse mode needs no transpose rule.

use super::elementwise::wide;
use super::{Example, Mul, Primitive, Tensor, TensorMut};
use crate::{Graph, GraphError, NodeId, Shape};

/// `a ⊙ b + c` for operands of the same shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MulAdd;

impl Primitive for MulAdd {
    fn name(&self) -> &'static str {
        "mul_add"
    }
    fn arity(&self) -> usize {
        3
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        if args[1] != args[0] || args[2] != args[0] {
            return Err("operands must have the same shape".into());
        }
        Ok(args[0])
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        let (a, b, c) = (args[0].data, args[1].data, args[2].data);
        wide(
            #[inline(always)]
            move || {
                for (((o, &a), &b), &c) in out.data.iter_mut().zip(a).zip(b).zip(c) {
                    *o = a * b + c;
                }
            },
        );
    }
    fn fold(&self, v: &[f64], _: &[Shape], _: Shape) -> Option<f64> {
        Some(v[0] * v[1] + v[2])
    }
    /// d(a·b + c) = d(a·b) + dc, the first by `mul`'s own rule.
    fn jvp(
        &self,
        g: &mut Graph,
        out: NodeId,
        args: &[NodeId],
        t: &[Option<NodeId>],
    ) -> Result<Option<NodeId>, GraphError> {
        let product = Mul.jvp(g, out, &args[..2], &t[..2])?;
        g.add_maybe(product, t[2])
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![Example::new(MulAdd, [Shape::matrix(3, 4); 3])]
}
