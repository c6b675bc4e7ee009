#!/usr/bin/env bash
# Registers the text encoder (all-MiniLM-L6-v2, built by `make setup-python`) in a demo project
# and stores every item's vector, so `sift learn` can train on them at once. Idempotent: the
# encoder is added once, and `sift embed` skips items that already have a vector.
# Usage: scripts/demo-embed.sh SIFT_BINARY PROJECT_DIR [ENCODER_DIR]
#   ENCODER_DIR defaults to $SIFT_ENCODER_DIR, else ~/.cache/sift/models/all-minilm-l6-v2.
set -euo pipefail
sift="$1"; proj="$2"
encoder="${3:-${SIFT_ENCODER_DIR:-$HOME/.cache/sift/models/all-minilm-l6-v2}}"
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -f "$encoder/model.onnx" ] || [ ! -f "$encoder/model.toml" ]; then
  echo "demo-embed: no encoder in $encoder; build it with \`make setup-python\`" \
       "(python $root/scripts/make-minilm-onnx.py --out $encoder)" >&2
  exit 1
fi
name="$(sed -n 's/^name = "\(.*\)"$/\1/p' "$encoder/model.toml" | head -n1)"
if ! "$sift" model list -p "$proj" --json \
     | python3 -c 'import json,sys; sys.exit(0 if any(m["model"] == sys.argv[1] for m in json.load(sys.stdin)) else 1)' "$name"; then
  "$sift" model add "$encoder/model.onnx" --config "$encoder/model.toml" -p "$proj" > /dev/null
fi
"$sift" embed -p "$proj" --model "$name"
