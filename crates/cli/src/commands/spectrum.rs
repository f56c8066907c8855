//! `saddle spectrum`: the extreme eigenvalues, trace, negative count and spectral density
//! of the Hessian, its Gauss-Newton part G = JᵀJ or its residual part H − G at given
//! parameters: dense and exact up to [`DENSE_SPECTRUM_LIMIT`] parameters, matrix-free
//! (Lanczos, Hutch++, stochastic Lanczos quadrature on products) above.

use std::cell::RefCell;

use saddle_solvers::analysis::{self, DENSE_SPECTRUM_LIMIT, ZERO_TOLERANCE, inertia};
use saddle_solvers::spectrum::{EXTREMES_TOLERANCE, converged_extremes, hutch_pp, slq, smoothed_density};
use saddle_solvers::{DENSE_BYTES_LIMIT, DenseMatrix, format_bytes};
use serde_json::{Value, json};

use crate::args::{NegativeCount, SpectrumArgs, SpectrumMethod};
use crate::study::compiled::{Derivatives, Programs, planned_bytes};
use crate::study::error::{CliError, Result};
use crate::study::experiments::curvature::{
    DEFAULT_PROBES, DEFAULT_STEPS, Operator, dense_operator, operator_product, rademacher_stream,
};
use crate::study::io::npy::read_finite_npy_vector;
use crate::study::io::output::{OutputFiles, check_paths};
use crate::study::loss::LossSource;
use crate::study::memory;

/// Computes what `args` asks for, writes the density file if asked, and returns the
/// summary.
pub fn run(args: &SpectrumArgs) -> Result<Value> {
    let mut inputs = super::problem_inputs(&args.problem);
    inputs.push(("--params", &args.params));
    let outputs: Vec<_> = args.density.iter().map(|p| ("--density", p.as_path())).collect();
    check_paths(&inputs, &outputs)?;
    for (name, value) in [("--probes", args.probes), ("--steps", args.steps)] {
        if value == Some(0) {
            return Err(CliError::Invalid(format!("{name} must be at least 1")));
        }
        if value.is_some() && !args.trace && args.density.is_none() {
            return Err(CliError::Invalid(format!(
                "{name} sets the random probes of --trace and --density; give one of them"
            )));
        }
    }
    if args.steps.is_some() && args.density.is_none() {
        return Err(CliError::Invalid("--steps sets the Lanczos steps of --density; give --density".into()));
    }
    let (def, problem) = args.problem.load()?;
    let n = problem.param_count();
    for (name, k) in [("--top", args.top), ("--bottom", args.bottom)] {
        if k > n {
            return Err(CliError::Invalid(format!(
                "{name} {k}: the {n}-parameter network (--arch {}) has {n} eigenvalues",
                problem.arch()
            )));
        }
    }
    let m = def.points();
    let dense = match args.method {
        SpectrumMethod::Auto => n <= DENSE_SPECTRUM_LIMIT,
        SpectrumMethod::Dense => true,
        SpectrumMethod::Lanczos => false,
    };
    let needs_dense = if dense {
        Some(("--method dense", "use --method lanczos"))
    } else if args.negative == NegativeCount::Exact {
        Some(("--negative exact", "use --negative estimate with --density"))
    } else {
        None
    };
    if let Some((flag, instead)) = needs_dense
        && let Some(too_big) = dense_matrices(args.operator.into(), n, m).into_iter().find(|d| !d.fits())
    {
        return Err(CliError::Invalid(format!(
            "{flag} needs the {} × {} {} ({}), more than the {} limit on a dense matrix; {instead}",
            too_big.rows,
            too_big.cols,
            too_big.what,
            format_bytes(too_big.rows as f64 * too_big.cols as f64 * 8.0),
            format_bytes(DENSE_BYTES_LIMIT as f64)
        )));
    }
    let theta = read_finite_npy_vector(&args.params, n, &problem.params_what())?;
    let (programs, vectors) = memory_needed(args, problem.source(), dense)?;
    let programs = programs.saturating_add(memory::resident());
    let limit = memory::Limit::get()?;
    limit.check(programs, || {
        format!("spectrum of {}", memory::problem_size(&def.name(), m, problem.arch()))
    })?;
    limit.check(programs.saturating_add(vectors), || match (args.probes, args.steps) {
        (Some(p), Some(s)) => format!("--probes {p} with --steps {s}"),
        (Some(p), None) => format!("--probes {p}"),
        (None, Some(s)) => format!("--steps {s}"),
        (None, None) => format!("spectrum of {}", memory::problem_size(&def.name(), m, problem.arch())),
    })?;
    let mut derivs = Derivatives::new(problem.source())?;
    let mut out = OutputFiles::new();
    let mut summary = if dense {
        dense_spectrum(args, &mut derivs, &theta, &mut out)?
    } else {
        matrix_free_spectrum(args, &mut derivs, &theta, &mut out)?
    };
    out.commit()?;
    let extra = json!({
        "problem": def.name(),
        "arch": problem.arch().to_string(),
        "act": problem.act().name(),
        "points": m,
        "params": n,
        "operator": Operator::from(args.operator).name(),
        "seed": args.seed,
    });
    for (key, value) in extra.as_object().expect("an object") {
        summary[key] = value.clone();
    }
    Ok(summary)
}

