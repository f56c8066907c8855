//! Simplification: rebuild the live part of a graph through [`Graph::apply`], which
//! folds constants, applies each op's identities and shares equal subexpressions;
//! whatever no output depends on is dropped.

use crate::ops::Op;
use crate::{Graph, GraphError, NodeId};

impl Graph {
    /// A simplified copy holding only what the outputs depend on (dead-code
    /// elimination), with constants folded, identities applied (x·1, x·0, x+0, −−x,
    /// (xᵀ)ᵀ, ...) and common subexpressions shared. Inputs keep their declaration
    /// order and are all kept, read or not, so a program's interface does not depend on
    /// what the outputs happen to need (a constant Hessian does not read θ).
    pub fn simplify(&self) -> Result<Graph, GraphError> {
        let live = self.live();
        let mut g = Graph::new();
        let mut map: Vec<Option<NodeId>> = vec![None; self.len()];
        for &id in self.inputs() {
            let name = self.input_name(id).unwrap_or_default();
            map[id.index()] = Some(g.input(name, self.shape(id))?);
        }
        for id in self.node_ids() {
            if !live[id.index()] || map[id.index()].is_some() {
                continue;
            }
            let node = self.node(id);
            let new = match &node.op {
                Op::Const(c) => g.fill(c.value, c.shape),
                Op::Input(i) => {
                    return Err(GraphError::Internal(format!("input '{}' is not declared", i.name)));
                }
                op => {
                    let args: Vec<NodeId> = node
                        .args
                        .iter()
                        .map(|a| {
                            map[a.index()].ok_or_else(|| GraphError::Internal("operand not rebuilt".into()))
                        })
                        .collect::<Result<_, _>>()?;
                    g.apply(op.clone(), &args)?
                }
            };
            map[id.index()] = Some(new);
        }
        for (name, id) in self.outputs() {
            let new = map[id.index()]
                .ok_or_else(|| GraphError::Internal(format!("output '{name}' not rebuilt")))?;
            g.set_output(name, new);
        }
        Ok(g)
    }
}

#[cfg(test)]
mod tests {
    use crate::ops::{Add, Mul, Neg, Transpose};
    use crate::{Graph, Shape};

    fn printed(build: impl FnOnce(&mut Graph) -> crate::NodeId) -> String {
        let mut g = Graph::new();
        let out = build(&mut g);
        g.set_output("out", out);
        g.simplify().unwrap().to_string()
    }

    #[test]
    fn identities_fold_away() {
        let s = Shape::matrix(2, 3);
        let text = printed(|g| {
            let x = g.input("x", s).unwrap();
            let one = g.scalar(1.0);
            let zero = g.scalar(0.0);
            let x1 = g.apply_unsimplified(Mul, &[x, one]).unwrap();
            let x0 = g.apply_unsimplified(Add, &[x1, zero]).unwrap();
            let n = g.apply_unsimplified(Neg, &[x0]).unwrap();
            let nn = g.apply_unsimplified(Neg, &[n]).unwrap();
            let t = g.apply_unsimplified(Transpose, &[nn]).unwrap();
            g.apply_unsimplified(Transpose, &[t]).unwrap()
        });
        assert_eq!(text, "{ x:f64[2,3] .\n  in (out=x) }\n");
    }

    #[test]
    fn times_zero_is_a_zero_fill_and_constants_fold() {
        let text = printed(|g| {
            let x = g.input("x", Shape::matrix(2, 3)).unwrap();
            let zero = g.scalar(0.0);
            let two = g.scalar(2.0);
            let three = g.scalar(3.0);
            let six = g.apply_unsimplified(Mul, &[two, three]).unwrap();
            let x0 = g.apply_unsimplified(Mul, &[x, zero]).unwrap();
            g.apply_unsimplified(Add, &[x0, six]).unwrap()
        });
        assert_eq!(text, "{ .\n  let %0:f64[2,3] = fill[6.0]\n  in (out=%0) }\n");
    }

