#!/usr/bin/env bash
# Opens the Sift desktop app on the five demo projects (Q&A first; ranking, image, video and
# classification under File ▸ Open Recent), creating them and their media first if needed. Without a
# display it says so and shows how to label in a browser with `sift serve`.
# Usage: scripts/desktop-demo.sh SIFT_BINARY SIFT_DESKTOP_BINARY DEMO_DIR
set -euo pipefail
sift="$1"; desktop="$2"; demo="$3"
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/make-demo-projects.sh" "$sift" "$demo"
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  cat <<MSG

No display: DISPLAY and WAYLAND_DISPLAY are not set, so the Sift window cannot open here.
The five demo projects are ready in $demo. Label in a browser instead:

  $sift serve -p $demo/qa --port 7878

then open http://127.0.0.1:7878/#token=$(cat "$demo/qa/demo-token.txt")
(from another machine through an SSH tunnel: ssh -L 7878:127.0.0.1:7878 THIS_MACHINE),
or run \`make run\` in a desktop session.
MSG
  exit 0
fi
first="${SIFT_DEMO:-qa}"
projects=("$demo/$first")
for p in qa ranking image video classification; do [ "$p" = "$first" ] || projects+=("$demo/$p"); done
echo "Opening Sift on ${projects[*]}"
exec "$desktop" "${projects[@]}"
