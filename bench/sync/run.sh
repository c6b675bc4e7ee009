#!/usr/bin/env bash
# S3 sync benchmark: `sift sync push --media` against `aws s3 sync` (PyPI awscli, default
# transfer settings) on the same local Garage server, side by side:
#
#   small   10,000 files of 10 KiB                        target: Sift at least 2x faster
#   large   20 files of 50 MiB                            target: Sift no slower
#   no-op   the small set again, nothing to send          target: Sift under 2 s
#
# Each trial starts a fresh Garage and fresh Sift projects, and each side uploads to its own
# fresh prefix, so both send everything. Each side has its own set of files (same sizes,
# different random bytes) because Garage stores blocks by content and would skip writing what
# the other side already sent. Who goes first alternates from phase to phase and trial to
# trial; the verdicts use the median over the trials (TRIALS, default 3).
#
# The timed region is the one command: project creation, import, `sift batch create` and
# `sift sync config` come before it. Sift's first push hashes the files (SHA-256, for the
# content-addressed keys and the checksums sent); aws computes its checksums too. Times are
# wall-clock and include process start-up on both sides; before each, dirty pages are
# written back (`sync`; the page cache stays warm for both sides alike) and Garage is left to finish its background work.
#
# Usage: SIFT_BIN=target/release/sift bench/sync/run.sh
#        TRIALS=1 N_SMALL=2000 N_LARGE=4 bench/sync/run.sh
# Options (environment): SIFT_BIN (default: CARGO_TARGET_DIR's release build), PYTHON (the
# venv of `make setup` by default), AWS_CLI (default: `aws` beside PYTHON, then PATH), TRIALS,
# N_SMALL / SMALL_SIZE / N_LARGE / LARGE_SIZE (bytes), SIFT_BENCH_SYNC_DATA (where the files
# are made once and reused: ~/.cache/sift/bench-sync, 2 x 1.1 GB by default).
# Needs Garage (`make setup`; scripts/garage-local.sh finds it). Garage runs in bench/out/sync/
# and is stopped and removed after each trial; the last run's figures stay in
# bench/out/sync/results.json.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${SIFT_BENCH_OUT:-$root/bench/out/sync}"
data="${SIFT_BENCH_SYNC_DATA:-$HOME/.cache/sift/bench-sync}"
sift="${SIFT_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/sift}"
python="${PYTHON:-$HOME/.cache/sift/venv/bin/python}"
[ -x "$python" ] || python=python3
aws="${AWS_CLI:-$(dirname "$python")/aws}"
[ -x "$aws" ] || aws="$(command -v aws || true)"
trials="${TRIALS:-3}"
n_small="${N_SMALL:-10000}"; small_size="${SMALL_SIZE:-10240}"
n_large="${N_LARGE:-20}"; large_size="${LARGE_SIZE:-52428800}"

[ -x "$sift" ] || { echo "run.sh: no sift binary at $sift (cargo build --release -p sift-cli, or set SIFT_BIN)" >&2; exit 2; }
[ -n "$aws" ] && [ -x "$aws" ] || { echo "run.sh: the AWS CLI is needed (pip install awscli; make setup)" >&2; exit 2; }

mkdir -p "$out"
run_id="$(date +%Y%m%d-%H%M%S)-$$"
work="$out/work-$run_id"
garage_dir=""
stop_garage() {
  if [ -n "$garage_dir" ]; then
    "$root/scripts/garage-local.sh" stop "$garage_dir" >/dev/null 2>&1 || true
    rm -rf "$garage_dir"
    garage_dir=""
  fi
}
trap 'stop_garage; rm -rf "$work"' EXIT
mkdir -p "$work"
# Credentials and region from the environment only, for both sides; no user config files.
export AWS_CONFIG_FILE="$work/no-aws-config" AWS_SHARED_CREDENTIALS_FILE="$work/no-aws-credentials"

