//! A two-parameter model, u(x) = c·tanh(w·x), small enough to draw its whole loss landscape:
//! the loss over a grid, every stationary point with its type, and which stationary point a
//! solver converges to from each start (its basins of attraction).

use rayon::prelude::*;
use saddle_graph::model::half_sum_of_squares;
use saddle_graph::{Graph, GraphError, Shape};
use saddle_solvers::{Classification, Control, SolverKind, distance};

use crate::study::compiled::Derivatives;
use crate::study::error::Result;
use crate::study::experiments::{fit, one_input};
use crate::study::io::csv::Dataset;
use crate::study::loss::{LossGraph, LossSource};

/// u(x) = c·tanh(w·x) with θ = (c, w), fitted by ½‖u − y‖² to one-input data.
#[derive(Clone, Debug)]
pub struct TanhUnit {
    /// The points and the target.
    pub data: Dataset,
}

impl TanhUnit {
    /// The landscape of the study: 41 points evenly on [−1, 1], target y = sin(2.5x), which
    /// the model cannot represent exactly. Its best fits are the minima ±(0.894, 3.53)
    /// (loss ≈ 0.238); the origin, where the one feature tanh(0·x) = 0 is trivially
    /// orthogonal to the target and the output weight is zero, is a saddle.
    pub fn study() -> TanhUnit {
        let xs = (0..41).map(|i| -1.0 + i as f64 / 20.0).collect();
        TanhUnit { data: one_input(xs, |x| (2.5 * x).sin()) }
    }
}

impl LossSource for TanhUnit {
    fn param_count(&self) -> usize {
        2
    }

    fn residual_count(&self) -> usize {
        self.data.n_points
    }

    fn loss_graph(&self) -> std::result::Result<LossGraph, GraphError> {
        let mut g = Graph::new();
        let n_points = self.data.n_points;
        let theta = g.input("theta", Shape::vector(2))?;
        let x = g.input("x", Shape::vector(n_points))?;
        let y = g.input("y", Shape::vector(n_points))?;
        let c = g.slice(theta, 0, 1, 1)?;
        let w = g.slice(theta, 1, 1, 1)?;
        let z = g.matmul(x, w)?;
        let feature = g.tanh(z)?;
        let output = g.matmul(feature, c)?;
        let residual = g.sub(output, y)?;
        let loss = half_sum_of_squares(&mut g, residual)?;
        g.set_output("loss", loss);
        Ok(LossGraph { graph: g, theta, loss, residual, features: Some(feature) })
    }

    fn data_inputs(&self) -> Vec<(&str, &[f64])> {
        vec![("x", &self.data.inputs), ("y", &self.data.targets)]
    }

    fn target(&self) -> &[f64] {
        &self.data.targets
    }

    fn output_weights(&self) -> std::ops::Range<usize> {
        0..1
    }
}

/// A rectangle of (c, w) sampled at `nc × nw` points, row-major with w the slow index:
/// point (i, j) is (c_i, w_j) with c_i = c.0 + (i + ½)·(c.1 − c.0)/nc (cell centres).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grid {
    /// Range of c (the horizontal axis).
    pub c: (f64, f64),
    /// Range of w (the vertical axis).
    pub w: (f64, f64),
    /// Cells along c.
    pub nc: usize,
    /// Cells along w.
    pub nw: usize,
}

impl Grid {
    /// The cell centres, row-major (w slow, c fast).
    pub fn points(&self) -> Vec<[f64; 2]> {
        let at = |(lo, hi): (f64, f64), n: usize, i: usize| lo + (i as f64 + 0.5) * (hi - lo) / n as f64;
        (0..self.nw)
            .flat_map(|j| (0..self.nc).map(move |i| [at(self.c, self.nc, i), at(self.w, self.nw, j)]))
            .collect()
    }
}

impl Grid {
    /// Whether θ lies in the rectangle widened by its own size on every side: stationary
    /// points are looked for there (far out, saturated tanh units make the gradient underflow
    /// to "stationary" points at infinity).
    pub fn near(&self, theta: &[f64; 2]) -> bool {
        let within = |(lo, hi): (f64, f64), v: f64| v >= lo - (hi - lo) && v <= hi + (hi - lo);
        within(self.c, theta[0]) && within(self.w, theta[1])
    }
}

/// The loss at every point of the grid.
pub fn loss_grid(unit: &TanhUnit, grid: &Grid) -> Result<Vec<f64>> {
    let mut derivs = Derivatives::new(unit)?;
    grid.points().iter().map(|p| derivs.loss(p)).collect()
}

/// A stationary point of the landscape.
#[derive(Clone, Debug, PartialEq)]
pub struct StationaryPoint {
    /// (c, w).
    pub theta: [f64; 2],
    /// The loss there.
    pub loss: f64,
    /// The exact Hessian's classification.
    pub classification: Classification,
}

/// Where one run from a start ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Landing {
    /// The end point.
    pub theta: [f64; 2],
    /// ‖∇L‖ there.
    pub grad_norm: f64,
}

/// Runs `solver` from every grid point and returns where each run ended.
pub fn landings(unit: &TanhUnit, grid: &Grid, solver: SolverKind, control: &Control) -> Result<Vec<Landing>> {
    let derivs = Derivatives::new(unit)?;
    grid.points()
        .par_iter()
        .map(|start| {
            let mut method = solver.with_defaults();
            let done =
                fit(unit, derivs.clone(), method.as_mut(), start.to_vec(), control, None, &mut |_, _| {})?;
            let x = &done.outcome.last.x;
            Ok(Landing { theta: [x[0], x[1]], grad_norm: done.endpoint.grad_norm })
        })
        .collect()
}

/// The distinct stationary points among the landings: ends near the `grid` (see
/// [`Grid::near`]) with ‖∇L‖ ≤ `tol`, merged when closer than `merge`, each classified by
/// its exact Hessian; sorted by loss, then (c, w).
pub fn stationary_points(
    unit: &TanhUnit,
    grid: &Grid,
    landings: &[Landing],
    tol: f64,
    merge: f64,
) -> Result<Vec<StationaryPoint>> {
    let mut found: Vec<[f64; 2]> = Vec::new();
    for l in landings.iter().filter(|l| l.grad_norm <= tol && grid.near(&l.theta)) {
        if !found.iter().any(|p| distance(p, &l.theta) < merge) {
            found.push(l.theta);
        }
    }
    let mut derivs = Derivatives::new(unit)?;
    let mut points = found
        .into_iter()
        .map(|theta| {
            let end = super::endpoint(unit, &mut derivs, &theta)?;
            Ok(StationaryPoint { theta, loss: end.loss, classification: end.curvature.classification })
        })
        .collect::<Result<Vec<_>>>()?;
    points.sort_by(|a, b| {
        a.loss
            .total_cmp(&b.loss)
            .then(a.theta[0].total_cmp(&b.theta[0]))
            .then(a.theta[1].total_cmp(&b.theta[1]))
    });
    Ok(points)
}

/// For every landing, the index of the stationary point it converged to (within `merge`,
/// with ‖∇L‖ ≤ `tol`), or `None` when it converged nowhere.
pub fn basins(landings: &[Landing], points: &[StationaryPoint], tol: f64, merge: f64) -> Vec<Option<usize>> {
    landings
        .iter()
        .map(|l| {
            if l.grad_norm > tol {
                return None;
            }
            points.iter().position(|p| distance(&p.theta, &l.theta) < merge)
        })
        .collect()
}
