//! `embed`: a matrix placed row-major into a zero column vector; the transpose of `slice`.

use super::{Example, Primitive, Tensor, TensorMut};
use crate::{Graph, GraphError, NodeId, Shape};

/// A column vector of length `len`, zero except elements `offset ..`, which hold the
/// operand read row-major.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Embed {
    /// Where the operand's first element goes.
    pub offset: usize,
    /// Length of the result.
    pub len: usize,
}

impl Primitive for Embed {
    fn name(&self) -> &'static str {
        "embed"
    }
    fn params(&self) -> String {
        format!("offset={},len={}", self.offset, self.len)
    }
    fn arity(&self) -> usize {
        1
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        let a = args[0];
        if self.offset + a.matrix_len() > self.len {
            return Err(format!(
                "{} elements at offset {} do not fit in length {}",
                a.matrix_len(),
                self.offset,
                self.len
            ));
        }
        Ok(Shape { batch: a.batch, rows: self.len, cols: 1 })
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        let a = args[0];
        let n = a.shape.matrix_len();
        out.data.fill(0.0);
        for (k, o) in out.data.chunks_exact_mut(self.len).enumerate() {
            o[self.offset..self.offset + n].copy_from_slice(&a.data[k * n..(k + 1) * n]);
        }
    }
    fn fold(&self, values: &[f64], args: &[Shape], _: Shape) -> Option<f64> {
        // Only a zero fill, or a fill covering the whole result, stays a fill.
        (values[0] == 0.0 || args[0].matrix_len() == self.len).then_some(values[0])
    }
    linear_rules!(self, |g, a, ct| {
        let a = g.shape(a);
        g.slice(ct, self.offset, a.rows, a.cols)?
    });
}

pub(super) fn examples() -> Vec<Example> {
    vec![
        Example::new(Embed { offset: 3, len: 10 }, [Shape::matrix(2, 3)]),
        Example::new(Embed { offset: 0, len: 4 }, [Shape::vector(4)]),
    ]
}
