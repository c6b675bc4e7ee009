#!/usr/bin/env bash
# Builds the bundled demo projects (once) and tells how to open them.
# Usage: scripts/demo.sh SIFT_BINARY DEMO_DIR
set -euo pipefail
sift="$1"; demo="$2"
root="$(cd "$(dirname "$0")/.." && pwd)"
make_project() { # name template manifest
  local dir="$demo/$1"
  if [ ! -f "$dir/project.sift" ]; then
    "$sift" init "$dir" --template "$root/labeling-templates/$2" --name "demo-$1" >/dev/null
    "$sift" import "$root/demo/$3" -p "$dir" >/dev/null
    "$sift" annotator add demo -p "$dir" --role lead > "$dir/demo-token.txt"
    chmod 600 "$dir/demo-token.txt"
  fi
  "$sift" status -p "$dir"
  echo
}
mkdir -p "$demo"
make_project qa qa.toml qa.jsonl
make_project ranking ranking.toml ranking.jsonl
cat <<MSG
Demo projects are ready in $demo.

The labeling window (desktop app and 'sift serve' for the browser) is not built yet; until
it is, this is what 'make run' will open. Meanwhile every lead task works from the CLI:
  $sift status -p $demo/qa
  $sift export -p $demo/qa -o /tmp/qa-labels.jsonl
  $sift --help
MSG
