#!/usr/bin/env bash
# Makes sure Node.js >= 20 and npm are available (the UI build and browser tests need them).
set -euo pipefail
version_ok() { node -e 'const [a]=process.versions.node.split(".").map(Number); process.exit(a>=20?0:1)' 2>/dev/null; }
if command -v node >/dev/null && command -v npm >/dev/null && version_ok; then
  exit 0
fi
echo "Node.js >= 20 with npm is required; installing Debian's nodejs and npm"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
version_ok || { echo "error: Node.js $(node --version) is too old; install Node.js 20 or newer" >&2; exit 1; }
