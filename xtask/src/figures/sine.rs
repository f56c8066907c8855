//! F1–F7: the study's one-dimensional problems, the regression to sin(2πx) (F1–F5, F7) and
//! the PINN −u'' = π² sin(πx) (F6): every solver from one start (F1–F4, F6's first rows)
//! and over seeds and networks (F5, F7, F6's shares).

use saddle_cli::study::compiled::Derivatives;
use saddle_cli::study::experiments::sweep::{self, Plan, RunResult, Shard};
use saddle_cli::study::experiments::{Category, Fit};
use saddle_cli::study::init::glorot_normal;
use saddle_cli::study::linear_basis::LegendreBasis;
use saddle_cli::study::loss::LossSource;
use saddle_cli::study::problem::{Problem, ProblemDef, ProblemKind};
use saddle_graph::Activation;
use saddle_solvers::{ChainSpec, Control, SolverKind};

use super::common::{SEED, Settings, arch, axes, figure, median, network, progress, run, study_data};
use crate::plot::{Bars, Mark, Panel, Scale, Series};
use crate::report::{Report, Table, num, short};

/// The seed of the single-start PINN figures (F6). Seed 1 was used until the kernels'
/// rounding changed on 2026-11-28 and pseudo-inverse Newton from it stopped short of the
/// constant-fit saddle (`step_too_small` at loss 146.94; since `tanh_grad` it ends there
/// again); seed 3 ends there, as 16 of the sweep's 20 runs do.
pub const PINN_SEED: u64 = 3;

/// The network of the single-start regression figures.
const ARCH: &str = "1,10,1";

/// Every solver of the family from the same θ₀ on `problem`, its programs compiled once.
fn family_fits(problem: &Problem, theta0: &[f64], max_iter: usize) -> anyhow::Result<Vec<(SolverKind, Fit)>> {
    let derivs = Derivatives::new(problem)?;
    family().map(|k| Ok((k, run(problem, &derivs, k, theta0.to_vec(), max_iter)?))).collect()
}

/// Runs a sweep plan with a progress bar, and stages its runs as JSON lines in `file` of the
/// output directory (what `saddle sweep --out` would write).
fn sweep_to_file(
    s: &Settings,
    report: &mut Report,
    plan: &Plan,
    file: &str,
) -> anyhow::Result<Vec<RunResult>> {
    let progress = progress(plan.runs().len() as u64, "  runs");
    let results = sweep::run(plan, Shard::ALL, &|| progress.inc(1))?;
    progress.finish_and_clear();
    report.file(s.out.join(file), sweep::json_lines(&results).into_bytes());
    Ok(results)
}

/// Loss and gradient norm at every iteration of each `(label, fit)`: the CSV of F1, F2 and
/// F6, whose first column is `key`.
fn traces(key: &str, fits: &[(String, &Fit)]) -> Table {
    let mut t = Table::default();
    for (label, f) in fits {
        for r in &f.records {
            t.row([
                (key, label.clone()),
                ("iter", r.iter.to_string()),
                ("loss", num(r.loss)),
                ("grad_norm", num(r.grad_norm)),
            ]);
        }
    }
    t
}

/// The loss and gradient-norm panels of `fits`, at iteration + `shift` (1 for a log axis).
fn trace_panels(fits: &[(String, &Fit)], shift: usize, mark: Mark, scales: (Scale, Scale)) -> Vec<Panel> {
    let x = if shift == 0 { "iteration" } else { "iteration + 1" };
    let lines = |value: fn(&saddle_solvers::Record) -> f64| {
        fits.iter()
            .map(|(label, f)| Series {
                label: label.clone(),
                points: f.records.iter().map(|r| ((r.iter + shift) as f64, value(r))).collect(),
                mark,
            })
            .collect()
    };
    vec![
        axes("loss per iteration", x, "loss", scales, lines(|r| r.loss)),
        axes("gradient norm per iteration", x, "‖∇L‖", scales, lines(|r| r.grad_norm)),
    ]
}

