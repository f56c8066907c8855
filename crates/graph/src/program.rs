//! Compilation of a graph into a straight-line program over preallocated buffers,
//! and its evaluation. Buffers are assigned once, reused once their value is dead,
//! and running the program allocates nothing. A run recomputes only the steps that
//! depend on an input whose values changed since the previous run (the Hessian's basis
//! changes for every chunk of columns, θ and the data do not; an iterative solver's
//! HVPs change v, not θ).

use smallvec::SmallVec;

use crate::ops::{MulAdd, Op, OuterAdd, Primitive, Tensor, TensorMut};
use crate::{Graph, GraphError, NodeId, Shape};

/// One instruction: apply `op` to the values in `args`, writing buffer `out`.
#[derive(Clone, Debug)]
struct Step {
    op: Op,
    args: SmallVec<[(usize, Shape); 3]>,
    /// For a `matmul`, which operands are read transposed: the operand of a `transpose`
    /// node, whose own step is then not needed.
    transposed: [bool; 2],
    out: usize,
    shape: Shape,
    /// The inputs the step depends on, one bit per input ([`Graph::input_mask`]).
    inputs: u64,
}

/// The work of a program run: floating-point operations of its matrix products (a
/// multiply and an add per term), and values written by its other steps (elementwise
/// ops, sums, slices), which are memory-bound at the sizes studied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    /// 2·r·k·c per product of an r × k by a k × c matrix (k = 1 for an `outer_add`,
    /// whose added term is not counted separately).
    pub product_flops: u64,
    /// Elements written by every other step.
    pub other_values: u64,
}

impl std::ops::Add for Cost {
    type Output = Cost;
    fn add(self, o: Cost) -> Cost {
        Cost {
            product_flops: self.product_flops + o.product_flops,
            other_values: self.other_values + o.other_values,
        }
    }
}

impl std::ops::Mul<u64> for Cost {
    type Output = Cost;
    fn mul(self, k: u64) -> Cost {
        Cost { product_flops: self.product_flops * k, other_values: self.other_values * k }
    }
}

/// The one step that computes node `id`, an `add` of a product that nothing else reads,
/// with the product's operands and the other term: `mul_add(a, b, c)` for
/// `add(mul(a, b), c)` (either order) when every operand has the sum's shape, and
/// `outer_add(a, b, c)` for `add(matmul(a, b), c)` with a a column and b a row (no
/// batches) when c has the sum's shape or is one row of it. The product must also
/// depend on the same inputs as the sum, so that a run repeating the sum would repeat
/// the product too: a product hoisted out of a tangent's steps stays its own step.
fn fused_step(graph: &Graph, id: NodeId) -> Option<(Op, [NodeId; 3])> {
    let node = graph.node(id);
    if !matches!(node.op, Op::Add(_)) {
        return None;
    }
    let (p, q) = (node.args[0], node.args[1]);
    let out = node.shape;
    // One reader: one edge out (the DAG has an edge per operand) and not an output.
    let read_once = |x: NodeId| {
        graph.dag().edges_directed(x, petgraph::Direction::Outgoing).count() == 1
            && graph.outputs().iter().all(|&(_, o)| o != x)
    };
    [(p, q), (q, p)].into_iter().find_map(|(product, c)| {
        let m = graph.node(product);
        let &[a, b] = m.args.as_slice() else { return None };
        if !read_once(product) || graph.input_mask(product) != graph.input_mask(id) {
            return None;
        }
        let operands = [a, b, c];
        match m.op {
            Op::Mul(_) if operands.iter().all(|&x| graph.shape(x) == out) => Some((MulAdd.into(), operands)),
            Op::MatMul(_) => {
                let shapes = [graph.shape(a), graph.shape(b), graph.shape(c)];
                let fits = OuterAdd.shape(&shapes).is_ok_and(|s| s == out);
                fits.then(|| (OuterAdd.into(), operands))
            }
            _ => None,
        }
    })
}

/// A named value bound to a buffer.
#[derive(Clone, Debug)]
struct Binding {
    name: String,
    buffer: usize,
    shape: Shape,
    /// The input's bit in the steps' dependency masks (0 for outputs).
    bit: u64,
}

impl Clone for Program {
    fn clone(&self) -> Program {
        let buffers = self
            .buffers
            .iter()
            .zip(&self.kept)
            .map(|(buffer, &kept)| if kept { buffer.clone() } else { Vec::new() })
            .collect();
        Program {
            steps: self.steps.clone(),
            buffers,
            lens: self.lens.clone(),
            kept: self.kept.clone(),
            inputs: self.inputs.clone(),
            outputs: self.outputs.clone(),
            changed: 0,
            ran: false,
        }
    }
}

