#!/usr/bin/env python3
"""Independent JAX reference for saddle's loss conventions.

Implements, directly from the written conventions (not from the Rust code):

* Parameter layout: one flat vector theta. For each layer l = 1..L in order:
  W_l (fan_in x fan_out, ROW-MAJOR), then b_l (fan_out).
* Network: H_0 = X (N x d_in, one point per row);
  H_l = act(H_{l-1} W_l + 1 b_l^T) for hidden layers; the output layer is
  linear: u = H_{L-1} W_L + 1 b_L^T.  Arch "1,20,20,1" = d_in 1, two hidden
  layers of width 20, one output.  "3,1" is a linear model.
* Activations: tanh, sin, sigmoid 1/(1+e^-z), softplus log(1+e^z).
* Regression: L = 1/2 sum_i (u(x_i) - y_i)^2  (a SUM).
* PINN (1-D Poisson -u'' = f on (0,1)): u(x) = x(1-x) N(x; theta),
  L = 1/2 sum_i (-u''(x_i) - f(x_i))^2, u'' exact via autodiff in x.

For every case it writes data.csv, params.npy, v.npy, grad.npy,
hessian.npy, hvp.npy and expected.json, plus a top-level cases.json, then
runs self-checks (finite differences, symmetry, an analytic PINN formula and
a loop-based regression forward pass) and prints their results.

Usage:  python reference/jax_reference.py --out tests/fixtures/reference
Output is deterministic (fixed seed per case).
"""
import argparse
import json
import math
import os

import numpy as np
import jax
import jax.numpy as jnp

jax.config.update("jax_enable_x64", True)

ACTS = {
    "tanh": jnp.tanh,
    "sin": jnp.sin,
    "sigmoid": lambda z: 1.0 / (1.0 + jnp.exp(-z)),
    "softplus": lambda z: jnp.log1p(jnp.exp(z)),
}

# name, problem, arch, activation, number of data points, seed
CASES = [
    ("reg_tanh_1_5_1", "regression", "1,5,1", "tanh", 9, 101),
    ("reg_sin_2_4_3_1", "regression", "2,4,3,1", "sin", 11, 102),
    ("reg_sigmoid_1_6_6_1", "regression", "1,6,6,1", "sigmoid", 10, 103),
    ("reg_softplus_3_3_2_2_1", "regression", "3,3,2,2,1", "softplus", 12, 104),
    ("reg_linear_3_1", "regression", "3,1", "tanh", 8, 105),
    ("reg_tanh_1_4_4_4_1", "regression", "1,4,4,4,1", "tanh", 7, 106),
    ("pinn_tanh_1_5_1", "pinn", "1,5,1", "tanh", 8, 201),
    ("pinn_sin_1_4_4_1", "pinn", "1,4,4,1", "sin", 9, 202),
    ("pinn_sigmoid_1_6_1", "pinn", "1,6,1", "sigmoid", 8, 203),
    ("pinn_softplus_1_3_3_3_1", "pinn", "1,3,3,3,1", "softplus", 7, 204),
]


def parse_arch(arch):
    sizes = [int(s) for s in arch.split(",")]
    assert len(sizes) >= 2 and sizes[-1] == 1
    return sizes


def n_params(sizes):
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def unflatten(theta, sizes):
    """theta -> [(W_1, b_1), ..., (W_L, b_L)]; W_l row-major fan_in x fan_out."""
    layers, off = [], 0
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        W = theta[off:off + fan_in * fan_out].reshape(fan_in, fan_out)  # C order
        off += fan_in * fan_out
        b = theta[off:off + fan_out]
        off += fan_out
        layers.append((W, b))
    assert off == theta.shape[0]
    return layers


def forward(theta, X, sizes, act):
    """Network output u, shape (N,), for X of shape (N, d_in)."""
    sigma = ACTS[act]
    layers = unflatten(theta, sizes)
    H = X
    for W, b in layers[:-1]:
        H = sigma(H @ W + b[None, :])
    W, b = layers[-1]
    return (H @ W + b[None, :])[:, 0]


def regression_loss(theta, X, y, sizes, act):
    r = forward(theta, X, sizes, act) - y
    return 0.5 * jnp.sum(r * r)


def pinn_u(theta, x, sizes, act):
    """u(x) = x(1-x) N(x; theta) for a scalar x."""
    N = forward(theta, jnp.reshape(x, (1, 1)), sizes, act)[0]
    return x * (1.0 - x) * N


