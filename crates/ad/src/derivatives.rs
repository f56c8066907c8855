//! The derivatives the solvers need, composed from forward and reverse mode:
//! gradient, Hessian-vector product (forward-over-reverse), batched Hessian columns,
//! Jacobian columns, and derivatives with respect to inputs.

use saddle_graph::{Graph, GraphError, NodeId, Shape};

use crate::{jvp, vjp};

/// ∇f with respect to `x`, for a scalar `f`; a node of `x`'s shape.
pub fn grad(g: &mut Graph, f: NodeId, x: NodeId) -> Result<NodeId, GraphError> {
    let fs = g.shape(f);
    if fs != Shape::SCALAR {
        return Err(GraphError::Shape {
            op: "grad".into(),
            args: vec![fs],
            reason: "the function must be a scalar (use vjp for other outputs)".into(),
        });
    }
    let one = g.scalar(1.0);
    vjp(g, f, x, one)
}

/// The Hessian-vector product ∇²f · v, as the JVP of the gradient along `v`
/// (forward-over-reverse). `v` may be a batch of directions (`k; n, 1`), giving `k`
/// products at once.
pub fn hvp(g: &mut Graph, f: NodeId, x: NodeId, v: NodeId) -> Result<NodeId, GraphError> {
    let gradient = grad(g, f, x)?;
    directional(g, gradient, x, v)
}

/// The Hessian of scalar `f` with respect to the column vector `x` (length n), `chunk`
/// columns at a time: declares the input `basis` of shape `chunk; n, 1` and returns
/// the batched HVP, whose entry k is H · basis_k. Evaluating it with the columns of the
/// identity, `chunk` at a time, yields H.
pub fn hessian_columns(g: &mut Graph, f: NodeId, x: NodeId, chunk: usize) -> Result<NodeId, GraphError> {
    let basis = g.input("basis", g.shape(x).batched(chunk))?;
    hvp(g, f, x, basis)
}

/// A block of the parameter vector that the graph reads as one matrix: elements
/// `offset .. offset + rows·cols` of `x`, row-major (one layer's weights, say).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamBlock {
    /// Index in `x` of the block's first element.
    pub offset: usize,
    /// Rows of the matrix the block is read as.
    pub rows: usize,
    /// Columns of the matrix the block is read as.
    pub cols: usize,
}

impl ParamBlock {
    /// Number of parameters in the block.
    pub fn len(&self) -> usize {
        self.rows * self.cols
    }

    /// Whether the block is empty (never, for blocks from [`param_blocks`]).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The blocks `x` (a column vector) is read in: its slices, by offset, when they tile it
/// (every element read by exactly one slice, in one shape); otherwise `x` whole as one
/// block.
pub fn param_blocks(g: &Graph, x: NodeId) -> Vec<ParamBlock> {
    let n = g.shape(x).rows;
    let whole = vec![ParamBlock { offset: 0, rows: n, cols: 1 }];
    let live = g.live();
    let mut blocks: Vec<ParamBlock> = Vec::new();
    for id in g.node_ids().filter(|id| live[id.index()]) {
        let node = g.node(id);
        if !node.args.contains(&x) {
            continue;
        }
        match g.operand_block(id) {
            Some(b) => blocks.push(ParamBlock { offset: b.offset, rows: b.rows, cols: b.cols }),
            None => return whole,
        }
    }
    blocks.sort_by_key(|b| b.offset);
    blocks.dedup();
    let mut next = 0;
    for b in &blocks {
        if b.offset != next || b.is_empty() {
            return whole;
        }
        next += b.len();
    }
    if next == n { blocks } else { whole }
}

/// Rows `block.offset ..` of the Hessian's columns for the parameters of `block`,
/// `chunk` columns at a time: declares the input `basis` of shape
/// `chunk; block.rows, block.cols` and returns the batched HVP along the basis placed in
/// the block (zero elsewhere), sliced to the rows from the block's first on. The other
/// blocks' tangents are symbolic zeros and the rows above the block are never built, so
/// the program does only the work of its block; the symmetry of H gives the rest.
pub fn hessian_block_columns(
    g: &mut Graph,
    f: NodeId,
    x: NodeId,
    block: ParamBlock,
    chunk: usize,
) -> Result<NodeId, GraphError> {
    let n = g.shape(x).rows;
    let seed = block_basis(g, x, block, chunk)?;
    let columns = hvp(g, f, x, seed)?;
    g.slice(columns, block.offset, n - block.offset, 1)
}

/// The columns of the Jacobian ∂u/∂x for the parameters of `block`, `chunk` at a time:
/// declares the input `basis` of shape `chunk; block.rows, block.cols` and returns the
/// batched JVP of `u` along the basis placed in the block, the other blocks' tangents
/// symbolically zero (so the layers before the block are not differentiated).
pub fn jacobian_block_columns(
    g: &mut Graph,
    u: NodeId,
    x: NodeId,
    block: ParamBlock,
    chunk: usize,
) -> Result<NodeId, GraphError> {
    let seed = block_basis(g, x, block, chunk)?;
    directional(g, u, x, seed)
}

/// Declares the input `basis` (`chunk` matrices of the block's shape) and returns it
/// placed in the block of a batch of vectors shaped like `x`, zero elsewhere.
fn block_basis(g: &mut Graph, x: NodeId, block: ParamBlock, chunk: usize) -> Result<NodeId, GraphError> {
    let basis = g.input("basis", Shape { batch: chunk, rows: block.rows, cols: block.cols })?;
    g.embed(basis, block.offset, g.shape(x).rows)
}

/// Columns of the Jacobian ∂u/∂x, `chunk` at a time: declares the input `basis` of
/// shape `chunk; n, 1` and returns the batched JVP of `u` (entry k is J · basis_k).
pub fn jacobian_columns(g: &mut Graph, u: NodeId, x: NodeId, chunk: usize) -> Result<NodeId, GraphError> {
    let basis = g.input("basis", g.shape(x).batched(chunk))?;
    directional(g, u, x, basis)
}

/// The derivative of `u` along the input direction `dx` (a node of `x`'s shape, or a
/// batch of them). For one input per data point (`x`: N × 1) and `dx` all ones, entry i
/// is du(xᵢ)/dx. The result is a graph, so it can be differentiated again.
pub fn directional(g: &mut Graph, u: NodeId, x: NodeId, dx: NodeId) -> Result<NodeId, GraphError> {
    match jvp(g, &[u], &[(x, dx)])?[0] {
        Some(t) => Ok(t),
        None => {
            let shape = Shape { batch: g.shape(dx).batch, ..g.shape(u) };
            Ok(g.fill(0.0, shape))
        }
    }
}

/// du/dx at each data point for a network with one input (`x`: N × 1).
pub fn d_dx(g: &mut Graph, u: NodeId, x: NodeId) -> Result<NodeId, GraphError> {
    let ones = g.fill(1.0, g.shape(x));
    directional(g, u, x, ones)
}

/// d²u/dx² at each data point for a network with one input (`x`: N × 1).
pub fn d2_dx2(g: &mut Graph, u: NodeId, x: NodeId) -> Result<NodeId, GraphError> {
    let u_x = d_dx(g, u, x)?;
    d_dx(g, u_x, x)
}
