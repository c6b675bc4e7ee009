"""Writes cases.json: scikit-learn's answers on fixed data, for tests/reference.rs.

Every case is trained with scikit-learn (StandardScaler fitted on the training rows, then
LogisticRegression with lbfgs at a tight tolerance, so both sides reach the optimum) and the
expected probabilities (or rewards) are recorded for the training and the held-out rows.

Run from the repository root with the project venv:
    ~/.cache/sift/venv/bin/python crates/sift-learn/tests/reference/make_reference.py
"""

import json
import pathlib

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import StandardScaler

TOL = 1e-10
MAX_ITER = 100_000
rng = np.random.default_rng(20240611)


def features(n, d, shift=3.0):
    x = rng.normal(size=(n, d))
    x *= rng.uniform(0.1, 20.0, size=d)  # very different column scales
    x += rng.uniform(-shift, shift, size=d) * 10
    return np.round(x, 3)  # short numbers in the fixture; both sides train on these values


def classes_from(x, k, noise=1.5, bias=None):
    w = rng.normal(size=(x.shape[1], k))
    z = (x - x.mean(0)) / x.std(0) @ w + rng.normal(scale=noise, size=(x.shape[0], k))
    if bias is not None:
        z += np.asarray(bias)
    return z.argmax(1)


def classifier_case(name, n, d, k, c, class_weight=None, ids=None, constant_column=False, n_test=30, bias=None):
    x = features(n + n_test, d)
    y = classes_from(x, k, bias=bias)
    if constant_column:
        x[:, 1] = 7.0
    if ids is not None:
        y = np.asarray(ids)[y]
    xtr, ytr, xte = x[:n], y[:n], x[n:]
    scaler = StandardScaler().fit(xtr)
    clf = LogisticRegression(C=c, class_weight=class_weight, tol=TOL, max_iter=MAX_ITER)
    clf.fit(scaler.transform(xtr), ytr)
    cw = None
    if isinstance(class_weight, dict):
        cw = {str(k): v for k, v in class_weight.items()}
    return {
        "name": name,
        "kind": "single-label",
        "d": d,
        "c": c,
        "class_weight": class_weight if isinstance(class_weight, str) or class_weight is None else cw,
        "x_train": xtr.tolist(),
        "labels": ytr.tolist(),
        "x_test": xte.tolist(),
        "classes": clf.classes_.tolist(),
        "proba_train": clf.predict_proba(scaler.transform(xtr)).tolist(),
        "proba_test": clf.predict_proba(scaler.transform(xte)).tolist(),
        "mean": scaler.mean_.tolist(),
        "scale": scaler.scale_.tolist(),
    }


def multilabel_case(name, n, d, labels, c, n_test=30):
    x = features(n + n_test, d)
    z = (x - x.mean(0)) / x.std(0) @ rng.normal(size=(d, labels)) + rng.normal(size=(n + n_test, labels))
    y = (z > 0.3).astype(int)
    xtr, ytr, xte = x[:n], y[:n], x[n:]
    scaler = StandardScaler().fit(xtr)
    clf = OneVsRestClassifier(LogisticRegression(C=c, tol=TOL, max_iter=MAX_ITER)).fit(scaler.transform(xtr), ytr)
    return {
        "name": name,
        "kind": "multi-label",
        "d": d,
        "c": c,
        "class_weight": None,
        "x_train": xtr.tolist(),
        "labels": ytr.tolist(),
        "x_test": xte.tolist(),
        "classes": list(range(labels)),
        "proba_train": clf.predict_proba(scaler.transform(xtr)).tolist(),
        "proba_test": clf.predict_proba(scaler.transform(xte)).tolist(),
        "mean": scaler.mean_.tolist(),
        "scale": scaler.scale_.tolist(),
    }


def reward_case(name, n, d, n_pairs, c):
    """Bradley-Terry: sklearn on the symmetrised differences of standardised features.

    sift-learn's objective is C * sum_pairs loss + |w|^2 / 2; scikit-learn on the 2m
    symmetrised rows (d, 1) and (-d, 0) without intercept has objective
    C' * 2 * sum_pairs loss + |w|^2 / 2, so C' = C / 2.
    """
    x = features(n, d)
    scaler = StandardScaler().fit(x)
    xs = scaler.transform(x)
    true_w = rng.normal(size=d)
    pairs = []
    while len(pairs) < n_pairs:
        i, j = rng.choice(n, 2, replace=False)
        p = 1 / (1 + np.exp(-(xs[i] - xs[j]) @ true_w))
        pairs.append((int(i), int(j)) if rng.uniform() < p else (int(j), int(i)))
    diff = np.array([xs[w] - xs[l] for w, l in pairs])
    clf = LogisticRegression(C=c / 2, fit_intercept=False, tol=TOL, max_iter=MAX_ITER)
    clf.fit(np.vstack([diff, -diff]), np.r_[np.ones(len(pairs)), np.zeros(len(pairs))])
    return {
        "name": name,
        "kind": "reward",
        "d": d,
        "c": c,
        "x": x.tolist(),
        "pairs": pairs,
        "rewards": (xs @ clf.coef_[0]).tolist(),
        "weights": clf.coef_[0].tolist(),
    }


cases = [
    classifier_case("multinomial-4-classes", 150, 6, 4, 1.0),
    classifier_case("multinomial-strong-l2-balanced", 200, 5, 3, 0.05, class_weight="balanced", bias=[2.5, 0.0, -1.0]),
    classifier_case("multinomial-weak-l2-sparse-ids", 120, 8, 5, 100.0, ids=[2, 5, 9, 11, 40]),
    classifier_case("binary-class-weights", 90, 4, 2, 3.0, class_weight={0: 1.0, 1: 3.5}),
    classifier_case("binary-constant-column", 60, 3, 2, 1.0, constant_column=True, ids=[7, 3]),
    multilabel_case("multi-label-3", 140, 5, 3, 0.5),
    reward_case("reward-bradley-terry", 40, 4, 300, 1.0),
    reward_case("reward-strong-l2", 30, 6, 80, 0.1),
]
out = pathlib.Path(__file__).with_name("cases.json")
out.write_text(json.dumps({
    "generator": f"scikit-learn {sklearn.__version__}, numpy {np.__version__}",
    "tolerance": 1e-4,
    "cases": cases,
}))
print(f"wrote {out} ({out.stat().st_size} bytes, {len(cases)} cases)")
