#!/usr/bin/env bash
# Runs one step of a `make` target and records how long it took, so `make test` and `make run`
# can end with a per-step timing summary.
#   scripts/timed.sh NAME COMMAND [ARGS...]   run COMMAND, append "NAME<TAB>seconds<TAB>exit" to $SIFT_TIMINGS
#   scripts/timed.sh --summary                print the steps recorded in $SIFT_TIMINGS, slowest first
# Without SIFT_TIMINGS the command just runs.
set -uo pipefail
if [ "${1:-}" = "--summary" ]; then
  f="${SIFT_TIMINGS:-}"
  [ -n "$f" ] && [ -s "$f" ] || exit 0
  start=$(head -n 1 "$f.start" 2>/dev/null || echo "")
  echo
  echo "---------------------------------------------- step times"
  sort -t $'\t' -k2,2nr "$f" | awk -F '\t' '{ s = ($3 == 0) ? "ok" : "FAILED (" $3 ")"; printf "  %-34s %5dm %02ds  %s\n", $1, $2 / 60, $2 % 60, s }'
  if [ -n "$start" ]; then
    total=$(( $(date +%s) - start ))
    printf '  %-34s %5dm %02ds  (steps overlap: some ran side by side)\n' "wall clock" $((total / 60)) $((total % 60))
  fi
  exit 0
fi
name="$1"; shift
t0=$(date +%s)
"$@"
rc=$?
if [ -n "${SIFT_TIMINGS:-}" ]; then
  printf '%s\t%d\t%d\n' "$name" $(( $(date +%s) - t0 )) "$rc" >> "$SIFT_TIMINGS"
fi
exit "$rc"