/// F1 (claim 1): Newton on a Legendre basis (linear, convex) against Newton on a network,
/// same target sin(2πx) at 64 points.
pub fn f1(s: &Settings, report: &mut Report) -> anyhow::Result<()> {
    let iters = s.pick(100, 40);
    let basis = LegendreBasis::new(9, study_data(ProblemKind::Regression)?)?;
    let linear = run(&basis, &Derivatives::new(&basis)?, SolverKind::Newton, vec![0.0; basis.size], iters)?;
    let problem = network(ProblemKind::Regression, ARCH)?;
    let derivs = Derivatives::new(&problem)?;
    let net = run(&problem, &derivs, SolverKind::Newton, glorot_normal(&problem.arch, SEED), iters)?;
    let pinv = run(&problem, &derivs, SolverKind::NewtonPinv, glorot_normal(&problem.arch, SEED), iters)?;
    let models: [(&str, String, &dyn LossSource, &Fit); 3] = [
        ("legendre_9", "Legendre basis, degree 9 (10 coefficients)".into(), &basis, &linear),
        ("network_1_10_1", format!("network {ARCH} tanh (31 parameters), newton"), &problem, &net),
        ("network_1_10_1_pinv", format!("network {ARCH} tanh, newton-pinv"), &problem, &pinv),
    ];
    let keyed: Vec<(String, &Fit)> = models.iter().map(|m| (m.0.to_string(), m.3)).collect();
    report.csv(&s.out, "f1_linear_vs_network.csv", &traces("model", &keyed));
    let labelled: Vec<(String, &Fit)> = models.iter().map(|m| (m.1.clone(), m.3)).collect();
    let panels = trace_panels(&labelled, 0, Mark::LinePoints, (Scale::Linear, Scale::Log10));
    let title = "F1  Linear vs nonlinear discretization (target sin 2πx, 64 points)";
    report.figure(&s.out, "f1_linear_vs_network", &figure(title, panels, 2))?;
    let mut table = Table::default();
    let names = [
        "Legendre degree 9, newton".to_string(),
        format!("network {ARCH}, seed {SEED}, newton"),
        format!("network {ARCH}, seed {SEED}, newton-pinv"),
    ];
    for (name, (_, _, source, f)) in names.into_iter().zip(&models) {
        let e = &f.endpoint;
        table.row([
            ("model", name),
            ("params", source.param_count().to_string()),
            ("status", f.outcome.status.name().to_string()),
            ("iterations", f.outcome.iterations.to_string()),
            ("final loss", short(e.loss)),
            ("‖∇L‖", short(e.grad_norm)),
            ("classification", e.curvature.classification.name().to_string()),
            ("inertia [−,0,+]", format!("{:?}", e.curvature.inertia.as_array())),
        ]);
    }
    report.table("f1", &table);
    Ok(())
}

/// The field's methods, which F9 and F10 compare on their own problems.
const FIELD_METHODS: [SolverKind; 4] =
    [SolverKind::Engd, SolverKind::Nncg, SolverKind::SsBfgs, SolverKind::SsBroyden];

/// The solvers of the study's F2 and F5: every registered solver but the field's methods.
fn family() -> impl Iterator<Item = SolverKind> {
    SolverKind::ALL.iter().copied().filter(|k| !FIELD_METHODS.contains(k))
}

/// The safeguarded solvers whose end points F3 and F4 set beside exact Newton's.
const SAFEGUARDED: [SolverKind; 3] = [SolverKind::Bfgs, SolverKind::Lm, SolverKind::SaddleFreeNewton];

