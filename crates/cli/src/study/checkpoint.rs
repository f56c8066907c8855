//! `saddle fit`'s checkpoints: θ, the iteration count, cumulative evaluations and seconds,
//! and a chain's position, so that `fit --resume` continues the run; and the chain
//! bookkeeping that resuming needs.
//!
//! A checkpoint is one JSON object (docs/CONTRACT.md, "Checkpoints"), written atomically
//! (temporary file, then rename): a process killed while writing one leaves the previous
//! checkpoint whole. It holds θ and nothing of the solver's own state (quasi-Newton
//! matrices, moments, damping, radii): a solver whose state is θ alone resumes exactly
//! ([`resumes_exactly`]), any other restarts from θ.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use saddle_solvers::{ChainSpec, Counted, Evals, Iterate, Method, SolverKind, StageEnd, Status, Step};
use serde_json::{Value, json};

use crate::study::error::{CliError, Result};
use crate::study::io::output::write_atomically;
use crate::study::io::read_file;

/// What a checkpoint's first field says.
const KIND: &str = "saddle fit checkpoint";
/// The format's version.
const FORMAT: u64 = 1;

/// Whether `kind` keeps no state but θ between iterations (what it caches is a function of
/// θ), so that a run resumed from θ makes the same steps as one never stopped.
pub fn resumes_exactly(kind: SolverKind) -> bool {
    matches!(
        kind,
        SolverKind::Newton
            | SolverKind::NewtonPinv
            | SolverKind::GaussNewton
            | SolverKind::Engd
            | SolverKind::Gd
    )
}

/// What identifies a run: a checkpoint resumes only the run with these arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct RunIdentity {
    /// `regression`, `pinn` or the problem file as given.
    pub problem: String,
    /// `--data` as given.
    pub data: Option<String>,
    /// The architecture, e.g. `1,10,1`.
    pub arch: String,
    /// The activation.
    pub act: String,
    /// The solver spec or chain as given (with the command line's shorthands applied to
    /// its options, which its `options` field shows).
    pub solver: String,
    /// The stages' effective options.
    pub options: Value,
}

/// Where a chain is: the stage that makes the next step, the iterations that stage has
/// made, and how each earlier stage ended.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChainPosition {
    /// The current stage, from 0.
    pub index: usize,
    /// Iterations made by the current stage.
    pub iterations: usize,
    /// How each stage before it ended.
    pub ended: Vec<StageEnd>,
}

/// One checkpoint of a `fit` run.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// The run's arguments.
    pub identity: RunIdentity,
    /// The iteration θ is at (0 is the start).
    pub iteration: usize,
    /// Seconds spent up to it, over every resumed part of the run.
    pub seconds: f64,
    /// Evaluation counts up to it, over every part of the run.
    pub evals: Evals,
    /// A chain's position (`None` for a plain solver).
    pub chain: Option<ChainPosition>,
    /// The iterate.
    pub theta: Vec<f64>,
}

