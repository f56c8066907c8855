//! Criterion benchmarks of the exact derivatives and of the dense linear algebra built on
//! them, on the problems of `saddle bench` (data x evenly spaced in [−1, 1] on every
//! input, target sin(3·x₁); θ Glorot-normal with seed 0; tanh hidden layers):
//!
//! | group                      | problem    | arch            | points | params |
//! |----------------------------|------------|-----------------|--------|--------|
//! | `regression_1_10_1`        | regression | [1,10,1]        | 256    | 31     |
//! | `regression_1_50_50_1`     | regression | [1,50,50,1]     | 1024   | 2701   |
//! | `regression_2_64_64_64_1`  | regression | [2,64,64,64,1]  | 1024   | 8577   |
//! | `pinn_1_20_20_1`           | pinn       | [1,20,20,1]     | 256    | 481    |
//!
//! Each group times `loss`, `grad` (loss and gradient), `hvp`, `hvp_same_theta` (HVPs
//! at one θ with a new v each call, as an iterative solver makes them: the programs reuse
//! what depends on θ alone), `hessian` (dense, n × n),
//! `newton_step` (gradient + Hessian + LBLᵀ factorization + solve H p = −g: one exact
//! Newton step from scratch), `lblt_solve` (factorization and solve alone, on a
//! precomputed Hessian), `eigen` (the full symmetric eigendecomposition, eigenvalues and
//! eigenvectors, of a precomputed Hessian) and `eigenvalues` (eigenvalues only). The
//! linear algebra is faer's, single-threaded as in the solvers. Every other timed
//! call alternates between two parameter vectors (and `hvp_same_theta` between two
//! directions): a program reruns only what depends on inputs whose values changed, so
//! one repeated θ would time a cached result.
//!
//! ```sh
//! cargo bench -p saddle-cli --bench derivatives                  # everything (~38 min here)
//! cargo bench -p saddle-cli --bench derivatives -- 1_10_1        # one size (criterion filter)
//! cargo bench -p saddle-cli --bench derivatives -- '/hvp'        # one operation, every size
//! SADDLE_BENCH_SMALL=1 cargo bench -p saddle-cli --bench derivatives   # skip the 8577-param size
//! ```
//!
//! The 8577-parameter size takes most of a full run (its eigendecomposition alone ~96 s a
//! run here) and its n² buffers are 590 MB each (about 3 GB at peak with the
//! factorization and eigenvectors). For every size but the smallest (the PINN and the
//! two large ones), the dense benchmarks use criterion's minimum of 10 samples of one run
//! each; set `SADDLE_BENCH_SMALL=1` to leave out the largest size altogether.

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    BenchmarkGroup, Criterion, SamplingMode, criterion_group, criterion_main, measurement::WallTime,
};
use faer::linalg::solvers::Solve;
use faer::{Col, MatRef, Side};
use saddle_cli::commands::bench::BENCH_SEED;
use saddle_cli::study::compiled::Derivatives;
use saddle_cli::study::init::glorot_normal;
use saddle_cli::study::io::csv::bench_data;
use saddle_cli::study::problem::{Problem, ProblemKind};
use saddle_graph::{Activation, Arch};

/// Set to a non-empty value other than `0` to skip the largest (8577-parameter) size.
const SMALL_ENV: &str = "SADDLE_BENCH_SMALL";

/// One benchmark problem.
struct Case {
    kind: ProblemKind,
    arch: &'static str,
    points: usize,
    /// Only run when `SADDLE_BENCH_SMALL` is unset.
    large: bool,
    /// Its Hessian takes more than a fraction of a second: the dense benchmarks run
    /// criterion's minimum of 10 single-run samples.
    heavy: bool,
}

