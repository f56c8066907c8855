//! The study on the field's problems: ENGD's 2-D Poisson (F9) and Rathore et al.'s
//! convection, reaction and wave (F10), where the points at which L-BFGS stalls are
//! classified by the exact spectrum and exact Newton is run from them.

use saddle_cli::args::definition;
use saddle_cli::derivatives::Derivatives;
use saddle_cli::experiments::sweep::{Plan, RunResult};
use saddle_cli::experiments::{Category, Fit, fit};
use saddle_cli::init::glorot_normal;
use saddle_cli::problem::NetworkProblem;
use saddle_cli::problem_file::SolutionError;
use saddle_graph::{Activation, Arch};
use saddle_solvers::{ChainSpec, Control, Method, SolverKind};

use crate::curvature::{split_of, split_table};
use crate::figures::{Settings, axes, figure, median};
use crate::plot::{Mark, Scale, Series};
use crate::report::{Report, Table, num, short};

/// One fit's history: (iteration, seconds since its start, loss, rel_l2) per record.
pub struct History {
    /// Per record: iteration, seconds, loss, rel_l2.
    pub points: Vec<(usize, f64, f64, f64)>,
    /// The fit (outcome, end-point diagnostics, final rel_l2).
    pub fit: Fit,
}

/// A problem file of examples/problems with a network.
pub struct FieldProblem {
    /// The file's problem with its network.
    pub network: NetworkProblem,
    /// Its compiled derivatives, cloned for every run.
    derivs: Derivatives,
    /// Its compiled error against the exact solution, cloned for every run.
    error: Option<SolutionError>,
}

impl FieldProblem {
    /// examples/problems/`name`.toml with `arch` and tanh.
    pub fn load(name: &str, arch: &str) -> anyhow::Result<FieldProblem> {
        let path = crate::root().join(format!("examples/problems/{name}.toml"));
        let spec = path
            .to_str()
            .ok_or_else(|| anyhow::anyhow!("{}: not UTF-8", path.display()))?
            .parse()
            .map_err(anyhow::Error::msg)?;
        let def = definition(&spec, None)?;
        let arch: Arch = arch.parse().map_err(|e| anyhow::anyhow!("{arch}: {e}"))?;
        let network = def.with_network(arch, Activation::Tanh)?;
        let derivs = Derivatives::new(network.source())?;
        let error = def.solution_error(network.arch(), network.act())?;
        Ok(FieldProblem { network, derivs, error })
    }

    /// Its compiled derivatives.
    pub fn derivatives(&self) -> &Derivatives {
        &self.derivs
    }

    /// Glorot-normal θ₀ from `seed`.
    pub fn start(&self, seed: u64) -> Vec<f64> {
        glorot_normal(self.network.arch(), seed)
    }

    /// Minimizes from θ₀ with `method`, recording loss and rel_l2 at every iteration.
    pub fn run(&self, method: &mut dyn Method, theta0: Vec<f64>, max_iter: usize) -> anyhow::Result<History> {
        let source = self.network.source();
        let derivs = self.derivs.clone();
        let mut error = self.error.clone();
        let control = Control { max_iter, gtol: 1e-10, ..Control::default() };
        let mut points = Vec::new();
        let fit = fit(source, derivs, method, theta0, &control, error.as_mut(), &mut |r, e| {
            points.push((r.iter, r.seconds, r.loss, e.unwrap_or(f64::NAN)))
        })?;
        Ok(History { points, fit })
    }
}

/// The solvers of ENGD's 2-D Poisson setting, in the order of the table.
pub const POISSON_SOLVERS: [SolverKind; 8] = [
    SolverKind::Engd,
    SolverKind::Lm,
    SolverKind::GaussNewton,
    SolverKind::SsBroyden,
    SolverKind::Bfgs,
    SolverKind::Newton,
    SolverKind::NewtonPinv,
    SolverKind::SaddleFreeNewton,
];

/// One run of the Poisson study.
pub struct PoissonRun {
    /// The solver.
    pub solver: SolverKind,
    /// The seed of θ₀.
    pub seed: u64,
    /// Its history and end.
    pub history: History,
    /// The spectra of H, G and H − G at its end.
    pub split: saddle_cli::experiments::curvature::Split,
}

