#!/usr/bin/env python3
"""Writes cases.json: numpy reference values for sift-al's uncertainty scores.

Each case is a float32 matrix (exactly what the Rust test feeds to `score_rows`) plus the
expected per-row result, computed here in float64 from those float32 values with a plain,
independent numpy implementation:

* logits: max-shifted softmax in float64;
* probabilities: the same validation rules as sift-al (non-finite -> error; a value below
  -TOLERANCE -> error; values in [-TOLERANCE, 0) count as 0; |sum - 1| > TOLERANCE -> error),
  then renormalised by the float64 sum;
* scores with p1 >= p2 the two largest probabilities and n classes:
  least-confidence (1 - p1) * n / (n - 1), margin 1 - (p1 - p2), ratio p2 / p1,
  entropy -sum(p log2 p) / log2 n with 0 log 0 = 0; n == 1 scores 0 everywhere.

Non-finite inputs are written as the strings "nan", "inf", "-inf" (JSON has no such numbers).
Regenerate with: python3 crates/sift-al/tests/reference/make_reference.py
"""

import json
import math
import pathlib

import numpy as np

TOLERANCE = 1e-3  # sift_al::PROBABILITY_TOLERANCE
OUT = pathlib.Path(__file__).with_name("cases.json")


def encode(value):
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def scores_from_probabilities(q):
    n = q.shape[0]
    if n == 1:
        return {"least-confidence": 0.0, "margin": 0.0, "ratio": 0.0, "entropy": 0.0}
    top = np.sort(q)[::-1]
    p1, p2 = top[0], top[1]
    positive = q[q > 0]
    entropy = -np.sum(positive * np.log2(positive)) / np.log2(n)
    return {
        "least-confidence": float((1.0 - p1) * n / (n - 1)),
        "margin": float(1.0 - (p1 - p2)),
        "ratio": float(p2 / p1),
        "entropy": float(entropy) + 0.0,  # no -0.0 in the fixture
    }


def expected_row(row32, kind):
    row = row32.astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(row))
    if bad.size:
        return {"error": "non-finite", "column": int(bad[0])}
    if kind == "logits":
        e = np.exp(row - row.max())
        return scores_from_probabilities(e / e.sum())
    negative = np.flatnonzero(row < -TOLERANCE)
    if negative.size:
        return {"error": "negative", "column": int(negative[0])}
    p = np.where(row > 0, row, 0.0)
    total = p.sum()
    if abs(total - 1.0) > TOLERANCE:
        return {"error": "not-normalised", "sum": float(total)}
    return scores_from_probabilities(p / total)


def case(name, kind, rows):
    matrix = np.asarray(rows, dtype=np.float32)
    assert matrix.ndim == 2, name
    return {
        "name": name,
        "input": kind,
        "n_classes": int(matrix.shape[1]),
        "matrix": [[encode(v) for v in row] for row in matrix],
        "expected": [expected_row(row, kind) for row in matrix],
    }


def dirichlet_rows(rng, n_rows, n_classes):
    p = rng.dirichlet(np.full(n_classes, 0.7), size=n_rows).astype(np.float32)
    return p / p.sum(axis=1, keepdims=True)