/// What [`Program::compile`] allocates: the steps, each buffer's length, the constants'
/// buffers with their value, and the bindings.
struct Plan {
    steps: Vec<Step>,
    lens: Vec<usize>,
    fills: Vec<(usize, f64)>,
    inputs: Vec<Binding>,
    outputs: Vec<Binding>,
}

/// A compiled graph: the live nodes in topological order, each writing a buffer.
///
/// Bind every input with [`Program::set_input`], call [`Program::run`], then read
/// [`Program::output`]. Clone a program to evaluate it on several threads: a clone
/// copies the bound inputs, the constants and the outputs, and allocates its other
/// buffers (the intermediate values) on its first run, which recomputes every step; so a
/// clone kept only to be cloned again costs no more than its inputs and outputs.
#[derive(Debug)]
pub struct Program {
    steps: Vec<Step>,
    buffers: Vec<Vec<f64>>,
    /// Each buffer's length.
    lens: Vec<usize>,
    /// Whether a clone copies the buffer: an input's, a constant's or an output's.
    kept: Vec<bool>,
    inputs: Vec<Binding>,
    outputs: Vec<Binding>,
    /// Inputs whose values changed since the last run.
    changed: u64,
    /// Whether the program has run since it was compiled.
    ran: bool,
}

impl Program {
    /// Compiles the part of `graph` its outputs depend on, binding every declared input.
    pub fn compile(graph: &Graph) -> Result<Program, GraphError> {
        let plan = Self::plan(graph)?;
        let mut buffers: Vec<Vec<f64>> = plan.lens.iter().map(|&len| vec![0.0; len]).collect();
        let mut kept = vec![false; buffers.len()];
        for &(b, value) in &plan.fills {
            buffers[b].fill(value);
            kept[b] = true;
        }
        for binding in plan.inputs.iter().chain(&plan.outputs) {
            kept[binding.buffer] = true;
        }
        Ok(Program {
            steps: plan.steps,
            buffers,
            lens: plan.lens,
            kept,
            inputs: plan.inputs,
            outputs: plan.outputs,
            changed: 0,
            ran: false,
        })
    }

    /// The f64 elements the buffers of `graph`'s program would hold
    /// ([`Program::buffer_elements`] after [`Program::compile`]), found without
    /// allocating them: what a caller checks against its memory before compiling.
    pub fn planned_elements(graph: &Graph) -> Result<usize, GraphError> {
        Ok(Self::plan(graph)?.lens.iter().sum())
    }

