//! The study's figures F1–F8: each runs its experiment through `saddle_cli::experiments`,
//! writes the CSV of what it plots, renders SVG and PNG, and contributes the tables of
//! docs/REPRODUCTION.md.

use std::path::{Path, PathBuf};

use saddle_cli::derivatives::Derivatives;
use saddle_cli::experiments::landscape::{self, Grid, TanhUnit};
use saddle_cli::experiments::sweep::{self, Plan, RunResult, Shard};
use saddle_cli::experiments::{Category, Fit, fit};
use saddle_cli::init::glorot_normal;
use saddle_cli::io::{Dataset, read_data_csv};
use saddle_cli::linear_basis::LegendreBasis;
use saddle_cli::problem::{LossSource, Problem, ProblemDef, ProblemKind};
use saddle_graph::{Activation, Arch};
use saddle_solvers::{ChainSpec, Classification, Control, SolverKind};

use crate::plot::{Axes, Bars, Figure, HeatColors, Heatmap, Mark, Marker, Panel, Scale, Series, render};
use crate::report::{Csv, Report, fmt_g};

/// Settings shared by every figure.
pub struct Settings {
    /// Reduced sizes (seeds, iterations, grids) so the whole set runs in under two minutes.
    pub quick: bool,
    /// Where figures, CSVs and run records go.
    pub out: PathBuf,
}

impl Settings {
    /// `full` normally, `quick` with --quick.
    fn pick<T>(&self, full: T, quick: T) -> T {
        if self.quick { quick } else { full }
    }
}

/// A figure's generator: fills the report with files and tables.
pub type Generator = fn(&Settings, &mut Report) -> anyhow::Result<()>;

/// The experiments in order: (what runs, generator). Some experiments feed several
/// figures (F2–F4 share their runs, as do F5 and F7).
pub const STEPS: [(&str, Generator); 5] = [
    ("F1 linear vs nonlinear discretization", f1),
    ("F2-F4 solver comparison, spectra, learned basis", f2_f3_f4),
    ("F5, F7 end points over seeds, widths and depths", f5_f7),
    ("F6 the PINN counterpart", f6),
    ("F8 two-parameter landscape and basins", f8),
];

/// The figure stems every full or quick run writes (each as .svg, .png and .csv).
pub const STEMS: [&str; 9] = [
    "f1_linear_vs_network",
    "f2_solvers",
    "f3_spectra",
    "f4_learned_basis",
    "f5_shares",
    "f6_pinn",
    "f6_pinn_basis",
    "f7_loss_vs_index",
    "f8_landscape",
];

/// Every table the figures produce (the names docs/REPRODUCTION.md may use).
pub const TABLES: [&str; 8] = ["f1", "f2", "f5", "f6", "f6_shares", "f7", "f8", "f8_points"];

/// The seed of the single-start regression figures (F1–F4): the one the README's main
/// command uses. Exact Newton's end point depends on the start and, being unstable, on
/// the last bits of the arithmetic; the single starts illustrate the end the sweeps
/// (F5) count, and the counts are the evidence (docs/REPRODUCTION.md).
pub const SEED: u64 = 8;

/// The seed of the single-start PINN figures (F6). Seed 1 was used until the kernels'
/// rounding changed on 2026-11-28 and pseudo-inverse Newton from it stopped short of the
/// constant-fit saddle (`step_too_small` at loss 146.94; since `tanh_grad` it ends there
/// again); seed 3 ends there, as 16 of the sweep's 20 runs do.
pub const PINN_SEED: u64 = 3;

/// The network of the single-start regression figures.
const ARCH: &str = "1,10,1";

fn arch(s: &str) -> Arch {
    s.parse().expect("a valid architecture")
}

/// The study's data: the files the README's commands use, so the figures and the command
/// line see bit-identical numbers (exact Newton's end point can depend on the last bit).
fn study_data(kind: ProblemKind) -> anyhow::Result<Dataset> {
    let file = match kind {
        ProblemKind::Regression => "examples/sine.csv",
        ProblemKind::Pinn => "examples/poisson.csv",
    };
    Ok(read_data_csv(&crate::root().join(file))?)
}

fn network(kind: ProblemKind, arch_text: &str) -> anyhow::Result<Problem> {
    Ok(Problem::new(kind, arch(arch_text), Activation::Tanh, study_data(kind)?)?)
}

