"""Reference solution of the viscous Burgers equation of examples/problems/burgers.toml.

    u_t + u u_x = nu u_xx,  nu = 0.01/pi,  x in [-1, 1],  t in [0, 1],
    u(x, 0) = -sin(pi x),  u(-1, t) = u(1, t) = 0.

By the Cole-Hopf transformation the solution is, for t > 0,

    u(x, t) = -int sin(pi (x - eta)) f(x - eta) G(eta) deta / int f(x - eta) G(eta) deta,
    f(y) = exp(-cos(pi y) / (2 pi nu)),  G(eta) = exp(-eta^2 / (4 nu t)),

integrals over the real line. Both integrands are smooth, and exp(-cos/(2 pi nu) - eta^2/(4 nu t))
is at least e^-96 below its peak beyond |eta| = 14 sqrt(4 nu t), so the integrals are taken over
that interval, with the largest exponent subtracted (f alone spans e^-50 .. e^50), by two
independent rules: composite Gauss-Legendre (panels of 20 nodes) and the trapezoid rule on a
uniform grid (exponentially accurate for such integrands). The script writes the first and
prints the largest difference between them, the accuracy claimed in README.md.

Grid: Raissi et al.'s (burgers_shock.mat; DeepXDE's Burgers.npz): x = linspace(-1, 1, 256),
t = linspace(0, 0.99, 100), rows with x varying fastest within each t.

Usage: python burgers.py [OUT.csv]   (default ../data/burgers.csv, next to this directory)
"""

import os
import sys

import numpy as np

NU = 0.01 / np.pi


def exponent(x, eta, t):
    """log f(x - eta) + log G(eta): arrays broadcast over x (column) and eta (row)."""
    return -np.cos(np.pi * (x - eta)) / (2 * np.pi * NU) - eta**2 / (4 * NU * t)


def cole_hopf(x, t, nodes, weights):
    """u(x, t) for the points x (1-D) by the quadrature rule (nodes, weights) in eta."""
    x = x[:, None]
    e = exponent(x, nodes[None, :], t)
    w = weights[None, :] * np.exp(e - e.max(axis=1, keepdims=True))
    return -(w * np.sin(np.pi * (x - nodes[None, :]))).sum(axis=1) / w.sum(axis=1)


def half_width(t):
    return 14 * np.sqrt(4 * NU * t)


def gauss_legendre(t, panels=400, order=20):
    """Composite Gauss-Legendre nodes and weights on [-L, L]."""
    z, w = np.polynomial.legendre.leggauss(order)
    L = half_width(t)
    edges = np.linspace(-L, L, panels + 1)
    mid, half = (edges[1:] + edges[:-1]) / 2, (edges[1:] - edges[:-1]) / 2
    return (mid[:, None] + half[:, None] * z).ravel(), (half[:, None] * w).ravel()


def trapezoid(t, n=12001):
    """Trapezoid nodes and weights on [-L, L] (the end weights are negligible anyway)."""
    L = half_width(t)
    eta = np.linspace(-L, L, n)
    w = np.full(n, eta[1] - eta[0])
    w[[0, -1]] /= 2
    return eta, w


def solve(x, ts, rule):
    u = np.empty((len(ts), len(x)))
    for k, t in enumerate(ts):
        u[k] = -np.sin(np.pi * x) if t == 0 else cole_hopf(x, t, *rule(t))
    return u


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "data", "burgers.csv")
    x = np.linspace(-1, 1, 256)
    ts = np.linspace(0, 0.99, 100)
    u = solve(x, ts, gauss_legendre)
    check = solve(x, ts, trapezoid)
    print(f"max |Gauss-Legendre - trapezoid| = {np.abs(u - check).max():.3e}")
    # The boundary values are 0 by symmetry (u is odd about x = +-1); the quadrature gives them to
    # rounding, and they are written as computed.
    print(f"max |u(+-1, t)| = {np.abs(u[:, [0, -1]]).max():.3e}")
    with open(out, "w") as f:
        f.write("x,t,u_ref\n")
        for k, t in enumerate(ts):
            for i, xi in enumerate(x):
                f.write(f"{xi:.12g},{t:.12g},{u[k, i]:.12g}\n")
    print(f"wrote {out}: {len(ts)} t x {len(x)} x")


if __name__ == "__main__":
    main()
