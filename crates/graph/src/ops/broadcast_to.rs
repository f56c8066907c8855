//! `broadcast`: repeats a single row and/or column; the transpose of `sum`.

use super::{Example, Primitive, SumTo, Tensor, TensorMut};
use crate::{Graph, GraphError, NodeId, Shape};

/// Repeats the operand's single row (or column) to `rows` (or `cols`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BroadcastTo {
    /// Rows of the result.
    pub rows: usize,
    /// Columns of the result.
    pub cols: usize,
}

impl Primitive for BroadcastTo {
    fn name(&self) -> &'static str {
        "broadcast"
    }
    fn params(&self) -> String {
        format!("rows={},cols={}", self.rows, self.cols)
    }
    fn arity(&self) -> usize {
        1
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        let a = args[0];
        let out = Shape { batch: a.batch, rows: self.rows, cols: self.cols };
        if a.broadcasts_to(out) {
            Ok(out)
        } else {
            Err(format!("cannot broadcast to {out}"))
        }
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        super::elementwise::unary_broadcast(args[0], out);
    }
    fn fold(&self, v: &[f64], _: &[Shape], _: Shape) -> Option<f64> {
        Some(v[0])
    }
    fn simplify(&self, g: &mut Graph, args: &[NodeId], out: Shape) -> Result<Option<NodeId>, GraphError> {
        Ok((g.shape(args[0]) == out).then_some(args[0]))
    }
    linear_rules!(self, |g, a, ct| {
        let a = g.shape(a);
        let sum = SumTo { rows: a.rows == 1 && self.rows > 1, cols: a.cols == 1 && self.cols > 1 };
        g.apply(sum, &[ct])?
    });
}

pub(super) fn examples() -> Vec<Example> {
    vec![
        Example::new(BroadcastTo { rows: 3, cols: 4 }, [Shape::SCALAR]),
        Example::new(BroadcastTo { rows: 3, cols: 4 }, [Shape::matrix(1, 4)]),
        Example::new(BroadcastTo { rows: 3, cols: 4 }, [Shape::matrix(3, 1)]),
    ]
}
