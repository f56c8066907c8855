//! Helpers shared by the derivative tests: evaluation of graph outputs, random
//! values, finite differences and error measures.
#![allow(dead_code)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use saddle_graph::{Graph, Program};

/// A deterministic random generator for tests.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// `len` values uniform in `[lo, hi)`.
pub fn uniform(rng: &mut impl Rng, len: usize, lo: f64, hi: f64) -> Vec<f64> {
    (0..len).map(|_| rng.random_range(lo..hi)).collect()
}

/// Compiles `g` and evaluates its outputs `names` with the given inputs.
pub fn eval(g: &Graph, inputs: &[(&str, &[f64])], names: &[&str]) -> Vec<Vec<f64>> {
    let mut p = Program::compile(g).expect("compile");
    for (name, values) in inputs {
        if p.has_input(name) {
            p.set_input(name, values).expect("bind input");
        }
    }
    p.run();
    names.iter().map(|n| p.output(n).expect("output").to_vec()).collect()
}

/// Largest absolute difference divided by the largest magnitude in `expected`
/// (floored at `floor`, for values that are all near zero).
pub fn rel_err(actual: &[f64], expected: &[f64], floor: f64) -> f64 {
    assert_eq!(actual.len(), expected.len(), "length mismatch");
    let diff = actual.iter().zip(expected).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    let scale = expected.iter().map(|b| b.abs()).fold(floor, f64::max);
    diff / scale
}

/// Inner product.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `a + s·b`.
pub fn axpy(a: &[f64], s: f64, b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x + s * y).collect()
}

/// Central difference (f(x + h·v) − f(x − h·v)) / 2h of a vector function.
pub fn central_difference(f: impl Fn(&[f64]) -> Vec<f64>, x: &[f64], v: &[f64], h: f64) -> Vec<f64> {
    let plus = f(&axpy(x, h, v));
    let minus = f(&axpy(x, -h, v));
    plus.iter().zip(&minus).map(|(p, m)| (p - m) / (2.0 * h)).collect()
}