/// One run of `solver` (default settings, ‖∇L‖ ≤ 1e-10) from θ₀ with `source`'s compiled
/// `derivs`.
fn run(
    source: &dyn LossSource,
    derivs: &Derivatives,
    solver: SolverKind,
    theta0: Vec<f64>,
    max_iter: usize,
) -> anyhow::Result<Fit> {
    let control = Control { max_iter, gtol: 1e-10, ..Control::default() };
    let mut method = solver.with_defaults();
    Ok(fit(source, derivs.clone(), method.as_mut(), theta0, &control, None, &mut |_, _| {})?)
}

/// Every solver of the family from the same θ₀ on `problem`, its programs compiled once.
fn family_fits(problem: &Problem, theta0: &[f64], max_iter: usize) -> anyhow::Result<Vec<(SolverKind, Fit)>> {
    let derivs = Derivatives::new(problem)?;
    FAMILY.iter().map(|&k| Ok((k, run(problem, &derivs, k, theta0.to_vec(), max_iter)?))).collect()
}

/// Runs a sweep plan with a progress bar, and writes its runs as JSON lines to `file` in the
/// output directory (what `saddle sweep --out` would write).
fn sweep_to_file(
    s: &Settings,
    report: &mut Report,
    plan: &Plan,
    file: &str,
) -> anyhow::Result<Vec<RunResult>> {
    let progress = crate::progress(plan.runs().len() as u64, "  runs");
    let results = sweep::run(plan, Shard::ALL, &|| progress.inc(1))?;
    progress.finish_and_clear();
    crate::report::write_file(&s.out.join(file), sweep::json_lines(&results).as_bytes(), report)?;
    Ok(results)
}

fn per_iteration(label: &str, fit: &Fit, value: impl Fn(&saddle_solvers::Record) -> f64) -> Series {
    Series {
        label: label.to_string(),
        points: fit.records.iter().map(|r| (r.iter as f64, value(r))).collect(),
        mark: Mark::LinePoints,
    }
}

fn axes(title: &str, x: &str, y: &str, x_scale: Scale, y_scale: Scale, series: Vec<Series>) -> Panel {
    Panel::Axes(Axes { title: title.into(), x_label: x.into(), y_label: y.into(), x_scale, y_scale, series })
}

fn save(
    report: &mut Report,
    settings: &Settings,
    stem: &str,
    title: &str,
    panels: Vec<Panel>,
    columns: usize,
) -> anyhow::Result<()> {
    let figure = Figure { title: title.into(), panels, columns };
    let files = render(&figure, &settings.out, stem)?;
    report.files.extend(files);
    Ok(())
}

/// F1 (claim 1): Newton on a Legendre basis (linear, convex) against Newton on a network,
/// same target sin(2πx) at 64 points.
fn f1(s: &Settings, report: &mut Report) -> anyhow::Result<()> {
    let iters = s.pick(100, 40);
    let basis = LegendreBasis::new(9, study_data(ProblemKind::Regression)?)?;
    let linear = run(&basis, &Derivatives::new(&basis)?, SolverKind::Newton, vec![0.0; basis.size], iters)?;
    let problem = network(ProblemKind::Regression, ARCH)?;
    let derivs = Derivatives::new(&problem)?;
    let net = run(&problem, &derivs, SolverKind::Newton, glorot_normal(&problem.arch, SEED), iters)?;
    let pinv = run(&problem, &derivs, SolverKind::NewtonPinv, glorot_normal(&problem.arch, SEED), iters)?;
    let mut csv = Csv::new(&["model", "iter", "loss", "grad_norm"]);
    for (model, f) in [("legendre_9", &linear), ("network_1_10_1", &net), ("network_1_10_1_pinv", &pinv)] {
        for r in &f.records {
            csv.row([model.to_string(), r.iter.to_string(), fmt_g(r.loss), fmt_g(r.grad_norm)]);
        }
    }
    csv.write(&s.out.join("f1_linear_vs_network.csv"), report)?;
    let panels = vec![
        axes(
            "Newton: loss per iteration",
            "iteration",
            "loss ½‖u − y‖²",
            Scale::Linear,
            Scale::Log10,
            vec![
                per_iteration("Legendre basis, degree 9 (10 coefficients)", &linear, |r| r.loss),
                per_iteration(&format!("network {ARCH} tanh (31 parameters)"), &net, |r| r.loss),
                per_iteration(&format!("network {ARCH}, newton-pinv"), &pinv, |r| r.loss),
            ],
        ),
        axes(
            "Newton: gradient norm per iteration",
            "iteration",
            "‖∇L‖",
            Scale::Linear,
            Scale::Log10,
            vec![
                per_iteration("Legendre basis", &linear, |r| r.grad_norm),
                per_iteration(&format!("network {ARCH}"), &net, |r| r.grad_norm),
                per_iteration(&format!("network {ARCH}, newton-pinv"), &pinv, |r| r.grad_norm),
            ],
        ),
    ];
    save(
        report,
        s,
        "f1_linear_vs_network",
        "F1  Linear vs nonlinear discretization (target sin 2πx, 64 points)",
        panels,
        2,
    )?;
    report.table(
        "f1",
        &[
            "model",
            "params",
            "status",
            "iterations",
            "final loss",
            "‖∇L‖",
            "classification",
            "inertia [−,0,+]",
        ],
        [
            ("Legendre degree 9, newton", &basis as &dyn LossSource, &linear),
            (&*format!("network {ARCH}, seed {SEED}, newton"), &problem, &net),
            (&*format!("network {ARCH}, seed {SEED}, newton-pinv"), &problem, &pinv),
        ]
        .iter()
        .map(|(name, src, f)| {
            vec![
                name.to_string(),
                src.param_count().to_string(),
                f.outcome.status.name().to_string(),
                f.outcome.iterations.to_string(),
                fmt_short(f.endpoint.loss),
                fmt_short(f.endpoint.grad_norm),
                f.endpoint.curvature.classification.name().to_string(),
                format!("{:?}", f.endpoint.curvature.inertia.as_array()),
            ]
        })
        .collect(),
    );
    Ok(())
}

