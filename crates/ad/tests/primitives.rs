//! The one finite-difference harness over every primitive: each op's JVP rule against
//! central differences, its reverse rule (linearize + transpose) through the
//! dot-product identity ⟨w, J·t⟩ = ⟨Jᵀ·w, t⟩, and batched tangents against single ones.

mod common;

use common::{central_difference, dot, eval, rel_err, rng, uniform};
use saddle_ad::{jvp, vjp};
use saddle_graph::ops::Example;
use saddle_graph::{Graph, NodeId, Op};

/// Every op with operands must come with examples; only the leaves have none.
#[test]
fn every_primitive_has_examples() {
    let without: Vec<&str> =
        Op::examples().into_iter().filter(|(_, ex)| ex.is_empty()).map(|(name, _)| name).collect();
    assert_eq!(without, ["Input", "Const"], "add examples to the new primitive's file");
}

struct Case {
    g: Graph,
    args: Vec<NodeId>,
    out: NodeId,
}

fn build(example: &Example) -> Case {
    let mut g = Graph::new();
    let args: Vec<NodeId> =
        example.args.iter().enumerate().map(|(i, s)| g.input(&format!("a{i}"), *s).unwrap()).collect();
    let out = g.apply(example.op.clone(), &args).unwrap();
    Case { g, args, out }
}

fn for_each_example(check: impl Fn(&str, &Example)) {
    for (name, examples) in Op::examples() {
        for example in &examples {
            check(name, example);
        }
    }
}

#[test]
fn jvp_rules_match_central_differences() {
    for_each_example(|name, example| {
        let mut r = rng(7);
        let Case { mut g, args, out } = build(example);
        let seeds: Vec<(NodeId, NodeId)> = args
            .iter()
            .enumerate()
            .map(|(i, &a)| (a, g.input(&format!("t{i}"), g.shape(a)).unwrap()))
            .collect();
        let tangent = jvp(&mut g, &[out], &seeds).unwrap_or_else(|e| panic!("{name}: {e}"))[0]
            .unwrap_or_else(|| panic!("{name}: zero tangent"));
        g.set_output("out", out);
        g.set_output("tangent", tangent);
        g.validate().unwrap();

        // Primal values away from zero (div), tangents of either sign.
        let primals: Vec<Vec<f64>> =
            example.args.iter().map(|s| uniform(&mut r, s.len(), 0.5, 1.5)).collect();
        let tangents: Vec<Vec<f64>> =
            example.args.iter().map(|s| uniform(&mut r, s.len(), -1.0, 1.0)).collect();
        let names: Vec<(String, String)> =
            (0..args.len()).map(|i| (format!("a{i}"), format!("t{i}"))).collect();
        let run = |p: &[Vec<f64>]| {
            let mut inputs: Vec<(&str, &[f64])> = Vec::new();
            for (i, (a, t)) in names.iter().enumerate() {
                inputs.push((a, &p[i]));
                inputs.push((t, &tangents[i]));
            }
            eval(&g, &inputs, &["out", "tangent"])
        };
        let exact = run(&primals).remove(1);
        // Stack every operand into one vector so one central difference moves them all.
        let flat: Vec<f64> = primals.concat();
        let direction: Vec<f64> = tangents.concat();
        let unflatten = |x: &[f64]| {
            let mut parts = Vec::new();
            let mut at = 0;
            for s in &example.args {
                parts.push(x[at..at + s.len()].to_vec());
                at += s.len();
            }
            parts
        };
        // h = 1e-5: truncation O(h²) ≈ 1e-10, rounding O(ε/h) ≈ 1e-11.
        let numeric = central_difference(|x| run(&unflatten(x)).remove(0), &flat, &direction, 1e-5);
        let err = rel_err(&exact, &numeric, 1.0);
        assert!(err < 1e-8, "{name} {:?}: jvp differs from central differences by {err:e}", example.args);
    });
}

