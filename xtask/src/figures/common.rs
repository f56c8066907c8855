//! What the figure files share, so that none imports another: the settings, the study's
//! data and networks, single runs, the field's problem files of examples/problems
//! (`FieldProblem`), the category of an end, the split H = G + (H − G) and its table, and
//! the panel helpers. It imports neither the registry (`mod.rs`) nor a figure file.

use std::path::PathBuf;

use saddle_cli::study::compiled::Derivatives;
use saddle_cli::study::experiments::curvature::{Split, spectral_norm};
use saddle_cli::study::experiments::{Category, Fit, fit};
use saddle_cli::study::init::glorot_normal;
use saddle_cli::study::io::csv::{Dataset, read_data_csv};
use saddle_cli::study::loss::LossSource;
use saddle_cli::study::problem::{NetworkProblem, Problem, ProblemDef, ProblemKind};
use saddle_cli::study::problem_file::SolutionError;
use saddle_graph::{Activation, Arch};
use saddle_solvers::{Control, Method, SolverKind};

use crate::plot::{Axes, Figure, Panel, Scale, Series};
use crate::report::{Report, Table, short};

/// The workspace root (xtask lives one level below it).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits in the workspace").to_path_buf()
}

/// A progress bar on stderr when it is a terminal (the command line's).
pub use saddle_cli::study::progress::progress_bar as progress;

/// Settings shared by every figure.
pub struct Settings {
    /// Reduced sizes (seeds, iterations, grids) so the whole set runs in under two minutes.
    pub quick: bool,
    /// Where figures, CSVs and run records go.
    pub out: PathBuf,
    /// F10 and F12 only: run this one part (a problem, a size) and write its shard, nothing
    /// else.
    pub shard: Option<String>,
    /// F10 and F12 only: make the figure and tables from the shards in OUT/f10 or OUT/f12
    /// instead of running.
    pub merge: bool,
}

impl Settings {
    /// `full` normally, `quick` with --quick.
    pub fn pick<T>(&self, full: T, quick: T) -> T {
        if self.quick { quick } else { full }
    }
}

/// A shard's text: with `--merge` read from OUT/`figure`/`file`, else made by `make` and
/// staged there. `part` and `id` (e.g. `wave`, `F10`) name the command that makes it.
pub fn shard_text(
    s: &Settings,
    report: &mut Report,
    (id, figure, part, file): (&str, &str, &str, &str),
    make: impl FnOnce() -> anyhow::Result<String>,
) -> anyhow::Result<String> {
    let path = s.out.join(figure).join(file);
    if s.merge {
        return std::fs::read_to_string(&path).map_err(|e| {
            anyhow::anyhow!("{}: {e} (make it with --only {id} --shard {part})", path.display())
        });
    }
    let text = make()?;
    let dir = path.parent().expect("OUT/figure");
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", dir.display()))?;
    report.file(path, text.clone().into_bytes());
    Ok(text)
}

/// The seed of the single-start regression figures (F1–F4): the one the README's main
/// command uses. Exact Newton's end point depends on the start and, being unstable, on
/// the last bits of the arithmetic; the single starts illustrate the end the sweeps
/// (F5) count, and the counts are the evidence (docs/REPRODUCTION.md).
pub const SEED: u64 = 8;

pub fn arch(s: &str) -> Arch {
    s.parse().expect("a valid architecture")
}

/// The study's data: the files the README's commands use, so the figures and the command
/// line see bit-identical numbers (exact Newton's end point can depend on the last bit).
pub fn study_data(kind: ProblemKind) -> anyhow::Result<Dataset> {
    let file = match kind {
        ProblemKind::Regression => "examples/sine.csv",
        ProblemKind::Pinn => "examples/poisson.csv",
    };
    Ok(read_data_csv(&root().join(file))?)
}

pub fn network(kind: ProblemKind, arch_text: &str) -> anyhow::Result<Problem> {
    Ok(Problem::new(kind, arch(arch_text), Activation::Tanh, study_data(kind)?)?)
}