impl Checkpoint {
    /// Whether a run resumed from here makes the same steps as one that never stopped:
    /// the solver that moves next keeps no state but θ, or has not started yet.
    pub fn solver_state(&self, spec: &ChainSpec) -> &'static str {
        let (kind, started) = match &self.chain {
            None => (spec.stages[0].spec.kind, self.iteration > 0),
            Some(pos) => match spec.stages.get(pos.index) {
                Some(stage) => (stage.spec.kind, pos.iterations > 0),
                None => return "restored",
            },
        };
        if !started || resumes_exactly(kind) { "restored" } else { "restarted" }
    }

    /// The checkpoint as its JSON object.
    pub fn to_json(&self, spec: &ChainSpec) -> Value {
        let id = &self.identity;
        let chain = self
            .chain
            .as_ref()
            .map(|pos| json!({"stage": pos.index, "stage_iterations": pos.iterations, "ended": pos.ended}));
        json!({
            "checkpoint": KIND,
            "format": FORMAT,
            "saddle": env!("CARGO_PKG_VERSION"),
            "problem": id.problem,
            "data": id.data,
            "arch": id.arch,
            "act": id.act,
            "solver": id.solver,
            "options": id.options,
            "iteration": self.iteration,
            "seconds": self.seconds,
            "evals": self.evals,
            "chain": chain,
            "solver_state": self.solver_state(spec),
            "params": self.theta.len(),
            "theta": self.theta,
        })
    }

    /// Writes the checkpoint to `path` atomically.
    pub fn write(&self, path: &Path, spec: &ChainSpec) -> Result<()> {
        let mut text = self.to_json(spec).to_string();
        text.push('\n');
        write_atomically(path, text.into_bytes())
    }

    /// Reads a checkpoint written by [`write`](Self::write).
    pub fn read(path: &Path) -> Result<Checkpoint> {
        let bytes = read_file(path)?;
        let bad = |what: &str| {
            CliError::Invalid(format!("{}: not a saddle fit checkpoint ({what})", path.display()))
        };
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| bad(&format!("not JSON: {e}")))?;
        if value["checkpoint"] != KIND {
            return Err(bad("no \"checkpoint\" field"));
        }
        if value["format"] != FORMAT {
            return Err(bad(&format!("format {} is not {FORMAT}", value["format"])));
        }
        let text =
            |key: &str| value[key].as_str().map(str::to_string).ok_or_else(|| bad(&format!("no {key}")));
        let count = |v: &Value, key: &str| {
            v[key].as_u64().map(|k| k as usize).ok_or_else(|| bad(&format!("no whole number {key}")))
        };
        let identity = RunIdentity {
            problem: text("problem")?,
            data: value["data"].as_str().map(str::to_string),
            arch: text("arch")?,
            act: text("act")?,
            solver: text("solver")?,
            options: value["options"].clone(),
        };
        let e = &value["evals"];
        let evals = Evals {
            value: count(e, "value")?,
            gradient: count(e, "gradient")?,
            hvp: count(e, "hvp")?,
            hessian: count(e, "hessian")?,
            residuals: count(e, "residuals")?,
            jacobian: count(e, "jacobian")?,
        };
        let chain = match &value["chain"] {
            Value::Null => None,
            pos => {
                let ended = pos["ended"].as_array().ok_or_else(|| bad("no chain.ended"))?;
                let ended = ended
                    .iter()
                    .map(|end| {
                        let solver: SolverKind = end["solver"]
                            .as_str()
                            .and_then(|s| s.parse().ok())
                            .ok_or_else(|| bad("a chain.ended solver"))?;
                        let status = end["status"]
                            .as_str()
                            .and_then(Status::from_name)
                            .ok_or_else(|| bad("a chain.ended status"))?;
                        Ok(StageEnd { solver: solver.name(), iterations: count(end, "iterations")?, status })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Some(ChainPosition {
                    index: count(pos, "stage")?,
                    iterations: count(pos, "stage_iterations")?,
                    ended,
                })
            }
        };
        let theta = value["theta"]
            .as_array()
            .ok_or_else(|| bad("no theta"))?
            .iter()
            .map(|v| v.as_f64().filter(|x| x.is_finite()))
            .collect::<Option<Vec<f64>>>()
            .ok_or_else(|| bad("theta holds a value that is not a finite number"))?;
        Ok(Checkpoint {
            identity,
            iteration: count(&value, "iteration")?,
            seconds: value["seconds"].as_f64().ok_or_else(|| bad("no seconds"))?,
            evals,
            chain,
            theta,
        })
    }

    /// `Err` unless this checkpoint was made by a run with the arguments `identity`.
    pub fn check_identity(&self, path: &Path, identity: &RunIdentity) -> Result<()> {
        let mine = &self.identity;
        let fields = [
            ("--problem", mine.problem.clone(), identity.problem.clone()),
            ("--data", mine.data.clone().unwrap_or_default(), identity.data.clone().unwrap_or_default()),
            ("--arch", mine.arch.clone(), identity.arch.clone()),
            ("--act", mine.act.clone(), identity.act.clone()),
            ("--solver", mine.solver.clone(), identity.solver.clone()),
            ("the solver options", mine.options.to_string(), identity.options.to_string()),
        ];
        for (flag, then, now) in fields {
            if then != now {
                return Err(CliError::Invalid(format!(
                    "{}: --resume continues the run this checkpoint was made by, with {flag} '{then}', \
                     not '{now}'",
                    path.display()
                )));
            }
        }
        Ok(())
    }
}