/// F2–F4 (claims 2 and 4): every solver from the same initialization on the regression
/// problem; loss and gradient norm per iteration (F2), the Hessian spectrum at the end
/// points (F3), and the learned basis at Newton's end point and at a safeguarded one (F4).
pub fn f2_f3_f4(s: &Settings, report: &mut Report) -> anyhow::Result<()> {
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
    let mut csv = Table::default();
    let mut series = Vec::new();
    for (k, f) in fits.iter().filter(|(k, _)| *k == SolverKind::Newton || SAFEGUARDED.contains(k)) {
        let eigs = f.endpoint.eigenvalues.clone().unwrap_or_default();
        for (i, l) in eigs.iter().enumerate() {
            csv.row([("solver", k.name().to_string()), ("k", i.to_string()), ("eigenvalue", num(*l))]);
        }
        let e = &f.endpoint;
        series.push(Series {
            label: format!("{} ({}, loss {})", k.name(), e.curvature.classification.name(), short(e.loss)),
            points: eigs.iter().enumerate().map(|(i, &l)| (i as f64, l)).collect(),
            mark: Mark::LinePoints,
        });
    }
    report.csv(&s.out, "f3_spectra.csv", &csv);
    let panel = axes(
        "sorted eigenvalues",
        "index k",
        "λ_k (symmetric log)",
        (Scale::Linear, Scale::SymLog { linthresh: 1e-6 }),
        series,
    );
    let title = format!("F3  Exact Hessian spectra at the end points\n(network {ARCH}, seed {SEED})");
    report.figure(&s.out, "f3_spectra", &figure(&title, vec![panel], 1))?;

    // F4: the learned basis at Newton's end point beside a safeguarded solver's.
    let fit_of = |kind: SolverKind| &fits.iter().find(|(k, _)| *k == kind).expect("in the family").1;
    basis_figure(
        s,
        report,
        &problem,
        &[
            ("newton", fit_of(SolverKind::Newton)),
            ("saddle-free-newton", fit_of(SolverKind::SaddleFreeNewton)),
        ],
        "f4_learned_basis",
        &format!("F4  Learned basis φ_k(x) = tanh(w_k x + b_k) at the end points (seed {SEED})"),
        "target y",
    )
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
    let named: Vec<(String, &Fit)> = fits.iter().map(|(k, f)| (k.name().to_string(), f)).collect();
    report.csv(&s.out, &format!("{stem}.csv"), &traces("solver", &named));
    // Lines only (markers would hide twelve overlapping curves), at iteration + 1 so the
    // start shows on the logarithmic axis.
    let panels = trace_panels(&named, 1, Mark::Line, (Scale::Log10, Scale::Log10));
    let what = format!("{} {} tanh, seed {seed}", problem.kind.name(), problem.arch);
    report.figure(&s.out, stem, &figure(&format!("{title} ({what})"), panels, 2))?;
    let mut t = Table::default();
    for (k, f) in fits {
        let e = &f.endpoint;
        t.row([
            ("solver", k.name().to_string()),
            ("status", f.outcome.status.name().to_string()),
            ("iterations", f.outcome.iterations.to_string()),
            ("loss", short(e.loss)),
            ("‖∇L‖", short(e.grad_norm)),
            ("class", e.curvature.classification.name().to_string()),
            ("inertia [−,0,+]", format!("{:?}", e.curvature.inertia.as_array())),
            ("λmin", short(e.curvature.min_eig)),
            ("‖output weights‖", short(e.output_weight_norm)),
            ("‖Lu‖/‖target‖", short(e.fit_ratio)),
            ("max |cos(φ_k, target)|", short(e.max_target_cosine())),
        ]);
    }
    report.table(table, &t);
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
    let (xs, target) = (&problem.data.inputs, &problem.data.targets);
    let mut csv = Table::default();
    let mut panels = Vec::new();
    for (label, f) in fits {
        let e = &f.endpoint;
        let k = e.feature_count();
        let mut series = Vec::new();
        for j in 0..k {
            let feature = |p: usize| e.features[p * k + j];
            for (p, &x) in xs.iter().enumerate() {
                csv.row([
                    ("solver", label.to_string()),
                    ("feature", (j + 1).to_string()),
                    ("x", num(x)),
                    ("value", num(feature(p))),
                    ("target", num(target[p])),
                    ("cosine_with_target", num(e.target_cosines[j])),
                    ("cosine_with_centered_target", num(e.centered_target_cosines[j])),
                ]);
            }
            series.push(Series {
                label: format!("φ_{} (cos {})", j + 1, short(e.target_cosines[j])),
                points: xs.iter().enumerate().map(|(p, &x)| (x, feature(p))).collect(),
                mark: Mark::Line,
            });
        }
        series.push(Series {
            label: target_label.to_string(),
            points: xs.iter().zip(target).map(|(&x, &y)| (x, y)).collect(),
            mark: Mark::Points,
        });
        let linear = (Scale::Linear, Scale::Linear);
        let what = format!("{label}: loss {}, {}", short(e.loss), e.curvature.classification.name());
        panels.push(axes(&what, "x", "feature value", linear, series));
        let cosines = |name: String, values: &[f64], max: f64| Series {
            label: format!("{name}, max |·| = {}", short(max)),
            points: values.iter().enumerate().map(|(j, &c)| ((j + 1) as f64, c)).collect(),
            mark: Mark::Points,
        };
        panels.push(axes(
            &format!("{label}: φ_k against {target_label}"),
            "feature k",
            "normalized inner product",
            linear,
            vec![
                cosines(format!("cos(φ_k, {target_label})"), &e.target_cosines, e.max_target_cosine()),
                cosines(
                    format!("cos(φ_k, {target_label} − mean)"),
                    &e.centered_target_cosines,
                    e.max_centered_target_cosine(),
                ),
            ],
        ));
    }
    report.csv(&s.out, &format!("{stem}.csv"), &csv);
    report.figure(&s.out, stem, &figure(title, panels, 2))
}

