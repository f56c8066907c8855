//! F10: Rathore et al.'s convection, reaction and wave run with the paper's recipe
//! (Adam → L-BFGS with memory 100 and PyTorch's stopping rules → NNCG over the paper's μ
//! grid), where L-BFGS ends classified by the exact spectrum and its split H = G + (H − G),
//! and exact Newton and newton-pinv run from there. Each problem is a shard of its own
//! (`--shard NAME` writes OUT/f10/NAME.json; `--merge` makes the figure and tables from
//! the three), so the problems can run as separate jobs.

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

use saddle_solvers::ChainSpec;

use super::common::{
    FieldProblem, History, Settings, axes, category, figure, median, sampled, shard_text, split_of,
};
use crate::plot::{Mark, Scale, Series};
use crate::report::{Report, Table, num, short, tally};

/// One of the paper's problems with the settings of its best run and its Table 2 errors.
pub struct Recipe {
    /// The problem file's stem in examples/problems.
    pub name: &'static str,
    /// Adam's iterations before L-BFGS.
    pub adam: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// L-BFGS's iteration budget: 20 per call for the paper's number of calls.
    pub lbfgs: usize,
    /// rel_l2 after Adam + L-BFGS (Table 2).
    pub paper_lbfgs: f64,
    /// rel_l2 after Adam + L-BFGS + NNCG (Table 2).
    pub paper_nncg: f64,
    /// The exact solution's modes φ(x, t) with their amplitudes, whose fitted amplitudes
    /// are reported (wave's two standing waves).
    pub modes: &'static [Mode],
}

/// One term a·φ(x, t) of an exact solution.
pub struct Mode {
    /// φ as text.
    pub label: &'static str,
    /// φ.
    pub phi: fn(f64, f64) -> f64,
    /// a.
    pub amplitude: f64,
}

/// Wave's exact solution sin(πx) cos(2πt) + ½ sin(5πx) cos(10πt).
const WAVE_MODES: [Mode; 2] = [
    Mode { label: "sin(πx)cos(2πt)", phi: |x, t| (PI * x).sin() * (2.0 * PI * t).cos(), amplitude: 1.0 },
    Mode {
        label: "sin(5πx)cos(10πt)",
        phi: |x, t| (5.0 * PI * x).sin() * (10.0 * PI * t).cos(),
        amplitude: 0.5,
    },
];

/// The three problems: convection's best run switches after 11,000 Adam steps (1,500
/// L-BFGS calls), the others after 1,000 (2,000 calls).
pub const RECIPES: [Recipe; 3] = [
    Recipe {
        name: "convection",
        adam: 11_000,
        learning_rate: 1e-4,
        lbfgs: 30_000,
        paper_lbfgs: 4.19e-3,
        paper_nncg: 1.94e-3,
        modes: &[],
    },
    Recipe {
        name: "reaction",
        adam: 1_000,
        learning_rate: 1e-3,
        lbfgs: 40_000,
        paper_lbfgs: 1.92e-2,
        paper_nncg: 9.92e-3,
        modes: &[],
    },
    Recipe {
        name: "wave",
        adam: 1_000,
        learning_rate: 1e-4,
        lbfgs: 40_000,
        paper_lbfgs: 5.52e-2,
        paper_nncg: 1.27e-2,
        modes: &WAVE_MODES,
    },
];

/// L-BFGS as the paper's code configures `torch.optim.LBFGS`: 100 pairs, strong Wolfe,
/// tolerance_grad 1e-7 and tolerance_change 1e-9 in our loss scale (half PyTorch's).
pub const LBFGS: &str = "lbfgs(memory=100,line_search=strong-wolfe,gtol_inf=5e-8,ftol=5e-10)";

/// The same L-BFGS without the slope rule (tolerance_change), which ends the paper's runs
/// at points that are not stationary: run on from where that rule stopped it.
pub const LBFGS_NO_SLOPE_RULE: &str = "lbfgs(memory=100,line_search=strong-wolfe,gtol_inf=5e-8)";

/// The paper's grid of NNCG damping values.
pub const NNCG_MU: [f64; 5] = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1];

/// Widths of the three hidden layers and the budgets that are ours, not the paper's.
pub struct Budget {
    /// The network, e.g. "2,30,30,30,1".
    pub arch: &'static str,
    /// Seeds 0..seeds.
    pub seeds: u64,
    /// Whether Adam and L-BFGS get the recipe's iterations (else `short`).
    pub short: Option<usize>,
    /// NNCG's iterations for each μ of the grid, to choose μ by the lowest loss.
    pub nncg_grid: usize,
    /// NNCG's iterations with the chosen μ.
    pub nncg: usize,
    /// Exact Newton's and newton-pinv's iterations.
    pub newton: usize,
    /// L-BFGS's iterations past its slope rule.
    pub past_rule: usize,
}