/// How a chain continues from a position: the remaining stages (the current one with what
/// is left of its count), how the earlier ones ended, and the remaining budget. A stage
/// whose count is used up counts as ended (`max_iterations`); when every stage is used
/// up, `spec` is `None` and the budget 0.
#[derive(Clone, Debug)]
pub struct Continuation {
    /// The chain still to run, `None` when nothing is left.
    pub spec: Option<ChainSpec>,
    /// Where it starts.
    pub position: ChainPosition,
}

impl Continuation {
    /// The continuation of `spec` (a chain: every stage has a count) from `position`.
    pub fn of(spec: &ChainSpec, mut position: ChainPosition) -> Continuation {
        if let Some(stage) = spec.stages.get(position.index)
            && position.iterations >= stage.count.unwrap_or(usize::MAX)
        {
            position.ended.push(StageEnd {
                solver: stage.spec.kind.name(),
                iterations: position.iterations,
                status: Status::MaxIterations,
            });
            position.index += 1;
            position.iterations = 0;
        }
        if position.index >= spec.stages.len() {
            return Continuation { spec: None, position };
        }
        let mut rest = spec.clone();
        rest.stages.drain(..position.index);
        if let Some(count) = &mut rest.stages[0].count {
            *count -= position.iterations;
        }
        Continuation { spec: Some(rest), position }
    }

    /// The iterations left.
    pub fn budget(&self) -> usize {
        self.spec.as_ref().and_then(ChainSpec::total_iterations).unwrap_or(0)
    }

    /// The chain's position after `made` more iterations, given how the stages of this
    /// continuation that handed over since ended (`local`, as the running chain reports
    /// them: its first entry is the current stage's, counting only its new iterations).
    pub fn position_after(&self, made: usize, local: &[StageEnd]) -> ChainPosition {
        let start = &self.position;
        let mut ended = start.ended.clone();
        ended.extend(local.iter().cloned());
        if let Some(first) = ended.get_mut(start.ended.len()) {
            first.iterations += start.iterations;
        }
        let handed_over: usize = local.iter().map(|e| e.iterations).sum();
        let carried = if local.is_empty() { start.iterations } else { 0 };
        ChainPosition { index: start.index + local.len(), iterations: made - handed_over + carried, ended }
    }
}

/// A method that reports, after each step, how the stages of the chain it wraps ended so
/// far (read through [`StageTracker::ends`] while the run goes on), and that ends the run
/// at the next step once told to through [`StageTracker::stop`] (e.g. when its output
/// cannot be written).
pub struct StageTracker<'a> {
    inner: &'a mut dyn Method,
    ends: Rc<RefCell<Vec<StageEnd>>>,
    stop: Rc<std::cell::Cell<bool>>,
}

impl<'a> StageTracker<'a> {
    /// Wraps `inner`.
    pub fn new(inner: &'a mut dyn Method) -> Self {
        StageTracker { inner, ends: Rc::default(), stop: Rc::default() }
    }

    /// Set to `true` to end the run before its next step.
    pub fn stop(&self) -> Rc<std::cell::Cell<bool>> {
        Rc::clone(&self.stop)
    }

    /// The stage ends as of the last step, shared.
    pub fn ends(&self) -> Rc<RefCell<Vec<StageEnd>>> {
        Rc::clone(&self.ends)
    }
}

impl Method for StageTracker<'_> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn step(&mut self, f: &mut Counted<'_>, current: &Iterate) -> Step {
        if self.stop.get() {
            return Step::Stop(Status::MaxIterations);
        }
        let step = self.inner.step(f, current);
        let ends = self.inner.stage_ends();
        if ends.len() != self.ends.borrow().len() {
            *self.ends.borrow_mut() = ends;
        }
        step
    }

    fn stage(&self) -> Option<&'static str> {
        self.inner.stage()
    }

    fn stage_ends(&self) -> Vec<StageEnd> {
        self.inner.stage_ends()
    }
}