    /// The steps, the buffers' lengths and the bindings of `graph`'s program, with the
    /// constants' fills; nothing of the buffers' size is allocated.
    fn plan(graph: &Graph) -> Result<Plan, GraphError> {
        // What each node's step reads: its operands, except that a `matmul` reads the
        // operand of a `transpose` directly (with a flag), so a transpose that only feeds
        // products is never materialized; and an `add` of a product that nothing else
        // reads runs as one `mul_add` or `outer_add` step (see `fused_step`).
        let fused: Vec<Option<(Op, [NodeId; 3])>> =
            graph.node_ids().map(|id| fused_step(graph, id)).collect();
        let reads: Vec<SmallVec<[(NodeId, bool); 3]>> = graph
            .node_ids()
            .map(|id| {
                let node = graph.node(id);
                if let Some((_, operands)) = &fused[id.index()] {
                    return operands.iter().map(|&a| (a, false)).collect();
                }
                let fuse = matches!(node.op, Op::MatMul(_));
                node.args
                    .iter()
                    .map(|&a| match &graph.node(a).op {
                        Op::Transpose(_) if fuse => (graph.node(a).args[0], true),
                        _ => (a, false),
                    })
                    .collect()
            })
            .collect();
        let mut live = vec![false; graph.len()];
        for (_, id) in graph.outputs() {
            live[id.index()] = true;
        }
        for index in (0..graph.len()).rev() {
            if live[index] {
                for &(a, _) in &reads[index] {
                    live[a.index()] = true;
                }
            }
        }
        let mut kept = live.clone();
        for id in graph.inputs() {
            kept[id.index()] = true;
        }
        let mut last_use = vec![0usize; graph.len()];
        for id in graph.node_ids().filter(|id| live[id.index()]) {
            for &(a, _) in &reads[id.index()] {
                last_use[a.index()] = id.index();
            }
        }
        // Which inputs each node depends on (the graph tracks them). A value read by a step
        // that depends on more inputs may be reused by a later run that skips its own
        // step, so it keeps a buffer of its own, as outputs do.
        let depends = |id: NodeId| graph.input_mask(id);
        let mut pinned = vec![false; graph.len()];
        for (_, id) in graph.outputs() {
            pinned[id.index()] = true;
        }
        for id in graph.node_ids().filter(|id| live[id.index()]) {
            for &(a, _) in &reads[id.index()] {
                if depends(a) != depends(id) {
                    pinned[a.index()] = true;
                }
            }
        }

        // The length of each buffer (its values are allocated by `compile`).
        let mut buffers: Vec<usize> = Vec::new();
        let mut fills: Vec<(usize, f64)> = Vec::new();
        let mut free: Vec<usize> = Vec::new();
        let mut buffer_of = vec![usize::MAX; graph.len()];
        let mut steps = Vec::new();
        let mut inputs = Vec::new();
        for id in graph.node_ids().filter(|id| kept[id.index()]) {
            let node = graph.node(id);
            let len = node.shape.len();
            match &node.op {
                Op::Input(input) => {
                    buffers.push(len);
                    buffer_of[id.index()] = buffers.len() - 1;
                    inputs.push(Binding {
                        name: input.name.clone(),
                        buffer: buffers.len() - 1,
                        shape: node.shape,
                        bit: depends(id),
                    });
                }
                Op::Const(c) => {
                    buffers.push(len);
                    fills.push((buffers.len() - 1, c.value));
                    buffer_of[id.index()] = buffers.len() - 1;
                }
                op => {
                    // Best fit among dead buffers, else a new one; never an operand's own,
                    // and always a new one for a value that must survive across runs.
                    let pick = free
                        .iter()
                        .enumerate()
                        .filter(|&(_, &b)| buffers[b] >= len)
                        .min_by_key(|&(_, &b)| buffers[b])
                        .or_else(|| free.iter().enumerate().max_by_key(|&(_, &b)| buffers[b]))
                        .map(|(i, _)| i)
                        .filter(|_| !pinned[id.index()]);
                    let out = match pick {
                        Some(i) => free.swap_remove(i),
                        None => {
                            buffers.push(0);
                            buffers.len() - 1
                        }
                    };
                    buffers[out] = buffers[out].max(len);
                    buffer_of[id.index()] = out;
                    let reads = &reads[id.index()];
                    let args = reads.iter().map(|(a, _)| (buffer_of[a.index()], graph.shape(*a))).collect();
                    let mut transposed = [false; 2];
                    for (flag, &(_, t)) in transposed.iter_mut().zip(reads) {
                        *flag = t;
                    }
                    steps.push(Step {
                        op: fused[id.index()].as_ref().map_or(op, |(fused, _)| fused).clone(),
                        args,
                        transposed,
                        out,
                        shape: node.shape,
                        inputs: depends(id),
                    });
                    // Operands whose last use this was free their buffers for later steps.
                    let mut released: SmallVec<[usize; 2]> = SmallVec::new();
                    for (a, _) in reads {
                        let operand = graph.node(*a);
                        let computed = !matches!(operand.op, Op::Input(_) | Op::Const(_));
                        let b = buffer_of[a.index()];
                        if computed
                            && last_use[a.index()] == id.index()
                            && !pinned[a.index()]
                            && !released.contains(&b)
                        {
                            released.push(b);
                            free.push(b);
                        }
                    }
                }
            }
        }
        let outputs = graph
            .outputs()
            .iter()
            .map(|(name, id)| Binding {
                name: name.clone(),
                buffer: buffer_of[id.index()],
                shape: graph.shape(*id),
                bit: 0,
            })
            .collect();
        Ok(Plan { steps, lens: buffers, fills, inputs, outputs })
    }

