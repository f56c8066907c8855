//! `newton-minres`: the exact, unmodified Newton step p = −H⁺∇f computed matrix-free by
//! MINRES-QLP (Choi, Paige & Saunders 2011) on exact Hessian-vector products; unit step.
//!
//! MINRES-QLP returns the minimum-length least-squares solution of Hp = −∇f, so the step
//! is `newton`'s where H is invertible and `newton-pinv`'s where H is singular (∇f in H's
//! range or not), without ever forming H: the method under study at sizes where the
//! dense Hessian does not fit. Nothing safeguards it: negative curvature is used as it
//! is, and there is no line search and no fallback; it never reports `singular`.
//!
//! Each solve stops at the relative residual ‖Hp + ∇f‖ ≤ `rtol`·‖∇f‖, or, where ∇f is not
//! in H's range, at ‖Hr‖ ≤ `rtol`·‖H‖‖r‖ (MINRES-QLP's least-squares test), or at one of its
//! machine-precision rules (minres_qlp.rs), or after `max_products` products. A solve cut
//! off by `max_products` gives an inexact step, which is taken either way; with
//! `on_stop=stop` the run then ends there with `inner_limit` (at the next iteration's
//! start, so convergence or the iteration budget, tested first, can end it before). Every
//! record carries `products` (the HVPs of the step) and `residual` (the relative
//! residual ‖Hp + ∇f‖/‖∇f‖ the step reached).

use crate::driver::{InnerSolve, Iterate, Method, Status, Step, norm};
use crate::minres_qlp::{End, minres_qlp};
use crate::objective::Counted;
use crate::options::{OptionSpec, Range};
use crate::registry::{Family, Solver};

/// Exact Newton with MINRES-QLP on Hessian-vector products.
#[derive(Clone, Debug, PartialEq)]
pub struct NewtonMinres {
    rtol: f64,
    max_products: Option<usize>,
    stop_at_limit: bool,
    /// The iterate an inexact step reached, when `on_stop=stop` ends the run there.
    stopped_at: Option<Vec<f64>>,
}

/// The range of `rtol`.
const RTOL_RANGE: Range = Range::UNIT;

impl NewtonMinres {
    /// Default relative residual: where κ(H) ≤ 1e6 the step then equals `newton-pinv`'s
    /// to 1e-10 relative or better (measured on the MGH problems and [1, 4, 1] networks).
    pub const DEFAULT_RTOL: f64 = 1e-12;
    /// MINRES-QLP's default iteration limit (the authors'), per n: `max_products` = 4n.
    pub const PRODUCTS_PER_PARAMETER: usize = 4;

    /// The step with relative residual tolerance `rtol` ∈ [0, 1), at most 4n products per
    /// step, inexact steps taken (`on_stop=continue`).
    pub fn new(rtol: f64) -> Result<Self, String> {
        let default = crate::options::number_text(Self::DEFAULT_RTOL);
        let rtol = RTOL_RANGE.check("newton-minres", "rtol", rtol, default)?;
        Ok(NewtonMinres { rtol, max_products: None, stop_at_limit: false, stopped_at: None })
    }

    /// At most `max_products` (≥ 1) Hessian-vector products per step instead of 4n.
    pub fn with_max_products(mut self, max_products: usize) -> Result<Self, String> {
        let k =
            Range::AT_LEAST_ONE.check_count("newton-minres", "max_products", max_products, "auto (4n)")?;
        self.max_products = Some(k);
        Ok(self)
    }

    /// Whether a step cut off by `max_products` ends the run (`inner_limit`) after it is
    /// taken.
    pub fn with_stop_at_limit(mut self, stop: bool) -> Self {
        self.stop_at_limit = stop;
        self
    }
}

impl Default for NewtonMinres {
    fn default() -> Self {
        NewtonMinres { rtol: Self::DEFAULT_RTOL, max_products: None, stop_at_limit: false, stopped_at: None }
    }
}

impl Method for NewtonMinres {
    fn name(&self) -> &'static str {
        "newton-minres"
    }

    fn step(&mut self, f: &mut Counted<'_>, current: &Iterate) -> Step {
        if self.stopped_at.take().is_some_and(|x| x == current.x) {
            return Step::Stop(Status::InnerLimit);
        }
        let n = current.x.len();
        let limit = self.max_products.unwrap_or(n.saturating_mul(Self::PRODUCTS_PER_PARAMETER));
        let minus_g: Vec<f64> = current.grad.iter().map(|g| -g).collect();
        let x = &current.x;
        let mut hvp = |v: &[f64], out: &mut [f64]| f.hvp(x, v, out);
        let Some(solve) = minres_qlp(&minus_g, self.rtol, limit, &mut hvp) else {
            return Step::NonFinite;
        };
        let p_norm = norm(&solve.x);
        let next: Vec<f64> = current.x.iter().zip(&solve.x).map(|(x, p)| x + p).collect();
        let next = Iterate::at(f, next);
        if self.stop_at_limit && solve.end == End::Limit {
            self.stopped_at = Some(next.x.clone());
        }
        let inner = InnerSolve { products: solve.products, residual: solve.residual };
        Step::next(next, p_norm).with_step_length(1.0).with_inner(inner)
    }
}

