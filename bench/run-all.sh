#!/usr/bin/env bash
# `make bench`: every benchmark beside its baseline, in one run. Each prints its own figures
# and ratios; a missed target does not stop the others, and the summary says which missed.
# Usage: bench/run-all.sh PYTHON SIFT_RELEASE_BINARY
set -uo pipefail
python="$1"; sift="$2"
root="$(cd "$(dirname "$0")/.." && pwd)"
venv_bin="$(dirname "$python")"
declare -a results=()
run() { # name command...
  local name="$1"; shift
  echo; echo "================ $name"
  if "$@"; then results+=("ok      $name"); else results+=("MISSED  $name (exit $?)"); fi
}
# The manifest bench measures the machine's limits with an example built beside `sift`.
limits="$(dirname "$sift")/examples/manifest_limits"
run "build the manifest limits tool" cargo build --quiet --release --manifest-path "$root/Cargo.toml" \
  -p sift-api --example manifest_limits
run "manifest import/export vs Python (json + sqlite3) and the machine's limits" \
  "$python" "$root/bench/manifest_bench.py" --sift "$sift" --limits "$limits"
run "uncertainty scores + top-k vs numpy (1,000,000 x 10, one thread)" env PATH="$venv_bin:$PATH" "$root/bench/al/run.sh"
run "end-to-end image scoring vs Python onnxruntime (2,000 JPEGs, CPU)" env PYTHON="$python" "$root/bench/scoring/run.sh"
run "S3 sync push vs aws s3 sync on Garage (10,000 x 10 KiB, 20 x 50 MiB, no-op re-sync)" env SIFT_BIN="$sift" PYTHON="$python" "$root/bench/sync/run.sh"
run "continuous backup: save latency with vs without, bytes per save, restore of 1,000,000 items" env SIFT_BIN="$sift" PYTHON="$python" "$root/bench/backup/run.sh"
run "scoring in shards: 1, 2, 4 workers on Garage vs one process, and the merge" env SIFT_BIN="$sift" PYTHON="$python" "$root/bench/shards/run.sh"
run "sift-learn heads + digits simulation vs scikit-learn" env PYTHON="$python" "$root/bench/learn/run.sh"
run "sift serve: 50 annotators saving drafts (paced 200/s, flat out) vs Label Studio" "$python" "$root/bench/serve/load.py" --sift "$sift"
run "rescoring 100,000 stored vectors of 384 (sift learn) vs numpy + sqlite3" env SIFT_BIN="$sift" PYTHON="$python" "$root/bench/rescore/run.sh"
run "the Lab: first frame, frame CPU and memory with 1,000,000 items (beside sift status and 1,000 items)" \
  env SIFT_BIN="$sift" CARGO_TARGET_DIR="$(dirname "$(dirname "$sift")")" "$root/bench/lab/run.sh"
run "labeling UI: next item in Chromium (100,000 items)" env SIFT_BIN="$sift" node "$root/bench/ui/next_item.mjs"
if [ -n "${SIFT_DESKTOP_BIN:-}" ]; then
  run "desktop: cold start to first item, memory with 100,000 items" env SIFT_BIN="$sift" SIFT_DESKTOP_BIN="$SIFT_DESKTOP_BIN" node "$root/tests/desktop/bench.mjs"
fi
echo; echo "================ summary"
printf '%s\n' "${results[@]}"
! printf '%s\n' "${results[@]}" | grep -q '^MISSED'