    /// Copies `values` into the input `name`, marking it changed unless they are the
    /// values it holds (bit for bit).
    pub fn set_input(&mut self, name: &str, values: &[f64]) -> Result<(), GraphError> {
        let binding = self
            .inputs
            .iter()
            .find(|b| b.name == name)
            .ok_or_else(|| GraphError::UnknownInput(name.into()))?;
        if values.len() != binding.shape.len() {
            return Err(GraphError::InputLength {
                name: name.into(),
                shape: binding.shape,
                found: values.len(),
            });
        }
        // Values equal bit for bit to those held leave the input unchanged, so a run
        // after it reuses what depends on them (θ across an iterative solver's HVPs).
        let held = &mut self.buffers[binding.buffer][..values.len()];
        if held.iter().zip(values).any(|(h, v)| h.to_bits() != v.to_bits()) {
            held.copy_from_slice(values);
            self.changed |= binding.bit;
        }
        Ok(())
    }

    /// Whether the program reads an input called `name`.
    pub fn has_input(&self, name: &str) -> bool {
        self.inputs.iter().any(|b| b.name == name)
    }

    /// The inputs the program reads, with their shapes, in declaration order.
    pub fn inputs(&self) -> impl Iterator<Item = (&str, Shape)> {
        self.inputs.iter().map(|b| (b.name.as_str(), b.shape))
    }

    /// Evaluates the steps that depend on an input changed since the previous run
    /// (every step, the first time), in order.
    pub fn run(&mut self) {
        let (changed, all) = (self.changed, !self.ran);
        self.changed = 0;
        self.ran = true;
        if all {
            // A clone's intermediate buffers are allocated on its first run.
            for (buffer, &len) in self.buffers.iter_mut().zip(&self.lens) {
                if buffer.len() < len {
                    buffer.resize(len, 0.0);
                }
            }
        }
        for step in self.steps.iter().filter(|s| all || s.inputs & changed != 0) {
            // The output buffer is never an operand's, so it can be moved out while
            // the operands are borrowed.
            let mut out = std::mem::take(&mut self.buffers[step.out]);
            {
                // In a fixed array (no op takes more than three operands): collecting them
                // into a SmallVec and moving it cost a library memcpy per step.
                let mut args = [Tensor { data: &[], shape: Shape::SCALAR }; 3];
                for (arg, &(b, shape)) in args.iter_mut().zip(&step.args) {
                    *arg = Tensor { data: &self.buffers[b][..shape.len()], shape };
                }
                let args = &args[..step.args.len()];
                let target = TensorMut { data: &mut out[..step.shape.len()], shape: step.shape };
                if step.transposed == [false; 2] {
                    step.op.rules().eval(args, target);
                } else {
                    crate::ops::product_of(args[0], args[1], step.transposed, target);
                }
            }
            self.buffers[step.out] = out;
        }
    }

    /// The value of output `name` after [`Program::run`], row-major.
    pub fn output(&self, name: &str) -> Result<&[f64], GraphError> {
        let b = self
            .outputs
            .iter()
            .find(|b| b.name == name)
            .ok_or_else(|| GraphError::UnknownOutput(name.into()))?;
        Ok(&self.buffers[b.buffer][..b.shape.len()])
    }

    /// The shape of output `name`.
    pub fn output_shape(&self, name: &str) -> Result<Shape, GraphError> {
        self.outputs
            .iter()
            .find(|b| b.name == name)
            .map(|b| b.shape)
            .ok_or_else(|| GraphError::UnknownOutput(name.into()))
    }

    /// The arithmetic of one run that recomputes the steps depending on any of the inputs
    /// named in `changed` (every step when `changed` is empty).
    pub fn cost(&self, changed: &[&str]) -> Cost {
        let mask =
            self.inputs.iter().filter(|b| changed.contains(&b.name.as_str())).fold(0, |m, b| m | b.bit);
        let mut cost = Cost::default();
        for step in self.steps.iter().filter(|s| changed.is_empty() || s.inputs & mask != 0) {
            if let Op::MatMul(_) | Op::OuterAdd(_) = step.op {
                let a = step.args[0].1;
                let inner = if step.transposed[0] { a.rows } else { a.cols };
                cost.product_flops += 2 * step.shape.len() as u64 * inner as u64;
            } else {
                cost.other_values += step.shape.len() as u64;
            }
        }
        cost
    }

