//! F11 (claims 2 and 4): where the curvature at the end points comes from. The Hessian
//! splits as H = G + (H − G): the Gauss-Newton part G = JᵀJ is positive semidefinite, and
//! the residual part H − G = Σᵢ rᵢ∇²rᵢ, which alone can bring negative curvature, vanishes
//! with the residual. Dense spectra of all three at exact Newton's and the safeguarded
//! solvers' ends (the study's regression and ENGD's 2-D Poisson), and their densities by
//! stochastic Lanczos quadrature at a larger network's ends.

use saddle_cli::study::compiled::Derivatives;
use saddle_cli::study::experiments::Category;
use saddle_cli::study::experiments::curvature::{DEFAULT_PROBES, DEFAULT_STEPS};
use saddle_cli::study::experiments::curvature::{OPERATORS, Split, quadrature};
use saddle_cli::study::init::glorot_normal;
use saddle_cli::study::problem::ProblemKind;
use saddle_solvers::SolverKind;
use saddle_solvers::analysis::ZERO_TOLERANCE;

use super::common::{
    FieldProblem, SEED, Settings, axes, category, figure, network, progress, run, split_of, split_table,
};
use crate::plot::{Mark, Panel, Scale, Series};
use crate::report::{Report, Table, num, short};

/// The exact solvers and the safeguarded ones whose end points the split compares on the
/// study's regression problem.
const SOLVERS: [SolverKind; 7] = [
    SolverKind::Newton,
    SolverKind::NewtonPinv,
    SolverKind::DampedNewton,
    SolverKind::SaddleFreeNewton,
    SolverKind::TrustRegion,
    SolverKind::Lm,
    SolverKind::Bfgs,
];

/// The seed of the single-start panels: the study's F2–F4 seed on the regression problem
/// (exact Newton ends at the trivial point), and a seed at which exact Newton ends at the
/// trivial saddle u ≈ 0 of ENGD's 2-D Poisson (as 8 of F9's 20 `newton` runs do).
const REGRESSION_SEED: u64 = SEED;
const POISSON_SEED: u64 = 2;

/// The larger network of the density panels, on the study's regression data (a small one
/// with --quick).
const LARGE_ARCH: (&str, &str) = ("1,50,50,1", "1,8,8,1");

/// The panel of one end point's three sorted spectra.
fn spectra_panel(title: &str, split: &Split) -> Panel {
    let series = OPERATORS
        .iter()
        .zip(&split.spectra)
        .map(|((_, label), eigs)| Series {
            label: (*label).into(),
            points: eigs.iter().enumerate().map(|(i, &l)| (i as f64, l)).collect(),
            mark: Mark::LinePoints,
        })
        .collect();
    axes(title, "index k", "λ_k (symmetric log)", (Scale::Linear, Scale::SymLog { linthresh: 1e-6 }), series)
}

/// The SLQ distributions of H, G and H − G at the ends of `newton-pinv` and `bfgs` on the
/// larger network, with the SLQ estimates beside the exact counts and traces: the table,
/// and one panel per end (their points appended to `csv`).
fn larger_network(s: &Settings, csv: &mut Table, progress: &dyn Fn()) -> anyhow::Result<(Table, Vec<Panel>)> {
    let large_arch = s.pick(LARGE_ARCH.0, LARGE_ARCH.1);
    let large = network(ProblemKind::Regression, large_arch)?;
    let large_derivs = Derivatives::new(&large)?;
    let (probes, steps) = s.pick((DEFAULT_PROBES, DEFAULT_STEPS), (3, 20));
    let mut density_table = Table::default();
    let mut density_panels = Vec::new();
    for (solver, iters) in [(SolverKind::NewtonPinv, s.pick(100, 3)), (SolverKind::Bfgs, s.pick(500, 10))] {
        let theta0 = glorot_normal(&large.arch, REGRESSION_SEED);
        let fit = run(&large, &large_derivs, solver, theta0, iters)?;
        let theta = &fit.outcome.last.x;
        let exact = split_of(&large_derivs, &fit)?;
        let slqs = OPERATORS
            .iter()
            .map(|&(op, _)| quadrature(op, &mut large_derivs.clone(), theta, (probes, steps), 0))
            .collect::<Result<Vec<_>, _>>()?;
        // Negative on H's scale, as in the tables above.
        let tol = ZERO_TOLERANCE * exact.hessian_norm();
        let n = theta.len() as f64;
        let mut series = Vec::new();
        for (k, ((_, label), density)) in OPERATORS.iter().zip(&slqs).enumerate() {
            let (fraction, fraction_err) = density.average(|t| if t < -tol { 1.0 } else { 0.0 });
            let (mean, mean_err) = density.average(|t| t);
            let pm = |v: f64, e: Option<f64>| format!("{} ± {}", short(v), short(e.unwrap_or(f64::NAN)));
            density_table.row([
                ("solver", solver.name().to_string()),
                (
                    "end",
                    format!(
                        "{} (loss {})",
                        category(&fit).name().replace('_', " "),
                        short(fit.endpoint.loss)
                    ),
                ),
                ("operator", label.to_string()),
                ("negative eigenvalues, SLQ", pm(n * fraction, fraction_err.map(|e| n * e))),
                ("negative eigenvalues, exact", exact.negatives(k).to_string()),
                ("tr / n, SLQ", pm(mean, mean_err)),
                ("tr / n, exact", short(exact.spectra[k].iter().sum::<f64>() / n)),
            ]);
            // n·F, the estimated count of eigenvalues ≤ λ, as steps: each node's jump upright.
            let mut steps_of_f = Vec::new();
            let mut below = 0.0;
            for (x, f) in density.distribution() {
                steps_of_f.extend([(x, below), (x, n * f)]);
                below = n * f;
            }
            for &(x, y) in &steps_of_f {
                csv.row([
                    ("end", format!("[{large_arch}] regression, {}'s end", solver.name())),
                    ("operator", label.to_string()),
                    ("quantity", "count_below".to_string()),
                    ("x", num(x)),
                    ("y", num(y)),
                ]);
            }
            series.push(Series { label: label.to_string(), points: steps_of_f, mark: Mark::Line });
        }
        density_panels.push(axes(
            &format!("[{large_arch}] (n = {}), {}'s end: SLQ", theta.len(), solver.name()),
            "λ",
            "eigenvalues ≤ λ (estimated count)",
            (Scale::SymLog { linthresh: 1e-6 }, Scale::Log10),
            series,
        ));
        progress();
    }
    Ok((density_table, density_panels))
}

