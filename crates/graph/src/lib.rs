//! `saddle-graph`: a tensor-level computational graph of f64 matrices.
//!
//! A [`Graph`] holds nodes on petgraph with ordered operands. Each primitive in
//! [`ops`] carries all of its rules in one file: shape, kernel, simplifications and
//! the derivative rules that the `saddle-ad` transforms drive. Graphs are simplified
//! as they are built ([`Graph::apply`]) and on demand ([`Graph::simplify`]), print in
//! a canonical typed `let` form (`Display`) and as DOT, and compile into a
//! [`Program`] that evaluates with no allocation per run. [`model`] builds the
//! networks and losses of the contract (docs/CONTRACT.md).
#![warn(missing_docs)]

mod error;
mod graph;
pub mod model;
pub mod ops;
mod print;
mod program;
mod shape;
mod simplify;

pub use error::GraphError;
pub use graph::{Block, Graph, Node, NodeId, Operands};
pub use model::{Activation, Arch};
pub use ops::Op;
pub use program::{Cost, Program};
pub use shape::Shape;
