#!/usr/bin/env python3
"""Side-by-side timings of saddle and JAX on identical problems.

For each size it runs, in this order and never concurrently,

1. ``saddle bench --problem P --arch A --act tanh --points N --budget B --json``
   (medians of loss, gradient, HVP, HVP at a fixed theta and full Hessian,
   in-process);
2. the same operations in JAX (float64, CPU), each ``jax.jit``-compiled
   ahead of time and timed with the same policy as ``saddle bench``: one warm-up
   run, then at least 5 runs and more while within the budget (at most 10 000),
   the median (upper median for an even count), ``block_until_ready`` on every
   run.  JAX side: ``jax.grad``; the HVP as ``jax.jvp`` of ``jax.grad``
   (forward-over-reverse), and at a fixed theta as the linear map of
   ``jax.linearize(jax.grad(loss), theta)`` (saddle's ``hvp_same_theta_s``: HVPs
   at one theta with a new v each call, as an iterative solver makes them); the
   Hessian both as ``jax.hessian`` and as HVPs against unit vectors, 64 at a time
   (``vmap``; one at a time for the PDE sizes) under ``lax.map``; the faster
   of the two is compared;
3. a correctness cross-check: the script writes its data and parameters to a
   temporary directory, runs ``saddle derivs`` on them and compares the loss,
   gradient and an HVP (and, for n <= 1000, both JAX Hessians) with JAX's.

and prints the ratios saddle/JAX per size and operation (above 1: saddle is
slower), with a description of the machine.  With ``--rounds K`` steps 1 and 2
alternate K times and each side keeps its fastest median per operation.

The problems follow saddle's docs/CONTRACT.md, implemented here from the written
conventions: flat theta, per layer W (fan_in x fan_out, row-major) then b;
tanh hidden layers, linear output; regression loss 1/2 sum (u - y)^2; PINN
u(x) = x(1 - x) N(x), loss 1/2 sum (-u''(x) - f(x))^2 with u'' exact (forward
over forward mode in x).  Data as in ``saddle bench``: N points with every input
evenly spaced in [-1, 1], target sin(3 x_1) (y, or f for the PINN).  Timing does
not depend on the values of theta, so JAX's theta is Glorot-normal from NumPy
(seed 0), not saddle's ChaCha8 draw; the cross-check uses that same theta in both.

The sizes pde-small ([2,20,20,20,1]) and pde-large ([2,50,50,50,1], no JAX
Hessian) are the problem file bench/poisson2d_bench.toml, which saddle reads
(``saddle bench --problem bench/poisson2d_bench.toml``): -(u_xx + u_yy) =
2 pi^2 sin(pi x) sin(pi y) at the 2500 centres of 50 x 50 cells of the unit
square, and u = 0 at the 200 edge points of the 51 x 51 grid, weight 1.  JAX
builds the same points and takes the Laplacian by nested forward mode over the
whole batch (jvp of jvp along e_x, then e_y: each u_i depends on point i
alone); the trace of ``jax.hessian`` per point under ``vmap``
(``--laplacian hessian``) was 1.4-5x slower here for the loss, gradient and
HVPs.  Their lax.map Hessian maps one HVP at a time (``--hvp-chunk``): at
pde-small, 64 or 16 HVPs per vmap were 1.5-2x slower, and ``jax.hessian``
needs 18 GB.  A saddle binary that does not read problem files yet is
reported and skipped (the JAX side still runs); ``--jax-only`` runs no saddle
at all.

The sizes pde-field and wave-field are the field's scale (Rathore et al.'s
[2,200,200,200,1], n = 81 201): bench/poisson2d_field.toml (the same Poisson
problem at the centres of 100 x 100 cells and the 400 edge points of the
101 x 101 grid) and bench/wave_field.toml (on the same points over (x, t), the
interior residual u_tt - 4 u_xx, wave.toml's operator); loss, gradient and HVPs
only.  Every size reports each side's peak resident memory (saddle bench's
process, and the JAX worker's, which times the same operations).

The size 1m (regression [1,1000,1000,1], 1024 points, n = 1 004 001) times the
loss, gradient and HVPs only: saddle bench skips a dense Hessian past 1 GiB
(``hessian_s`` null), and JAX's is not timed either.

Each size's JAX work runs in a child process whose address space is capped
(``--jax-mem-gb``, default 80% of the memory available at start), so a Hessian
too large for the machine fails with JAX's RESOURCE_EXHAUSTED instead of
waking the kernel's OOM killer; it is reported as "out of memory".

Usage (from the repository root; saddle built with ``cargo build --release``):

    python bench/compare_jax.py --sizes small        # [1,10,1]: ~10 s
    python bench/compare_jax.py --sizes small,pinn,medium
    python bench/compare_jax.py --sizes pde-small,pde-large
    python bench/compare_jax.py --sizes 1m           # n = 1 004 001, no Hessians: ~2 min
    python bench/compare_jax.py                      # every size (large: 30+ min)

Never needed to build or test saddle; see bench/README.md.
"""
import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name -> problem, layer widths, number of points (the sizes of the performance issue)
SIZES = {
    "small": ("regression", (1, 10, 1), 256),
    "pinn": ("pinn", (1, 20, 20, 1), 256),
    "medium": ("regression", (1, 50, 50, 1), 1024),
    "large": ("regression", (2, 64, 64, 64, 1), 1024),
    "pde-small": ("poisson2d", (2, 20, 20, 20, 1), 2700),
    "pde-large": ("poisson2d", (2, 50, 50, 50, 1), 2700),
    "1m": ("regression", (1, 1000, 1000, 1), 1024),
    "pde-field": ("poisson2d-field", (2, 200, 200, 200, 1), 10400),
    "wave-field": ("wave-field", (2, 200, 200, 200, 1), 10400),
}
# The PDE problems: the problem file saddle reads, the cells per side of its interior
# midpoints (the boundary is the edge of the (cells + 1)^2 grid) and the operator; JAX
# builds the same points and operator.
PDES = {
    "poisson2d": (os.path.join(REPO, "bench", "poisson2d_bench.toml"), 50, "laplacian"),
    "poisson2d-field": (os.path.join(REPO, "bench", "poisson2d_field.toml"), 100, "laplacian"),
    "wave-field": (os.path.join(REPO, "bench", "wave_field.toml"), 100, "wave"),
}
PDE_FILE = PDES["poisson2d"][0]
# sizes whose JAX Hessians are not timed; past 1 GiB (n > 11 585) saddle bench skips its own
NO_JAX_HESSIAN = {"pde-large", "1m", "pde-field", "wave-field"}
ACT = "tanh"
HVP_CHUNK = 64           # unit vectors per vmap in the lax.map Hessian
PDE_HVP_CHUNK = 1        # the same for the PDE sizes: one HVP at a time was the fastest
LAPLACIAN = "jvp"        # the PDE's Laplacian in JAX: "jvp" (nested forward) or "hessian"
HESSIAN_CHECK_MAX = 1000  # cross-check Hessians only up to this many parameters
TOLERANCE = 1e-10        # cross-check: max relative error allowed
OPS = ("loss", "grad", "hvp", "hvp_same_theta", "hessian")


