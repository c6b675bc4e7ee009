#!/usr/bin/env python3
"""Writes cases.json: reference values for sift-quality, from the implementations the field uses.

* Krippendorff's alpha: PyPI `krippendorff` (nominal, ordinal, interval; MASI through a custom
  metric calling NLTK's `masi_distance`). Data are units x coders here (the package wants
  coders x units: transposed below), NaN / null for a missing rating.
* Cohen's kappa: `sklearn.metrics.cohen_kappa_score` on the units both coders rated.
* Fleiss' kappa: `statsmodels.stats.inter_rater.fleiss_kappa` on `aggregate_raters`' table.
* Kendall's tau-b: `scipy.stats.kendalltau` (variant "b" is its default).
* Wilson interval: `statsmodels.stats.proportion.proportion_confint(method="wilson")`.
* Median and spread: numpy (`np.median`, `np.std` with ddof=0).
* Matchings (objects, events): `scipy.optimize.linear_sum_assignment` on costs that make one
  more pair worth more than any total of scores; the IoU, distances, name normalisation and
  the character-set span overlap are written out independently here.
* Kemeny: brute force over `itertools.permutations` (lexicographic order, so the first
  optimal order found is the lexicographically smallest); Borda points by counting.

An undefined measure (NaN, or the reference refusing the data as degenerate) is written as
null. Regenerate with:
    ~/.cache/sift/venv/bin/python crates/sift-quality/tests/reference/make_reference.py
`--out PATH` writes elsewhere (the Rust test that re-runs this script uses it). Exit status 3
means a reference package is missing (pip install krippendorff statsmodels nltk scipy
scikit-learn).
"""

import argparse
import importlib.metadata
import itertools
import json
import math
import pathlib
import platform
import sys
import warnings

try:
    import krippendorff
    import numpy as np
    from nltk.metrics.distance import masi_distance
    from scipy.optimize import linear_sum_assignment
    from scipy.stats import kendalltau
    from sklearn.metrics import cohen_kappa_score
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa
    from statsmodels.stats.proportion import proportion_confint
except ImportError as missing:  # pragma: no cover - reported to the Rust test
    print(f"missing reference package: {missing}", file=sys.stderr)
    sys.exit(3)

OUT = pathlib.Path(__file__).with_name("cases.json")
warnings.simplefilter("ignore")  # NaN results are expected for the undefined cases


def num(x):
    """A finite float, or None for NaN (undefined)."""
    x = float(x)
    return None if math.isnan(x) else x


# ---------------------------------------------------------------- Krippendorff's alpha
def alpha_reference(units, level):
    """alpha on a units x coders list (None = missing); None when undefined."""
    coders = len(units[0])
    if level == "masi":
        sets = sorted({frozenset(v) for row in units for v in row if v is not None}, key=sorted)
        ids = {s: i for i, s in enumerate(sets)}
        data = [[np.nan if row[c] is None else ids[frozenset(row[c])] for row in units] for c in range(coders)]

        def metric(v1, v2, i1, i2, n_v, dtype=np.float64):
            def d(a, b):
                a, b = sets[int(a)], sets[int(b)]
                return 0.0 if a == b else masi_distance(set(a), set(b))  # NLTK divides by 0 on two empty sets

            return np.vectorize(d)(v1, v2).astype(dtype)

        level_arg, value_domain = metric, list(range(len(sets)))
    else:
        if level == "nominal":
            # Labels may be strings: code them (nominal alpha ignores the codes' order).
            labels = sorted({str(v) for row in units for v in row if v is not None})
            code = {s: i for i, s in enumerate(labels)}
            cell = lambda v: np.nan if v is None else code[str(v)]  # noqa: E731
        else:
            cell = lambda v: np.nan if v is None else float(v)  # noqa: E731
        data = [[cell(row[c]) for row in units] for c in range(coders)]
        level_arg, value_domain = level, None
    try:
        return num(krippendorff.alpha(reliability_data=np.array(data, dtype=float), level_of_measurement=level_arg,
                                      value_domain=value_domain))
    except ValueError:  # one value in the domain, or no unit with two ratings
        return None


