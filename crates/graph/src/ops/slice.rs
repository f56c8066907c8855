//! `slice`: a `rows × cols` block carved row-major out of a column vector (how the
//! weights and biases of each layer are read from the flat parameter vector θ).

use super::{Example, Primitive, Tensor, TensorMut};
use crate::{Graph, GraphError, NodeId, Shape};

/// Elements `offset .. offset + rows·cols` of a column vector, as a row-major matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Slice {
    /// Index of the first element taken.
    pub offset: usize,
    /// Rows of the result.
    pub rows: usize,
    /// Columns of the result.
    pub cols: usize,
}

impl Primitive for Slice {
    fn name(&self) -> &'static str {
        "slice"
    }
    fn params(&self) -> String {
        format!("offset={},rows={},cols={}", self.offset, self.rows, self.cols)
    }
    fn arity(&self) -> usize {
        1
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        let a = args[0];
        if a.cols != 1 {
            return Err("operand must be a column vector".into());
        }
        if self.offset + self.rows * self.cols > a.rows {
            return Err(format!(
                "elements {}..{} are out of range",
                self.offset,
                self.offset + self.rows * self.cols
            ));
        }
        Ok(Shape { batch: a.batch, rows: self.rows, cols: self.cols })
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        let a = args[0];
        let len = self.rows * self.cols;
        for (k, o) in out.data.chunks_exact_mut(len.max(1)).enumerate() {
            let start = k * a.shape.rows + self.offset;
            o.copy_from_slice(&a.data[start..start + len]);
        }
    }
    fn fold(&self, values: &[f64], _: &[Shape], _: Shape) -> Option<f64> {
        Some(values[0])
    }
    fn jvp(
        &self,
        g: &mut Graph,
        _: NodeId,
        _: &[NodeId],
        t: &[Option<NodeId>],
    ) -> Result<Option<NodeId>, GraphError> {
        t[0].map(|t| g.apply(*self, &[t])).transpose()
    }
    fn transpose(
        &self,
        g: &mut Graph,
        args: &[NodeId],
        _: &[bool],
        ct: NodeId,
    ) -> Result<Vec<Option<NodeId>>, GraphError> {
        let len = g.shape(args[0]).rows;
        Ok(vec![Some(g.embed(ct, self.offset, len)?)])
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![
        Example::new(Slice { offset: 2, rows: 2, cols: 3 }, [Shape::vector(9)]),
        Example::new(Slice { offset: 0, rows: 4, cols: 1 }, [Shape::vector(4)]),
    ]
}
