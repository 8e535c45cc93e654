"""Registrations in batches: the requests that arrive while one transaction runs go into the next one.

In a ticket rush every buyer needs the same ticket-type and event rows, so transactions for one event run
one after another however many connections there are. One writer thread per process takes every waiting
request for an event and registers them together (`registration.run_batch`): one read of the event, one
lock of its counters, multi-row INSERTs and one commit. Each caller gets its own answer once that commit
is done, so an acknowledged registration is on disk, never only in memory (docs/architecture.md, invariant 2). With one
request waiting, a batch is that one request: nothing waits for a batch to fill.

Several processes (web workers) each have their own writer; their batches queue on the row locks."""
from __future__ import annotations

import logging
import os
import queue
import random
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from aqstream.services.sales import registration

log = logging.getLogger(__name__)

MAX_BATCH = 100


@dataclass
class _Item:
    request: registration.Request
    future: Future


class RegistrationQueue:
    def __init__(self, engine: Engine, max_batch: int = MAX_BATCH, start: bool = True):
        self.engine = engine
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="registration-writer", daemon=True)
        self.batches = 0  # how many transactions, for tests and the benchmark
        self._closed = False
        if start:
            self.start()

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Stop the writer once it has answered every request queued before."""
        self._closed = True
        self._queue.put(None)
        self._thread.join()

    def submit(self, request: registration.Request) -> Future:
        if self._closed:
            raise RuntimeError("the registration queue is closed")
        future: Future = Future()
        self._queue.put(_Item(request, future))
        return future

    def _run(self) -> None:
        closing = False
        while not closing:
            items: list[_Item] = []
            item = self._queue.get()  # wait for one request, then take whatever else is waiting
            while item is not None:
                items.append(item)
                if len(items) == self.max_batch:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            closing = item is None
            # A caller that gave up (its request was cancelled) is dropped before anything is written;
            # from here on its future cannot be cancelled any more and will hold the answer.
            items = [item for item in items if item.future.set_running_or_notify_cancel()]
            by_event: dict[tuple[str, str], list[_Item]] = {}
            for item in items:
                by_event.setdefault((item.request.org_slug, item.request.event_slug), []).append(item)
            for group in by_event.values():
                try:
                    self._process(group)
                except BaseException as exc:  # never let the writer die: every later caller would wait forever
                    log.exception("registration writer failed")
                    self._fail([item for item in group if not item.future.done()], exc)

    def _process(self, items: list[_Item]) -> None:
        tries = 0
        while items:
            self.batches += 1
            try:
                with Session(self.engine, expire_on_commit=False) as session:
                    outcomes = registration.run_batch(session, [item.request for item in items])
            except Exception as exc:
                # run_batch raises only when nothing of the batch was committed. A deadlock or serialization
                # failure is run again; anything else (the database is down) is every caller's answer.
                tries += 1
                if registration.is_transient(exc) and tries < registration.RETRIES:
                    time.sleep(random.uniform(0, 0.01 * tries))
                    continue
                self._fail(items, exc)
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

    @staticmethod
    def _fail(items: list[_Item], exc: Exception) -> None:
        log.error("registration batch of %d failed: %r", len(items), exc)
        for item in items:
            item.future.set_exception(exc)


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
    return queue_for(engine).submit(registration.parse_request(engine=engine, **kwargs))
