#!/usr/bin/env bash
# Regenerates every app icon size the desktop build needs from the one source, icons/sift.svg
# (Tauri CLI from src-tauri/node_modules), and the Lab's from icons/lab/sift-lab.svg. Mobile icon
# sets are not kept: Sift ships for desktops.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/src-tauri"
[ -x node_modules/.bin/tauri ] || npm ci --no-audit --no-fund
npx tauri icon "$root/icons/sift.svg" -o "$root/icons"
rm -rf "$root/icons/android" "$root/icons/ios"
# The Lab's icon (sift-lab), from its own source: the hicolor sizes the .deb installs.
lab="$(mktemp -d)"; trap 'rm -rf "$lab"' EXIT
npx tauri icon "$root/icons/lab/sift-lab.svg" -o "$lab" >/dev/null
for s in 32x32 64x64 128x128; do cp "$lab/$s.png" "$root/icons/lab/$s.png"; done
cp "$lab/128x128@2x.png" "$root/icons/lab/256x256.png"
cp "$lab/icon.png" "$root/icons/lab/512x512.png"
