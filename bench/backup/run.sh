#!/usr/bin/env bash
# Continuous backup benchmark (bench/backup/bench.py): save latency with and without backup
# in the same run, bytes shipped per saved annotation, restore time of a 1,000,000-item
# project. Starts a fresh local Garage in bench/out/backup/ and removes it afterwards.
#
# Usage: SIFT_BIN=target/release/sift bench/backup/run.sh
#        SAVES=500 ITEMS=100000 bench/backup/run.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${SIFT_BENCH_OUT:-$root/bench/out/backup}"
sift="${SIFT_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/sift}"
python="${PYTHON:-python3}"
[ -x "$sift" ] || { echo "run.sh: no sift binary at $sift (cargo build --release -p sift-cli, or set SIFT_BIN)" >&2; exit 2; }
mkdir -p "$out"
garage_dir="$out/garage-$$"
stop() { "$root/scripts/garage-local.sh" stop "$garage_dir" >/dev/null 2>&1 || true; rm -rf "$garage_dir"; }
trap stop EXIT
"$root/scripts/garage-local.sh" start "$garage_dir" > /dev/null
# shellcheck disable=SC1091
source "$garage_dir/env.sh"
export AWS_CONFIG_FILE="$garage_dir/no-aws-config" AWS_SHARED_CREDENTIALS_FILE="$garage_dir/no-aws-credentials"
SIFT_BENCH_OUT="$out" SIFT_BENCH_WORK="$out" "$python" "$root/bench/backup/bench.py" --sift "$sift" \
  --saves "${SAVES:-2000}" --items "${ITEMS:-1000000}"