# ----------------------------------------------------------------- the problems

def n_params(widths):
    return sum(a * b + b for a, b in zip(widths[:-1], widths[1:]))


def bench_data(points, d_in):
    """saddle bench's data: x evenly spaced in [-1, 1] on every input, target sin(3 x_1)."""
    if points == 1:
        x = np.zeros(1)
    else:
        x = -1.0 + 2.0 * np.arange(points, dtype=np.float64) / (points - 1)
    X = np.repeat(x[:, None], d_in, axis=1)
    return X, np.sin(3.0 * x)


def glorot_normal(widths, seed):
    """Weights N(0, 2 / (fan_in + fan_out)), zero biases, in the flat layout."""
    rng = np.random.default_rng(seed)
    parts = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        parts.append(rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), fan_in * fan_out))
        parts.append(np.zeros(fan_out))
    return np.concatenate(parts)


def pde_points(cells=50):
    """A PDE size's points: the centres of cells x cells cells of the unit square, and the
    4·cells points of the (cells + 1) x (cells + 1) grid on its edges (bench/*.toml)."""
    m = (np.arange(cells) + 0.5) / cells
    interior = np.stack(np.meshgrid(m, m, indexing="ij"), axis=-1).reshape(-1, 2)
    g = np.linspace(0.0, 1.0, cells + 1)
    grid = np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1).reshape(-1, 2)
    on_edge = (grid == 0.0).any(axis=1) | (grid == 1.0).any(axis=1)
    return interior, grid[on_edge]