/// The solvers of the study's F2 and F5: the family before the field's methods (`engd`,
/// `nncg`, `ssbfgs`, `ssbroyden`), which a study of their own compares.
const FAMILY: [SolverKind; 12] = [
    SolverKind::Newton,
    SolverKind::NewtonPinv,
    SolverKind::DampedNewton,
    SolverKind::SaddleFreeNewton,
    SolverKind::TrustRegion,
    SolverKind::NewtonCg,
    SolverKind::GaussNewton,
    SolverKind::Lm,
    SolverKind::Bfgs,
    SolverKind::Lbfgs,
    SolverKind::Adam,
    SolverKind::Gd,
];

/// The safeguarded solvers whose end points F3 and F4 set beside exact Newton's.
const SAFEGUARDED: [SolverKind; 3] = [SolverKind::Bfgs, SolverKind::Lm, SolverKind::SaddleFreeNewton];

/// F2–F4 (claims 2 and 4): every solver from the same initialization on the regression
/// problem; loss and gradient norm per iteration (F2), the Hessian spectrum at the end
/// points (F3), and the learned basis at Newton's end point and at a safeguarded one (F4).
fn f2_f3_f4(s: &Settings, report: &mut Report) -> anyhow::Result<()> {
    let problem = network(ProblemKind::Regression, ARCH)?;
    let fits = family_fits(&problem, &glorot_normal(&problem.arch, SEED), s.pick(500, 100))?;
    solver_figures(
        s,
        report,
        (&problem, SEED),
        &fits,
        "f2_solvers",
        "F2  Every solver from the same start",
        "f2",
    )?;

    // F3: sorted eigenvalues at the end points.
    let shown: Vec<&(SolverKind, Fit)> =
        fits.iter().filter(|(k, _)| *k == SolverKind::Newton || SAFEGUARDED.contains(k)).collect();
    let mut csv = Csv::new(&["solver", "k", "eigenvalue"]);
    let mut series = Vec::new();
    for (k, f) in &shown {
        let eigs = f.endpoint.eigenvalues.clone().unwrap_or_default();
        for (i, l) in eigs.iter().enumerate() {
            csv.row([k.name().to_string(), i.to_string(), fmt_g(*l)]);
        }
        series.push(Series {
            label: format!(
                "{} ({}, loss {})",
                k.name(),
                f.endpoint.curvature.classification.name(),
                fmt_short(f.endpoint.loss)
            ),
            points: eigs.iter().enumerate().map(|(i, &l)| (i as f64, l)).collect(),
            mark: Mark::LinePoints,
        });
    }
    csv.write(&s.out.join("f3_spectra.csv"), report)?;
    save(
        report,
        s,
        "f3_spectra",
        &format!("F3  Exact Hessian spectra at the end points (network {ARCH}, seed {SEED})"),
        vec![axes(
            "sorted eigenvalues",
            "index k",
            "λ_k (symmetric log)",
            Scale::Linear,
            Scale::SymLog { linthresh: 1e-6 },
            series,
        )],
        1,
    )?;

    // F4: the learned basis at Newton's end point beside a safeguarded solver's.
    let newton = &fits[0].1;
    let other = &fits.iter().find(|(k, _)| *k == SolverKind::SaddleFreeNewton).expect("in the family").1;
    basis_figure(
        s,
        report,
        &problem,
        &[("newton", newton), ("saddle-free-newton", other)],
        "f4_learned_basis",
        &format!("F4  Learned basis φ_k(x) = tanh(w_k x + b_k) at the end points (seed {SEED})"),
        "target y",
    )?;
    Ok(())
}

