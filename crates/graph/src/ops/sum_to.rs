//! `sum`: sums over rows and/or columns, keeping each reduced dimension as length 1.

use super::elementwise::ROW_TILE as TILE;
use super::{Example, Primitive, Tensor, TensorMut};
use crate::{Graph, GraphError, NodeId, Shape};

/// Sums over the rows (to one row), the columns (to one column), or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SumTo {
    /// Reduce the rows to one.
    pub rows: bool,
    /// Reduce the columns to one.
    pub cols: bool,
}

impl Primitive for SumTo {
    fn name(&self) -> &'static str {
        "sum"
    }
    fn params(&self) -> String {
        match (self.rows, self.cols) {
            (true, true) => "all",
            (true, false) => "rows",
            (false, true) => "cols",
            (false, false) => "none",
        }
        .into()
    }
    fn arity(&self) -> usize {
        1
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        let a = args[0];
        Ok(Shape {
            batch: a.batch,
            rows: if self.rows { 1 } else { a.rows },
            cols: if self.cols { 1 } else { a.cols },
        })
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        let a = args[0];
        let (r, c) = (a.shape.rows, a.shape.cols);
        let (or, oc) = (out.shape.rows, out.shape.cols);
        out.data.fill(0.0);
        // Row by row, each output element accumulating in the operand's row-major order
        // (many short rows: by tiles of rows).
        super::elementwise::wide(#[inline(always)] || {
            for (k, o) in out.data.chunks_exact_mut((or * oc).max(1)).enumerate() {
                let src = &a.data[k * r * c..(k + 1) * r * c];
                if self.rows && (self.cols || c == 1) {
                    // One total: the same sequential sum as row by row, without a loop
                    // per (possibly one-element) row.
                    o[0] = src.iter().fold(0.0, |s, &x| s + x);
                    continue;
                }
                if self.rows && c > 1 && 2 * c <= TILE && r * c >= 2 * TILE {
                    // Many short rows: whole tiles of rows are added elementwise into one
                    // tile (long vectorized loops instead of one short loop per row), then
                    // the tile's rows and the rows left over are added into the result.
                    let len = TILE / c * c;
                    let mut tile = [0.0; TILE];
                    let rows = src.chunks_exact(len);
                    let rest = rows.remainder();
                    for rows in rows {
                        tile[..len].iter_mut().zip(rows).for_each(|(t, &x)| *t += x);
                    }
                    for row in tile[..len].chunks_exact(c).chain(rest.chunks_exact(c)) {
                        o.iter_mut().zip(row).for_each(|(o, &x)| *o += x);
                    }
                    continue;
                }
                for (i, row) in src.chunks_exact(c.max(1)).enumerate() {
                    let o = if self.rows { &mut o[..] } else { &mut o[i * oc..(i + 1) * oc] };
                    if self.cols {
                        o[0] = row.iter().fold(o[0], |s, &x| s + x);
                    } else {
                        o.iter_mut().zip(row).for_each(|(o, &x)| *o += x);
                    }
                }
            }
        });
    }
    fn fold(&self, v: &[f64], args: &[Shape], out: Shape) -> Option<f64> {
        Some(v[0] * (args[0].matrix_len() / out.matrix_len().max(1)) as f64)
    }
    fn simplify(&self, g: &mut Graph, args: &[NodeId], out: Shape) -> Result<Option<NodeId>, GraphError> {
        Ok((g.shape(args[0]) == out).then_some(args[0]))
    }
    linear_rules!(|g, a, ct| {
        let a = g.shape(a);
        g.broadcast_to(ct, a.rows, a.cols)?
    });
}

pub(super) fn examples() -> Vec<Example> {
    let a = Shape::matrix(3, 4);
    vec![
        Example::new(SumTo { rows: true, cols: true }, [a]),
        Example::new(SumTo { rows: true, cols: false }, [a]),
        Example::new(SumTo { rows: false, cols: true }, [a]),
    ]
}
