//! The point sets of problem files: grids, cell midpoints, the boundary or interior of a
//! grid, seeded samples of these lattices, seeded uniform points, CSV files with data
//! variables, and segments; the outward normals of a box's faces and of segments.

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

/// One face of a box: a ranged input at its lo or its hi end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Face {
    /// The input's index.
    pub input: usize,
    /// `true` for hi, `false` for lo.
    pub hi: bool,
}

/// Which points of a box.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layout {
    /// The tensor grid, ends included.
    Grid,
    /// The midpoints of `count` equal cells per input.
    Midpoints,
    /// The grid points on a face of the box (some ranged input at its lo or hi), each once.
    Boundary,
    /// The grid points on none of these faces.
    Interior(Vec<Face>),
}

/// Every face of the box of `axes`: lo and hi of each ranged input.
pub fn faces(axes: &[Axis]) -> Vec<Face> {
    (0..axes.len())
        .filter(|&i| matches!(axes[i], Axis::Range { .. }))
        .flat_map(|input| [Face { input, hi: false }, Face { input, hi: true }])
        .collect()
}

/// Whether the grid point with per-input indices `index` lies on one of `faces`.
fn on_a_face(axes: &[Axis], faces: &[Face], index: &[usize]) -> bool {
    faces.iter().any(|f| match axes[f.input] {
        Axis::Range { count, .. } => index[f.input] == if f.hi { count - 1 } else { 0 },
        Axis::Fixed(_) => false,
    })
}

/// The coordinates along one axis.
fn axis_values(axis: Axis, layout: &Layout) -> Vec<f64> {
    match axis {
        Axis::Fixed(v) => vec![v],
        Axis::Range { lo, hi, count } => match layout {
            Layout::Midpoints => {
                (0..count).map(|i| lo + (hi - lo) * (i as f64 + 0.5) / count as f64).collect()
            }
            Layout::Grid | Layout::Boundary | Layout::Interior(_) => (0..count)
                .map(|i| if i + 1 == count { hi } else { lo + (hi - lo) * i as f64 / (count - 1) as f64 })
                .collect(),
        },
    }
}

