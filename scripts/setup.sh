#!/usr/bin/env bash
# Installs what the app needs on a fresh machine: the Python virtualenv with pinned dependencies,
# and bun (Reflex needs bun >= 1.4.4; the machine's Node is too old and Reflex's own download is blocked).
# Usage: scripts/setup.sh [--test]   (--test adds the test dependencies)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
extras=""
[ "${1:-}" = "--test" ] && extras="[test]"
stamp=".venv/.installed$(echo "$extras" | tr -d '[]')-$(cat pyproject.toml | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -e ".$extras"
  touch "$stamp"
fi

# bun for Reflex; axe-core for the browser tests' accessibility checks; zxing-wasm, the door scanner's QR decoder.
if ! tools/node_modules/.bin/bun --version >/dev/null 2>&1 || [ ! -f tools/node_modules/axe-core/axe.min.js ] \
    || [ ! -f tools/node_modules/zxing-wasm/dist/reader/zxing_reader.wasm ]; then
  (cd tools && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "setup: python $(.venv/bin/python --version | cut -d' ' -f2), reflex $(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("reflex"))'), bun $(tools/node_modules/.bin/bun --version)"