/// The memory the computation will take: the operator's programs with its dense
/// matrices (each with its working copies), and the matrix-free methods' vectors: the
/// extremes' Lanczos basis, Hutch++'s basis of up to `--probes` vectors and its samples,
/// and the density's Lanczos basis of min(`--steps`, n) vectors and every probe's
/// quadrature (its Ritz values, bounds and weights, and the density's nodes).
fn memory_needed(args: &SpectrumArgs, source: &dyn LossSource, dense: bool) -> Result<(u64, u64)> {
    let (n, m) = (source.param_count() as u64, source.residual_count());
    let op = Operator::from(args.operator);
    let dense_programs = match op {
        Operator::Hessian => vec![Programs::Hessian],
        Operator::GaussNewton => vec![Programs::Jacobian],
        Operator::Residual => vec![Programs::Hessian, Programs::Jacobian],
    };
    let matrices: u64 =
        dense_matrices(op, n as usize, m).iter().map(|d| d.bytes().unwrap_or(usize::MAX) as u64).sum();
    if dense {
        return Ok((planned_bytes(source, &dense_programs)?.saturating_add(matrices.saturating_mul(3)), 0));
    }
    let mut programs = match op {
        Operator::Hessian => vec![Programs::Hvp],
        Operator::GaussNewton => vec![Programs::GaussNewtonProducts],
        Operator::Residual => vec![Programs::Hvp, Programs::GaussNewtonProducts],
    };
    let fits = dense_matrices(op, n as usize, m).iter().all(DenseMatrix::fits);
    let mut bytes = 0u64;
    if args.negative == NegativeCount::Exact || (args.negative == NegativeCount::Auto && fits) {
        programs.extend(dense_programs);
        bytes = matrices.saturating_mul(3);
    }
    bytes = bytes.saturating_add(planned_bytes(source, &programs)?);
    let (probes, steps) =
        (args.probes.unwrap_or(DEFAULT_PROBES) as u64, args.steps.unwrap_or(DEFAULT_STEPS) as u64);
    let wanted = (args.top + args.bottom) as u64;
    let vector = 8 * n;
    let mut vectors =
        ((2 * wanted + 10).max(30) + wanted).saturating_mul(vector).min(DENSE_BYTES_LIMIT as u64);
    if args.trace {
        vectors = vectors
            .saturating_add(probes.min(n).saturating_mul(vector))
            .saturating_add(probes.saturating_mul(8));
    }
    if args.density.is_some() {
        let k = steps.min(n);
        let per_probe = std::mem::size_of::<saddle_solvers::lanczos::Ritz>() as u64 + 40 * k;
        vectors = vectors
            .saturating_add(k.saturating_mul(vector))
            .saturating_add(k.saturating_mul(k).saturating_mul(8))
            .saturating_add(probes.saturating_mul(per_probe));
    }
    Ok((bytes, vectors))
}

/// The dense matrices the operator needs: the Hessian, the Jacobian, or both.
fn dense_matrices(op: Operator, n: usize, m: usize) -> Vec<DenseMatrix> {
    let hessian = DenseMatrix { what: "Hessian", rows: n, cols: n };
    let jacobian = DenseMatrix { what: "Jacobian", rows: m, cols: n };
    match op {
        Operator::Hessian => vec![hessian],
        Operator::GaussNewton => vec![jacobian, hessian],
        Operator::Residual => vec![jacobian, hessian],
    }
}

/// Every number from the dense matrix's eigenvalues.
fn dense_spectrum(
    args: &SpectrumArgs,
    derivs: &mut Derivatives,
    theta: &[f64],
    out: &mut OutputFiles,
) -> Result<Value> {
    let a = dense_operator(args.operator.into(), derivs, theta)?;
    let n = a.nrows();
    let eigs = analysis::eigenvalues(a.as_ref()).ok_or_else(|| not_finite(args))?;
    let trace: f64 = (0..n).map(|i| a[(i, i)]).sum();
    let negative = inertia(&eigs, ZERO_TOLERANCE).negative;
    let density = match &args.density {
        Some(path) => {
            let nodes: Vec<(f64, f64)> = eigs.iter().map(|&l| (l, 1.0 / n as f64)).collect();
            let (sigma, curve) =
                smoothed_density(&nodes, eigs.first().zip(eigs.last()).map(|(&a, &b)| (a, b)));
            out.text(path, density_csv(&curve));
            let moment = |p: i32| eigs.iter().map(|l| l.powi(p)).sum::<f64>() / n as f64;
            json!({ "file": path, "sigma": sigma, "moments": [moment(1), moment(2)], "moments_stderr": [0.0, 0.0] })
        }
        None => Value::Null,
    };
    Ok(json!({
        "method": "dense",
        "top": eigs.iter().rev().take(args.top).collect::<Vec<_>>(),
        "bottom": eigs.iter().take(args.bottom).collect::<Vec<_>>(),
        "trace": { "estimate": trace, "stderr": 0.0 },
        "negative": { "estimate": negative, "upper": negative, "stderr": 0.0, "exact": negative },
        "lanczos": Value::Null,
        "density": density,
        "products": Value::Null,
    }))
}

