//! The graph: nodes on petgraph with ordered operands, hash-consed, shape-checked
//! and simplified as they are built.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use smallvec::SmallVec;

use crate::ops::{
    BroadcastTo, Const, Cos, Div, Embed, Exp, Input, Log, MatMul, Mul, Neg, Op, Pow, Sigmoid, Sin, Slice,
    Softplus, Sqrt, Sub, SumTo, Tanh, TanhGrad, TanhGradDy, Transpose,
};
use crate::{GraphError, Shape};

/// Elements `offset .. offset + rows·cols` of a column vector, read row-major as a
/// `rows × cols` matrix (see [`Graph::operand_block`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    /// Index of the first element read.
    pub offset: usize,
    /// Rows of the matrix read.
    pub rows: usize,
    /// Columns of the matrix read.
    pub cols: usize,
}

/// Identifies a node of a [`Graph`].
pub type NodeId = NodeIndex<u32>;

/// Operand lists: almost always one or two.
pub type Operands = SmallVec<[NodeId; 2]>;

/// One value of the graph: the op that computes it, its operands in order, its shape.
#[derive(Clone, Debug)]
pub struct Node {
    /// The operation.
    pub op: Op,
    /// Operands, in order.
    pub args: Operands,
    /// The result shape.
    pub shape: Shape,
}

