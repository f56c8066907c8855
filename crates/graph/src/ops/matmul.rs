//! `matmul`: the matrix product, batched over the leading dimension.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

use super::{Example, Primitive, Tensor, TensorMut};
use crate::{Graph, GraphError, NodeId, Shape};

/// `a · b` for `a: r × k`, `b: k × c`; a batch of one broadcasts against a larger one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MatMul;

impl Primitive for MatMul {
    fn name(&self) -> &'static str {
        "matmul"
    }
    fn arity(&self) -> usize {
        2
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        let (a, b) = (args[0], args[1]);
        if a.cols != b.rows {
            return Err(format!("inner dimensions differ ({} vs {})", a.cols, b.rows));
        }
        let batch = Shape::broadcast(Shape::SCALAR.batched(a.batch), Shape::SCALAR.batched(b.batch))
            .ok_or("batches do not broadcast")?
            .batch;
        Ok(Shape { batch, rows: a.rows, cols: b.cols })
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        let (a, b) = (args[0], args[1]);
        let (r, k, c) = (a.shape.rows, a.shape.cols, b.shape.cols);
        if k == 1 {
            // Outer products (a column times a row, as in the first layer's x·W with one
            // input): one multiplication per element, the value faer computes, without
            // its packing.
            super::elementwise::wide(#[inline(always)] || {
                for (i, o) in out.data.chunks_exact_mut((r * c).max(1)).enumerate() {
                    let ai = if a.shape.batch == 1 { 0 } else { i };
                    let bi = if b.shape.batch == 1 { 0 } else { i };
                    let b = &b.data[bi * c..(bi + 1) * c];
                    for (o, &x) in o.chunks_exact_mut(c.max(1)).zip(&a.data[ai * r..(ai + 1) * r]) {
                        o.iter_mut().zip(b).for_each(|(o, &y)| *o = x * y);
                    }
                }
            });
            return;
        }
        if b.shape.batch == 1 {
            // Stacked rows of a batched `a` against one `b`: a single product.
            let rows = a.shape.batch * r;
            product(
                MatMut::from_row_major_slice_mut(out.data, rows, c),
                MatRef::from_row_major_slice(a.data, rows, k),
                MatRef::from_row_major_slice(b.data, k, c),
            );
            return;
        }
        for (i, o) in out.data.chunks_exact_mut(r * c).enumerate() {
            let ai = if a.shape.batch == 1 { 0 } else { i };
            let bi = if b.shape.batch == 1 { 0 } else { i };
            product(
                MatMut::from_row_major_slice_mut(o, r, c),
                MatRef::from_row_major_slice(&a.data[ai * r * k..(ai + 1) * r * k], r, k),
                MatRef::from_row_major_slice(&b.data[bi * k * c..(bi + 1) * k * c], k, c),
            );
        }
    }
    fn fold(&self, values: &[f64], args: &[Shape], _: Shape) -> Option<f64> {
        Some(values[0] * values[1] * args[0].cols as f64)
    }
    fn simplify(
        &self,
        g: &mut Graph,
        args: &[NodeId],
        out: Shape,
    ) -> Result<Option<NodeId>, GraphError> {
        let zero = args.iter().any(|&a| g.const_value(a) == Some(0.0));
        Ok(zero.then(|| g.fill(0.0, out)))
    }
    fn jvp(
        &self,
        g: &mut Graph,
        _: NodeId,
        args: &[NodeId],
        t: &[Option<NodeId>],
    ) -> Result<Option<NodeId>, GraphError> {
        let da_b = t[0].map(|da| g.matmul(da, args[1])).transpose()?;
        let a_db = t[1].map(|db| g.matmul(args[0], db)).transpose()?;
        g.add_maybe(da_b, a_db)
    }
    fn transpose(
        &self,
        g: &mut Graph,
        args: &[NodeId],
        linear: &[bool],
        ct: NodeId,
    ) -> Result<Vec<Option<NodeId>>, GraphError> {
        let (a, b) = (args[0], args[1]);
        match linear {
            [true, false] => {
                let bt = g.transpose(b)?;
                Ok(vec![Some(g.matmul(ct, bt)?), None])
            }
            [false, true] => {
                let at = g.transpose(a)?;
                Ok(vec![None, Some(g.matmul(at, ct)?)])
            }
            _ => Err(GraphError::NotLinear { op: "matmul" }),
        }
    }
}

/// `dst = lhs · rhs`, sequential so that results never depend on the thread count.
fn product(dst: MatMut<'_, f64>, lhs: MatRef<'_, f64>, rhs: MatRef<'_, f64>) {
    matmul(dst, Accum::Replace, lhs, rhs, 1.0, Par::Seq);
}

pub(super) fn examples() -> Vec<Example> {
    vec![
        Example::new(MatMul, [Shape::matrix(3, 4), Shape::matrix(4, 2)]),
        Example::new(MatMul, [Shape::matrix(1, 3), Shape::vector(3)]),
    ]
}