/// `newton-minres` in the registry.
pub const SOLVER: Solver = Solver {
    name: "newton-minres",
    summary: "exact Newton p = −H⁺g by MINRES-QLP on exact HVPs (matrix-free), unit step",
    family: Family::ExactNewton,
    options: &[
        OptionSpec::number(
            "rtol",
            RTOL_RANGE,
            NewtonMinres::DEFAULT_RTOL,
            "MINRES-QLP stops at ‖Hp + g‖ ≤ rtol·‖g‖, or at ‖Hr‖ ≤ rtol·‖H‖‖r‖ where g is not in H's range",
        ),
        OptionSpec::integer("max_products", Range::AT_LEAST_ONE, 0, "most HVPs per step (auto: 4n)").auto(),
        OptionSpec::choice(
            "on_stop",
            &["continue", "stop"],
            "continue",
            "a step cut off by max_products is taken; stop: the run then ends with inner_limit",
        ),
    ],
    build: |o| {
        let solver = NewtonMinres::new(o.number("rtol"))?.with_stop_at_limit(o.choice("on_stop") == "stop");
        Ok(Box::new(match o.integer_or_auto("max_products") {
            Some(k) => solver.with_max_products(k)?,
            None => solver,
        }))
    },
    dense: None,
};

#[cfg(test)]
mod tests {
    use faer::Mat;

    use super::*;
    use crate::driver::{Control, Record, distance, minimize};
    use crate::newton::Newton;
    use crate::newton_pinv::NewtonPinv;
    use crate::objective::Objective;
    use crate::spec::ChainSpec;
    use crate::test_functions::{DenseQuadratic, Rosenbrock, rotated};

    /// One step of `method` from `x`: the new point, and the HVPs and residual it reports.
    fn one_step(method: &mut dyn Method, f: &mut dyn Objective, x: &[f64]) -> (Vec<f64>, Option<InnerSolve>) {
        let mut f = Counted::new(f);
        let at = Iterate::at(&mut f, x.to_vec());
        let hvps = f.evals.hvp;
        match method.step(&mut f, &at) {
            Step::Next { next, inner, .. } => {
                if let Some(inner) = &inner {
                    assert_eq!(inner.products, f.evals.hvp - hvps, "products are the step's HVPs");
                }
                (next.x, inner.as_deref().copied())
            }
            other => panic!("no step: {other:?}"),
        }
    }

    /// ‖p − q‖/‖q‖ for the steps p, q from x to a and b.
    fn step_error(x: &[f64], a: &[f64], b: &[f64]) -> f64 {
        let q: Vec<f64> = b.iter().zip(x).map(|(b, x)| b - x).collect();
        distance(a, b) / norm(&q)
    }

    fn quadratic(d: &[f64], b: &[f64]) -> DenseQuadratic {
        DenseQuadratic { a: rotated(d), b: b.to_vec() }
    }

    const X0: [f64; 8] = [0.3, -1.0, 2.0, 0.5, -0.7, 1.1, 0.0, -2.0];
    const B: [f64; 8] = [1.0, -2.0, 0.5, 3.0, -1.5, 0.25, 2.0, -0.75];

    /// An invertible indefinite H: newton's LBLᵀ step, to rounding.
    #[test]
    fn equals_newton_where_the_hessian_is_invertible() {
        let mut q = quadratic(&[5.0, -3.0, 2.0, -1.0, 0.5, 4.0, -2.5, 1.5], &B);
        let (newton, _) = one_step(&mut Newton::new(), &mut q, &X0);
        let (minres, inner) = one_step(&mut NewtonMinres::default(), &mut q, &X0);
        let error = step_error(&X0, &minres, &newton);
        // Measured: 3e-15 relative, 8 products, residual 6e-15.
        assert!(error < 1e-10, "{error}");
        let inner = inner.unwrap();
        assert!(inner.products <= 10 && inner.residual <= 1e-12, "{inner:?}");

        // Rosenbrock along newton's path from (−1.2, 1), where H is indefinite at first:
        // from each iterate, the two steps agree.
        let control = Control { max_iter: 5, gtol: 0.0, ..Control::default() };
        let mut path = Vec::new();
        crate::driver::minimize_observing_iterates(
            &mut Newton::new(),
            &mut Rosenbrock,
            vec![-1.2, 1.0],
            &control,
            &mut |_, x| path.push(x.to_vec()),
        );
        assert_eq!(path.len(), 6);
        for x in &path[..5] {
            let (newton, _) = one_step(&mut Newton::new(), &mut Rosenbrock, x);
            let (minres, inner) = one_step(&mut NewtonMinres::default(), &mut Rosenbrock, x);
            let error = step_error(x, &minres, &newton);
            // Measured: at most 3e-13 relative (H is ill-conditioned in the valley), 2
            // products per step.
            assert!(error < 1e-10, "at {x:?}: {error}");
            assert_eq!(inner.unwrap().products, 2);
        }
    }