/// A directed acyclic graph of f64 values with named inputs and outputs.
///
/// Nodes are only ever appended, each after its operands, so index order is a
/// topological order. [`Graph::apply`] checks shapes, folds constants, applies
/// algebraic identities and shares equal subexpressions as nodes are built.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    dag: DiGraph<Node, u8>,
    memo: HashMap<(Op, Operands), NodeId>,
    inputs: Vec<NodeId>,
    outputs: Vec<(String, NodeId)>,
    /// For each node, the inputs it depends on (see [`Graph::input_mask`]).
    masks: Vec<u64>,
    /// Inputs declared so far, forgotten ones included: each gets the next bit.
    declared: usize,
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares (or returns the existing) input `name` of the given shape.
    pub fn input(&mut self, name: &str, shape: Shape) -> Result<NodeId, GraphError> {
        if let Some(id) = self.input_named(name) {
            let existing = self.shape(id);
            return if existing == shape {
                Ok(id)
            } else {
                Err(GraphError::InputRedeclared { name: name.into(), existing, requested: shape })
            };
        }
        let id = self.insert(Input { name: name.into(), shape }.into(), Operands::new(), shape);
        self.masks[id.index()] = 1 << self.declared.min(63);
        self.declared += 1;
        self.inputs.push(id);
        Ok(id)
    }

    /// A constant of the given shape whose every element is `value`.
    pub fn fill(&mut self, value: f64, shape: Shape) -> NodeId {
        self.insert(Const { value, shape }.into(), Operands::new(), shape)
    }

    /// A `1 × 1` constant.
    pub fn scalar(&mut self, value: f64) -> NodeId {
        self.fill(value, Shape::SCALAR)
    }

    /// Applies `op` to `args`, simplifying: constant folding, the op's algebraic
    /// identities, and sharing of an equal existing node.
    pub fn apply(&mut self, op: impl Into<Op>, args: &[NodeId]) -> Result<NodeId, GraphError> {
        let op = op.into();
        let shape = self.check(&op, args)?;
        let values: Option<Vec<f64>> = args.iter().map(|&a| self.const_value(a)).collect();
        if let Some(values) = values.filter(|v| !v.is_empty()) {
            let arg_shapes: Vec<Shape> = args.iter().map(|&a| self.shape(a)).collect();
            if let Some(v) = op.rules().fold(&values, &arg_shapes, shape) {
                return Ok(self.fill(v, shape));
            }
        }
        if let Some(id) = op.rules().simplify(self, args, shape)? {
            return Ok(id);
        }
        Ok(self.insert(op, args.into(), shape))
    }

    /// Applies `op` to `args` with shape checking and sharing of equal nodes, but no
    /// folding or identities (for building graphs that exercise the simplifier).
    pub fn apply_unsimplified(&mut self, op: impl Into<Op>, args: &[NodeId]) -> Result<NodeId, GraphError> {
        let op = op.into();
        let shape = self.check(&op, args)?;
        Ok(self.insert(op, args.into(), shape))
    }

    fn check(&self, op: &Op, args: &[NodeId]) -> Result<Shape, GraphError> {
        let rules = op.rules();
        if rules.arity() != args.len() {
            return Err(GraphError::Arity { op: rules.name(), expected: rules.arity(), found: args.len() });
        }
        if let Some(&bad) = args.iter().find(|a| a.index() >= self.dag.node_count()) {
            return Err(GraphError::Internal(format!("{op}: operand {} is not in the graph", bad.index())));
        }
        let shapes: Vec<Shape> = args.iter().map(|&a| self.shape(a)).collect();
        rules.shape(&shapes).map_err(|reason| GraphError::Shape { op: op.to_string(), args: shapes, reason })
    }

    fn insert(&mut self, op: Op, args: Operands, shape: Shape) -> NodeId {
        let key = (op, args);
        if let Some(&id) = self.memo.get(&key) {
            return id;
        }
        let (op, args) = key.clone();
        let id = self.dag.add_node(Node { op, args, shape });
        self.masks.push(key.1.iter().fold(0, |m, a| m | self.masks[a.index()]));
        for (position, &a) in key.1.iter().enumerate() {
            self.dag.add_edge(a, id, position as u8);
        }
        self.memo.insert(key, id);
        id
    }

    /// The node `id`.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.dag[id]
    }

    /// The shape of node `id`.
    pub fn shape(&self, id: NodeId) -> Shape {
        self.dag[id].shape
    }

    /// The fill value if `id` is a constant.
    pub fn const_value(&self, id: NodeId) -> Option<f64> {
        match self.dag[id].op {
            Op::Const(c) => Some(c.value),
            _ => None,
        }
    }

    /// The inputs node `id` depends on, one bit per input in declaration order (inputs
    /// past the 63rd share the top bit).
    pub fn input_mask(&self, id: NodeId) -> u64 {
        self.masks[id.index()]
    }

    /// 1 + the declaration position of the latest-declared input `id` depends on (0 for
    /// a constant). Transforms declare their inputs after the ones they differentiate
    /// (a direction `v` or a Hessian basis after θ and the data), so a value of lower
    /// rank stays fixed while one of higher rank varies: identities move such factors
    /// together, where a program computes them once.
    pub fn input_rank(&self, id: NodeId) -> u32 {
        u64::BITS - self.masks[id.index()].leading_zeros()
    }

    /// Number of nodes, dead ones included.
    pub fn len(&self) -> usize {
        self.dag.node_count()
    }

    /// Whether the graph has no nodes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All node ids in topological (index) order.
    pub fn node_ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.dag.node_indices()
    }

    /// The underlying petgraph DAG (edges run operand → user, weighted by operand position).
    pub fn dag(&self) -> &DiGraph<Node, u8> {
        &self.dag
    }

    /// Declared inputs, in declaration order. They are the graph's interface: kept by
    /// simplification and bound by programs even when no output reads them.
    pub fn inputs(&self) -> &[NodeId] {
        &self.inputs
    }

    /// The input called `name`, if declared.
    pub fn input_named(&self, name: &str) -> Option<NodeId> {
        self.inputs.iter().copied().find(|&id| matches!(&self.dag[id].op, Op::Input(i) if i.name == name))
    }

    /// Removes `id` from the declared inputs (a transform's temporary input that no
    /// output will read); the node itself stays until simplification drops it.
    pub fn forget_input(&mut self, id: NodeId) {
        self.inputs.retain(|&i| i != id);
    }

    /// The name of input node `id`, if it is one.
    pub fn input_name(&self, id: NodeId) -> Option<&str> {
        match &self.dag[id].op {
            Op::Input(i) => Some(&i.name),
            _ => None,
        }
    }

    /// Marks `id` as the output `name` (replacing an output of that name).
    pub fn set_output(&mut self, name: &str, id: NodeId) {
        match self.outputs.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = id,
            None => self.outputs.push((name.into(), id)),
        }
    }

    /// Removes every output (the nodes stay; simplification drops what is dead).
    pub fn clear_outputs(&mut self) {
        self.outputs.clear();
    }

    /// Named outputs, in the order they were first set.
    pub fn outputs(&self) -> &[(String, NodeId)] {
        &self.outputs
    }

    /// The output called `name`.
    pub fn output(&self, name: &str) -> Result<NodeId, GraphError> {
        self.outputs
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, id)| id)
            .ok_or_else(|| GraphError::UnknownOutput(name.into()))
    }

    /// The block of its operand that node `id` reads, when the node reads one contiguous
    /// block of it as a matrix and nothing else (a `slice`: one layer's W or b out of θ);
    /// `None` for nodes that read their operands whole. Derivative transforms use it to
    /// find the blocks θ is read in without looking at ops.
    pub fn operand_block(&self, id: NodeId) -> Option<Block> {
        match &self.node(id).op {
            Op::Slice(s) => Some(Block { offset: s.offset, rows: s.rows, cols: s.cols }),
            _ => None,
        }
    }

    /// For each node, whether an output depends on it.
    pub fn live(&self) -> Vec<bool> {
        let mut live = vec![false; self.len()];
        for (_, id) in &self.outputs {
            live[id.index()] = true;
        }
        for id in self.dag.node_indices().rev() {
            if live[id.index()] {
                for a in &self.dag[id].args {
                    live[a.index()] = true;
                }
            }
        }
        live
    }

    /// Number of nodes the outputs depend on.
    pub fn live_count(&self) -> usize {
        self.live().iter().filter(|&&l| l).count()
    }

    /// Checks the invariants: operands precede their users, arities and shapes agree
    /// with each op's rules, edges mirror operands, and the DAG has no cycle.
    pub fn validate(&self) -> Result<(), GraphError> {
        let bad = |msg: String| Err(GraphError::Internal(msg));
        for id in self.dag.node_indices() {
            let node = &self.dag[id];
            if node.args.iter().any(|a| a.index() >= id.index()) {
                return bad(format!("node {} uses a later node", id.index()));
            }
            if self.check(&node.op, &node.args)? != node.shape {
                return bad(format!("node {} has a stale shape", id.index()));
            }
            let mut edges: Vec<(usize, NodeId)> = self
                .dag
                .edges_directed(id, petgraph::Direction::Incoming)
                .map(|e| (*e.weight() as usize, petgraph::visit::EdgeRef::source(&e)))
                .collect();
            edges.sort();
            let expected: Vec<(usize, NodeId)> = node.args.iter().copied().enumerate().collect();
            if edges != expected {
                return bad(format!("node {} has edges that do not match its operands", id.index()));
            }
        }
        if petgraph::algo::is_cyclic_directed(&self.dag) {
            return bad("the graph has a cycle".into());
        }
        Ok(())
    }

    /// `x` broadcast to the rows and columns of `out`; `None` if the batch differs.
    pub fn broadcast_like(&mut self, x: NodeId, out: Shape) -> Result<Option<NodeId>, GraphError> {
        let s = self.shape(x);
        if s.batch != out.batch {
            return Ok(None);
        }
        if s == out {
            return Ok(Some(x));
        }
        self.broadcast_to(x, out.rows, out.cols).map(Some)
    }

    /// Sum of two values that may be symbolic zeros (`None`).
    pub fn add_maybe(&mut self, a: Option<NodeId>, b: Option<NodeId>) -> Result<Option<NodeId>, GraphError> {
        match (a, b) {
            (Some(a), Some(b)) => self.add(a, b).map(Some),
            (a, None) => Ok(a),
            (None, b) => Ok(b),
        }
    }

    /// `t ⊙ by` where `t` may be a symbolic zero (`None`).
    pub fn mul_maybe(&mut self, t: Option<NodeId>, by: NodeId) -> Result<Option<NodeId>, GraphError> {
        t.map(|t| self.mul(t, by)).transpose()
    }
}

