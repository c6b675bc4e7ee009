#!/usr/bin/env bash
# sift-al vs numpy: uncertainty scores + top-k on the same float32 logit pool, one thread each.
#
# Builds and runs crates/sift-al/examples/bench_scores.rs (release), which generates the pool
# from a fixed seed and writes it as .npy, then runs bench/al/numpy_baseline.py on that file,
# and prints both timings per strategy (minimum over the repeats), the speed-up, and whether the
# two picked the same top-k items.
#
# Usage: bench/al/run.sh            (1,000,000 x 10, top-100, 7 repeats)
#        ROWS=200000 CLASSES=20 K=50 REPEATS=5 bench/al/run.sh
# Needs python3 with numpy (pip install numpy). Honours CARGO_TARGET_DIR. Outputs go to
# bench/out/al/ (ignored by git): pool.npy, rust.json, numpy.json.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${SIFT_BENCH_OUT:-$root/bench/out/al}"
rows="${ROWS:-1000000}"
classes="${CLASSES:-10}"
k="${K:-100}"
repeats="${REPEATS:-7}"
mkdir -p "$out"

if ! python3 -c 'import numpy' 2>/dev/null; then
    echo "run.sh: python3 with numpy is required (pip install numpy)" >&2
    exit 2
fi

# Single-threaded numpy/BLAS, and no Rust-side threads exist to begin with.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMEXPR_NUM_THREADS=1

echo "== building sift-al bench (release)"
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p sift-al --example bench_scores

echo "== sift-al"
cargo run --quiet --release --manifest-path "$root/Cargo.toml" -p sift-al --example bench_scores -- \
    --rows "$rows" --classes "$classes" --k "$k" --repeats "$repeats" \
    --data "$out/pool.npy" --json "$out/rust.json"

echo "== numpy"
python3 "$root/bench/al/numpy_baseline.py" "$out/pool.npy" --k "$k" --repeats "$repeats" \
    --json "$out/numpy.json"

echo "== comparison (min over $repeats repeats, $rows x $classes, top-$k, one thread)"
python3 - "$out/rust.json" "$out/numpy.json" <<'PY'
import json
import sys

rust = json.load(open(sys.argv[1]))
numpy = json.load(open(sys.argv[2]))
print(f"  {'strategy':<17} {'sift-al ms':>11} {'numpy ms':>10} {'speed-up':>9}  same top-k")
worst = None
for name, r in rust["strategies"].items():
    n = numpy["strategies"][name]
    ratio = n["min_ms"] / r["min_ms"]
    worst = ratio if worst is None else min(worst, ratio)
    same = len(set(r["top"]) & set(n["top"]))
    print(f"  {name:<17} {r['min_ms']:11.2f} {n['min_ms']:10.2f} {ratio:8.1f}x  {same}/{len(n['top'])}")
print(f"  sift-al, all four scores in one pass + four top-k: {rust['fused_min_ms']:.2f} ms "
      f"(numpy, the four one after another: "
      f"{sum(s['min_ms'] for s in numpy['strategies'].values()):.2f} ms)")
print(f"  slowest strategy speed-up: {worst:.1f}x")
PY
