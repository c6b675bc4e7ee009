#!/usr/bin/env bash
# Makes the image and video demo media (photos from registry packages, videos made from them
# with ffmpeg) and their manifests, once: re-running with the same inputs does nothing.
# Usage: scripts/make-demo-media.sh [OUT_DIR]   (default ~/.cache/sift/demo-media)
# Python: $PYTHON, else ~/.cache/sift/venv/bin/python (needs Pillow and scikit-learn;
# scikit-image adds five more photos).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-${SIFT_DEMO_MEDIA:-$HOME/.cache/sift/demo-media}}"
python="${PYTHON:-$HOME/.cache/sift/venv/bin/python}"
[ -x "$python" ] || python="python3"
command -v ffmpeg >/dev/null || { echo "error: ffmpeg is missing (apt-get install ffmpeg)" >&2; exit 1; }
mkdir -p "$out"
exec "$python" "$root/scripts/make_demo_media.py" "$root/demo/media.json" "$out"
