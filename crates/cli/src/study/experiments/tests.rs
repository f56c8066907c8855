//! The diagnostics and the experiment plumbing on cases whose answers are known by hand.

use saddle_graph::{Activation, Arch};
use saddle_solvers::{ChainSpec, Classification, Control, SolverKind};

use super::landscape::{Grid, TanhUnit, basins, landings, stationary_points};
use super::sweep::{self, Plan, Shard};
use super::*;
use crate::study::linear_basis::LegendreBasis;
use crate::study::problem::{Problem, ProblemDef, ProblemKind};

/// x evenly on [−1, 1] (symmetric), target y = cos(πx) (even).
fn even_target(points: usize) -> Dataset {
    one_input((0..points).map(|i| -1.0 + 2.0 * i as f64 / (points - 1) as f64).collect(), |x| (PI * x).cos())
}

/// The trivial stationary point of the study, built by hand: output weights zero, output
/// bias the target's mean, and odd hidden features tanh(w_k x) (zero biases) on a
/// symmetric grid, so every feature is orthogonal to the even target. The gradient
/// vanishes; the Hessian couples each output weight with its feature's inner weight
/// (∂²L/∂v_k∂w_k = ⟨x·sech²(w_k x), r⟩ ≠ 0) while the inner block is zero, so it is a
/// saddle.
#[test]
fn zero_output_weights_with_orthogonal_features_is_a_stationary_saddle() {
    let data = even_target(33);
    let mean = data.targets.iter().sum::<f64>() / 33.0;
    let arch: Arch = "1,4,1".parse().unwrap();
    let problem = Problem::new(ProblemKind::Regression, arch, Activation::Tanh, data.clone()).unwrap();
    // W1 (1×4), b1 (4), W2 (4×1), b2 (1).
    let mut theta = vec![0.5, -1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, mean];
    let mut derivs = Derivatives::new(&problem).unwrap();
    let end = endpoint(&problem, &mut derivs, &theta).unwrap();
    assert!(end.grad_norm <= 1e-13, "gradient {}", end.grad_norm);
    assert_eq!(end.curvature.classification, Classification::Saddle);
    assert_eq!(Category::of(&end, 1e-8), Category::Saddle);
    // One negative eigenvalue per coupled (v_k, w_k) pair; b1 directions are flat.
    assert_eq!(end.curvature.inertia.negative, 4);
    assert_eq!(end.output_weight_norm, 0.0);
    assert_eq!(end.feature_count(), 4);
    assert!(end.max_target_cosine() <= 1e-14, "cosines {:?}", end.target_cosines);
    assert_eq!(end.constant_features(), 0);
    // The target's mean is fitted by the bias; the rest is orthogonal to the odd features too.
    assert!(end.max_centered_target_cosine() <= 1e-14);
    assert!(end.residual_cosines.iter().all(|c| c.abs() <= 1e-14));
    let y_norm = data.targets.iter().map(|y| y * y).sum::<f64>().sqrt();
    assert!((end.fit_ratio - mean.abs() * 33f64.sqrt() / y_norm).abs() < 1e-14);
    assert!((end.loss - 0.5 * data.targets.iter().map(|y| (y - mean).powi(2)).sum::<f64>()).abs() < 1e-13);
    // The features are tanh(w_k x) at the points.
    assert!((end.features[0] - (-0.5f64).tanh()).abs() < 1e-15);
    // With a non-orthogonal feature (a bias shifts tanh off odd) the point is not stationary.
    theta[4] = 0.3;
    let moved = endpoint(&problem, &mut derivs, &theta).unwrap();
    assert!(moved.grad_norm > 1e-3 && moved.max_target_cosine() > 1e-3);
    assert_eq!(Category::of(&moved, 1e-8), Category::NotConverged);
}

/// The PINN's features are the hidden features after the operator, −(x(1−x)φ_k)''. With
/// zero inner weights φ_k = tanh(b_k) is constant, so the feature is 2·tanh(b_k).
#[test]
fn pinn_features_are_taken_after_the_operator() {
    let data = poisson_data(8);
    let problem = Problem::new(ProblemKind::Pinn, "1,2,1".parse().unwrap(), Activation::Tanh, data).unwrap();
    let theta = [0.0, 0.0, 0.4, -0.7, 1.0, 2.0, 0.0];
    let mut derivs = Derivatives::new(&problem).unwrap();
    let end = endpoint(&problem, &mut derivs, &theta).unwrap();
    for p in 0..8 {
        assert!((end.features[2 * p] - 2.0 * 0.4f64.tanh()).abs() < 1e-13);
        assert!((end.features[2 * p + 1] - 2.0 * (-0.7f64).tanh()).abs() < 1e-13);
    }
    // Both features are constant: the same |cosine| with f, and orthogonal to f − mean(f).
    assert!((end.target_cosines[0] + end.target_cosines[1]).abs() < 1e-14);
    assert_eq!(end.constant_features(), 2);
    assert!(end.max_centered_target_cosine() < 1e-15);
    assert_eq!(end.output_weight_norm, 5f64.sqrt());
}