def make_loss(jax, jnp, problem, widths, X, y, laplacian="jvp"):
    """The loss L(theta) of docs/CONTRACT.md as a JAX function of the flat theta."""
    X, y = jnp.asarray(X), jnp.asarray(y)
    layers, off = [], 0
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        layers.append((off, fan_in, fan_out, off + fan_in * fan_out))
        off += fan_in * fan_out + fan_out

    def net(theta, H):
        for i, (w, fan_in, fan_out, b) in enumerate(layers):
            W = theta[w:w + fan_in * fan_out].reshape(fan_in, fan_out)  # row-major
            Z = H @ W + theta[b:b + fan_out]
            H = jnp.tanh(Z) if i + 1 < len(layers) else Z
        return H[:, 0]

    if problem == "regression":
        def loss(theta):
            r = net(theta, X) - y
            return 0.5 * jnp.sum(r * r)
        return loss

    if problem in PDES:
        _, cells, operator = PDES[problem]
        return make_pde_loss(jax, jnp, net, laplacian, cells, operator)

    x = X[:, 0]
    ones = jnp.ones_like(x)

    def u(theta, xs):  # u_i depends on x_i only, so one jvp gives every du_i/dx_i
        return xs * (1.0 - xs) * net(theta, xs[:, None])

    def u_xx(theta):
        du = lambda xs: jax.jvp(lambda t: u(theta, t), (xs,), (ones,))[1]
        return jax.jvp(du, (x,), (ones,))[1]

    def loss(theta):
        r = -u_xx(theta) - y
        return 0.5 * jnp.sum(r * r)
    return loss


def make_pde_loss(jax, jnp, net, laplacian, cells=50, operator="laplacian"):
    """-(u_xx + u_yy) = 2 pi^2 sin(pi x) sin(pi y) inside, u = 0 on the edges (weight 1):
    L = 1/2 sum_interior (-lap u - f)^2 + 1/2 sum_boundary u^2, u = N; with operator
    "wave" (inputs x, t) the interior residual is u_tt - 4 u_xx instead (wave.toml's).

    laplacian "jvp": nested forward mode over the whole batch, u_i depending on point i
    alone, so jvp of jvp along e_x (then e_y) gives every u_xx(p_i) at once; "hessian":
    the trace of jax.hessian of the one-point network, vmapped over the points.
    """
    interior, boundary = pde_points(cells)
    P, B = jnp.asarray(interior), jnp.asarray(boundary)
    f = 2 * np.pi ** 2 * jnp.sin(np.pi * P[:, 0]) * jnp.sin(np.pi * P[:, 1])
    E = [jnp.zeros_like(P).at[:, k].set(1.0) for k in range(2)]

    if operator == "wave":
        def second(theta, e):
            u = lambda Z: net(theta, Z)
            du = lambda Z: jax.jvp(u, (Z,), (e,))[1]
            return jax.jvp(du, (P,), (e,))[1]

        def loss(theta):
            r = second(theta, E[1]) - 4.0 * second(theta, E[0])
            rb = net(theta, B)
            return 0.5 * jnp.sum(r * r) + 0.5 * jnp.sum(rb * rb)
        return loss

    if laplacian == "jvp":
        def lap(theta):
            u = lambda Z: net(theta, Z)

            def second(e):
                du = lambda Z: jax.jvp(u, (Z,), (e,))[1]
                return jax.jvp(du, (P,), (e,))[1]
            return second(E[0]) + second(E[1])
    else:
        def lap(theta):
            u1 = lambda z: net(theta, z[None, :])[0]
            return jax.vmap(lambda z: jnp.trace(jax.hessian(u1)(z)))(P)

    def loss(theta):
        r = -lap(theta) - f
        rb = net(theta, B)
        return 0.5 * jnp.sum(r * r) + 0.5 * jnp.sum(rb * rb)
    return loss


# ----------------------------------------------------------------- JAX worker

def median_seconds(run, budget):
    """saddle bench's policy: one warm-up run, >= 5 runs, more within budget (<= 10 000)."""
    run()
    times = []
    start = time.perf_counter()
    while len(times) < 5 or (time.perf_counter() - start < budget and len(times) < 10_000):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2], len(times)


def emit(obj):
    """One JSON line to the parent process."""
    print(json.dumps(obj), flush=True)


def start_jax(spec):
    """A worker's start: caps its address space at ``spec["mem_bytes"]``, imports JAX in
    float64 and emits the versions; returns the modules ``jax`` and ``jax.numpy``."""
    if spec.get("mem_bytes"):
        resource.setrlimit(resource.RLIMIT_AS, (spec["mem_bytes"], spec["mem_bytes"]))
    import jax
    import jax.numpy as jnp
    import jaxlib
    jax.config.update("jax_enable_x64", True)
    emit({"info": {"jax": jax.__version__, "jaxlib": jaxlib.__version__,
                   "numpy": np.__version__, "devices": [str(d) for d in jax.devices()],
                   "x64": bool(jax.config.jax_enable_x64)}})
    return jax, jnp