echo "== files (made once in $data)"
spec=(--small "$n_small" --small-size "$small_size" --large "$n_large" --large-size "$large_size")
"$python" "$root/bench/sync/make_data.py" "$data/sift" "${spec[@]}"
"$python" "$root/bench/sync/make_data.py" "$data/aws" "${spec[@]}"
# Both sides read from the OS cache alike.
cat "$data"/sift/small/* "$data"/sift/large/* "$data"/aws/small/* "$data"/aws/large/* > /dev/null

now() { date +%s.%N; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$(cat "$garage_dir/garage.pid")/stat"; }
# Before each timed command: no dirty pages left from the one before (the kernel would write
# them back during the next), and Garage done with its background work (below 5% of a core).
settle() {
  sync
  local a b
  for _ in $(seq 60); do
    a="$(cpu_ticks)"; sleep 0.5; b="$(cpu_ticks)"
    [ $((b - a)) -le 2 ] && break
  done
}
results="$work/results.txt"; : > "$results"
timed() { # TRIAL NAME COMMAND...: appends "TRIAL NAME SECONDS" to the results
  local trial="$1" name="$2"; shift 2
  local t0 t1
  settle
  t0="$(now)"
  "$@"
  t1="$(now)"
  echo "$trial $name $(echo "$t1 - $t0" | bc -l)" >> "$results"
  printf '  %-12s %7.2f s\n' "$name" "$(echo "$t1 - $t0" | bc -l)"
}
aws_sync() { # SET DEST
  "$aws" s3 sync "$data/aws/$1" "s3://$bucket/$2/" --endpoint-url "$endpoint" --only-show-errors
}
sift_push() { # SET REPORT
  "$sift" --json sync push -p "$work/$1" --media > "$work/$2.json"
}
count() { # PREFIX: objects under it (the CLI applies the query to each page of 1,000)
  "$aws" s3api list-objects-v2 --bucket "$bucket" --prefix "$1/" --endpoint-url "$endpoint" \
      --query 'length(Contents || `[]`)' --output text | awk '{ n += $1 } END { print n + 0 }'
}
side() { # TRIAL SIDE PHASE
  case "$2-$3" in
    sift-small) timed "$1" sift_small sift_push small "sift_small_$1" ;;
    sift-large) timed "$1" sift_large sift_push large "sift_large_$1" ;;
    sift-noop)  timed "$1" sift_noop sift_push small "sift_noop_$1" ;;
    aws-small)  timed "$1" aws_small aws_sync small "aws-small-$1" ;;
    aws-large)  timed "$1" aws_large aws_sync large "aws-large-$1" ;;
    aws-noop)   timed "$1" aws_noop aws_sync small "aws-small-$1" ;;
  esac
}

for trial in $(seq "$trials"); do
  echo "== trial $trial of $trials: fresh Garage and projects"
  garage_dir="$out/garage-$run_id-$trial"
  "$root/scripts/garage-local.sh" start "$garage_dir" > /dev/null
  # shellcheck disable=SC1091
  source "$garage_dir/env.sh"
  endpoint="$AWS_ENDPOINT_URL"; bucket="$SIFT_S3_BUCKET"
  for set in small large; do
    p="$work/$set"
    rm -rf "$p"
    "$sift" init "$p" --template "$root/labeling-templates/image-caption.toml" > /dev/null
    "$sift" import "$data/sift/$set.jsonl" -p "$p" --require-media > /dev/null
    "$sift" batch create -p "$p" --size "$(wc -l < "$data/sift/$set.jsonl")" --name bench > /dev/null
    # The endpoint explicitly, not from AWS_ENDPOINT_URL.
    "$sift" sync config -p "$p" --bucket "$bucket" --prefix "sift-$set-$trial" \
        --endpoint "$endpoint" --region garage --path-style > /dev/null
  done
  if [ $((trial % 2)) -eq 1 ]; then first=sift; second=aws; else first=aws; second=sift; fi
  echo "  small: $n_small files of $small_size B"
  side "$trial" "$first" small; side "$trial" "$second" small
  echo "  large: $n_large files of $large_size B"
  side "$trial" "$second" large; side "$trial" "$first" large
  echo "  no-op re-sync of the $n_small small files"
  side "$trial" "$first" noop; side "$trial" "$second" noop
  echo "$trial counts $(count "sift-small-$trial/media") $(count "aws-small-$trial") $(count "sift-large-$trial/media") $(count "aws-large-$trial")" >> "$results"
  stop_garage
done

"$python" - "$work" "$results" "$out/results.json" "$n_small" "$small_size" "$n_large" "$large_size" \
    "$("$aws" --version 2>&1)" <<'PY'
import json, os, statistics, sys
work, results, save = sys.argv[1:4]
n_small, small_size, n_large, large_size = map(int, sys.argv[4:8])
aws_version = sys.argv[8].split()[0]
times, counts = {}, {}
for line in open(results):
    trial, name, *rest = line.split()
    if name == "counts":
        counts[trial] = list(map(int, rest))
    else:
        times.setdefault(name, []).append(float(rest[0]))
ok = True
def check(cond, what):
    global ok
    if not cond:
        ok = False
        print(f"  CHECK FAILED: {what}")
for trial, c in counts.items():
    small = json.load(open(os.path.join(work, f"sift_small_{trial}.json")))
    large = json.load(open(os.path.join(work, f"sift_large_{trial}.json")))
    noop = json.load(open(os.path.join(work, f"sift_noop_{trial}.json")))
    check(small["media_files"] == n_small, f"trial {trial}: sift small uploaded {small['media_files']} files")
    check(large["media_files"] == n_large, f"trial {trial}: sift large uploaded {large['media_files']} files")
    check(noop["media_files"] == 0 and noop["media_unchanged"] == n_small,
          f"trial {trial}: sift no-op sent {noop['media_files']} files, {noop['media_unchanged']} unchanged")
    check(c == [n_small, n_small, n_large, n_large], f"trial {trial}: objects on the store {c}")

med = {k: statistics.median(v) for k, v in times.items()}
def spread(k):
    return " ".join(f"{x:.2f}" for x in times[k])
print(f"== comparison: median of {len(times['sift_small'])} trial(s), Garage on 127.0.0.1, {os.cpu_count()} cores; "
      f"sift vs {aws_version} (default settings)")
print(f"  {'':30} {'sift':>9} {'aws':>9}  aws/sift  target")
verdicts = {}
def row(label, key, n, size, target):
    s, a = med["sift_" + key], med["aws_" + key]
    passed = a / s >= target
    verdicts[key] = passed
    mb = n * size / 1e6
    print(f"  {label:30} {s:8.2f}s {a:8.2f}s  {a / s:6.2f}x  >= {target:g}x  {'PASS' if passed else 'MISS'}")
    print(f"  {'  files/s':30} {n / s:9.0f} {n / a:9.0f}")
    print(f"  {'  MB/s (10^6 bytes)':30} {mb / s:9.1f} {mb / a:9.1f}")
row(f"small: {n_small} x {small_size / 1024:g} KiB", "small", n_small, small_size, 2.0)
row(f"large: {n_large} x {large_size / 2**20:g} MiB", "large", n_large, large_size, 1.0)
s, a = med["sift_noop"], med["aws_noop"]
verdicts["noop"] = s < 2.0
print(f"  {f'no-op re-sync: {n_small} objects':30} {s:8.2f}s {a:8.2f}s  {a / s:6.2f}x  sift < 2 s  "
      f"{'PASS' if verdicts['noop'] else 'MISS'}")
print("  every trial (s):")
for k in ("sift_small", "aws_small", "sift_large", "aws_large", "sift_noop", "aws_noop"):
    print(f"    {k:11} {spread(k)}")
json.dump({"aws": aws_version, "trials": times, "median": med, "pass": verdicts, "checks_ok": ok},
          open(save, "w"), indent=1)
sys.exit(0 if ok and all(verdicts.values()) else 1)
PY
