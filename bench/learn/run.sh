#!/usr/bin/env bash
# sift-learn vs scikit-learn, one thread each, on the same data:
#   1. head training: 10,000 x 384 embedding-like rows, ten classes (target: under 2 s);
#   2. rescoring 100,000 x 384 rows in memory, the head alone (target: under 1 s; bench/rescore
#      measures the whole of it: stored vectors read from the project file, scores and order saved);
#   3. the digits simulation, 20 seeds x 5 strategies x 40 rounds (target: under 10 s), and its
#      figure: margin or ratio reaches 90% test accuracy with at least 35% fewer labels than
#      random (median over seeds).
#
# bench/learn/make_data.py writes the data (numpy, fixed seed); the Rust side
# (crates/sift-learn/examples/bench_learn.rs, release) times its part and writes the head's
# probabilities; bench/learn/sklearn_baseline.py times scikit-learn's and compares. Prints both
# times, the ratios, the agreement of the probabilities, every strategy's labels to 90%, and
# exits 1 when a target is missed.
#
# Usage: bench/learn/run.sh      (PYTHON: an interpreter with numpy and scikit-learn; default
#                                  the project venv, then python3; REPEATS: default 3)
# Honours CARGO_TARGET_DIR. Outputs go to bench/out/learn/ (ignored by git).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${SIFT_BENCH_OUT:-$root/bench/out/learn}"
repeats="${REPEATS:-3}"
python="${PYTHON:-}"
if [ -z "$python" ]; then
    if [ -x "$HOME/.cache/sift/venv/bin/python" ]; then python="$HOME/.cache/sift/venv/bin/python"; else python=python3; fi
fi
if ! "$python" -c 'import numpy, sklearn' 2>/dev/null; then
    echo "run.sh: $python lacks numpy or scikit-learn (make setup-python creates the venv)" >&2
    exit 2
fi
mkdir -p "$out"
# One thread on both sides: no BLAS threads for numpy / scikit-learn, none spawned by sift-learn.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMEXPR_NUM_THREADS=1

echo "== data (numpy, fixed seed)"
"$python" "$root/bench/learn/make_data.py" "$out"

echo "== building sift-learn bench (release)"
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p sift-learn --example bench_learn
target="${CARGO_TARGET_DIR:-$root/target}"

echo "== sift-learn"
"$target/release/examples/bench_learn" --out "$out" --repeats "$repeats" >"$out/simulation.txt"
echo "   (the simulation report: $out/simulation.txt)"

echo "== scikit-learn"
"$python" "$root/bench/learn/sklearn_baseline.py" "$out" "$root/crates/sift-learn/tests/fixtures/digits.txt" \
    --repeats "$repeats" >/dev/null

echo "== comparison (one thread, minimum over $repeats repeats; the simulations run once)"
"$python" - "$out/rust.json" "$out/sklearn.json" <<'PY'
import json
import sys

rust = json.load(open(sys.argv[1]))
sk = json.load(open(sys.argv[2]))
missed = []


def row(name, ours, theirs, target):
    ok = ours < target
    if not ok:
        missed.append(name)
    print(f"  {name:<44} {ours:9.3f} s {theirs:9.3f} s {theirs / ours:8.1f}x   "
          f"target < {target:g} s: {'ok' if ok else 'MISSED'}")


print(f"  {'':<44} {'sift-learn':>11} {'sklearn':>11} {'speed-up':>9}")
t = rust["train"]
row(f"train {t['rows']:,} x {t['dim']}, {t['classes']} classes", t["seconds"], sk["train"]["seconds"], 2.0)
r = rust["rescore"]
row(f"rescore {r['rows']:,} x {r['dim']}", r["seconds"], sk["rescore"]["seconds"], 1.0)
s = rust["simulation"]
row(f"digits simulation {s['seeds']} x {s['arms']} x {s['rounds']}", s["seconds"], sk["simulation"]["seconds"], 10.0)
print(f"  {'  (sift-learn with cold starts, like sklearn)':<44} {s['seconds_cold']:9.3f} s "
      f"{sk['simulation']['seconds']:9.3f} s {sk['simulation']['seconds'] / s['seconds_cold']:8.1f}x")
print(f"  training iterations: sift-learn {t['iterations']} (converged: {t['converged']}), "
      f"sklearn {sk['train']['iterations']}; sklearn training accuracy {sk['train']['train_accuracy']:.3f}")
a = sk["agreement"]
print(f"  probabilities, sift-learn vs sklearn (both at tol 1e-4): max |difference| "
      f"{a['train_max_abs_proba_difference']:.1e} on the training rows, "
      f"{a['pool_max_abs_proba_difference']:.1e} on 1,000 pool rows; same argmax on "
      f"{100 * a['train_same_argmax']:.2f}% of rows")
print("\n  labels to reach 90% test accuracy on digits (median over 20 seeds)")
print(f"  {'strategy':<18} {'sift-learn':>11} {'(cold)':>8} {'sklearn':>9}   vs random (sift-learn)")
random = s["labels_to_90"]["random"]
for name in ["random", "least-confidence", "margin", "ratio", "entropy"]:
    v = s["labels_to_90"][name]
    if name == "random":
        saved = ""
    elif v is None:
        saved = "not reached by half of the seeds"
    elif v > random:
        saved = f"{100 * (v / random - 1):.0f}% MORE labels (WORSE than random)"
    else:
        saved = f"{100 * (1 - v / random):.0f}% fewer labels"
    print(f"  {name:<18} {v or float('nan'):11.0f} {s['labels_to_90_cold'][name] or float('nan'):8.0f} "
          f"{sk['simulation']['labels_to_90'][name]:9.0f}   {saved}")
best = min(s["labels_to_90"]["margin"] or 1e9, s["labels_to_90"]["ratio"] or 1e9)
saving = 1 - best / random
print(f"\n  margin or ratio vs random: {100 * saving:.0f}% fewer labels (target: at least 35%): "
      f"{'ok' if saving >= 0.35 else 'MISSED'}")
if saving < 0.35:
    missed.append("digits labels saved")
if missed:
    print("  MISSED: " + ", ".join(missed))
    sys.exit(1)
PY
