//! Reverse mode, after JAX: linearize with the JVP rules, then transpose the linear
//! part with the transpose rules of the (few) linear primitives.

use saddle_graph::{Graph, GraphError, NodeId, Shape};

use crate::forward::{jvp, needed_by, validate_in_debug};

/// The vector-Jacobian product wᵀ ∂f/∂x as a node of `x`'s shape, where `w` (the
/// cotangent) has `f`'s shape. Zero if `f` does not depend on `x`.
pub fn vjp(g: &mut Graph, f: NodeId, x: NodeId, w: NodeId) -> Result<NodeId, GraphError> {
    let (fs, ws) = (g.shape(f), g.shape(w));
    if fs != ws {
        return Err(GraphError::Shape {
            op: "vjp".into(),
            args: vec![fs, ws],
            reason: "the cotangent must have the output's shape".into(),
        });
    }
    let xs = g.shape(x);
    // A fresh tangent input; after transposition nothing depends on it, so it is
    // undeclared again and simplification drops its node.
    let seed = g.input(&format!("linearized#{}", g.len()), xs)?;
    let df = jvp(g, &[f], &[(x, seed)])?[0];
    let ct = match df {
        Some(df) => transpose(g, df, seed, w)?,
        None => None,
    };
    g.forget_input(seed);
    let ct = ct.unwrap_or_else(|| g.fill(0.0, xs));
    validate_in_debug(g)?;
    Ok(ct)
}

/// Transposes the linear map `seed ↦ out` (every node between them linear in `seed`):
/// the cotangent of `seed` given the cotangent `ct_out` of `out`.
pub fn transpose(
    g: &mut Graph,
    out: NodeId,
    seed: NodeId,
    ct_out: NodeId,
) -> Result<Option<NodeId>, GraphError> {
    let end = out.index() + 1;
    let needed = needed_by(g, &[out], end);
    let mut linear = vec![false; end];
    for index in seed.index()..end {
        let id = NodeId::new(index);
        linear[index] = id == seed || (needed[index] && g.node(id).args.iter().any(|a| linear[a.index()]));
    }
    let mut ct: Vec<Option<NodeId>> = vec![None; end];
    ct[out.index()] = Some(ct_out);
    for index in (seed.index() + 1..end).rev() {
        let (Some(c), true) = (ct[index], linear[index]) else { continue };
        let node = g.node(NodeId::new(index)).clone();
        let mask: Vec<bool> = node.args.iter().map(|a| linear[a.index()]).collect();
        let contributions = node.op.rules().transpose(g, &node.args, &mask, c)?;
        for ((arg, contribution), is_linear) in node.args.iter().zip(contributions).zip(mask) {
            let Some(contribution) = contribution.filter(|_| is_linear) else { continue };
            let contribution = unbroadcast(g, contribution, g.shape(*arg), node.op.rules().name())?;
            ct[arg.index()] = g.add_maybe(ct[arg.index()], Some(contribution))?;
        }
    }
    validate_in_debug(g)?;
    Ok(ct[seed.index()])
}

/// Sums a cotangent over the rows and columns its operand was broadcast along.
fn unbroadcast(g: &mut Graph, c: NodeId, target: Shape, op: &'static str) -> Result<NodeId, GraphError> {
    let cs = g.shape(c);
    let c = if cs == target {
        c
    } else {
        g.sum_to(c, target.rows == 1 && cs.rows != 1, target.cols == 1 && cs.cols != 1)?
    };
    if g.shape(c) != target {
        return Err(GraphError::Internal(format!(
            "transpose rule for '{op}' gave a cotangent of shape {cs} for an operand of shape {target}"
        )));
    }
    Ok(c)
}