    /// Number of instructions.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// Whether the program computes nothing (its outputs are inputs or constants).
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Total f64 elements held in buffers.
    pub fn buffer_elements(&self) -> usize {
        self.buffers.iter().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluates_and_reuses_buffers() {
        let mut g = Graph::new();
        let x = g.input("x", Shape::matrix(2, 2)).unwrap();
        let w = g.input("w", Shape::matrix(2, 1)).unwrap();
        let mut h = g.matmul(x, w).unwrap();
        for _ in 0..5 {
            h = g.sin(h).unwrap();
        }
        let total = g.sum_all(h).unwrap();
        g.set_output("total", total);
        let mut p = Program::compile(&g).unwrap();
        p.set_input("x", &[1.0, 2.0, 3.0, 4.0]).unwrap();
        p.set_input("w", &[0.5, -0.25]).unwrap();
        p.run();
        let mut expect = [1.0 * 0.5 - 2.0 * 0.25, 3.0 * 0.5 - 4.0 * 0.25];
        for _ in 0..5 {
            expect = expect.map(f64::sin);
        }
        assert_eq!(p.output("total").unwrap(), &[expect[0] + expect[1]]);
        // x, w, and two buffers alternating through the chain of sines, plus the sum.
        assert!(p.buffers.len() <= 5, "{} buffers", p.buffers.len());
        assert_eq!(Program::planned_elements(&g).unwrap(), p.buffer_elements(), "the plan is what compiles");
        assert!(matches!(p.set_input("x", &[1.0]), Err(GraphError::InputLength { .. })));
        assert!(matches!(p.set_input("nope", &[1.0]), Err(GraphError::UnknownInput(_))));
    }

    #[test]
    fn a_clone_keeps_inputs_and_outputs_and_recomputes_the_rest() {
        let mut g = Graph::new();
        let x = g.input("x", Shape::matrix(4, 1)).unwrap();
        let s = g.sin(x).unwrap();
        let t = g.tanh(s).unwrap();
        let total = g.sum_all(t).unwrap();
        g.set_output("total", total);
        let mut p = Program::compile(&g).unwrap();
        p.set_input("x", &[0.1, 0.2, 0.3, 0.4]).unwrap();
        p.run();
        let expected = p.output("total").unwrap()[0];
        let mut copy = p.clone();
        assert!(copy.buffer_elements() < p.buffer_elements(), "the intermediate values are not copied");
        assert_eq!(copy.output("total").unwrap(), &[expected], "the outputs are");
        copy.run();
        assert_eq!(copy.output("total").unwrap(), &[expected]);
        assert_eq!(copy.buffer_elements(), p.buffer_elements());
        copy.set_input("x", &[0.0; 4]).unwrap();
        copy.run();
        assert_eq!(copy.output("total").unwrap(), &[0.0]);
    }

    #[test]
    fn declared_inputs_stay_bindable_when_no_output_reads_them() {
        // A constant output (like the Hessian of a model linear in θ) reads no input.
        let mut g = Graph::new();
        let theta = g.input("theta", Shape::vector(2)).unwrap();
        let two = g.scalar(2.0);
        let twice = g.mul(theta, two).unwrap();
        let zero = g.scalar(0.0);
        let constant = g.mul(twice, zero).unwrap();
        g.set_output("h", constant);
        let mut p = Program::compile(&g.simplify().unwrap()).unwrap();
        assert!(p.has_input("theta"));
        p.set_input("theta", &[1.0, 2.0]).unwrap();
        p.run();
        assert_eq!(p.output("h").unwrap(), &[0.0, 0.0]);
    }

    #[test]
    fn a_run_recomputes_only_what_depends_on_changed_inputs() {
        // out = Σ (tanh(a)·b + sin(a)) with a early dead value of a's alone (sin) whose
        // buffer could be reused; changing only b must still give fresh results.
        let mut g = Graph::new();
        let a = g.input("a", Shape::matrix(3, 2)).unwrap();
        let b = g.input("b", Shape::matrix(3, 2)).unwrap();
        let s = g.sin(a).unwrap();
        let s2 = g.mul(s, s).unwrap();
        let t = g.tanh(a).unwrap();
        let tb = g.mul(t, b).unwrap();
        let sum = g.add(tb, s2).unwrap();
        let out = g.sum_all(sum).unwrap();
        g.set_output("out", out);
        let expected = |av: &[f64], bv: &[f64]| -> f64 {
            av.iter().zip(bv).map(|(a, b)| a.tanh() * b + a.sin() * a.sin()).sum()
        };
        let av: Vec<f64> = (0..6).map(|i| 0.3 * i as f64 - 0.7).collect();
        let mut p = Program::compile(&g).unwrap();
        p.set_input("a", &av).unwrap();
        for k in 0..3 {
            let bv: Vec<f64> = (0..6).map(|i| (i * (k + 2)) as f64 * 0.1).collect();
            p.set_input("b", &bv).unwrap();
            p.run();
            let got = p.output("out").unwrap()[0];
            assert!((got - expected(&av, &bv)).abs() < 1e-14, "run {k}: {got}");
        }
        // Steps that depend on a alone (sin, its square, tanh) were not rerun.
        p.set_input("b", &[1.0; 6]).unwrap();
        let rerun = p.steps.iter().filter(|s| s.inputs & p.changed != 0).count();
        assert_eq!(rerun, 2, "tanh(a)·b + sin² as one mul_add step, the total");
    }

    #[test]
    fn setting_an_input_to_the_values_it_holds_leaves_it_unchanged() {
        let mut g = Graph::new();
        let a = g.input("a", Shape::vector(3)).unwrap();
        let b = g.input("b", Shape::vector(3)).unwrap();
        let ab = g.mul(a, b).unwrap();
        let out = g.sum_all(ab).unwrap();
        g.set_output("out", out);
        let mut p = Program::compile(&g).unwrap();
        let (a_bit, b_bit) = (p.inputs[0].bit, p.inputs[1].bit);
        p.set_input("a", &[1.0, 2.0, 0.0]).unwrap();
        p.set_input("b", &[3.0, 4.0, 5.0]).unwrap();
        p.run();
        assert_eq!(p.output("out").unwrap(), [11.0]);
        p.set_input("a", &[1.0, 2.0, 0.0]).unwrap();
        assert_eq!(p.changed, 0, "the same values, bit for bit");
        p.set_input("b", &[3.0, 4.0, 6.0]).unwrap();
        assert_eq!(p.changed, b_bit);
        p.run();
        assert_eq!(p.output("out").unwrap(), [11.0]);
        // −0 is not +0 bit for bit: the input counts as changed (and 1/0 would differ).
        p.set_input("a", &[1.0, 2.0, -0.0]).unwrap();
        assert_eq!(p.changed, a_bit);
        p.set_input("a", &[1.0, 3.0, -0.0]).unwrap();
        p.run();
        assert_eq!(p.output("out").unwrap(), [15.0]);
    }

    #[test]
    fn an_add_of_a_product_read_once_runs_as_one_mul_add_with_the_same_bits() {
        let shape = Shape::matrix(4, 3);
        let mut g = Graph::new();
        let [a, b] = ["a", "b"].map(|name| g.input(name, shape).unwrap());
        let c = g.sin(a).unwrap();
        let ab = g.mul(a, b).unwrap();
        let sum = g.add(c, ab).unwrap();
        g.set_output("c", c);
        g.set_output("sum", sum);
        let mut p = Program::compile(&g).unwrap();
        assert_eq!(p.steps.iter().map(|s| s.op.to_string()).collect::<Vec<_>>(), ["sin", "mul_add"]);
        let values =
            |k: usize| -> Vec<f64> { (0..12).map(|i| ((i * 7 + k * 5) % 11) as f64 / 3.0 - 1.7).collect() };
        let (av, bv) = (values(0), values(1));
        p.set_input("a", &av).unwrap();
        p.set_input("b", &bv).unwrap();
        p.run();
        let cv = p.output("c").unwrap();
        let plain: Vec<f64> = (0..12).map(|i| cv[i] + av[i] * bv[i]).collect();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(p.output("sum").unwrap()), bits(&plain));
    }