def worker(spec):
    """Times one size in JAX; prints one JSON object per line as results arrive."""
    jax, jnp = start_jax(spec)
    problem, widths, points = SIZES[spec["size"]]
    X, y = bench_data(points, widths[0])
    loss = make_loss(jax, jnp, problem, widths, X, y, spec.get("laplacian", LAPLACIAN))
    theta = jnp.asarray(glorot_normal(widths, 0))
    v = jnp.asarray(glorot_normal(widths, 1))
    n = theta.shape[0]
    assert theta.dtype == jnp.float64

    grad = jax.grad(loss)

    def hvp(th, d):
        return jax.jvp(grad, (th,), (d,))[1]

    chunk = spec.get("hvp_chunk", HVP_CHUNK)
    starts = np.arange(0, n, chunk)

    def hessian_map(th):
        def block(s):  # H e_s ... H e_{s+chunk-1}; indices past n give zero vectors
            E = jax.nn.one_hot(s + jnp.arange(chunk), n, dtype=th.dtype)
            return jax.vmap(lambda e: hvp(th, e))(E)
        return jax.lax.map(block, starts).reshape(-1, n)[:n]

    # HVPs at one theta, as an iterative solver makes them: jax.linearize evaluates the
    # primal part once; its linear map, jitted, recomputes only what depends on v.
    hvp_same_theta = jax.linearize(grad, theta)[1]

    ops = {
        "loss": (loss, (theta,)),
        "grad": (grad, (theta,)),
        "hvp": (hvp, (theta, v)),
        "hvp_same_theta": (hvp_same_theta, (v,)),
        "hessian_map": (hessian_map, (theta,)),
        "hessian_jax": (jax.hessian(loss), (theta,)),
    }
    outputs = {}
    for name in spec["ops"]:
        emit({"start": name})
        f, args = ops[name]
        try:
            t = time.perf_counter()
            compiled = jax.jit(f).lower(*args).compile()
            compile_s = time.perf_counter() - t
            out = jax.block_until_ready(compiled(*args))
            median, runs = median_seconds(lambda: jax.block_until_ready(compiled(*args)),
                                          spec["budget"])
        except Exception as e:  # RESOURCE_EXHAUSTED and friends: report, go on
            text = f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"
            oom = "RESOURCE_EXHAUSTED" in text or isinstance(e, MemoryError)
            emit({"op": name, "error": f"out of memory ({text})" if oom else text})
            continue
        if spec.get("check_dir") and (not name.startswith("hessian") or n <= HESSIAN_CHECK_MAX):
            outputs[name] = np.asarray(out)
        del out
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
        emit({"op": name, "median_s": median, "runs": runs, "compile_s": compile_s,
              "peak_rss_bytes": peak})
    if spec.get("check_dir"):
        for name, a in outputs.items():
            np.save(os.path.join(spec["check_dir"], f"jax_{name}.npy"), a)
    emit({"done": True})


# ----------------------------------------------------------------- orchestration

