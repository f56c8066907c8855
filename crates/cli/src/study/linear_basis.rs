//! The linear discretization: u(x) = Σ_k c_k P_k(x) with fixed Legendre polynomials, fitted
//! by the same loss ½‖u − y‖² and the same solvers as the networks. Its Hessian is ΦᵀΦ
//! whatever c is, so the problem is convex and one Newton step solves it.

use saddle_graph::model::half_sum_of_squares;
use saddle_graph::{Graph, GraphError, Shape};

use crate::study::error::{CliError, Result};
use crate::study::io::csv::Dataset;
use crate::study::loss::{LossGraph, LossSource};

/// Regression on the first `degree + 1` Legendre polynomials of a 1-D input, the input
/// mapped affinely from the data's range onto [−1, 1].
#[derive(Clone, Debug)]
pub struct LegendreBasis {
    /// The features Φ, row-major N × K, K = degree + 1.
    pub features: Vec<f64>,
    /// The number of basis functions K.
    pub size: usize,
    /// The data: one input per point and the target.
    pub data: Dataset,
}

impl LegendreBasis {
    /// The basis P_0 … P_degree at the data's points; the data must have one input.
    pub fn new(degree: usize, data: Dataset) -> Result<LegendreBasis> {
        if data.n_inputs != 1 {
            return Err(CliError::Invalid(format!(
                "a Legendre basis takes one input, but the data has {} input columns",
                data.n_inputs
            )));
        }
        let (lo, hi) = data
            .inputs
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        let half_width = if hi > lo { (hi - lo) / 2.0 } else { 1.0 };
        let size = degree + 1;
        let features =
            data.inputs.iter().flat_map(|&x| legendre((x - (lo + hi) / 2.0) / half_width, degree)).collect();
        Ok(LegendreBasis { features, size, data })
    }
}

/// P_0(t) … P_degree(t) by Bonnet's recursion (k+1) P_{k+1} = (2k+1) t P_k − k P_{k−1}.
pub fn legendre(t: f64, degree: usize) -> Vec<f64> {
    let mut p = vec![1.0, t];
    for k in 1..degree {
        let next = ((2 * k + 1) as f64 * t * p[k] - k as f64 * p[k - 1]) / (k + 1) as f64;
        p.push(next);
    }
    p.truncate(degree + 1);
    p
}

impl LossSource for LegendreBasis {
    fn param_count(&self) -> usize {
        self.size
    }

    fn residual_count(&self) -> usize {
        self.data.n_points
    }

    fn loss_graph(&self) -> std::result::Result<LossGraph, GraphError> {
        let mut g = Graph::new();
        let n_points = self.data.n_points;
        let theta = g.input("theta", Shape::vector(self.size))?;
        let phi = g.input("phi", Shape::matrix(n_points, self.size))?;
        let y = g.input("y", Shape::vector(n_points))?;
        let output = g.matmul(phi, theta)?;
        let residual = g.sub(output, y)?;
        let loss = half_sum_of_squares(&mut g, residual)?;
        g.set_output("loss", loss);
        Ok(LossGraph { graph: g, theta, loss, residual, features: Some(phi) })
    }

    fn data_inputs(&self) -> Vec<(&str, &[f64])> {
        vec![("phi", &self.features), ("y", &self.data.targets)]
    }

    fn target(&self) -> &[f64] {
        &self.data.targets
    }

    fn output_weights(&self) -> std::ops::Range<usize> {
        0..self.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::compiled::Derivatives;

    #[test]
    fn legendre_matches_closed_forms() {
        for t in [-1.0, -0.3, 0.0, 0.7, 1.0] {
            let p = legendre(t, 4);
            let closed = [
                1.0,
                t,
                (3.0 * t * t - 1.0) / 2.0,
                (5.0 * t * t * t - 3.0 * t) / 2.0,
                (35.0 * t.powi(4) - 30.0 * t * t + 3.0) / 8.0,
            ];
            for (a, b) in p.iter().zip(closed) {
                assert!((a - b).abs() < 1e-14, "P({t}) = {a} vs {b}");
            }
        }
        assert_eq!(legendre(0.5, 0), vec![1.0]);
    }

    /// The Hessian of the linear basis is ΦᵀΦ and does not depend on the coefficients.
    #[test]
    fn hessian_is_the_gram_matrix() {
        let xs: Vec<f64> = (0..9).map(|i| i as f64 / 8.0).collect();
        let data = Dataset {
            targets: xs.iter().map(|x| (2.0 * x).sin()).collect(),
            inputs: xs,
            n_points: 9,
            n_inputs: 1,
        };
        let basis = LegendreBasis::new(3, data).unwrap();
        let mut derivs = Derivatives::new(&basis).unwrap();
        let k = basis.size;
        let mut gram = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                gram[i * k + j] = (0..9).map(|p| basis.features[p * k + i] * basis.features[p * k + j]).sum();
            }
        }
        for theta in [vec![0.0; k], vec![1.0, -2.0, 0.5, 3.0]] {
            let mut h = vec![0.0; k * k];
            derivs.hessian(&theta, &mut h).unwrap();
            for (a, b) in h.iter().zip(&gram) {
                assert!((a - b).abs() < 1e-13, "{a} vs {b}");
            }
        }
        // The data's range [0, 1] is mapped onto [−1, 1]: P_1 runs from −1 to 1.
        assert_eq!(basis.features[1], -1.0);
        assert_eq!(basis.features[8 * k + 1], 1.0);
    }
}
