//! What the trust-region solvers (`trust-region`, `newton-cg`) share: their default
//! radius settings, the check of those settings, and the radius update.

/// Default initial radius Δ₀.
pub(crate) const DEFAULT_INITIAL_RADIUS: f64 = 1.0;
/// Default largest radius Δmax (SciPy's).
pub(crate) const DEFAULT_MAX_RADIUS: f64 = 1000.0;
/// Default acceptance threshold η on the reduction ratio ρ (SciPy's).
pub(crate) const DEFAULT_ETA: f64 = 0.15;

/// The options of the trust-region solvers: Δ₀, Δmax and η.
pub(crate) const OPTIONS: &[crate::options::OptionSpec] = {
    use crate::options::{OptionSpec, Range};
    &[
        OptionSpec::number(
            "initial_radius",
            Range::POSITIVE,
            DEFAULT_INITIAL_RADIUS,
            "initial trust radius Δ₀",
        ),
        OptionSpec::number(
            "max_radius",
            Range::POSITIVE,
            DEFAULT_MAX_RADIUS,
            "largest trust radius Δmax (≥ Δ₀)",
        ),
        OptionSpec::number(
            "eta",
            Range::new(0.0, true, 0.25, false),
            DEFAULT_ETA,
            "a step is accepted when its reduction ratio exceeds eta",
        ),
    ]
};

/// Checks Δ₀ > 0 finite, Δmax ≥ Δ₀ finite and η ∈ [0, ¼); the error names the solver,
/// the parameter and its default.
pub(crate) fn check_settings(
    solver: &str,
    initial_radius: f64,
    max_radius: f64,
    eta: f64,
) -> Result<(), String> {
    if !(initial_radius.is_finite() && initial_radius > 0.0) {
        return Err(format!(
            "{solver}: the initial trust radius must be positive and finite, got {initial_radius}; \
             the default initial radius is {DEFAULT_INITIAL_RADIUS}"
        ));
    }
    if !(max_radius.is_finite() && max_radius >= initial_radius) {
        return Err(format!(
            "{solver}: the maximum trust radius must be finite and at least the initial radius \
             {initial_radius}, got {max_radius}; the default maximum radius is {DEFAULT_MAX_RADIUS}"
        ));
    }
    if !(0.0..0.25).contains(&eta) {
        return Err(format!(
            "{solver}: eta (the reduction ratio a step needs to be accepted) must lie in [0, 0.25), \
             got {eta}; the default is {DEFAULT_ETA}"
        ));
    }
    Ok(())
}

/// The radius after a trial step of norm `step_norm` with reduction ratio `rho`
/// (Nocedal & Wright Alg. 4.1): ρ < ¼ (or NaN) shrinks to ¼‖p‖ (¼Δ for a step on the
/// boundary, and no retry of the same interior step); ρ > ¾ on the boundary doubles,
/// up to `max_radius`; otherwise Δ stays.
pub(crate) fn next_radius(radius: f64, rho: f64, step_norm: f64, on_boundary: bool, max_radius: f64) -> f64 {
    if rho.is_nan() || rho < 0.25 {
        0.25 * step_norm
    } else if rho > 0.75 && on_boundary {
        (2.0 * radius).min(max_radius)
    } else {
        radius
    }
}