impl Budget {
    /// The study's budget, or a seconds-long one with `--quick`.
    pub fn of(s: &Settings) -> Budget {
        s.pick(
            Budget {
                arch: "2,30,30,30,1",
                seeds: 3,
                short: None,
                nncg_grid: 20,
                nncg: 100,
                newton: 5,
                past_rule: 10_000,
            },
            Budget {
                arch: "2,6,6,1",
                seeds: 1,
                short: Some(20),
                nncg_grid: 2,
                nncg: 3,
                newton: 2,
                past_rule: 5,
            },
        )
    }
}

/// One stage's run, as stored in a shard: its end and its curve.
#[derive(Clone, Serialize, Deserialize)]
pub struct StageRun {
    /// The stage's solver spec.
    pub spec: String,
    /// How it stopped.
    pub status: String,
    /// Its iterations.
    pub iterations: usize,
    /// Its wall time in seconds (machine-dependent).
    pub seconds: f64,
    /// The loss, ‖∇L‖ and rel_l2 at its end.
    pub loss: f64,
    /// ‖∇L‖₂ at its end.
    pub grad_norm: f64,
    /// rel_l2 on the file's test grid at its end.
    pub rel_l2: f64,
    /// The study's category of its end.
    pub category: String,
    /// The exact Hessian's negative, zero and positive eigenvalue counts at its end.
    pub inertia: [usize; 3],
    /// λ_min and λ_max of the exact Hessian at its end.
    pub eig: [f64; 2],
    /// (iteration within the stage, loss, rel_l2) at the sampled iterations and the last.
    pub curve: Vec<(usize, f64, f64)>,
}

impl StageRun {
    fn of(spec: String, h: &History) -> StageRun {
        let fit = &h.fit;
        let c = &fit.endpoint.curvature;
        let last = h.points.len().saturating_sub(1);
        StageRun {
            spec,
            status: fit.outcome.status.name().into(),
            iterations: fit.outcome.iterations,
            seconds: h.points.last().map_or(0.0, |p| p.1),
            loss: fit.endpoint.loss,
            grad_norm: fit.endpoint.grad_norm,
            rel_l2: fit.rel_l2.unwrap_or(f64::NAN),
            category: category(fit).name().into(),
            inertia: [c.inertia.negative, c.inertia.zero, c.inertia.positive],
            eig: [c.min_eig, c.max_eig],
            curve: h
                .points
                .iter()
                .enumerate()
                .filter(|&(k, p)| k == last || sampled(p.0))
                .map(|(_, &(k, _, loss, e))| (k, loss, e))
                .collect(),
        }
    }
}

/// The spectra of H, G = JᵀJ and H − G where L-BFGS ended: where its curvature comes from.
#[derive(Clone, Serialize, Deserialize)]
pub struct SplitEnds {
    /// λ_min and λ_max of H.
    pub h: [f64; 2],
    /// λ_min and λ_max of G (λ_min ≥ 0 to rounding).
    pub g: [f64; 2],
    /// λ_min and λ_max of H − G = Σ rᵢ∇²rᵢ.
    pub r: [f64; 2],
}

/// One seed of one problem: every stage of the recipe and what follows L-BFGS's end.
#[derive(Clone, Serialize, Deserialize)]
pub struct SeedRun {
    /// The seed of θ₀ (Glorot normal).
    pub seed: u64,
    /// Adam from θ₀.
    pub adam: StageRun,
    /// L-BFGS from Adam's end.
    pub lbfgs: StageRun,
    /// The split of the curvature where L-BFGS ended.
    pub split: SplitEnds,
    /// L-BFGS without the slope rule, from where the rule stopped it.
    pub past_rule: StageRun,
    /// NNCG from L-BFGS's end, one short run per μ of [`NNCG_MU`].
    pub nncg_grid: Vec<StageRun>,
    /// NNCG from L-BFGS's end with the grid's μ of lowest loss.
    pub nncg: StageRun,
    /// Exact Newton from L-BFGS's end.
    pub newton: StageRun,
    /// newton-pinv from L-BFGS's end.
    pub newton_pinv: StageRun,
    /// Per mode of the recipe: the amplitude fitted at L-BFGS's and at NNCG's end.
    #[serde(default)]
    pub modes: Vec<[f64; 2]>,
    /// The share of ‖u − u*‖² on the test grid outside the modes, at the same two ends.
    #[serde(default)]
    pub rest: [f64; 2],
}

