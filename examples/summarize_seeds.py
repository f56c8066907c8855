"""Summarizes `saddle fit` JSON lines per solver: end-point classes, statuses, median loss.

Usage: python3 examples/summarize_seeds.py runs.jsonl
"""
import collections
import json
import statistics
import sys


def main(path):
    runs = [json.loads(line) for line in open(path) if line.strip()]
    by_solver = collections.defaultdict(list)
    for run in runs:
        by_solver[run["solver"]].append(run)
    print("| solver | runs | minimum | saddle | maximum | degenerate | converged | statuses | median final loss | median ‖∇L‖ |")
    print("|---|--:|--:|--:|--:|--:|--:|---|--:|--:|")
    for solver, rs in by_solver.items():
        classes = collections.Counter(r["classification"] for r in rs)
        statuses = collections.Counter(r["status"] for r in rs)
        others = ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
        print(
            f"| {solver} | {len(rs)} | {classes['minimum']} | {classes['saddle']} | {classes['maximum']} "
            f"| {classes['degenerate']} | {statuses['converged']} | {others} "
            f"| {statistics.median(r['loss'] for r in rs):.3e} | {statistics.median(r['grad_norm'] for r in rs):.2e} |"
        )


if __name__ == "__main__":
    main(sys.argv[1])
