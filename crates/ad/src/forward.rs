//! Forward mode: push tangents through a graph with each primitive's JVP rule.

use saddle_graph::{Graph, GraphError, NodeId, Shape};

/// Tangents of `roots` when each seed node `x` moves along the tangent node `t`
/// (`seeds` holds `(x, t)` pairs). `None` is a symbolic zero: the root does not
/// depend on any seed. Tangent nodes are appended to `g`; a tangent may carry a
/// batch of several directions (shape `k; r, c` for a value of shape `r, c`).
pub fn jvp(
    g: &mut Graph,
    roots: &[NodeId],
    seeds: &[(NodeId, NodeId)],
) -> Result<Vec<Option<NodeId>>, GraphError> {
    let Some(end) = roots.iter().map(|r| r.index() + 1).max() else {
        return Ok(Vec::new());
    };
    let mut tangent: Vec<Option<NodeId>> = vec![None; end];
    for &(x, t) in seeds {
        let (xs, ts) = (g.shape(x), g.shape(t));
        if (xs.rows, xs.cols) != (ts.rows, ts.cols) || (xs.batch != 1 && xs.batch != ts.batch) {
            return Err(GraphError::Shape {
                op: "jvp seed".into(),
                args: vec![xs, ts],
                reason: "a tangent must have its primal's rows and columns".into(),
            });
        }
        if x.index() < end {
            tangent[x.index()] = Some(t);
        }
    }
    let needed = needed_by(g, roots, end);
    for index in 0..end {
        let id = NodeId::new(index);
        if !needed[index] || tangent[index].is_some() {
            continue;
        }
        let node = g.node(id).clone();
        let arg_tangents: Vec<Option<NodeId>> = node.args.iter().map(|a| tangent[a.index()]).collect();
        if arg_tangents.iter().all(Option::is_none) {
            continue;
        }
        let t = node.op.rules().jvp(g, id, &node.args, &arg_tangents)?;
        // A tangent that simplified to zero (a slice of a seed outside its block, say)
        // is a symbolic zero from here on.
        let t = t.filter(|&t| g.const_value(t) != Some(0.0));
        tangent[index] = t.map(|t| fit_tangent(g, t, node.shape, node.op.rules().name())).transpose()?;
    }
    validate_in_debug(g)?;
    Ok(roots.iter().map(|r| tangent[r.index()]).collect())
}

/// Checks the graph's invariants (shapes, operand order and counts) after a transform, in
/// debug builds and tests only: a rule that builds a malformed node fails where it does.
pub(crate) fn validate_in_debug(g: &Graph) -> Result<(), GraphError> {
    if cfg!(debug_assertions) { g.validate() } else { Ok(()) }
}

/// Broadcasts a rule's tangent up to its primal's rows and columns, and checks it.
fn fit_tangent(g: &mut Graph, t: NodeId, primal: Shape, op: &'static str) -> Result<NodeId, GraphError> {
    let mut ts = g.shape(t);
    let t = if (ts.rows, ts.cols) != (primal.rows, primal.cols) {
        let b = g.broadcast_to(t, primal.rows, primal.cols)?;
        ts = g.shape(b);
        b
    } else {
        t
    };
    if primal.batch != 1 && primal.batch != ts.batch {
        return Err(GraphError::Internal(format!(
            "jvp rule for '{op}' gave a tangent of shape {ts} for a value of shape {primal}"
        )));
    }
    Ok(t)
}

/// Which of the first `end` nodes the roots depend on.
pub(crate) fn needed_by(g: &Graph, roots: &[NodeId], end: usize) -> Vec<bool> {
    let mut needed = vec![false; end];
    for r in roots {
        needed[r.index()] = true;
    }
    for index in (0..end).rev() {
        if needed[index] {
            for a in &g.node(NodeId::new(index)).args {
                needed[a.index()] = true;
            }
        }
    }
    needed
}