/// Every number from products with the operator: Lanczos for the extremes, Hutch++ for
/// the trace, stochastic Lanczos quadrature for the density; the exact negative count by
/// LBLᵀ ([`analysis::negative_count`]) when the dense matrix fits [`DENSE_BYTES_LIMIT`].
fn matrix_free_spectrum(
    args: &SpectrumArgs,
    derivs: &mut Derivatives,
    theta: &[f64],
    out: &mut OutputFiles,
) -> Result<Value> {
    let (n, m) = (derivs.param_count(), derivs.residual_count());
    let op = Operator::from(args.operator);
    let failure: RefCell<Option<CliError>> = RefCell::new(None);
    let products = RefCell::new(0usize);
    let shared = RefCell::new(&mut *derivs);
    let mut apply = |v: &[f64], av: &mut [f64]| {
        *products.borrow_mut() += 1;
        if let Err(e) = operator_product(op, &mut shared.borrow_mut(), theta, v, av) {
            av.fill(f64::NAN);
            failure.borrow_mut().get_or_insert(e);
        }
    };
    let stream = |k: u64| rademacher_stream(args.seed, k);

    let lanczos = if args.top + args.bottom > 0 {
        let mut start = vec![0.0; n];
        stream(0)(&mut start);
        Some(converged_extremes(&mut apply, &start, args.top, args.bottom))
    } else {
        None
    };
    let probes = args.probes.unwrap_or(DEFAULT_PROBES);
    let trace = args.trace.then(|| hutch_pp(n, &mut apply, probes, &mut stream(1)));
    let density = args.density.as_ref().map(|path| {
        let s = slq(n, &mut apply, probes, args.steps.unwrap_or(DEFAULT_STEPS), &mut stream(2));
        (path, s)
    });
    if let Some(e) = failure.into_inner() {
        return Err(e);
    }
    let fits = dense_matrices(op, n, m).iter().all(DenseMatrix::fits);
    let exact_negative =
        if args.negative == NegativeCount::Exact || (args.negative == NegativeCount::Auto && fits) {
            let a = dense_operator(op, derivs, theta)?;
            Some(analysis::negative_count(a.as_ref()).ok_or_else(|| not_finite(args))?)
        } else {
            None
        };
    let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
    if let Some(l) = &lanczos
        && !(finite(&l.top) && finite(&l.bottom))
    {
        return Err(not_finite(args));
    }
    let density_json = match &density {
        Some((path, s)) => {
            let (sigma, curve) = s.density();
            out.text(path, density_csv(&curve));
            let (m1, e1) = s.average(|t| t);
            let (m2, e2) = s.average(|t| t * t);
            json!({
                "file": path,
                "probes": s.probes.len(),
                // At most n steps are taken, whatever --steps asks.
                "steps": args.steps.unwrap_or(DEFAULT_STEPS).min(n),
                "sigma": sigma,
                "moments": [m1, m2],
                "moments_stderr": [e1, e2],
            })
        }
        None => Value::Null,
    };
    let negative = match (exact_negative, &density) {
        (Some(exact), _) => json!({ "estimate": exact, "upper": exact, "stderr": 0.0, "exact": exact }),
        (None, Some((_, s))) => {
            let b = s.negative_bracket(ZERO_TOLERANCE);
            json!({ "estimate": b.lower, "upper": b.upper, "stderr": b.lower_stderr, "exact": null })
        }
        (None, None) => json!({ "estimate": null, "upper": null, "stderr": null, "exact": null }),
    };
    Ok(json!({
        "method": "lanczos",
        "top": lanczos.as_ref().map_or(Vec::new(), |l| l.top.clone()),
        "bottom": lanczos.as_ref().map_or(Vec::new(), |l| l.bottom.clone()),
        "trace": trace.map(|t| json!({ "estimate": t.estimate, "stderr": t.stderr })),
        "negative": negative,
        "lanczos": lanczos.map(|l| json!({
            "steps": l.steps,
            "converged": l.converged,
            "tolerance": EXTREMES_TOLERANCE,
            "top_bounds": l.top_bounds,
            "bottom_bounds": l.bottom_bounds,
        })),
        "density": density_json,
        "products": products.into_inner(),
    }))
}

/// The operator is not finite at θ.
fn not_finite(args: &SpectrumArgs) -> CliError {
    CliError::Invalid(format!(
        "{}: the {} is not finite at these parameters",
        args.params.display(),
        Operator::from(args.operator).name()
    ))
}

/// The density as CSV with the header `lambda,density`.
fn density_csv(curve: &[(f64, f64)]) -> String {
    let mut text = String::from("lambda,density\n");
    for (x, y) in curve {
        text.push_str(&format!("{x:e},{y:e}\n"));
    }
    text
}
