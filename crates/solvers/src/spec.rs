//! Solver specs as the command line gives them: `NAME` or `NAME(key=value, ...)`, and
//! chains `SPEC:COUNT,SPEC:COUNT,...` (commas inside parentheses belong to the options).

use std::fmt;
use std::str::FromStr;

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::SolverKind;
use crate::chain::Chain;
use crate::driver::Method;
use crate::options::Options;

/// One solver with its effective options.
#[derive(Clone, Debug, PartialEq)]
pub struct SolverSpec {
    /// The solver.
    pub kind: SolverKind,
    /// Every option's value, defaults included.
    pub options: Options,
}

impl SolverSpec {
    /// The solver with every option at its default.
    pub fn new(kind: SolverKind) -> SolverSpec {
        SolverSpec { kind, options: Options::defaults(kind.solver().options) }
    }

    /// The solver, built with these options.
    pub fn method(&self) -> Result<Box<dyn Method>, String> {
        (self.kind.solver().build)(&self.options).map_err(|e| format!("{}: {e}", self.kind))
    }

    /// `NAME` or `NAME(key=value, ...)`; `Err` names the solver and the option at fault.
    fn parse(text: &str) -> Result<SolverSpec, String> {
        let text = text.trim();
        let (name, inside) = match text.find('(') {
            None => (text, None),
            Some(open) => {
                let Some(inside) = text[open + 1..].strip_suffix(')') else {
                    return Err(format!("'{text}' does not end with ')'; write NAME(key=value, ...)"));
                };
                (text[..open].trim(), Some(inside))
            }
        };
        let kind: SolverKind = name.parse()?;
        let mut spec = SolverSpec::new(kind);
        let pairs = match inside {
            Some(inside) if !inside.trim().is_empty() => split_top_level(inside)?,
            _ => Vec::new(),
        };
        for pair in pairs {
            let pair = pair.trim();
            let Some((key, value)) = pair.split_once('=') else {
                return Err(format!("{kind}: option '{pair}' is not key=value"));
            };
            spec.options.set(key.trim(), value).map_err(|e| format!("{kind}: {e}"))?;
        }
        Ok(spec)
    }
}

/// One stage of a chain: a solver and the most iterations it may make.
#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    /// The solver and its options.
    pub spec: SolverSpec,
    /// Its iteration count; `None` only for a single solver without one.
    pub count: Option<usize>,
}

impl Serialize for Stage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("solver", self.spec.kind.name())?;
        map.serialize_entry("iterations", &self.count)?;
        map.serialize_entry("options", &self.spec.options)?;
        map.end()
    }
}

/// A parsed `--solver` value: one solver (optionally with a count) or stages with counts.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainSpec {
    /// The stages in order.
    pub stages: Vec<Stage>,
    /// The text as given (trimmed): how outputs name the spec.
    text: String,
}

impl ChainSpec {
    /// The whole budget when every stage has a count, `None` for a plain solver.
    pub fn total_iterations(&self) -> Option<usize> {
        self.stages.iter().map(|s| s.count).sum()
    }

    /// The iteration limit of a run of this spec: the chain's counts when it has them,
    /// else `default` (`--max-iter`).
    pub fn max_iter(&self, default: usize) -> usize {
        self.total_iterations().unwrap_or(default)
    }

    /// `Err` naming the first stage whose dense matrices for n parameters and m residuals
    /// would exceed the limit ([`crate::Solver::check_size`]).
    pub fn check_size(&self, n: usize, m: usize) -> Result<(), String> {
        self.stages.iter().try_for_each(|s| s.spec.kind.solver().check_size(&s.spec.options, n, m))
    }

    /// The single solver of a one-stage spec.
    pub fn single(&self) -> Option<SolverKind> {
        (self.stages.len() == 1).then(|| self.stages[0].spec.kind)
    }

    /// Sets option `name` to `text` in every stage whose solver has it and where the spec
    /// does not give it (a command-line shorthand such as `--learning-rate`); `Ok(false)`
    /// when no stage has the option.
    pub fn set_where_unset(&mut self, name: &str, text: &str) -> Result<bool, String> {
        let mut any = false;
        for (i, stage) in self.stages.iter_mut().enumerate() {
            let options = &mut stage.spec.options;
            if options.has(name) {
                any = true;
                if !options.is_given(name) {
                    options.set(name, text).map_err(|e| {
                        format!("solver '{}': stage {} ({}): {e}", self.text, i + 1, stage.spec.kind)
                    })?;
                }
            }
        }
        Ok(any)
    }

