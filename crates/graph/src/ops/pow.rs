//! `pow`: xᵖ for a constant real exponent p; d xᵖ = p·xᵖ⁻¹·dx.

use super::elementwise::unary;
use super::{Example, Primitive, Tensor, TensorMut};
use crate::{Graph, GraphError, NodeId, Shape};

/// Elementwise xᵖ for a constant exponent p, held as its bits so that equal exponents
/// hash-cons to one node (and 0.0 and −0.0 stay apart, as constants do). An integer p
/// with |p| ≤ 4 is evaluated by repeated multiplication (`powi`), any other p by the
/// standard library's `powf`. Negative bases work for every integer p, as in C's `pow`:
/// (−2)³ = −8, (−2)⁵ = −32; a non-integer p gives NaN for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pow {
    bits: u64,
}

/// The largest |p| evaluated by `powi`: a few multiplications, within 3 ulp of `powf`
/// up to here (measured in the tests below), but their errors add up beyond (38 ulp
/// from `powf` at p = 50).
const POWI_LIMIT: i32 = 4;

impl Pow {
    /// xᵖ.
    pub fn new(p: f64) -> Self {
        Pow { bits: p.to_bits() }
    }

    /// The exponent p.
    pub fn exponent(self) -> f64 {
        f64::from_bits(self.bits)
    }

    /// p as an `i32` when it is an integer with |p| ≤ [`POWI_LIMIT`].
    fn small_integer(self) -> Option<i32> {
        let p = self.exponent();
        (p == p.trunc() && p.abs() <= f64::from(POWI_LIMIT)).then_some(p as i32)
    }

    /// xᵖ for one value.
    pub fn of(self, x: f64) -> f64 {
        match self.small_integer() {
            Some(n) => x.powi(n),
            None => x.powf(self.exponent()),
        }
    }
}

impl Primitive for Pow {
    fn name(&self) -> &'static str {
        "pow"
    }
    /// `p=3`, `p=2.5`, `p=-1`.
    fn params(&self) -> String {
        let p = format!("{:?}", self.exponent());
        format!("p={}", p.strip_suffix(".0").unwrap_or(&p))
    }
    fn arity(&self) -> usize {
        1
    }
    fn shape(&self, args: &[Shape]) -> Result<Shape, String> {
        Ok(args[0])
    }
    fn eval(&self, args: &[Tensor<'_>], out: TensorMut<'_>) {
        match self.small_integer() {
            Some(n) => unary(args[0], out, move |x| x.powi(n)),
            None => {
                let p = self.exponent();
                unary(args[0], out, move |x| x.powf(p))
            }
        }
    }
    fn fold(&self, v: &[f64], _: &[Shape], _: Shape) -> Option<f64> {
        Some(self.of(v[0]))
    }
    /// x¹ = x and x⁰ = 1 (even at x = 0, ∞ or NaN, as `powi` and `powf` have it). x² stays
    /// a `pow`, not x·x: its tangent dx·(2·x) is one product per direction, x·x's two.
    fn simplify(&self, g: &mut Graph, args: &[NodeId], out: Shape) -> Result<Option<NodeId>, GraphError> {
        Ok(match self.exponent() {
            1.0 => Some(args[0]),
            0.0 => Some(g.fill(1.0, out)),
            _ => None,
        })
    }
    /// d xᵖ = dx · (p·xᵖ⁻¹), the slope a power itself (not p·y/x, which is 0/0 at x = 0),
    /// computed once for every tangent direction.
    fn jvp(
        &self,
        g: &mut Graph,
        _: NodeId,
        args: &[NodeId],
        t: &[Option<NodeId>],
    ) -> Result<Option<NodeId>, GraphError> {
        let p = self.exponent();
        let power = g.pow(args[0], p - 1.0)?;
        let factor = g.scalar(p);
        let slope = g.mul(factor, power)?;
        g.mul_maybe(t[0], slope)
    }
}

/// p = 2's slope is 2·x (x¹ simplified away); 2.5 and 0.5 take `powf`.
pub(super) fn examples() -> Vec<Example> {
    [3.0, 2.0, -1.0, 2.5, 0.5].into_iter().map(|p| Example::new(Pow::new(p), [Shape::matrix(3, 2)])).collect()
}

