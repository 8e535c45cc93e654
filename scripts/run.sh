#!/usr/bin/env bash
# Sets up and serves AqStream with demo data on SQLite at http://localhost:3000 (production build).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
scripts/setup.sh
alembic upgrade head
python -m aqstream.demo
exec reflex run --env prod --single-port