    #[test]
    fn an_add_of_an_outer_product_read_once_runs_as_one_outer_add_with_the_same_bits() {
        // x·w + b with a bias row (a layer's pre-activation), and x·u + y·w with a full
        // matrix (the HVP's sum of two outer products), at a short (10) and a long (20) row.
        for cols in [10, 20] {
            // Every operand sliced from one input, so that products and sums depend on the
            // same inputs (as in a network, where W, b and V come from θ and v).
            let mut g = Graph::new();
            let theta = g.input("theta", Shape::vector(12 + 3 * cols)).unwrap();
            let [x, y] = [0, 6].map(|at| g.slice(theta, at, 6, 1).unwrap());
            let [w, u, b] = [12, 12 + cols, 12 + 2 * cols].map(|at| g.slice(theta, at, 1, cols).unwrap());
            let xw = g.matmul(x, w).unwrap();
            let biased = g.add(b, xw).unwrap();
            let (xu, yw) = (g.matmul(x, u).unwrap(), g.matmul(y, w).unwrap());
            let two = g.add(xu, yw).unwrap();
            g.set_output("biased", biased);
            g.set_output("two", two);
            let mut p = Program::compile(&g).unwrap();
            let ops: Vec<String> =
                p.steps.iter().filter(|s| !matches!(s.op, Op::Slice(_))).map(|s| s.op.to_string()).collect();
            assert_eq!(ops, ["outer_add", "matmul", "outer_add"], "cols {cols}");
            // An outer_add is still a product of an inner dimension of 1.
            assert_eq!(p.cost(&[]).product_flops, 3 * 2 * 6 * cols as u64);
            let tv: Vec<f64> = (0..12 + 3 * cols).map(|i| ((i * 7) % 11) as f64 / 3.0 - 1.7).collect();
            p.set_input("theta", &tv).unwrap();
            p.run();
            let (xv, yv, wv) = (&tv[..6], &tv[6..12], &tv[12..12 + cols]);
            let (uv, bv) = (&tv[12 + cols..12 + 2 * cols], &tv[12 + 2 * cols..]);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            let (i, j) = (|e: usize| e / cols, |e: usize| e % cols);
            let biased: Vec<f64> = (0..6 * cols).map(|e| bv[j(e)] + xv[i(e)] * wv[j(e)]).collect();
            let two: Vec<f64> = (0..6 * cols).map(|e| xv[i(e)] * uv[j(e)] + yv[i(e)] * wv[j(e)]).collect();
            assert_eq!(bits(p.output("biased").unwrap()), bits(&biased), "cols {cols}");
            assert_eq!(bits(p.output("two").unwrap()), bits(&two), "cols {cols}");
        }
    }