/// Claim 1 in miniature: Newton on a linear basis converges in one step, to a minimum.
#[test]
fn newton_on_a_linear_basis_takes_one_step_to_the_minimum() {
    let control = Control { max_iter: 10, gtol: 1e-9, ..Control::default() };
    // Degree 5 cannot fit sin(2πx) to 1e-3 (a poor but global minimum); degree 11 can.
    for (degree, category) in [(5, Category::Minimum), (11, Category::Fitted)] {
        let basis = LegendreBasis::new(degree, sine_data(64)).unwrap();
        let derivs = Derivatives::new(&basis).unwrap();
        let mut newton = SolverKind::Newton.with_defaults();
        let done =
            fit(&basis, derivs, newton.as_mut(), vec![0.0; degree + 1], &control, None, &mut |_, _| {})
                .unwrap();
        assert_eq!(done.outcome.iterations, 1);
        assert_eq!(done.endpoint.curvature.classification, Classification::Minimum);
        assert_eq!(
            Category::of(&done.endpoint, 1e-8),
            category,
            "degree {degree}: {:?}",
            done.endpoint.residual_ratio
        );
    }
}

fn small_plan(solvers: Vec<ChainSpec>) -> Plan {
    Plan {
        problem: ProblemDef::Builtin { kind: ProblemKind::Regression, data: sine_data(16) },
        archs: vec!["1,3,1".parse().unwrap(), "1,4,1".parse().unwrap()],
        act: Activation::Tanh,
        solvers,
        seeds: 0..3,
        control: Control { max_iter: 30, gtol: 1e-10, ..Control::default() },
        stationary_tol: 1e-6,
    }
}

/// Shards are disjoint, cover the plan, and compute the same numbers as the whole sweep
/// whatever the thread count.
#[test]
fn sweeps_do_not_depend_on_shards_or_threads() {
    let plan = small_plan(vec![SolverKind::Newton.into(), "adam:5,bfgs:20".parse().unwrap()]);
    let line = |r: &sweep::RunResult| serde_json::to_string(r).unwrap();
    let whole: Vec<String> = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| sweep::run(&plan, Shard::ALL, &|| {}))
        .unwrap()
        .iter()
        .map(line)
        .collect();
    assert_eq!(whole.len(), 12);
    let mut parts: Vec<(usize, String)> = Vec::new();
    for index in 1..=3 {
        let shard = Shard { index, count: 3 };
        let pool = rayon::ThreadPoolBuilder::new().num_threads(index).build().unwrap();
        let results = pool.install(|| sweep::run(&plan, shard, &|| {})).unwrap();
        assert_eq!(results.len(), 4);
        parts.extend(results.iter().map(|r| (r.run, line(r))));
    }
    parts.sort();
    assert_eq!(parts.into_iter().map(|(_, l)| l).collect::<Vec<_>>(), whole);
}

#[test]
fn shards_parse_and_reject_nonsense() {
    assert_eq!("2/8".parse::<Shard>().unwrap(), Shard { index: 2, count: 8 });
    for bad in ["0/3", "4/3", "1/0", "1", "a/b", "1/2/3"] {
        assert!(bad.parse::<Shard>().is_err(), "{bad}");
    }
    assert!(Category::ALL.iter().enumerate().all(|(i, c)| c.index() == i));
    let counts = sweep::shares(&[], &[SolverKind::Lm.into()]);
    assert_eq!(counts, vec![(SolverKind::Lm.into(), [0, 0, 0, 0, 0])]);
}

