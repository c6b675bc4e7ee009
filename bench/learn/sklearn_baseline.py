"""The scikit-learn side of bench/learn/run.sh, on one thread, minimum over repeats:

1. training: StandardScaler + LogisticRegression(C=1, tol=1e-4, max_iter=500, lbfgs) on
   DIR/train_x.npy (the same settings as sift-learn's defaults);
2. rescoring: scaler.transform + predict_proba on DIR/pool_x.npy (100,000 x 384);
3. the digits simulation written with scikit-learn: 20 seeds x 5 strategies x 40 rounds, the
   same loop as sift_learn::simulate (stratified third held out, pool standardisation, the
   same initial 10 labels for every strategy of a seed, batches of 10, a cold fit per round).

Writes DIR/sklearn.json with the times, the iterations, the labels each strategy needs to reach
90% test accuracy (median over seeds), and how far its probabilities are from sift-learn's
(DIR/train_proba_sift.npy, DIR/pool_proba_sift_head.npy, written by the Rust side first).

Usage: PYTHON bench/learn/sklearn_baseline.py DIR DIGITS_TXT [--repeats N]
"""

import json
import os
import pathlib
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore", category=ConvergenceWarning)
out = pathlib.Path(sys.argv[1])
digits_txt = pathlib.Path(sys.argv[2])
repeats = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 3
assert os.environ.get("OMP_NUM_THREADS") == "1", "run through bench/learn/run.sh (one thread)"


def best_of(n, f):
    best, result = float("inf"), None
    for _ in range(n):
        start = time.perf_counter()
        result = f()
        best = min(best, time.perf_counter() - start)
    return best, result


# 1. Training.
x = np.load(out / "train_x.npy")
y = np.load(out / "train_y.npy")


def train():
    scaler = StandardScaler().fit(x)
    clf = LogisticRegression(C=1.0, tol=1e-4, max_iter=500).fit(scaler.transform(x), y)
    return scaler, clf


train_s, (scaler, clf) = best_of(repeats, train)
proba = clf.predict_proba(scaler.transform(x))
sift_proba = np.load(out / "train_proba_sift.npy")

# 2. Rescoring.
pool = np.load(out / "pool_x.npy")
rescore_s, pool_proba = best_of(repeats, lambda: clf.predict_proba(scaler.transform(pool)))
sift_pool = np.load(out / "pool_proba_sift_head.npy")

# 3. The digits simulation.
lines = digits_txt.read_text().split("\n")
dy = np.array([int(l.split(" ")[0]) for l in lines if l])
dx = np.array([[int(c, 17) for c in l.split(" ")[1]] for l in lines if l], dtype=np.float64)
STRATEGIES = ["random", "least-confidence", "margin", "ratio", "entropy"]


def uncertainty(p, strategy):
    top = -np.sort(-p, axis=1)
    p1 = top[:, 0]
    p2 = top[:, 1] if p.shape[1] > 1 else np.zeros_like(p1)
    n = p.shape[1]
    if strategy == "least-confidence":
        return (1 - p1) * n / max(n - 1, 1)
    if strategy == "margin":
        return 1 - (p1 - p2)
    if strategy == "ratio":
        return p2 / p1
    logs = np.log2(np.where(p > 0, p, 1.0))
    return -(p * logs).sum(1) / max(np.log2(n), 1e-12)


def simulate(seeds=range(20), initial=10, batch=10, rounds=40):
    labels_to_90 = {s: [] for s in STRATEGIES}
    for seed in seeds:
        pool_idx, test_idx = train_test_split(
            np.arange(len(dy)), test_size=1 / 3, stratify=dy, random_state=seed
        )
        sc = StandardScaler().fit(dx[pool_idx])
        px, py = sc.transform(dx[pool_idx]), dy[pool_idx]
        tx, ty = sc.transform(dx[test_idx]), dy[test_idx]
        rng = np.random.default_rng(seed)
        start = list(rng.choice(len(pool_idx), initial, replace=False))
        for strategy in STRATEGIES:
            arm_rng = np.random.default_rng([seed, STRATEGIES.index(strategy)])
            labeled = list(start)
            reached = None
            for r in range(rounds + 1):
                clf = None
                if len(set(py[labeled])) > 1:
                    clf = LogisticRegression(C=1.0, tol=1e-4, max_iter=500).fit(px[labeled], py[labeled])
                    acc = (clf.predict(tx) == ty).mean()
                else:
                    acc = (ty == py[labeled[0]]).mean()
                if reached is None and acc >= 0.9:
                    reached = len(labeled)
                if r == rounds:
                    break
                mask = np.ones(len(pool_idx), bool)
                mask[labeled] = False
                unlabeled = np.flatnonzero(mask)
                if strategy == "random" or clf is None:
                    picks = arm_rng.choice(unlabeled, batch, replace=False)
                else:
                    scores = uncertainty(clf.predict_proba(px[unlabeled]), strategy)
                    picks = unlabeled[np.argsort(-scores, kind="stable")[:batch]]
                labeled.extend(int(p) for p in picks)
            labels_to_90[strategy].append(np.inf if reached is None else reached)
    return {s: float(np.median(v)) for s, v in labels_to_90.items()}


sim_s, labels_to_90 = best_of(1, simulate)
result = {
    "train": {"seconds": train_s, "iterations": int(clf.n_iter_[0]),
              "train_accuracy": float(clf.score(scaler.transform(x), y))},
    "rescore": {"seconds": rescore_s},
    "simulation": {"seconds": sim_s, "labels_to_90": labels_to_90},
    "agreement": {
        "train_max_abs_proba_difference": float(np.abs(proba - sift_proba).max()),
        "train_same_argmax": float((proba.argmax(1) == sift_proba.argmax(1)).mean()),
        "pool_max_abs_proba_difference": float(np.abs(pool_proba[:1000] - sift_pool).max()),
    },
}
(out / "sklearn.json").write_text(json.dumps(result, indent=2))
print(json.dumps(result, indent=2))