    #[test]
    fn a_product_stays_its_own_step_when_fusing_would_lose_work_or_shapes_differ() {
        let shape = Shape::matrix(4, 3);
        let steps = |build: &dyn Fn(&mut Graph, NodeId, NodeId) -> NodeId| -> Vec<String> {
            let mut g = Graph::new();
            let [a, b] = ["a", "b"].map(|name| g.input(name, shape).unwrap());
            let out = build(&mut g, a, b);
            g.set_output("out", out);
            Program::compile(&g).unwrap().steps.iter().map(|s| s.op.to_string()).collect()
        };
        // The product is read twice.
        let shared = steps(&|g, a, b| {
            let ab = g.mul(a, b).unwrap();
            let sum = g.add(ab, a).unwrap();
            g.mul(sum, ab).unwrap()
        });
        assert_eq!(shared, ["mul", "add", "mul"]);
        // The product depends on fewer inputs than the sum: a run that changes only b
        // skips it, and fusing would redo it.
        let hoisted = steps(&|g, a, b| {
            let aa = g.mul(a, a).unwrap();
            g.add(aa, b).unwrap()
        });
        assert_eq!(hoisted, ["mul", "add"]);
        // A broadcast operand.
        let broadcast = steps(&|g, a, b| {
            let row = g.sum_to(a, true, false).unwrap();
            let rb = g.mul(row, b).unwrap();
            g.add(rb, a).unwrap()
        });
        assert_eq!(broadcast, ["sum[rows]", "mul", "add"]);
        // A product with an inner dimension of 3 is not an outer product.
        let inner = steps(&|g, a, b| {
            let bt = g.transpose(b).unwrap();
            let abt = g.matmul(a, bt).unwrap(); // 4 × 3 by 3 × 4
            let at = g.transpose(a).unwrap();
            let a_at = g.matmul(a, at).unwrap();
            g.add(abt, a_at).unwrap()
        });
        assert_eq!(inner, ["matmul", "matmul", "add"]);
    }

    #[test]
    fn batched_matmul_matches_per_matrix_products() {
        let mut g = Graph::new();
        let a = g.input("a", Shape::matrix(2, 3).batched(2)).unwrap();
        let b = g.input("b", Shape::matrix(3, 1)).unwrap();
        let c = g.input("c", Shape::matrix(3, 1).batched(2)).unwrap();
        let ab = g.matmul(a, b).unwrap();
        let ac = g.matmul(a, c).unwrap();
        g.set_output("ab", ab);
        g.set_output("ac", ac);
        let mut p = Program::compile(&g).unwrap();
        let av: Vec<f64> = (1..=12).map(f64::from).collect();
        p.set_input("a", &av).unwrap();
        p.set_input("b", &[1.0, 0.0, -1.0]).unwrap();
        p.set_input("c", &[1.0, 1.0, 1.0, 0.0, 1.0, 0.0]).unwrap();
        p.run();
        assert_eq!(p.output("ab").unwrap(), &[1.0 - 3.0, 4.0 - 6.0, 7.0 - 9.0, 10.0 - 12.0]);
        assert_eq!(p.output("ac").unwrap(), &[6.0, 15.0, 8.0, 11.0]);
    }