/// Every solver of [`POISSON_SOLVERS`] from the same `seeds` on ENGD's 2-D Poisson with a
/// [2,32,1] tanh network, each for at most `max_iter` iterations. Runs go one at a time so
/// that their wall times are comparable; `progress` is called after each.
pub fn poisson_runs(
    seeds: u64,
    max_iter: usize,
    progress: &(dyn Fn() + Sync),
) -> anyhow::Result<Vec<PoissonRun>> {
    let problem = FieldProblem::load("poisson2d", "2,32,1")?;
    let mut runs = Vec::new();
    for solver in POISSON_SOLVERS {
        for seed in 0..seeds {
            let mut method = solver.with_defaults();
            let history = problem.run(method.as_mut(), problem.start(seed), max_iter)?;
            let split = split_of(&problem.derivs, &history.fit)?;
            progress();
            runs.push(PoissonRun { solver, seed, history, split });
        }
    }
    Ok(runs)
}

/// Budgets of one of Rathore et al.'s problems: Adam's iterations and learning rate, then
/// L-BFGS's, then NNCG's and exact Newton's from L-BFGS's end.
#[derive(Clone, Copy)]
pub struct Budget {
    /// Adam's iterations.
    pub adam: usize,
    /// Adam's learning rate (the paper's best per problem).
    pub learning_rate: f64,
    /// L-BFGS's iterations after Adam.
    pub lbfgs: usize,
    /// NNCG's iterations after L-BFGS.
    pub nncg: usize,
    /// Exact Newton's and newton-pinv's iterations from L-BFGS's end.
    pub newton: usize,
}

/// Rathore et al.'s three problems with their relative L2 errors after Adam+L-BFGS and
/// after Adam+L-BFGS+NNCG (the paper's Table 2), and Adam's learning rate of their best runs.
pub const RATHORE: [(&str, f64, f64, f64); 3] = [
    ("convection", 4.19e-3, 1.94e-3, 1e-4),
    ("reaction", 1.92e-2, 9.92e-3, 1e-3),
    ("wave", 5.52e-2, 1.27e-2, 1e-4),
];

/// The stages of one problem: Adam, L-BFGS from its end, and NNCG, exact Newton and
/// newton-pinv each from L-BFGS's end.
pub struct Stages {
    /// The problem's name.
    pub name: &'static str,
    /// Adam.
    pub adam: History,
    /// L-BFGS after Adam: its end is the stall point.
    pub lbfgs: History,
    /// NNCG from the stall point.
    pub nncg: History,
    /// Exact Newton from the stall point.
    pub newton: History,
    /// Pseudo-inverse Newton from the stall point.
    pub newton_pinv: History,
}

/// Runs one of Rathore et al.'s problems with a tanh MLP `arch` from seed 0.
pub fn rathore_stages(name: &'static str, arch: &str, budget: Budget) -> anyhow::Result<Stages> {
    let problem = FieldProblem::load(name, arch)?;
    let adam: ChainSpec = format!("adam(lr={})", budget.learning_rate).parse().map_err(anyhow::Error::msg)?;
    let adam =
        problem.run(adam.method().map_err(anyhow::Error::msg)?.as_mut(), problem.start(0), budget.adam)?;
    let after_adam = adam.fit.outcome.last.x.clone();
    let lbfgs = problem.run(SolverKind::Lbfgs.with_defaults().as_mut(), after_adam, budget.lbfgs)?;
    let stall = lbfgs.fit.outcome.last.x.clone();
    let from_stall =
        |kind: SolverKind, iters| problem.run(kind.with_defaults().as_mut(), stall.clone(), iters);
    Ok(Stages {
        name,
        nncg: from_stall(SolverKind::Nncg, budget.nncg)?,
        newton: from_stall(SolverKind::Newton, budget.newton)?,
        newton_pinv: from_stall(SolverKind::NewtonPinv, budget.newton)?,
        adam,
        lbfgs,
    })
}

/// The category of a fit's end at the study's stationary tolerance.
pub fn category(fit: &Fit) -> Category {
    Category::of(&fit.endpoint, 1e-6)
}

/// The iterations at which the wall-time curves are sampled: every one up to 99, then every
/// 10th up to 999, and so on.
fn sampled(iter: usize) -> bool {
    iter <= 10 || {
        let step = 10usize.pow((iter as f64).log10().floor() as u32 - 1).max(1);
        iter.is_multiple_of(step)
    }
}

