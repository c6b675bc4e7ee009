#!/usr/bin/env bash
# Builds the bundled demo projects (once) and opens the Q&A one in the labeling UI.
# Usage: scripts/demo.sh SIFT_BINARY DEMO_DIR
set -euo pipefail
sift="$1"; demo="$2"
root="$(cd "$(dirname "$0")/.." && pwd)"
make_project() { # name template manifest
  local dir="$demo/$1"
  if [ ! -f "$dir/project.sift" ]; then
    "$sift" init "$dir" --template "$root/labeling-templates/$2" --name "demo-$1" >/dev/null
    "$sift" import "$root/demo/$3" -p "$dir" >/dev/null
    "$sift" annotator add demo -p "$dir" --role lead --json \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' > "$dir/demo-token.txt"
    chmod 600 "$dir/demo-token.txt"
  fi
}
mkdir -p "$demo"
make_project qa qa.toml qa.jsonl
make_project ranking ranking.toml ranking.jsonl

project="$demo/${SIFT_DEMO:-qa}"
token="$(cat "$project/demo-token.txt")"
port="${SIFT_PORT:-7878}"
url="http://127.0.0.1:$port/#token=$token"
"$sift" status -p "$project"
cat <<MSG

Opening the demo project in the labeling UI (the desktop window arrives with the desktop
shell; until then Sift runs in your browser):

  $url

Other demo projects: $demo/ranking (SIFT_DEMO=ranking make run). Stop with Ctrl-C.
MSG
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && command -v xdg-open >/dev/null; then
  (sleep 1; xdg-open "$url" >/dev/null 2>&1 || true) &
fi
exec "$sift" serve -p "$project" --port "$port"
