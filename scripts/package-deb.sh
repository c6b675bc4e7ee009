#!/usr/bin/env bash
# Builds the desktop app's .deb (release, debug info stripped) and shows what is in it.
# Needs the built UI (make ui) and the Tauri CLI (npm ci in src-tauri).
# Usage: scripts/package-deb.sh        -> $CARGO_TARGET_DIR/release/bundle/deb/Sift_<version>_amd64.deb
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$HOME/.cache/sift/target}"
export CARGO_TARGET_DIR="$target"
[ -f "$root/ui/dist/index.html" ] || { echo "error: ui/dist is missing: run make ui first" >&2; exit 1; }
cd "$root/src-tauri"
[ -x node_modules/.bin/tauri ] || npm ci --no-audit --no-fund
npx tauri build --no-bundle
strip --strip-debug "$target/release/sift-desktop"
npx tauri bundle --bundles deb
deb="$(ls -t "$target"/release/bundle/deb/*.deb | head -1)"
dpkg-deb --info "$deb"
dpkg-deb --contents "$deb"
echo "package: $deb"
