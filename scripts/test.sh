#!/usr/bin/env bash
# Sets up and runs the whole test suite: services and API on SQLite and PostgreSQL, the concurrency
# rush, and the browser tests in Chromium. Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
scripts/setup.sh --test

scripts/chromium.sh

# PostgreSQL is part of the suite, not an option: fail here rather than skip quietly.
if [ "${AQSTREAM_SKIP_PG:-0}" != "1" ]; then
  python - <<'PY'
import getpass, os, sys
import psycopg
dsn = os.environ.get("AQSTREAM_TEST_PG_URL", f"postgresql://{os.environ.get('PGUSER', getpass.getuser())}@127.0.0.1:5432/postgres")
dsn = dsn.replace("postgresql+psycopg://", "postgresql://")
try:
    psycopg.connect(dsn, connect_timeout=5).close()
except Exception as exc:
    sys.exit(f"PostgreSQL is not reachable at {dsn}: {exc}")
print(f"postgresql: reachable at {dsn}")
PY
fi

ruff check aqstream tests alembic/env.py
mkdir -p test-artifacts
# The slowest tests are listed at the end, so a run that grows slower says where.
exec python -m pytest --durations=30 "$@"