def pinn_uxx(theta, x, sizes, act):
    """u''(x) for a vector of points x, exact via nested autodiff in x."""
    d2 = jax.grad(jax.grad(pinn_u, argnums=1), argnums=1)
    return jax.vmap(lambda xi: d2(theta, xi, sizes, act))(x)


def pinn_loss(theta, x, f, sizes, act):
    r = -pinn_uxx(theta, x, sizes, act) - f
    return 0.5 * jnp.sum(r * r)


def make_data(problem, sizes, npts, rng):
    """Inputs (N x d_in) and targets (N,)."""
    if problem == "regression":
        X = rng.uniform(-1.0, 1.0, size=(npts, sizes[0]))
        y = np.sin(2.0 * X[:, 0]) + 0.3 * X[:, -1] ** 2
    else:
        assert sizes[0] == 1
        X = rng.uniform(0.05, 0.95, size=(npts, 1))
        y = math.pi ** 2 * np.sin(math.pi * X[:, 0])
    return X, y


def write_csv(path, header, X, y):
    # repr() is the shortest string that round-trips to the identical double.
    with open(path, "w", newline="\n") as fh:
        fh.write(",".join(header) + "\n")
        for row, t in zip(X, y):
            fh.write(",".join(repr(float(v)) for v in list(row) + [t]) + "\n")


def read_csv(path):
    a = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2, dtype=np.float64)
    return a[:, :-1], a[:, -1]


def save_npy(path, a):
    np.save(path, np.ascontiguousarray(np.asarray(a, dtype="<f8")))


def loss_fn(problem, X, y, sizes, act):
    X, y = jnp.asarray(X), jnp.asarray(y)
    if problem == "regression":
        return lambda th: regression_loss(th, X, y, sizes, act)
    return lambda th: pinn_loss(th, X[:, 0], y, sizes, act)


def compute(L, theta, v):
    loss = float(jax.jit(L)(theta))
    grad = np.asarray(jax.jit(jax.grad(L))(theta))
    hess = np.asarray(jax.jit(jax.hessian(L))(theta))
    hvp = np.asarray(jax.jit(lambda t, d: jax.jvp(jax.grad(L), (t,), (d,))[1])(theta, v))
    return loss, grad, hess, hvp


def build_case(out, name, problem, arch, act, npts, seed):
    sizes = parse_arch(arch)
    n = n_params(sizes)
    rng = np.random.default_rng(seed)
    X, y = make_data(problem, sizes, npts, rng)
    theta = rng.normal(0.0, 0.7, size=n)
    v = rng.normal(0.0, 1.0, size=n)

    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    if problem == "regression":
        header = [f"x{i}" for i in range(sizes[0])] + ["y"]
    else:
        header = ["x", "f"]
    write_csv(os.path.join(d, "data.csv"), header, X, y)
    # Use exactly what a reader of the CSV gets.
    X2, y2 = read_csv(os.path.join(d, "data.csv"))
    assert np.array_equal(X2, X) and np.array_equal(y2, y)

    L = loss_fn(problem, X2, y2, sizes, act)
    loss, grad, hess, hvp = compute(L, jnp.asarray(theta), jnp.asarray(v))
    for fname, arr in [("params", theta), ("v", v), ("grad", grad),
                       ("hessian", hess), ("hvp", hvp)]:
        save_npy(os.path.join(d, fname + ".npy"), arr)
    meta = {"problem": problem, "arch": arch, "act": act, "params": n,
            "loss": loss}
    with open(os.path.join(d, "expected.json"), "w") as fh:
        json.dump(meta, fh, indent=2)
        fh.write("\n")
    return dict(name=name, **meta), (L, X2, y2, sizes, theta, v, grad, hess, hvp)


# ----------------------------------------------------------------- self-checks

def rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def check_hessian_fd(name, L, theta, hess, h=1e-6):
    g = jax.jit(jax.grad(L))
    n = theta.shape[0]
    H = np.zeros((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = h
        H[:, j] = (np.asarray(g(theta + e)) - np.asarray(g(theta - e))) / (2 * h)
    print(f"  [{name}] Hessian vs central FD of grad: max abs "
          f"{np.max(np.abs(H - hess)):.2e}, rel {rel(H, hess):.2e}")


def check_uxx_fd(name, theta, x, sizes, act, h=1e-3):
    u = jax.vmap(lambda xi: pinn_u(jnp.asarray(theta), xi, sizes, act))
    x = jnp.asarray(x)
    fd = (-u(x + 2 * h) + 16 * u(x + h) - 30 * u(x) + 16 * u(x - h)
          - u(x - 2 * h)) / (12 * h * h)
    ad = pinn_uxx(jnp.asarray(theta), x, sizes, act)
    print(f"  [{name}] u'' autodiff vs 5-point FD in x (h={h}): max abs "
          f"{np.max(np.abs(fd - ad)):.2e}, rel {rel(fd, ad):.2e}")


def check_pinn_tanh_analytic(name, theta, x, f, sizes, loss):
    """Plain-NumPy u'' for N = sum_k v_k tanh(a_k x + b_k) + c."""
    assert len(sizes) == 3 and sizes[0] == 1 and sizes[2] == 1
    m = sizes[1]
    a, b = theta[0:m], theta[m:2 * m]          # W_1 (1 x m), b_1
    w, c = theta[2 * m:3 * m], theta[3 * m]    # W_2 (m x 1), b_2
    t = np.tanh(np.outer(x, a) + b)            # (N, m)
    s2 = 1.0 - t * t
    N = t @ w + c
    N1 = (s2 * a) @ w
    N2 = (-2.0 * t * s2 * a * a) @ w
    uxx = -2.0 * N + 2.0 * (1.0 - 2.0 * x) * N1 + x * (1.0 - x) * N2
    ad = np.asarray(pinn_uxx(jnp.asarray(theta), jnp.asarray(x), sizes, "tanh"))
    L = 0.5 * np.sum((-uxx - f) ** 2)
    print(f"  [{name}] analytic tanh u'' vs autodiff: max abs "
          f"{np.max(np.abs(uxx - ad)):.2e}, rel {rel(uxx, ad):.2e}; loss "
          f"analytic {float(L)!r} vs fixture {loss!r} (rel {abs(L - loss) / abs(loss):.2e})")


def check_regression_loops(name, theta, X, y, sizes, act, loss):
    """Scalar-loop forward pass indexing theta by the row-major formula."""
    sig = {"tanh": math.tanh, "sin": math.sin,
           "sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)),
           "softplus": lambda z: math.log1p(math.exp(z))}[act]
    total = 0.0
    for xi, yi in zip(X, y):
        h, off = list(xi), 0
        for l, (fi, fo) in enumerate(zip(sizes[:-1], sizes[1:])):
            z = [sum(h[i] * theta[off + i * fo + j] for i in range(fi))
                 + theta[off + fi * fo + j] for j in range(fo)]
            off += fi * fo + fo
            h = z if l == len(sizes) - 2 else [sig(v) for v in z]
        total += 0.5 * (h[0] - yi) ** 2
    print(f"  [{name}] scalar-loop loss {float(total)!r} vs fixture {loss!r} "
          f"(rel {abs(total - loss) / abs(loss):.2e})")


def self_checks(results):
    print("Self-checks:")
    worst_sym = worst_hvp = 0.0
    for meta, (L, X, y, sizes, theta, v, grad, hess, hvp) in results:
        worst_sym = max(worst_sym, float(np.max(np.abs(hess - hess.T))))
        worst_hvp = max(worst_hvp, rel(hess @ v, hvp))
    print(f"  all cases: max |H - H^T| = {worst_sym:.2e}; "
          f"max rel |H v - hvp| = {worst_hvp:.2e}")
    for meta, (L, X, y, sizes, theta, v, grad, hess, hvp) in results:
        name, act, loss = meta["name"], meta["act"], meta["loss"]
        check_hessian_fd(name, L, jnp.asarray(theta), hess)
        if meta["problem"] == "pinn":
            check_uxx_fd(name, theta, X[:, 0], sizes, act)
            if act == "tanh" and len(sizes) == 3:
                check_pinn_tanh_analytic(name, theta, X[:, 0], y, sizes, loss)
        else:
            check_regression_loops(name, theta, X, y, sizes, act, loss)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="fixture directory")
    ap.add_argument("--no-check", action="store_true", help="skip self-checks")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    results = [build_case(args.out, *c) for c in CASES]
    with open(os.path.join(args.out, "cases.json"), "w") as fh:
        json.dump([m for m, _ in results], fh, indent=2)
        fh.write("\n")
    for m, _ in results:
        print(f"{m['name']:26s} n={m['params']:3d} loss={m['loss']!r}")
    if not args.no_check:
        self_checks(results)


if __name__ == "__main__":
    main()
