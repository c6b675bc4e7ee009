#!/usr/bin/env bash
# Creates the four bundled demo projects, once: DEMO_DIR/{qa,ranking,image,video}, one per
# labeling template, from demo/*.jsonl and the generated image and video media.
# Usage: scripts/make-demo-projects.sh SIFT_BINARY DEMO_DIR [MEDIA_DIR]
#   MEDIA_DIR defaults to ~/.cache/sift/demo-media (made by scripts/make-demo-media.sh).
set -euo pipefail
sift="$1"; demo="$2"
media="${3:-${SIFT_DEMO_MEDIA:-$HOME/.cache/sift/demo-media}}"
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/make-demo-media.sh" "$media"
make_project() { # name template manifest
  local dir="$demo/$1"
  if [ ! -f "$dir/project.sift" ]; then
    "$sift" init "$dir" --template "$root/labeling-templates/$2" --name "demo-$1" >/dev/null
    "$sift" import "$3" -p "$dir" >/dev/null
    # A browser sign-in for `sift serve` (as scripts/demo.sh makes); the desktop app signs
    # in as the OS user by itself.
    "$sift" annotator add demo -p "$dir" --role lead --json \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' > "$dir/demo-token.txt"
    chmod 600 "$dir/demo-token.txt"
    echo "created demo project $dir"
  fi
}
mkdir -p "$demo"
make_project qa qa.toml "$root/demo/qa.jsonl"
make_project ranking ranking.toml "$root/demo/ranking.jsonl"
make_project image image-caption.toml "$media/image.jsonl"
make_project video video-caption.toml "$media/video.jsonl"
