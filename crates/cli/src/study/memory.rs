//! The memory a command will need, estimated from the sizes the user gives (points,
//! widths, probes, steps) and checked against a limit before anything of that size is
//! allocated (docs/CONTRACT.md, "Memory").
//!
//! Almost all of a command's memory is the buffers of its compiled derivative programs
//! (every intermediate value of the loss and its derivatives at every point: about 1 KB
//! per point for a small PINN's gradient, ten times that with the dense Hessian's
//! programs) and its dense matrices. The programs' buffers are planned exactly, without
//! allocating them ([`planned_bytes`]); the dense matrices are counted with their working
//! copies.

use saddle_solvers::analysis::DENSE_HESSIAN_LIMIT;
use saddle_solvers::{ChainSpec, Family, format_bytes};

use crate::study::compiled::{Programs, features_graph, planned_bytes, planned_bytes_of};
use crate::study::error::{CliError, Result};
use crate::study::loss::LossSource;
use crate::study::problem::ProblemDef;
use saddle_graph::Arch;

/// The environment variable that sets the memory limit: bytes, or a number with one of
/// the binary suffixes K, M, G, T (KiB … TiB; `KiB`, `MiB`, … are read too).
pub const LIMIT_VAR: &str = "SADDLE_MEMORY_LIMIT";

/// The limit where the machine's memory cannot be read (not Linux): 16 GiB.
pub const FALLBACK_LIMIT: u64 = 16 << 30;

/// The memory a command may plan to use, and where that number comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Bytes.
    pub bytes: u64,
    /// `SADDLE_MEMORY_LIMIT`, the machine's memory, or the fallback.
    pub source: LimitSource,
}

/// Where a [`Limit`] comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitSource {
    /// [`LIMIT_VAR`].
    Variable,
    /// The machine's physical memory (`MemTotal` of `/proc/meminfo`).
    Machine,
    /// [`FALLBACK_LIMIT`].
    Fallback,
}

impl Limit {
    /// The limit: [`LIMIT_VAR`] when set (an unreadable value is an error), else the
    /// machine's physical memory, else [`FALLBACK_LIMIT`].
    pub fn get() -> Result<Limit> {
        match std::env::var(LIMIT_VAR) {
            Ok(text) => match parse_bytes(&text) {
                Some(bytes) if bytes > 0 => Ok(Limit { bytes, source: LimitSource::Variable }),
                _ => Err(CliError::Invalid(format!(
                    "{LIMIT_VAR}={text}: expected a positive number of bytes, e.g. 8G or 512M"
                ))),
            },
            Err(_) => Ok(match physical_memory() {
                Some(bytes) => Limit { bytes, source: LimitSource::Machine },
                None => Limit { bytes: FALLBACK_LIMIT, source: LimitSource::Fallback },
            }),
        }
    }

    /// `Err` with one line when `bytes` is over the limit: "`what` needs about X, more
    /// than the memory limit Y (where Y comes from)".
    pub fn check(&self, bytes: u64, what: impl FnOnce() -> String) -> Result<()> {
        if bytes <= self.bytes {
            return Ok(());
        }
        let source = match self.source {
            LimitSource::Variable => format!("set by {LIMIT_VAR}"),
            LimitSource::Machine => format!("the machine's memory; {LIMIT_VAR} sets another"),
            LimitSource::Fallback => {
                format!("the default where the machine's memory is unknown; {LIMIT_VAR} sets another")
            }
        };
        Err(CliError::Invalid(format!(
            "{} needs about {}, more than the memory limit of {} ({source})",
            what(),
            format_bytes(bytes as f64),
            format_bytes(self.bytes as f64)
        )))
    }
}

/// [`Limit::get`] and [`Limit::check`] in one, for `bytes` more than the process holds
/// already ([`resident`]).
pub fn check(bytes: u64, what: impl FnOnce() -> String) -> Result<()> {
    Limit::get()?.check(bytes.saturating_add(resident()), what)
}

/// The memory the process holds now (Linux: `VmRSS` of `/proc/self/status`; else 0): the
/// problem and its points, loaded before the check.
pub fn resident() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else { return 0 };
    let line = status.lines().find(|l| l.starts_with("VmRSS:"));
    let kib = line.and_then(|l| {
        l.trim_start_matches("VmRSS:").trim().trim_end_matches("kB").trim().parse::<u64>().ok()
    });
    kib.unwrap_or(0).saturating_mul(1024)
}

/// A byte count: digits with an optional fraction, then optionally K, M, G or T (powers
/// of 1024), optionally followed by `iB` or `B`.
fn parse_bytes(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: f64 = number.parse().ok()?;
    let unit = unit.trim();
    let unit = unit.strip_suffix("iB").or_else(|| unit.strip_suffix('B')).unwrap_or(unit);
    let scale = match unit {
        "" => 1u64,
        "K" | "k" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return None,
    };
    let bytes = number * scale as f64;
    (bytes.is_finite() && bytes < u64::MAX as f64).then_some(bytes as u64)
}

/// The machine's physical memory (Linux: `MemTotal` of `/proc/meminfo`).
fn physical_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.trim_start_matches("MemTotal:").trim().trim_end_matches("kB").trim().parse().ok()?;
    kib.checked_mul(1024)
}

