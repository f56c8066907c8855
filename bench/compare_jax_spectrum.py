#!/usr/bin/env python3
"""Hessian spectra side by side: ``saddle spectrum`` and the same algorithms in JAX.

For each size (compare_jax.py's problems, data and Glorot-normal theta, seed 0) it
writes the data and theta to a temporary directory and, never concurrently,

1. runs ``saddle spectrum --method lanczos --negative estimate`` on them (no exact
   negative count, which would add a dense Hessian and its LBLT where it fits) and times
   each process: the top 5 eigenvalues alone (``--top 5 --bottom 0``), the trace alone
   (``--trace``), the density alone (``--density D.csv``) and all three in one process.
   The time is the process's wall time: starting it, reading the files and compiling
   saddle's programs included;
2. runs the same algorithms in JAX (float64, CPU, every heavy step jitted and compiled
   ahead of time; the compile time is reported apart) on the same theta and data, in a
   child process with a capped address space:
   - top 5: thick-restart Lanczos (Wu & Simon) as saddle_solvers::lanczos::
     extremes_restarted: full reorthogonalization (classical Gram-Schmidt, a second
     pass when the first left less than 1/sqrt(2) of the norm, as saddle), a
     basis of max(30, 2K + 10) vectors, restarting from the wanted Ritz vectors, half
     the others (next to the wanted end) and the last residual; run for exactly
     saddle's product count, its convergence judged with saddle's rule (every
     residual bound <= 1e-10 max|theta|);
   - trace: Hutch++ with the same number of probes (3 x probes products): the three
     blocks of products each one vmapped batch, Q by a QR of the sketch;
   - density: stochastic Lanczos quadrature, probes x steps Lanczos steps with full
     reorthogonalization, the probes vmapped as one batch; the moments (1/n) sum
     lambda^k as Gauss quadratures averaged over the probes.
   saddle computes each product on its own; JAX's batches are its best formulation.
   With ``--sequential`` JAX also runs the trace's and density's probes one at a time
   (``lax.map``), as saddle does;
   The HVP is ``jax.jvp`` of ``jax.grad`` or the linear map of
   ``jax.linearize(jax.grad(loss), theta)`` (computed once per quantity, inside its
   time), whichever a few trial products find faster (``--hvp``). The random vectors
   are Rademacher from NumPy, not saddle's ChaCha8 streams, so the estimates differ
   by their statistical error;
3. cross-checks: the top 5 agree to 1e-8 relative when both sides converged; the
   traces and the density's first two moments agree within 3 combined standard errors.

and prints one table per size: products, saddle's time, JAX's time without and with
compilation, and saddle/JAX, which uses JAX's time *without* compilation (the stricter
comparison for saddle, whose time includes compiling its programs). With ``--rounds K``
the sides alternate K times and each keeps its fastest time per quantity.

Usage (from the repository root; saddle built with ``cargo build --release``):

    python bench/compare_jax_spectrum.py --sizes large      # n = 8577: ~2 min a round
    python bench/compare_jax_spectrum.py --sizes 1m         # n = 1 004 001: ~6 min a round

Never needed to build or test saddle; see bench/README.md.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_jax as cj  # noqa: E402  (the problems, data, theta and machine description)

# size -> (probes, Lanczos steps per density probe). At 8577 parameters saddle's
# defaults; at a million an HVP takes ~0.4 s, so fewer, to keep each side within minutes.
SPECTRUM_SIZES = {"large": (10, 80), "1m": (4, 30)}
TOP = 5
BASIS = 30               # saddle's LANCZOS_BASIS
TOLERANCE = 1e-10        # saddle's LANCZOS_TOLERANCE
BREAKDOWN = 1e-12        # saddle's lanczos::BREAKDOWN
EIGEN_MATCH = 1e-8       # cross-check of the top 5, relative
SIGMAS = 3.0             # cross-check of the estimates, in combined standard errors
QUANTITIES = ("top5", "trace", "density")


# ----------------------------------------------------------------- JAX worker

def mean_and_stderr(samples):
    samples = np.asarray(samples, dtype=np.float64)
    if len(samples) < 2:
        return float(samples.mean()), None
    return float(samples.mean()), float(samples.std(ddof=1) / np.sqrt(len(samples)))


def worker(spec):
    """Runs the three algorithms in JAX; prints one JSON object per line."""
    jax, jnp = cj.start_jax(spec)
    from jax.tree_util import Partial
    emit = cj.emit
    problem, widths, points = cj.SIZES[spec["size"]]
    X, y = cj.bench_data(points, widths[0])
    loss = cj.make_loss(jax, jnp, problem, widths, X, y)
    theta = jnp.asarray(np.load(spec["theta"]))
    assert theta.dtype == jnp.float64
    n = theta.shape[0]
    grad = jax.grad(loss)
    rng = np.random.default_rng(spec["seed"])

    def rademacher(*shape):
        return jnp.asarray(rng.choice([-1.0, 1.0], size=shape))

    # The operator A v as a pytree-carrying function of v, built from theta inside the
    # timed region: jvp of grad (nothing precomputed) or linearize's linear map (the
    # primal part evaluated once).
    def hvp_jvp(th, v):
        return jax.jvp(grad, (th,), (v,))[1]

    build = {
        "jvp": jax.jit(lambda th: Partial(hvp_jvp, th)),
        "linearize": jax.jit(lambda th: jax.linearize(grad, th)[1]),
    }

    def compiled(f, *args):
        t = time.perf_counter()
        c = jax.jit(f).lower(*args).compile()
        return c, time.perf_counter() - t

    apply_one = lambda op, v: op(v)  # noqa: E731
    kinds = [spec["hvp"]] if spec["hvp"] != "auto" else ["jvp", "linearize"]
    trial = {}
    v0 = rademacher(n)
    for kind in kinds:
        b, _ = compiled(build[kind], theta)
        op = b(theta)
        a, _ = compiled(apply_one, op, v0)
        jax.block_until_ready(a(op, v0))
        times = []
        for _ in range(3):
            t = time.perf_counter()
            jax.block_until_ready(a(op, v0))
            times.append(time.perf_counter() - t)
        trial[kind] = min(times)
        del op
    kind = min(trial, key=trial.get)
    emit({"hvp": kind, "trial_s": trial})

    def cgs(V, w):  # w minus its projection on the rows of V (zero rows: no-op), with
        # saddle's second pass when the first removed most of w (under vmap, lax.cond
        # becomes a select and both branches run)
        before = jnp.linalg.norm(w)
        w = w - V.T @ (V @ w)
        return jax.lax.cond(jnp.linalg.norm(w) < before / jnp.sqrt(2.0),
                            lambda w: w - V.T @ (V @ w), lambda w: w, w)

    # ---- top K: thick-restart Lanczos, as extremes_restarted
    def lanczos_step(op, V, q, j):
        w = op(q)
        hq = jnp.linalg.norm(w)
        alpha = q @ w
        V = V.at[j].set(q)
        w = cgs(V, w)
        return V, w, alpha, jnp.linalg.norm(w), hq

    def restart(V, Y):  # rows: the kept Ritz vectors, then zeros
        return Y.T @ V

    def top_k(products, top=TOP, bottom=0):
        m = max(1, min(max(BASIS, 2 * (top + bottom) + 10, top + bottom + 2), n))
        start = rademacher(n)
        build_c, c1 = compiled(build[kind], theta)
        op = build_c(theta)
        V = jnp.zeros((m, n))
        step_c, c2 = compiled(lanczos_step, op, V, start, 0)
        restart_c, c3 = compiled(restart, V, jnp.zeros((m, m)))
        compile_s = c1 + c2 + c3
        t1 = time.perf_counter()
        op = build_c(theta)
        q = start / jnp.linalg.norm(start)
        T = np.zeros((m, m))
        count, scale, j = 0, 0.0, 0
        while True:
            V, w, alpha, beta, hq = step_c(op, V, q, j)
            alpha, beta = float(alpha), float(beta)
            count += 1
            scale = max(scale, float(hq))
            j += 1
            T[j - 1, j - 1] = alpha
            theta_r, Y = np.linalg.eigh(T[:j, :j])
            order = np.argsort(theta_r, kind="stable")
            values = theta_r[order]
            bounds = beta * np.abs(Y[j - 1, order])
            breakdown = beta <= BREAKDOWN * scale or j == n
            if breakdown or count == products:
                break
            if j == m:
                spare = max(m - (top + bottom), 0) // 2
                extra_bottom, extra_top = ((spare // 2, spare - spare // 2) if bottom and top
                                           else (spare, 0) if bottom else (0, spare))
                low = bottom + extra_bottom
                kept = list(order[:low]) + list(order[j - min(top + extra_top, j - low):])
                l = len(kept)
                Ypad = np.zeros((m, m))
                Ypad[:, :l] = Y[:, kept]
                V = restart_c(V, jnp.asarray(Ypad))
                T[:] = 0.0
                for i, k in enumerate(kept):
                    T[i, i] = theta_r[k]
                    T[l, i] = T[i, l] = beta * Y[j - 1, k]
                j = l
            else:
                T[j, j - 1] = T[j - 1, j] = beta
            q = w / beta
        run_s = time.perf_counter() - t1
        scale_r = np.max(np.abs(values))
        converged = bool(breakdown or np.all(bounds[-top:] <= TOLERANCE * scale_r))
        return {"q": "top5", "run_s": run_s, "compile_s": compile_s, "products": count,
                "top": values[::-1][:top].tolist(), "top_bounds": bounds[::-1][:top].tolist(),
                "converged": converged}

    # ---- trace: Hutch++
    def over_probes(f, batched):  # f over the rows of a matrix: as one batch, or in turn
        return jax.vmap(f) if batched else (lambda M: jax.lax.map(f, M))

    def hutch(op, S, G, batched=True):
        batch = over_probes(op, batched)
        Q, _ = jnp.linalg.qr(batch(S).T)        # n x p
        sketched = jnp.sum(Q.T * batch(Q.T))
        G = G - (G @ Q) @ Q.T
        G = G - (G @ Q) @ Q.T
        return sketched, jnp.sum(G * batch(G), axis=1)

    def trace(probes, batched):
        S, G = rademacher(probes, n), rademacher(probes, n)
        build_c, c1 = compiled(build[kind], theta)
        op = build_c(theta)
        hutch_c, c2 = compiled(lambda op, S, G: hutch(op, S, G, batched), op, S, G)
        del op
        t1 = time.perf_counter()
        op = build_c(theta)
        sketched, samples = jax.block_until_ready(hutch_c(op, S, G))
        run_s = time.perf_counter() - t1
        mean, se = mean_and_stderr(np.asarray(samples))
        return {"q": "trace" if batched else "trace/sequential", "run_s": run_s, "compile_s": c1 + c2, "products": 3 * probes,
                "estimate": float(sketched) + mean, "stderr": se}

    # ---- density: stochastic Lanczos quadrature
    def slq_probe(op, z, steps):
        def body(k, carry):
            V, q, alphas, betas, scale = carry
            w = op(q)
            scale = jnp.maximum(scale, jnp.linalg.norm(w))
            alpha = q @ w
            V = V.at[k].set(q)
            w = cgs(V, w)
            beta = jnp.linalg.norm(w)
            return V, w / beta, alphas.at[k].set(alpha), betas.at[k].set(beta), scale
        init = (jnp.zeros((steps, n)), z / jnp.linalg.norm(z), jnp.zeros(steps),
                jnp.zeros(steps), jnp.zeros(()))
        _, _, alphas, betas, scale = jax.lax.fori_loop(0, steps, body, init)
        return alphas, betas, scale

    def density(probes, steps, batched):
        steps = min(steps, n)
        Z = rademacher(probes, n)
        slq = lambda op, Z: over_probes(lambda z: slq_probe(op, z, steps), batched)(Z)  # noqa: E731
        build_c, c1 = compiled(build[kind], theta)
        op = build_c(theta)
        slq_c, c2 = compiled(slq, op, Z)
        del op
        t1 = time.perf_counter()
        op = build_c(theta)
        alphas, betas, scales = jax.block_until_ready(slq_c(op, Z))
        run_s = time.perf_counter() - t1
        m1, m2, breakdowns = [], [], 0
        for a, b, s in zip(np.asarray(alphas), np.asarray(betas), np.asarray(scales)):
            stop = np.nonzero(b <= BREAKDOWN * s)[0]
            k = int(stop[0]) + 1 if len(stop) else steps
            breakdowns += k < steps
            T = np.diag(a[:k]) + np.diag(b[:k - 1], 1) + np.diag(b[:k - 1], -1)
            nodes, U = np.linalg.eigh(T)
            weights = U[0] ** 2
            m1.append(np.sum(weights * nodes))
            m2.append(np.sum(weights * nodes ** 2))
        return {"q": "density" if batched else "density/sequential", "run_s": run_s, "compile_s": c1 + c2,
                "products": probes * steps, "breakdowns": breakdowns,
                "moments": [mean_and_stderr(m1)[0], mean_and_stderr(m2)[0]],
                "moments_stderr": [mean_and_stderr(m1)[1], mean_and_stderr(m2)[1]]}

    jobs = {"top5": lambda: top_k(spec["top_products"]),
            "trace": lambda: trace(spec["probes"], True),
            "density": lambda: density(spec["probes"], spec["steps"], True),
            "trace/sequential": lambda: trace(spec["probes"], False),
            "density/sequential": lambda: density(spec["probes"], spec["steps"], False)}
    for name in spec["quantities"]:
        emit({"start": name})
        try:
            emit(jobs[name]())
        except Exception as e:  # RESOURCE_EXHAUSTED and friends: report, go on
            emit({"q": name, "error": f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"})
    emit({"done": True})


# ----------------------------------------------------------------- orchestration

def run_worker(spec, timeout):
    """The JAX worker's results by quantity; a crash or timeout marks what was left."""
    objs, stderr, rc = cj.worker_lines(__file__, spec, timeout)
    info, hvp, results = {}, {}, {}
    for obj in objs:
        if "info" in obj:
            info = obj["info"]
        elif "hvp" in obj:
            hvp = obj
        elif "q" in obj:
            results[obj["q"]] = obj
    tail = " | ".join(stderr.strip().splitlines()[-3:])
    for name in spec["quantities"]:
        results.setdefault(name, {"q": name, "error": f"worker failed (exit {rc}): {tail}"})
    return info, hvp, results


