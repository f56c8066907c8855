//! The study on ENGD's 2-D Poisson (F9 at equal iterations, F9t at equal wall time), its
//! problem file loaded from examples/problems through `common::FieldProblem`; Rathore et
//! al.'s problems (F10) are in `rathore`.

use saddle_cli::study::experiments::Category;
use saddle_solvers::SolverKind;

use super::common::{
    FieldProblem, History, Settings, axes, category, figure, median, progress, sampled, split_of, split_table,
};
use crate::plot::{Mark, Scale, Series};
use crate::report::{Report, Table, num, short, tally};

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
}

/// How long each run of the Poisson study may go on.
#[derive(Clone, Copy)]
pub enum Limit {
    /// At most this many iterations.
    Iterations(usize),
    /// At most this many seconds of wall time.
    Seconds(f64),
}

/// ENGD's 2-D Poisson with a [2,32,1] tanh network.
fn poisson() -> anyhow::Result<FieldProblem> {
    FieldProblem::load("poisson2d", "2,32,1")
}

/// Every solver of [`POISSON_SOLVERS`] from the same `seeds` on `problem`, each within
/// `limit`. Runs go one at a time so that their wall times are comparable; `progress` is
/// called after each.
pub fn poisson_runs(
    problem: &FieldProblem,
    seeds: u64,
    limit: Limit,
    progress: &(dyn Fn() + Sync),
) -> anyhow::Result<Vec<PoissonRun>> {
    let mut runs = Vec::new();
    for solver in POISSON_SOLVERS {
        for seed in 0..seeds {
            let mut method = solver.with_defaults();
            let history = match limit {
                Limit::Iterations(k) => problem.run(method.as_mut(), problem.start(seed), k)?,
                Limit::Seconds(t) => problem.run_for(method.as_mut(), problem.start(seed), t)?,
            };
            progress();
            runs.push(PoissonRun { solver, seed, history });
        }
    }
    Ok(runs)
}

/// The median over seeds of `y` against the median of `x`, at each sampled record of
/// `runs`; a run that stopped keeps its last record.
fn median_curve(
    runs: &[&PoissonRun],
    x: fn(&(usize, f64, f64, f64)) -> f64,
    y: fn(&(usize, f64, f64, f64)) -> f64,
) -> Vec<(f64, f64)> {
    let at = |r: &PoissonRun, k: usize| {
        *r.history.points.get(k).unwrap_or(r.history.points.last().expect("a record"))
    };
    let longest = runs.iter().map(|r| r.history.points.len()).max().unwrap_or(0);
    (1..longest)
        .filter(|&k| sampled(k))
        .map(|k| {
            (
                median(runs.iter().map(|r| x(&at(r, k))).collect()),
                median(runs.iter().map(|r| y(&at(r, k))).collect()),
            )
        })
        .collect()
}

/// rel_l2 at a run's end.
fn final_rel_l2(r: &PoissonRun) -> f64 {
    r.history.fit.rel_l2.unwrap_or(f64::NAN)
}

/// The smallest of `v`, shortened.
fn best(v: &[f64]) -> String {
    short(v.iter().copied().fold(f64::INFINITY, f64::min))
}

