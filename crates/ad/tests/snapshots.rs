//! Snapshots of derivative graphs in the canonical text form (`simplify()` then
//! `to_string()`): per primitive, the JVP, the gradient and the HVP; for a small tanh
//! network, the regression loss, its gradient and its HVP. Regenerate with
//! `INSTA_UPDATE=always cargo test -p saddle-ad --test snapshots` and review the diff.
//! Also the sizes of the derivative graphs of a [1,20,20,1] network, relative to the
//! loss graph.

mod common;

use common::{Problem, loss_graph};
use saddle_ad::{grad, hvp, jvp};
use saddle_graph::{Activation, Arch, Graph, NodeId, Op};

/// The canonical text of `g` with `out` as its only output.
fn text(g: &Graph, name: &str, out: NodeId) -> String {
    let mut g = g.clone();
    g.clear_outputs();
    g.set_output(name, out);
    let s = g.simplify().expect("simplify");
    s.validate().expect("simplified graph invariants");
    let text = s.to_string();
    assert_eq!(s.simplify().unwrap().to_string(), text, "the canonical form is a fixed point of simplify");
    text
}

/// For the first example of each primitive with operands a0, a1, ...: the JVP along
/// tangents t0, t1, ... of every operand; the gradient of f = sum_all(op(args)) with
/// respect to a0; and the HVP of that f with respect to a0 along v.
#[test]
fn primitive_derivative_graphs() {
    for (_, examples) in Op::examples() {
        let Some(example) = examples.first() else { continue };
        let name = example.op.rules().name();
        let shapes: Vec<String> = example.args.iter().map(ToString::to_string).collect();
        let mut g = Graph::new();
        let args: Vec<NodeId> =
            example.args.iter().enumerate().map(|(i, s)| g.input(&format!("a{i}"), *s).unwrap()).collect();
        let out = g.apply(example.op.clone(), &args).unwrap();

        let seeds: Vec<(NodeId, NodeId)> = args
            .iter()
            .enumerate()
            .map(|(i, &a)| (a, g.input(&format!("t{i}"), g.shape(a)).unwrap()))
            .collect();
        let tangent = jvp(&mut g, &[out], &seeds).unwrap()[0].expect("a non-zero tangent");
        let f = g.sum_all(out).unwrap();
        let gradient = grad(&mut g, f, args[0]).unwrap();
        let v = g.input("v", g.shape(args[0])).unwrap();
        let hv = hvp(&mut g, f, args[0], v).unwrap();

        let snapshot = format!(
            "# {} on {}\n# jvp (tangents t_i of every operand a_i)\n{}# grad of f = sum_all(out) w.r.t. a0\n{}# hvp of f w.r.t. a0 along v\n{}",
            example.op,
            shapes.join(", "),
            text(&g, "tangent", tangent),
            text(&g, "grad", gradient),
            text(&g, "hvp", hv),
        );
        insta::assert_snapshot!(format!("primitive_{name}"), snapshot);
    }
}

/// A one-hidden-layer tanh network (arch 1,3,1) on N = 4 points: the regression loss,
/// its gradient and its HVP along v.
#[test]
fn small_network_graphs() {
    let arch: Arch = "1,3,1".parse().unwrap();
    let lg = loss_graph(Problem::Regression, &arch, Activation::Tanh, 4);
    let mut g = lg.graph.clone();
    let gradient = grad(&mut g, lg.loss, lg.theta).unwrap();
    let v = g.input("v", g.shape(lg.theta)).unwrap();
    let hv = hvp(&mut g, lg.loss, lg.theta, v).unwrap();
    insta::assert_snapshot!("mlp_1_3_1_tanh_regression_loss", text(&g, "loss", lg.loss));
    insta::assert_snapshot!("mlp_1_3_1_tanh_regression_grad", text(&g, "grad", gradient));
    insta::assert_snapshot!("mlp_1_3_1_tanh_regression_hvp", text(&g, "hvp", hv));
}

/// One parameter block's Hessian columns for a network with two hidden layers: the
/// block of the second layer's weights W₂ (basis `b`). The first layer's tangents are
/// symbolic zeros and its rows are never built: the program pushes `b` forward from
/// H₁·b only and ends at W₂'s cotangent, with no product by W₂ on the way back.
#[test]
fn hessian_block_graph() {
    let arch: Arch = "1,3,3,1".parse().unwrap();
    let lg = loss_graph(Problem::Regression, &arch, Activation::Tanh, 4);
    let blocks = saddle_ad::param_blocks(&lg.graph, lg.theta);
    let offsets: Vec<(usize, usize, usize)> = blocks.iter().map(|b| (b.offset, b.rows, b.cols)).collect();
    assert_eq!(
        offsets,
        [(0, 1, 3), (3, 1, 3), (6, 3, 3), (15, 1, 3), (18, 3, 1), (21, 1, 1)],
        "W₁ b₁ W₂ b₂ W₃ b₃"
    );
    let mut g = lg.graph.clone();
    let columns = saddle_ad::hessian_block_columns(&mut g, lg.loss, lg.theta, blocks[2], 2).unwrap();
    insta::assert_snapshot!("mlp_1_3_3_1_tanh_hessian_block_w2", text(&g, "columns", columns));
}

/// Reverse mode costs a small constant multiple of the forward graph, and forward-
/// over-reverse another small multiple: live nodes of the simplified graphs for a
/// [1,20,20,1] tanh regression network on 64 points.
#[test]
fn derivative_graph_sizes_are_a_small_multiple_of_the_loss() {
    let arch: Arch = "1,20,20,1".parse().unwrap();
    let lg = loss_graph(Problem::Regression, &arch, Activation::Tanh, 64);
    let mut g = lg.graph.clone();
    let gradient = grad(&mut g, lg.loss, lg.theta).unwrap();
    let v = g.input("v", g.shape(lg.theta)).unwrap();
    let hv = hvp(&mut g, lg.loss, lg.theta, v).unwrap();
    let count = |name: &str, out: NodeId| {
        let mut g = g.clone();
        g.clear_outputs();
        g.set_output(name, out);
        let s = g.simplify().unwrap();
        let unread_inputs = s.inputs().iter().filter(|&&i| !s.live()[i.index()]).count();
        assert_eq!(s.live_count() + unread_inputs, s.len(), "simplify keeps live nodes and declared inputs");
        s.live_count()
    };
    let (f, gr, h) = (count("loss", lg.loss), count("grad", gradient), count("hvp", hv));
    eprintln!("[1,20,20,1] tanh, N = 64: loss {f} nodes, gradient {gr}, HVP {h}");
    // Measured: 22, 49 (2.2×) and 93 (4.2×) live nodes, inputs and constants included.
    assert!(gr as f64 <= 2.5 * f as f64, "gradient graph {gr} nodes vs loss {f}");
    assert!(h as f64 <= 4.5 * f as f64, "HVP graph {h} nodes vs loss {f}");
}