/// The fitted amplitudes a + ⟨e, φ⟩/⟨φ, φ⟩ of `modes` (e = u − u* on the test grid, nearly
/// orthogonal there), and the share of ‖e‖² the modes do not account for.
fn mode_fit(problem: &FieldProblem, modes: &[Mode], theta: &[f64]) -> anyhow::Result<(Vec<f64>, f64)> {
    let Some((points, errors)) = problem.errors(theta)? else { return Ok((Vec::new(), f64::NAN)) };
    let mut explained = 0.0;
    let fitted = modes
        .iter()
        .map(|m| {
            let phi: Vec<f64> = points.chunks_exact(2).map(|p| (m.phi)(p[0], p[1])).collect();
            let (ep, pp) =
                phi.iter().zip(&errors).fold((0.0, 0.0), |(ep, pp), (f, e)| (ep + f * e, pp + f * f));
            explained += ep * ep / pp;
            m.amplitude + ep / pp
        })
        .collect();
    let total: f64 = errors.iter().map(|e| e * e).sum();
    Ok((fitted, 1.0 - explained / total))
}

/// A shard: one problem, every seed.
#[derive(Serialize, Deserialize)]
pub struct Shard {
    /// The problem's name.
    pub problem: String,
    /// The network's widths.
    pub arch: String,
    /// One entry per seed.
    pub seeds: Vec<SeedRun>,
}

fn spec(text: &str) -> anyhow::Result<ChainSpec> {
    text.parse().map_err(anyhow::Error::msg)
}

/// Runs `spec` on `problem` from `theta0` for at most `max_iter` iterations.
fn stage(problem: &FieldProblem, text: &str, theta0: Vec<f64>, max_iter: usize) -> anyhow::Result<History> {
    let mut method = spec(text)?.method().map_err(anyhow::Error::msg)?;
    problem.run(method.as_mut(), theta0, max_iter)
}

/// Runs one problem's recipe from every seed of `budget`, logging each stage's end.
pub fn run_shard(recipe: &Recipe, budget: &Budget) -> anyhow::Result<Shard> {
    let problem = FieldProblem::load(recipe.name, budget.arch)?;
    let log = |seed: u64, what: &str, r: &StageRun| {
        eprintln!(
            "      {} seed {seed}: {what} {} after {} iterations ({:.0} s), loss {}, rel_l2 {}",
            recipe.name,
            r.status,
            r.iterations,
            r.seconds,
            short(r.loss),
            short(r.rel_l2)
        )
    };
    let mut seeds = Vec::new();
    for seed in 0..budget.seeds {
        let adam_spec = format!("adam(lr={})", recipe.learning_rate);
        let adam = stage(&problem, &adam_spec, problem.start(seed), budget.short.unwrap_or(recipe.adam))?;
        let adam_run = StageRun::of(adam_spec, &adam);
        log(seed, "adam", &adam_run);
        let lbfgs =
            stage(&problem, LBFGS, adam.fit.outcome.last.x.clone(), budget.short.unwrap_or(recipe.lbfgs))?;
        let lbfgs_run = StageRun::of(LBFGS.into(), &lbfgs);
        log(seed, "lbfgs", &lbfgs_run);
        let split = split_of(problem.derivatives(), &lbfgs.fit)?;
        let ends = |k: usize| [split.spectra[k][0], *split.spectra[k].last().expect("n ≥ 1")];
        let split = SplitEnds { h: ends(0), g: ends(1), r: ends(2) };
        let end = &lbfgs.fit.outcome.last.x;
        // Each run from L-BFGS's end, with the point where it ended.
        let from_end = |text: String, iterations: usize| -> anyhow::Result<(StageRun, Vec<f64>)> {
            let history = stage(&problem, &text, end.clone(), iterations)?;
            let run = StageRun::of(text.clone(), &history);
            log(seed, &text, &run);
            Ok((run, history.fit.outcome.last.x))
        };
        let nncg_grid = NNCG_MU
            .iter()
            .map(|mu| Ok(from_end(format!("nncg(mu={mu:e})"), budget.nncg_grid)?.0))
            .collect::<anyhow::Result<Vec<_>>>()?;
        // μ chosen over the paper's grid as the paper does, but by the training loss
        // rather than the test error.
        let chosen = nncg_grid.iter().min_by(|a, b| a.loss.total_cmp(&b.loss)).expect("a μ grid");
        let (nncg, nncg_end) = from_end(chosen.spec.clone(), budget.nncg)?;
        let (newton, _) = from_end("newton".into(), budget.newton)?;
        let (newton_pinv, _) = from_end("newton-pinv".into(), budget.newton)?;
        let (past_rule, _) = from_end(LBFGS_NO_SLOPE_RULE.into(), budget.past_rule)?;
        let (at_lbfgs, rest_lbfgs) = mode_fit(&problem, recipe.modes, end)?;
        let (at_nncg, rest_nncg) = mode_fit(&problem, recipe.modes, &nncg_end)?;
        let modes = at_lbfgs.into_iter().zip(at_nncg).map(|(a, b)| [a, b]).collect();
        seeds.push(SeedRun {
            seed,
            adam: adam_run,
            lbfgs: lbfgs_run,
            split,
            past_rule,
            nncg_grid,
            nncg,
            newton,
            newton_pinv,
            modes,
            rest: [rest_lbfgs, rest_nncg],
        });
    }
    Ok(Shard { problem: recipe.name.into(), arch: budget.arch.into(), seeds })
}

