#!/usr/bin/env bash
# Rescoring the pool from stored embeddings, `sift learn` against numpy + sqlite3, on the same
# project file and the same head, one thread each:
#   a project of 100,000 items with stored 384-dimension vectors (a small real ONNX encoder run
#   by `sift embed`), 200 labels over ten classes; then, timed, what `sift learn` does after
#   training: read every stored vector from the project file, predict with the head (standardise,
#   matrix product, softmax, the four uncertainty scores), save every prediction, every unlabeled
#   item's scores and the new queue order. Target: reading and predicting 100,000 x 384 in
#   under 1 s (the issue's "rescores the pool from the stored embeddings"); the save is printed
#   beside it, with its ratio to the baseline.
#
# Sift's times come from `sift learn --json` (rescore.load_seconds, predict_seconds,
# save_seconds; best of REPEATS rounds, each a new head version); numpy's from
# bench/rescore/numpy_rescore.py on the newest head (its head.json), writing the same rows to a
# fresh SQLite file with the project's settings. Prints both, the ratios, and how far numpy's
# probabilities are from those Sift stored; exits 1 when the target is missed.
#
# Usage: SIFT_BIN=target/release/sift bench/rescore/run.sh   (PYTHON: default the project venv;
#        N: items, default 100000; REPEATS: default 3). Outputs go to bench/out/rescore/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${SIFT_BENCH_OUT:-$root/bench/out/rescore}"
n="${N:-100000}"
repeats="${REPEATS:-3}"
sift="${SIFT_BIN:?set SIFT_BIN to a release build of sift}"
python="${PYTHON:-$HOME/.cache/sift/venv/bin/python}"
if ! "$python" -c 'import numpy, onnx' 2>/dev/null; then
    echo "run.sh: $python lacks numpy or onnx (make setup-python creates the venv)" >&2
    exit 2
fi
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMEXPR_NUM_THREADS=1
rm -rf "$out"; mkdir -p "$out"
proj="$out/proj"

echo "== data and project ($n items; not timed)"
"$python" "$root/bench/rescore/make_data.py" "$out" "$n"
"$sift" init "$proj" --template "$root/bench/rescore/template.toml" >/dev/null
"$sift" import "$out/items.jsonl" -p "$proj" >/dev/null
"$sift" annotator add ann -p "$proj" >/dev/null
"$sift" model add "$out/encoder.onnx" --config "$out/encoder.toml" -p "$proj" >/dev/null
"$sift" embed --json --device cpu -p "$proj" >"$out/embed.json"
"$python" -c 'import json,sys; r=json.load(open(sys.argv[1])); print("   sift embed: {:,} vectors of {}".format(r["items_embedded"], r["dim"]))' "$out/embed.json"
# labels.tsv names manifest lines; the items' ids come from the project file.
"$python" - "$proj/project.sift" "$out/labels.tsv" >"$out/labels-by-id.tsv" <<'PY'
import sqlite3, sys
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
ids = dict(con.execute("SELECT source_line, id FROM items"))
for row in open(sys.argv[2]):
    line, cls = row.split()
    print(f"{ids[int(line)]}\t{cls}")
PY
while IFS=$'\t' read -r item class; do
    "$sift" annotate "$item" --as ann --submit --payload "{\"labels\": [\"$class\"]}" -p "$proj" >/dev/null
done <"$out/labels-by-id.tsv"
echo "   $(wc -l <"$out/labels.tsv") labels submitted"

echo "== sift learn (rescoring timed inside; $repeats rounds, each a new head version)"
for seed in $(seq 1 "$repeats"); do
    "$sift" learn --json --features embeddings:encoder@1 --seed "$seed" -p "$proj" >"$out/learn-$seed.json"
done
head_version="$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["heads"][0]["version"])' "$out/learn-$repeats.json")"
read -r encoder_id head_id < <("$python" - "$proj/project.sift" "$head_version" <<'PY'
import sqlite3, sys
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
enc = con.execute("SELECT id FROM model_versions WHERE name = 'encoder' AND version = 1").fetchone()[0]
head = con.execute("SELECT id FROM model_versions WHERE name = 'rescore-bench-head' AND version = ?", (int(sys.argv[2]),)).fetchone()[0]
print(enc, head)
PY
)
onnx="$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["heads"][0]["onnx"])' "$out/learn-$repeats.json")"
head_json="$(dirname "$onnx")/head.json"

echo "== numpy + sqlite3 (best of $repeats)"
"$python" "$root/bench/rescore/numpy_rescore.py" "$proj" "$encoder_id" "$head_id" "$head_json" "$out/numpy.sqlite" \
    --repeats "$repeats" >"$out/numpy.json"

echo "== comparison (one thread each, best of $repeats)"
"$python" - "$out" "$repeats" "$out/numpy.json" <<'PY'
import json
import sys

out, repeats, numpy_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rounds = [json.load(open(f"{out}/learn-{s}.json"))["rescore"] for s in range(1, repeats + 1)]
sift = {
    "read": min(r["load_seconds"] for r in rounds),
    "predict": min(r["predict_seconds"] for r in rounds),
    "save": min(r["save_seconds"] for r in rounds),
    "total": min(r["load_seconds"] + r["predict_seconds"] + r["save_seconds"] for r in rounds),
}
numpy = json.load(open(numpy_file))
rows, dim = numpy["rows"], numpy["dim"]
assert all(r["items_predicted"] == rows for r in rounds), [r["items_predicted"] for r in rounds]
print(f"  rescoring {rows:,} stored vectors of {dim}, {numpy['classes']} classes")
print(f"  {'':<34} {'sift learn':>11} {'numpy+sqlite3':>14} {'speed-up':>9}")
for key, what in (("read", "read the stored vectors"), ("predict", "predict + 4 uncertainty scores"),
                  ("save", "save predictions, scores, order"), ("total", "rescore (all three)")):
    print(f"  {what:<34} {sift[key]:9.3f} s {numpy[key]:12.3f} s {numpy[key] / sift[key]:8.2f}x")
print(f"  probabilities: max |sift - numpy| {numpy['max_abs_probability_difference']:.1e}, "
      f"same top class on {100 * numpy['same_top']:.2f}% of items")
scoring = sift["read"] + sift["predict"]
ok = scoring < 1.0
print(f"  target: rescoring {rows:,} x {dim} from the stored vectors (read + predict) in under 1 s: "
      f"{scoring:.3f} s, {'ok' if ok else 'MISSED'}")
print(f"  saving what it found (predictions, scores, the new order) takes {sift['save']:.3f} s more"
      + (f": SLOWER than numpy + sqlite3 ({numpy['save']:.3f} s)" if sift["save"] > numpy["save"] else ""))
if numpy["max_abs_probability_difference"] > 1e-4:
    print("  MISSED: sift and numpy disagree on the probabilities")
    ok = False
sys.exit(0 if ok else 1)
PY
