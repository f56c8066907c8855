//! `transpose`: swaps rows and columns of every matrix in the batch.

use super::{Example, Primitive, Tensor, TensorMut};
use crate::{Graph, GraphError, NodeId, Shape};

/// The matrix transpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Transpose;

impl Primitive for Transpose {
    fn name(&self) -> &'static str {
        "transpose"
    }
    fn arity(&self) -> usize {
        1
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        let a = args[0];
        Ok(Shape { batch: a.batch, rows: a.cols, cols: a.rows })
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        let a = args[0];
        let (r, c) = (a.shape.rows, a.shape.cols);
        // Eight operand rows at a time: each output row receives eight contiguous elements
        // (a cache line) while the eight rows stay in L1. (Element by element in operand
        // order, the writes of a tall matrix stride by whole pages and miss every time.)
        const ROWS: usize = 8;
        if r * c == 0 {
            return;
        }
        for (k, o) in out.data.chunks_exact_mut(r * c).enumerate() {
            let src = &a.data[k * r * c..(k + 1) * r * c];
            for (b, rows) in src.chunks(ROWS * c).enumerate() {
                let i0 = b * ROWS;
                for (j, o) in o.chunks_exact_mut(r).enumerate() {
                    for (t, o) in o[i0..i0 + rows.len() / c].iter_mut().enumerate() {
                        *o = rows[t * c + j];
                    }
                }
            }
        }
    }
    fn fold(&self, values: &[f64], _: &[Shape], _: Shape) -> Option<f64> {
        Some(values[0])
    }
    fn simplify(&self, g: &mut Graph, args: &[NodeId], _: Shape) -> Result<Option<NodeId>, GraphError> {
        // transpose(transpose(x)) = x
        Ok(match g.node(args[0]).op {
            super::Op::Transpose(_) => Some(g.node(args[0]).args[0]),
            _ => None,
        })
    }
    linear_rules!(|g, _, ct| g.transpose(ct)?);
}

pub(super) fn examples() -> Vec<Example> {
    vec![Example::new(Transpose, [Shape::matrix(3, 2)])]
}