/// Loss and gradient norm per iteration of every solver (F2, and F6's first row), its CSV,
/// and the table `table` of where each ended.
fn solver_figures(
    s: &Settings,
    report: &mut Report,
    (problem, seed): (&Problem, u64),
    fits: &[(SolverKind, Fit)],
    stem: &str,
    title: &str,
    table: &str,
) -> anyhow::Result<()> {
    let mut csv = Csv::new(&["solver", "iter", "loss", "grad_norm"]);
    for (k, f) in fits {
        for r in &f.records {
            csv.row([k.name().to_string(), r.iter.to_string(), fmt_g(r.loss), fmt_g(r.grad_norm)]);
        }
    }
    csv.write(&s.out.join(format!("{stem}.csv")), report)?;
    let lines = |value: fn(&saddle_solvers::Record) -> f64| -> Vec<Series> {
        // Lines only (markers would hide eleven overlapping curves), at iteration + 1 so
        // the start shows on the logarithmic axis.
        fits.iter()
            .map(|(k, f)| Series {
                label: k.name().to_string(),
                points: f.records.iter().map(|r| ((r.iter + 1) as f64, value(r))).collect(),
                mark: Mark::Line,
            })
            .collect()
    };
    let what = format!("{} {} tanh, seed {seed}", problem.kind.name(), problem.arch);
    save(
        report,
        s,
        stem,
        &format!("{title} ({what})"),
        vec![
            axes(
                "loss per iteration",
                "iteration + 1",
                "loss",
                Scale::Log10,
                Scale::Log10,
                lines(|r| r.loss),
            ),
            axes(
                "gradient norm per iteration",
                "iteration + 1",
                "‖∇L‖",
                Scale::Log10,
                Scale::Log10,
                lines(|r| r.grad_norm),
            ),
        ],
        2,
    )?;
    report.table(
        table,
        &[
            "solver",
            "status",
            "iterations",
            "loss",
            "‖∇L‖",
            "class",
            "inertia [−,0,+]",
            "λmin",
            "‖output weights‖",
            "‖Lu‖/‖target‖",
            "max |cos(φ_k, target)|",
        ],
        fits.iter()
            .map(|(k, f)| {
                let e = &f.endpoint;
                vec![
                    k.name().to_string(),
                    f.outcome.status.name().to_string(),
                    f.outcome.iterations.to_string(),
                    fmt_short(e.loss),
                    fmt_short(e.grad_norm),
                    e.curvature.classification.name().to_string(),
                    format!("{:?}", e.curvature.inertia.as_array()),
                    fmt_short(e.curvature.min_eig),
                    fmt_short(e.output_weight_norm),
                    fmt_short(e.fit_ratio),
                    fmt_short(e.max_target_cosine()),
                ]
            })
            .collect(),
    );
    Ok(())
}

