//! Solver chains: `adam:1000,lbfgs:5000,nncg:500` runs the solvers in turn, each for at
//! most its count of iterations from where the previous one ended (docs/CONTRACT.md).
//!
//! A [`Chain`] is itself a [`Method`], so the shared [`minimize`](crate::minimize) loop
//! runs it: `iter` keeps counting across stages, evaluation counts and seconds are
//! cumulative, and each record's `stage` names the solver that made its step. A stage
//! that cannot move (its step is singular, it returns the current point with a zero
//! trial step, or its own stopping rule holds) hands over to the next stage at once; the
//! last stage's failure ends the run as it would end a single solver's, and so does the
//! end of its count (`max_iterations`), even when earlier stages used less than theirs.

use crate::driver::{Iterate, Method, Status, Step};
use crate::objective::Counted;

/// Solvers run in turn, each for at most its count of iterations.
pub struct Chain {
    stages: Vec<(Box<dyn Method>, usize)>,
    current: usize,
    /// Iterations made by the current stage.
    in_stage: usize,
    /// The stage that made the last step.
    stepped: Option<usize>,
    /// How each stage before the current one ended.
    ended: Vec<StageEnd>,
}

/// How a stage of a chain handed over: its iterations and the status that ended it
/// (`max_iterations` when its count ran out).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct StageEnd {
    /// The stage's solver.
    pub solver: &'static str,
    /// The iterations it made.
    pub iterations: usize,
    /// Why it ended.
    pub status: Status,
}

impl Chain {
    /// The stages in order, each a solver and its most iterations.
    pub fn new(stages: Vec<(Box<dyn Method>, usize)>) -> Chain {
        Chain { stages, current: 0, in_stage: 0, stepped: None, ended: Vec::new() }
    }

    /// Hands over to the next stage, recording why the current one ended; `false` at the
    /// last stage (whose end is the run's).
    fn advance(&mut self, why: Status) -> bool {
        if self.current + 1 < self.stages.len() {
            let solver = self.stages[self.current].0.name();
            self.ended.push(StageEnd { solver, iterations: self.in_stage, status: why });
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

    fn stage_ends(&self) -> Vec<StageEnd> {
        self.ended.clone()
    }

    fn step(&mut self, f: &mut Counted<'_>, current: &Iterate) -> Step {
        // The last stage's count ends the run even when earlier stages stopped early.
        if self.in_stage >= self.stages[self.current].1 && !self.advance(Status::MaxIterations) {
            return Step::Stop(Status::MaxIterations);
        }
        loop {
            let step = self.stages[self.current].0.step(f, current);
            self.stepped = Some(self.current);
            let stuck = match &step {
                Step::Singular => Some(Status::Singular),
                Step::Stop(status) => Some(*status),
                Step::Next { trial_norm, .. } if *trial_norm == 0.0 => Some(Status::StepTooSmall),
                Step::Next { .. } | Step::NonFinite | Step::NotLeastSquares => None,
            };
            if stuck.is_some_and(|why| self.advance(why)) {
                continue;
            }
            self.in_stage += 1;
            return step;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ChainSpec;
    use crate::driver::{Control, Status, minimize};
    use crate::test_functions::Rosenbrock;

    #[test]
    fn stages_run_in_turn_and_iterations_count_across_them() {
        let spec: ChainSpec = "gd:5,bfgs:100".parse().unwrap();
        let mut chain = spec.method().unwrap();
        let control =
            Control { max_iter: spec.total_iterations().unwrap(), gtol: 1e-8, ..Control::default() };
        let mut records = Vec::new();
        let out = minimize(chain.as_mut(), &mut Rosenbrock, vec![-1.2, 1.0], &control, &mut |r| {
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

    #[test]
    fn a_stage_stopped_by_its_own_rule_hands_over_to_the_next() {
        // lbfgs stops itself once max|∇f| ≤ 1e-2; gd then continues for its 3 iterations.
        let spec: ChainSpec = "lbfgs(gtol_inf=1e-2):1000,gd(lr=1e-4):3".parse().unwrap();
        let mut chain = spec.method().unwrap();
        let control = Control { max_iter: 1003, gtol: 0.0, ..Control::default() };
        // The run ends after gd's 3 iterations: its count is the chain's last.
        let mut records = Vec::new();
        let out = minimize(chain.as_mut(), &mut Rosenbrock, vec![-1.2, 1.0], &control, &mut |r| {
            records.push(r.clone())
        });
        let lbfgs = records.iter().filter(|r| r.stage == Some("lbfgs")).count();
        assert!(lbfgs > 5 && lbfgs < 1000, "{lbfgs}");
        assert_eq!(records.iter().filter(|r| r.stage == Some("gd")).count(), 3);
        assert_eq!(out.status, Status::MaxIterations);
    }
}
