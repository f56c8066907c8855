//! Solver chains: `adam:1000,lbfgs:5000,nncg:500` runs the solvers in turn, each for at
//! most its count of iterations from where the previous one ended (docs/CONTRACT.md).
//!
//! A [`Chain`] is itself a [`Method`], so the shared [`minimize`](crate::minimize) loop
//! runs it: `iter` keeps counting across stages, evaluation counts and seconds are
//! cumulative, and each record's `stage` names the solver that made its step. A stage
//! that cannot move (its step is singular, or it returns the current point with a zero
//! trial step) hands over to the next stage at once; the last stage's failure ends the
//! run as it would end a single solver's.

use std::fmt;
use std::str::FromStr;

use crate::SolverKind;
use crate::driver::{Iterate, Method, Step};
use crate::objective::Counted;

/// A parsed `--solver` value: one solver (optionally with a count) or stages with counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainSpec {
    /// The stages in order; the count is `None` only for a single solver without one.
    pub stages: Vec<(SolverKind, Option<usize>)>,
}

impl ChainSpec {
    /// The whole budget when every stage has a count, `None` for a plain solver.
    pub fn total_iterations(&self) -> Option<usize> {
        self.stages.iter().map(|(_, k)| *k).sum()
    }

    /// The iteration limit of a run of this spec: the chain's counts when it has them,
    /// else `default` (`--max-iter`).
    pub fn max_iter(&self, default: usize) -> usize {
        self.total_iterations().unwrap_or(default)
    }

    /// `Err` naming the first stage whose dense matrices for n parameters and m residuals
    /// would exceed the limit ([`SolverKind::check_size`]).
    pub fn check_size(&self, n: usize, m: usize) -> Result<(), String> {
        self.stages.iter().try_for_each(|(kind, _)| kind.check_size(n, m))
    }

    /// The single solver of a one-stage spec.
    pub fn single(&self) -> Option<SolverKind> {
        (self.stages.len() == 1).then(|| self.stages[0].0)
    }

    /// What runs this spec: a plain solver (one stage, no count) as itself, anything else
    /// as a [`Chain`]; each solver built with `make`.
    pub fn method(&self, make: &mut dyn FnMut(SolverKind) -> Box<dyn Method>) -> Box<dyn Method> {
        match self.single().filter(|_| self.total_iterations().is_none()) {
            Some(kind) => make(kind),
            None => Box::new(self.build(make)),
        }
    }

    /// The chain, building each stage's solver with `make`.
    pub fn build(&self, make: &mut dyn FnMut(SolverKind) -> Box<dyn Method>) -> Chain {
        let stages = self.stages.iter().map(|&(kind, k)| (make(kind), k.unwrap_or(usize::MAX))).collect();
        Chain { stages, current: 0, in_stage: 0, stepped: None }
    }
}

impl From<SolverKind> for ChainSpec {
    fn from(kind: SolverKind) -> Self {
        ChainSpec { stages: vec![(kind, None)] }
    }
}

impl fmt::Display for ChainSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .stages
            .iter()
            .map(|(kind, k)| match k {
                Some(k) => format!("{kind}:{k}"),
                None => kind.to_string(),
            })
            .collect();
        f.write_str(&parts.join(","))
    }
}

impl FromStr for ChainSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let mut stages = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            if part.is_empty() {
                return Err(format!("solver chain '{s}': stage {} is empty", i + 1));
            }
            let (name, count) = match part.split_once(':') {
                Some((name, count)) => (name, Some(count)),
                None => (*part, None),
            };
            let kind: SolverKind = name.trim().parse()?;
            let count = match count {
                None if parts.len() > 1 => {
                    return Err(format!(
                        "solver chain '{s}': stage {} ({name}) has no iteration count; write {name}:K",
                        i + 1
                    ));
                }
                None => None,
                Some(k) => match k.trim().parse::<usize>() {
                    Ok(0) => {
                        return Err(format!("solver chain '{s}': stage {} ({name}) has a zero count", i + 1));
                    }
                    Ok(k) => Some(k),
                    Err(_) => {
                        return Err(format!(
                            "solver chain '{s}': stage {} ({name}) has count '{k}', not a positive integer",
                            i + 1
                        ));
                    }
                },
            };
            stages.push((kind, count));
        }
        Ok(ChainSpec { stages })
    }
}

