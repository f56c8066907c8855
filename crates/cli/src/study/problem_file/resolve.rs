//! Names in problem-file expressions: which are inputs, constants, data variables, the
//! network's outputs `N` (`N_u`, `N_v`, ... with several), the solution's outputs (`u`,
//! `v`, ...) and their derivatives, or functions; and the points `u(e1, ..., ed)` is
//! evaluated at besides the term's own.

use std::collections::BTreeMap;
use std::f64::consts::PI;

use saddle_graph::ops::Function;

use super::expr::{BinOp, Expr};

/// An expression with its names resolved.
#[derive(Clone, Debug, PartialEq)]
pub enum Resolved {
    /// A number (literals, `pi` and constants).
    Num(f64),
    /// The input with this index in `inputs`.
    Input(usize),
    /// The data variable with this index among the term's CSV columns.
    Data(usize),
    /// The network's output with this index: N, or N_<output> when there are several
    /// (only in `trial`).
    Network(usize),
    /// The trainable coefficient with this index in `[parameters]` (only in residuals):
    /// θ[n_net + index].
    Param(usize),
    /// −a.
    Neg(Box<Resolved>),
    /// `not a` (in `where` only).
    Not(Box<Resolved>),
    /// a ∘ b.
    Binary(BinOp, Box<Resolved>, Box<Resolved>),
    /// f(a).
    Func(Function, Box<Resolved>),
    /// The solution's output `output` (u, or v, p, ...), or its derivative with respect
    /// to the inputs `wrt` (ascending indices, repeated for higher orders), at the term's
    /// own points (`site` 0) or at the term's shifted point `site` (1-based, see
    /// [`Scope::sites`]).
    Solution {
        /// Which output, by index in the file's `outputs`.
        output: usize,
        /// Which evaluation points.
        site: usize,
        /// Input indices to differentiate by, ascending.
        wrt: Vec<usize>,
    },
}

impl Resolved {
    /// Whether `self` refers to the solution anywhere.
    pub fn uses_solution(&self) -> bool {
        match self {
            Resolved::Solution { .. } => true,
            Resolved::Neg(a) | Resolved::Not(a) | Resolved::Func(_, a) => a.uses_solution(),
            Resolved::Binary(_, a, b) => a.uses_solution() || b.uses_solution(),
            _ => false,
        }
    }
}

/// The highest order of a derivative of u: each order differentiates the whole previous
/// one again, so the graph grows with the order (order 20 of a small network takes
/// seconds, 40 most of a gigabyte), and PDEs need far less.
pub const MAX_ORDER: usize = 8;

/// `Err` at `col` when `wrt` asks for a derivative above [`MAX_ORDER`].
fn check_order(wrt: &[usize], col: usize) -> Result<(), NameError> {
    if wrt.len() > MAX_ORDER {
        return Err((col, format!("a derivative of order {} (at most {MAX_ORDER} is supported)", wrt.len())));
    }
    Ok(())
}

/// The functions expressions may call, sorted and comma-separated.
pub fn function_names() -> String {
    let mut names: Vec<&str> = Function::ALL.iter().map(|f| f.name()).collect();
    names.sort_unstable();
    names.join(", ")
}

/// Names that expressions reserve for themselves.
pub const RESERVED: [&str; 8] = ["pi", "u", "N", "d", "dn", "and", "or", "not"];

/// What an expression may refer to.
pub struct Scope<'a> {
    /// The network's inputs, in order.
    pub inputs: &'a [String],
    /// The solution's outputs, in order (`["u"]` by default).
    pub outputs: &'a [String],
    /// Named numbers.
    pub constants: &'a BTreeMap<String, f64>,
    /// The term's data variables (CSV columns that are not inputs).
    pub data: &'a [String],
    /// The file's trainable `[parameters]`, in file order (usable where `solution` is).
    pub params: &'a [String],
    /// Whether `N` (`N_<output>` with several outputs) may appear (in `trial` only).
    pub network: bool,
    /// Whether the outputs and their derivatives may appear (in residuals only).
    pub solution: bool,
    /// Whether the term's points carry outward unit normals, for `dn(...)`: they are then
    /// the data variables after `data`, one per input.
    pub normals: bool,
    /// Whether comparisons, `and`, `or` and `not` may appear (in `where` only).
    pub predicate: bool,
    /// The shifted points of `u(e1, ..., ed)` met so far: each a list of d coordinate
    /// expressions; `Solution { site: k }` refers to entry k − 1.
    pub sites: Vec<Vec<Resolved>>,
}