    /// Singular H (three zero eigenvalues): with ∇f in H's range and with ∇f outside it
    /// (then Hp = −∇f has no solution), the step is newton-pinv's minimum-length one.
    #[test]
    fn equals_newton_pinv_where_the_hessian_is_singular() {
        let d = [5.0, -3.0, 0.0, -1.0, 0.0, 4.0, -2.5, 0.0];
        let a = rotated(&d);
        // ∇f = A x + b: in the range when b = A c.
        let c: Vec<f64> = B.iter().map(|v| 0.7 * v + 0.1).collect();
        let in_range = crate::dense::matvec(a.as_ref(), &c);
        for (what, b) in [("compatible", in_range), ("incompatible", B.to_vec())] {
            let mut q = quadratic(&d, &b);
            let (pinv, _) = one_step(&mut NewtonPinv::default(), &mut q, &X0);
            let (minres, inner) = one_step(&mut NewtonMinres::default(), &mut q, &X0);
            let error = step_error(&X0, &minres, &pinv);
            // Measured: 1.1e-15 relative, 5 products (compatible); 2.0e-15, 6 products,
            // residual 0.187 (incompatible).
            assert!(error < 1e-8, "{what}: {error}");
            let inner = inner.unwrap();
            let mut g = vec![0.0; 8];
            q.gradient(&X0, &mut g);
            let mut hp = vec![0.0; 8];
            let p: Vec<f64> = minres.iter().zip(&X0).map(|(a, b)| a - b).collect();
            q.hvp(&X0, &p, &mut hp);
            let true_residual = distance(&hp, &g.iter().map(|g| -g).collect::<Vec<_>>()) / norm(&g);
            assert!((inner.residual - true_residual).abs() < 1e-13, "{what}: {inner:?} vs {true_residual}");
            if what == "compatible" {
                assert!(inner.residual < 1e-12, "{inner:?}");
            } else {
                assert!(inner.residual > 0.1, "{inner:?}");
            }
        }
        // newton stops there; newton-minres, like newton-pinv, goes on.
        let mut q = quadratic(&d, &B);
        let control = Control { max_iter: 3, ..Control::default() };
        let newton = minimize(&mut Newton::new(), &mut q, X0.to_vec(), &control, &mut |_| {});
        assert_eq!(newton.status, Status::Singular);
        let minres = minimize(&mut NewtonMinres::default(), &mut q, X0.to_vec(), &control, &mut |_| {});
        assert_ne!(minres.status, Status::Singular);
        assert_eq!(minres.evals.hessian, 0);
    }

    /// max_products cuts the solve off: the inexact step is taken and recorded with its
    /// residual; `on_stop=stop` then ends the run with `inner_limit`.
    #[test]
    fn a_solve_cut_off_by_max_products_is_recorded_and_can_end_the_run() {
        let control = Control { max_iter: 10, gtol: 1e-12, ..Control::default() };
        let run = |spec: &str| {
            let mut method = spec.parse::<ChainSpec>().unwrap().method().unwrap();
            let mut q = quadratic(&[5.0, -3.0, 2.0, -1.0, 0.5, 4.0, -2.5, 1.5], &B);
            let mut records: Vec<Record> = Vec::new();
            let out = minimize(&mut *method, &mut q, X0.to_vec(), &control, &mut |r| records.push(r.clone()));
            (out, records)
        };
        let (out, records) = run("newton-minres(max_products=3,on_stop=stop)");
        assert_eq!((out.status, out.iterations), (Status::InnerLimit, 1));
        assert_eq!(records.len(), 2);
        let inner = records[1].inner.unwrap();
        assert_eq!((inner.products, records[1].evals.hvp), (3, 3));
        assert!(inner.residual > 1e-3 && inner.residual < 1.0, "{inner:?}");
        assert!(records[0].inner.is_none());

        // The same solves, continued: each step is inexact and the run goes on.
        let (out, records) = run("newton-minres(max_products=3)");
        assert_eq!(out.status, Status::MaxIterations);
        assert!(records[1..].iter().all(|r| r.inner.is_some_and(|i| i.products == 3)));
        assert_eq!(records[1].loss, run("newton-minres(max_products=3,on_stop=stop)").1[1].loss);

        // With the default limit the first solve is exact and the run converges (a quadratic).
        let (out, records) = run("newton-minres(on_stop=stop)");
        assert_eq!((out.status, out.iterations), (Status::Converged, 1));
        assert!(records[1].inner.unwrap().residual <= 1e-12);

        // The stop is remembered for the iterate reached only: a new run starts afresh.
        let mut method = NewtonMinres::default().with_max_products(3).unwrap().with_stop_at_limit(true);
        let mut q = quadratic(&[5.0, -3.0, 2.0, -1.0, 0.5, 4.0, -2.5, 1.5], &B);
        for _ in 0..2 {
            let out = minimize(&mut method, &mut q, X0.to_vec(), &control, &mut |_| {});
            assert_eq!((out.status, out.iterations), (Status::InnerLimit, 1));
        }
    }

