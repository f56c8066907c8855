//! F12 (claim 2 at the field's scale): Newton by MINRES-QLP on exact HVPs
//! (`newton-minres`, each solve capped at a stated number of HVPs) beside lm, bfgs and
//! lbfgs from the same ten seeds, at 4,417 to 66,561 parameters. Each size is a shard: `--shard NAME` writes OUT/f12/NAME.jsonl, the lines
//! `saddle sweep` writes for the same plan, and `--merge` makes the figure and tables from
//! the four files.

use std::path::Path;

use saddle_cli::study::experiments::Category;
use saddle_cli::study::experiments::sweep::{self, Plan, Shard};
use saddle_cli::study::problem::{ProblemDef, ProblemKind};
use saddle_graph::Activation;
use saddle_solvers::{ChainSpec, Control};
use serde::Deserialize;

use super::common::{Settings, arch, figure, median, progress, root, shard_text, study_data};
use crate::plot::{Bars, Panel};
use crate::report::{Report, Table, num, short};

/// One size of F12: a problem, a network and the solvers with their budgets.
pub struct Size {
    /// The shard's name.
    pub name: &'static str,
    /// `sine` (the regression of examples/sine.csv) or a problem file of examples/problems.
    problem: &'static str,
    /// The network (the quick run's in `quick_arch`).
    arch: &'static str,
    quick_arch: &'static str,
    /// Each solver as a `--solver` spec without its count, and its iteration budget.
    solvers: &'static [(&'static str, usize)],
}

/// The sizes, smallest problem first, with budgets that keep the whole of F12 near an hour
/// on 2 cores (docs/REPRODUCTION.md gives each step's cost). lm and bfgs build n × n
/// matrices, so they run where those fit the dense limit (n ≤ 11,585); newton-pinv's dense
/// Hessian and eigendecomposition per step are affordable at 4,417 only.
pub const SIZES: [Size; 4] = [
    Size {
        name: "sine-128",
        problem: "sine",
        arch: "1,128,128,1",
        quick_arch: "1,8,8,1",
        solvers: &[("newton-minres(max_products=2000)", 50), ("lbfgs", 5000)],
    },
    Size {
        name: "sine-256",
        problem: "sine",
        arch: "1,256,256,1",
        quick_arch: "1,12,12,1",
        solvers: &[("newton-minres(max_products=2000)", 20), ("lbfgs", 5000)],
    },
    Size {
        name: "poisson-64",
        problem: "poisson2d",
        arch: "2,64,64,1",
        quick_arch: "2,6,6,1",
        solvers: &[
            ("newton-minres(max_products=500)", 12),
            ("newton-pinv", 3),
            ("lm", 5),
            ("bfgs", 500),
            ("lbfgs", 500),
        ],
    },
    Size {
        name: "poisson-128",
        problem: "poisson2d",
        arch: "2,128,128,1",
        quick_arch: "2,8,8,1",
        solvers: &[("newton-minres(max_products=300)", 8), ("lbfgs", 500)],
    },
];

/// The seeds every solver starts from.
const SEEDS: u64 = 10;

impl Size {
    /// The problem as the command line names it from the workspace root.
    fn problem_name(&self) -> String {
        match self.problem {
            "sine" => "regression".into(),
            file => format!("examples/problems/{file}.toml"),
        }
    }

    /// The sweep of this size: every solver from every seed, stationary at ‖∇L‖ ≤ 1e-6.
    fn plan(&self, s: &Settings) -> anyhow::Result<Plan> {
        let problem = if self.problem == "sine" {
            ProblemDef::Builtin { kind: ProblemKind::Regression, data: study_data(ProblemKind::Regression)? }
        } else {
            let path = root().join(format!("examples/problems/{}.toml", self.problem));
            let spec = path.to_str().expect("a UTF-8 workspace path").parse().map_err(anyhow::Error::msg)?;
            ProblemDef::new(&spec, None)?
        };
        let solvers = self
            .solvers
            .iter()
            .map(|(spec, budget)| {
                format!("{spec}:{}", s.pick(*budget, 4)).parse().map_err(anyhow::Error::msg)
            })
            .collect::<anyhow::Result<Vec<ChainSpec>>>()?;
        Ok(Plan {
            problem,
            archs: vec![arch(s.pick(self.arch, self.quick_arch))],
            act: Activation::Tanh,
            solvers,
            seeds: 0..s.pick(SEEDS, 2),
            control: Control { gtol: 1e-10, ..Control::default() },
            stationary_tol: 1e-6,
        })
    }
}

/// The fields of a sweep line F12 reads.
#[derive(Deserialize)]
struct End {
    solver: String,
    params: usize,
    status: String,
    iterations: usize,
    loss: f64,
    grad_norm: f64,
    category: String,
    fit_ratio: f64,
    max_centered_target_cosine: f64,
    min_eig: Option<f64>,
    evals: Evals,
}

#[derive(Deserialize)]
struct Evals {
    hvp: u64,
}