#[cfg(test)]
mod tests {
    use super::{POWI_LIMIT, Pow};
    use crate::{Graph, Program, Shape};

    /// Evaluates `x^p` and its derivative along a unit tangent at the points `x`.
    fn value_and_slope(p: f64, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let mut g = Graph::new();
        let shape = Shape::vector(x.len());
        let xs = g.input("x", shape).unwrap();
        let t = g.input("t", shape).unwrap();
        let y = g.pow(xs, p).unwrap();
        let rule = super::Primitive::jvp(&Pow::new(p), &mut g, y, &[xs], &[Some(t)]);
        let dy = rule.unwrap().unwrap();
        g.set_output("y", y);
        g.set_output("dy", dy);
        let mut program = Program::compile(&g).unwrap();
        program.set_input("x", x).unwrap();
        program.set_input("t", &vec![1.0; x.len()]).unwrap();
        program.run();
        (program.output("y").unwrap().to_vec(), program.output("dy").unwrap().to_vec())
    }

    #[test]
    fn integer_exponents_of_negative_bases() {
        let x = [-2.0, -0.5, -3.0];
        assert_eq!(value_and_slope(3.0, &x), (vec![-8.0, -0.125, -27.0], vec![12.0, 0.75, 27.0]));
        assert_eq!(value_and_slope(2.0, &x), (vec![4.0, 0.25, 9.0], vec![-4.0, -1.0, -6.0]));
        assert_eq!(value_and_slope(-1.0, &x).0, [-0.5, -2.0, -1.0 / 3.0]);
        assert_eq!(value_and_slope(-2.0, &x).1, [0.25, 16.0, 2.0 / 27.0]);
        // Beyond powi's range powf, which keeps the sign of odd powers too.
        assert_eq!(value_and_slope(5.0, &x).0, [-32.0, -0.03125, -243.0]);
        assert_eq!(value_and_slope(-7.0, &[-2.0]).0, [-0.0078125]);
        // Like the standard library's powf: no real power.
        assert!(value_and_slope(2.5, &x).0.iter().all(|y| y.is_nan()));
        // Constant operands fold to the same values.
        let mut g = Graph::new();
        let c = g.scalar(-2.0);
        let cube = g.pow(c, 3.0).unwrap();
        assert_eq!(g.const_value(cube), Some(-8.0));
    }

    #[test]
    fn zeroth_and_first_powers_are_identities() {
        let mut g = Graph::new();
        let x = g.input("x", Shape::matrix(2, 3)).unwrap();
        let one = g.pow(x, 0.0).unwrap();
        assert_eq!((g.const_value(one), g.shape(one)), (Some(1.0), Shape::matrix(2, 3)));
        assert_eq!(g.pow(x, 1.0).unwrap(), x);
    }

    #[test]
    fn slope_of_a_cube_at_zero_is_exactly_zero() {
        let (y, dy) = value_and_slope(3.0, &[0.0, -0.0, 1.5]);
        assert_eq!(y, [0.0, -0.0, 3.375]);
        assert_eq!(dy, [0.0, 0.0, 6.75]);
        assert!(dy[..2].iter().all(|d| d.to_bits() == 0), "+0, not NaN or −0: {dy:?}");
    }

    #[test]
    fn text_form_shows_the_exponent() {
        let shown = |p: f64| crate::Op::from(Pow::new(p)).to_string();
        assert_eq!(shown(3.0), "pow[p=3]");
        assert_eq!(shown(-1.0), "pow[p=-1]");
        assert_eq!(shown(2.5), "pow[p=2.5]");
        assert_eq!(shown(1e-300), "pow[p=1e-300]");
    }

    #[test]
    fn small_integer_powers_within_a_few_ulp_of_powf() {
        use super::super::mathfn::testing::{grid, log_uniform, worst};
        for p in -POWI_LIMIT..=POWI_LIMIT {
            let pow = Pow::new(f64::from(p));
            let points = grid(-3.0, 3.0, 100_000).chain(log_uniform(-250, 250, 100_000, 9));
            let (u, x) = worst(points, |x| pow.of(x), |x| x.powf(f64::from(p)));
            assert!(u <= 3, "x^{p}: {u} ulp at x = {x:e}");
        }
    }
}
