"""saddle's `bfgs` and `lbfgs` against SciPy's BFGS and L-BFGS-B from identical starts.

For each seed, θ₀ comes from `saddle fit ... --max-iter 0 --params-out`, so every method
starts from saddle's own Glorot initialization. The objective is written here in NumPy
from the convention text (flat θ: W_l row-major then b_l per layer; loss ½Σ r²), and its
loss and gradient at θ₀ are checked against `saddle derivs` before any run. SciPy's
methods and saddle's then run from θ₀ with the same iteration budget; the table gives
each method's median final loss and how many runs fitted the target
(‖r‖ ≤ 1e-3·‖target‖, saddle's `fitted` category) and the median number of evaluations
of f and ∇f (together; SciPy's `nfev`, saddle's `evals.gradient`). A saddle solver
`S@SEARCH` runs `--solver S --line-search SEARCH`, e.g. `bfgs@hager-zhang`.

    python reference/compare_bfgs.py --saddle target/release/saddle \\
        --problem regression --data examples/sine.csv --arch 1,10,1
    python reference/compare_bfgs.py --saddle target/release/saddle \\
        --problem pinn --data examples/poisson.csv --arch 1,8,1

Needs numpy and scipy (not part of the project's build or tests).
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

FIT_TOLERANCE = 1e-3


def read_csv(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    return data[:, :-1], data[:, -1]


def unflatten(theta, arch):
    layers, k = [], 0
    for fan_in, fan_out in zip(arch[:-1], arch[1:]):
        w = theta[k : k + fan_in * fan_out].reshape(fan_in, fan_out)
        k += fan_in * fan_out
        b = theta[k : k + fan_out]
        k += fan_out
        layers.append((w, b))
    assert k == theta.size, "parameter count"
    return layers


def regression(theta, arch, x, y):
    """½‖u(x; θ) − y‖² and its gradient by backpropagation (tanh hidden layers)."""
    layers = unflatten(theta, arch)
    hs = [x]
    for w, b in layers[:-1]:
        hs.append(np.tanh(hs[-1] @ w + b))
    w, b = layers[-1]
    r = (hs[-1] @ w + b)[:, 0] - y
    grads = []
    delta = r[:, None]
    for l in range(len(layers) - 1, -1, -1):
        w, _ = layers[l]
        grads.append((hs[l].T @ delta).ravel())
        grads.append(delta.sum(axis=0))
        if l > 0:
            delta = (delta @ w.T) * (1.0 - hs[l] ** 2)
    grad = np.concatenate([g for pair in zip(grads[::2][::-1], grads[1::2][::-1]) for g in pair])
    return 0.5 * r @ r, grad


def pinn(theta, arch, x, f):
    """½‖−u'' − f‖² for u = x(1−x)N(x), N a [1, k, 1] tanh network, and its gradient
    Jᵀr with the Jacobian of u'' by hand."""
    assert len(arch) == 3 and arch[0] == 1 and arch[2] == 1, "pinn here: one hidden layer"
    k = arch[1]
    w, a, c, b = theta[:k], theta[k : 2 * k], theta[2 * k : 3 * k], theta[3 * k]
    x = x[:, 0][:, None]
    g, g1, g2 = x * (1 - x), 1 - 2 * x, -2.0
    t = np.tanh(x * w + a)
    s = 1 - t**2
    n0 = t @ c + b
    n1 = (s * w) @ c
    n2 = (-2 * t * s * w**2) @ c
    u2 = g2 * n0 + 2 * g1[:, 0] * n1 + g[:, 0] * n2
    r = -u2 - f
    # ∂u''/∂c_j, ∂u''/∂a_j (through z = wx + a), ∂u''/∂w_j, ∂u''/∂b.
    dc = g2 * t + 2 * g1 * w * s - 2 * g * w**2 * t * s
    da = c * (g2 * s - 4 * g1 * w * t * s - 2 * g * w**2 * (s**2 - 2 * t**2 * s))
    dw = x * da + c * (2 * g1 * s - 4 * g * w * t * s)
    jac = -np.hstack([dw, da, dc, np.full((x.shape[0], 1), g2)])
    return 0.5 * r @ r, jac.T @ r


def saddle(binary, common, *extra):
    out = subprocess.run([binary, *common, *extra], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"saddle failed: {out.stderr.strip()}")
    return json.loads(out.stdout)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--saddle", default="target/release/saddle")
    p.add_argument("--problem", choices=["regression", "pinn"], default="regression")
    p.add_argument("--data", default="examples/sine.csv")
    p.add_argument("--arch", default="1,10,1")
    p.add_argument("--seeds", type=int, default=20, help="seeds 1..S")
    p.add_argument("--max-iter", type=int, default=500)
    p.add_argument("--gtol", type=float, default=1e-10)
    p.add_argument("--solvers", default="bfgs,lbfgs",
                   help="saddle's solvers to run; S@SEARCH adds --line-search SEARCH")
    args = p.parse_args()

    arch = [int(v) for v in args.arch.split(",")]
    x, target = read_csv(args.data)
    objective = regression if args.problem == "regression" else pinn
    fitted_loss = 0.5 * (FIT_TOLERANCE * np.linalg.norm(target)) ** 2
    problem = ["--problem", args.problem, "--arch", args.arch, "--act", "tanh", "--data", args.data]
    budget = ["--max-iter", str(args.max_iter), "--gtol", str(args.gtol)]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(1, args.seeds + 1):
            theta0_path, grad_path = Path(tmp, "theta0.npy"), Path(tmp, "grad.npy")
            saddle(args.saddle, ["fit", *problem], "--solver", "gd", "--seed", str(seed),
                   "--max-iter", "0", "--params-out", str(theta0_path))
            theta0 = np.load(theta0_path)
            derivs = saddle(args.saddle, ["derivs", *problem], "--params", str(theta0_path),
                            "--grad-out", str(grad_path))
            loss0, grad0 = objective(theta0, arch, x, target)
            grad_saddle = np.load(grad_path)
            loss_err = abs(loss0 - derivs["loss"]) / abs(derivs["loss"])
            grad_err = np.abs(grad0 - grad_saddle).max() / np.abs(grad_saddle).max()
            if loss_err > 1e-12 or grad_err > 1e-10:
                sys.exit(f"seed {seed}: NumPy and saddle disagree at θ₀ "
                         f"(loss {loss_err:.1e}, gradient {grad_err:.1e} relative)")
            fun = lambda th: objective(th, arch, x, target)
            bfgs = minimize(fun, theta0, jac=True, method="BFGS",
                            options={"gtol": args.gtol, "maxiter": args.max_iter})
            lbfgsb = minimize(fun, theta0, jac=True, method="L-BFGS-B",
                              options={"gtol": args.gtol, "ftol": 0.0, "maxiter": args.max_iter,
                                       "maxfun": 20 * args.max_iter})
            runs = {"scipy BFGS": (bfgs.fun, bfgs.nfev), "scipy L-BFGS-B": (lbfgsb.fun, lbfgsb.nfev)}
            for solver in args.solvers.split(","):
                name, _, search = solver.partition("@")
                options = ["--line-search", search] if search else []
                summary = saddle(args.saddle, ["fit", *problem], "--solver", name, *options,
                                 "--params", str(theta0_path), *budget)
                runs[f"saddle {solver}"] = (summary["loss"], summary["evals"]["gradient"])
            for name, run in runs.items():
                results.setdefault(name, []).append(run)
            print(f"seed {seed:2}: " + "  ".join(f"{n} {v:.3e}" for n, (v, _) in runs.items()),
                  file=sys.stderr)
    print(f"{args.problem} [{args.arch}] tanh, seeds 1..{args.seeds}, {args.max_iter} iterations, "
          f"gtol {args.gtol:g}; loss and gradient match saddle derivs at every θ₀")
    print(f"| method | median loss | fitted (of {args.seeds}) | median evaluations |")
    print("|---|---:|---:|---:|")
    for name, runs in results.items():
        losses = [loss for loss, _ in runs]
        fitted = sum(v <= fitted_loss for v in losses)
        evals = np.median([n for _, n in runs])
        print(f"| {name} | {np.median(losses):.3e} | {fitted} | {evals:.0f} |")


if __name__ == "__main__":
    main()