    /// What runs this spec: a plain solver (one stage, no count) as itself, anything else
    /// as a [`Chain`]. `Err` names the stage whose options do not go together.
    pub fn method(&self) -> Result<Box<dyn Method>, String> {
        let build = |i: usize, stage: &Stage| {
            stage.spec.method().map_err(|e| format!("solver '{}': stage {}: {e}", self.text, i + 1))
        };
        match (self.single(), self.total_iterations()) {
            (Some(_), None) => build(0, &self.stages[0]),
            _ => {
                let stages = self
                    .stages
                    .iter()
                    .enumerate()
                    .map(|(i, s)| Ok((build(i, s)?, s.count.unwrap_or(usize::MAX))))
                    .collect::<Result<Vec<_>, String>>()?;
                Ok(Box::new(Chain::new(stages)))
            }
        }
    }

    /// A comma-separated list of solver specs without counts, e.g. `newton,lbfgs(memory=100)`.
    pub fn parse_list(text: &str) -> Result<Vec<ChainSpec>, String> {
        split_top_level(text)
            .map_err(|e| format!("solvers '{text}': {e}"))?
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                let item = item.trim();
                if item.is_empty() {
                    return Err(format!("solvers '{text}': item {} is empty", i + 1));
                }
                let spec =
                    SolverSpec::parse(item).map_err(|e| format!("solvers '{text}': item {}: {e}", i + 1))?;
                Ok(ChainSpec { stages: vec![Stage { spec, count: None }], text: item.to_string() })
            })
            .collect()
    }
}

/// `text` split at the commas outside parentheses; `Err` for unbalanced parentheses.
fn split_top_level(text: &str) -> Result<Vec<&str>, String> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return Err(format!("')' at column {} has no '('", i + 1)),
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth > 0 {
        return Err("a '(' is never closed".into());
    }
    parts.push(&text[start..]);
    Ok(parts)
}

impl From<SolverKind> for ChainSpec {
    fn from(kind: SolverKind) -> Self {
        ChainSpec {
            stages: vec![Stage { spec: SolverSpec::new(kind), count: None }],
            text: kind.name().into(),
        }
    }
}

