"""The one place that reads the time, so tests can move it.

`travel(delta)` moves the clock of this process (tests of reminders and expiring links); the environment
variable AQSTREAM_CLOCK_OFFSET_SECONDS does the same for a whole app or worker process started by a test.
Production never sets either."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Iterator

from aqstream import config

_offset = timedelta(seconds=config.clock_offset_seconds())


def utcnow() -> datetime:
    """Now, as an aware UTC datetime (stored as timestamptz on PostgreSQL, UTC text on SQLite)."""
    return datetime.now(timezone.utc) + _offset


def as_utc(value: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite hands them back without their zone)."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


@contextmanager
def travel(delta: timedelta) -> Iterator[None]:
    """Run the block with the clock moved by `delta` (added to any move already in force)."""
    global _offset
    before = _offset
    _offset = before + delta
    try:
        yield
    finally:
        _offset = before
