//! docs/ARCHITECTURE.md's table of ops is generated from the registry (the `primitives!`
//! list, each op's rules, `Function::ALL` and `Activation::ALL`): the test fails when the
//! committed table is stale, and `SADDLE_UPDATE_DOCS=1` rewrites it. The contract's lists
//! of functions and activations are checked against the registry too.

use std::path::Path;

#[path = "../../../tests/support/docs.rs"]
mod docs;
use docs::publish;

use saddle_graph::ops::{Example, Function};
use saddle_graph::{Activation, Graph, GraphError, NodeId, Op};

#[test]
fn architecture_shows_the_registry() {
    publish("docs/ARCHITECTURE.md", "ops-table.md", "ops", &ops_table());
}

/// A new function or activation changes the contract: CONTRACT.md and the README name
/// every one the registry declares.
#[test]
fn the_contract_names_every_function_and_activation() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let read = |name: &str| std::fs::read_to_string(root.join(name)).unwrap();
    let sorted = |names: Vec<&str>| {
        let mut names: Vec<String> = names.into_iter().map(String::from).collect();
        names.sort();
        names
    };
    let quoted = |line: &str| -> Vec<String> {
        sorted(line.split('`').skip(1).step_by(2).filter(|t| !t.starts_with('-')).collect())
    };
    let functions = sorted(Function::ALL.iter().map(|f| f.name()).collect());
    let activations = sorted(Activation::ALL.iter().map(|a| a.name()).collect());

    let contract = read("docs/CONTRACT.md");
    let listed = contract.split("functions `").nth(1).and_then(|rest| rest.split('`').next());
    let listed = listed.expect("docs/CONTRACT.md lists the file functions as: functions `sin cos ...`");
    assert_eq!(sorted(listed.split_whitespace().collect()), functions, "docs/CONTRACT.md's functions");
    let line = contract.lines().find(|l| l.contains("**Activations:**")).expect("CONTRACT.md's activations");
    assert_eq!(quoted(line.split(';').next().unwrap()), activations, "docs/CONTRACT.md's activations");
    let readme = read("README.md");
    let line = readme.lines().find(|l| l.starts_with("| `--act` |")).expect("the README's --act row");
    assert_eq!(quoted(line), activations, "the README's --act row");
}

/// The count of ops, then one row per op in the order of the `primitives!` list.
fn ops_table() -> String {
    let mut rows = Vec::new();
    for (variant, examples) in Op::examples() {
        let what = Op::DOCS.iter().find(|(v, _)| *v == variant).map_or("", |(_, doc)| doc.trim());
        let row = match examples.first() {
            Some(example) => Row::of(example),
            None => Row::leaf(variant),
        };
        let yes = |on: bool| if on { "✓" } else { "" };
        rows.push(format!(
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            row.name,
            row.arity,
            what.replace('|', "\\|"),
            row.jvp,
            row.transpose,
            yes(Function::from_name(row.name).is_some()),
            yes(Activation::from_name(row.name).is_some()),
        ));
    }
    format!(
        "{} ops. *JVP builds*: the ops a tangent is made of; *transpose*: the operands the op is \
         linear in (`bilinear`: in each with the other fixed), which reverse mode \
         transposes; *function*: callable in problem files; *activation*: a `--act` value.\n\n\
         | op | operands | what | JVP builds | transpose | function | activation |\n\
         |---|---|---|---|---|---|---|\n{}\n",
        rows.len(),
        rows.join("\n")
    )
}

struct Row {
    name: &'static str,
    arity: usize,
    jvp: String,
    transpose: String,
}

impl Row {
    /// An op with no operands: nothing to differentiate.
    fn leaf(variant: &str) -> Row {
        let mut g = Graph::new();
        let leaves = [g.input("x", saddle_graph::Shape::SCALAR).unwrap(), g.scalar(1.0)];
        let op = leaves
            .iter()
            .map(|&id| &g.node(id).op)
            .find(|op| format!("{op:?}").split('(').next() == Some(variant))
            .unwrap_or_else(|| panic!("a new leaf op {variant}: build one here"));
        Row { name: op.rules().name(), arity: 0, jvp: "—".into(), transpose: "—".into() }
    }

    /// The rules of `example`'s op, probed on its operand shapes.
    fn of(example: &Example) -> Row {
        let rules = example.op.rules();
        let mut g = Graph::new();
        let args: Vec<NodeId> =
            example.args.iter().enumerate().map(|(i, &s)| g.input(&format!("a{i}"), s).unwrap()).collect();
        let out = g.apply_unsimplified(example.op.clone(), &args).unwrap();
        let tangents: Vec<Option<NodeId>> = args
            .iter()
            .enumerate()
            .map(|(i, &a)| Some(g.input(&format!("t{i}"), g.shape(a)).unwrap()))
            .collect();
        let before = g.len();
        rules.jvp(&mut g, out, &args, &tangents).unwrap_or_else(|e| panic!("{}: {e}", rules.name()));
        let mut built: Vec<&str> = Vec::new();
        for id in g.node_ids().skip(before) {
            let name = g.node(id).op.rules().name();
            if g.node(id).args.is_empty() || built.contains(&name) {
                continue;
            }
            built.push(name);
        }
        let jvp = built.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");

        let ct = g.input("ct", g.shape(out)).unwrap();
        let mut linear_in = |mask: &[bool]| match rules.transpose(&mut g, &args, mask, ct) {
            Ok(_) => true,
            Err(GraphError::MissingRule { .. } | GraphError::NotLinear { .. }) => false,
            Err(e) => panic!("{}: {e}", rules.name()),
        };
        let n = args.len();
        let each: Vec<bool> =
            (0..n).map(|i| linear_in(&(0..n).map(|j| j == i).collect::<Vec<_>>())).collect();
        let transpose = if linear_in(&vec![true; n]) {
            "linear".to_string()
        } else if n > 1 && each.iter().all(|&l| l) {
            "bilinear".to_string()
        } else if each.iter().any(|&l| l) {
            let names: Vec<String> =
                (0..n).filter(|&i| each[i]).map(|i| format!("{}", (b'a' + i as u8) as char)).collect();
            format!("in {}", names.join(", "))
        } else {
            "—".to_string()
        };
        Row { name: rules.name(), arity: n, jvp, transpose }
    }
}