/// `a + b`, count by count.
pub fn add_evals(a: Evals, b: Evals) -> Evals {
    Evals {
        value: a.value + b.value,
        gradient: a.gradient + b.gradient,
        hvp: a.hvp + b.hvp,
        hessian: a.hessian + b.hessian,
        residuals: a.residuals + b.residuals,
        jacobian: a.jacobian + b.jacobian,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain() -> ChainSpec {
        "adam:10,gd:5,lbfgs:20".parse().unwrap()
    }

    #[test]
    fn a_chain_continues_in_its_stage_with_the_rest_of_its_count() {
        let start = ChainPosition {
            index: 1,
            iterations: 2,
            ended: vec![StageEnd { solver: "adam", iterations: 10, status: Status::MaxIterations }],
        };
        let c = Continuation::of(&chain(), start.clone());
        let rest = c.spec.as_ref().unwrap();
        let counts: Vec<_> = rest.stages.iter().map(|s| (s.spec.kind.name(), s.count)).collect();
        assert_eq!(counts, [("gd", Some(3)), ("lbfgs", Some(20))]);
        assert_eq!(c.budget(), 23);
        assert_eq!(c.position_after(0, &[]), start);
        // 3 more gd steps, then gd hands over, then 4 lbfgs steps.
        let local = [StageEnd { solver: "gd", iterations: 3, status: Status::MaxIterations }];
        let pos = c.position_after(7, &local);
        assert_eq!((pos.index, pos.iterations), (2, 4));
        assert_eq!(pos.ended[1], StageEnd { solver: "gd", iterations: 5, status: Status::MaxIterations });
    }

    #[test]
    fn a_used_up_stage_counts_as_ended_and_a_used_up_chain_has_nothing_left() {
        let c = Continuation::of(&chain(), ChainPosition { index: 0, iterations: 10, ended: vec![] });
        assert_eq!((c.position.index, c.position.iterations, c.budget()), (1, 0, 25));
        assert_eq!(c.position.ended[0].iterations, 10);
        let ended = vec![
            StageEnd { solver: "adam", iterations: 10, status: Status::MaxIterations },
            StageEnd { solver: "gd", iterations: 5, status: Status::MaxIterations },
        ];
        let c = Continuation::of(&chain(), ChainPosition { index: 2, iterations: 20, ended });
        assert!(c.spec.is_none());
        assert_eq!((c.budget(), c.position.ended.len()), (0, 3));
    }

    #[test]
    fn checkpoints_round_trip_exactly() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("ck.json");
        let spec = chain();
        let ck = Checkpoint {
            identity: RunIdentity {
                problem: "regression".into(),
                data: Some("d.csv".into()),
                arch: "1,3,1".into(),
                act: "tanh".into(),
                solver: spec.to_string(),
                options: serde_json::to_value(&spec.stages).unwrap(),
            },
            iteration: 12,
            seconds: 0.25,
            evals: Evals { value: 3, gradient: 13, ..Evals::default() },
            chain: Some(ChainPosition {
                index: 1,
                iterations: 2,
                ended: vec![StageEnd { solver: "adam", iterations: 10, status: Status::MaxIterations }],
            }),
            // Values whose shortest decimal forms need 17 digits.
            theta: vec![0.1 + 0.2, -1.0 / 3.0, 1e-300, 2.0f64.powi(60) + 2048.0, -0.0],
        };
        ck.write(&path, &spec).unwrap();
        let back = Checkpoint::read(&path).unwrap();
        assert_eq!(back, ck);
        for (a, b) in back.theta.iter().zip(&ck.theta) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
        assert_eq!(ck.solver_state(&spec), "restored", "gd keeps nothing but θ");
        let mut other = ck.identity.clone();
        other.arch = "1,4,1".into();
        let e = back.check_identity(&path, &other).unwrap_err().to_string();
        assert!(e.ends_with("with --arch '1,3,1', not '1,4,1'"), "{e}");
        std::fs::write(&path, "{\"iteration\": 3}").unwrap();
        let e = Checkpoint::read(&path).unwrap_err().to_string();
        assert!(e.contains("not a saddle fit checkpoint"), "{e}");
    }
}