/// The landscape of c·tanh(w x) fitted to sin(2.5x): the stationary points found from a
/// grid of starts are the saddle at the origin and the two minima ±(0.894, 3.53); exact
/// Newton lands on the saddle from some starts, saddle-free Newton never.
#[test]
fn the_two_parameter_landscape_has_a_saddle_newton_finds_and_saddle_free_newton_avoids() {
    let unit = TanhUnit::study();
    // An even count of cells: no start sits exactly on the saddle at the origin.
    let grid = Grid { c: (-2.0, 2.0), w: (-6.0, 6.0), nc: 8, nw: 8 };
    let control = Control { max_iter: 100, gtol: 1e-12, ..Control::default() };
    let newton = landings(&unit, &grid, SolverKind::Newton, &control).unwrap();
    let free = landings(&unit, &grid, SolverKind::SaddleFreeNewton, &control).unwrap();
    let all: Vec<_> = newton.iter().chain(&free).copied().collect();
    let points = stationary_points(&unit, &grid, &all, 1e-8, 1e-4).unwrap();
    let kinds: Vec<_> = points.iter().map(|p| p.classification).collect();
    assert_eq!(
        kinds,
        [Classification::Minimum, Classification::Minimum, Classification::Saddle],
        "{points:?}"
    );
    // The minima are mirror images, equal in loss up to rounding: either may sort first.
    for sign in [-1.0, 1.0] {
        assert!(
            points[..2]
                .iter()
                .any(|p| (p.theta[0] - sign * 0.894).abs() < 5e-3 && (p.theta[1] - sign * 3.53).abs() < 0.02),
            "{points:?}"
        );
    }
    assert!((points[0].loss - points[1].loss).abs() < 1e-14 && (points[0].loss - 0.238).abs() < 1e-3);
    assert!(points[2].theta.iter().all(|v| v.abs() < 1e-8));
    let on_saddle = |l: &[_]| basins(l, &points, 1e-8, 1e-4).iter().filter(|&&k| k == Some(2)).count();
    assert!(on_saddle(&newton) > 0);
    assert_eq!(on_saddle(&free), 0);
}

/// At the hand-built trivial saddle the output weights are zero, so the Jacobian has no
/// inner-weight columns and G = JᵀJ only sees v, b2: the four negative eigenvalues of H
/// come from the residual part, whose only blocks couple v_k with w_k (eigenvalues ±|c_k|).
#[test]
fn at_the_trivial_saddle_the_negative_curvature_is_the_residual_part() {
    use super::curvature::Split;
    let data = even_target(33);
    let mean = data.targets.iter().sum::<f64>() / 33.0;
    let problem =
        Problem::new(ProblemKind::Regression, "1,4,1".parse().unwrap(), Activation::Tanh, data).unwrap();
    let theta = vec![0.5, -1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, mean];
    let mut derivs = Derivatives::new(&problem).unwrap();
    let split = Split::at(&mut derivs, &theta, 0.0).unwrap();
    let [h, g, r] = &split.spectra;
    assert_eq!([split.negatives(0), split.negatives(1), split.negatives(2)], [4, 0, 4]);
    // G's rank is at most 5 (four features and the constant): eight zero eigenvalues.
    assert!(g[..8].iter().all(|l| l.abs() <= 1e-12 * g[12]), "{g:?}");
    // The residual part's spectrum is symmetric about zero.
    for k in 0..13 {
        assert!((r[k] + r[12 - k]).abs() <= 1e-12 * r[12], "{r:?}");
    }
    let trace = |v: &[f64]| v.iter().sum::<f64>();
    assert!((trace(h) - trace(g) - trace(r)).abs() <= 1e-12 * h[12]);
}

/// Where the residual vanishes (targets made by the network itself) H = G: the residual
/// part is zero and the spectra agree.
#[test]
fn where_the_residual_vanishes_the_hessian_is_its_gauss_newton_part() {
    use super::curvature::Split;
    let arch: Arch = "1,3,1".parse().unwrap();
    let xs: Vec<f64> = (0..9).map(|i| i as f64 / 8.0).collect();
    let zero = one_input(xs.clone(), |_| 0.0);
    let theta: Vec<f64> = (0..10).map(|i| 0.3 * (i as f64 + 1.0).sin()).collect();
    let mut u = vec![0.0; 9];
    let problem = Problem::new(ProblemKind::Regression, arch.clone(), Activation::Tanh, zero).unwrap();
    Derivatives::new(&problem).unwrap().residuals(&theta, &mut u).unwrap();
    let fitted = Dataset { targets: u, ..one_input(xs, |_| 0.0) };
    let problem = Problem::new(ProblemKind::Regression, arch, Activation::Tanh, fitted).unwrap();
    let split = Split::at(&mut Derivatives::new(&problem).unwrap(), &theta, 0.0).unwrap();
    let [h, g, r] = &split.spectra;
    let scale = split.hessian_norm();
    assert!(scale > 0.1);
    assert!(r.iter().all(|l| l.abs() <= 1e-14 * scale), "{r:?}");
    for (a, b) in h.iter().zip(g) {
        assert!((a - b).abs() <= 1e-13 * scale, "{h:?} vs {g:?}");
    }
}