def worker_lines(script, spec, timeout):
    """Runs ``script --worker SPEC`` in a child process; returns the JSON objects it
    printed, its stderr and its exit code (``"timeout"`` when it ran out of time)."""
    cmd = [sys.executable, os.path.abspath(script), "--worker", json.dumps(spec)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        stdout, stderr, rc = proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as e:
        stdout = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        stderr, rc = f"timed out after {timeout} s", "timeout"
    objs = []
    for line in stdout.splitlines():
        try:
            objs.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return objs, stderr, rc


def run_worker(spec, timeout):
    """Runs the JAX worker; returns (info, {op: result}); a crash marks the op in progress."""
    info, results, current, done = {}, {}, None, False
    objs, stderr, rc = worker_lines(__file__, spec, timeout)
    for obj in objs:
        if "info" in obj:
            info = obj["info"]
        elif "start" in obj:
            current = obj["start"]
        elif "op" in obj:
            results[obj["op"]] = obj
            current = None
        elif obj.get("done"):
            done = True
    if not done:
        tail = " | ".join(stderr.strip().splitlines()[-3:])
        oom = (rc == -9 or any(s in stderr for s in
                               ("RESOURCE_EXHAUSTED", "Out of memory", "bad_alloc", "MemoryError")))
        why = ("timed out" if rc == "timeout" else "out of memory" if oom
               else f"worker failed (exit {rc})")
        for op in [current] if current else []:
            results[op] = {"op": op, "error": f"{why}: {tail}"}
        for op in spec["ops"]:
            results.setdefault(op, {"op": op, "error": f"not run: {why}"})
    return info, results


def run_saddle(saddle, args, what, fatal=True):
    """saddle's JSON output; on failure exits, or with fatal=False says why and returns None
    (a binary without problem files refuses the PDE sizes: their JAX side still runs)."""
    proc = subprocess.run([saddle] + args, capture_output=True, text=True)
    if proc.returncode != 0:
        why = f"saddle {what} failed (exit {proc.returncode}): {proc.stderr.strip()}"
        if fatal:
            sys.exit(f"error: {why}")
        print(f"saddle side skipped: {why}\n  (does this saddle binary read problem files "
              f"yet? `saddle {what} --problem {os.path.relpath(PDE_FILE, REPO)}`)", flush=True)
        return None
    return json.loads(proc.stdout)


def saddle_problem_args(size):
    """saddle's --problem (and --data / --points) arguments for one size."""
    problem, widths, points = SIZES[size]
    if problem in PDES:
        return ["--problem", PDES[problem][0]]
    return ["--problem", problem]


def write_csv(path, header, X, y):
    with open(path, "w", newline="\n") as fh:
        fh.write(",".join(header) + "\n")
        for row, t in zip(X, y):  # repr: the shortest string that round-trips exactly
            fh.write(",".join(repr(float(v)) for v in list(row) + [t]) + "\n")


def rel_err(a, b):
    """max |a - b| / max |b| (normwise, so tiny entries do not dominate)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-300))


def cross_check(saddle, size, tmp):
    """saddle derivs on the script's data and theta against the JAX values saved in tmp."""
    problem, widths, points = SIZES[size]
    n = n_params(widths)
    p = lambda f: os.path.join(tmp, f)
    args = ["derivs"] + saddle_problem_args(size)
    if problem not in PDES:  # a problem file names its own points
        X, y = bench_data(points, widths[0])
        header = (["x", "f"] if problem == "pinn"
                  else [f"x{i + 1}" for i in range(widths[0])] + ["y"])
        write_csv(p("data.csv"), header, X, y)
        args += ["--data", p("data.csv")]
    for name, seed in (("theta", 0), ("v", 1)):
        np.save(p(f"{name}.npy"), glorot_normal(widths, seed).astype("<f8"))
    args += ["--arch", ",".join(map(str, widths)), "--act", ACT,
             "--params", p("theta.npy"), "--grad-out", p("grad.npy"),
             "--hvp", p("v.npy"), "--hvp-out", p("hvp.npy")]
    if n <= HESSIAN_CHECK_MAX:
        args += ["--hessian-out", p("hessian.npy")]
    out = run_saddle(saddle, args, "derivs", fatal=problem not in PDES)
    if out is None:
        return {}
    errors = {}
    pairs = [("loss", np.array(out["loss"]), "jax_loss.npy"),
             ("grad", np.load(p("grad.npy")), "jax_grad.npy"),
             ("hvp", np.load(p("hvp.npy")), "jax_hvp.npy"),
             ("hvp (linearized)", np.load(p("hvp.npy")), "jax_hvp_same_theta.npy")]
    if n <= HESSIAN_CHECK_MAX:
        pairs += [("hessian (lax.map)", np.load(p("hessian.npy")), "jax_hessian_map.npy"),
                  ("hessian (jax.hessian)", np.load(p("hessian.npy")), "jax_hessian_jax.npy")]
    for name, ours, theirs in pairs:
        if os.path.exists(p(theirs)):
            errors[name] = rel_err(ours, np.load(p(theirs)))
    return errors


def fastest(benches, jax_runs):
    """Each side's fastest median per operation over the rounds (saddle's other fields, such
    as the work counts and peak memory, from the first round; a JAX error only if every
    round failed); saddle's side is None when it did not run."""
    bench = dict(benches[0]) if benches else None
    for op in OPS if benches else ():
        timed = [b[f"{op}_s"] for b in benches if b[f"{op}_s"] is not None]
        bench[f"{op}_s"] = min(timed) if timed else None  # hessian_s is null past 1 GiB
    jres = {}
    for op in set().union(*jax_runs):
        timed = [r[op] for r in jax_runs if "median_s" in r.get(op, {})]
        jres[op] = (min(timed, key=lambda r: r["median_s"]) if timed
                    else next(r[op] for r in jax_runs if op in r))
    return bench, jres


def machine_description(saddle, info, cpus):
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = meminfo().get("MemTotal")
    try:
        commit = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                                capture_output=True, text=True).stdout.strip() or "unknown"
    except OSError:
        commit = "unknown"
    try:
        version = subprocess.run([saddle, "--version"], capture_output=True,
                                 text=True).stdout.strip() or "unknown"
    except OSError:
        version = "not run"
    return {
        "cpu": model,
        "logical_cpus": os.cpu_count(),
        "cpus_used": len(os.sched_getaffinity(0)) if cpus is None else cpus,
        "memory_gb": round(mem / 2**30, 1) if mem else None,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "jax": info.get("jax"), "jaxlib": info.get("jaxlib"), "numpy": info.get("numpy"),
        "jax_devices": info.get("devices"), "jax_x64": info.get("x64"),
        "saddle": version, "commit": commit,
        "load_average": loadavg(),
    }


