//! Errors of graph construction, transformation and evaluation.

use crate::Shape;

/// What went wrong while building, transforming or evaluating a graph.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GraphError {
    /// Operand shapes that an op does not accept.
    #[error("{op}: operands {}: {reason}", shapes(.args))]
    Shape {
        /// The op with its parameters.
        op: String,
        /// The operand shapes given.
        args: Vec<Shape>,
        /// Why they do not fit.
        reason: String,
    },
    /// The wrong number of operands.
    #[error("{op}: takes {expected} operand(s), given {found}")]
    Arity {
        /// The op.
        op: &'static str,
        /// Operands it takes.
        expected: usize,
        /// Operands given.
        found: usize,
    },
    /// A primitive lacks a derivative rule a transform needs.
    #[error("{rule} rule for '{op}' not implemented")]
    MissingRule {
        /// The op.
        op: &'static str,
        /// `jvp` or `transpose`.
        rule: &'static str,
    },
    /// Transposition met an op that is not linear in the tangent.
    #[error("cannot transpose '{op}': it is not linear in the tangent (both operands depend on it)")]
    NotLinear {
        /// The op.
        op: &'static str,
    },
    /// Two inputs of one name with different shapes.
    #[error("input '{name}' is declared as {existing} and again as {requested}")]
    InputRedeclared {
        /// The input's name.
        name: String,
        /// Its first shape.
        existing: Shape,
        /// The conflicting shape.
        requested: Shape,
    },
    /// A name that is not an input of the graph or program.
    #[error("no input named '{0}'")]
    UnknownInput(String),
    /// A name that is not an output of the graph or program.
    #[error("no output named '{0}'")]
    UnknownOutput(String),
    /// A value bound to an input has the wrong number of elements.
    #[error("input '{name}' of shape {shape} takes {} values, given {found}", .shape.len())]
    InputLength {
        /// The input's name.
        name: String,
        /// Its shape.
        shape: Shape,
        /// Values given.
        found: usize,
    },
    /// A broken internal invariant: a bug in saddle, not in the caller's input.
    #[error("internal error (a bug in saddle): {0}")]
    Internal(String),
}

fn shapes(args: &[Shape]) -> String {
    let parts: Vec<String> = args.iter().map(Shape::to_string).collect();
    parts.join(", ")
}
