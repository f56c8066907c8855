//! Builders for the networks and losses of the contract: the MLP over the flat parameter
//! vector θ, the regression loss, and the pieces of the 1-D Poisson PINN loss.

use std::fmt;
use std::str::FromStr;

use crate::{Graph, GraphError, NodeId, Shape};

pub use crate::ops::Activation;

/// Layer widths `d_in, hidden..., d_out`, e.g. `1,20,20,1`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Arch {
    widths: Vec<usize>,
}

/// Where one layer's weights and biases sit in θ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layer {
    /// Inputs of the layer.
    pub fan_in: usize,
    /// Outputs of the layer.
    pub fan_out: usize,
    /// Offset of W (fan_in × fan_out, row-major) in θ.
    pub weights: usize,
    /// Offset of b (fan_out) in θ, right after W.
    pub biases: usize,
}

impl Arch {
    /// The largest parameter count n accepted: 10⁸ (θ alone is then 800 MB).
    pub const MAX_PARAMS: usize = 100_000_000;

    /// The largest number of values in one layer's activations (points × width) accepted
    /// by [`Arch::check_points`]: 10⁸ (800 MB).
    pub const MAX_LAYER_VALUES: usize = 100_000_000;

    /// An architecture from its widths; at least two, none zero, with a parameter count
    /// that does not overflow and is at most [`Arch::MAX_PARAMS`].
    pub fn new(widths: Vec<usize>) -> Result<Arch, String> {
        if widths.len() < 2 {
            return Err(format!(
                "an architecture needs at least an input and an output width, got {widths:?}"
            ));
        }
        if widths.contains(&0) {
            return Err(format!("layer widths must be positive, got {widths:?}"));
        }
        let count = widths.windows(2).try_fold(0usize, |n, w| {
            w[0].checked_mul(w[1])
                .and_then(|weights| weights.checked_add(w[1]))
                .and_then(|l| n.checked_add(l))
        });
        match count {
            None => Err(format!(
                "widths {widths:?}: the parameter count overflows (the maximum is {})",
                Self::MAX_PARAMS
            )),
            Some(n) if n > Self::MAX_PARAMS => Err(format!(
                "widths {widths:?} have {n} parameters, more than the maximum {}",
                Self::MAX_PARAMS
            )),
            Some(_) => Ok(Arch { widths }),
        }
    }

    /// Checks that the activations of `points` data points fit: points × width of every
    /// layer at most [`Arch::MAX_LAYER_VALUES`].
    pub fn check_points(&self, points: usize) -> Result<(), String> {
        let widest = self.widths.iter().copied().max().unwrap_or(1);
        match points.checked_mul(widest) {
            Some(values) if values <= Self::MAX_LAYER_VALUES => Ok(()),
            values => Err(format!(
                "{points} points × the widest layer of --arch {self} ({widest}) is {}, more than the \
                 maximum {} values in one layer's activations",
                values.map_or("beyond 2^64".to_string(), |v| v.to_string()),
                Self::MAX_LAYER_VALUES
            )),
        }
    }

    /// Widths `d_in, hidden..., d_out`.
    pub fn widths(&self) -> &[usize] {
        &self.widths
    }

    /// Input dimension.
    pub fn input_dim(&self) -> usize {
        self.widths[0]
    }

    /// Output dimension.
    pub fn output_dim(&self) -> usize {
        self.widths[self.widths.len() - 1]
    }

    /// The layers in order, with their offsets in θ.
    pub fn layers(&self) -> Vec<Layer> {
        let mut offset = 0;
        self.widths
            .windows(2)
            .map(|w| {
                let (fan_in, fan_out) = (w[0], w[1]);
                let layer = Layer { fan_in, fan_out, weights: offset, biases: offset + fan_in * fan_out };
                offset += fan_in * fan_out + fan_out;
                layer
            })
            .collect()
    }