fn parse(path: &Path, text: &str) -> anyhow::Result<Vec<End>> {
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| anyhow::anyhow!("{}: line {}: {e}", path.display(), i + 1))
        })
        .collect()
}

/// F12: runs the sizes (all, or `--shard`'s one) or reads their shards (`--merge`), then
/// makes the figure and tables.
pub fn f12(s: &Settings, report: &mut Report) -> anyhow::Result<()> {
    let mut sizes = Vec::new();
    for size in &SIZES {
        if s.shard.as_deref().is_some_and(|only| only != size.name) {
            continue;
        }
        let file = format!("{}.jsonl", size.name);
        let text = shard_text(s, report, ("F12", "f12", size.name, &file), || {
            let plan = size.plan(s)?;
            let bar = progress(plan.runs().len() as u64, &format!("  {} runs", size.name));
            let mut results = sweep::run(&plan, Shard::ALL, &|| bar.inc(1))?;
            bar.finish_and_clear();
            // The problem as `saddle sweep` run from the workspace root names it, not this
            // machine's absolute path.
            for r in &mut results {
                r.problem = size.problem_name();
            }
            Ok(sweep::json_lines(&results))
        })?;
        let path = s.out.join("f12").join(&file);
        sizes.push((size, parse(&path, &text)?));
    }
    if s.shard.is_some() {
        return Ok(());
    }
    outputs(s, report, &sizes)
}

/// Whether a run ended with u ≈ 0: ‖u‖ ≤ 0.05‖target‖ (F5's trivial point).
fn at_zero(end: &End) -> bool {
    end.fit_ratio <= 0.05
}

/// Whether a run stopped at a stationary point (saddle, degenerate point or minimum).
fn stationary(end: &End) -> bool {
    [Category::Saddle, Category::Degenerate, Category::Minimum]
        .map(Category::name)
        .contains(&end.category.as_str())
}

/// The figure, its CSV and the tables `f12` (where each solver ends) and `f12_newton`
/// (what exact Newton's ends are).
fn outputs(s: &Settings, report: &mut Report, sizes: &[(&Size, Vec<End>)]) -> anyhow::Result<()> {
    let categories = Category::ALL.map(Category::name);
    let (mut csv, mut table, mut newton, mut panels) =
        (Table::default(), Table::default(), Table::default(), Vec::new());
    for (size, ends) in sizes {
        let mut solvers: Vec<&str> = ends.iter().map(|e| e.solver.as_str()).collect();
        solvers.dedup();
        let params = ends.first().map_or(0, |e| e.params);
        // The figure splits `not converged` into the runs that ended at u ≈ 0 (still
        // approaching the trivial point when the budget ran out) and the rest.
        let mut stacks: Vec<(String, Vec<f64>)> = categories[..4]
            .iter()
            .map(|c| c.to_string())
            .chain(["not converged, at u ≈ 0".into(), "not converged, elsewhere".into()])
            .map(|label| (label, vec![]))
            .collect();
        for solver in &solvers {
            let mine: Vec<&End> = ends.iter().filter(|e| e.solver == *solver).collect();
            let count = |c: &str| mine.iter().filter(|e| e.category == c).count();
            let head = [
                ("size", size.name.to_string()),
                ("n", params.to_string()),
                ("solver (budget)", solver.to_string()),
                ("runs", mine.len().to_string()),
            ];
            let own_rule = mine.iter().filter(|e| e.status != "max_iterations").count();
            let moving_at_zero =
                mine.iter().filter(|e| e.category == Category::NotConverged.name() && at_zero(e)).count();
            let tail = [
                ("not converged at u ≈ 0", moving_at_zero.to_string()),
                ("stopped by its own rule", own_rule.to_string()),
                ("median iterations", whole(median(mine.iter().map(|e| e.iterations as f64).collect()))),
                ("median final loss", short(median(mine.iter().map(|e| e.loss).collect()))),
            ];
            csv.row(
                head.iter()
                    .cloned()
                    .chain(categories.iter().map(|&c| (c, num(count(c) as f64 / mine.len() as f64))))
                    .chain(tail.iter().cloned()),
            );
            table.row(
                head.iter()
                    .cloned()
                    .chain(categories.iter().map(|&c| (c, count(c).to_string())))
                    .chain(tail.iter().cloned())
                    .map(|(k, v)| (k.replace('_', " "), v)),
            );
            let moving = count(Category::NotConverged.name());
            let counts =
                categories[..4].iter().map(|&c| count(c)).chain([moving_at_zero, moving - moving_at_zero]);
            for (stack, c) in stacks.iter_mut().zip(counts) {
                stack.1.push(c as f64 / mine.len() as f64);
            }
            if solver.starts_with("newton-minres") {
                newton.row(newton_row(size, params, &mine));
            }
        }
        panels.push(Panel::Bars(Bars {
            title: format!(
                "{} [{}], n = {params}, {} seeds",
                size.problem,
                size_arch(s, size),
                s.pick(SEEDS, 2)
            ),
            value_label: "share of runs".into(),
            groups: solvers.iter().map(|k| k.to_string()).collect(),
            stacks,
        }));
    }
    report.csv(&s.out, "f12_scale.csv", &csv);
    report.table("f12", &table);
    report.table("f12_newton", &newton);
    let title = "F12  Where Newton with capped MINRES-QLP solves (newton-minres) and the safeguarded\n\
                 solvers end at 10⁴–10⁵ parameters (stationary: ‖∇L‖ ≤ 1e-6; fitted: ‖r‖ ≤ 1e-3‖target‖)";
    report.figure(&s.out, "f12_scale", &figure(title, panels, 2))
}