def random_units(rng, units, coders, values, missing):
    out = []
    for _ in range(units):
        truth = rng.integers(0, len(values))
        row = []
        for _ in range(coders):
            if rng.random() < missing:
                row.append(None)
            elif rng.random() < 0.6:
                row.append(values[truth])
            else:
                row.append(values[rng.integers(0, len(values))])
        out.append(row)
    return out


def alpha_cases(rng):
    k2011 = [  # Krippendorff (2011): 4 coders x 12 units, transposed
        [1, 1, None, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
        [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [None, 5, 5, 5], [None, None, 1, 1], [None, 3, None, None],
    ]
    wiki = [  # the package's docstring example: 3 coders x 15 units, transposed
        [None, 1, None], [None, None, None], [None, 2, 2], [None, 1, 1], [None, 3, 3], [3, 3, 4], [4, 4, 4],
        [1, 3, None], [2, None, 2], [1, None, 1], [1, None, 1], [3, None, 3], [3, None, 3], [None, None, None],
        [3, None, 4],
    ]
    cases = []

    def add(name, level, units):
        cases.append({"name": name, "level": level, "units": units, "expected": alpha_reference(units, level)})

    for level in ("nominal", "ordinal", "interval"):
        add(f"Krippendorff 2011 example, {level}", level, k2011)
        add(f"package docstring example, {level}", level, wiki)
        for i, (units, coders, missing) in enumerate([(30, 5, 0.3), (12, 3, 0.0), (60, 8, 0.6), (7, 2, 0.2)]):
            add(f"random {units}x{coders}, {int(missing * 100)}% missing #{i}, {level}", level,
                random_units(rng, units, coders, [1, 2, 3, 4, 5], missing))
        add(f"one unit, three coders, {level}", level, [[1, 2, 2]])
        add(f"one unit, two coders disagreeing, {level}", level, [[1, 3]])
        add(f"one unit, unanimous (undefined), {level}", level, [[3, 3, 3]])
        add(f"no unit with two ratings (undefined), {level}", level, [[1, None], [None, 2], [3, None]])
        add(f"pairable values all equal, another value unpairable (undefined), {level}", level,
            [[2, 2], [2, 2], [5, None]])
    add("string labels with missing, nominal", "nominal",
        random_units(rng, 25, 4, ["cat", "dog", "bird"], 0.25))
    add("ranks 1-4 with ties, ordinal", "ordinal", random_units(rng, 40, 3, [1, 2, 3, 4], 0.1))
    add("interval, real-valued scores", "interval",
        [[None if rng.random() < 0.2 else round(float(rng.normal(3.0, 1.5)), 3) for _ in range(4)]
         for _ in range(20)])
    add("interval, large offset", "interval", [[1e6 + v for v in row] for row in [[1, 2, 1], [3, 3, 2], [5, 4, 5]]])
    labels = ["a", "b", "c", "d"]
    for i, (units, coders, missing) in enumerate([(25, 3, 0.2), (40, 5, 0.4)]):
        rows = []
        for _ in range(units):
            base = {l for l in labels if rng.random() < 0.4}
            row = []
            for _ in range(coders):
                if rng.random() < missing:
                    row.append(None)
                else:
                    s = set(base)
                    if rng.random() < 0.5:
                        s ^= {labels[rng.integers(0, 4)]}
                    row.append(sorted(s))
            rows.append(row)
        add(f"label sets with empty sets and missing #{i}, masi", "masi", rows)
    add("label sets, one unit", "masi", [[["a", "b"], ["a"], ["b", "c"]]])
    add("label sets, identical (undefined)", "masi", [[["a"], ["a"]], [["a"], ["a"]]])
    return cases


# ---------------------------------------------------------------- kappas, tau, Wilson
def cohen_cases(rng):
    cases = []

    def add(name, a, b):
        pairs = [(x, y) for x, y in zip(a, b) if x is not None and y is not None]
        expected = None
        if pairs:
            expected = num(cohen_kappa_score([str(x) for x, _ in pairs], [str(y) for _, y in pairs]))
        cases.append({"name": name, "a": a, "b": b, "expected": expected})

    for i, (n, missing) in enumerate([(50, 0.0), (30, 0.3), (8, 0.1), (200, 0.2)]):
        rows = random_units(rng, n, 2, ["pos", "neg", "neutral"], missing)
        add(f"random three labels #{i}", [r[0] for r in rows], [r[1] for r in rows])
    add("one unit, same label (undefined)", ["a"], ["a"])
    add("one unit, different labels", ["a"], ["b"])
    add("no shared unit (undefined)", ["a", None], [None, "b"])
    add("systematic disagreement", ["a", "b", "a", "b"], ["b", "a", "b", "a"])
    add("one coder uses one label", ["a", "a", "a", "a"], ["a", "b", "a", "a"])
    return cases


def fleiss_cases(rng):
    cases = []

    def add(name, units):
        rated = [[v for v in row if v is not None] for row in units]
        rated = [r for r in rated if r]
        if len({len(r) for r in rated}) > 1:
            expected = "unequal-raters"
        else:
            table, _ = aggregate_raters(np.array(rated))
            expected = num(fleiss_kappa(table, method="fleiss"))
        cases.append({"name": name, "units": units, "expected": expected})

    for i, (n, raters, coders) in enumerate([(30, 3, 3), (20, 4, 6), (50, 5, 9), (6, 2, 4)]):
        units = []
        for row in random_units(rng, n, raters, [1, 2, 3], 0.0):
            cells = [None] * coders
            for slot, v in zip(rng.permutation(coders)[:raters], row):
                cells[int(slot)] = v
            units.append(cells)
        add(f"random, {raters} ratings per unit among {coders} coders #{i}", units)
    add("one unit", [[1, 1, 2]])
    add("unrated units are skipped", [[None, None, None], [1, 2, 2], [2, 2, 2]])
    add("all the same (undefined)", [[1, 1], [1, 1]])
    add("unequal ratings per unit", [[1, 1, None], [1, 2, 2]])
    return cases


def kendall_cases(rng):
    cases = []

    def add(name, x, y):
        cases.append({"name": name, "x": x, "y": y, "expected": num(kendalltau(x, y).statistic)})

    for i, n in enumerate([2, 3, 4, 5, 6, 8, 12]):
        x = [int(v) for v in rng.integers(1, max(2, n // 2) + 1, n)]  # ties likely
        y = [int(v) for v in rng.permutation(n) + 1]
        add(f"random n={n} #{i}", x, y)
        add(f"random n={n}, ties on both sides #{i}", x, [int(v) for v in rng.integers(1, 4, n)])
    add("identical", [1, 2, 3, 4], [1, 2, 3, 4])
    add("reversed", [1, 2, 3, 4], [4, 3, 2, 1])
    add("one ranking all tied (undefined)", [1, 1, 1], [1, 2, 3])
    return cases


def wilson_cases():
    out = []
    for successes, trials in [(0, 5), (5, 5), (3, 10), (8, 10), (12, 20), (97, 100), (1, 1), (0, 1), (250, 1000)]:
        lower, upper = proportion_confint(successes, trials, alpha=0.05, method="wilson")
        out.append({"successes": successes, "trials": trials, "lower": float(lower), "upper": float(upper)})
    return out


def stats_cases(rng):
    lists = [[3.0], [4.0, 1.0], [5.0, 2.0, 9.0, 1.0, 7.0], [float(v) for v in rng.integers(0, 100, 10)],
             [round(float(v), 3) for v in rng.exponential(40_000, 11)]]
    return [{"values": v, "median": float(np.median(v)), "mean": float(np.mean(v)), "sd": float(np.std(v))}
            for v in lists]


# ---------------------------------------------------------------- spans, objects, events
def span_cases(rng):
    cases = []

    def add(a, b):
        ca = {c for s, e in a for c in range(s, e)}
        cb = {c for s, e in b for c in range(s, e)}
        if not ca and not cb:
            expected = None
        else:
            common = len(ca & cb)
            expected = {"overlap": common, "left": len(ca), "right": len(cb), "f1": 2 * common / (len(ca) + len(cb))}
        cases.append({"a": a, "b": b, "expected": expected})

    for _ in range(25):
        spans = []
        for _side in range(2):
            side = []
            for _ in range(int(rng.integers(0, 4))):
                start = int(rng.integers(0, 180))
                side.append([start, start + int(rng.integers(0, 30))])
            spans.append(side)
        add(*spans)
    add([[0, 10], [5, 20]], [[10, 12]])
    add([], [])
    add([[4, 4]], [[3, 9]])
    return cases


def normalize(name):
    words = "".join(c if c.isalnum() else " " for c in name.lower()).split()
    if len(words) > 1 and words[0] in ("a", "an", "the"):
        words = words[1:]
    return " ".join(words)


def best_matching(n, m, score):
    """(number of pairs, total score) of the best matching: most pairs, then highest total."""
    if n == 0 or m == 0:
        return 0, 0.0
    big = min(n, m) + 1.0
    cost = np.zeros((n, m))
    for i in range(n):
        for j in range(m):
            s = score(i, j)
            if s is not None:
                cost[i, j] = -(big + s)
    rows, cols = linear_sum_assignment(cost)
    pairs = [(i, j) for i, j in zip(rows, cols) if score(i, j) is not None]
    return len(pairs), float(sum(score(i, j) for i, j in pairs))


def object_cases(rng):
    vocab = ["Dog", "the dog", "dog!", "cat", "A cat", "red car", "Red-Car", "tree", "lamp", "Café"]
    cases = []
    for k in range(20):
        # The second annotator marks most of the first one's objects again, nearby, under a
        # variant of the name, and adds some of their own.
        a = [[round(float(rng.uniform(0, 100)), 2), round(float(rng.uniform(0, 100)), 2),
              vocab[int(rng.integers(0, len(vocab)))]] for _ in range(int(rng.integers(0, 7)))]
        b = []
        for x, y, name in a:
            if rng.random() < 0.75:
                variant = name if rng.random() < 0.5 else vocab[int(rng.integers(0, len(vocab)))]
                b.append([round(x + float(rng.normal(0, 12)), 2), round(y + float(rng.normal(0, 12)), 2), variant])
        b += [[round(float(rng.uniform(0, 100)), 2), round(float(rng.uniform(0, 100)), 2),
               vocab[int(rng.integers(0, len(vocab)))]] for _ in range(int(rng.integers(0, 3)))]
        b = [b[int(i)] for i in rng.permutation(len(b))]
        names = "normalized" if k % 2 == 0 else "ignore"
        radius = 25.0

        def score(i, j):
            if names == "normalized" and normalize(a[i][2]) != normalize(b[j][2]):
                return None
            d = math.hypot(a[i][0] - b[j][0], a[i][1] - b[j][1])
            return 1.0 - d / radius if d <= radius else None

        matched, total = best_matching(len(a), len(b), score)
        cases.append({"a": a, "b": b, "radius": radius, "names": names, "matched": matched, "total_score": total})
    return cases


def iou(a, b):
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = (a[1] - a[0]) + (b[1] - b[0]) - inter
    if union <= 0:
        return 1.0 if a[0] == b[0] else 0.0
    return inter / union


def event_cases(rng):
    cases = []
    for k in range(20):
        # The second annotator logs most of the same events with shifted boundaries, and more.
        def event():
            start = round(float(rng.uniform(0, 60)), 1)
            length = 0.0 if rng.random() < 0.1 else round(float(rng.exponential(6.0)), 1)
            return [start, round(start + length, 1)]

        a = [event() for _ in range(int(rng.integers(0, 7)))]
        b = []
        for start, end in a:
            if rng.random() < 0.8:
                s0 = round(max(0.0, start + float(rng.normal(0, 1.5))), 1)
                b.append([s0, round(max(s0, end + float(rng.normal(0, 1.5))), 1)])
        b += [event() for _ in range(int(rng.integers(0, 3)))]
        b = [b[int(i)] for i in rng.permutation(len(b))]
        threshold = [0.5, 0.3, 0.7][k % 3]

        def score(i, j):
            v = iou(a[i], b[j])
            return v if v >= threshold else None

        matched, total = best_matching(len(a), len(b), score)
        cases.append({"a": a, "b": b, "threshold": threshold, "matched": matched, "total_iou": total})
    return cases


# ---------------------------------------------------------------- rankings
def ranking_cases(rng):
    cases = []
    for k in range(30):
        n = int(rng.integers(1, 7))
        voters = int(rng.integers(1, 6))
        rankings = []
        for _ in range(voters):
            if rng.random() < 0.3:  # a ranking with ties (dense ranks)
                raw = rng.integers(1, max(2, n), n)
                dense = {v: i + 1 for i, v in enumerate(sorted(set(raw.tolist())))}
                rankings.append([dense[v] for v in raw.tolist()])
            else:
                rankings.append([int(v) + 1 for v in rng.permutation(n)])
        # Twice the distance, in integers: a pair the voter tied costs 1, a reversed pair 2.
        def twice_distance(order):
            position = {r: p for p, r in enumerate(order)}
            total = 0
            for r in rankings:
                for i in range(n):
                    for j in range(n):
                        if i != j and position[i] < position[j]:
                            total += 2 if r[j] < r[i] else (1 if r[j] == r[i] else 0)
            return total

        costs = [(twice_distance(p), p) for p in itertools.permutations(range(n))]
        best = min(c for c, _ in costs)
        optimal = [p for c, p in costs if c == best]
        borda = [sum(sum(1.0 if r[i] < r[j] else 0.5 if r[i] == r[j] else 0.0 for j in range(n) if j != i)
                     for r in rankings) for i in range(n)]
        cases.append({"rankings": rankings, "distance": best / 2, "optimal_orders": len(optimal),
                      "order": list(optimal[0]), "borda_points": borda})
    return cases


def versions():
    out = {"python": platform.python_version()}
    for package in ["numpy", "krippendorff", "scikit-learn", "statsmodels", "scipy", "nltk"]:
        out[package] = importlib.metadata.version(package)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    out = parser.parse_args().out
    rng = np.random.default_rng(20_260_518)
    fixture = {
        "versions": versions(),
        "alpha": alpha_cases(rng),
        "cohen": cohen_cases(rng),
        "fleiss": fleiss_cases(rng),
        "kendall": kendall_cases(rng),
        "wilson": wilson_cases(),
        "stats": stats_cases(rng),
        "spans": span_cases(rng),
        "objects": object_cases(rng),
        "events": event_cases(rng),
        "rankings": ranking_cases(rng),
    }
    # One case per line: small diffs, readable.
    parts = []
    for key, value in fixture.items():
        if isinstance(value, list):
            body = ",\n".join(json.dumps(c, separators=(",", ":")) for c in value)
            parts.append(f'"{key}":[\n{body}\n]')
        else:
            parts.append(f'"{key}":{json.dumps(value, separators=(",", ":"))}')
    out.write_text("{" + ",\n".join(parts) + "}\n")
    counts = {k: len(v) for k, v in fixture.items() if isinstance(v, list)}
    print(f"wrote {out}: {counts}")


if __name__ == "__main__":
    main()