def saddle_runs(saddle, base, density_csv, probes, steps):
    """Each saddle spectrum process by name: (wall seconds, JSON)."""
    estimates = ["--probes", str(probes)]
    density = ["--density", density_csv, "--steps", str(steps)]
    argsets = {
        "top5": ["--top", str(TOP), "--bottom", "0"],
        "trace": ["--top", "0", "--bottom", "0", "--trace"] + estimates,
        "density": ["--top", "0", "--bottom", "0"] + density + estimates,
        "all": ["--top", str(TOP), "--bottom", "0", "--trace"] + density + estimates,
    }
    out = {}
    for name, extra in argsets.items():
        t = time.perf_counter()
        proc = subprocess.run([saddle] + base + extra, capture_output=True, text=True)
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            sys.exit(f"error: saddle spectrum ({name}) failed (exit {proc.returncode}): "
                     f"{proc.stderr.strip()}")
        out[name] = (wall, json.loads(proc.stdout))
    return out


def zscore(a, sa, b, sb):
    err = float(np.hypot(sa or 0.0, sb or 0.0))
    return abs(a - b) / err if err > 0 else (0.0 if a == b else float("inf"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default="large,1m",
                        help="comma-separated among large (regression [2,64,64,64,1], 1024 "
                             "points, n = 8577) and 1m ([1,1000,1000,1], n = 1 004 001); "
                             "default both")
    parser.add_argument("--saddle", default=os.path.join(cj.REPO, "target", "release", "saddle"),
                        help="the saddle binary (default: target/release/saddle)")
    parser.add_argument("--probes", type=int, default=None,
                        help="probes of the trace and density (default: 10 at large, 4 at 1m)")
    parser.add_argument("--steps", type=int, default=None,
                        help="Lanczos steps per density probe (default: 80 at large, 30 at 1m)")
    parser.add_argument("--hvp", choices=("auto", "jvp", "linearize"), default="auto",
                        help="JAX's HVP: jvp of grad, linearize's linear map, or the faster of "
                             "the two in three trial products (auto, the default)")
    parser.add_argument("--sequential", action="store_true",
                        help="also run JAX's trace and density probes one at a time (lax.map), "
                             "as saddle does, besides as one vmapped batch")
    parser.add_argument("--rounds", type=int, default=1,
                        help="alternate saddle and JAX this many times per size and keep each "
                             "side's fastest time per quantity (default 1)")
    parser.add_argument("--jax-mem-gb", type=float, default=None,
                        help="address-space cap of each JAX process (default: 80%% of "
                             "MemAvailable at start)")
    parser.add_argument("--timeout", type=float, default=3600,
                        help="seconds allowed per JAX worker process (default 3600)")
    parser.add_argument("--json-out", help="also write every number to this JSON file")
    args = parser.parse_args()

    if args.worker:
        worker(json.loads(args.worker))
        return

    names = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in names if s not in SPECTRUM_SIZES]
    if unknown or not names:
        sys.exit(f"error: unknown size(s) {unknown}; choose among {', '.join(SPECTRUM_SIZES)}")
    saddle = os.path.abspath(args.saddle)
    if not (os.path.isfile(saddle) and os.access(saddle, os.X_OK)):
        sys.exit(f"error: no saddle binary at {saddle}; build it with `cargo build --release`")
    for name, value in (("--probes", args.probes), ("--steps", args.steps), ("--rounds", args.rounds)):
        if value is not None and value < 1:
            sys.exit(f"error: {name} must be at least 1")
    mem_bytes = (int(args.jax_mem_gb * 2**30) if args.jax_mem_gb
                 else int(0.8 * cj.meminfo().get("MemAvailable", 0)) or None)
    load_start = cj.loadavg()
    print(f"# saddle spectrum vs JAX  (sizes: {', '.join(names)}; {args.rounds} round(s); "
          f"load average at start {load_start})", flush=True)

    report, info = {"sizes": {}}, {}
    for size in names:
        problem, widths, points = cj.SIZES[size]
        n = cj.n_params(widths)
        probes = args.probes or SPECTRUM_SIZES[size][0]
        steps = args.steps or SPECTRUM_SIZES[size][1]
        arch = ",".join(map(str, widths))
        print(f"\n## {size}: {problem} [{arch}] {cj.ACT}, {points} points, n = {n}; "
              f"probes {probes}, density steps {steps}", flush=True)
        with tempfile.TemporaryDirectory(prefix="saddle-jaxspec-") as tmp:
            p = lambda f: os.path.join(tmp, f)  # noqa: E731
            X, y = cj.bench_data(points, widths[0])
            cj.write_csv(p("data.csv"), [f"x{i + 1}" for i in range(widths[0])] + ["y"], X, y)
            np.save(p("theta.npy"), cj.glorot_normal(widths, 0).astype("<f8"))
            base = ["spectrum", "--problem", problem, "--data", p("data.csv"), "--arch", arch,
                    "--act", cj.ACT, "--params", p("theta.npy"), "--method", "lanczos",
                    "--negative", "estimate", "--seed", "0"]
            saddle_best, jax_best, hvp = {}, {}, {}
            for r in range(args.rounds):
                runs = saddle_runs(saddle, base, p("density.csv"), probes, steps)
                for name, run in runs.items():
                    if name not in saddle_best or run[0] < saddle_best[name][0]:
                        saddle_best[name] = run
                top_products = runs["top5"][1]["lanczos"]["steps"]
                spec = {"size": size, "theta": p("theta.npy"), "seed": 1, "hvp": args.hvp,
                        "mem_bytes": mem_bytes,
                        "quantities": list(QUANTITIES) + (
                            ["trace/sequential", "density/sequential"] if args.sequential else []),
                        "top_products": top_products, "probes": probes, "steps": steps}
                info_now, hvp_now, results = run_worker(spec, args.timeout)
                info, hvp = info or info_now, hvp or hvp_now
                for name, res in results.items():
                    if "run_s" in res and ("run_s" not in jax_best.get(name, {})
                                           or res["run_s"] < jax_best[name]["run_s"]):
                        jax_best[name] = res
                    jax_best.setdefault(name, res)

        s_out = {k: v[1] for k, v in saddle_best.items()}
        products = {"top5": s_out["top5"]["lanczos"]["steps"], "trace": s_out["trace"]["products"],
                    "density": s_out["density"]["products"]}
        rows = []
        extra = [q for q in ("trace/sequential", "density/sequential") if q in jax_best]
        for q in QUANTITIES + ("all",) + tuple(extra):
            secs, _ = saddle_best[q.split("/")[0]]
            if q == "all":
                timed = [jax_best.get(k, {}) for k in QUANTITIES]
                ok = all("run_s" in j for j in timed)
                j = {"products": sum(j.get("products", 0) for j in timed),
                     "run_s": sum(j["run_s"] for j in timed) if ok else None,
                     "compile_s": sum(j["compile_s"] for j in timed) if ok else None}
            else:
                j = jax_best.get(q, {})
            rows.append((q, sum(products.values()) if q == "all" else products[q.split("/")[0]],
                         j.get("products"), secs, j.get("run_s"), j.get("compile_s"),
                         j.get("error")))
        print(f"\nJAX HVP: {hvp.get('hvp')} (trial products: "
              + ", ".join(f"{k} {cj.fmt_s(v)}" for k, v in hvp.get("trial_s", {}).items()) + ")")
        print("saddle: the process's wall time")
        print("\n| quantity | products saddle / JAX | saddle | JAX | JAX + compile | saddle/JAX |")
        print("|---|---:|---:|---:|---:|---:|")
        for q, ps, pj, secs, js, jc, err in rows:
            label = {"all": "all three (JAX: sum)", "trace/sequential": "trace (JAX: probes in turn)",
                     "density/sequential": "density (JAX: probes in turn)"}.get(q, q)
            jcell = cj.fmt_s(js) if err is None else f"error: {err}"
            scell = cj.fmt_s(secs)
            print(f"| {label} | {ps} / {pj if pj is not None else '—'} | {scell} | {jcell} | "
                  f"{cj.fmt_s(js + jc) if js is not None else '—'} | {cj.fmt_ratio(secs, js)} |")

        checks = {}
        s_top, j5 = s_out["top5"], jax_best.get("top5", {})
        if "top" in j5:
            both = s_top["lanczos"]["converged"] and j5["converged"]
            rel = float(np.max(np.abs(np.array(s_top["top"]) - np.array(j5["top"]))
                               / np.abs(np.array(s_top["top"]))))
            checks["top5"] = {"max_rel_diff": rel, "saddle_converged": s_top["lanczos"]["converged"],
                              "jax_converged": j5["converged"],
                              "ok": bool(rel <= EIGEN_MATCH) if both else None}
            print(f"\ncross-check top 5: max relative difference {rel:.1e} "
                  + (("ok" if rel <= EIGEN_MATCH else f"MISMATCH (> {EIGEN_MATCH:g})") if both
                     else f"(not both converged: saddle {s_top['lanczos']['converged']}, "
                          f"JAX {j5['converged']}; JAX's largest bound "
                          f"{max(j5['top_bounds']) / max(abs(v) for v in j5['top']):.1e} "
                          f"max|λ|, tolerance {TOLERANCE:g})"))
            print("  saddle " + ", ".join(f"{v:.12g}" for v in s_top["top"]))
            print("  JAX    " + ", ".join(f"{v:.12g}" for v in j5["top"]))
        jt = jax_best.get("trace", {})
        if "estimate" in jt:
            st = s_out["trace"]["trace"]
            z = zscore(st["estimate"], st["stderr"], jt["estimate"], jt["stderr"])
            checks["trace"] = {"z": float(z), "ok": bool(z <= SIGMAS)}
            print(f"cross-check trace: saddle {st['estimate']:.6g} ± {st['stderr']:.2g}, JAX "
                  f"{jt['estimate']:.6g} ± {jt['stderr']:.2g}: {z:.2f} combined standard errors "
                  + ("ok" if z <= SIGMAS else f"MISMATCH (> {SIGMAS:g})"))
        jd = jax_best.get("density", {})
        if "moments" in jd:
            sd = s_out["density"]["density"]
            zs = [zscore(sd["moments"][k], sd["moments_stderr"][k], jd["moments"][k],
                         jd["moments_stderr"][k]) for k in range(2)]
            checks["density"] = {"z": [float(z) for z in zs], "ok": bool(max(zs) <= SIGMAS)}
            print("cross-check density moments: " + "; ".join(
                f"m{k + 1} saddle {sd['moments'][k]:.6g} ± {sd['moments_stderr'][k]:.2g}, JAX "
                f"{jd['moments'][k]:.6g} ± {jd['moments_stderr'][k]:.2g} ({zs[k]:.2f} σ)"
                for k in range(2)) + (" ok" if max(zs) <= SIGMAS else f" MISMATCH (> {SIGMAS:g} σ)"))
        report["sizes"][size] = {
            "problem": problem, "arch": arch, "points": points, "params": n,
            "probes": probes, "steps": steps, "jax_hvp": hvp,
            "saddle": {k: {"s": t, "json": o} for k, (t, o) in saddle_best.items()},
            "jax": jax_best, "cross_check": checks,
            "ratios": {q: (secs / js if js else None) for q, _, _, secs, js, _, _ in rows},
        }

    machine = cj.machine_description(saddle, info, None)
    machine["load_average_start"] = load_start
    report["machine"] = machine
    cj.print_machine(machine, load_start)
    cj.write_json(args.json_out, report)


if __name__ == "__main__":
    main()
