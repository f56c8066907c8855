#!/usr/bin/env bash
# The issue-3 experiment: a [1,10,1] tanh network fitted to sin(2πx) on 64 points
# (examples/sine.csv) from Glorot-normal starts with seeds 0..19, by every solver.
# Prints one JSON line per run; summarize with examples/summarize_seeds.py.
# Usage: examples/sine_seeds.sh [MAX_ITER] > runs.jsonl   (build first: cargo build --release)
set -euo pipefail
max_iter=${1:-2000}
bin=${SADDLE:-target/release/saddle}
for solver in newton damped-newton saddle-free-newton trust-region newton-cg gauss-newton lm bfgs lbfgs adam gd; do
  for seed in $(seq 0 19); do
    "$bin" fit --problem regression --arch 1,10,1 --act tanh --data examples/sine.csv \
      --solver "$solver" --seed "$seed" --max-iter "$max_iter" --gtol 1e-8
  done
done
