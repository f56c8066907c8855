"""Regenerates the example data and parameter files (numpy only; not needed to build or test).

sine.csv:     64 points x in [0, 1], y = sin(2 pi x)            (regression)
poisson.csv:  32 midpoints of (0, 1), f = pi^2 sin(pi x)          (PINN; exact u = sin(pi x))
*.npy:        Glorot-normal weights, zero biases, numpy seed 0, the layout of docs/CONTRACT.md.
"""
import numpy as np


def write_csv(path, header, xs, ys):
    with open(path, "w") as f:
        f.write(header + "\n")
        for x, y in zip(xs, ys):
            f.write(f"{float(x)!r},{float(y)!r}\n")


def main():
    x = np.linspace(0, 1, 64)
    write_csv("examples/sine.csv", "x,y", x, np.sin(2 * np.pi * x))
    x = (np.arange(32) + 0.5) / 32
    write_csv("examples/poisson.csv", "x,f", x, np.pi**2 * np.sin(np.pi * x))
    rng = np.random.default_rng(0)

    def glorot(fan_in, fan_out):
        return rng.normal(0, np.sqrt(2 / (fan_in + fan_out)), size=fan_in * fan_out)

    for name, width in [("sine-1-10-1", 10), ("poisson-1-8-1", 8)]:
        theta = np.concatenate([glorot(1, width), np.zeros(width), glorot(width, 1), np.zeros(1)])
        np.save(f"examples/{name}.npy", theta.astype("<f8"))


if __name__ == "__main__":
    main()
