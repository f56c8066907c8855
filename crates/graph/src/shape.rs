//! Shapes of graph values: a batch of `rows × cols` f64 matrices.

use std::fmt;

/// The shape of a value: `batch` stacked `rows × cols` matrices, row-major.
///
/// Ordinary values have `batch == 1`; scalars are `1 × 1`. A batch larger than one
/// only appears on tangents, where several directions are pushed forward at once
/// (the columns of a Hessian or a Jacobian); every primitive broadcasts over it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Shape {
    /// Number of stacked matrices.
    pub batch: usize,
    /// Rows of each matrix.
    pub rows: usize,
    /// Columns of each matrix.
    pub cols: usize,
}

impl Shape {
    /// A single `rows × cols` matrix.
    pub const fn matrix(rows: usize, cols: usize) -> Self {
        Shape { batch: 1, rows, cols }
    }

    /// A column vector of length `len`.
    pub const fn vector(len: usize) -> Self {
        Shape::matrix(len, 1)
    }

    /// The `1 × 1` scalar.
    pub const SCALAR: Shape = Shape::matrix(1, 1);

    /// A batch of `batch` matrices of this shape's rows and columns.
    pub const fn batched(self, batch: usize) -> Self {
        Shape { batch, ..self }
    }

    /// Elements in one matrix of the batch.
    pub const fn matrix_len(&self) -> usize {
        self.rows * self.cols
    }

    /// Elements in the whole batch.
    pub const fn len(&self) -> usize {
        self.batch * self.rows * self.cols
    }

    /// Whether the value holds no elements.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether this is a single `1 × 1` value.
    pub const fn is_scalar(&self) -> bool {
        self.len() == 1
    }

    /// The numpy-style broadcast of two shapes: each of batch, rows and cols must be
    /// equal or 1 in one of them. `None` if they are incompatible.
    pub fn broadcast(a: Shape, b: Shape) -> Option<Shape> {
        fn dim(x: usize, y: usize) -> Option<usize> {
            match (x, y) {
                _ if x == y => Some(x),
                (1, _) => Some(y),
                (_, 1) => Some(x),
                _ => None,
            }
        }
        Some(Shape { batch: dim(a.batch, b.batch)?, rows: dim(a.rows, b.rows)?, cols: dim(a.cols, b.cols)? })
    }

    /// Whether this shape can be broadcast to `target` (every dimension equal or 1).
    pub fn broadcasts_to(self, target: Shape) -> bool {
        Shape::broadcast(self, target) == Some(target)
    }
}

impl fmt::Display for Shape {
    /// `f64[r,c]`, or `f64[b;r,c]` for a batch.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.batch == 1 {
            write!(f, "f64[{},{}]", self.rows, self.cols)
        } else {
            write!(f, "f64[{};{},{}]", self.batch, self.rows, self.cols)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_follows_numpy_rules_per_dimension() {
        let a = Shape::matrix(4, 3);
        assert_eq!(Shape::broadcast(a, Shape::matrix(1, 3)), Some(a));
        assert_eq!(Shape::broadcast(Shape::matrix(4, 1), Shape::matrix(1, 3)), Some(a));
        assert_eq!(Shape::broadcast(a, Shape::SCALAR), Some(a));
        assert_eq!(Shape::broadcast(a, Shape::matrix(3, 4)), None);
        assert_eq!(Shape::broadcast(a.batched(5), Shape::matrix(1, 3)), Some(a.batched(5)));
        assert!(Shape::matrix(1, 3).broadcasts_to(a));
        assert!(!a.broadcasts_to(Shape::matrix(1, 3)));
    }

    #[test]
    fn display_shows_batch_only_when_present() {
        assert_eq!(Shape::matrix(64, 10).to_string(), "f64[64,10]");
        assert_eq!(Shape::vector(31).batched(8).to_string(), "f64[8;31,1]");
    }
}
