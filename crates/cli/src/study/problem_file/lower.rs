//! Resolved expressions as graph nodes, built through the same builder as the networks,
//! so every derivative of a problem file's loss comes from the same transforms.

use std::collections::HashMap;

use saddle_graph::{Graph, GraphError, NodeId};

use super::expr::BinOp;
use super::resolve::Resolved;

/// What a leaf of an expression stands for; the caller supplies its node.
#[derive(Clone, Copy, Debug)]
pub enum Leaf<'a> {
    /// An input, by index.
    Input(usize),
    /// A data variable, by index.
    Data(usize),
    /// The network output with this index (N, or N_<output> with several).
    Network(usize),
    /// A trainable parameter, by index in `[parameters]`.
    Param(usize),
    /// An output or its derivative by the inputs `wrt`, at site `site`.
    Solution {
        /// The output, by index.
        output: usize,
        /// 0 for the term's own points, k for its k-th shifted point.
        site: usize,
        /// Input indices, ascending.
        wrt: &'a [usize],
    },
}

/// Builds `e` into `g`, asking `leaf` for the node of each leaf.
pub fn lower(
    g: &mut Graph,
    e: &Resolved,
    leaf: &mut dyn FnMut(&mut Graph, Leaf<'_>) -> Result<NodeId, GraphError>,
) -> Result<NodeId, GraphError> {
    Ok(match e {
        Resolved::Num(v) => g.scalar(*v),
        Resolved::Input(i) => leaf(g, Leaf::Input(*i))?,
        Resolved::Data(j) => leaf(g, Leaf::Data(*j))?,
        Resolved::Network(k) => leaf(g, Leaf::Network(*k))?,
        Resolved::Param(k) => leaf(g, Leaf::Param(*k))?,
        Resolved::Solution { output, site, wrt } => {
            leaf(g, Leaf::Solution { output: *output, site: *site, wrt })?
        }
        Resolved::Neg(a) => {
            let a = lower(g, a, leaf)?;
            g.neg(a)?
        }
        Resolved::Not(_) => return Err(GraphError::Internal("'not' outside a where".into())),
        Resolved::Func(f, a) => {
            let a = lower(g, a, leaf)?;
            f.apply(g, a)?
        }
        Resolved::Binary(op, a, b) => {
            let a = lower(g, a, leaf)?;
            let b = lower(g, b, leaf)?;
            match op {
                BinOp::Add => g.add(a, b)?,
                BinOp::Sub => g.sub(a, b)?,
                BinOp::Mul => g.mul(a, b)?,
                BinOp::Div => g.div(a, b)?,
                op @ (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::And | BinOp::Or) => {
                    return Err(GraphError::Internal(format!("'{}' outside a where", op.symbol())));
                }
                // A constant exponent is one primitive; any other is exp(b·log a).
                BinOp::Pow => match g.const_value(b) {
                    Some(p) => g.pow(a, p)?,
                    None => {
                        let log_a = g.log(a)?;
                        let b_log_a = g.mul(b, log_a)?;
                        g.exp(b_log_a)?
                    }
                },
            }
        }
    })
}

/// Builds one output of the solution (by index) at a set of points from their input
/// columns (one N × 1 node per input).
pub type SolutionBuilder<'a> = dyn FnMut(&mut Graph, &[NodeId], usize) -> Result<NodeId, GraphError> + 'a;

/// The solution and its derivatives at one set of points: the input columns and the
/// nodes built so far, by output and the inputs differentiated by.
#[derive(Clone, Debug)]
pub struct Site {
    /// One N × 1 node per input.
    pub inputs: Vec<NodeId>,
    built: HashMap<(usize, Vec<usize>), NodeId>,
}

impl Site {
    /// A site over the given input columns.
    pub fn new(inputs: Vec<NodeId>) -> Site {
        Site { inputs, built: HashMap::new() }
    }

    /// Output `output` differentiated by the inputs `wrt` (ascending), the output itself
    /// made by `solution` from the input columns. Each lower derivative is built once and
    /// shared.
    pub fn derivative(
        &mut self,
        g: &mut Graph,
        output: usize,
        wrt: &[usize],
        solution: &mut SolutionBuilder<'_>,
    ) -> Result<NodeId, GraphError> {
        let key = (output, wrt.to_vec());
        if let Some(&id) = self.built.get(&key) {
            return Ok(id);
        }
        let id = match wrt.split_last() {
            None => solution(g, &self.inputs, output)?,
            Some((&last, lower)) => {
                let f = self.derivative(g, output, lower, solution)?;
                saddle_ad::d_dx(g, f, self.inputs[last])?
            }
        };
        self.built.insert(key, id);
        Ok(id)
    }
}
