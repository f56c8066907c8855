//! The point sets of problem files: grids, cell midpoints, the boundary of a grid,
//! seeded uniform samples, and CSV files with data variables.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One input's extent in a point set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Axis {
    /// `[lo, hi, count]` (`[lo, hi]` for random points, with count 0).
    Range {
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
        /// Points (grid) or cells (midpoints) along the axis.
        count: usize,
    },
    /// One number that fixes the input.
    Fixed(f64),
}

/// Which points of a box.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// The tensor grid, ends included.
    Grid,
    /// The midpoints of `count` equal cells per input.
    Midpoints,
    /// The grid points on a face of the box (some ranged input at its lo or hi), each once.
    Boundary,
}

/// The coordinates along one axis.
fn axis_values(axis: Axis, layout: Layout) -> Vec<f64> {
    match axis {
        Axis::Fixed(v) => vec![v],
        Axis::Range { lo, hi, count } => match layout {
            Layout::Midpoints => {
                (0..count).map(|i| lo + (hi - lo) * (i as f64 + 0.5) / count as f64).collect()
            }
            Layout::Grid | Layout::Boundary => (0..count)
                .map(|i| if i + 1 == count { hi } else { lo + (hi - lo) * i as f64 / (count - 1) as f64 })
                .collect(),
        },
    }
}

/// The points of `layout` over `axes` (one per input, in input order), row-major N × d, the
/// first input varying slowest.
pub fn lattice(axes: &[Axis], layout: Layout) -> Vec<f64> {
    let values: Vec<Vec<f64>> = axes.iter().map(|&a| axis_values(a, layout)).collect();
    let on_face = |index: &[usize]| {
        axes.iter()
            .zip(index)
            .any(|(a, &i)| matches!(a, Axis::Range { count, .. } if i == 0 || i + 1 == *count))
    };
    let mut points = Vec::new();
    let mut index = vec![0usize; axes.len()];
    'outer: loop {
        if layout != Layout::Boundary || on_face(&index) {
            points.extend(index.iter().zip(&values).map(|(&i, v)| v[i]));
        }
        for k in (0..axes.len()).rev() {
            index[k] += 1;
            if index[k] < values[k].len() {
                continue 'outer;
            }
            index[k] = 0;
        }
        break;
    }
    points
}

/// How many points [`lattice`] makes, or `None` when that overflows.
pub fn lattice_len(axes: &[Axis], layout: Layout) -> Option<usize> {
    let len = |a: &Axis| match a {
        Axis::Fixed(_) => 1,
        Axis::Range { count, .. } => *count,
    };
    let all = axes.iter().try_fold(1usize, |n, a| n.checked_mul(len(a)))?;
    if layout != Layout::Boundary {
        return Some(all);
    }
    let inner = axes.iter().try_fold(1usize, |n, a| match a {
        Axis::Fixed(_) => Some(n),
        Axis::Range { count, .. } => n.checked_mul(count.saturating_sub(2)),
    })?;
    Some(all - inner)
}

/// `n` points uniform in the box of `axes` (fixed inputs fixed), row-major, from a ChaCha8
/// generator seeded with `seed`: the same points on every machine.
pub fn random(axes: &[Axis], n: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut points = Vec::with_capacity(n * axes.len());
    for _ in 0..n {
        for a in axes {
            points.push(match *a {
                Axis::Fixed(v) => v,
                Axis::Range { lo, hi, .. } => lo + (hi - lo) * rng.random::<f64>(),
            });
        }
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(lo: f64, hi: f64, count: usize) -> Axis {
        Axis::Range { lo, hi, count }
    }

    #[test]
    fn grid_midpoints_and_boundary() {
        assert_eq!(lattice(&[range(0.0, 1.0, 3)], Layout::Grid), [0.0, 0.5, 1.0]);
        assert_eq!(lattice(&[range(0.0, 1.0, 4)], Layout::Midpoints), [0.125, 0.375, 0.625, 0.875]);
        let grid = lattice(&[range(0.0, 2.0, 2), Axis::Fixed(5.0)], Layout::Grid);
        assert_eq!(grid, [0.0, 5.0, 2.0, 5.0]);
        // The boundary of a 3 × 3 grid: every point but the centre, first input slowest.
        let b = lattice(&[range(0.0, 1.0, 3), range(0.0, 1.0, 3)], Layout::Boundary);
        let expect = [0., 0., 0., 0.5, 0., 1., 0.5, 0., 0.5, 1., 1., 0., 1., 0.5, 1., 1.];
        assert_eq!(b, expect);
        // ENGD's 2-D Poisson: 120 boundary points of the 31 × 31 grid.
        let axes = [range(0.0, 1.0, 31), range(0.0, 1.0, 31)];
        assert_eq!(lattice(&axes, Layout::Boundary).len(), 240);
        assert_eq!(lattice_len(&axes, Layout::Boundary), Some(120));
        assert_eq!(lattice_len(&axes, Layout::Grid), Some(961));
        assert_eq!(lattice_len(&[range(0.0, 1.0, usize::MAX), range(0.0, 1.0, 3)], Layout::Grid), None);
    }

    #[test]
    fn random_points_are_seeded_and_in_the_box() {
        let axes = [range(-1.0, 1.0, 0), Axis::Fixed(0.25)];
        let a = random(&axes, 50, 7);
        assert_eq!(a, random(&axes, 50, 7));
        assert_ne!(a, random(&axes, 50, 8));
        assert!(a.chunks(2).all(|p| (-1.0..1.0).contains(&p[0]) && p[1] == 0.25));
    }
}
