#!/usr/bin/env python3
"""Pure-numpy baseline for sift-al's uncertainty scores + top-k, on ONE thread.

Reads the float32 logit pool that `examples/bench_scores.rs` wrote (.npy), and times, per
strategy, what a straightforward numpy implementation does: a max-shifted softmax, the strategy
score, and the indices of the k most uncertain rows (argpartition, then a stable sort of those k
by score descending and index ascending, the same tie rule as sift-al).

Usage: numpy_baseline.py POOL.npy [--k 100] [--repeats 7] [--json OUT.json]
"""

import argparse
import json
import os
import sys
import time

# One thread for any BLAS-backed call (elementwise ufuncs are single-threaded anyway).
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402  (after the thread settings on purpose)


def softmax(z):
    m = z.max(axis=1, keepdims=True)
    e = np.exp(z - m)
    return e / e.sum(axis=1, keepdims=True)


def top2(p):
    part = np.partition(p, -2, axis=1)
    return part[:, -1], part[:, -2]


def least_confidence(z):
    p = softmax(z)
    n = p.shape[1]
    return (1.0 - p.max(axis=1)) * (n / (n - 1))


def margin(z):
    p1, p2 = top2(softmax(z))
    return 1.0 - (p1 - p2)


def ratio(z):
    p1, p2 = top2(softmax(z))
    return p2 / p1


def entropy(z):
    p = softmax(z)
    logp = np.zeros_like(p)
    np.log2(p, out=logp, where=p > 0)  # 0 * log 0 = 0
    return -(p * logp).sum(axis=1) / np.log2(p.shape[1])


STRATEGIES = {
    "least-confidence": least_confidence,
    "margin": margin,
    "ratio": ratio,
    "entropy": entropy,
}


def top_k(scores, k):
    k = min(k, scores.shape[0])
    idx = np.argpartition(-scores, k - 1)[:k]
    # Most uncertain first, ties by lower index.
    return idx[np.lexsort((idx, -scores[idx]))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pool")
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json")
    args = parser.parse_args()

    z = np.load(args.pool)
    if z.dtype != np.float32 or z.ndim != 2:
        sys.exit(f"expected a 2-D float32 array, got {z.dtype} {z.shape}")
    print(f"numpy {np.__version__}: {z.shape[0]} x {z.shape[1]} f32 logits, top-{args.k}, "
          f"{args.repeats} repeats, one thread")

    result = {"tool": "numpy", "version": np.__version__, "strategies": {}}
    for name, fn in STRATEGIES.items():
        times = []
        top = None
        for _ in range(args.repeats):
            start = time.perf_counter()
            top = top_k(fn(z), args.k)
            times.append(time.perf_counter() - start)
        times.sort()
        best, median = times[0] * 1e3, times[len(times) // 2] * 1e3
        print(f"  {name:<17} softmax + score + top-{args.k}: min {best:7.2f} ms  median {median:7.2f} ms")
        result["strategies"][name] = {"min_ms": best, "median_ms": median, "top": [int(i) for i in top]}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f)


if __name__ == "__main__":
    main()