/// The points of `layout` over `axes` (one per input, in input order), row-major N × d, the
/// first input varying slowest.
pub fn lattice(axes: &[Axis], layout: &Layout) -> Vec<f64> {
    let values: Vec<Vec<f64>> = axes.iter().map(|&a| axis_values(a, layout)).collect();
    let all = faces(axes);
    let keep = |index: &[usize]| match layout {
        Layout::Grid | Layout::Midpoints => true,
        Layout::Boundary => on_a_face(axes, &all, index),
        Layout::Interior(faces) => !on_a_face(axes, faces, index),
    };
    let mut points = Vec::new();
    let mut index = vec![0usize; axes.len()];
    'outer: loop {
        if keep(&index) {
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
pub fn lattice_len(axes: &[Axis], layout: &Layout) -> Option<usize> {
    // The grid points on none of `faces`: per input, its points less its ends in `faces`.
    let off = |faces: &[Face]| {
        axes.iter().enumerate().try_fold(1usize, |n, (i, a)| match a {
            Axis::Fixed(_) => Some(n),
            Axis::Range { count, .. } => {
                let ends = [false, true].iter().filter(|&&hi| faces.contains(&Face { input: i, hi })).count();
                n.checked_mul(count.saturating_sub(ends))
            }
        })
    };
    match layout {
        Layout::Grid | Layout::Midpoints => off(&[]),
        Layout::Boundary => Some(off(&[])? - off(&faces(axes))?),
        Layout::Interior(faces) => off(faces),
    }
}

/// `n` of the `len` points of a lattice, drawn without replacement by a ChaCha8 generator
/// seeded with `seed` (the same points on every machine), as indices in lattice order.
///
/// Panics if `n > len`.
pub fn sample(len: usize, n: usize, seed: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut chosen = rand::seq::index::sample(&mut rng, len, n).into_vec();
    chosen.sort_unstable();
    chosen
}

/// The rows `rows` of the row-major matrix `points` with `d` columns.
pub fn rows(points: &[f64], d: usize, rows: &[usize]) -> Vec<f64> {
    rows.iter().flat_map(|&r| &points[r * d..(r + 1) * d]).copied().collect()
}

/// `n` points uniform in the box of `axes` (fixed inputs fixed), row-major, from a ChaCha8
/// generator seeded with `seed`: the same points on every machine.
pub fn random(axes: &[Axis], n: usize, seed: u64) -> Vec<f64> {
    Sampler::new(axes, seed).draw(n)
}

/// Uniform points in a box, drawn one after another from a seeded ChaCha8 generator: the
/// first `n` drawn are [`random`]`(axes, n, seed)`.
pub struct Sampler<'a> {
    axes: &'a [Axis],
    rng: ChaCha8Rng,
}

impl<'a> Sampler<'a> {
    /// A sampler of the box of `axes` seeded with `seed`.
    pub fn new(axes: &'a [Axis], seed: u64) -> Sampler<'a> {
        Sampler { axes, rng: ChaCha8Rng::seed_from_u64(seed) }
    }

    /// The next `n` points, row-major.
    pub fn draw(&mut self, n: usize) -> Vec<f64> {
        let mut points = Vec::with_capacity(n * self.axes.len());
        for _ in 0..n {
            for a in self.axes {
                points.push(match *a {
                    Axis::Fixed(v) => v,
                    Axis::Range { lo, hi, .. } => lo + (hi - lo) * self.rng.random::<f64>(),
                });
            }
        }
        points
    }
}

/// The outward unit normal of a box's boundary at each of `points` (row-major, one column
/// per axis): a point on several faces (an edge or a corner) takes the first face it lies
/// on, inputs in order, lo before hi (−e_i at lo, +e_i at hi); a point on no face gets 0.
pub fn box_normals(axes: &[Axis], points: &[f64]) -> Vec<f64> {
    let d = axes.len();
    let mut normals = vec![0.0; points.len()];
    for (p, n) in points.chunks(d).zip(normals.chunks_mut(d)) {
        let face = faces(axes).into_iter().find(|f| match axes[f.input] {
            Axis::Range { lo, hi, .. } => p[f.input] == if f.hi { hi } else { lo },
            Axis::Fixed(_) => false,
        });
        if let Some(f) = face {
            n[f.input] = if f.hi { 1.0 } else { -1.0 };
        }
    }
    normals
}

/// `n` points of the segment `from` → `to` (2-D), the midpoints of n equal pieces (so the
/// ends, corners of a polygon, are left out), and the unit normal (dy, −dx)/|(dx, dy)| of
/// the direction (dx, dy) = to − from: outward when the boundary runs counter-clockwise.
pub fn segment(from: [f64; 2], to: [f64; 2], n: usize) -> (Vec<f64>, Vec<f64>) {
    let (dx, dy) = (to[0] - from[0], to[1] - from[1]);
    let len = dx.hypot(dy);
    let mut points = Vec::with_capacity(2 * n);
    let mut normals = Vec::with_capacity(2 * n);
    for k in 0..n {
        let t = (k as f64 + 0.5) / n as f64;
        points.extend([from[0] + t * dx, from[1] + t * dy]);
        normals.extend([dy / len, -dx / len]);
    }
    (points, normals)
}

/// The points of the closed polygon through `vertices` (in order, the last joined to the
/// first) with their normals: `n` points shared among the edges in proportion to their
/// lengths (largest remainders, so they add up to `n`), each edge's placed as
/// [`segment`]'s. Outward for counter-clockwise vertices.
pub fn polygon(vertices: &[[f64; 2]], n: usize) -> (Vec<f64>, Vec<f64>) {
    let edges: Vec<([f64; 2], [f64; 2])> =
        (0..vertices.len()).map(|k| (vertices[k], vertices[(k + 1) % vertices.len()])).collect();
    let lengths: Vec<f64> = edges.iter().map(|(a, b)| (b[0] - a[0]).hypot(b[1] - a[1])).collect();
    let (mut points, mut normals) = (Vec::with_capacity(2 * n), Vec::with_capacity(2 * n));
    for ((from, to), count) in edges.iter().zip(shares(&lengths, n)) {
        let (p, q) = segment(*from, *to, count);
        points.extend(p);
        normals.extend(q);
    }
    (points, normals)
}

/// `n` split in proportion to `weights` (positive) by largest remainders: each gets the
/// whole part of its share, and the largest fractional parts (the earlier on a tie) one
/// more, so that the counts add up to `n`.
fn shares(weights: &[f64], n: usize) -> Vec<usize> {
    let total: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights.iter().map(|w| n as f64 * w / total).collect();
    let mut counts: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&i, &j| {
        (exact[j] - exact[j].floor()).total_cmp(&(exact[i] - exact[i].floor())).then(i.cmp(&j))
    });
    let missing = n.saturating_sub(counts.iter().sum());
    for &i in order.iter().cycle().take(missing) {
        counts[i] += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(lo: f64, hi: f64, count: usize) -> Axis {
        Axis::Range { lo, hi, count }
    }

    #[test]
    fn a_polygon_shares_its_points_by_edge_length() {
        // The unit square, counter-clockwise, 8 points: 2 per edge, normals outward.
        let (points, normals) = polygon(&[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]], 8);
        let expect = [0.25, 0., 0.75, 0., 1., 0.25, 1., 0.75, 0.75, 1., 0.25, 1., 0., 0.75, 0., 0.25];
        assert_eq!(points, expect);
        let outward = [0., -1., 0., -1., 1., 0., 1., 0., 0., 1., 0., 1., -1., 0., -1., 0.];
        assert_eq!(normals.iter().map(|v| v + 0.0).collect::<Vec<_>>(), outward);
        // Lengths 2, 1, 1 of 4: 5 points are 2.5, 1.25, 1.25 → 2 + 1 + 1 and the largest
        // remainder (the first) one more.
        assert_eq!(shares(&[2.0, 1.0, 1.0], 5), [3, 1, 1]);
        assert_eq!(shares(&[1.0, 1.0, 1.0], 2), [1, 1, 0]);
        assert_eq!(shares(&[3.0, 1.0], 4), [3, 1]);
    }

    #[test]
    fn grid_midpoints_and_boundary() {
        assert_eq!(lattice(&[range(0.0, 1.0, 3)], &Layout::Grid), [0.0, 0.5, 1.0]);
        assert_eq!(lattice(&[range(0.0, 1.0, 4)], &Layout::Midpoints), [0.125, 0.375, 0.625, 0.875]);
        let grid = lattice(&[range(0.0, 2.0, 2), Axis::Fixed(5.0)], &Layout::Grid);
        assert_eq!(grid, [0.0, 5.0, 2.0, 5.0]);
        // The boundary of a 3 × 3 grid: every point but the centre, first input slowest.
        let b = lattice(&[range(0.0, 1.0, 3), range(0.0, 1.0, 3)], &Layout::Boundary);
        let expect = [0., 0., 0., 0.5, 0., 1., 0.5, 0., 0.5, 1., 1., 0., 1., 0.5, 1., 1.];
        assert_eq!(b, expect);
        // ENGD's 2-D Poisson: 120 boundary points of the 31 × 31 grid.
        let axes = [range(0.0, 1.0, 31), range(0.0, 1.0, 31)];
        assert_eq!(lattice(&axes, &Layout::Boundary).len(), 240);
        assert_eq!(lattice_len(&axes, &Layout::Boundary), Some(120));
        assert_eq!(lattice_len(&axes, &Layout::Grid), Some(961));
        assert_eq!(lattice_len(&[range(0.0, 1.0, usize::MAX), range(0.0, 1.0, 3)], &Layout::Grid), None);
    }

    #[test]
    fn interior_leaves_out_the_listed_faces() {
        // A 4 × 3 grid without x = lo, x = hi and t = lo: x ∈ {1/3, 2/3}, t ∈ {1/2, 1}.
        let axes = [range(0.0, 1.0, 4), range(0.0, 1.0, 3)];
        let faces =
            vec![Face { input: 0, hi: false }, Face { input: 0, hi: true }, Face { input: 1, hi: false }];
        let inner = lattice(&axes, &Layout::Interior(faces.clone()));
        let (a, b) = (1.0 / 3.0, 2.0 / 3.0);
        assert_eq!(inner, [a, 0.5, a, 1.0, b, 0.5, b, 1.0]);
        assert_eq!(lattice_len(&axes, &Layout::Interior(faces)), Some(4));
        // Without faces it is the grid; with every face, the grid less its boundary.
        assert_eq!(lattice(&axes, &Layout::Interior(Vec::new())), lattice(&axes, &Layout::Grid));
        let strict = Layout::Interior(super::faces(&axes));
        assert_eq!(lattice(&axes, &strict), [a, 0.5, b, 0.5]);
        assert_eq!(lattice_len(&axes, &strict), Some(2));
        assert_eq!(lattice_len(&axes, &Layout::Boundary), Some(10));
    }

    #[test]
    fn samples_are_distinct_sorted_and_seeded() {
        let s = sample(10, 5, 0);
        assert_eq!(s.len(), 5);
        assert!(s.windows(2).all(|w| w[0] < w[1]) && s[4] < 10, "{s:?}");
        assert_eq!(s, sample(10, 5, 0));
        assert_ne!(s, sample(10, 5, 1));
        assert_eq!(sample(7, 7, 3), (0..7).collect::<Vec<_>>());
        assert_eq!(rows(&[0., 1., 2., 3., 4., 5.], 2, &[0, 2]), [0., 1., 4., 5.]);
    }

    #[test]
    fn box_and_segment_normals() {
        let axes = [range(-1.0, 1.0, 3), range(0.0, 2.0, 3)];
        let b = lattice(&axes, &Layout::Boundary);
        let n = box_normals(&axes, &b);
        // (−1, 0) and (−1, 2) are corners of x = lo, which comes first; (0, 0) is on y = lo.
        let expect = [-1., 0., -1., 0., -1., 0., 0., -1., 0., 1., 1., 0., 1., 0., 1., 0.];
        assert_eq!(n, expect);
        // Counter-clockwise along the left side of the square, downwards: outward is −x.
        let (p, n) = segment([-1.0, 1.0], [-1.0, -1.0], 4);
        assert_eq!(p, [-1., 0.75, -1., 0.25, -1., -0.25, -1., -0.75]);
        assert_eq!(n, [-1., 0., -1., 0., -1., 0., -1., 0.]);
        let (_, n) = segment([0.0, 0.0], [3.0, 4.0], 1);
        assert_eq!(n, [0.8, -0.6]);
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