    #[test]
    fn common_subexpressions_are_shared_and_dead_code_dropped() {
        let mut g = Graph::new();
        let x = g.input("x", Shape::vector(3)).unwrap();
        let unused = g.input("unused", Shape::vector(3)).unwrap();
        let a = g.apply_unsimplified(crate::ops::Tanh, &[x]).unwrap();
        let b = g.apply_unsimplified(Mul, &[a, x]).unwrap();
        let c = g.apply_unsimplified(Mul, &[x, a]).unwrap();
        let _dead = g.apply_unsimplified(crate::ops::Sin, &[unused]).unwrap();
        let out = g.apply_unsimplified(Add, &[b, c]).unwrap();
        g.set_output("out", out);
        let s = g.simplify().unwrap();
        assert_eq!(g.live_count(), 5);
        assert_eq!(s.len(), 6, "x, unused, tanh, one shared product, 2, twice the product:\n{s}");
        assert!(s.input_named("unused").is_some(), "declared inputs are the interface and stay");
        assert_eq!(s.simplify().unwrap().to_string(), s.to_string(), "simplify is idempotent");
    }

    /// Factors that depend only on earlier inputs move together, so a program computes
    /// them once while the later input (a direction `v`) varies: −(y·(v·c) + y·(v·c))
    /// becomes ((y·c)·−2)·v, and p·v + q·v becomes (p + q)·v.
    #[test]
    fn factors_of_earlier_inputs_are_hoisted_out_of_later_ones() {
        let s = Shape::matrix(2, 2);
        let text = printed(|g| {
            let y = g.input("y", s).unwrap();
            let v = g.input("v", s).unwrap();
            let c = g.tanh(y).unwrap();
            let vc = g.mul(v, c).unwrap();
            let yvc = g.mul(y, vc).unwrap();
            let twice = g.add(yvc, yvc).unwrap();
            let neg = g.neg(twice).unwrap();
            let sv = g.mul(y, v).unwrap();
            g.add(neg, sv).unwrap()
        });
        let expected = "{ y:f64[2,2] v:f64[2,2] .\n  let %0:f64[2,2] = tanh y\n      %1:f64[2,2] = mul y %0\n      \
                        %2:f64[2,2] = mul %1 -2.0\n      %3:f64[2,2] = add y %2\n      %4:f64[2,2] = mul v %3\n  \
                        in (out=%4) }\n";
        assert_eq!(text, expected);
    }

    /// The rows of a sum of embeds that a slice keeps: whole embeds inside it stay
    /// (shifted), embeds outside it vanish, an embed it matches is its operand, and an
    /// embed it cuts through stays sliced.
    #[test]
    fn slices_of_sums_of_embeds_keep_only_what_they_cover() {
        let text = printed(|g| {
            let a = g.input("a", Shape::matrix(2, 2)).unwrap();
            let b = g.input("b", Shape::vector(3)).unwrap();
            let ea = g.embed(a, 0, 7).unwrap();
            let eb = g.embed(b, 4, 7).unwrap();
            let sum = g.add(ea, eb).unwrap();
            let head = g.slice(sum, 0, 2, 2).unwrap(); // a
            let tail = g.slice(sum, 4, 3, 1).unwrap(); // b
            let cut = g.slice(sum, 2, 5, 1).unwrap(); // a's last two elements, then b
            let (h, t, c) = (g.sum_all(head).unwrap(), g.sum_all(tail).unwrap(), g.sum_all(cut).unwrap());
            let ht = g.add(h, t).unwrap();
            g.add(ht, c).unwrap()
        });
        assert!(text.contains("sum[all] a"), "the slice matching a's embed is a:\n{text}");
        assert!(text.contains("sum[all] b"), "the slice matching b's embed is b:\n{text}");
        assert!(text.contains("embed[offset=2,len=5] b"), "b shifted into the cut:\n{text}");
        assert_eq!(text.matches("slice").count(), 1, "only the cut through a stays a slice:\n{text}");
    }
}