/// A name error at a column.
pub type NameError = (usize, String);

impl Scope<'_> {
    /// Resolves every name of `e`.
    pub fn resolve(&mut self, e: &Expr) -> Result<Resolved, NameError> {
        match e {
            Expr::Num(v) => Ok(Resolved::Num(*v)),
            Expr::Neg(a) => Ok(Resolved::Neg(Box::new(self.resolve(a)?))),
            Expr::Not { arg, col } => {
                self.require_predicate(*col, "not")?;
                Ok(Resolved::Not(Box::new(self.resolve(arg)?)))
            }
            Expr::Binary { op, lhs, rhs, col } => {
                if op.is_logical() {
                    self.require_predicate(*col, op.symbol())?;
                }
                Ok(Resolved::Binary(*op, Box::new(self.resolve(lhs)?), Box::new(self.resolve(rhs)?)))
            }
            Expr::Name { name, col } => self.name(name, *col),
            Expr::Call { callee, args, col } => self.call(callee, args, *col),
        }
    }

    fn name(&mut self, name: &str, col: usize) -> Result<Resolved, NameError> {
        if name == "pi" {
            return Ok(Resolved::Num(PI));
        }
        if let Some(&v) = self.constants.get(name) {
            return Ok(Resolved::Num(v));
        }
        if let Some(i) = self.inputs.iter().position(|n| n == name) {
            return Ok(Resolved::Input(i));
        }
        if let Some(k) = self.params.iter().position(|n| n == name) {
            return if self.solution {
                Ok(Resolved::Param(k))
            } else {
                Err((
                    col,
                    format!("'{name}' is a trainable parameter: parameters may appear only in residuals"),
                ))
            };
        }
        if let Some(j) = self.data.iter().position(|n| n == name) {
            return Ok(Resolved::Data(j));
        }
        if let Some(k) = self.network_name(name, col)? {
            return if self.network {
                Ok(Resolved::Network(k))
            } else {
                Err((
                    col,
                    format!(
                        "{name} (the network's output) may appear only in trial; use {}, the solution",
                        self.outputs[k]
                    ),
                ))
            };
        }
        if let Some((output, wrt)) = self.solution_name(name, col)? {
            self.require_solution(col, name)?;
            return Ok(Resolved::Solution { output, site: 0, wrt });
        }
        if Function::from_name(name).is_some() {
            return Err((col, format!("{name} is a function: write {name}(...)")));
        }
        if name == "d" {
            return Err((col, "d is the derivative: write d(u, x), d(u, x, y), ...".into()));
        }
        match self.known() {
            known if known.is_empty() => Err((col, format!("unknown name '{name}'"))),
            known => Err((col, format!("unknown name '{name}' ({known})"))),
        }
    }

    /// `N` → 0 with one output; `N_v` → v's index with several; `None` for other names.
    fn network_name(&self, name: &str, col: usize) -> Result<Option<usize>, NameError> {
        let several = self.outputs.len() > 1;
        if name == "N" {
            return match several {
                false => Ok(Some(0)),
                true => Err((
                    col,
                    format!(
                        "with several outputs the network's are {}: write one of them",
                        self.outputs.iter().map(|o| format!("N_{o}")).collect::<Vec<_>>().join(", ")
                    ),
                )),
            };
        }
        let Some(output) = name.strip_prefix("N_") else { return Ok(None) };
        match self.outputs.iter().position(|o| o == output) {
            Some(k) if several => Ok(Some(k)),
            Some(_) => Err((col, format!("{name}: with one output the network's output is N"))),
            None => Ok(None),
        }
    }

    /// The output `name` is or differentiates, and the inputs it differentiates by: `u` →
    /// (u, []), `v_xy` → (v, [x, y]) (one-letter inputs only); `None` for other names.
    fn solution_name(&self, name: &str, col: usize) -> Result<Option<(usize, Vec<usize>)>, NameError> {
        if let Some(k) = self.outputs.iter().position(|o| o == name) {
            return Ok(Some((k, Vec::new())));
        }
        let Some((output, letters)) = name.split_once('_') else { return Ok(None) };
        let Some(k) = self.outputs.iter().position(|o| o == output) else { return Ok(None) };
        if !self.inputs.iter().all(|n| n.chars().count() == 1) {
            return Err((
                col,
                format!("the shorthand {name} needs one-letter input names; write d(u, ...) instead"),
            ));
        }
        let mut wrt = Vec::new();
        for (k, c) in letters.chars().enumerate() {
            match self.inputs.iter().position(|n| n.starts_with(c)) {
                Some(i) => wrt.push(i),
                None => {
                    return Err((
                        col + 2 + k,
                        format!("{name}: '{c}' is not an input (inputs: {})", self.inputs.join(", ")),
                    ));
                }
            }
        }
        if wrt.is_empty() {
            return Err((col, format!("{output}_ needs the inputs to differentiate by, e.g. {output}_x")));
        }
        check_order(&wrt, col)?;
        wrt.sort_unstable();
        Ok(Some((k, wrt)))
    }

    /// The output an expression names (`u`, `v`), if it is one.
    fn output_named(&self, e: &Expr) -> Option<usize> {
        match e {
            Expr::Name { name, .. } => self.outputs.iter().position(|o| o == name),
            _ => None,
        }
    }

    fn require_predicate(&self, col: usize, op: &str) -> Result<(), NameError> {
        if self.predicate {
            Ok(())
        } else {
            Err((col, format!("'{op}': comparisons, and, or, not are valid only in a point set's where")))
        }
    }

    /// `dn(w)`: Σ_i n_i ∂w/∂x_i, with w an output or its derivative at the term's own points.
    fn normal_derivative(&mut self, args: &[Expr], col: usize) -> Result<Resolved, NameError> {
        self.require_solution(col, "dn(...)")?;
        if args.len() != 1 {
            return Err((col, format!("dn takes one argument, found {}", args.len())));
        }
        let (output, wrt) = match self.resolve(&args[0])? {
            Resolved::Solution { output, site: 0, wrt } => (output, wrt),
            _ => {
                let what = match self.outputs {
                    [one] => format!("{one} or a derivative of {one}"),
                    _ => "an output or a derivative of one".to_string(),
                };
                return Err((col, format!("dn(...) differentiates {what}: write dn(u), dn(u_x)")));
            }
        };
        if !self.normals {
            return Err((
                col,
                "dn(...) needs outward normals: the term's points must be a boundary, segment or curve"
                    .into(),
            ));
        }
        let mut sum: Option<Resolved> = None;
        for i in 0..self.inputs.len() {
            let mut w = wrt.clone();
            w.push(i);
            check_order(&w, col)?;
            w.sort_unstable();
            let n = Resolved::Data(self.data.len() + i);
            let part = Resolved::Binary(
                BinOp::Mul,
                Box::new(n),
                Box::new(Resolved::Solution { output, site: 0, wrt: w }),
            );
            sum = Some(match sum {
                None => part,
                Some(s) => Resolved::Binary(BinOp::Add, Box::new(s), Box::new(part)),
            });
        }
        sum.ok_or_else(|| (col, "dn needs at least one input".into()))
    }

    /// `Err` unless the solution may appear here; `what` names it in the message (`u`,
    /// `v_x`).
    fn require_solution(&self, col: usize, what: &str) -> Result<(), NameError> {
        if self.solution {
            Ok(())
        } else if self.network {
            let n = match self.outputs {
                [_] => "N".to_string(),
                all => all.iter().map(|o| format!("N_{o}")).collect::<Vec<_>>().join(", "),
            };
            Err((col, format!("{what} is the solution this trial defines: write the trial in terms of {n}")))
        } else {
            Err((col, format!("{what} may appear only in residuals")))
        }
    }

    fn call(&mut self, callee: &Expr, args: &[Expr], col: usize) -> Result<Resolved, NameError> {
        if let Expr::Name { name, col: name_col } = callee {
            if let Some(f) = Function::from_name(name) {
                if args.len() != 1 {
                    return Err((col, format!("{name} takes one argument, found {}", args.len())));
                }
                return Ok(Resolved::Func(f, Box::new(self.resolve(&args[0])?)));
            }
            if name == "d" {
                let (output, wrt) = self.derivative(args, *name_col)?;
                return Ok(Resolved::Solution { output, site: 0, wrt });
            }
            if name == "dn" {
                return self.normal_derivative(args, *name_col);
            }
            if let Some((output, wrt)) = self.solution_name(name, *name_col)? {
                self.require_solution(*name_col, name)?;
                return self.shifted(output, wrt, args, col);
            }
        }
        if let Expr::Call { callee: inner, args: inner_args, .. } = callee
            && let Expr::Name { name, col: name_col } = &**inner
            && name == "d"
        {
            let (output, wrt) = self.derivative(inner_args, *name_col)?;
            return self.shifted(output, wrt, args, col);
        }
        if let Expr::Name { name, col: name_col } = callee
            && !self.is_known(name)
        {
            return Err((*name_col, format!("unknown function '{name}' (functions: {})", function_names())));
        }
        Err((
            col,
            format!("{callee} cannot be called: only functions, outputs (u, u_x, ...) and d(u, ...) can"),
        ))
    }

    /// Whether `name` is something other than a function: pi, N, an input, a constant or a
    /// data variable.
    fn is_known(&self, name: &str) -> bool {
        name == "pi"
            || name == "N"
            || name.strip_prefix("N_").is_some_and(|o| self.outputs.iter().any(|n| n == o))
            || self.constants.contains_key(name)
            || self.inputs.iter().any(|n| n == name)
            || self.data.iter().any(|n| n == name)
            || self.params.iter().any(|n| n == name)
    }

    /// The output `d(u, x, ...)` differentiates and the inputs it differentiates by.
    fn derivative(&mut self, args: &[Expr], col: usize) -> Result<(usize, Vec<usize>), NameError> {
        self.require_solution(col, "d(...)")?;
        let Some(output) = args.first().and_then(|a| self.output_named(a)) else {
            let what = match self.outputs {
                [one] => one.clone(),
                all => format!("an output ({})", all.join(", ")),
            };
            return Err((col, format!("d(...) differentiates {what}: write d(u, x), d(u, x, y), ...")));
        };
        if args.len() < 2 {
            return Err((col, "d(u, ...) needs at least one input to differentiate by".into()));
        }
        let mut wrt = Vec::new();
        for a in &args[1..] {
            match a {
                Expr::Name { name, col } => match self.inputs.iter().position(|n| n == name) {
                    Some(i) => wrt.push(i),
                    None => {
                        return Err((
                            *col,
                            format!(
                                "d(u, ...): '{name}' is not an input (inputs: {})",
                                self.inputs.join(", ")
                            ),
                        ));
                    }
                },
                _ => return Err((col, "d(u, ...): differentiate by input names only".into())),
            }
        }
        check_order(&wrt, col)?;
        wrt.sort_unstable();
        Ok((output, wrt))
    }

    /// An output (or a derivative) at the point whose coordinates are `args`.
    fn shifted(
        &mut self,
        output: usize,
        wrt: Vec<usize>,
        args: &[Expr],
        col: usize,
    ) -> Result<Resolved, NameError> {
        let d = self.inputs.len();
        if args.len() != d {
            return Err((
                col,
                format!("u takes {d} coordinate(s) ({}), found {}", self.inputs.join(", "), args.len()),
            ));
        }
        let mut inner = Scope {
            inputs: self.inputs,
            outputs: self.outputs,
            constants: self.constants,
            data: self.data,
            params: self.params,
            network: false,
            solution: false,
            normals: false,
            predicate: false,
            sites: Vec::new(),
        };
        let coords =
            args.iter().map(|a| inner.resolve(a)).collect::<Result<Vec<_>, _>>().map_err(|(c, m)| {
                (c, format!("{m} (the coordinates of a point may use inputs, constants and data, not u)"))
            })?;
        let site = match self.sites.iter().position(|s| *s == coords) {
            Some(k) => k + 1,
            None => {
                self.sites.push(coords);
                self.sites.len()
            }
        };
        Ok(Resolved::Solution { output, site, wrt })
    }

    fn known(&self) -> String {
        let mut parts = Vec::new();
        if !self.inputs.is_empty() {
            parts.push(format!("inputs: {}", self.inputs.join(", ")));
        }
        if !self.constants.is_empty() {
            parts.push(format!(
                "constants: {}",
                self.constants.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        if !self.data.is_empty() {
            parts.push(format!("data: {}", self.data.join(", ")));
        }
        if !self.params.is_empty() {
            parts.push(format!("parameters: {}", self.params.join(", ")));
        }
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::problem_file::expr::parse;

    /// The default outputs, `u` alone.
    static OUTPUT_U: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| vec!["u".to_string()]);

    fn scope<'a>(
        inputs: &'a [String],
        constants: &'a BTreeMap<String, f64>,
        data: &'a [String],
    ) -> Scope<'a> {
        Scope {
            inputs,
            outputs: &OUTPUT_U,
            constants,
            data,
            params: &[],
            network: false,
            solution: true,
            normals: false,
            predicate: false,
            sites: Vec::new(),
        }
    }

    #[test]
    fn names_resolve_to_what_they_are() {
        let inputs = vec!["x".to_string(), "t".to_string()];
        let constants = BTreeMap::from([("k".to_string(), 2.0)]);
        let data = vec!["w".to_string()];
        let mut s = scope(&inputs, &constants, &data);
        let r = s.resolve(&parse("u_tx + k*w - d(u, t, t)(0, t)").unwrap()).unwrap();
        let expected = Resolved::Binary(
            BinOp::Sub,
            Box::new(Resolved::Binary(
                BinOp::Add,
                Box::new(Resolved::Solution { output: 0, site: 0, wrt: vec![0, 1] }),
                Box::new(Resolved::Binary(
                    BinOp::Mul,
                    Box::new(Resolved::Num(2.0)),
                    Box::new(Resolved::Data(0)),
                )),
            )),
            Box::new(Resolved::Solution { output: 0, site: 1, wrt: vec![1, 1] }),
        );
        assert_eq!(r, expected);
        assert_eq!(s.sites, vec![vec![Resolved::Num(0.0), Resolved::Input(1)]]);
        // The same point again is the same site; another is a new one.
        let r = s.resolve(&parse("u(0, t) - u(2*pi, t)").unwrap()).unwrap();
        let Resolved::Binary(_, a, b) = r else { panic!() };
        assert_eq!(*a, Resolved::Solution { output: 0, site: 1, wrt: vec![] });
        assert_eq!(*b, Resolved::Solution { output: 0, site: 2, wrt: vec![] });
    }

    #[test]
    fn misuse_is_named_at_its_column() {
        let inputs = vec!["x".to_string(), "y".to_string()];
        let constants = BTreeMap::new();
        let cases = [
            ("u + z", 5, "unknown name 'z' (inputs: x, y)"),
            ("N*u", 1, "N (the network's output) may appear only in trial"),
            ("d(u, z)", 6, "d(u, ...): 'z' is not an input"),
            ("d(x, x)", 1, "d(...) differentiates u"),
            ("u_xz", 4, "u_xz: 'z' is not an input"),
            ("sin(x, y)", 4, "sin takes one argument, found 2"),
            ("sin + 1", 1, "sin is a function"),
            ("u(0)", 2, "u takes 2 coordinate(s) (x, y), found 1"),
            ("u(u, 0)", 3, "u may appear only in residuals"),
            ("x(1)", 2, "x cannot be called"),
            (
                "2*foo(x)",
                3,
                "unknown function 'foo' (functions: abs, atan, cos, cosh, exp, log, sigmoid, sin, sinh, softplus, sqrt, tanh)",
            ),
            ("arctan(u)", 1, "unknown function 'arctan' (functions: abs, atan,"),
            ("d(u, x, x, x, x, y, y, y, y, x)", 1, "a derivative of order 9 (at most 8 is supported)"),
            ("u_xxxxxxxxx", 1, "a derivative of order 9 (at most 8 is supported)"),
        ];
        for (src, col, message) in cases {
            let mut s = scope(&inputs, &constants, &[]);
            let (c, m) = s.resolve(&parse(src).unwrap()).unwrap_err();
            assert_eq!(c, col, "{src}: {m}");
            assert!(m.starts_with(message), "{src}: {m}");
        }
        let long = vec!["xa".to_string()];
        let mut s = scope(&long, &constants, &[]);
        let (_, m) = s.resolve(&parse("u_xa").unwrap()).unwrap_err();
        assert!(m.contains("needs one-letter input names"), "{m}");
    }
}