/// F9: ENGD's 2-D Poisson setting, every solver of [`POISSON_SOLVERS`] from the same seeds
/// for the same number of iterations.
pub fn f9(s: &Settings, report: &mut Report) -> anyhow::Result<()> {
    let (seeds, max_iter) = (s.pick(20, 1), s.pick(200, 10));
    let progress = progress(seeds * POISSON_SOLVERS.len() as u64, "  runs");
    let problem = poisson()?;
    let runs = poisson_runs(&problem, seeds, Limit::Iterations(max_iter), &|| progress.inc(1))?;
    progress.finish_and_clear();

    let mut ends = Table::default();
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
            ("rel_l2", num(final_rel_l2(run))),
        ]);
    }
    report.csv(&s.out, "f9_poisson2d.csv", &ends);

    let mut table = Table::default();
    let (mut by_iteration, mut by_seed) = (Vec::new(), Vec::new());
    for solver in POISSON_SOLVERS {
        let mine: Vec<&PoissonRun> = runs.iter().filter(|r| r.solver == solver).collect();
        let finals: Vec<f64> = mine.iter().map(|r| final_rel_l2(r)).collect();
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
                    ("best rel_l2".into(), best(&finals)),
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
        by_iteration.push(Series {
            label: solver.name().into(),
            points: median_curve(&mine, |p| p.0 as f64, |p| p.3),
            mark: Mark::Line,
        });
        by_seed.push(Series {
            label: solver.name().into(),
            points: mine.iter().map(|r| (r.seed as f64, final_rel_l2(r))).collect(),
            mark: Mark::Points,
        });
    }
    report.table("f9", &table);
    // The spectra of H, G and H − G at each end (the timed runs' ends are not split).
    let splits = runs
        .iter()
        .map(|r| Ok((r.solver, split_of(problem.derivatives(), &r.history.fit)?, category(&r.history.fit))))
        .collect::<anyhow::Result<Vec<_>>>()?;
    report.table("f9_split", &split_table(&splits));
    report.figure(
        &s.out,
        "f9_poisson2d",
        &figure(
            &format!("F9  ENGD's 2-D Poisson, [2,32,1] tanh: every solver from the same seeds, {max_iter} iterations"),
            vec![
                axes(
                    "median rel_l2 against iterations",
                    "iteration",
                    "rel_l2",
                    (Scale::Log10, Scale::Log10),
                    by_iteration,
                ),
                axes("final rel_l2 of each run", "seed", "rel_l2", (Scale::Linear, Scale::Log10), by_seed),
            ],
            2,
        ),
    )
}

/// F9 at equal wall time: every solver of [`POISSON_SOLVERS`] for [`POISSON_SECONDS`] from
/// the same seeds, one run at a time (on a quiet machine: the only machine-dependent
/// figure).
pub fn f9_time(s: &Settings, report: &mut Report) -> anyhow::Result<()> {
    let (seeds, seconds) = (s.pick(10, 1), s.pick(POISSON_SECONDS, 0.2));
    let progress = progress(seeds * POISSON_SOLVERS.len() as u64, "  runs");
    let timed = poisson_runs(&poisson()?, seeds, Limit::Seconds(seconds), &|| progress.inc(1))?;
    progress.finish_and_clear();

    let mut times = Table::default();
    for run in &timed {
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
    report.csv(&s.out, "f9_time.csv", &times);

    let (mut table, mut by_time) = (Table::default(), Vec::new());
    for solver in POISSON_SOLVERS {
        let mine: Vec<&PoissonRun> = timed.iter().filter(|r| r.solver == solver).collect();
        let finals: Vec<f64> = mine.iter().map(|r| final_rel_l2(r)).collect();
        table.row([
            ("solver", solver.name().to_string()),
            ("runs", mine.len().to_string()),
            ("median rel_l2", short(median(finals.clone()))),
            ("best rel_l2", best(&finals)),
            ("runs with rel_l2 ≤ 1e-6", finals.iter().filter(|&&e| e <= 1e-6).count().to_string()),
            (
                "median iterations",
                median(mine.iter().map(|r| r.history.fit.outcome.iterations as f64).collect()).to_string(),
            ),
            ("stopped by", tally(mine.iter().map(|r| r.history.fit.outcome.status.name()))),
        ]);
        by_time.push(Series {
            label: solver.name().into(),
            points: median_curve(&mine, |p| p.1, |p| p.3),
            mark: Mark::Line,
        });
    }
    report.table("f9_time", &table);
    report.figure(
        &s.out,
        "f9_time",
        &figure(
            &format!(
                "F9  ENGD's 2-D Poisson, [2,32,1] tanh:\nevery solver for {seconds} s from the same seeds"
            ),
            vec![axes(
                "median rel_l2 against wall time",
                "seconds (median over seeds)",
                "rel_l2",
                (Scale::Log10, Scale::Log10),
                by_time,
            )],
            1,
        ),
    )
}

/// F9's time budget per run: about what `engd` takes for 200 iterations on 2 cores.
pub const POISSON_SECONDS: f64 = 5.0;
