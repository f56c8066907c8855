"""Reference solution of the Poisson problem on the L-shape of examples/problems/lshape.toml.

    -(u_xx + u_yy) = 1 in  [-1, 1]^2 minus [0, 1]^2,  u = 0 on the boundary

(DeepXDE's example Poisson_Lshape.py). The 5-point finite-difference Laplacian on the square
grid of spacing h = 1/n (nodes -1 + i h), one unknown per grid node strictly inside the L (the
nodes on x = 0, y >= 0 and on y = 0, x >= 0 are boundary nodes, u = 0), solved by a sparse LU
(scipy.sparse.linalg.spsolve).

The re-entrant corner at the origin makes u ~ r^(2/3) sin(2 theta / 3) there, which limits the
5-point scheme's convergence: the script solves with n = 128, 256 and 512, prints the largest
differences on the output grid (the error of the finer solution is roughly the last difference
divided by 2^p - 1, p the observed order), and writes the n = 512 solution.

Output: the nodes of spacing 1/64 in the closed L (its boundary included, u = 0 there), rows
with x varying fastest within each y: 12,545 points, a subset of every grid above.

Usage: python lshape.py [OUT.csv]   (default ../data/lshape.csv)
"""

import os
import sys

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla


def inside(x, y):
    """Strictly inside the L: inside the square and not in the closed quadrant x >= 0, y >= 0."""
    return (np.abs(x) < 1) & (np.abs(y) < 1) & ~((x >= 0) & (y >= 0))


def solve(n):
    """The 5-point solution at the (2n + 1)^2 nodes of spacing 1/n, as an array [j (y), i (x)]
    (0 outside the L and on its boundary)."""
    h = 1.0 / n
    c = -1 + h * np.arange(2 * n + 1)
    x, y = np.meshgrid(c, c)  # x varies along axis 1
    mask = inside(x, y)
    index = -np.ones(mask.shape, dtype=np.int64)
    index[mask] = np.arange(mask.sum())
    rows, cols, vals = [], [], []
    jj, ii = np.nonzero(mask)
    me = index[jj, ii]
    rows.append(me), cols.append(me), vals.append(np.full(me.size, 4.0 / h**2))
    for dj, di in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        other = index[jj + dj, ii + di]  # never out of range: the mask excludes the square's edge
        keep = other >= 0  # a neighbour on the boundary carries u = 0 and drops out
        rows.append(me[keep]), cols.append(other[keep]), vals.append(np.full(keep.sum(), -1.0 / h**2))
    a = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))))
    u = np.zeros(mask.shape)
    u[mask] = spla.spsolve(a, np.ones(me.size))
    return u


def on_output_grid(u, n, m=64):
    """The values at the nodes of spacing 1/m (m divides n)."""
    return u[:: n // m, :: n // m]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "data", "lshape.csv")
    coarse, mid, fine = (on_output_grid(solve(n), n) for n in (128, 256, 512))
    d1, d2 = np.abs(mid - coarse).max(), np.abs(fine - mid).max()
    print(f"max |u_256 - u_128| = {d1:.3e}")
    print(f"max |u_512 - u_256| = {d2:.3e} (observed order {np.log2(d1 / d2):.2f})")
    c = -1 + np.arange(129) / 64
    far = np.hypot(*np.meshgrid(c, c)) >= 0.25
    print(f"  at distance >= 0.25 from the corner: {np.abs(fine - mid)[far].max():.3e}")
    print(f"max u = {fine.max():.6f}")
    with open(out, "w") as f:
        f.write("x,y,u_ref\n")
        for j, yj in enumerate(c):
            for i, xi in enumerate(c):
                if not (xi > 0 and yj > 0):
                    f.write(f"{xi:.12g},{yj:.12g},{fine[j, i]:.12g}\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