/// F9: ENGD's 2-D Poisson setting, every solver of [`POISSON_SOLVERS`] from the same seeds.
pub fn f9(s: &Settings, report: &mut Report) -> anyhow::Result<()> {
    let (seeds, max_iter) = (s.pick(20, 1), s.pick(200, 10));
    let progress = crate::progress(seeds * POISSON_SOLVERS.len() as u64, "  runs");
    let runs = poisson_runs(seeds, max_iter, &|| progress.inc(1))?;
    progress.finish_and_clear();

    let (mut ends, mut times) = (Table::default(), Table::default());
    for run in &runs {
        let fit = &run.history.fit;
        ends.row([
            ("solver", run.solver.name().to_string()),
            ("seed", run.seed.to_string()),
            ("status", fit.outcome.status.name().to_string()),
            ("iterations", fit.outcome.iterations.to_string()),
            ("category", category(fit).name().to_string()),
            ("loss", num(fit.endpoint.loss)),
            ("grad_norm", num(fit.endpoint.grad_norm)),
            ("rel_l2", num(fit.rel_l2.unwrap_or(f64::NAN))),
        ]);
        for &(iter, seconds, _, rel_l2) in run.history.points.iter().filter(|p| sampled(p.0)) {
            times.row([
                ("solver", run.solver.name().to_string()),
                ("seed", run.seed.to_string()),
                ("iter", iter.to_string()),
                ("seconds", num(seconds)),
                ("rel_l2", num(rel_l2)),
            ]);
        }
    }
    report.csv(&s.out, "f9_poisson2d.csv", &ends);
    // Wall times depend on the machine and its load: they go to a file of their own, so
    // the others are reproduced bit for bit.
    report.csv(&s.out, "f9_poisson2d_times.csv", &times);

    let mut table = Table::default();
    let (mut by_time, mut by_seed) = (Vec::new(), Vec::new());
    for solver in POISSON_SOLVERS {
        let mine: Vec<&PoissonRun> = runs.iter().filter(|r| r.solver == solver).collect();
        let finals: Vec<f64> = mine.iter().map(|r| r.history.fit.rel_l2.unwrap_or(f64::NAN)).collect();
        let mut counts = [0usize; 5];
        for r in &mine {
            counts[category(&r.history.fit).index()] += 1;
        }
        table.row(
            [("solver".to_string(), solver.name().to_string()), ("runs".into(), mine.len().to_string())]
                .into_iter()
                .chain(
                    Category::ALL.iter().map(|c| (c.name().replace('_', " "), counts[c.index()].to_string())),
                )
                .chain([
                    ("median final rel_l2".into(), short(median(finals.clone()))),
                    ("best rel_l2".into(), short(finals.iter().copied().fold(f64::INFINITY, f64::min))),
                    (
                        "runs with rel_l2 ≤ 1e-6".into(),
                        finals.iter().filter(|&&e| e <= 1e-6).count().to_string(),
                    ),
                    (
                        "median iterations".into(),
                        median(mine.iter().map(|r| r.history.fit.outcome.iterations as f64).collect())
                            .to_string(),
                    ),
                ]),
        );
        // The median over seeds of rel_l2 against the median of the seconds taken, at each
        // sampled iteration; a run that stopped keeps its last values.
        let at = |r: &PoissonRun, k: usize| {
            *r.history.points.get(k).unwrap_or(r.history.points.last().expect("a record"))
        };
        let longest = mine.iter().map(|r| r.history.points.len()).max().unwrap_or(0);
        let points = (1..longest)
            .filter(|&k| sampled(k))
            .map(|k| {
                (
                    median(mine.iter().map(|r| at(r, k).1).collect()),
                    median(mine.iter().map(|r| at(r, k).3).collect()),
                )
            })
            .collect();
        by_time.push(Series { label: solver.name().into(), points, mark: Mark::Line });
        by_seed.push(Series {
            label: solver.name().into(),
            points: mine.iter().map(|r| (r.seed as f64, r.history.fit.rel_l2.unwrap_or(f64::NAN))).collect(),
            mark: Mark::Points,
        });
    }
    report.table("f9", &table);
    let splits =
        runs.iter().map(|r| (r.solver, r.split.clone(), category(&r.history.fit))).collect::<Vec<_>>();
    report.table("f9_split", &split_table(&splits));
    report.figure(
        &s.out,
        "f9_poisson2d",
        &figure(
            "F9  ENGD's 2-D Poisson, [2,32,1] tanh: every solver from the same seeds",
            vec![
                axes(
                    "median rel_l2 against wall time",
                    "seconds (median over seeds)",
                    "rel_l2",
                    (Scale::Log10, Scale::Log10),
                    by_time,
                ),
                axes("final rel_l2 of each run", "seed", "rel_l2", (Scale::Linear, Scale::Log10), by_seed),
            ],
            2,
        ),
    )
}