/// Solvers run in turn, each for at most its count of iterations.
pub struct Chain {
    stages: Vec<(Box<dyn Method>, usize)>,
    current: usize,
    /// Iterations made by the current stage.
    in_stage: usize,
    /// The stage that made the last step.
    stepped: Option<usize>,
}

impl Chain {
    fn advance(&mut self) -> bool {
        if self.current + 1 < self.stages.len() {
            self.current += 1;
            self.in_stage = 0;
            true
        } else {
            false
        }
    }
}

impl Method for Chain {
    fn name(&self) -> &'static str {
        self.stages[self.current].0.name()
    }

    fn stage(&self) -> Option<&'static str> {
        Some(self.stages[self.stepped.unwrap_or(self.current)].0.name())
    }

    fn step(&mut self, f: &mut Counted<'_>, current: &Iterate) -> Step {
        if self.in_stage >= self.stages[self.current].1 {
            self.advance();
        }
        loop {
            let step = self.stages[self.current].0.step(f, current);
            self.stepped = Some(self.current);
            let stuck = match &step {
                Step::Singular => true,
                Step::Next { trial_norm, .. } => *trial_norm == 0.0,
                Step::NonFinite | Step::NotLeastSquares => false,
            };
            if stuck && self.advance() {
                continue;
            }
            self.in_stage += 1;
            return step;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::{Control, Status, minimize};
    use crate::line_search::tests::Rosenbrock;

    #[test]
    fn chains_parse_and_print() {
        let spec: ChainSpec = "adam:1000,lbfgs:5000,nncg:500".parse().unwrap();
        assert_eq!(
            spec.stages,
            vec![
                (SolverKind::Adam, Some(1000)),
                (SolverKind::Lbfgs, Some(5000)),
                (SolverKind::Nncg, Some(500))
            ]
        );
        assert_eq!(spec.total_iterations(), Some(6500));
        assert_eq!(spec.to_string(), "adam:1000,lbfgs:5000,nncg:500");
        let plain: ChainSpec = "bfgs".parse().unwrap();
        assert_eq!((plain.single(), plain.total_iterations()), (Some(SolverKind::Bfgs), None));
        assert_eq!(plain.to_string(), "bfgs");
        assert_eq!("bfgs:20".parse::<ChainSpec>().unwrap().total_iterations(), Some(20));
    }

    #[test]
    fn bad_chains_are_one_line_errors() {
        for (chain, says) in [
            ("adam:10,bogus:5", "unknown solver 'bogus'"),
            ("adam:10,lbfgs", "stage 2 (lbfgs) has no iteration count"),
            ("adam:0,lbfgs:5", "stage 1 (adam) has a zero count"),
            ("adam:10,,lbfgs:5", "stage 2 is empty"),
            ("adam:10,", "stage 2 is empty"),
            ("adam:ten", "count 'ten', not a positive integer"),
            ("", "stage 1 is empty"),
        ] {
            let err = chain.parse::<ChainSpec>().unwrap_err();
            assert!(err.contains(says) && !err.contains('\n'), "{chain}: {err}");
        }
    }

    #[test]
    fn stages_run_in_turn_and_iterations_count_across_them() {
        let spec: ChainSpec = "gd:5,bfgs:100".parse().unwrap();
        let mut chain = spec.build(&mut |k| k.with_defaults());
        let control =
            Control { max_iter: spec.total_iterations().unwrap(), gtol: 1e-8, ..Control::default() };
        let mut records = Vec::new();
        let out = minimize(&mut chain, &mut Rosenbrock, vec![-1.2, 1.0], &control, &mut |r| {
            records.push(r.clone())
        });
        assert_eq!(out.status, Status::Converged);
        let stages: Vec<(usize, Option<&str>)> = records.iter().map(|r| (r.iter, r.stage)).collect();
        assert!(stages[..=5].iter().all(|(_, s)| *s == Some("gd")), "{stages:?}");
        assert!(stages[6..].iter().all(|(_, s)| *s == Some("bfgs")), "{stages:?}");
        assert!(records.iter().enumerate().all(|(i, r)| r.iter == i));
        // The bfgs stage starts where gd ended: its first record follows gd's fifth.
        assert!(records[6].loss <= records[5].loss);
    }
}