const CASES: [Case; 4] = [
    Case { kind: ProblemKind::Regression, arch: "1,10,1", points: 256, large: false, heavy: false },
    Case { kind: ProblemKind::Regression, arch: "1,50,50,1", points: 1024, large: false, heavy: true },
    Case { kind: ProblemKind::Regression, arch: "2,64,64,64,1", points: 1024, large: true, heavy: true },
    Case { kind: ProblemKind::Pinn, arch: "1,20,20,1", points: 256, large: false, heavy: true },
];

fn small_only() -> bool {
    std::env::var(SMALL_ENV).is_ok_and(|v| !v.is_empty() && v != "0")
}

fn benches(c: &mut Criterion) {
    for case in &CASES {
        if case.large && small_only() {
            eprintln!("{SMALL_ENV} is set: skipping {} [{}]", case.kind, case.arch);
            continue;
        }
        bench_case(c, case);
    }
}

/// A case's compiled programs and buffers, built on first use so that a criterion
/// filter that excludes the case costs nothing.
struct State {
    n: usize,
    derivs: Derivatives,
    /// The two parameter vectors and HVP directions of `saddle bench`.
    thetas: [Vec<f64>; 2],
    vs: [Vec<f64>; 2],
    /// Timed calls so far, whose parity picks θ (or v).
    calls: usize,
    grad: Vec<f64>,
    hv: Vec<f64>,
    /// Scratch n × n buffer the timed Hessians are written to.
    scratch: Vec<f64>,
    /// The Hessian at θ, for the factorization and eigendecomposition benches.
    hessian: Option<Vec<f64>>,
}

impl State {
    fn new(case: &Case) -> State {
        let arch: Arch = case.arch.parse().expect("a valid architecture");
        let data = bench_data(case.points, arch.input_dim());
        let problem =
            Problem::new(case.kind, arch.clone(), Activation::Tanh, data).expect("a valid benchmark problem");
        let n = problem.param_count();
        State {
            n,
            derivs: Derivatives::new(&problem).expect("the derivative programs compile"),
            thetas: [glorot_normal(&arch, BENCH_SEED), glorot_normal(&arch, BENCH_SEED + 2)],
            vs: [glorot_normal(&arch, BENCH_SEED + 1), glorot_normal(&arch, BENCH_SEED + 3)],
            calls: 0,
            grad: vec![0.0; n],
            hv: vec![0.0; n],
            scratch: Vec::new(),
            hessian: None,
        }
    }

    /// Which of the two θ (or v) the next timed call uses: they alternate.
    fn next(&mut self) -> usize {
        self.calls += 1;
        self.calls % 2
    }

    /// Gradient and Hessian at the next θ into `grad` and `scratch`, then the Newton
    /// direction.
    fn newton_step(&mut self) -> Col<f64> {
        let (n, k) = (self.n, self.next());
        self.scratch.resize(n * n, 0.0);
        self.derivs.gradient(black_box(&self.thetas[k]), &mut self.grad).unwrap();
        self.derivs.hessian(black_box(&self.thetas[k]), &mut self.scratch).unwrap();
        newton_direction(&self.scratch, &self.grad, n)
    }

    /// The Hessian at the first θ (computed once; `grad` then holds the gradient there).
    fn hessian(&mut self) -> &[f64] {
        if self.hessian.is_none() {
            self.scratch = Vec::new();
            let mut h = vec![0.0; self.n * self.n];
            self.derivs.gradient(&self.thetas[0], &mut self.grad).unwrap();
            self.derivs.hessian(&self.thetas[0], &mut h).unwrap();
            let step = newton_direction(&h, &self.grad, self.n);
            assert!(step.iter().all(|p| p.is_finite()), "the Newton step at θ is finite");
            self.hessian = Some(h);
        }
        self.hessian.as_deref().unwrap()
    }
}

fn ensure<'a>(state: &'a mut Option<State>, case: &Case) -> &'a mut State {
    state.get_or_insert_with(|| State::new(case))
}