    #[test]
    fn records_serialize_products_and_residual() {
        let control = Control { max_iter: 1, ..Control::default() };
        let mut q = quadratic(&[5.0, -3.0, 2.0, -1.0], &B[..4]);
        let mut records: Vec<Record> = Vec::new();
        minimize(&mut NewtonMinres::default(), &mut q, X0[..4].to_vec(), &control, &mut |r| {
            records.push(r.clone())
        });
        let start = serde_json::to_value(&records[0]).unwrap();
        assert!(start.get("products").is_none() && start.get("residual").is_none(), "{start}");
        let step = serde_json::to_value(&records[1]).unwrap();
        assert_eq!(step["products"], 4);
        assert!(step["residual"].as_f64().is_some_and(|r| r <= 1e-12), "{step}");
    }

    #[test]
    fn a_non_finite_product_ends_the_run_as_diverged() {
        struct Broken;
        impl Objective for Broken {
            fn dim(&self) -> usize {
                2
            }
            fn value(&mut self, x: &[f64]) -> f64 {
                x[0] * x[0] + x[1]
            }
            fn gradient(&mut self, x: &[f64], g: &mut [f64]) -> f64 {
                g[0] = 2.0 * x[0];
                g[1] = 1.0;
                self.value(x)
            }
            fn hvp(&mut self, _: &[f64], _: &[f64], out: &mut [f64]) {
                out.fill(f64::NAN);
            }
            fn hessian(&mut self, _: &[f64], mut h: faer::MatMut<'_, f64>) {
                h.copy_from(Mat::<f64>::identity(2, 2));
            }
        }
        let out = minimize(
            &mut NewtonMinres::default(),
            &mut Broken,
            vec![1.0, 1.0],
            &Control::default(),
            &mut |_| {},
        );
        assert_eq!((out.status, out.iterations), (Status::Diverged, 1));
        assert_eq!(out.last.x, vec![1.0, 1.0]);
    }

    #[test]
    fn invalid_options_are_named() {
        assert_eq!(
            NewtonMinres::new(1.0).unwrap_err(),
            "newton-minres: rtol must lie in [0, 1), got 1; the default is 1e-12"
        );
        assert!(NewtonMinres::new(f64::NAN).is_err());
        assert_eq!(
            NewtonMinres::default().with_max_products(0).unwrap_err(),
            "newton-minres: max_products must be at least 1, got 0; the default is auto (4n)"
        );
        for (spec, says) in [
            ("newton-minres(rtol=1)", "rtol = '1' is out of range (valid: number in [0, 1))"),
            ("newton-minres(rtol=-1e-3)", "rtol = '-1e-3' is out of range"),
            (
                "newton-minres(max_products=0)",
                "max_products = '0' is out of range (valid: integer ≥ 1 or auto)",
            ),
            ("newton-minres(max_products=2.5)", "max_products = '2.5' is not a whole number"),
            (
                "newton-minres(on_stop=halt)",
                "on_stop = 'halt' is not one of its choices (valid: continue | stop)",
            ),
            (
                "newton-minres(cutoff=1e-8)",
                "unknown option 'cutoff' (its options: rtol, max_products, on_stop)",
            ),
        ] {
            let err = spec.parse::<ChainSpec>().and_then(|s| s.method().map(|_| ())).unwrap_err();
            assert!(err.contains(says), "{spec}: {err}");
        }
        let ok: ChainSpec = "newton-minres(rtol=0,max_products=auto,on_stop=stop)".parse().unwrap();
        assert!(ok.method().is_ok());
    }
}
