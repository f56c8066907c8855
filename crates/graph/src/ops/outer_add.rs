//! `outer_add`: a·b + c for a column a (r × 1) and a row b (1 × c), in one pass.
//!
//! Derivative rules never build it: [`crate::Program::compile`] runs an `add` of an
//! outer product that nothing else reads as this one step (a small network's x·W₁ + b₁,
//! and the sum of two outer products in its HVP), which writes each element once, where
//! `matmul` wrote the product and `add` read it back. The value is the same two roundings
//! (aᵢ·bⱼ, then + c). Its JVP is built from `matmul` and `add`, so reverse mode needs
//! no transpose rule.

use super::elementwise::wide;
use super::{Example, MatMul, Primitive, Tensor, TensorMut};
use crate::{Graph, GraphError, NodeId, Shape};

/// `a·b + c` for a column `a` (r × 1), a row `b` (1 × c) and `c` either r × c or a
/// single row 1 × c repeated; no batches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OuterAdd;

impl Primitive for OuterAdd {
    fn name(&self) -> &'static str {
        "outer_add"
    }
    fn arity(&self) -> usize {
        3
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        let (a, b, c) = (args[0], args[1], args[2]);
        let out = Shape::matrix(a.rows, b.cols);
        if a.cols != 1 || b.rows != 1 {
            return Err("a must be a column and b a row".into());
        }
        if [a, b, c].iter().any(|s| s.batch != 1) {
            return Err("no operand may be batched".into());
        }
        if c != out && c != Shape::matrix(1, b.cols) {
            return Err(format!("c must be {out} or one row of it"));
        }
        Ok(out)
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        let (a, b, c) = (args[0].data, args[1].data, args[2]);
        let cols = b.len();
        let step = if c.shape.rows == 1 { 0 } else { cols };
        wide(
            #[inline(always)]
            move || {
                by_short_length!(cols, rows_plus(out.data, a, b, c.data, step), {
                    for (i, (o, &x)) in out.data.chunks_exact_mut(cols.max(1)).zip(a).enumerate() {
                        let z = &c.data[i * step..i * step + cols];
                        for ((o, &y), &z) in o.iter_mut().zip(b).zip(z) {
                            *o = x * y + z;
                        }
                    }
                })
            },
        );
    }
    fn fold(&self, v: &[f64], _: &[Shape], _: Shape) -> Option<f64> {
        Some(v[0] * v[1] + v[2])
    }
    /// d(a·b + c) = d(a·b) + dc, the first by `matmul`'s own rule.
    fn jvp(
        &self,
        g: &mut Graph,
        out: NodeId,
        args: &[NodeId],
        t: &[Option<NodeId>],
    ) -> Result<Option<NodeId>, GraphError> {
        let product = MatMul.jvp(g, out, &args[..2], &t[..2])?;
        g.add_maybe(product, t[2])
    }
}

/// `out[i, j] = a[i]·b[j] + c[i·step + j]` over rows of C elements (`step` 0 repeats one
/// row of c), unrolled into whole-row vector operations.
#[inline(always)]
fn rows_plus<const C: usize>(out: &mut [f64], a: &[f64], b: &[f64], c: &[f64], step: usize) {
    let b: &[f64; C] = b.try_into().expect("a row of C elements");
    for (i, (o, &x)) in out.as_chunks_mut::<C>().0.iter_mut().zip(a).enumerate() {
        let z: &[f64; C] = c[i * step..i * step + C].try_into().expect("a row of C elements");
        for j in 0..C {
            o[j] = x * b[j] + z[j];
        }
    }
}

pub(super) fn examples() -> Vec<Example> {
    let (a, b) = (Shape::matrix(3, 1), Shape::matrix(1, 4));
    vec![
        Example::new(OuterAdd, [a, b, Shape::matrix(3, 4)]),
        Example::new(OuterAdd, [a, b, Shape::matrix(1, 4)]),
    ]
}
