//! Solver chains: `adam:1000,lbfgs:5000,nncg:500` runs the solvers in turn, each for at
//! most its count of iterations from where the previous one ended (docs/CONTRACT.md).
//!
//! A [`Chain`] is itself a [`Method`], so the shared [`minimize`](crate::driver::minimize) loop
//! runs it: `iter` keeps counting across stages, evaluation counts and seconds are
//! cumulative, and each record's `stage` names the solver that made its step. A stage
//! that cannot move (its step is singular, it returns the current point with a zero
//! trial step, or its own stopping rule holds) hands over to the next stage at once; the
//! last stage's failure ends the run as it would end a single solver's, and so does the
//! end of its count (`max_iterations`), even when earlier stages used less than theirs.

use crate::driver::{Iterate, Method, StageEnd, Status, Step};
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

// Tested in spec.rs, which builds chains from their text (chain.rs does not import it).
