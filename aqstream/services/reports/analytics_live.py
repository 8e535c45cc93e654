"""The live Analytics tab's refresh, shared: every organizer watching the same event within one tick gets the
result of ONE database read (per process). The first to ask after the tick ran out reads, the others wait for
that read (a lock per key) and take its result. The tab asks each second for the event's change stamp (two
index-only counts, shared for PROBE_TICK) and for the analytics keyed by that stamp, so the full read runs
once per change (and every few seconds for visits), not once per watcher and second."""
from __future__ import annotations

import threading
import time
from typing import Callable, Hashable, TypeVar

T = TypeVar("T")
TICK = 1.5  # seconds a read is shared by default
PROBE_TICK = 0.9  # seconds a change stamp is shared: the tab asks every second, so a change shows within ~2 s

_lock = threading.Lock()
_entries: dict[Hashable, tuple[float, object]] = {}
_key_locks: dict[Hashable, threading.Lock] = {}
reads = 0  # how many reads ran (the bench and the tests read it)


def shared(key: Hashable, read: Callable[[], T], ttl: float = TICK) -> T:
    """`read()`'s result for `key`, read at most once per `ttl` seconds across all callers of this process.
    The caller has already checked that its principal may see what `key` names."""
    global reads
    now = time.monotonic()
    with _lock:
        hit = _entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]  # type: ignore[return-value]
        key_lock = _key_locks.setdefault(key, threading.Lock())
    with key_lock:
        with _lock:  # another caller may have read it while this one waited
            hit = _entries.get(key)
            if hit is not None and hit[0] > time.monotonic():
                return hit[1]  # type: ignore[return-value]
        value = read()
        with _lock:
            reads += 1
            _entries[key] = (time.monotonic() + ttl, value)
            if len(_entries) > 1000:  # forget the oldest ticks: a process never holds more than a few
                for stale in sorted(_entries, key=lambda k: _entries[k][0])[:500]:
                    _entries.pop(stale, None)
                    _key_locks.pop(stale, None)
        return value


def forget() -> None:
    """Drop every shared result (tests)."""
    with _lock:
        _entries.clear()
        _key_locks.clear()
