#!/usr/bin/env bash
# The Lab's benchmarks, on a project of 1,000,000 items (made once, kept in $OUT):
#   1. cold start of the real window (under Xvfb, Vulkan through lavapipe where there is no GPU)
#      to its first frame, and to the data manager's first rows with the map beside them;
#      beside it, `sift status` on the same project (the CLI opening it and counting); target
#      under 1 s to the first frame;
#   2. the UI thread's CPU time per frame (egui + tessellation, headless) while the
#      million-row table scrolls with a 100,000-point map beside it; target p95 under 16 ms;
#   3. resident memory of the window with that view open; target under 300 MB.
# Usage: bench/lab/run.sh   (SIFT_BIN: a release `sift`; OUT: where the project is kept)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${OUT:-$root/bench/out/lab}"
items="${LAB_BENCH_ITEMS:-1000000}"
runs="${LAB_BENCH_RUNS:-3}"
mkdir -p "$out"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build --release --locked -p sift-lab --bin sift-lab --example lab_bench >&2
lab="$CARGO_TARGET_DIR/release/sift-lab"
driver="$CARGO_TARGET_DIR/release/examples/lab_bench"
sift="${SIFT_BIN:-$CARGO_TARGET_DIR/release/sift}"
project="$out/items-$items"
if [ ! -f "$project/project.sift" ]; then
  rm -rf "$project"
  "$driver" make "$project" "$items"
fi
command -v xvfb-run >/dev/null || { echo "xvfb-run (package xvfb) is needed"; exit 2; }
missed=0

echo "== cold start to the first frame ($items items; $runs runs, median)"
first=(); loaded=(); rss=(); status=()
for i in $(seq "$runs"); do
  stamp="$out/first-frame"; rm -f "$stamp"
  start=$(date +%s%N)
  log=$(XDG_CONFIG_HOME="$out/config" SIFT_LAB_FIRST_FRAME_FILE="$stamp" SIFT_LAB_VIEW=data-map \
        SIFT_LAB_EXIT_WHEN_LOADED=3000 xvfb-run -a -s "-screen 0 1600x900x24" "$lab" "$project")
  first+=( $(( ($(cat "$stamp") - start) / 1000000 )) )
  loaded+=( $(sed -n 's/.*frames, \([0-9]*\) ms.*/\1/p' <<<"$log") )
  rss+=( $(sed -n 's/.*rss_kib=\([0-9]*\).*/\1/p' <<<"$log") )
  if [ -x "$sift" ]; then
    t0=$(date +%s%N); "$sift" status -p "$project" --json >/dev/null; t1=$(date +%s%N)
    status+=( $(( (t1 - t0) / 1000000 )) )
  fi
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
f=$(median "${first[@]}"); l=$(median "${loaded[@]}"); r=$(median "${rss[@]}")
echo "runs (ms to first frame): ${first[*]}; to rows and map on screen: ${loaded[*]}"
echo "first frame: ${f} ms (target < 1000); table rows and 100,000-point map on screen: ${l} ms"
if [ ${#status[@]} -gt 0 ]; then
  s=$(median "${status[@]}")
  echo "beside it, sift status on the same project: ${s} ms (Lab first frame / sift status = $(awk -v a="$f" -v b="$s" 'BEGIN {printf "%.2f", a / (b > 0 ? b : 1)}'))"
fi
[ "$f" -lt 1000 ] || { echo "MISSED: first frame"; missed=1; }

echo "== resident memory with the table and the map open"
echo "runs (KiB): ${rss[*]}; median $((r / 1024)) MiB (target < 300 MiB)"
[ "$r" -lt $((300 * 1024)) ] || { echo "MISSED: memory"; missed=1; }

echo "== CPU time per frame, headless"
"$driver" frames "$project" 600 | tee "$out/frames.txt"
p95=$(sed -n 's/^p95_ms=//p' "$out/frames.txt")
awk -v p="$p95" 'BEGIN {exit !(p < 16)}' || { echo "MISSED: p95 frame time"; missed=1; }
exit $missed
