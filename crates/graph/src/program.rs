//! Compilation of a graph into a straight-line program over preallocated buffers,
//! and its evaluation. Buffers are assigned once, reused once their value is dead,
//! and running the program allocates nothing.

use smallvec::SmallVec;

use crate::ops::{Op, Tensor, TensorMut};
use crate::{Graph, GraphError, Shape};

/// One instruction: apply `op` to the values in `args`, writing buffer `out`.
#[derive(Clone, Debug)]
struct Step {
    op: Op,
    args: SmallVec<[(usize, Shape); 2]>,
    out: usize,
    shape: Shape,
}

/// A named value bound to a buffer.
#[derive(Clone, Debug)]
struct Binding {
    name: String,
    buffer: usize,
    shape: Shape,
}

/// A compiled graph: the live nodes in topological order, each writing a buffer.
///
/// Bind every input with [`Program::set_input`], call [`Program::run`], then read
/// [`Program::output`]. Clone a program to evaluate it on several threads.
#[derive(Clone, Debug)]
pub struct Program {
    steps: Vec<Step>,
    buffers: Vec<Vec<f64>>,
    inputs: Vec<Binding>,
    outputs: Vec<Binding>,
}

impl Program {
    /// Compiles the part of `graph` its outputs depend on, binding every declared input.
    pub fn compile(graph: &Graph) -> Result<Program, GraphError> {
        let live = graph.live();
        let mut kept = live.clone();
        for id in graph.inputs() {
            kept[id.index()] = true;
        }
        let mut last_use = vec![0usize; graph.len()];
        for id in graph.node_ids().filter(|id| live[id.index()]) {
            for a in &graph.node(id).args {
                last_use[a.index()] = id.index();
            }
        }
        let mut pinned = vec![false; graph.len()];
        for (_, id) in graph.outputs() {
            pinned[id.index()] = true;
        }

        let mut buffers: Vec<Vec<f64>> = Vec::new();
        let mut free: Vec<usize> = Vec::new();
        let mut buffer_of = vec![usize::MAX; graph.len()];
        let mut steps = Vec::new();
        let mut inputs = Vec::new();
        for id in graph.node_ids().filter(|id| kept[id.index()]) {
            let node = graph.node(id);
            let len = node.shape.len();
            match &node.op {
                Op::Input(input) => {
                    buffers.push(vec![0.0; len]);
                    buffer_of[id.index()] = buffers.len() - 1;
                    inputs.push(Binding {
                        name: input.name.clone(),
                        buffer: buffers.len() - 1,
                        shape: node.shape,
                    });
                }
                Op::Const(c) => {
                    buffers.push(vec![c.value; len]);
                    buffer_of[id.index()] = buffers.len() - 1;
                }
                op => {
                    // Best fit among dead buffers, else a new one; never an operand's own.
                    let pick = free
                        .iter()
                        .enumerate()
                        .filter(|&(_, &b)| buffers[b].len() >= len)
                        .min_by_key(|&(_, &b)| buffers[b].len())
                        .or_else(|| free.iter().enumerate().max_by_key(|&(_, &b)| buffers[b].len()))
                        .map(|(i, _)| i);
                    let out = match pick {
                        Some(i) => free.swap_remove(i),
                        None => {
                            buffers.push(Vec::new());
                            buffers.len() - 1
                        }
                    };
                    if buffers[out].len() < len {
                        buffers[out].resize(len, 0.0);
                    }
                    buffer_of[id.index()] = out;
                    let args = node.args.iter().map(|a| (buffer_of[a.index()], graph.shape(*a))).collect();
                    steps.push(Step { op: op.clone(), args, out, shape: node.shape });
                    // Operands whose last use this was free their buffers for later steps.
                    let mut released: SmallVec<[usize; 2]> = SmallVec::new();
                    for a in &node.args {
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
            })
            .collect();
        Ok(Program { steps, buffers, inputs, outputs })
    }

    /// Copies `values` into the input `name`.
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
        self.buffers[binding.buffer][..values.len()].copy_from_slice(values);
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

    /// Evaluates every step in order.
    pub fn run(&mut self) {
        for step in &self.steps {
            // The output buffer is never an operand's, so it can be moved out while
            // the operands are borrowed.
            let mut out = std::mem::take(&mut self.buffers[step.out]);
            {
                let args: SmallVec<[Tensor<'_>; 2]> = step
                    .args
                    .iter()
                    .map(|&(b, shape)| Tensor { data: &self.buffers[b][..shape.len()], shape })
                    .collect();
                let target = TensorMut { data: &mut out[..step.shape.len()], shape: step.shape };
                step.op.rules().eval(&args, target);
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
        assert!(matches!(p.set_input("x", &[1.0]), Err(GraphError::InputLength { .. })));
        assert!(matches!(p.set_input("nope", &[1.0]), Err(GraphError::UnknownInput(_))));
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
}