fn size_arch<'a>(s: &Settings, size: &'a Size) -> &'a str {
    s.pick(size.arch, size.quick_arch)
}

/// What exact Newton's runs at one size end at: trivial (u ≈ 0, or every feature ⟂ the
/// centred target) or partial-fit saddles, and how far the rest got.
fn newton_row(size: &Size, params: usize, runs: &[&End]) -> Vec<(&'static str, String)> {
    let still: Vec<&&End> = runs.iter().filter(|e| stationary(e)).collect();
    let zero = still.iter().filter(|e| at_zero(e)).count();
    let constant = still.iter().filter(|e| !at_zero(e) && e.max_centered_target_cosine < 0.05).count();
    let partial: Vec<f64> = still
        .iter()
        .filter(|e| !at_zero(e) && e.max_centered_target_cosine >= 0.05)
        .map(|e| e.fit_ratio)
        .collect();
    let moving: Vec<&&End> = runs.iter().filter(|e| e.category == Category::NotConverged.name()).collect();
    let hvps = median(runs.iter().map(|e| e.evals.hvp as f64 / e.iterations.max(1) as f64).collect());
    vec![
        ("size", size.name.to_string()),
        ("n", params.to_string()),
        ("runs", runs.len().to_string()),
        ("stationary ends", still.len().to_string()),
        ("trivial: u ≈ 0", zero.to_string()),
        ("trivial: constant fit", constant.to_string()),
        ("partial-fit saddles", partial.len().to_string()),
        ("their median ‖u‖/‖target‖", or_dash(median(partial))),
        ("fitted", runs.iter().filter(|e| e.category == Category::Fitted.name()).count().to_string()),
        ("not converged", moving.len().to_string()),
        ("of which at u ≈ 0", moving.iter().filter(|e| at_zero(e)).count().to_string()),
        ("their median ‖∇L‖", or_dash(median(moving.iter().map(|e| e.grad_norm).collect()))),
        (
            "median λmin at the stationary ends",
            or_dash(median(still.iter().filter_map(|e| e.min_eig).collect())),
        ),
        ("median HVPs per step", whole(hvps)),
    ]
}

/// A median (of counts) as a whole number, `–` when there is none.
fn whole(v: f64) -> String {
    if v.is_finite() { format!("{}", v.round()) } else { "–".into() }
}

/// A median as [`short`] writes it, `–` when there is none.
fn or_dash(v: f64) -> String {
    if v.is_finite() { short(v) } else { "–".into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(category: Category, fit_ratio: f64, cosine: f64, grad_norm: f64) -> End {
        End {
            solver: "newton-minres:5".into(),
            params: 97,
            status: "max_iterations".into(),
            iterations: 5,
            loss: 1.0,
            grad_norm,
            category: category.name().into(),
            fit_ratio,
            max_centered_target_cosine: cosine,
            min_eig: Some(-2.0),
            evals: Evals { hvp: 40 },
        }
    }

    #[test]
    fn newton_ends_are_sorted_into_trivial_partial_and_moving() {
        let runs = [
            end(Category::Saddle, 1e-9, 0.9, 1e-8),       // trivial: u ≈ 0
            end(Category::Degenerate, 0.3, 0.01, 1e-7),   // trivial: a constant fit
            end(Category::Saddle, 0.8, 0.4, 1e-7),        // a partial fit
            end(Category::Saddle, 0.6, 0.2, 1e-7),        // a partial fit
            end(Category::NotConverged, 1e-4, 0.5, 3e-3), // moving, at u ≈ 0
            end(Category::NotConverged, 2.0, 0.5, 5.0),   // moving, elsewhere
            end(Category::Fitted, 1.0, 1.0, 1e-3),
        ];
        let refs: Vec<&End> = runs.iter().collect();
        let row: std::collections::HashMap<&str, String> =
            newton_row(&SIZES[0], 97, &refs).into_iter().collect();
        let expected = [
            ("runs", "7"),
            ("stationary ends", "4"),
            ("trivial: u ≈ 0", "1"),
            ("trivial: constant fit", "1"),
            ("partial-fit saddles", "2"),
            ("their median ‖u‖/‖target‖", "0.800"),
            ("fitted", "1"),
            ("not converged", "2"),
            ("of which at u ≈ 0", "1"),
            ("median λmin at the stationary ends", "-2.000"),
            ("median HVPs per step", "8"),
        ];
        for (column, value) in expected {
            assert_eq!(row[column], value, "{column}");
        }
    }
}