/// One run of `solver` (default settings, ‖∇L‖ ≤ 1e-10) from θ₀ with `source`'s compiled
/// `derivs`.
pub fn run(
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

pub fn axes(title: &str, x: &str, y: &str, (x_scale, y_scale): (Scale, Scale), series: Vec<Series>) -> Panel {
    Panel::Axes(Axes { title: title.into(), x_label: x.into(), y_label: y.into(), x_scale, y_scale, series })
}

pub fn figure(title: &str, panels: Vec<Panel>, columns: usize) -> Figure {
    Figure { title: title.into(), panels, columns }
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

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
        let path = root().join(format!("examples/problems/{name}.toml"));
        let spec = path
            .to_str()
            .ok_or_else(|| anyhow::anyhow!("{}: not UTF-8", path.display()))?
            .parse()
            .map_err(anyhow::Error::msg)?;
        let def = ProblemDef::new(&spec, None)?;
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

    /// The test points (one row of inputs each) and u(θ) − u* there (the first output's);
    /// `None` without an exact solution.
    pub fn errors(&self, theta: &[f64]) -> anyhow::Result<Option<(Vec<f64>, Vec<f64>)>> {
        let Some(mut error) = self.error.clone() else { return Ok(None) };
        let errors = error.errors(theta, 0)?.to_vec();
        Ok(Some((error.points().to_vec(), errors)))
    }

    /// Glorot-normal θ₀ from `seed`.
    pub fn start(&self, seed: u64) -> Vec<f64> {
        glorot_normal(self.network.arch(), seed)
    }

    /// Minimizes from θ₀ with `method` for at most `max_iter` iterations, recording loss
    /// and rel_l2 at every iteration.
    pub fn run(&self, method: &mut dyn Method, theta0: Vec<f64>, max_iter: usize) -> anyhow::Result<History> {
        self.run_within(method, theta0, Control { max_iter, ..Control::default() })
    }

    /// As [`FieldProblem::run`], for at most `seconds` of wall time instead.
    pub fn run_for(
        &self,
        method: &mut dyn Method,
        theta0: Vec<f64>,
        seconds: f64,
    ) -> anyhow::Result<History> {
        let control = Control { max_iter: usize::MAX, max_seconds: Some(seconds), ..Control::default() };
        self.run_within(method, theta0, control)
    }

    /// Minimizes within `control`'s limits, with the study's gtol 1e-10.
    fn run_within(
        &self,
        method: &mut dyn Method,
        theta0: Vec<f64>,
        control: Control,
    ) -> anyhow::Result<History> {
        let source = self.network.source();
        let derivs = self.derivs.clone();
        let mut error = self.error.clone();
        let control = Control { gtol: 1e-10, ..control };
        let mut points = Vec::new();
        let fit = fit(source, derivs, method, theta0, &control, error.as_mut(), &mut |r, e| {
            points.push((r.iter, r.seconds, r.loss, e.unwrap_or(f64::NAN)))
        })?;
        Ok(History { points, fit })
    }
}

/// The category of a fit's end at the study's stationary tolerance.
pub fn category(fit: &Fit) -> Category {
    Category::of(&fit.endpoint, 1e-6)
}

/// The iterations at which the wall-time curves are sampled: every one up to 99, then every
/// 10th up to 999, and so on.
pub fn sampled(iter: usize) -> bool {
    iter <= 10 || {
        let step = 10usize.pow((iter as f64).log10().floor() as u32 - 1).max(1);
        iter.is_multiple_of(step)
    }
}

/// The split at a fit's last iterate.
pub fn split_of(derivs: &Derivatives, fit: &Fit) -> anyhow::Result<Split> {
    Ok(Split::at(&mut derivs.clone(), &fit.outcome.last.x, fit.endpoint.loss)?)
}

/// One row of a split table: the medians over `ends` (which `which` describes).
fn split_row(table: &mut Table, solver: &str, which: &str, ends: &[Split]) {
    let med = |f: &dyn Fn(&Split) -> f64| short(median(ends.iter().map(f).collect()));
    // The median of counts is one of them (the upper one for an even number of ends).
    let count = |k: usize| {
        let m = median(ends.iter().map(|s| s.negatives(k) as f64).collect());
        if m.is_finite() { format!("{m}") } else { "–".into() }
    };
    let first = |k: usize| move |s: &Split| s.spectra[k].first().copied().unwrap_or(f64::NAN);
    let last = |k: usize| move |s: &Split| s.spectra[k].last().copied().unwrap_or(f64::NAN);
    table.row([
        ("solver", solver.to_string()),
        ("ends", format!("{} {which}", ends.len())),
        ("median loss", med(&|s| s.loss)),
        ("λ_max(G)", med(&last(1))),
        ("‖H − G‖₂ / λ_max(G)", med(&|s| spectral_norm(&s.spectra[2]) / last(1)(s))),
        ("λ_min(H − G)", med(&first(2))),
        ("negative eigenvalues of H − G", count(2)),
        ("λ_min(H)", med(&first(0))),
        ("negative eigenvalues of H", count(0)),
        ("λ_min(G) / λ_max(G)", med(&|s| first(1)(s) / last(1)(s))),
    ]);
}

/// The split's table over a set of runs: exact Newton's (and newton-pinv's) stationary
/// ends, which are where it converged to, and every end of the other solvers.
pub fn split_table(runs: &[(SolverKind, Split, Category)]) -> Table {
    let mut table = Table::default();
    let mut solvers: Vec<SolverKind> = runs.iter().map(|r| r.0).collect();
    solvers.dedup();
    for solver in solvers {
        let exact = matches!(solver, SolverKind::Newton | SolverKind::NewtonPinv);
        let stationary =
            |c: &Category| matches!(c, Category::Saddle | Category::Degenerate | Category::Minimum);
        let ends: Vec<Split> = runs
            .iter()
            .filter(|r| r.0 == solver && (!exact || stationary(&r.2)))
            .map(|r| r.1.clone())
            .collect();
        let of = runs.iter().filter(|r| r.0 == solver).count();
        let which = if exact { format!("stationary of {of}") } else { format!("of {of}") };
        split_row(&mut table, solver.name(), &which, &ends);
    }
    table
}