    /// n = Σ (fan_in·fan_out + fan_out) (no overflow: checked by [`Arch::new`]).
    pub fn param_count(&self) -> usize {
        self.widths.windows(2).map(|w| w[0] * w[1] + w[1]).sum()
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.widths.iter().map(usize::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

impl FromStr for Arch {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let widths = s
            .split(',')
            .map(|w| {
                w.trim().parse::<usize>().map_err(|_| {
                    format!(
                        "architecture '{s}': '{}' is not a layer width (expected e.g. 1,20,20,1)",
                        w.trim()
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Arch::new(widths).map_err(|e| format!("architecture '{s}': {e}"))
    }
}

/// The network's values at the data points.
#[derive(Clone, Debug)]
pub struct Network {
    /// Outputs u, N × d_out.
    pub output: NodeId,
    /// Activations of each hidden layer, N × width (the learned basis is the last).
    pub hidden: Vec<NodeId>,
}

/// The MLP of the contract: H₀ = X; H_l = σ(H_{l−1} W_l + 1 b_lᵀ) on hidden layers; a
/// linear output layer. `theta` is the n × 1 parameter vector, `x` is N × d_in.
pub fn mlp(
    g: &mut Graph,
    arch: &Arch,
    act: Activation,
    theta: NodeId,
    x: NodeId,
) -> Result<Network, GraphError> {
    mlp_columns(g, arch, act, theta, &[x])
}

/// The MLP on its inputs given as one N × d_in matrix (`&[x]`) or as d_in columns of N × 1,
/// one per input: then the first layer is Σⱼ xⱼ W₁[j, :] + b₁, each input a graph input of
/// its own that derivatives can be taken by.
pub fn mlp_columns(
    g: &mut Graph,
    arch: &Arch,
    act: Activation,
    theta: NodeId,
    inputs: &[NodeId],
) -> Result<Network, GraphError> {
    let expected = Shape::vector(arch.param_count());
    if g.shape(theta).batched(1) != expected {
        return Err(GraphError::Shape {
            op: format!("mlp[{arch}]"),
            args: vec![g.shape(theta)],
            reason: format!("θ must be {expected}"),
        });
    }
    if inputs.len() > 1 && inputs.len() != arch.input_dim() {
        return Err(GraphError::Shape {
            op: format!("mlp[{arch}]"),
            args: inputs.iter().map(|&x| g.shape(x)).collect(),
            reason: format!("expected one input matrix or {} input columns", arch.input_dim()),
        });
    }
    let layers = arch.layers();
    let mut hidden = Vec::new();
    let mut h = None;
    for (l, layer) in layers.iter().enumerate() {
        // The first layer reads its inputs' rows of W₁ one by one when they are columns.
        let rows = if h.is_none() && inputs.len() > 1 { inputs.len() } else { 1 };
        let weights = (0..rows)
            .map(|j| g.slice(theta, layer.weights + j * layer.fan_out, layer.fan_in / rows, layer.fan_out))
            .collect::<Result<Vec<_>, _>>()?;
        let b = g.slice(theta, layer.biases, 1, layer.fan_out)?;
        let operands: &[NodeId] = match &h {
            Some(h) => std::slice::from_ref(h),
            None => inputs,
        };
        let mut hw = None;
        for (&x, &w) in operands.iter().zip(&weights) {
            let product = g.matmul(x, w)?;
            hw = Some(match hw {
                None => product,
                Some(sum) => g.add(sum, product)?,
            });
        }
        let hw = hw.ok_or_else(|| GraphError::Internal("an MLP without inputs".into()))?;
        let z = g.add(hw, b)?;
        if l + 1 == layers.len() {
            h = Some(z);
        } else {
            let a = act.apply(g, z)?;
            hidden.push(a);
            h = Some(a);
        }
    }
    let output = h.ok_or_else(|| GraphError::Internal("an architecture without layers".into()))?;
    Ok(Network { output, hidden })
}

/// ½ Σᵢ rᵢ² for a residual r.
pub fn half_sum_of_squares(g: &mut Graph, r: NodeId) -> Result<NodeId, GraphError> {
    let r2 = g.mul(r, r)?;
    let sum = g.sum_all(r2)?;
    let half = g.scalar(0.5);
    g.mul(half, sum)
}

/// The regression loss ½ Σᵢ (uᵢ − yᵢ)².
pub fn regression_loss(g: &mut Graph, u: NodeId, y: NodeId) -> Result<NodeId, GraphError> {
    let r = g.sub(u, y)?;
    half_sum_of_squares(g, r)
}

/// The PINN trial function u(x) = x(1 − x)·N(x), which vanishes at 0 and 1.
pub fn pinn_trial(g: &mut Graph, x: NodeId, net: NodeId) -> Result<NodeId, GraphError> {
    let one = g.scalar(1.0);
    let one_minus_x = g.sub(one, x)?;
    let bump = g.mul(x, one_minus_x)?;
    g.mul(bump, net)
}

/// The PINN residual −u'' − f at the collocation points, given u'' = `u_xx`.
pub fn pinn_residual(g: &mut Graph, u_xx: NodeId, f: NodeId) -> Result<NodeId, GraphError> {
    let minus = g.neg(u_xx)?;
    g.sub(minus, f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Program;

    #[test]
    fn parameter_layout_follows_the_contract() {
        let arch: Arch = "2,3,1".parse().unwrap();
        assert_eq!(arch.param_count(), 2 * 3 + 3 + 3 + 1);
        let layers = arch.layers();
        assert_eq!(layers[0], Layer { fan_in: 2, fan_out: 3, weights: 0, biases: 6 });
        assert_eq!(layers[1], Layer { fan_in: 3, fan_out: 1, weights: 9, biases: 12 });
    }

    #[test]
    fn parse_errors_name_the_fault() {
        assert!("1,x,1".parse::<Arch>().unwrap_err().contains("'x' is not a layer width"));
        assert!("3".parse::<Arch>().unwrap_err().contains("at least"));
        assert!("1,0,1".parse::<Arch>().unwrap_err().contains("positive"));
        assert!("relu".parse::<Activation>().unwrap_err().contains("unknown activation 'relu'"));
        assert_eq!("softplus".parse::<Activation>(), Ok(Activation::Softplus));
    }

    #[test]
    fn sizes_beyond_the_maximum_are_errors_naming_the_widths_and_count() {
        let e = "1,9999999999999,9999999999999,1".parse::<Arch>().unwrap_err();
        assert!(e.contains("[1, 9999999999999, 9999999999999, 1]: the parameter count overflows"), "{e}");
        // 1·10⁸ + 10⁸ + 10⁸ + 1 = 300 000 001 parameters: no overflow, but above 10⁸.
        let e = "1,100000000,1".parse::<Arch>().unwrap_err();
        assert!(e.contains("have 300000001 parameters, more than the maximum 100000000"), "{e}");
        // 1,5000,5000,1 has 5000 + 5000 + 25 000 000 + 5000 + 5000 + 1 = 25 020 001.
        assert_eq!("1,5000,5000,1".parse::<Arch>().unwrap().param_count(), 25_020_001);

        let arch: Arch = "1,10,1".parse().unwrap();
        assert!(arch.check_points(10_000_000).is_ok());
        let e = arch.check_points(10_000_001).unwrap_err();
        assert!(e.contains("10000001 points × the widest layer of --arch 1,10,1 (10) is 100000010"), "{e}");
        assert!(arch.check_points(usize::MAX).unwrap_err().contains("beyond 2^64"));
    }

    #[test]
    fn mlp_matches_a_hand_evaluation() {
        // One input, two tanh units, one output; θ = [W1 (1×2), b1 (2), W2 (2×1), b2].
        let arch: Arch = "1,2,1".parse().unwrap();
        let theta_v = [0.5, -1.0, 0.1, 0.2, 2.0, 3.0, -0.5];
        let xs = [0.3, -0.7];
        let mut g = Graph::new();
        let theta = g.input("theta", Shape::vector(7)).unwrap();
        let x = g.input("x", Shape::matrix(2, 1)).unwrap();
        let net = mlp(&mut g, &arch, Activation::Tanh, theta, x).unwrap();
        g.set_output("u", net.output);
        let mut p = Program::compile(&g).unwrap();
        p.set_input("theta", &theta_v).unwrap();
        p.set_input("x", &xs).unwrap();
        p.run();
        let u: Vec<f64> =
            xs.iter().map(|&x| 2.0 * (0.5 * x + 0.1f64).tanh() + 3.0 * (-x + 0.2f64).tanh() - 0.5).collect();
        let got = p.output("u").unwrap();
        for (a, b) in got.iter().zip(&u) {
            assert!((a - b).abs() < 1e-15, "{a} vs {b}");
        }
    }

    #[test]
    fn mlp_on_input_columns_equals_mlp_on_the_matrix() {
        let arch: Arch = "2,3,1".parse().unwrap();
        let theta_v = [0.5, -1.0, 0.3, 0.7, 0.2, -0.4, 0.1, 0.2, -0.3, 2.0, 3.0, -0.5, 0.25];
        let xs = [0.3, -0.7, 0.9, 0.4];
        let mut g = Graph::new();
        let theta = g.input("theta", Shape::vector(13)).unwrap();
        let x = g.input("x", Shape::matrix(2, 2)).unwrap();
        let x0 = g.input("x0", Shape::matrix(2, 1)).unwrap();
        let x1 = g.input("x1", Shape::matrix(2, 1)).unwrap();
        let whole = mlp(&mut g, &arch, Activation::Sin, theta, x).unwrap().output;
        let columns = mlp_columns(&mut g, &arch, Activation::Sin, theta, &[x0, x1]).unwrap().output;
        g.set_output("whole", whole);
        g.set_output("columns", columns);
        assert!(mlp_columns(&mut g, &arch, Activation::Sin, theta, &[x0, x1, x1]).is_err());
        let mut p = Program::compile(&g).unwrap();
        p.set_input("theta", &theta_v).unwrap();
        p.set_input("x", &xs).unwrap();
        p.set_input("x0", &[xs[0], xs[2]]).unwrap();
        p.set_input("x1", &[xs[1], xs[3]]).unwrap();
        p.run();
        let (a, b) = (p.output("whole").unwrap(), p.output("columns").unwrap());
        for (u, v) in a.iter().zip(b) {
            assert!((u - v).abs() <= 1e-15 * u.abs().max(1.0), "{u} vs {v}");
        }
    }
}