def meminfo():
    out = {}
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return out


def loadavg():
    try:
        with open("/proc/loadavg") as fh:
            return " ".join(fh.read().split()[:3])
    except OSError:
        return "unknown"


def fmt_s(s):
    if s is None:
        return "—"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def fmt_ratio(a, b):
    return f"{a / b:.3g}" if a is not None and b else "—"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default="all",
                        help="comma-separated among small (regression [1,10,1], 256 points), "
                             "pinn ([1,20,20,1], 256), medium (regression [1,50,50,1], 1024), "
                             "large (regression [2,64,64,64,1], 1024), pde-small and pde-large "
                             "(bench/poisson2d_bench.toml, 2700 points, [2,20,20,20,1] and "
                             "[2,50,50,50,1], the latter without JAX Hessians), 1m (regression "
                             "[1,1000,1000,1], 1024 points, n = 1 004 001, no Hessian on either "
                             "side), pde-field and wave-field (bench/poisson2d_field.toml and "
                             "bench/wave_field.toml, 10 400 points, [2,200,200,200,1], n = 81 201, "
                             "no Hessians), or all (default)")
    parser.add_argument("--saddle", default=os.path.join(REPO, "target", "release", "saddle"),
                        help="the saddle binary (default: target/release/saddle; build it with "
                             "`cargo build --release`)")
    parser.add_argument("--budget", type=float, default=1.0,
                        help="seconds per operation, for saddle and JAX alike (default 1)")
    parser.add_argument("--cpus", type=int, default=None,
                        help="pin this script, JAX and saddle to the first N allowed CPUs "
                             "(default: no pinning; saddle computes Hessian columns, and the loss, gradient and HVP "
                             "of 1024 points or more, on every CPU; XLA uses every "
                             "CPU it is given)")
    parser.add_argument("--jax-mem-gb", type=float, default=None,
                        help="address-space cap of each JAX process (default: 80%% of "
                             "MemAvailable at start)")
    parser.add_argument("--no-jax-hessian", action="store_true",
                        help="skip the jax.hessian formulation (the lax.map one still runs)")
    parser.add_argument("--no-check", action="store_true", help="skip the saddle derivs cross-check")
    parser.add_argument("--timeout", type=float, default=7200,
                        help="seconds allowed per JAX worker process (default 7200)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="time each size this many times, saddle and JAX alternating, and "
                             "keep each side's fastest median per operation (default 1); the "
                             "machine's load varies over seconds, and the fastest round is the "
                             "least disturbed one. The cross-check runs once")
    parser.add_argument("--jax-only", action="store_true",
                        help="time the JAX side alone (no saddle binary needed, no cross-check)")
    parser.add_argument("--laplacian", choices=("jvp", "hessian"), default=LAPLACIAN,
                        help="the PDE sizes' Laplacian in JAX: nested forward mode over the "
                             "batch (jvp, the default: the faster here) or the trace of "
                             "jax.hessian per point under vmap")
    parser.add_argument("--hvp-chunk", type=int, default=None,
                        help=f"unit vectors per vmap in the lax.map Hessian (default "
                             f"{HVP_CHUNK}, and {PDE_HVP_CHUNK} for the PDE sizes)")
    parser.add_argument("--json-out", help="also write every number to this JSON file")
    args = parser.parse_args()

    if args.worker:
        worker(json.loads(args.worker))
        return

    names = list(SIZES) if args.sizes == "all" else [s.strip() for s in args.sizes.split(",")]
    unknown = [s for s in names if s not in SIZES]
    if unknown or not names:
        sys.exit(f"error: unknown size(s) {unknown}; choose among {', '.join(SIZES)} or all")
    saddle = os.path.abspath(args.saddle)
    if not args.jax_only and not (os.path.isfile(saddle) and os.access(saddle, os.X_OK)):
        sys.exit(f"error: no saddle binary at {saddle}; build it with `cargo build --release` "
                 "(from the repository root) or pass --saddle PATH")
    if args.rounds < 1:
        sys.exit("error: --rounds must be at least 1")
    if args.hvp_chunk is not None and args.hvp_chunk < 1:
        sys.exit("error: --hvp-chunk must be at least 1")
    if args.cpus is not None:
        allowed = sorted(os.sched_getaffinity(0))
        if not 1 <= args.cpus <= len(allowed):
            sys.exit(f"error: --cpus must be between 1 and {len(allowed)}")
        os.sched_setaffinity(0, allowed[:args.cpus])  # inherited by JAX and saddle
    mem_bytes = (int(args.jax_mem_gb * 2**30) if args.jax_mem_gb
                 else int(0.8 * meminfo().get("MemAvailable", 0)) or None)
    hessian_ops = ["hessian_map"] + ([] if args.no_jax_hessian else ["hessian_jax"])
    load_start = loadavg()
    rounds = (f"; fastest of {args.rounds} alternating rounds per side" if args.rounds > 1 else "")
    print(f"# saddle vs JAX  (sizes: {', '.join(names)}; budget {args.budget} s per operation"
          f"{rounds}; load average at start {load_start})", flush=True)

    report, info = {"sizes": {}}, {}
    for size in names:
        problem, widths, points = SIZES[size]
        arch = ",".join(map(str, widths))
        n = n_params(widths)
        print(f"\n## {size}: {problem} [{arch}] {ACT}, {points} points, n = {n}", flush=True)
        saddle_s, jax_s_total = 0.0, 0.0
        benches, jax_runs = [], []
        jax_ops = ["loss", "grad", "hvp", "hvp_same_theta"] + (
            [] if size in NO_JAX_HESSIAN else hessian_ops)
        # A problem file names its own points; a binary without problem files is skipped.
        bench_args = (["bench"] + saddle_problem_args(size) + ["--arch", arch, "--act", ACT]
                      + ([] if problem in PDES else ["--points", str(points)])
                      + ["--budget", str(args.budget), "--json"])
        use_saddle = not args.jax_only
        chunk = args.hvp_chunk or (PDE_HVP_CHUNK if problem in PDES else HVP_CHUNK)
        with tempfile.TemporaryDirectory(prefix="saddle-jax-") as tmp:
            for r in range(args.rounds):
                t0 = time.perf_counter()
                if use_saddle:
                    bench = run_saddle(saddle, bench_args, "bench", fatal=problem not in PDES)
                    use_saddle = bench is not None
                    benches += [bench] if use_saddle else []
                t1 = time.perf_counter()
                spec = {"size": size, "ops": jax_ops, "budget": args.budget,
                        "mem_bytes": mem_bytes, "laplacian": args.laplacian,
                        "hvp_chunk": chunk,
                        "check_dir": None if args.no_check or not use_saddle or r > 0 else tmp}
                info_now, jres_now = run_worker(spec, args.timeout)
                info = info or info_now
                jax_runs.append(jres_now)
                t2 = time.perf_counter()
                saddle_s, jax_s_total = saddle_s + t1 - t0, jax_s_total + t2 - t1
            errors = {} if args.no_check or not use_saddle else cross_check(saddle, size, tmp)
        bench, jres = fastest(benches, jax_runs)
        assert bench is None or bench["params"] == n, \
            f"saddle has {bench['params']} parameters, expected {n}"

        def jax_s(op):
            r = jres.get(op, {})
            return r.get("median_s")

        candidates = [(jax_s(k), label) for k, label in
                      (("hessian_map", "lax.map HVPs"), ("hessian_jax", "jax.hessian"))
                      if jax_s(k) is not None]
        best_h, best_label = min(candidates) if candidates else (None, None)
        rows = []
        for op in OPS:
            s = bench[f"{op}_s"] if bench else None
            j = best_h if op == "hessian" else jax_s(op)
            rows.append((op, s, j))
        print("\n| operation | saddle | JAX | saddle/JAX |")
        print("|---|---:|---:|---:|")
        for op, s, j in rows:
            label = {"hvp_same_theta": "hvp, θ fixed (JAX: linearize)"}.get(op, op)
            if op == "hessian" and best_label:
                label = f"hessian (JAX: {best_label})"
            print(f"| {label} | {fmt_s(s)} | {fmt_s(j)} | {fmt_ratio(s, j)} |")
        times = {op: (s, j) for op, s, j in rows}
        print("\nHVP / gradient: " + "; ".join(
            f"{side} {fmt_ratio(times[op][k], times['grad'][k])}"
            for op, name in (("hvp", "new θ"), ("hvp_same_theta", "θ fixed"))
            for k, side in ((0, f"saddle ({name})"), (1, f"JAX ({name})"))))
        print("\nJAX Hessian formulations:" if any(k in jres for k in hessian_ops)
              else "\nJAX Hessian: not timed at this size")
        for key, label in (("hessian_map", f"HVPs over unit vectors, lax.map of vmap x{chunk}"),
                           ("hessian_jax", "jax.hessian (jacfwd of jacrev)")):
            r = jres.get(key)
            if r is None:
                continue
            if "error" in r:
                print(f"  {label}: {r['error']}")
            else:
                print(f"  {label}: {fmt_s(r['median_s'])} (median of {r['runs']}, "
                      f"compile {fmt_s(r['compile_s'])})")
        for op in ("loss", "grad", "hvp", "hvp_same_theta"):
            if "error" in jres.get(op, {}):
                print(f"  JAX {op}: {jres[op]['error']}")
        if errors:
            worst = max(errors.values())
            verdict = "ok" if worst <= TOLERANCE else f"MISMATCH (> {TOLERANCE:g})"
            print(f"cross-check saddle derivs vs JAX, max relative error: {worst:.2e} {verdict}")
            print("  " + ", ".join(f"{k} {v:.1e}" for k, v in errors.items()))
        jax_peak = max((r.get("peak_rss_bytes") or 0 for r in jres.values()), default=0)
        if bench and bench.get("peak_rss_bytes"):
            same = "" if bench["hessian_s"] is None and size in NO_JAX_HESSIAN else \
                " (saddle's includes its dense Hessian)"
            jax_mem = f"{jax_peak / 2**20:.0f} MiB" if jax_peak else "—"
            print(f"peak memory: saddle bench {bench['peak_rss_bytes'] / 2**20:.0f} MiB, "
                  f"JAX worker {jax_mem}{same}")
        print(f"(wall time: saddle bench {saddle_s:.0f} s, JAX {jax_s_total:.0f} s)", flush=True)
        report["sizes"][size] = {
            "problem": problem, "arch": arch, "act": ACT, "points": points, "params": n,
            "saddle": bench, "jax": jres, "cross_check_rel_err": errors,
            "ratios": {op: (s / j if s is not None and j else None) for op, s, j in rows},
            "jax_hessian_used": best_label,
        }

    machine = machine_description(saddle, info, args.cpus)
    machine["load_average_start"] = load_start
    report["machine"] = machine
    report["budget_s"] = args.budget
    report["rounds"] = args.rounds
    print("\n## saddle/JAX (median time ratio; above 1 means saddle is slower)\n")
    print("| size | params | loss | grad | hvp | hvp (θ fixed) | hessian |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for size, r in report["sizes"].items():
        cells = " | ".join(f"{r['ratios'][op]:.3g}" if r["ratios"][op] else "—" for op in OPS)
        print(f"| {size} {r['problem']} [{r['arch']}] | {r['params']} | {cells} |")
    print_machine(machine, load_start, ", Hessian columns and data shards (N ≥ 1024) on rayon threads",
                  "; XLA threads over the CPUs used")
    write_json(args.json_out, report)


def print_machine(machine, load_start, saddle_note="", jax_note=""):
    """The machine section of a comparison's printout."""
    print("\n## machine\n")
    print(f"- CPU: {machine['cpu']}; {machine['logical_cpus']} logical CPUs, "
          f"{machine['cpus_used']} used; {machine['memory_gb']} GB RAM; {machine['os']}")
    print(f"- saddle: {machine['saddle']} (commit {machine['commit']}){saddle_note}")
    print(f"- JAX {machine['jax']}, jaxlib {machine['jaxlib']}, NumPy {machine['numpy']}, "
          f"Python {machine['python']}; devices {machine['jax_devices']}; "
          f"x64 {machine['jax_x64']}{jax_note}")
    print(f"- load average: {load_start} at start, {machine['load_average']} at end "
          "(other processes on the machine skew both sides)")


def write_json(path, report):
    """Writes `report` as indented JSON to `path`, if one is given."""
    if path:
        with open(path, "w") as fh:
            json.dump(report, fh, indent=2)
            fh.write("\n")


if __name__ == "__main__":
    main()
