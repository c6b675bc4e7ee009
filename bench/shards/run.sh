#!/usr/bin/env bash
# Scoring in shards (issue 19): 1, 2 and 4 local `sift score --shard I/N --from-bucket`
# workers against a local Garage, beside the baseline, one `sift score` process over the same
# project, in the same run:
#
#   baseline   sift score -p PROJECT (one process, every core)
#   W workers  W processes at once, each --threads 1 --workers 1, started together; the time
#              is from the start to the last one's exit (pulling the model and the pool
#              included), then the lead's `sift sync pull` that merges their segments
#
# The pool: ITEMS (default 400,000) digit items of 64 features (the digits classifier of the
# scoring tests). Each worker count has its own prefix, its own pool push and its own copy of
# the lead's project, so every merge starts from nothing. Checks: every shard done, every item
# scored once, the merged scores equal the baseline's.
#
# Usage: SIFT_BIN=target/release/sift bench/shards/run.sh      ITEMS=100000 bench/shards/run.sh
# Needs Garage (`make setup`) and the Python venv (for sqlite3 checks, any python3 will do).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${SIFT_BENCH_OUT:-$root/bench/out/shards}"
sift="${SIFT_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/sift}"
python="${PYTHON:-$HOME/.cache/sift/venv/bin/python}"
[ -x "$python" ] || python=python3
items="${ITEMS:-400000}"
counts="${WORKER_COUNTS:-1 2 4}"
[ -x "$sift" ] || { echo "run.sh: no sift binary at $sift (cargo build --release -p sift-cli, or set SIFT_BIN)" >&2; exit 2; }

mkdir -p "$out"
work="$out/work-$$"
garage_dir="$work/garage"
trap '"$root/scripts/garage-local.sh" stop "$garage_dir" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
mkdir -p "$work"
"$root/scripts/garage-local.sh" start "$garage_dir" > /dev/null
# shellcheck disable=SC1091
source "$garage_dir/env.sh"
export AWS_CONFIG_FILE="$work/no-aws-config" AWS_SHARED_CREDENTIALS_FILE="$work/no-aws-credentials"
endpoint="$AWS_ENDPOINT_URL"; bucket="$SIFT_S3_BUCKET"
unset AWS_ENDPOINT_URL

fixtures="$root/crates/sift-onnx/tests/fixtures"
"$python" - "$fixtures/digits_reference.json" "$items" "$work/digits.jsonl" <<'PY'
import json, sys
ref, n, dest = json.load(open(sys.argv[1]))["features"], int(sys.argv[2]), sys.argv[3]
with open(dest, "w") as f:
    for i in range(n):
        shift = (i // len(ref)) % 9 * 0.25
        f.write(json.dumps({"source": f"Digit image {i}.", "features": [v + shift for v in ref[i % len(ref)]]}) + "\n")
PY
cat > "$work/digits.toml" <<'TOML'
name = "digits"
[input]
adapter = "features"
field = "features"
[output]
name = "probabilities"
kind = "probabilities"
TOML
base="$work/base"
"$sift" init "$base" --template "$root/labeling-templates/qa.toml" > /dev/null
"$sift" import "$work/digits.jsonl" -p "$base" > /dev/null
"$sift" model add "$fixtures/digits.onnx" --config "$work/digits.toml" -p "$base" > /dev/null

now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc -l; }
scores() { "$python" - "$1" <<'PY'
import hashlib, sqlite3, sys
c = sqlite3.connect(f"file:{sys.argv[1]}/project.sift?mode=ro", uri=True)
rows = c.execute("SELECT item_id, strategy, score, error FROM item_scores WHERE model_version_id = 1 ORDER BY item_id, strategy").fetchall()
print(len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()[:16])
PY
}
results="$work/results.txt"; : > "$results"

echo "== baseline: one sift score process over $items items ($(nproc) cores)"
cp -r "$base" "$work/single"
t0="$(now)"; "$sift" score --device cpu -p "$work/single" > /dev/null; t="$(since "$t0")"
echo "baseline $t" >> "$results"
printf '  %-28s %8.2f s  %9.0f items/s\n' "one process" "$t" "$(echo "$items / $t" | bc -l)"
baseline="$(scores "$work/single")"

for w in $counts; do
  lead="$work/lead-$w"
  cp -r "$base" "$lead"
  "$sift" sync config -p "$lead" --bucket "$bucket" --prefix "bench-$w" --endpoint "$endpoint" --region garage --path-style > /dev/null
  t0="$(now)"; "$sift" sync push --pool --model digits@1 -p "$lead" > /dev/null; push="$(since "$t0")"
  pids=()
  t0="$(now)"
  for i in $(seq 0 $((w - 1))); do
    SIFT_BUCKET="$bucket" SIFT_PREFIX="bench-$w" SIFT_ENDPOINT="$endpoint" SIFT_REGION=garage SIFT_PATH_STYLE=true \
      SIFT_MODEL_CACHE="$work/cache-$w-$i" \
      "$sift" score --json --model digits@1 --from-bucket --shard "$i/$w" --device cpu --threads 1 --workers 1 \
      > "$work/worker-$w-$i.json" &
    pids+=("$!")
  done
  for p in "${pids[@]}"; do wait "$p"; done
  run="$(since "$t0")"
  t0="$(now)"; "$sift" sync pull -p "$lead" > /dev/null; merge="$(since "$t0")"
  done_shards="$("$sift" status --json -p "$lead" | "$python" -c 'import json,sys; s=json.load(sys.stdin)["shards"]; print(len(s[0]["done"]), len(s[0]["missing"]))')"
  merged="$(scores "$lead")"
  echo "workers $w $run $merge $push" >> "$results"
  printf '  %-28s %8.2f s  %9.0f items/s   merge %6.2f s   pool push %5.2f s   shards done/missing %s\n' \
    "$w worker(s)" "$run" "$(echo "$items / $run" | bc -l)" "$merge" "$push" "$done_shards"
  [ "$done_shards" = "$w 0" ] || { echo "  CHECK FAILED: shards $done_shards"; exit 1; }
  [ "$merged" = "$baseline" ] || { echo "  CHECK FAILED: merged scores differ from the baseline ($merged vs $baseline)"; exit 1; }
done

"$python" - "$results" "$items" "$out/results.json" <<'PY'
import json, sys
lines = [l.split() for l in open(sys.argv[1])]
n = int(sys.argv[2])
base = float(lines[0][1])
runs = {int(l[1]): {"seconds": float(l[2]), "merge_seconds": float(l[3]), "push_seconds": float(l[4])} for l in lines[1:]}
one = runs.get(1, {}).get("seconds")
print(f"== {n} items; baseline one process {base:.2f} s ({n / base:.0f} items/s)")
print(f"  {'workers':>7} {'seconds':>8} {'items/s':>9} {'vs 1 worker':>11} {'vs baseline':>11} {'merge s':>8} {'merge items/s':>13}")
for w, r in sorted(runs.items()):
    s = r["seconds"]
    print(f"  {w:7d} {s:8.2f} {n / s:9.0f} {one / s if one else 0:10.2f}x {base / s:10.2f}x {r['merge_seconds']:8.2f} {n / r['merge_seconds']:13.0f}")
json.dump({"items": n, "baseline_seconds": base, "workers": runs}, open(sys.argv[3], "w"), indent=1)
PY
echo "  (every shard done, every item once, merged scores equal the baseline's)"
