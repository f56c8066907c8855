//! `slice`: a `rows × cols` block carved row-major out of a column vector (how the
//! weights and biases of each layer are read from the flat parameter vector θ).

use super::{Example, Op, Primitive, Tensor, TensorMut};
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
    /// Slices of an `embed` are its operand, a shorter `embed`, or zero; a slice of a
    /// sum of embeds is the sum of their slices. This is what lets a Hessian block's
    /// rows (a slice of the gradient's tangent, a sum of per-layer embeds) drop the
    /// layers it does not need.
    fn simplify(&self, g: &mut Graph, args: &[NodeId], out: Shape) -> Result<Option<NodeId>, GraphError> {
        let a = args[0];
        let (start, len) = (self.offset, self.rows * self.cols);
        match &g.node(a).op {
            &Op::Embed(embed) => {
                let inner = g.node(a).args[0];
                let inner_shape = g.shape(inner);
                let (from, to) = (embed.offset, embed.offset + inner_shape.matrix_len());
                if to <= start || start + len <= from {
                    Ok(Some(g.fill(0.0, out)))
                } else if from == start && inner_shape == out {
                    Ok(Some(inner))
                } else if self.cols == 1 && start <= from && to <= start + len {
                    g.embed(inner, from - start, len).map(Some)
                } else {
                    Ok(None)
                }
            }
            Op::Add(_) if g.node(a).args.iter().all(|&x| sums_of_embeds(g, x)) => {
                let [x, y] = [g.node(a).args[0], g.node(a).args[1]];
                let (sx, sy) = (g.apply(*self, &[x])?, g.apply(*self, &[y])?);
                g.add(sx, sy).map(Some)
            }
            _ => Ok(None),
        }
    }
    linear_rules!(self, |g, a, ct| {
        let len = g.shape(a).rows;
        g.embed(ct, self.offset, len)?
    });
}

/// Whether `x` is an `embed` or a sum of them (zero fills allowed), as a gradient with
/// respect to a sliced vector is.
fn sums_of_embeds(g: &Graph, x: NodeId) -> bool {
    match &g.node(x).op {
        Op::Embed(_) => true,
        Op::Const(c) => c.value == 0.0,
        Op::Add(_) => g.node(x).args.iter().all(|&y| sums_of_embeds(g, y)),
        _ => false,
    }
}

pub(super) fn examples() -> Vec<Example> {
    vec![
        Example::new(Slice { offset: 2, rows: 2, cols: 3 }, [Shape::vector(9)]),
        Example::new(Slice { offset: 0, rows: 4, cols: 1 }, [Shape::vector(4)]),
    ]
}