/// F10: runs the problems (all, or `--shard`'s one) or merges the three shards
/// (`--merge`), then makes the figure and tables.
pub fn f10(s: &Settings, report: &mut Report) -> anyhow::Result<()> {
    let budget = Budget::of(s);
    let mut shards = Vec::new();
    for recipe in &RECIPES {
        if s.shard.as_deref().is_some_and(|only| only != recipe.name) {
            continue;
        }
        let file = format!("{}.json", recipe.name);
        let text = shard_text(s, report, ("F10", "f10", recipe.name, &file), || {
            Ok(serde_json::to_string(&run_shard(recipe, &budget)?)?)
        })?;
        let shard: Shard = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", s.out.join("f10").join(&file).display()))?;
        shards.push(shard);
    }
    if s.shard.is_some() {
        return Ok(());
    }
    let arch = shards.first().map_or(budget.arch.to_string(), |sh| sh.arch.clone());
    anyhow::ensure!(
        shards.iter().all(|sh| sh.arch == arch),
        "the F10 shards were made with different networks: {}",
        shards.iter().map(|sh| format!("{} [{}]", sh.problem, sh.arch)).collect::<Vec<_>>().join(", ")
    );
    outputs(s, report, &shards, &arch)
}

/// The median and the best of `values`, as "median (best)".
fn median_best(values: impl Iterator<Item = f64>) -> String {
    let v: Vec<f64> = values.collect();
    format!("{} ({})", short(median(v.clone())), short(v.iter().copied().fold(f64::INFINITY, f64::min)))
}

/// The last iteration of any seed's Adam → L-BFGS → NNCG curve.
fn seeds_end(shard: &Shard) -> f64 {
    shard
        .seeds
        .iter()
        .map(|r| {
            (r.adam.iterations + r.lbfgs.iterations + r.nncg.iterations.max(r.past_rule.iterations)) as f64
        })
        .fold(1.0, f64::max)
}

