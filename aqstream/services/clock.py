"""The one place that reads the time, so tests can move it."""
from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """Now, as an aware UTC datetime (stored as timestamptz on PostgreSQL, UTC text on SQLite)."""
    return datetime.now(timezone.utc)
