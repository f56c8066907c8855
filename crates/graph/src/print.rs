//! The canonical text form of a graph (a typed `let` list) and DOT export.

use std::fmt::{self, Write};

use petgraph::dot::{Config, Dot};
use petgraph::graph::DiGraph;

use crate::ops::Op;
use crate::{Graph, NodeId};

impl Graph {
    /// Names used in the text form: inputs by name, scalar constants as literals,
    /// everything else `%k`, numbered in order among the live nodes.
    fn names(&self, live: &[bool]) -> Vec<String> {
        let mut next = 0;
        self.node_ids()
            .map(|id| {
                let node = self.node(id);
                match &node.op {
                    Op::Input(i) => i.name.clone(),
                    Op::Const(c) if node.shape.is_scalar() => format!("{:?}", c.value),
                    _ if live[id.index()] => {
                        next += 1;
                        format!("%{}", next - 1)
                    }
                    _ => String::new(),
                }
            })
            .collect()
    }

    /// Whether a node gets its own `let` line (scalar constants print inline).
    fn has_line(&self, id: NodeId) -> bool {
        let node = self.node(id);
        match node.op {
            Op::Input(_) => false,
            Op::Const(_) => !node.shape.is_scalar(),
            _ => true,
        }
    }

    /// The graph in Graphviz DOT: one box per live node, labelled like the text form,
    /// and edges from operand to user labelled with the operand position.
    pub fn to_dot(&self) -> String {
        let live = self.live();
        let names = self.names(&live);
        let mut labelled: DiGraph<String, u8> = DiGraph::new();
        let mut map = vec![None; self.len()];
        for id in self.node_ids().filter(|id| live[id.index()]) {
            let node = self.node(id);
            let label = match &node.op {
                Op::Input(_) | Op::Const(_) if !self.has_line(id) => {
                    format!("{}: {}", names[id.index()], node.shape)
                }
                op => format!("{} = {op}\\n{}", names[id.index()], node.shape),
            };
            let new = labelled.add_node(label);
            for (position, a) in node.args.iter().enumerate() {
                if let Some(from) = map[a.index()] {
                    labelled.add_edge(from, new, position as u8);
                }
            }
            map[id.index()] = Some(new);
        }
        let dot = Dot::with_attr_getters(
            &labelled,
            &[Config::NodeNoLabel, Config::EdgeNoLabel],
            &|_, e| format!("label=\"{}\"", e.weight()),
            &|_, (_, label)| format!("label=\"{label}\" shape=box"),
        );
        format!("{dot:?}")
    }
}

impl fmt::Display for Graph {
    /// `{ inputs . let %k:shape = op operands ... in (name=value, ...) }`: the inputs the
    /// outputs read, then what the outputs depend on, in topological order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let live = self.live();
        let names = self.names(&live);
        let inputs: Vec<String> = self
            .inputs()
            .iter()
            .filter(|id| live[id.index()])
            .map(|&id| format!("{}:{}", names[id.index()], self.shape(id)))
            .collect();
        let mut head = inputs.join(" ");
        head.push_str(if head.is_empty() { "." } else { " ." });
        writeln!(f, "{{ {head}")?;
        let mut first = true;
        for id in self.node_ids().filter(|id| live[id.index()] && self.has_line(*id)) {
            let node = self.node(id);
            let mut line = format!("{}:{} = {}", names[id.index()], node.shape, node.op);
            for a in &node.args {
                write!(line, " {}", names[a.index()])?;
            }
            writeln!(f, "  {} {line}", if first { "let" } else { "   " })?;
            first = false;
        }
        let outputs: Vec<String> =
            self.outputs().iter().map(|(n, id)| format!("{n}={}", names[id.index()])).collect();
        writeln!(f, "  in ({}) }}", outputs.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use crate::{Graph, Shape};

    #[test]
    fn text_form_is_a_typed_let_list() {
        let mut g = Graph::new();
        let x = g.input("x", Shape::matrix(4, 1)).unwrap();
        let w = g.input("w", Shape::matrix(1, 3)).unwrap();
        let h = g.matmul(x, w).unwrap();
        let two = g.scalar(2.0);
        let y = g.mul(h, two).unwrap();
        let t = g.tanh(y).unwrap();
        g.set_output("out", t);
        insta::assert_snapshot!(g.to_string(), @r"
        { x:f64[4,1] w:f64[1,3] .
          let %0:f64[4,3] = matmul x w
              %1:f64[4,3] = mul %0 2.0
              %2:f64[4,3] = tanh %1
          in (out=%2) }
        ");
        let dot = g.to_dot();
        assert!(dot.starts_with("digraph {"), "{dot}");
        assert!(dot.contains("matmul\\nf64[4,3]"), "{dot}");
        assert_eq!(dot.matches("->").count(), 5, "{dot}");
    }
}