#[test]
fn reverse_rules_satisfy_the_dot_product_identity() {
    for_each_example(|name, example| {
        let mut r = rng(11);
        let Case { mut g, args, out } = build(example);
        let w = g.input("w", g.shape(out)).unwrap();
        let seeds: Vec<(NodeId, NodeId)> = args
            .iter()
            .enumerate()
            .map(|(i, &a)| (a, g.input(&format!("t{i}"), g.shape(a)).unwrap()))
            .collect();
        let tangent = jvp(&mut g, &[out], &seeds).unwrap()[0].unwrap();
        g.set_output("tangent", tangent);
        for (i, &a) in args.iter().enumerate() {
            let ct = vjp(&mut g, out, a, w).unwrap_or_else(|e| panic!("{name}: {e}"));
            g.set_output(&format!("ct{i}"), ct);
        }
        g.validate().unwrap();

        let mut values: Vec<(String, Vec<f64>)> = Vec::new();
        for (i, s) in example.args.iter().enumerate() {
            values.push((format!("a{i}"), uniform(&mut r, s.len(), 0.5, 1.5)));
            values.push((format!("t{i}"), uniform(&mut r, s.len(), -1.0, 1.0)));
        }
        values.push(("w".into(), uniform(&mut r, g.shape(out).len(), -1.0, 1.0)));
        let inputs: Vec<(&str, &[f64])> = values.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
        let mut names = vec!["tangent".to_string()];
        names.extend((0..args.len()).map(|i| format!("ct{i}")));
        let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let results = eval(&g, &inputs, &name_refs);

        let w_jt = dot(&values.last().unwrap().1, &results[0]);
        let jtw_t: f64 = (0..args.len()).map(|i| dot(&results[1 + i], &values[2 * i + 1].1)).sum();
        let err = (w_jt - jtw_t).abs() / w_jt.abs().max(1.0);
        assert!(err < 1e-13, "{name} {:?}: <w, Jt> = {w_jt}, <J^T w, t> = {jtw_t}", example.args);
    });
}

#[test]
fn batched_tangents_equal_single_ones() {
    const BATCH: usize = 3;
    for_each_example(|name, example| {
        let mut r = rng(13);
        let Case { mut g, args, out } = build(example);
        let mut batched_seeds = Vec::new();
        let mut single_seeds: Vec<Vec<(NodeId, NodeId)>> = vec![Vec::new(); BATCH];
        for (i, &a) in args.iter().enumerate() {
            let s = g.shape(a);
            batched_seeds.push((a, g.input(&format!("tb{i}"), s.batched(BATCH)).unwrap()));
            for (k, seeds) in single_seeds.iter_mut().enumerate() {
                seeds.push((a, g.input(&format!("t{i}_{k}"), s).unwrap()));
            }
        }
        let batched =
            jvp(&mut g, &[out], &batched_seeds).unwrap_or_else(|e| panic!("{name}: {e}"))[0].unwrap();
        g.set_output("batched", batched);
        for (k, seeds) in single_seeds.iter().enumerate() {
            let t = jvp(&mut g, &[out], seeds).unwrap()[0].unwrap();
            g.set_output(&format!("single{k}"), t);
        }
        let mut values: Vec<(String, Vec<f64>)> = Vec::new();
        for (i, s) in example.args.iter().enumerate() {
            values.push((format!("a{i}"), uniform(&mut r, s.len(), 0.5, 1.5)));
            let tb = uniform(&mut r, s.len() * BATCH, -1.0, 1.0);
            for k in 0..BATCH {
                values.push((format!("t{i}_{k}"), tb[k * s.len()..(k + 1) * s.len()].to_vec()));
            }
            values.push((format!("tb{i}"), tb));
        }
        let inputs: Vec<(&str, &[f64])> = values.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
        let results = eval(&g, &inputs, &["batched", "single0", "single1", "single2"]);
        let singles: Vec<f64> = results[1..].concat();
        assert_eq!(results[0].len(), singles.len(), "{name}: batched tangent has the wrong size");
        let err = rel_err(&results[0], &singles, 1.0);
        assert!(err < 1e-14, "{name} {:?}: batched and single tangents differ by {err:e}", example.args);
    });
}