/// The features at the data points over the target, and their cosines with the target, for
/// each (label, fit): F4 and F6's second row.
fn basis_figure(
    s: &Settings,
    report: &mut Report,
    problem: &Problem,
    fits: &[(&str, &Fit)],
    stem: &str,
    title: &str,
    target_label: &str,
) -> anyhow::Result<()> {
    let xs = &problem.data.inputs;
    let target = &problem.data.targets;
    let mut csv = Csv::new(&[
        "solver",
        "feature",
        "x",
        "value",
        "target",
        "cosine_with_target",
        "cosine_with_centered_target",
    ]);
    let mut panels = Vec::new();
    for (label, f) in fits {
        let e = &f.endpoint;
        let k = e.feature_count();
        let mut series: Vec<Series> = (0..k)
            .map(|j| Series {
                label: format!("φ_{} (cos {})", j + 1, fmt_short(e.target_cosines[j])),
                points: xs.iter().enumerate().map(|(p, &x)| (x, e.features[p * k + j])).collect(),
                mark: Mark::Line,
            })
            .collect();
        for j in 0..k {
            for (p, &x) in xs.iter().enumerate() {
                csv.row([
                    label.to_string(),
                    (j + 1).to_string(),
                    fmt_g(x),
                    fmt_g(e.features[p * k + j]),
                    fmt_g(target[p]),
                    fmt_g(e.target_cosines[j]),
                    fmt_g(e.centered_target_cosines[j]),
                ]);
            }
        }
        series.push(Series {
            label: target_label.to_string(),
            points: xs.iter().zip(target).map(|(&x, &y)| (x, y)).collect(),
            mark: Mark::Points,
        });
        panels.push(axes(
            &format!("{label}: loss {}, {}", fmt_short(e.loss), e.curvature.classification.name()),
            "x",
            "feature value",
            Scale::Linear,
            Scale::Linear,
            series,
        ));
        panels.push(axes(
            &format!("{label}: φ_k against {target_label}"),
            "feature k",
            "normalized inner product",
            Scale::Linear,
            Scale::Linear,
            vec![
                Series {
                    label: format!(
                        "cos(φ_k, {target_label}), max |·| = {}",
                        fmt_short(e.max_target_cosine())
                    ),
                    points: e.target_cosines.iter().enumerate().map(|(j, &c)| ((j + 1) as f64, c)).collect(),
                    mark: Mark::Points,
                },
                Series {
                    label: format!(
                        "cos(φ_k, {target_label} − mean), max |·| = {}",
                        fmt_short(e.max_centered_target_cosine())
                    ),
                    points: e
                        .centered_target_cosines
                        .iter()
                        .enumerate()
                        .map(|(j, &c)| ((j + 1) as f64, c))
                        .collect(),
                    mark: Mark::Points,
                },
            ],
        ));
    }
    csv.write(&s.out.join(format!("{stem}.csv")), report)?;
    save(report, s, stem, title, panels, 2)
}

fn fmt_short(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        format!("{v}")
    } else if (1e-2..1e4).contains(&v.abs()) {
        format!("{v:.3}")
    } else {
        format!("{v:.2e}")
    }
}