/// What a run of solvers keeps: the families of programs it compiles and the bytes of
/// its dense matrices (each with its working copy).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Needs {
    /// The program families.
    pub programs: Vec<Programs>,
    /// The largest solver's dense matrices, bytes.
    pub solver_dense: u64,
    /// The analysis's dense matrices, bytes.
    pub analysis_dense: u64,
    /// Anything else, bytes (e.g. [`solution_error_bytes`]).
    pub other: u64,
}

impl Needs {
    /// The programs and matrices of every stage of `spec` for n parameters and m
    /// residuals: loss and gradient always; the dense Hessian's programs for a solver
    /// that builds the Hessian, the residuals' and Jacobian's for one that builds the
    /// Jacobian, HVPs for the other Newton-type solvers.
    pub fn add_solver(&mut self, spec: &ChainSpec, n: usize, m: usize) {
        self.programs.extend([Programs::Value, Programs::Gradient]);
        for stage in &spec.stages {
            let solver = stage.spec.kind.solver();
            let dense = solver.dense.map(|d| d(n, m, &stage.spec.options)).unwrap_or_default();
            let builds = |what: &str| dense.iter().any(|d| d.what == what);
            if builds("Hessian") {
                self.programs.push(Programs::Hessian);
            }
            if builds("Jacobian") {
                self.programs.extend([Programs::Residual, Programs::Jacobian]);
            }
            if !builds("Hessian") && matches!(solver.family, Family::ExactNewton | Family::SafeguardedNewton)
            {
                self.programs.push(Programs::Hvp);
            }
            // Each matrix and the solver's copy of it (a factorization, the objective's
            // row-major scratch).
            let bytes: u64 = dense.iter().map(|d| d.bytes().unwrap_or(usize::MAX) as u64).sum();
            self.solver_dense = self.solver_dense.max(2 * bytes);
        }
    }

    /// The end-point analysis of `fit`, `compare` and `sweep` at n parameters: the
    /// gradient, and the dense Hessian's programs with the matrix, its copy and its
    /// eigendecomposition up to [`DENSE_HESSIAN_LIMIT`], HVPs above.
    pub fn add_analysis(&mut self, n: usize) {
        self.programs.push(Programs::Gradient);
        if n <= DENSE_HESSIAN_LIMIT {
            self.programs.push(Programs::Hessian);
            self.analysis_dense = self.analysis_dense.max(3 * 8 * (n as u64) * (n as u64));
        } else {
            self.programs.push(Programs::Hvp);
        }
    }

    /// `fit --curvature-every`: the dense Hessian's programs and the matrix with its
    /// eigendecomposition.
    pub fn add_curvature(&mut self, n: usize) {
        self.programs.push(Programs::Hessian);
        self.analysis_dense = self.analysis_dense.max(3 * 8 * (n as u64) * (n as u64));
    }

    /// The bytes of one copy of the programs and the matrices, with the end-point
    /// analysis's features (their program and the N × K matrix twice) when `features`.
    pub fn bytes(&self, source: &dyn LossSource, features: bool) -> Result<u64> {
        let mut bytes =
            planned_bytes(source, &self.programs)? + self.solver_dense + self.analysis_dense + self.other;
        if features {
            let k = source.output_weights().len() as u64;
            bytes += planned_bytes_of(source, &features_graph(source))?;
            bytes += 2 * 8 * k * source.residual_count() as u64;
        }
        Ok(bytes)
    }
}

/// About what the error against a problem file's exact solution keeps
/// ([`ProblemDef::solution_error`]): the network's forward values at each test point,
/// about 2·(Σ hidden widths) + 4 numbers per point. Zero without an exact solution.
pub fn solution_error_bytes(def: &ProblemDef, arch: &Arch) -> u64 {
    match def {
        ProblemDef::File(file) if file.reference().is_some() => {
            let points = (file.test_points.len() / file.dim().max(1)) as u64;
            let widths = arch.widths();
            let hidden: usize = widths[1..widths.len() - 1].iter().sum();
            points * (2 * hidden as u64 + 4) * 8
        }
        _ => 0,
    }
}

/// "`problem` at N points with --arch A (n parameters)": what a memory error names.
pub fn problem_size(problem: &str, points: usize, arch: &Arch) -> String {
    format!("--problem {problem} at {points} points with --arch {arch} ({} parameters)", arch.param_count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_parse_with_binary_suffixes() {
        assert_eq!(parse_bytes("1024"), Some(1024));
        assert_eq!(parse_bytes("64M"), Some(64 << 20));
        assert_eq!(parse_bytes("1.5G"), Some(3 << 29));
        assert_eq!(parse_bytes("2GiB"), Some(2 << 30));
        assert_eq!(parse_bytes("8 KB"), Some(8 << 10));
        assert_eq!(parse_bytes("lots"), None);
        assert_eq!(parse_bytes("-1"), None);
        assert_eq!(parse_bytes("3X"), None);
    }

    #[test]
    fn the_error_names_the_need_and_the_limit() {
        let limit = Limit { bytes: 1 << 30, source: LimitSource::Variable };
        assert!(limit.check(1 << 30, || unreachable!()).is_ok());
        let e = limit.check(3 << 30, || "--probes 7".into()).unwrap_err().to_string();
        assert_eq!(
            e,
            "--probes 7 needs about 3.0 GiB, more than the memory limit of 1.0 GiB (set by SADDLE_MEMORY_LIMIT)"
        );
    }
}