/// F10: Rathore et al.'s convection, reaction and wave: Adam → L-BFGS → NNCG, and exact
/// Newton and newton-pinv from the point where L-BFGS stopped.
pub fn f10(s: &Settings, report: &mut Report) -> anyhow::Result<()> {
    let arch = s.pick("2,30,30,30,1", "2,6,6,1");
    let progress = crate::progress(RATHORE.len() as u64, "  problems");
    let stages: Vec<Stages> = RATHORE
        .iter()
        .map(|&(name, _, _, learning_rate)| {
            let budget = Budget {
                adam: s.pick(if name == "convection" { 11000 } else { 1000 }, 20),
                learning_rate,
                lbfgs: s.pick(2000, 20),
                nncg: s.pick(100, 5),
                newton: s.pick(20, 3),
            };
            let stages = rathore_stages(name, arch, budget);
            progress.inc(1);
            stages
        })
        .collect::<anyhow::Result<_>>()?;
    progress.finish_and_clear();

    let (mut csv, mut errors, mut stalls, mut panels) =
        (Table::default(), Table::default(), Table::default(), Vec::new());
    for (st, &(_, paper_lbfgs, paper_nncg, _)) in stages.iter().zip(&RATHORE) {
        let adam_end = st.adam.fit.outcome.iterations;
        let lbfgs_end = adam_end + st.lbfgs.fit.outcome.iterations;
        let parts = [
            ("adam", &st.adam, 0),
            ("lbfgs", &st.lbfgs, adam_end),
            ("nncg", &st.nncg, lbfgs_end),
            ("newton", &st.newton, lbfgs_end),
            ("newton-pinv", &st.newton_pinv, lbfgs_end),
        ];
        let mut series = Vec::new();
        for (stage, history, offset) in parts {
            let points: Vec<(f64, f64)> =
                history.points.iter().map(|&(k, _, _, e)| ((offset + k) as f64, e)).collect();
            for &(k, _, loss, e) in &history.points {
                csv.row([
                    ("problem", st.name.to_string()),
                    ("stage", stage.to_string()),
                    ("iter", (offset + k).to_string()),
                    ("loss", num(loss)),
                    ("rel_l2", num(e)),
                ]);
            }
            series.push(Series { label: stage.into(), points, mark: Mark::Line });
        }
        panels.push(axes(
            st.name,
            "iteration (stages in turn)",
            "rel_l2",
            (Scale::Linear, Scale::Log10),
            series,
        ));
        let rel = |h: &History| short(h.fit.rel_l2.unwrap_or(f64::NAN));
        errors.row([
            ("problem", st.name.to_string()),
            ("after Adam", rel(&st.adam)),
            ("after Adam → L-BFGS", rel(&st.lbfgs)),
            ("paper", short(paper_lbfgs)),
            ("after → NNCG", rel(&st.nncg)),
            ("paper", short(paper_nncg)),
            (
                "L-BFGS ended (iterations)",
                format!("{} ({})", st.lbfgs.fit.outcome.status.name(), st.lbfgs.fit.outcome.iterations),
            ),
        ]);
        let end = &st.lbfgs.fit.endpoint;
        let c = &end.curvature;
        let after = |h: &History| {
            format!(
                "{} (loss {}, ‖∇L‖ {}, rel_l2 {})",
                category(&h.fit).name(),
                short(h.fit.endpoint.loss),
                short(h.fit.endpoint.grad_norm),
                rel(h)
            )
        };
        stalls.row([
            ("problem", st.name.to_string()),
            ("loss where L-BFGS stopped", short(end.loss)),
            ("‖∇L‖", short(end.grad_norm)),
            (
                "eigenvalues − / 0 / +",
                format!("{} / {} / {}", c.inertia.negative, c.inertia.zero, c.inertia.positive),
            ),
            ("λ_min", short(c.min_eig)),
            ("λ_max", short(c.max_eig)),
            ("category", category(&st.lbfgs.fit).name().to_string()),
            ("exact Newton from there", after(&st.newton)),
            ("newton-pinv from there", after(&st.newton_pinv)),
        ]);
    }
    report.csv(&s.out, "f10_field.csv", &csv);
    report.table("f10", &errors);
    report.table("f10_stall", &stalls);
    report.figure(
        &s.out,
        "f10_field",
        &figure(
            &format!("F10  Rathore et al.'s problems, [{arch}] tanh: rel_l2 through Adam → L-BFGS,\nthen NNCG, exact Newton and newton-pinv from where L-BFGS stopped"),
            panels,
            3,
        ),
    )
}

/// Claim 2's shares: of exact Newton's (and newton-pinv's) stationary ends in a sweep, how
/// many are trivial — the fit is ≈ 0 (‖u‖ ≤ 0.05‖y‖) or only the constant (every feature
/// ⟂ y − ȳ, |cos| < 0.05) — and how many are non-trivial saddles with a partial fit.
pub fn trivial_shares(report: &mut Report, plan: &Plan, results: &[RunResult]) {
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
