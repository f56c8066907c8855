//! Bundled problems with reference data from a documented script
//! (`examples/problems/reference/`): their cases for the table of `bundled_problems.rs`,
//! and the checks of their data, each by a method independent of the script's.

use std::f64::consts::PI;

use crate::{Case, Solution};

/// The cases, in the table's order.
pub const CASES: &[Case] = &[
    Case {
        file: "examples/problems/burgers.toml",
        problem: "Burgers u_t + uu_x = νu_xx, ν = 0.01/π, shock (Raissi et al. 2019; DeepXDE)",
        arch: "2,10,10,1",
        act: "tanh",
        solver: "lm",
        max_iter: 40,
        seed: 0,
        solution: Solution::Reference(
            "largest deviation from Cole–Hopf by another rule; IC, BC",
            burgers_check,
        ),
        coefficient: None,
        rel_l2_below: 0.3,
    },
    Case {
        file: "examples/problems/allen_cahn.toml",
        problem: "Allen–Cahn u_t = 10⁻⁴u_xx + 5u − 5u³, periodic (Raissi et al. 2019)",
        arch: "2,10,10,1",
        act: "tanh",
        solver: "lm",
        max_iter: 30,
        seed: 0,
        solution: Solution::Reference(
            "largest deviation from a 4th-order finite-difference solve",
            allen_cahn_check,
        ),
        coefficient: None,
        rel_l2_below: 0.995,
    },
    Case {
        file: "examples/problems/lshape.toml",
        problem: "Poisson −Δu = 1 on the L-shape, Dirichlet (DeepXDE)",
        arch: "2,10,10,1",
        act: "tanh",
        solver: "lm",
        max_iter: 60,
        seed: 0,
        solution: Solution::Reference(
            "5-point residual at h = 1/64, 0.25 from the corners; BC",
            lshape_check,
        ),
        coefficient: None,
        rel_l2_below: 0.15,
    },
];

/// The rows of `examples/problems/data/<name>` after its header `header`, three numbers each.
fn rows(name: &str, header: &str) -> Vec<[f64; 3]> {
    let path = crate::support::workspace_root().join("examples/problems/data").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(header), "{name}: header");
    lines
        .map(|line| {
            let v: Vec<f64> = line.split(',').map(|s| s.parse().unwrap()).collect();
            assert_eq!(v.len(), 3, "{name}: {line}");
            [v[0], v[1], v[2]]
        })
        .collect()
}

/// Checks that `data` lists the lattice `xs` × `ts` with x varying fastest, to 1e-11.
fn assert_lattice(data: &[[f64; 3]], xs: &[f64], ts: &[f64]) {
    assert_eq!(data.len(), xs.len() * ts.len());
    for (k, t) in ts.iter().enumerate() {
        for (i, x) in xs.iter().enumerate() {
            let row = data[k * xs.len() + i];
            assert!((row[0] - x).abs() < 1e-11 && (row[1] - t).abs() < 1e-11, "row {row:?}: not ({x}, {t})");
        }
    }
}

/// `count` equispaced points from `lo` to `hi`, both included.
fn linspace(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    (0..count).map(|i| lo + (hi - lo) * i as f64 / (count - 1) as f64).collect()
}

/// Burgers' ν.
const NU: f64 = 0.01 / PI;

/// Burgers' u(x, t) by the Cole–Hopf formula of `reference/burgers.py`, with the trapezoid
/// rule on `n` nodes of |η| ≤ 14√(4νt) (the ends' weights, e⁻⁹⁶ of the peak, left whole).
fn cole_hopf(x: f64, t: f64, n: usize) -> f64 {
    if t == 0.0 {
        return -(PI * x).sin();
    }
    let half = 14.0 * (4.0 * NU * t).sqrt();
    let etas: Vec<f64> = linspace(-half, half, n);
    let exponents: Vec<f64> = etas
        .iter()
        .map(|eta| -(PI * (x - eta)).cos() / (2.0 * PI * NU) - eta * eta / (4.0 * NU * t))
        .collect();
    let top = exponents.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (mut num, mut den) = (0.0, 0.0);
    for (eta, e) in etas.iter().zip(&exponents) {
        let w = (e - top).exp();
        num += w * (PI * (x - eta)).sin();
        den += w;
    }
    -num / den
}

/// Burgers' data: the largest |u_ref − u| at every point, u recomputed by Cole–Hopf with
/// the trapezoid rule on 4,001 nodes (the script's rule is Gauss–Legendre; at t = 0 it is
/// the initial condition), and |u_ref| at x = ±1.
pub fn burgers_check() -> f64 {
    let data = rows("burgers.csv", "x,t,u_ref");
    let (xs, ts) = (linspace(-1.0, 1.0, 256), linspace(0.0, 0.99, 100));
    assert_lattice(&data, &xs, &ts);
    let mut worst: f64 = 0.0;
    for (k, &t) in ts.iter().enumerate() {
        let row = &data[k * xs.len()..(k + 1) * xs.len()];
        for (&x, point) in xs.iter().zip(row) {
            worst = worst.max((point[2] - cole_hopf(x, t, 4001)).abs());
        }
        worst = worst.max(row[0][2].abs()).max(row[xs.len() - 1][2].abs());
    }
    worst
}