fn bench_case(c: &mut Criterion, case: &Case) {
    let name = format!("{}_{}", case.kind, case.arch.replace(',', "_"));
    let mut state: Option<State> = None;

    // Cheap operations: criterion's sampling, with shorter warm-up and measurement.
    let mut group = c.benchmark_group(&name);
    group.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    if case.heavy {
        group.sample_size(20);
    }
    group.bench_function("loss", |b| {
        let s = ensure(&mut state, case);
        b.iter(|| {
            let k = s.next();
            s.derivs.loss(black_box(&s.thetas[k])).unwrap()
        });
    });
    group.bench_function("grad", |b| {
        let s = ensure(&mut state, case);
        b.iter(|| {
            let k = s.next();
            s.derivs.gradient(black_box(&s.thetas[k]), &mut s.grad).unwrap()
        });
    });
    group.bench_function("hvp", |b| {
        let s = ensure(&mut state, case);
        b.iter(|| {
            let k = s.next();
            s.derivs.hvp(black_box(&s.thetas[k]), black_box(&s.vs[0]), &mut s.hv).unwrap()
        });
    });
    group.bench_function("hvp_same_theta", |b| {
        let s = ensure(&mut state, case);
        b.iter(|| {
            let k = s.next();
            s.derivs.hvp(black_box(&s.thetas[0]), black_box(&s.vs[k]), &mut s.hv).unwrap()
        });
    });
    group.finish();

    // Dense operations: O(n²) memory, O(n³) linear algebra.
    let mut group = c.benchmark_group(&name);
    configure_dense(&mut group, case.heavy);
    group.bench_function("hessian", |b| {
        let s = ensure(&mut state, case);
        let n = s.n;
        s.scratch.resize(n * n, 0.0);
        b.iter(|| {
            let k = s.next();
            s.derivs.hessian(black_box(&s.thetas[k]), &mut s.scratch).unwrap()
        });
    });
    group.bench_function("newton_step", |b| {
        let s = ensure(&mut state, case);
        b.iter(|| s.newton_step());
    });
    group.bench_function("lblt_solve", |b| {
        let s = ensure(&mut state, case);
        let n = s.n;
        s.hessian();
        let (h, g) = (s.hessian.as_deref().unwrap(), &s.grad);
        b.iter(|| newton_direction(black_box(h), g, n));
    });
    group.bench_function("eigen", |b| {
        let s = ensure(&mut state, case);
        let n = s.n;
        let h = symmetric(s.hessian(), n);
        b.iter(|| black_box(h).self_adjoint_eigen(Side::Lower).expect("the eigendecomposition converges"));
    });
    group.bench_function("eigenvalues", |b| {
        let s = ensure(&mut state, case);
        let n = s.n;
        let h = symmetric(s.hessian(), n);
        b.iter(|| black_box(h).self_adjoint_eigenvalues(Side::Lower).expect("the eigenvalues converge"));
    });
    group.finish();
}

/// Fast Hessians keep criterion's sampling; large ones take its minimum of 10 samples of
/// one run each (after one warm-up run), with a short target time (criterion warns that it cannot meet it).
fn configure_dense(group: &mut BenchmarkGroup<'_, WallTime>, heavy: bool) {
    if heavy {
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_millis(1))
            .measurement_time(Duration::from_secs(1));
    } else {
        group.sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    }
}

/// The n × n symmetric matrix stored row-major in `h`, viewed as faer's column-major
/// (the same numbers, since H = Hᵀ).
fn symmetric(h: &[f64], n: usize) -> MatRef<'_, f64> {
    MatRef::from_column_major_slice(h, n, n)
}

/// The Newton direction p solving H p = −g by LBLᵀ (Bunch-Kaufman, lower triangle).
fn newton_direction(hessian: &[f64], grad: &[f64], n: usize) -> Col<f64> {
    let lblt = symmetric(hessian, n).lblt(Side::Lower);
    let mut p = Col::from_fn(n, |i| -grad[i]);
    lblt.solve_in_place(&mut p);
    p
}

criterion_group!(derivatives, benches);
criterion_main!(derivatives);