/// How many of `n` runs of one solver (and architecture) end in each category: one row of
/// F5's CSV (as shares), table (as counts) and bars (as shares), and of F6's table.
struct Shares<'a> {
    solver: &'a ChainSpec,
    runs: usize,
    counts: &'a [usize],
}

impl Shares<'_> {
    fn cells(&self, as_shares: bool) -> impl Iterator<Item = (String, String)> + '_ {
        let n = self.runs;
        let head = [("solver".to_string(), self.solver.to_string()), ("runs".into(), n.to_string())];
        head.into_iter().chain(Category::ALL.iter().zip(self.counts).map(move |(c, &count)| {
            if as_shares {
                (c.name().to_string(), num(count as f64 / n as f64))
            } else {
                (c.name().replace('_', " "), count.to_string())
            }
        }))
    }
}

/// F5 and F7 (claims 2, 4, 5): every solver from many seeds at several widths and two
/// depths; the share of runs per end category (F5) and, for exact Newton, loss against the
/// index of the points reached (F7). The runs are written as JSON lines (`f5_runs.jsonl`),
/// from which the shares can be recomputed.
pub fn f5_f7(s: &Settings, report: &mut Report) -> anyhow::Result<()> {
    let archs: Vec<&str> = s.pick(vec!["1,5,1", "1,10,1", "1,20,1", "1,10,10,1"], vec!["1,5,1"]);
    let plan = Plan {
        problem: ProblemDef::Builtin {
            kind: ProblemKind::Regression,
            data: study_data(ProblemKind::Regression)?,
        },
        archs: archs.iter().map(|a| arch(a)).collect(),
        act: Activation::Tanh,
        solvers: family().map(ChainSpec::from).collect(),
        seeds: 0..s.pick(20, 3),
        control: Control { max_iter: s.pick(500, 60), gtol: 1e-10, ..Control::default() },
        stationary_tol: 1e-6,
    };
    let results = sweep_to_file(s, report, &plan, "f5_runs.jsonl")?;
    trivial_shares(report, &plan, &results);
    let n = plan.seeds.clone().count();

    let (mut csv, mut table, mut panels) = (Table::default(), Table::default(), Vec::new());
    for a in &plan.archs {
        let of_arch: Vec<RunResult> = results.iter().filter(|r| r.arch == a.to_string()).cloned().collect();
        let shares = sweep::shares(&of_arch, &plan.solvers);
        for (solver, counts) in &shares {
            let row = Shares { solver, runs: n, counts };
            csv.row([("arch".to_string(), a.to_string())].into_iter().chain(row.cells(true)));
            table.row([("arch".to_string(), a.to_string())].into_iter().chain(row.cells(false)));
        }
        panels.push(Panel::Bars(Bars {
            title: format!("network {a} tanh, {n} seeds"),
            value_label: "share of runs".into(),
            groups: shares.iter().map(|(k, _)| k.to_string()).collect(),
            stacks: Category::ALL
                .iter()
                .map(|c| {
                    (
                        c.name().to_string(),
                        shares.iter().map(|(_, counts)| counts[c.index()] as f64 / n as f64).collect(),
                    )
                })
                .collect(),
        }));
    }
    report.csv(&s.out, "f5_shares.csv", &csv);
    report.table("f5", &table);
    let columns = panels.len().min(2);
    let title = "F5  Where runs end, per solver (sin 2πx, 64 points;\nstationary: ‖∇L‖ ≤ 1e-6; fitted: ‖r‖ ≤ 1e-3‖y‖)";
    report.figure(&s.out, "f5_shares", &figure(title, panels, columns))?;

    // F7: the end points of exact Newton (LBLᵀ, stops where H is singular) and of its
    // pseudo-inverse variant (continues there), loss against index, by category.
    let newtons = [SolverKind::Newton, SolverKind::NewtonPinv];
    let ends =
        |k: &SolverKind| -> Vec<&RunResult> { results.iter().filter(|r| r.solver == k.name()).collect() };
    let mut csv = Table::default();
    for r in results.iter().filter(|r| newtons.iter().any(|k| k.name() == r.solver)) {
        csv.row([
            ("solver", r.solver.to_string()),
            ("arch", r.arch.clone()),
            ("seed", r.seed.to_string()),
            ("loss", num(r.loss)),
            ("index", num(r.index)),
            ("grad_norm", num(r.grad_norm)),
            ("status", r.status.to_string()),
            ("category", r.category.name().to_string()),
            ("fit_ratio", num(r.fit_ratio)),
            ("max_target_cosine", num(r.max_target_cosine)),
        ]);
    }
    report.csv(&s.out, "f7_loss_vs_index.csv", &csv);
    let mut table = Table::default();
    let mut panels = Vec::new();
    for k in &newtons {
        let mine = ends(k);
        let of = |c: Category| mine.iter().copied().filter(move |r| r.category == c);
        let series = Category::ALL
            .iter()
            .map(|&c| Series {
                label: format!("{} ({})", c.name(), of(c).count()),
                points: of(c).map(|r| (r.index, r.loss)).collect(),
                mark: Mark::Points,
            })
            .collect();
        let title = format!("{}: {} runs", k.name(), mine.len());
        let scales = (Scale::Linear, Scale::Log10);
        panels.push(axes(&title, "index (fraction of negative eigenvalues)", "loss", scales, series));
        let still: Vec<&RunResult> = mine
            .iter()
            .copied()
            .filter(|r| matches!(r.category, Category::Saddle | Category::Minimum | Category::Degenerate))
            .collect();
        let count = |c: Category| of(c).count();
        table.row([
            ("solver", k.name().to_string()),
            ("runs", mine.len().to_string()),
            ("stationary", still.len().to_string()),
            (
                "of which saddle / degenerate / minimum",
                format!(
                    "{} / {} / {}",
                    count(Category::Saddle),
                    count(Category::Degenerate),
                    count(Category::Minimum)
                ),
            ),
            ("fitted", count(Category::Fitted).to_string()),
            ("ended with ‖u‖ < 0.1‖y‖", mine.iter().filter(|r| r.fit_ratio < 0.1).count().to_string()),
            (
                "ended with every φ_k ⟂ y − ȳ (|cos| < 0.05)",
                mine.iter().filter(|r| r.max_centered_target_cosine < 0.05).count().to_string(),
            ),
            ("median index of the stationary ends", short(median(still.iter().map(|r| r.index).collect()))),
            ("median loss of the stationary ends", short(median(still.iter().map(|r| r.loss).collect()))),
        ]);
    }
    let title =
        format!("F7  Exact Newton's end points: loss against index ({n} seeds × {})", archs.join("  "));
    report.figure(&s.out, "f7_loss_vs_index", &figure(&title, panels, 2))?;
    report.table("f7", &table);
    Ok(())
}

