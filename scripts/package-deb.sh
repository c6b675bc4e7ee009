#!/usr/bin/env bash
# Builds the desktop app's .deb (release, debug info stripped) and shows what is in it. The
# package holds both programs: `sift-desktop` (the annotator app, Tauri's bundle) and
# `sift-lab` (the lead's console) in /usr/bin, each with its own desktop entry and hicolor
# icons. The Lab's entry and icons are listed in src-tauri/tauri.conf.json
# (bundle.linux.deb.files); its binary is added here, from wherever CARGO_TARGET_DIR is.
# Needs the built UI (make ui) and the Tauri CLI (npm ci in src-tauri).
# Usage: scripts/package-deb.sh        -> $CARGO_TARGET_DIR/release/bundle/deb/Sift_<version>_amd64.deb
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$HOME/.cache/sift/target}"
export CARGO_TARGET_DIR="$target"
[ -f "$root/ui/dist/index.html" ] || { echo "error: ui/dist is missing: run make ui first" >&2; exit 1; }
cd "$root/src-tauri"
[ -x node_modules/.bin/tauri ] || npm ci --no-audit --no-fund
# Every binary in one command line, as `make build-release` builds them (nothing is rebuilt
# for another feature set); then the desktop app as Tauri builds it.
env -u MAKEFLAGS -u MFLAGS cargo build --release --workspace --bins --locked
npx tauri build --no-bundle
lab="$target/release/sift-lab"
[ -x "$lab" ] || { echo "error: $lab was not built" >&2; exit 1; }
strip --strip-debug "$target/release/sift-desktop" "$lab"
# The Lab's program joins the files tauri.conf.json lists (a JSON merge patch of the config).
extra="$(mktemp)"; trap 'rm -f "$extra"' EXIT
printf '{"bundle":{"linux":{"deb":{"files":{"/usr/bin/sift-lab":"%s"}}}}}\n' "$lab" > "$extra"
npx tauri bundle --bundles deb --config "$extra"
deb="$(ls -t "$target"/release/bundle/deb/*.deb | head -1)"
dpkg-deb --info "$deb"
dpkg-deb --contents "$deb"
# What the package must hold for the Lab; a missing one fails the script.
# (dpkg-deb lists paths with or without a leading "./", depending on how the archive was made.)
for f in usr/bin/sift-lab usr/share/applications/sift-lab.desktop \
         usr/share/icons/hicolor/128x128/apps/sift-lab.png usr/bin/sift-desktop; do
  dpkg-deb --contents "$deb" | awk '{sub(/^\.\//, "", $NF); print $NF}' | grep -qx -- "$f" \
    || { echo "error: $deb lacks $f" >&2; exit 1; }
done
echo "package: $deb"
