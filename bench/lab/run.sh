#!/usr/bin/env bash
# The Lab's benchmarks, on a project of 1,000,000 items (made once, kept in $OUT), each beside
# a baseline measured in the same run:
#   1. cold start of the real window (under Xvfb, Vulkan through lavapipe where there is no GPU)
#      to its first frame, and to the data manager's first rows with the map beside them;
#      beside it, `sift status` on the same project (the CLI opening it and counting) and the
#      same window on a 1,000-item project; target under 1 s to the first frame;
#   2. the UI thread's CPU time per frame (egui + tessellation, headless) while the
#      million-row table scrolls with a 100,000-point map beside it; beside it, the same
#      scrolling on the 1,000-item project (1,000 rows, 1,000 points); target p95 under 16 ms;
#   3. resident memory of the window with that view open, beside the same window on the
#      1,000-item project; target under 300 MB.
# Usage: bench/lab/run.sh   (SIFT_BIN: a release `sift`; OUT: where the projects are kept;
#        LAB_BENCH_ITEMS, LAB_BENCH_BASE_ITEMS, LAB_BENCH_RUNS, LAB_BENCH_FRAMES to change sizes)
# The window is the release `sift-lab` that `make build-release` (every binary) makes; it is
# built here with that same command line when missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${OUT:-$root/bench/out/lab}"
items="${LAB_BENCH_ITEMS:-1000000}"
base_items="${LAB_BENCH_BASE_ITEMS:-1000}"
runs="${LAB_BENCH_RUNS:-3}"
frames="${LAB_BENCH_FRAMES:-600}"
mkdir -p "$out"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
lab="$CARGO_TARGET_DIR/release/sift-lab"
driver="$CARGO_TARGET_DIR/release/examples/lab_bench"
sift="${SIFT_BIN:-$CARGO_TARGET_DIR/release/sift}"
[ -x "$lab" ] || (cd "$root" && env -u MAKEFLAGS -u MFLAGS cargo build --release --workspace --bins --locked >&2)
(cd "$root" && cargo build --release --locked -p sift-lab --example lab_bench >&2)
command -v xvfb-run >/dev/null || { echo "xvfb-run (package xvfb) is needed"; exit 2; }
project() { # N -> the project folder, made once
  local p="$out/items-$1"
  if [ ! -f "$p/project.sift" ]; then
    rm -rf "$p"
    "$driver" make "$p" "$1" >&2
  fi
  echo "$p"
}
big="$(project "$items")"
small="$(project "$base_items")"
missed=0
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / (b > 0 ? b : 1)}'; }

# Runs the window on $1 $runs times; sets FIRST, LOADED, RSS (medians), STATUS (sift status).
window() {
  local p="$1" first=() loaded=() rss=() status=()
  for i in $(seq "$runs"); do
    local stamp="$out/first-frame" start log t0 t1
    rm -f "$stamp"
    start=$(date +%s%N)
    log=$(XDG_CONFIG_HOME="$out/config" SIFT_LAB_FIRST_FRAME_FILE="$stamp" SIFT_LAB_VIEW=data-map \
          SIFT_LAB_EXIT_WHEN_LOADED=3000 xvfb-run -a -s "-screen 0 1600x900x24" "$lab" "$p")
    first+=( $(( ($(cat "$stamp") - start) / 1000000 )) )
    loaded+=( $(sed -n 's/.*frames, \([0-9]*\) ms.*/\1/p' <<<"$log") )
    rss+=( $(sed -n 's/.*rss_kib=\([0-9]*\).*/\1/p' <<<"$log") )
    if [ -x "$sift" ]; then
      t0=$(date +%s%N); "$sift" status -p "$p" --json >/dev/null; t1=$(date +%s%N)
      status+=( $(( (t1 - t0) / 1000000 )) )
    fi
  done
  echo "  $(basename "$p"): runs (ms to first frame): ${first[*]}; to rows and map on screen: ${loaded[*]}; RSS (KiB): ${rss[*]}"
  FIRST=$(median "${first[@]}"); LOADED=$(median "${loaded[@]}"); RSS=$(median "${rss[@]}")
  STATUS=""; [ ${#status[@]} -eq 0 ] || STATUS=$(median "${status[@]}")
}

echo "== cold start to the first frame ($items items; $runs runs each, median)"
window "$small"; s_first=$FIRST; s_loaded=$LOADED; s_rss=$RSS
window "$big"; f=$FIRST; l=$LOADED; r=$RSS
echo "first frame: ${f} ms (target < 1000); table rows and 100,000-point map on screen: ${l} ms"
echo "beside it, the window on $base_items items: first frame ${s_first} ms, rows and map ${s_loaded} ms (ratio $(ratio "$f" "$s_first"))"
if [ -n "$STATUS" ]; then
  echo "beside it, sift status on the same project: ${STATUS} ms (Lab first frame / sift status = $(ratio "$f" "$STATUS"))"
fi
[ "$f" -lt 1000 ] || { echo "MISSED: first frame"; missed=1; }

echo "== resident memory with the table and the map open"
echo "$items items: median $((r / 1024)) MiB (target < 300 MiB); beside it, $base_items items: $((s_rss / 1024)) MiB (ratio $(ratio "$r" "$s_rss"))"
[ "$r" -lt $((300 * 1024)) ] || { echo "MISSED: memory"; missed=1; }

echo "== CPU time per frame, headless ($frames frames)"
"$driver" frames "$small" "$frames" | tee "$out/frames-base.txt"
"$driver" frames "$big" "$frames" | tee "$out/frames.txt"
p95=$(sed -n 's/^p95_ms=//p' "$out/frames.txt")
base=$(sed -n 's/^p95_ms=//p' "$out/frames-base.txt")
echo "p95: ${p95} ms with $items rows and the map (target < 16); beside it, $base_items rows: ${base} ms (ratio $(ratio "$p95" "$base"))"
awk -v p="$p95" 'BEGIN {exit !(p < 16)}' || { echo "MISSED: p95 frame time"; missed=1; }
exit $missed