def main():
    rng = np.random.default_rng(20_240_611)
    nan, inf = float("nan"), float("inf")
    cases = [
        # ---- logits -------------------------------------------------------------------
        case("logits: two classes", "logits",
             [[2.0, -1.0], [0.0, 0.0], [-3.5, 4.25], [10.0, 10.001], [0.0, -30.0]]),
        case("logits: ties", "logits",
             [[1.0, 1.0, 0.0], [2.0, 2.0, 2.0], [3.0, 1.0, 3.0], [5.0, 5.0, 4.999], [-1.0, 0.0, 0.0]]),
        case("logits: zeros and uniform rows", "logits",
             [[0.0] * 4, [7.5] * 4, [-7.5] * 4]),
        case("logits: one-hot like", "logits",
             [[100.0, 0.0, 0.0, 0.0], [0.0, 100.0, 0.0, 0.0], [88.0, 0.0, 0.0, 0.0],
              [20.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 12.0]]),
        case("logits: very large magnitudes", "logits",
             [[1e30, -1e30, 0.0], [1e30, 1e30, -1e30], [3e38, -3e38, 0.0], [-3e38, -3e38, -3e38],
              [1e4, 1e4 - 1.0, 1e4 - 2.0], [-1e30, -1e30 + 1e24, -1e30], [1e30, 0.0, -1e30]]),
        case("logits: non-finite rows are errors", "logits",
             [[nan, 0.0, 0.0], [0.0, inf, 0.0], [0.0, 0.0, -inf], [1.0, 2.0, 3.0], [inf, -inf, nan]]),
        case("logits: single class", "logits", [[3.0], [-1e30], [0.0]]),
        case("logits: random, 7 classes, ragged last block", "logits",
             (rng.standard_normal((37, 7)) * 3.0).tolist()),
        case("logits: random, 10 classes", "logits",
             (rng.standard_normal((24, 10)) * 2.0 + np.eye(24, 10) * 4.0).tolist()),
        case("logits: random, 1000 classes", "logits",
             (np.round(rng.standard_normal((3, 1000)) * 4.0 * 256) / 256).tolist()),
        # From 2048 classes on, sift-al scores row by row instead of in transposed blocks.
        case("logits: random, 2500 classes (long-row path)", "logits",
             (np.round(rng.standard_normal((2, 2500)) * 3.0 * 256) / 256).tolist()),
        # ---- probabilities ------------------------------------------------------------
        case("probabilities: one-hot rows", "probabilities",
             [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
        case("probabilities: uniform rows", "probabilities",
             [[1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0.0]]),
        case("probabilities: uniform over four", "probabilities", [[0.25] * 4]),
        case("probabilities: zeros in rows", "probabilities",
             [[0.5, 0.5, 0.0, 0.0], [0.7, 0.3, 0.0, 0.0], [0.0, 0.0, 0.1, 0.9]]),
        case("probabilities: two classes", "probabilities",
             [[0.9, 0.1], [0.5, 0.5], [0.0, 1.0], [0.999, 0.001]]),
        case("probabilities: ties", "probabilities",
             [[0.4, 0.4, 0.2], [0.2, 0.4, 0.4], [0.3, 0.3, 0.4]]),
        case("probabilities: within tolerance is renormalised", "probabilities",
             [[0.5, 0.3, 0.2005], [0.4995, 0.3, 0.2], [0.7, 0.3, -1e-4]]),
        case("probabilities: invalid rows are errors", "probabilities",
             [[0.6, 0.6, -0.2], [0.5, 0.3, 0.1], [nan, 0.5, 0.5], [0.5, inf, 0.5], [0.2, 0.3, 0.5],
              [1.5, 0.0, 0.0], [0.4, -0.01, 0.61]]),
        case("probabilities: single class", "probabilities", [[1.0], [0.9995], [0.5], [-0.2]]),
        case("probabilities: four strategies disagree", "probabilities",
             [[0.18, 0.43, 0.16, 0.23], [0.27, 0.26, 0.39, 0.08], [0.09, 0.33, 0.42, 0.16],
              [0.51, 0.05, 0.41, 0.03]]),
        case("probabilities: random dirichlet, 6 classes", "probabilities",
             dirichlet_rows(rng, 29, 6).tolist()),
        case("probabilities: 2500 classes (long-row path)", "probabilities",
             [[0.5] + [2.0**-12] * 2048 + [0.0] * 451, [0.0] * 400 + [2.0**-11] * 2048 + [0.0] * 52]),
    ]
    # One compact case per line: small, and diffs stay readable.
    lines = [json.dumps(c, separators=(",", ":")) for c in cases]
    OUT.write_text('{"tolerance":1e-6,"cases":[\n' + ",\n".join(lines) + "\n]}\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
