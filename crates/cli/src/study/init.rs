//! Deterministic parameter initialization from a seed.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use saddle_graph::Arch;

/// Glorot-normal initialization in the layout of docs/CONTRACT.md: every weight of
/// layer l drawn from N(0, 2 / (fan_in + fan_out)), every bias zero, layer by layer,
/// weights in row-major order, from a ChaCha8 generator seeded with `seed`. The same seed gives
/// the same θ on every platform and thread count.
pub fn glorot_normal(arch: &Arch, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut theta = Vec::with_capacity(arch.param_count());
    for layer in arch.layers() {
        let std = (2.0 / (layer.fan_in + layer.fan_out) as f64).sqrt();
        let normal = Normal::new(0.0, std).expect("a positive, finite standard deviation");
        theta.extend((0..layer.fan_in * layer.fan_out).map(|_| normal.sample(&mut rng)));
        theta.extend(std::iter::repeat_n(0.0, layer.fan_out));
    }
    theta
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glorot_is_deterministic_and_scaled() {
        let arch: Arch = "1,200,1".parse().unwrap();
        let a = glorot_normal(&arch, 7);
        assert_eq!(a, glorot_normal(&arch, 7));
        assert_ne!(a, glorot_normal(&arch, 8));
        assert_eq!(a.len(), 601, "W1 200, b1 200, W2 200, b2 1");
        // Biases are zero: b1 at 200..400 and b2 at 600.
        assert!(a[200..400].iter().all(|&b| b == 0.0) && a[600] == 0.0);
        // W1 entries have variance 2 / 201; the sample variance of 200 draws is within 30%.
        let var = a[..200].iter().map(|w| w * w).sum::<f64>() / 200.0;
        assert!((var / (2.0 / 201.0) - 1.0).abs() < 0.3, "variance {var}");
    }
}
