#!/usr/bin/env bash
# Creates the bundled demo projects, once: DEMO_DIR/{qa,ranking,image,video,classification},
# one per labeling template, from demo/*.jsonl and the generated image and video media. The
# classification project (support tickets, demo/classification.toml) gets the text encoder
# and every ticket's stored vector (scripts/demo-embed.sh) so `sift learn` can train at once.
# Usage: scripts/make-demo-projects.sh SIFT_BINARY DEMO_DIR [MEDIA_DIR]
#   MEDIA_DIR defaults to ~/.cache/sift/demo-media (made by scripts/make-demo-media.sh).
set -euo pipefail
sift="$1"; demo="$2"
media="${3:-${SIFT_DEMO_MEDIA:-$HOME/.cache/sift/demo-media}}"
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/make-demo-media.sh" "$media"
make_project() { # name template(relative to the repository) manifest
  local dir="$demo/$1"
  if [ ! -f "$dir/project.sift" ]; then
    "$sift" init "$dir" --template "$root/$2" --name "demo-$1" >/dev/null
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
make_project qa labeling-templates/qa.toml "$root/demo/qa.jsonl"
make_project ranking labeling-templates/ranking.toml "$root/demo/ranking.jsonl"
make_project image labeling-templates/image-caption.toml "$media/image.jsonl"
make_project video labeling-templates/video-caption.toml "$media/video.jsonl"
make_project classification demo/classification.toml "$root/demo/classification.jsonl"
if "$root/scripts/demo-embed.sh" "$sift" "$demo/classification" > /dev/null; then
  enc="$(sed -n 's/^name = "\(.*\)"$/\1/p' "${SIFT_ENCODER_DIR:-$HOME/.cache/sift/models/all-minilm-l6-v2}/model.toml" | head -n1)"
  "$sift" learn config -p "$demo/classification" --features "embeddings:$enc" > /dev/null
else
  echo "the classification demo has no vectors yet (no encoder): \`sift learn\` needs \`make setup-python\`" >&2
fi