/// F5 and F7 (claims 2, 4, 5): every solver from many seeds at several widths and two
/// depths; the share
/// of runs per end category (F5) and, for exact Newton, loss against the index of the
/// points reached (F7). The runs are written as JSON lines (`f5_runs.jsonl`), from which
/// the shares can be recomputed.
fn f5_f7(s: &Settings, report: &mut Report) -> anyhow::Result<()> {
    let archs: Vec<&str> = s.pick(vec!["1,5,1", "1,10,1", "1,20,1", "1,10,10,1"], vec!["1,5,1"]);
    let plan = Plan {
        problem: ProblemDef::Builtin {
            kind: ProblemKind::Regression,
            data: study_data(ProblemKind::Regression)?,
        },
        archs: archs.iter().map(|a| arch(a)).collect(),
        act: Activation::Tanh,
        solvers: FAMILY.map(ChainSpec::from).to_vec(),
        seeds: 0..s.pick(20, 3),
        control: Control { max_iter: s.pick(500, 60), gtol: 1e-10, ..Control::default() },
        stationary_tol: 1e-6,
    };
    let results = sweep_to_file(s, report, &plan, "f5_runs.jsonl")?;

    let mut csv =
        Csv::new(&["arch", "solver", "runs", "fitted", "minimum", "degenerate", "saddle", "not_converged"]);
    let mut panels = Vec::new();
    let mut rows = Vec::new();
    for a in &plan.archs {
        let of_arch: Vec<RunResult> = results.iter().filter(|r| r.arch == a.to_string()).cloned().collect();
        let shares = sweep::shares(&of_arch, &plan.solvers);
        let n = plan.seeds.clone().count();
        for (k, counts) in &shares {
            csv.row(
                [a.to_string(), k.to_string(), n.to_string()]
                    .into_iter()
                    .chain(counts.iter().map(|c| fmt_g(*c as f64 / n as f64))),
            );
            rows.push(
                [a.to_string(), k.to_string(), n.to_string()]
                    .into_iter()
                    .chain(counts.iter().map(|c| c.to_string()))
                    .collect(),
            );
        }
        panels.push(Panel::Bars(Bars {
            title: format!("network {a} tanh, {n} seeds"),
            y_label: "share of runs".into(),
            groups: shares.iter().map(|(k, _)| k.to_string()).collect(),
            stacks: Category::ALL
                .iter()
                .enumerate()
                .map(|(c, cat)| {
                    (
                        cat.name().to_string(),
                        shares.iter().map(|(_, counts)| counts[c] as f64 / n as f64).collect(),
                    )
                })
                .collect(),
        }));
    }
    csv.write(&s.out.join("f5_shares.csv"), report)?;
    let columns = panels.len().min(2);
    save(
        report,
        s,
        "f5_shares",
        "F5  Where runs end, per solver (sin 2πx, 64 points; stationary: ‖∇L‖ ≤ 1e-6; fitted: ‖r‖ ≤ 1e-3‖y‖)",
        panels,
        columns,
    )?;
    report.table(
        "f5",
        &["arch", "solver", "runs", "fitted", "minimum", "degenerate", "saddle", "not converged"],
        rows,
    );

    // F7: the end points of exact Newton (LBLᵀ, stops where H is singular) and of its
    // pseudo-inverse variant (continues there), loss against index, by category.
    let newtons = [SolverKind::Newton, SolverKind::NewtonPinv];
    let ends: Vec<&RunResult> =
        results.iter().filter(|r| newtons.iter().any(|k| k.name() == r.solver)).collect();
    let mut csv = Csv::new(&[
        "solver",
        "arch",
        "seed",
        "loss",
        "index",
        "grad_norm",
        "status",
        "category",
        "fit_ratio",
        "max_target_cosine",
    ]);
    for r in &ends {
        csv.row([
            r.solver.to_string(),
            r.arch.clone(),
            r.seed.to_string(),
            fmt_g(r.loss),
            fmt_g(r.index),
            fmt_g(r.grad_norm),
            r.status.to_string(),
            r.category.name().to_string(),
            fmt_g(r.fit_ratio),
            fmt_g(r.max_target_cosine),
        ]);
    }
    csv.write(&s.out.join("f7_loss_vs_index.csv"), report)?;
    let panels = newtons
        .iter()
        .map(|k| {
            let mine: Vec<&&RunResult> = ends.iter().filter(|r| r.solver == k.name()).collect();
            let series = Category::ALL
                .iter()
                .map(|c| Series {
                    label: format!("{} ({})", c.name(), mine.iter().filter(|r| r.category == *c).count()),
                    points: mine.iter().filter(|r| r.category == *c).map(|r| (r.index, r.loss)).collect(),
                    mark: Mark::Points,
                })
                .collect();
            axes(
                &format!("{}: {} runs over {}", k.name(), mine.len(), archs.join(" ")),
                "index (fraction of negative eigenvalues)",
                "loss",
                Scale::Linear,
                Scale::Log10,
                series,
            )
        })
        .collect();
    save(report, s, "f7_loss_vs_index", "F7  Exact Newton's end points: loss against index", panels, 2)?;
    let stationary =
        |r: &RunResult| matches!(r.category, Category::Saddle | Category::Minimum | Category::Degenerate);
    report.table(
        "f7",
        &[
            "solver",
            "runs",
            "stationary",
            "of which saddle / degenerate / minimum",
            "fitted",
            "ended with ‖u‖ < 0.1‖y‖",
            "ended with every φ_k ⟂ y − ȳ (|cos| < 0.05)",
            "median index of the stationary ends",
            "median loss of the stationary ends",
        ],
        newtons
            .iter()
            .map(|k| {
                let mine: Vec<&RunResult> = ends.iter().copied().filter(|r| r.solver == k.name()).collect();
                let count = |c: Category| mine.iter().filter(|r| r.category == c).count();
                let still: Vec<&RunResult> = mine.iter().copied().filter(|r| stationary(r)).collect();
                vec![
                    k.name().to_string(),
                    mine.len().to_string(),
                    still.len().to_string(),
                    format!(
                        "{} / {} / {}",
                        count(Category::Saddle),
                        count(Category::Degenerate),
                        count(Category::Minimum)
                    ),
                    count(Category::Fitted).to_string(),
                    mine.iter().filter(|r| r.fit_ratio < 0.1).count().to_string(),
                    mine.iter().filter(|r| r.max_centered_target_cosine < 0.05).count().to_string(),
                    fmt_short(median(still.iter().map(|r| r.index).collect())),
                    fmt_short(median(still.iter().map(|r| r.loss).collect())),
                ]
            })
            .collect(),
    );
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// F6 (claim 3): the PINN −u'' = π² sin(πx) on 32 points, u = x(1−x)·N(x): every solver
/// from one start, the basis after the operator at the end points of both exact Newtons
/// and of saddle-free Newton, and where the runs end over seeds.
fn f6(s: &Settings, report: &mut Report) -> anyhow::Result<()> {
    let problem = network(ProblemKind::Pinn, "1,8,1")?;
    let fits = family_fits(&problem, &glorot_normal(&problem.arch, PINN_SEED), s.pick(500, 100))?;
    solver_figures(
        s,
        report,
        (&problem, PINN_SEED),
        &fits,
        "f6_pinn",
        "F6  PINN −u'' = π² sin πx: every solver from the same start",
        "f6",
    )?;
    let fit_of = |kind: SolverKind| &fits.iter().find(|(k, _)| *k == kind).expect("in the family").1;
    basis_figure(
        s,
        report,
        &problem,
        &[
            ("newton", fit_of(SolverKind::Newton)),
            ("newton-pinv", fit_of(SolverKind::NewtonPinv)),
            ("saddle-free-newton", fit_of(SolverKind::SaddleFreeNewton)),
        ],
        "f6_pinn_basis",
        "F6  PINN basis after the operator, −(x(1−x)φ_k)'', at the end points",
        "source f",
    )?;

    // Over seeds: where the PINN runs end, and how often they end with every feature after
    // the operator orthogonal to f − f̄ (the trivial point modulo the bias).
    let plan = Plan {
        problem: ProblemDef::Builtin { kind: ProblemKind::Pinn, data: problem.data.clone() },
        archs: vec![problem.arch.clone()],
        act: Activation::Tanh,
        solvers: [
            SolverKind::Newton,
            SolverKind::NewtonPinv,
            SolverKind::SaddleFreeNewton,
            SolverKind::TrustRegion,
            SolverKind::Lm,
            SolverKind::Bfgs,
        ]
        .map(ChainSpec::from)
        .to_vec(),
        seeds: 0..s.pick(20, 3),
        control: Control { max_iter: s.pick(500, 60), gtol: 1e-10, ..Control::default() },
        stationary_tol: 1e-6,
    };
    let results = sweep_to_file(s, report, &plan, "f6_runs.jsonl")?;
    let n = plan.seeds.clone().count();
    report.table(
        "f6_shares",
        &[
            "solver",
            "runs",
            "fitted",
            "minimum",
            "degenerate",
            "saddle",
            "not converged",
            "ended with every Lφ_k ⟂ f − f̄ (|cos| < 0.05)",
            "mean constant (saturated) features",
            "median final loss",
        ],
        sweep::shares(&results, &plan.solvers)
            .into_iter()
            .map(|(k, counts)| {
                let mine: Vec<&RunResult> = results.iter().filter(|r| r.solver == k.to_string()).collect();
                [k.to_string(), n.to_string()]
                    .into_iter()
                    .chain(counts.iter().map(|c| c.to_string()))
                    .chain([
                        mine.iter().filter(|r| r.max_centered_target_cosine < 0.05).count().to_string(),
                        fmt_short(
                            mine.iter().map(|r| r.constant_features as f64).sum::<f64>()
                                / mine.len().max(1) as f64,
                        ),
                        fmt_short(median(mine.iter().map(|r| r.loss).collect())),
                    ])
                    .collect()
            })
            .collect(),
    );
    Ok(())
}

/// F8 (claims 2, 4, 5 in two dimensions): u = c·tanh(w x) fitted to sin(2.5x); the loss
/// over (c, w) with every stationary point, and the basins of attraction of exact and
/// saddle-free Newton over a grid of starts.
fn f8(s: &Settings, report: &mut Report) -> anyhow::Result<()> {
    let unit = TanhUnit::study();
    let cells = s.pick(80, 24);
    let grid = Grid { c: (-2.0, 2.0), w: (-6.0, 6.0), nc: cells, nw: cells };
    let control = Control { max_iter: 100, gtol: 1e-12, ..Control::default() };
    let (tol, merge) = (1e-8, 1e-4);
    let newton = landscape::landings(&unit, &grid, SolverKind::Newton, &control)?;
    let free = landscape::landings(&unit, &grid, SolverKind::SaddleFreeNewton, &control)?;
    let all: Vec<_> = newton.iter().chain(&free).copied().collect();
    let points = landscape::stationary_points(&unit, &grid, &all, tol, merge)?;
    let loss = landscape::loss_grid(&unit, &grid)?;
    let newton_basins = landscape::basins(&newton, &points, tol, merge);
    let free_basins = landscape::basins(&free, &points, tol, merge);

    let mut csv = Csv::new(&["c", "w", "loss", "newton_reaches", "saddle_free_newton_reaches"]); // point number, or "none"
    let reach = |b: Option<usize>| b.map_or("none".to_string(), |k| (k + 1).to_string());
    for (i, p) in grid.points().iter().enumerate() {
        csv.row([fmt_g(p[0]), fmt_g(p[1]), fmt_g(loss[i]), reach(newton_basins[i]), reach(free_basins[i])]);
    }
    csv.write(&s.out.join("f8_landscape.csv"), report)?;
    let mut csv = Csv::new(&["point", "c", "w", "loss", "classification"]);
    for (k, p) in points.iter().enumerate() {
        csv.row([
            (k + 1).to_string(),
            fmt_g(p.theta[0]),
            fmt_g(p.theta[1]),
            fmt_g(p.loss),
            p.classification.name().to_string(),
        ]);
    }
    csv.write(&s.out.join("f8_stationary_points.csv"), report)?;

    let markers: Vec<Marker> = points
        .iter()
        .map(|p| Marker { x: p.theta[0], y: p.theta[1], label: p.classification.name().to_string() })
        .collect();
    let labels: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(k, p)| {
            format!(
                "{} {} ({}, {})",
                k + 1,
                p.classification.name(),
                fmt_short(p.theta[0]),
                fmt_short(p.theta[1])
            )
        })
        .collect();
    let basin_panel = |title: &str, basins: &[Option<usize>]| {
        Panel::Heatmap(Heatmap {
            title: title.into(),
            x_label: "c (output weight)".into(),
            y_label: "w (inner weight)".into(),
            x_range: grid.c,
            y_range: grid.w,
            nx: grid.nc,
            ny: grid.nw,
            values: basins.iter().map(|b| b.map_or(f64::NAN, |k| k as f64)).collect(),
            colors: HeatColors::Categorical { labels: labels.clone() },
            markers: markers.clone(),
        })
    };
    let panels = vec![
        Panel::Heatmap(Heatmap {
            title: "log10 loss and stationary points".into(),
            x_label: "c (output weight)".into(),
            y_label: "w (inner weight)".into(),
            x_range: grid.c,
            y_range: grid.w,
            nx: grid.nc,
            ny: grid.nw,
            values: loss.iter().map(|l| l.log10()).collect(),
            colors: HeatColors::Continuous { legend: "log10 loss".into() },
            markers: markers.clone(),
        }),
        basin_panel("exact Newton: which point each start reaches", &newton_basins),
        basin_panel("saddle-free Newton: which point each start reaches", &free_basins),
    ];
    save(
        report,
        s,
        "f8_landscape",
        "F8  u = c·tanh(w x) fitted to sin(2.5x) at 41 points: landscape and basins of attraction",
        panels,
        3,
    )?;

    let share = |basins: &[Option<usize>], keep: &dyn Fn(Option<usize>) -> bool| {
        fmt_short(basins.iter().filter(|&&b| keep(b)).count() as f64 / basins.len() as f64)
    };
    let class_of = |b: Option<usize>| b.map(|k| points[k].classification);
    report.table(
        "f8",
        &[
            "solver",
            "starts",
            "→ minimum",
            "→ saddle",
            "→ nowhere (not converged in 100 iterations or left the window)",
        ],
        [("newton", &newton_basins), ("saddle-free-newton", &free_basins)]
            .iter()
            .map(|(name, b)| {
                vec![
                    name.to_string(),
                    b.len().to_string(),
                    share(b, &|k| class_of(k) == Some(Classification::Minimum)),
                    share(b, &|k| class_of(k) == Some(Classification::Saddle)),
                    share(b, &|k| k.is_none()),
                ]
            })
            .collect(),
    );
    report.table(
        "f8_points",
        &["point", "c", "w", "loss", "classification"],
        points
            .iter()
            .enumerate()
            .map(|(k, p)| {
                vec![
                    (k + 1).to_string(),
                    fmt_short(p.theta[0]),
                    fmt_short(p.theta[1]),
                    fmt_short(p.loss),
                    p.classification.name().to_string(),
                ]
            })
            .collect(),
    );
    Ok(())
}

/// Where a figure's files go.
pub fn paths(out: &Path, stem: &str) -> [PathBuf; 3] {
    ["svg", "png", "csv"].map(|ext| out.join(format!("{stem}.{ext}")))
}
