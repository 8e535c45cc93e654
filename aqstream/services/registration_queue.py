"""Registrations in batches: the requests that arrive while one transaction runs go into the next one.

In a ticket rush every buyer needs the same ticket-type and event rows, so transactions for one event run
one after another however many connections there are. One writer thread per process takes every waiting
request for an event and registers them together (`registration.run_batch`): one read of the event, one
lock of its counters, multi-row INSERTs and one commit. Each caller gets its own answer once that commit
is done, so an acknowledged registration is on disk, never only in memory (DESIGN invariant 2). With one
request waiting, a batch is that one request: nothing waits for a batch to fill.

Several processes (web workers) each have their own writer; their batches queue on the row locks."""
from __future__ import annotations

import logging
import os
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from aqstream.services import registration

log = logging.getLogger(__name__)

MAX_BATCH = 100


@dataclass
class _Item:
    request: registration.Request
    future: Future


class RegistrationQueue:
    def __init__(self, engine: Engine, max_batch: int = MAX_BATCH):
        self.engine = engine
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="registration-writer", daemon=True)
        self._thread.start()
        self.batches = 0  # counters for the benchmark's report
        self.requests = 0

    def submit(self, request: registration.Request) -> Future:
        future: Future = Future()
        self._queue.put(_Item(request, future))
        return future

    def _run(self) -> None:
        while True:
            items = [self._queue.get()]
            while len(items) < self.max_batch:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            by_event: dict[tuple[str, str], list[_Item]] = {}
            for item in items:
                by_event.setdefault((item.request.org_slug, item.request.event_slug), []).append(item)
            for group in by_event.values():
                self._process(group)

    def _process(self, items: list[_Item]) -> None:
        while items:
            self.batches += 1
            self.requests += len(items)
            try:
                with Session(self.engine, expire_on_commit=False) as session:
                    outcomes = registration.run_batch(session, [item.request for item in items])
            except Exception as exc:  # the database is down, say: every caller of this batch hears it
                log.exception("registration batch failed")
                for item in items:
                    item.future.set_exception(exc)
                return
            again = []
            for item, outcome in zip(items, outcomes):
                if outcome is registration.RETRY:
                    again.append(item)  # its twin in this batch has committed now; it is answered next
                elif isinstance(outcome, BaseException):
                    item.future.set_exception(outcome)
                else:
                    item.future.set_result(outcome)
            items = again


_queues: dict[tuple[int, int], RegistrationQueue] = {}
_lock = threading.Lock()


def queue_for(engine: Engine) -> RegistrationQueue:
    """The process's queue for an engine (made on first use, and anew in a forked worker process)."""
    key = (os.getpid(), id(engine))
    found = _queues.get(key)
    if found is None:
        with _lock:
            found = _queues.get(key)
            if found is None:
                found = _queues[key] = RegistrationQueue(engine)
    return found


def submit(engine: Engine, **kwargs) -> Future:
    """Check a registration request and queue it; the future holds the RegistrationResult or the
    DomainError. Input errors are raised at once, before anything is queued."""
    return queue_for(engine).submit(registration.parse_request(**kwargs))
