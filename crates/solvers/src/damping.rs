//! The step control the damped solvers share: the gain ratio that judges a trial step
//! (also the trust-region ratio of `trust-region`), Nielsen's update of the damping λ,
//! and the check of the damped solvers' settings.

use crate::driver::Iterate;
use crate::objective::Counted;
use crate::options::{OptionSpec, Range};

/// The ratio ρ of the actual decrease f(x) − f(x + p) to the `predicted` decrease,
/// computed in finite precision as (actual + δ) / (predicted + δ) with
/// δ = 10·ε·max(1, |f(x)|) (Conn, Gould & Toint, *Trust-Region Methods*, 2000,
/// §17.4.2): once both decreases are at the rounding level of f the ratio tends to 1
/// instead of being noise, so steps near a minimizer with f* ≠ 0 are not rejected for
/// nothing. A non-finite `f_new` gives −∞.
pub(crate) fn gain_ratio(f_old: f64, f_new: f64, predicted: f64) -> f64 {
    let delta = 10.0 * f64::EPSILON * f_old.abs().max(1.0);
    let denominator = predicted + delta;
    if !f_new.is_finite() || denominator.is_nan() || denominator <= 0.0 {
        return f64::NEG_INFINITY;
    }
    (f_old - f_new + delta) / denominator
}

/// Default acceptance threshold η on the gain ratio of the damped solvers.
pub(crate) const DEFAULT_GAIN_ETA: f64 = 1e-4;
/// Default τ of the damped solvers: the first damping is τ times the curvature's scale.
pub(crate) const DEFAULT_INITIAL_DAMPING: f64 = 1e-3;

/// The damped solvers' option `eta`, the acceptance threshold on the gain ratio.
pub(crate) const GAIN_ETA_OPTION: OptionSpec = OptionSpec::number(
    "eta",
    Range::UNIT,
    DEFAULT_GAIN_ETA,
    "a step is accepted when its gain ratio exceeds eta",
);

/// Checks a damped solver's settings, η ∈ [0, 1) and τ > 0 finite; the error names the
/// solver, the setting, what τ is relative to (`scale`) and the default.
pub(crate) fn check_damping_settings(
    solver: &str,
    eta: f64,
    initial_damping: f64,
    scale: &str,
) -> Result<(), String> {
    if !(0.0..1.0).contains(&eta) {
        return Err(format!(
            "{solver}: the acceptance threshold eta must lie in [0, 1), got {eta} (default {DEFAULT_GAIN_ETA:e})"
        ));
    }
    if !(initial_damping.is_finite() && initial_damping > 0.0) {
        return Err(format!(
            "{solver}: the initial damping (relative to {scale}) must be positive and finite, \
             got {initial_damping} (default {DEFAULT_INITIAL_DAMPING:e})"
        ));
    }
    Ok(())
}

/// The Nielsen damping state of the damped solvers (Madsen, Nielsen & Tingleff 2004): λ
/// and its growth factor ν.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Damping {
    /// λ.
    pub value: f64,
    /// ν, the factor λ grows by at the next rejection.
    pub nu: f64,
}

impl Damping {
    /// λ = `value` with ν = 2.
    pub fn new(value: f64) -> Self {
        Damping { value, nu: 2.0 }
    }

    /// After an accepted step with gain ratio ρ: λ ← λ·max(⅓, 1 − (2ρ − 1)³), ν ← 2.
    pub fn accept(&mut self, rho: f64) {
        self.value *= (1.0 - (2.0 * rho - 1.0).powi(3)).max(1.0 / 3.0);
        self.nu = 2.0;
    }

    /// After a rejected step (or a failed factorization): λ ← max(λ·ν, `floor`), ν ← 2ν.
    pub fn reject(&mut self, floor: f64) {
        self.value = (self.value * self.nu).max(floor);
        self.nu *= 2.0;
    }

    /// Tries the step x + p whose quadratic model predicts the decrease `predicted`: with
    /// gain ratio ρ > `eta` it is accepted (λ shrinks) and its iterate returned; otherwise
    /// λ grows (to at least `floor`) and `None` says stay at x.
    pub fn trial(
        &mut self,
        f: &mut Counted<'_>,
        current: &Iterate,
        p: &[f64],
        predicted: f64,
        eta: f64,
        floor: f64,
    ) -> Option<Iterate> {
        let trial: Vec<f64> = current.x.iter().zip(p).map(|(x, p)| x + p).collect();
        let value = if p.iter().all(|v| v.is_finite()) { f.value(&trial) } else { f64::NAN };
        let rho = gain_ratio(current.loss, value, predicted);
        if rho > eta {
            self.accept(rho);
            Some(Iterate::at(f, trial))
        } else {
            self.reject(floor);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gain_ratio_at_the_rounding_level() {
        assert_eq!(
            gain_ratio(5.0, 4.0, 2.0),
            (1.0 + 1e1 * 5.0 * f64::EPSILON) / (2.0 + 1e1 * 5.0 * f64::EPSILON)
        );
        assert_eq!(gain_ratio(-5.0, -5.0, 0.0), 1.0);
        assert_eq!(gain_ratio(1.0, f64::NAN, 1.0), f64::NEG_INFINITY);
        assert_eq!(gain_ratio(1.0, 0.5, -1.0), f64::NEG_INFINITY);
        assert!(gain_ratio(1.0, 2.0, 1.0) < -0.99);
    }
}
