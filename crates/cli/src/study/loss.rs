//! What a problem gives the derivative compiler: its loss graph with named nodes, and
//! the [`LossSource`] trait every objective implements.

use saddle_graph::{Graph, GraphError, NodeId};

/// The loss graph of a problem with its named nodes.
#[derive(Clone, Debug)]
pub struct LossGraph {
    /// The graph; inputs `theta`, `x` and the target (`y` or `f`); output `loss`.
    pub graph: Graph,
    /// θ, n × 1.
    pub theta: NodeId,
    /// The loss ½‖r‖², 1 × 1.
    pub loss: NodeId,
    /// The residual r (u − y, or −u'' − f), N × 1.
    pub residual: NodeId,
    /// The basis the output weights combine, at the points and after the problem's
    /// operator, N × K: the last hidden layer φ_k (regression), −(x(1−x)φ_k)'' (PINN),
    /// the fixed features (linear basis). A stationary point has r ⟂ every column.
    /// `None`: the columns of ∂r/∂c, c the output weights, which the diagnostics
    /// compute by forward mode (problem files).
    pub features: Option<NodeId>,
}

/// An objective ½‖r(θ)‖² that can be built as a graph over θ and compiled: the
/// network problems, the linear basis, the two-parameter landscape model.
pub trait LossSource: Sync {
    /// n, the length of θ.
    fn param_count(&self) -> usize;
    /// m, the number of residuals.
    fn residual_count(&self) -> usize;
    /// Builds the loss graph (inputs `theta` and the data inputs; output `loss`).
    fn loss_graph(&self) -> Result<LossGraph, GraphError>;
    /// The data inputs by name, bound once when a program is compiled.
    fn data_inputs(&self) -> Vec<(&str, &[f64])>;
    /// The target the residual is measured against (y, or f for the PINN): r = Lu − target.
    fn target(&self) -> &[f64];
    /// Where the output weights (the coefficients of [`LossGraph::features`]) sit in θ.
    fn output_weights(&self) -> std::ops::Range<usize>;
    /// The same objective over the data points `rows` only, when the loss is a sum over
    /// points that can be split that way (so shards can be evaluated in parallel and
    /// added); `None` otherwise.
    fn shard(&self, _rows: std::ops::Range<usize>) -> Option<Box<dyn LossSource>> {
        None
    }
}