    /// A `matmul` of a `transpose` reads the transpose's operand transposed, for either
    /// operand, batched or not; the transpose is not a step of its own unless something
    /// else reads it.
    #[test]
    fn products_of_transposes_read_their_operands_transposed() {
        let mut g = Graph::new();
        let a = g.input("a", Shape::matrix(3, 2).batched(2)).unwrap();
        let b = g.input("b", Shape::matrix(3, 4)).unwrap();
        let c = g.input("c", Shape::matrix(5, 2)).unwrap();
        let at = g.transpose(a).unwrap(); // 2; 2×3
        let atb = g.matmul(at, b).unwrap(); // 2; 2×4
        let ct = g.transpose(c).unwrap(); // 2×5
        let act = g.matmul(a, ct).unwrap(); // 2; 3×5
        let ctc = g.matmul(ct, c).unwrap(); // cᵀc, 2×2
        let kept = g.neg(at).unwrap(); // a second reader keeps `at` a step
        for (name, id) in [("atb", atb), ("act", act), ("ctc", ctc), ("kept", kept)] {
            g.set_output(name, id);
        }
        let mut p = Program::compile(&g).unwrap();
        let av: Vec<f64> = (0..12).map(|i| f64::from(i) * 0.5 - 2.0).collect();
        let bv: Vec<f64> = (0..12).map(|i| f64::from(i * i % 7) - 3.0).collect();
        let cv: Vec<f64> = (0..10).map(|i| f64::from(i) * 0.25 + 1.0).collect();
        p.set_input("a", &av).unwrap();
        p.set_input("b", &bv).unwrap();
        p.set_input("c", &cv).unwrap();
        p.run();
        let at_ = |k: usize, i: usize, j: usize| av[k * 6 + i * 2 + j]; // a[k][i][j]
        let mut expect_atb = [0.0; 16];
        let mut expect_act = [0.0; 30];
        for k in 0..2 {
            for i in 0..2 {
                for j in 0..4 {
                    expect_atb[k * 8 + i * 4 + j] = (0..3).map(|m| at_(k, m, i) * bv[m * 4 + j]).sum();
                }
            }
            for i in 0..3 {
                for j in 0..5 {
                    expect_act[k * 15 + i * 5 + j] = (0..2).map(|m| at_(k, i, m) * cv[j * 2 + m]).sum();
                }
            }
        }
        let expect_ctc: Vec<f64> =
            (0..4).map(|e| (0..5).map(|m| cv[m * 2 + e / 2] * cv[m * 2 + e % 2]).sum()).collect();
        assert_eq!(p.output("atb").unwrap(), &expect_atb);
        assert_eq!(p.output("act").unwrap(), &expect_act);
        assert_eq!(p.output("ctc").unwrap(), &expect_ctc[..]);
        let transposes = p.steps.iter().filter(|s| matches!(s.op, Op::Transpose(_))).count();
        assert_eq!(transposes, 1, "only the transpose that `neg` reads is materialized");
    }

    /// A run's cost counts 2·r·k·c per product and the values the other steps write,
    /// over the steps an input change reruns.
    #[test]
    fn cost_counts_products_and_values_of_the_steps_a_run_repeats() {
        let mut g = Graph::new();
        let x = g.input("x", Shape::matrix(4, 3)).unwrap();
        let w = g.input("w", Shape::matrix(3, 2)).unwrap();
        let v = g.input("v", Shape::matrix(4, 2)).unwrap();
        let xw = g.matmul(x, w).unwrap(); // 2·4·2·3 = 48 flops
        let t = g.tanh(xw).unwrap(); // 8 values
        let tv = g.mul(t, v).unwrap(); // 8 values, the only step depending on v
        let xt = g.transpose(x).unwrap();
        let back = g.matmul(xt, tv).unwrap(); // read transposed: 2·3·2·4 = 48 flops
        g.set_output("out", back);
        let p = Program::compile(&g).unwrap();
        assert_eq!(p.cost(&[]), Cost { product_flops: 96, other_values: 16 });
        assert_eq!(p.cost(&["v"]), Cost { product_flops: 48, other_values: 8 });
        assert_eq!(p.cost(&["nothing"]), Cost::default());
    }
}