/// Claim 2's shares: of exact Newton's (and newton-pinv's) stationary ends in a sweep, how
/// many are trivial — the fit is ≈ 0 (‖u‖ ≤ 0.05‖y‖) or only the constant (every feature
/// ⟂ y − ȳ, |cos| < 0.05) — and how many are non-trivial saddles with a partial fit.
fn trivial_shares(report: &mut Report, plan: &Plan, results: &[RunResult]) {
    let mut table = Table::default();
    for solver in [SolverKind::Newton, SolverKind::NewtonPinv] {
        for arch in &plan.archs {
            let arch = arch.to_string();
            let stationary: Vec<&RunResult> = results
                .iter()
                .filter(|r| r.solver == solver.name() && r.arch == arch)
                .filter(|r| matches!(r.category, Category::Saddle | Category::Degenerate | Category::Minimum))
                .collect();
            let zero = stationary.iter().filter(|r| r.fit_ratio <= 0.05).count();
            let constant = stationary
                .iter()
                .filter(|r| r.fit_ratio > 0.05 && r.max_centered_target_cosine < 0.05)
                .count();
            let partial: Vec<f64> = stationary
                .iter()
                .filter(|r| r.fit_ratio > 0.05 && r.max_centered_target_cosine >= 0.05)
                .map(|r| r.fit_ratio)
                .collect();
            table.row([
                ("solver", solver.name().to_string()),
                ("network", arch),
                ("runs", plan.seeds.clone().count().to_string()),
                ("stationary ends", stationary.len().to_string()),
                ("trivial: u ≈ 0", zero.to_string()),
                ("trivial: constant fit", constant.to_string()),
                ("non-trivial saddles (partial fit)", partial.len().to_string()),
                (
                    "their median ‖u‖/‖y‖",
                    if partial.is_empty() { "–".to_string() } else { short(median(partial)) },
                ),
            ]);
        }
    }
    report.table("f5_trivial", &table);
}