/// F11: the split's dense spectra at single ends (regression and 2-D Poisson), its table
/// over the regression's seeds, and the SLQ densities at the larger network's ends beside
/// the exact negative counts.
pub fn f11(s: &Settings, report: &mut Report) -> anyhow::Result<()> {
    let (seeds, max_iter) = (s.pick(20, 2), s.pick(500, 50));
    let problem = network(ProblemKind::Regression, "1,10,1")?;
    let derivs = Derivatives::new(&problem)?;
    let progress = progress(seeds * SOLVERS.len() as u64 + 4, "  runs");
    let mut runs = Vec::new();
    let mut single = Vec::new();
    for solver in SOLVERS {
        for seed in 0..seeds {
            let fit = run(&problem, &derivs, solver, glorot_normal(&problem.arch, seed), max_iter)?;
            let split = split_of(&derivs, &fit)?;
            if seed == REGRESSION_SEED.min(seeds - 1) && matches!(solver, SolverKind::Newton | SolverKind::Lm)
            {
                let title = format!("[1,10,1] regression, {}'s end (seed {seed})", solver.name());
                single.push((title, split.clone()));
            }
            runs.push((solver, split, Category::of(&fit.endpoint, 1e-6)));
            progress.inc(1);
        }
    }
    report.table("f11", &split_table(&runs));

    let poisson = FieldProblem::load("poisson2d", "2,32,1")?;
    for solver in [SolverKind::Newton, SolverKind::Lm] {
        let mut method = solver.with_defaults();
        let history = poisson.run(method.as_mut(), poisson.start(POISSON_SEED), s.pick(200, 10))?;
        let fit = &history.fit;
        single.push((
            format!("[2,32,1] 2-D Poisson, {}'s end (seed {POISSON_SEED})", solver.name()),
            split_of(poisson.derivatives(), fit)?,
        ));
        progress.inc(1);
    }

    let mut csv = Table::default();
    let (density_table, density_panels) = larger_network(s, &mut csv, &|| progress.inc(1))?;
    progress.finish_and_clear();
    report.table("f11_density", &density_table);

    let mut panels: Vec<Panel> = Vec::new();
    for (title, split) in &single {
        for ((_, label), eigs) in OPERATORS.iter().zip(&split.spectra) {
            for (i, &l) in eigs.iter().enumerate() {
                csv.row([
                    ("end", title.clone()),
                    ("operator", label.to_string()),
                    ("quantity", "eigenvalue".to_string()),
                    ("x", i.to_string()),
                    ("y", num(l)),
                ]);
            }
        }
        panels.push(spectra_panel(title, split));
    }
    panels.extend(density_panels);
    report.csv(&s.out, "f11_curvature.csv", &csv);
    report.figure(
        &s.out,
        "f11_curvature",
        &figure(
            "F11  H = G + (H − G) at the end points:\nthe Gauss-Newton part G = JᵀJ ⪰ 0 and the residual part Σ rᵢ∇²rᵢ",
            panels,
            2,
        ),
    )
}
