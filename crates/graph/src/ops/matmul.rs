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
        product_of(args[0], args[1], [false, false], out);
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
    bilinear_rules!(
        |g, b, ct| {
            let bt = g.transpose(b)?;
            g.matmul(ct, bt)?
        },
        |g, a, ct| {
            let at = g.transpose(a)?;
            g.matmul(at, ct)?
        },
    );
}

/// `out = op(a)·op(b)` where op transposes the operands flagged in `transposed` (each
/// batch entry's matrix): how a program evaluates a `matmul` of a `transpose` without
/// materializing the transpose. The operands' shapes are those stored, before `op`.
pub(crate) fn product_of(a: Tensor<'_>, b: Tensor<'_>, transposed: [bool; 2], out: TensorMut<'_>) {
    let (r, k, c) = dims(a, b, transposed);
    if super::elementwise::wide(
        #[inline(always)]
        || short_product(a, b, transposed, (r, k, c), out.data),
    ) {
        return;
    }
    fn matrix<'a>(t: Tensor<'a>, i: usize, flip: bool) -> MatRef<'a, f64> {
        let m = MatRef::from_row_major_slice(entry(t, i), t.shape.rows, t.shape.cols);
        if flip { m.transpose() } else { m }
    }
    if b.shape.batch == 1 && !transposed[0] {
        // Every batch entry of `a` times the same `b`: one product of the stacked rows.
        let rows = a.shape.batch * r;
        product(
            MatMut::from_row_major_slice_mut(out.data, rows, c),
            MatRef::from_row_major_slice(a.data, rows, k),
            matrix(b, 0, transposed[1]),
        );
        return;
    }
    for (i, o) in out.data.chunks_exact_mut(r * c).enumerate() {
        product(MatMut::from_row_major_slice_mut(o, r, c), matrix(a, i, transposed[0]), matrix(b, i, transposed[1]));
    }
}

/// Batch entry `i` of `t`'s elements (entry 0 of a batch of one, which broadcasts).
fn entry<'a>(t: Tensor<'a>, i: usize) -> &'a [f64] {
    let len = t.shape.rows * t.shape.cols;
    let i = if t.shape.batch == 1 { 0 } else { i };
    &t.data[i * len..(i + 1) * len]
}

/// (r, k, c) of the product `op(a)·op(b)` of an r × k by a k × c matrix.
fn dims(a: Tensor<'_>, b: Tensor<'_>, transposed: [bool; 2]) -> (usize, usize, usize) {
    let view = |t: Tensor<'_>, flip: bool| if flip { (t.shape.cols, t.shape.rows) } else { (t.shape.rows, t.shape.cols) };
    let ((r, k), (_, c)) = (view(a, transposed[0]), view(b, transposed[1]));
    (r, k, c)
}

/// Products whose short dimension (≤ 16) is the contiguous one, by loops specialized to
/// its length; returns false for any other product. Three shapes, all of a small network
/// (256×10 hidden values): an outer product `x yᵀ`; `xᵀ M` or `Mᵀ x` (a sum of M's short
/// rows weighted by x, accumulated in registers); `M y` (dots of M's short rows with y).
/// Each output element adds its terms in index order (the dots in four interleaved
/// partial sums), the same on every run.
#[inline(always)]
fn short_product(
    a: Tensor<'_>,
    b: Tensor<'_>,
    transposed: [bool; 2],
    (r, k, c): (usize, usize, usize),
    out: &mut [f64],
) -> bool {
    let is_vector = |t: Tensor<'_>| t.shape.rows == 1 || t.shape.cols == 1;
    let single = a.shape.batch == 1 && b.shape.batch == 1;
    if k == 1 && (!transposed[0] || is_vector(a)) && (!transposed[1] || is_vector(b)) {
        // An outer product; a transposed vector has the same elements in the same order.
        for (i, o) in out.chunks_exact_mut((r * c).max(1)).enumerate() {
            let (x, y) = (entry(a, i), entry(b, i));
            by_short_length!(c, scaled_rows(o, x, y), {
                for (o, &x) in o.chunks_exact_mut(c.max(1)).zip(x) {
                    o.iter_mut().zip(y).for_each(|(o, &y)| *o = x * y);
                }
            });
        }
        return true;
    }
    if !single || transposed[1] && !is_vector(b) {
        return false;
    }
    let short = |n: usize| (1..=16).contains(&n);
    if c == 1 && transposed[0] && short(r) {
        // Mᵀ x with M stored k × r.
        by_short_length!(r, weighted_row_sum(out, b.data, a.data), ());
    } else if r == 1 && !transposed[1] && short(c) {
        // xᵀ M with M stored k × c (x stored 1 × k, or k × 1 and read transposed).
        by_short_length!(c, weighted_row_sum(out, a.data, b.data), ());
    } else if c == 1 && !transposed[0] && short(k) {
        // M y with M stored r × k.
        by_short_length!(k, row_dots(out, a.data, b.data), ());
    } else {
        return false;
    }
    true
}

/// `out[i·C..(i+1)·C] = x[i]·y`.
#[inline(always)]
fn scaled_rows<const C: usize>(out: &mut [f64], x: &[f64], y: &[f64]) {
    let y: &[f64; C] = y.try_into().expect("a row of C elements");
    for (o, &x) in out.chunks_exact_mut(C).zip(x) {
        let o: &mut [f64; C] = o.try_into().expect("rows of C elements");
        for j in 0..C {
            o[j] = x * y[j];
        }
    }
}

/// `out = Σₚ s[p]·m[p, ..]` for `m` with rows of C elements, accumulated in registers.
#[inline(always)]
fn weighted_row_sum<const C: usize>(out: &mut [f64], s: &[f64], m: &[f64]) {
    let mut acc = [0.0; C];
    for (&s, row) in s.iter().zip(m.chunks_exact(C)) {
        let row: &[f64; C] = row.try_into().expect("rows of C elements");
        for j in 0..C {
            acc[j] += s * row[j];
        }
    }
    out.copy_from_slice(&acc);
}

/// `out[i] = m[i, ..]·y` for `m` with rows of K elements, each dot in four interleaved
/// partial sums (term j into sum j mod 4), added pairwise at the end.
#[inline(always)]
fn row_dots<const K: usize>(out: &mut [f64], m: &[f64], y: &[f64]) {
    let y: &[f64; K] = y.try_into().expect("a vector of K elements");
    for (o, row) in out.iter_mut().zip(m.chunks_exact(K)) {
        let row: &[f64; K] = row.try_into().expect("rows of K elements");
        let mut sums = [0.0; 4];
        for j in 0..K {
            sums[j % 4] += row[j] * y[j];
        }
        *o = (sums[0] + sums[1]) + (sums[2] + sums[3]);
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