fn outputs(s: &Settings, report: &mut Report, shards: &[Shard], arch: &str) -> anyhow::Result<()> {
    let (mut csv, mut errors, mut ends, mut modes, mut panels) =
        (Table::default(), Table::default(), Table::default(), Table::default(), Vec::new());
    for (shard, recipe) in shards.iter().zip(&RECIPES) {
        let mut series = Vec::new();
        for run in &shard.seeds {
            let nncg = &run.nncg;
            let parts = [
                ("adam", &run.adam, 0),
                ("lbfgs", &run.lbfgs, run.adam.iterations),
                ("nncg", nncg, run.adam.iterations + run.lbfgs.iterations),
                ("newton", &run.newton, run.adam.iterations + run.lbfgs.iterations),
                ("newton-pinv", &run.newton_pinv, run.adam.iterations + run.lbfgs.iterations),
                ("lbfgs-past-rule", &run.past_rule, run.adam.iterations + run.lbfgs.iterations),
            ];
            let (mut line, mut past) = (Vec::new(), Vec::new());
            for (stage, r, offset) in parts {
                for &(k, loss, e) in &r.curve {
                    csv.row([
                        ("problem", shard.problem.clone()),
                        ("stage", stage.to_string()),
                        ("seed", run.seed.to_string()),
                        ("spec", r.spec.clone()),
                        ("iter", (offset + k).to_string()),
                        ("loss", num(loss)),
                        ("rel_l2", num(e)),
                    ]);
                    match stage {
                        "adam" | "lbfgs" | "nncg" => line.push(((offset + k).max(1) as f64, e)),
                        "lbfgs-past-rule" => past.push(((offset + k).max(1) as f64, e)),
                        _ => {}
                    }
                }
            }
            series.push(Series { label: format!("seed {}", run.seed), points: line, mark: Mark::Line });
            series.push(Series {
                label: format!("seed {}: L-BFGS run on without the slope rule", run.seed),
                points: past,
                mark: Mark::Line,
            });
        }
        let last = seeds_end(shard);
        series.push(Series {
            label: "paper: Adam + L-BFGS".into(),
            points: vec![(1.0, recipe.paper_lbfgs), (last, recipe.paper_lbfgs)],
            mark: Mark::Line,
        });
        panels.push(axes(
            &shard.problem,
            "iteration: Adam, L-BFGS, then NNCG (best μ)",
            "rel_l2 (129 × 101 test grid)",
            (Scale::Log10, Scale::Log10),
            series,
        ));

        let seeds = &shard.seeds;
        let stops = tally(seeds.iter().map(|r| r.lbfgs.status.as_str()));
        errors.row([
            ("problem", shard.problem.clone()),
            ("seeds", seeds.len().to_string()),
            ("after Adam", median_best(seeds.iter().map(|r| r.adam.rel_l2))),
            ("after Adam → L-BFGS", median_best(seeds.iter().map(|r| r.lbfgs.rel_l2))),
            ("paper, Adam → L-BFGS", short(recipe.paper_lbfgs)),
            ("after → NNCG", median_best(seeds.iter().map(|r| r.nncg.rel_l2))),
            ("paper, → NNCG", short(recipe.paper_nncg)),
            ("L-BFGS stopped by", stops),
            (
                "L-BFGS iterations",
                seeds.iter().map(|r| r.lbfgs.iterations.to_string()).collect::<Vec<_>>().join(", "),
            ),
            (
                "NNCG μ",
                seeds
                    .iter()
                    .map(|r| r.nncg.spec.trim_start_matches("nncg(mu=").trim_end_matches(')').to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            ("L-BFGS run on without the slope rule", median_best(seeds.iter().map(|r| r.past_rule.rel_l2))),
            ("it stopped by", tally(seeds.iter().map(|r| r.past_rule.status.as_str()))),
        ]);
        for run in seeds.iter().filter(|r| !r.modes.is_empty()) {
            let mut row =
                vec![("problem".to_string(), shard.problem.clone()), ("seed".into(), run.seed.to_string())];
            for (mode, fitted) in recipe.modes.iter().zip(&run.modes) {
                row.push((
                    format!("{} × {}", mode.amplitude, mode.label),
                    format!("{} → {}", short(fitted[0]), short(fitted[1])),
                ));
            }
            row.push((
                "share of the error elsewhere".into(),
                format!("{} → {}", short(run.rest[0]), short(run.rest[1])),
            ));
            row.push(("rel_l2".into(), format!("{} → {}", short(run.lbfgs.rel_l2), short(run.nncg.rel_l2))));
            modes.row(row);
        }
        for run in seeds {
            let l = &run.lbfgs;
            let after =
                |r: &StageRun| format!("{}: loss {}, rel_l2 {}", r.category, short(r.loss), short(r.rel_l2));
            ends.row([
                ("problem", shard.problem.clone()),
                ("seed", run.seed.to_string()),
                ("L-BFGS stopped by", format!("{} ({})", l.status, l.iterations)),
                ("loss", short(l.loss)),
                ("‖∇L‖", short(l.grad_norm)),
                ("category", l.category.clone()),
                ("eigenvalues − / 0 / +", format!("{} / {} / {}", l.inertia[0], l.inertia[1], l.inertia[2])),
                ("λ_min(H)", short(run.split.h[0])),
                ("λ_max(H)", short(run.split.h[1])),
                ("λ_min(H − G)", short(run.split.r[0])),
                ("λ_max(G)", short(run.split.g[1])),
                ("exact Newton from there", after(&run.newton)),
                ("newton-pinv from there", after(&run.newton_pinv)),
            ]);
        }
    }
    report.csv(&s.out, "f10_field.csv", &csv);
    report.table("f10", &errors);
    report.table("f10_stall", &ends);
    report.table("f10_modes", &modes);
    report.figure(
        &s.out,
        "f10_field",
        &figure(
            &format!("F10  Rathore et al.'s problems, [{arch}] tanh, the paper's recipe: rel_l2 through Adam → L-BFGS → NNCG"),
            panels,
            3,
        ),
    )
}