impl fmt::Display for ChainSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for ChainSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let text = s.trim();
        let parts = split_top_level(text).map_err(|e| format!("solver '{text}': {e}"))?;
        let many = parts.len() > 1;
        let mut stages = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let part = part.trim();
            let at = |e: String| format!("solver '{text}': stage {}: {e}", i + 1);
            if part.is_empty() {
                return Err(at("it is empty".into()));
            }
            // The count follows the last ':' after the options' ')'.
            let tail_start = part.rfind(')').map_or(0, |p| p + 1);
            let (spec, count) = match part[tail_start..].rfind(':') {
                Some(colon) => (&part[..tail_start + colon], Some(part[tail_start + colon + 1..].trim())),
                None => (part, None),
            };
            let spec = SolverSpec::parse(spec).map_err(at)?;
            let name = spec.kind;
            let count = match count {
                None if many => return Err(at(format!("{name} has no iteration count; write {name}:K"))),
                None => None,
                Some(k) => match k.parse::<usize>() {
                    Ok(0) => return Err(at(format!("{name} has a zero count"))),
                    Ok(k) => Some(k),
                    Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => {
                        return Err(at(format!(
                            "{name} has count {k}, more than the largest count {}",
                            usize::MAX
                        )));
                    }
                    Err(_) => return Err(at(format!("{name} has count '{k}', not a positive integer"))),
                },
            };
            stages.push(Stage { spec, count });
        }
        // The counts are the run's budget: their sum must be a count too.
        let total = stages.iter().filter_map(|s| s.count).try_fold(0usize, |t, k| t.checked_add(k));
        if total.is_none() {
            return Err(format!(
                "solver '{text}': the stages' counts add up to more than the largest count {}",
                usize::MAX
            ));
        }
        Ok(ChainSpec { stages, text: text.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::{Control, Status, minimize};
    use crate::test_functions::Rosenbrock;

    #[test]
    fn counts_that_overflow_are_named() {
        let e = "adam:18446744073709551615,gd:1".parse::<ChainSpec>().unwrap_err();
        assert!(e.contains("add up to more than the largest count"), "{e}");
        let e = "adam:18446744073709551616".parse::<ChainSpec>().unwrap_err();
        assert!(e.contains("count 18446744073709551616, more than the largest count"), "{e}");
        assert!("adam:18446744073709551615".parse::<ChainSpec>().is_ok());
    }

    #[test]
    fn specs_parse_with_options_and_counts() {
        let spec: ChainSpec =
            "adam(lr=1e-4):11000, lbfgs(memory=100,line_search=strong-wolfe):30000,nncg(mu=1e-3):500"
                .parse()
                .unwrap();
        let kinds: Vec<(SolverKind, Option<usize>)> =
            spec.stages.iter().map(|s| (s.spec.kind, s.count)).collect();
        assert_eq!(
            kinds,
            vec![
                (SolverKind::Adam, Some(11000)),
                (SolverKind::Lbfgs, Some(30000)),
                (SolverKind::Nncg, Some(500))
            ]
        );
        assert_eq!(spec.stages[0].spec.options.number("lr"), 1e-4);
        assert_eq!(spec.stages[0].spec.options.number("beta2"), 0.999);
        assert_eq!(spec.stages[1].spec.options.integer("memory"), 100);
        assert_eq!(spec.stages[2].spec.options.number("mu"), 1e-3);
        assert_eq!(spec.total_iterations(), Some(41500));
        let json = serde_json::to_value(&spec.stages).unwrap();
        assert_eq!(json[1]["solver"], "lbfgs");
        assert_eq!(json[1]["iterations"], 30000);
        assert_eq!(json[1]["options"]["memory"], 100);
        assert_eq!(json[1]["options"]["c2"], 0.9);
        let plain: ChainSpec = "bfgs".parse().unwrap();
        assert_eq!((plain.single(), plain.total_iterations()), (Some(SolverKind::Bfgs), None));
        assert_eq!(plain.to_string(), "bfgs");
        let empty_options: ChainSpec = "lbfgs()".parse().unwrap();
        assert_eq!(empty_options.stages[0].spec, SolverSpec::new(SolverKind::Lbfgs));
    }

    #[test]
    fn bad_specs_are_one_line_errors_naming_stage_solver_and_option() {
        for (text, says) in [
            ("adam:10,bogus:5", "stage 2: unknown solver 'bogus'"),
            ("adam:10,lbfgs", "stage 2: lbfgs has no iteration count"),
            ("adam:0,lbfgs:5", "stage 1: adam has a zero count"),
            ("adam:10,,lbfgs:5", "stage 2: it is empty"),
            ("adam:ten", "count 'ten', not a positive integer"),
            ("", "stage 1: it is empty"),
            ("adam:10,lbfgs(memroy=100):5", "stage 2: lbfgs: unknown option 'memroy' (its options: memory,"),
            ("lbfgs(memory=0)", "stage 1: lbfgs: memory = '0' is out of range (valid: integer ≥ 1)"),
            ("lbfgs(memory=1e2)", "memory = '1e2' is not a whole number"),
            ("adam(lr=-1e-3):5", "stage 1: adam: lr = '-1e-3' is out of range (valid: number in (0, ∞))"),
            ("adam(lr=fast)", "lr = 'fast' is not a number"),
            ("adam(lr=1,lr=2)", "option 'lr' is given twice"),
            ("adam(lr)", "adam: option 'lr' is not key=value"),
            ("adam(lr=1", "a '(' is never closed"),
            ("adam)lr=1(", "')' at column 5 has no '('"),
            ("adam(lr=1)x", "does not end with ')'"),
            ("newton(lr=1)", "newton: unknown option 'lr'"),
            ("bfgs(line_search=armijo)", "(valid: strong-wolfe | hager-zhang)"),
        ] {
            let err = text.parse::<ChainSpec>().unwrap_err();
            assert!(err.contains(says) && !err.contains('\n'), "{text}: {err}");
        }
        let err = "lbfgs(c1=0.95)".parse::<ChainSpec>().unwrap().method().err().unwrap();
        assert!(err.contains("stage 1: lbfgs:") && err.contains("c1"), "{err}");
    }

    #[test]
    fn lists_split_outside_parentheses_and_shorthands_fill_unset_options() {
        let list = ChainSpec::parse_list("newton, lbfgs(memory=100,c1=1e-3),adam").unwrap();
        let names: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        assert_eq!(names, ["newton", "lbfgs(memory=100,c1=1e-3)", "adam"]);
        assert!(ChainSpec::parse_list("newton,,adam").unwrap_err().contains("item 2 is empty"));
        let mut chain: ChainSpec = "adam(lr=1e-4):10,gd:5,lbfgs:5".parse().unwrap();
        assert!(chain.set_where_unset("lr", "0.5").unwrap());
        assert_eq!(chain.stages[0].spec.options.number("lr"), 1e-4, "an explicit option wins");
        assert_eq!(chain.stages[1].spec.options.number("lr"), 0.5);
        assert!(!chain.set_where_unset("mu", "1").unwrap());
        let mut fresh: ChainSpec = "adam(lr=1e-4):10,gd:5".parse().unwrap();
        assert!(
            fresh
                .set_where_unset("lr", "-1")
                .unwrap_err()
                .contains("stage 2 (gd): lr = '-1' is out of range")
        );
    }

    // The chains a spec builds (chain.rs) run their stages in turn.

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
