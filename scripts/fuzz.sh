#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a set time (`make fuzz`), one after another, and
# prints the executions per target and in total. Each target starts from its committed seeds
# (fuzz/seeds/<target>/) plus what earlier runs found (fuzz/corpus/<target>/, not committed).
# A crash stops that target and fails the run; libFuzzer leaves the input in
# fuzz/artifacts/<target>/ (turn it into a regression test, then fix).
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 60 s, every target)
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
secs="${1:-60}"; shift || true
cd "$root/fuzz"
if ! cargo +nightly fuzz --help >/dev/null 2>&1; then
  echo "fuzz.sh: cargo-fuzz on the nightly toolchain is required (cargo install cargo-fuzz)" >&2
  exit 2
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
declare -a summary=()
failed=0
total=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "seeds/$t" "artifacts/$t"
  log="$(mktemp)"
  echo "== $t: ${secs}s"
  cargo +nightly fuzz run "$t" "corpus/$t" "seeds/$t" -- -max_total_time="$secs" -print_final_stats=1 \
    2>&1 | tee "$log" | grep -E "^(#[0-9]+ +(INITED|DONE|pulse)|==[0-9]+==|SUMMARY|stat::|thread '|.*panicked)" | tail -n 5
  rc=${PIPESTATUS[0]}
  execs="$(grep -E '^stat::number_of_executed_units:' "$log" | awk '{print $2}' | tail -n 1)"
  [[ "$execs" =~ ^[0-9]+$ ]] && total=$((total + execs))
  if [ "$rc" -eq 0 ]; then
    summary+=("ok     $t  ${execs:-?} executions in ${secs}s")
  else
    failed=1
    summary+=("CRASH  $t  (exit $rc) after ${execs:-?} executions; input in fuzz/artifacts/$t/")
  fi
  rm -f "$log"
done
echo "== summary"
printf '%s\n' "${summary[@]}"
echo "total  $total executions in ${#targets[@]} targets"
exit "$failed"