/// F6 (claim 3): the PINN −u'' = π² sin(πx) on 32 points, u = x(1−x)·N(x): every solver
/// from one start, the basis after the operator at the end points of both exact Newtons
/// and of saddle-free Newton, and where the runs end over seeds.
pub fn f6(s: &Settings, report: &mut Report) -> anyhow::Result<()> {
    let problem = network(ProblemKind::Pinn, "1,8,1")?;
    let fits = family_fits(&problem, &glorot_normal(&problem.arch, PINN_SEED), s.pick(500, 100))?;
    let title = "F6  PINN −u'' = π² sin πx: every solver from the same start";
    solver_figures(s, report, (&problem, PINN_SEED), &fits, "f6_pinn", title, "f6")?;
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
    let mut table = Table::default();
    for (solver, counts) in sweep::shares(&results, &plan.solvers) {
        let mine: Vec<&RunResult> = results.iter().filter(|r| r.solver == solver.to_string()).collect();
        let constant =
            mine.iter().map(|r| r.constant_features as f64).sum::<f64>() / mine.len().max(1) as f64;
        table.row(Shares { solver: &solver, runs: n, counts: &counts }.cells(false).chain([
            (
                "ended with every Lφ_k ⟂ f − f̄ (|cos| < 0.05)".to_string(),
                mine.iter().filter(|r| r.max_centered_target_cosine < 0.05).count().to_string(),
            ),
            ("mean constant (saturated) features".into(), short(constant)),
            ("median final loss".into(), short(median(mine.iter().map(|r| r.loss).collect()))),
        ]));
    }
    report.table("f6_shares", &table);
    Ok(())
}
