#!/usr/bin/env bash
# Regenerates every app icon size the desktop build needs from the one source, icons/sift.svg
# (Tauri CLI from src-tauri/node_modules). Mobile icon sets are not kept: Sift ships for desktops.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/src-tauri"
[ -x node_modules/.bin/tauri ] || npm ci --no-audit --no-fund
npx tauri icon "$root/icons/sift.svg" -o "$root/icons"
rm -rf "$root/icons/android" "$root/icons/ios"