/// Allen–Cahn's data: the largest |u_ref − u| over all rows, u recomputed by fourth-order
/// periodic finite differences on 2,000 nodes (h = 0.001, every 10th an output point) and
/// classical Runge–Kutta with dt = 0.001 (the script's is Fourier-spectral ETDRK4). The
/// recomputation's own error, about 1e-4 at the thin interfaces, bounds what this can show.
pub fn allen_cahn_check() -> f64 {
    let data = rows("allen_cahn.csv", "x,t,u_ref");
    let (xs, ts) = (linspace(-1.0, 1.0, 201), linspace(0.0, 1.0, 101));
    assert_lattice(&data, &xs, &ts);
    let n = 2000;
    let h = 2.0 / n as f64;
    let rate = |u: &[f64]| -> Vec<f64> {
        (0..n)
            .map(|j| {
                let at = |d: isize| u[(j as isize + d).rem_euclid(n as isize) as usize];
                let uxx = (-at(-2) + 16.0 * at(-1) - 30.0 * at(0) + 16.0 * at(1) - at(2)) / (12.0 * h * h);
                0.0001 * uxx + 5.0 * (at(0) - at(0).powi(3))
            })
            .collect()
    };
    let axpy =
        |u: &[f64], a: f64, k: &[f64]| -> Vec<f64> { u.iter().zip(k).map(|(u, k)| u + a * k).collect() };
    let mut u: Vec<f64> = (0..n).map(|j| -1.0 + h * j as f64).map(|x| x * x * (PI * x).cos()).collect();
    let dt = 0.001;
    let mut worst: f64 = 0.0;
    for (k, _) in ts.iter().enumerate() {
        if k > 0 {
            for _ in 0..10 {
                let k1 = rate(&u);
                let k2 = rate(&axpy(&u, dt / 2.0, &k1));
                let k3 = rate(&axpy(&u, dt / 2.0, &k2));
                let k4 = rate(&axpy(&u, dt, &k3));
                for j in 0..n {
                    u[j] += dt / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j]);
                }
            }
        }
        for i in 0..xs.len() {
            // x = -1 + 0.01 i is node 10 i; x = 1 is node 0 again.
            worst = worst.max((data[k * xs.len() + i][2] - u[(10 * i) % n]).abs());
        }
    }
    worst
}

/// The L-shape's data: the largest |−Δ_h u_ref − 1| by the 5-point stencil at the data's
/// spacing h = 1/64, over its interior nodes at least 0.25 from each of the six corners
/// (near a corner the stencil's own error, h²/12 ∂⁴u, grows without bound), and |u_ref| on
/// the boundary. Without the corners' neighbourhoods this still covers 84% of the nodes.
pub fn lshape_check() -> f64 {
    let data = rows("lshape.csv", "x,y,u_ref");
    let m = 64.0;
    let mut grid = vec![[f64::NAN; 129]; 129]; // [j (y)][i (x)]
    for [x, y, u] in &data {
        let (i, j) = (((x + 1.0) * m).round(), ((y + 1.0) * m).round());
        assert!(
            (x + 1.0 - i / m).abs() < 1e-11 && (y + 1.0 - j / m).abs() < 1e-11,
            "({x}, {y}) is not a node"
        );
        grid[j as usize][i as usize] = *u;
    }
    let mut worst: f64 = 0.0;
    let mut nodes = 0;
    let corners = [(0.0, 0.0), (1.0, 0.0), (1.0, -1.0), (-1.0, -1.0), (-1.0, 1.0), (0.0, 1.0)];
    for j in 0..129 {
        for i in 0..129 {
            let (x, y) = (i as f64 / m - 1.0, j as f64 / m - 1.0);
            if x > 0.0 && y > 0.0 {
                assert!(grid[j][i].is_nan(), "a node outside the L: ({x}, {y})");
                continue;
            }
            nodes += 1;
            let u = grid[j][i];
            assert!(!u.is_nan(), "no value at ({x}, {y})");
            let on_boundary =
                i == 0 || j == 0 || i == 128 || j == 128 || (x == 0.0 && y >= 0.0) || (y == 0.0 && x >= 0.0);
            if on_boundary {
                worst = worst.max(u.abs());
            } else if corners.iter().all(|(a, b)| f64::hypot(x - a, y - b) >= 0.25) {
                let laplacian =
                    (grid[j][i + 1] + grid[j][i - 1] + grid[j + 1][i] + grid[j - 1][i] - 4.0 * u) * m * m;
                worst = worst.max((-laplacian - 1.0).abs());
            }
        }
    }
    assert_eq!(nodes, data.len());
    worst
}

/// The data's checks are small, each within what its method can show: Cole–Hopf by another
/// rule agrees to rounding (the CSV's 12 digits); the finite-difference solve to its own
/// error at the interfaces, 1e-4; the 5-point residual at the data's spacing to its
/// truncation error, h²/12 ∂⁴u ≈ 1e-3 near the excluded corners. Changing one value by
/// 1e-6 in burgers.csv or lshape.csv, or by 1e-3 in allen_cahn.csv, makes this fail.
#[test]
fn reference_data_satisfy_their_problems() {
    let burgers = burgers_check();
    assert!(burgers <= 1e-9, "Burgers: {burgers:e}");
    let allen_cahn = allen_cahn_check();
    assert!(allen_cahn <= 3e-4, "Allen–Cahn: {allen_cahn:e}");
    let lshape = lshape_check();
    assert!(lshape <= 2e-3, "L-shape: {lshape:e}");
}