/// Builder shorthands, one per primitive.
impl Graph {
    /// `a + b` (broadcasting).
    pub fn add(&mut self, a: NodeId, b: NodeId) -> Result<NodeId, GraphError> {
        self.apply(crate::ops::Add, &[a, b])
    }
    /// `a − b` (broadcasting).
    pub fn sub(&mut self, a: NodeId, b: NodeId) -> Result<NodeId, GraphError> {
        self.apply(Sub, &[a, b])
    }
    /// `a ⊙ b` (broadcasting).
    pub fn mul(&mut self, a: NodeId, b: NodeId) -> Result<NodeId, GraphError> {
        self.apply(Mul, &[a, b])
    }
    /// `a ⊘ b` (broadcasting).
    pub fn div(&mut self, a: NodeId, b: NodeId) -> Result<NodeId, GraphError> {
        self.apply(Div, &[a, b])
    }
    /// `−a`.
    pub fn neg(&mut self, a: NodeId) -> Result<NodeId, GraphError> {
        self.apply(Neg, &[a])
    }
    /// The matrix product `a · b`.
    pub fn matmul(&mut self, a: NodeId, b: NodeId) -> Result<NodeId, GraphError> {
        self.apply(MatMul, &[a, b])
    }
    /// The transpose `aᵀ`.
    pub fn transpose(&mut self, a: NodeId) -> Result<NodeId, GraphError> {
        self.apply(Transpose, &[a])
    }
    /// Elementwise tanh.
    pub fn tanh(&mut self, a: NodeId) -> Result<NodeId, GraphError> {
        self.apply(Tanh, &[a])
    }
    /// `t ⊙ (1 − y ⊙ y)`: tanh's derivative at y = tanh(x) applied to `t`.
    pub fn tanh_grad(&mut self, y: NodeId, t: NodeId) -> Result<NodeId, GraphError> {
        self.apply(TanhGrad, &[y, t])
    }
    /// `−2 ⊙ y ⊙ t`: the derivative of [`Graph::tanh_grad`] with respect to y.
    pub fn tanh_grad_dy(&mut self, y: NodeId, t: NodeId) -> Result<NodeId, GraphError> {
        self.apply(TanhGradDy, &[y, t])
    }
    /// Elementwise sine.
    pub fn sin(&mut self, a: NodeId) -> Result<NodeId, GraphError> {
        self.apply(Sin, &[a])
    }
    /// Elementwise cosine.
    pub fn cos(&mut self, a: NodeId) -> Result<NodeId, GraphError> {
        self.apply(Cos, &[a])
    }
    /// Elementwise logistic sigmoid.
    pub fn sigmoid(&mut self, a: NodeId) -> Result<NodeId, GraphError> {
        self.apply(Sigmoid, &[a])
    }
    /// Elementwise softplus.
    pub fn softplus(&mut self, a: NodeId) -> Result<NodeId, GraphError> {
        self.apply(Softplus, &[a])
    }
    /// Elementwise eᵃ.
    pub fn exp(&mut self, a: NodeId) -> Result<NodeId, GraphError> {
        self.apply(Exp, &[a])
    }
    /// Elementwise natural logarithm.
    pub fn log(&mut self, a: NodeId) -> Result<NodeId, GraphError> {
        self.apply(Log, &[a])
    }
    /// Elementwise square root.
    pub fn sqrt(&mut self, a: NodeId) -> Result<NodeId, GraphError> {
        self.apply(Sqrt, &[a])
    }
    /// Elementwise aᵖ for a constant exponent `p`.
    pub fn pow(&mut self, a: NodeId, p: f64) -> Result<NodeId, GraphError> {
        self.apply(Pow::new(p), &[a])
    }
    /// Elements `offset ..` of column vector `a` as a row-major `rows × cols` matrix.
    pub fn slice(
        &mut self,
        a: NodeId,
        offset: usize,
        rows: usize,
        cols: usize,
    ) -> Result<NodeId, GraphError> {
        self.apply(Slice { offset, rows, cols }, &[a])
    }
    /// `a` placed row-major at `offset` in a zero column vector of length `len`.
    pub fn embed(&mut self, a: NodeId, offset: usize, len: usize) -> Result<NodeId, GraphError> {
        self.apply(Embed { offset, len }, &[a])
    }
    /// Sum over the rows and/or the columns of `a`.
    pub fn sum_to(&mut self, a: NodeId, rows: bool, cols: bool) -> Result<NodeId, GraphError> {
        self.apply(SumTo { rows, cols }, &[a])
    }
    /// Sum of all elements of `a` (per batch entry), a `1 × 1` value.
    pub fn sum_all(&mut self, a: NodeId) -> Result<NodeId, GraphError> {
        self.sum_to(a, true, true)
    }
    /// `a` with its single row and/or column repeated to `rows × cols`.
    pub fn broadcast_to(&mut self, a: NodeId, rows: usize, cols: usize) -> Result<NodeId, GraphError> {
        self.apply(BroadcastTo { rows, cols }, &[a])
    }
}
