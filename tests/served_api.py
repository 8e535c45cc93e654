"""The REST API served on a real socket in a thread, on a fresh PostgreSQL database, for tests that need real
concurrent HTTP clients (the registration rush, slow downloads, two devices at the door)."""
from __future__ import annotations

import os
import socket
import threading
import time
from contextlib import contextmanager
from typing import Iterator

import pytest
import uvicorn
from sqlmodel import Session

from aqstream.api.app import create_api
from aqstream.db import _engine_for, get_engine, make_engine
from aqstream.services.sales import registration_queue
from tests.conftest import alembic_upgrade, new_database_url


@contextmanager
def fresh_database(pool_size: int | None = None) -> Iterator[tuple[str, Session]]:
    """A migrated PostgreSQL database the app's engine uses (DATABASE_URL), and a session on a seed engine of its
    own to fill it; everything is disposed and the database dropped afterwards."""
    url, drop = new_database_url("postgresql")
    alembic_upgrade(url)
    mp = pytest.MonkeyPatch()
    mp.setenv("DATABASE_URL", url)
    if pool_size:
        mp.setenv("AQSTREAM_DB_POOL_SIZE", str(pool_size))
    _engine_for.cache_clear()
    seed = make_engine(url, pool_size=2)
    try:
        with Session(seed, expire_on_commit=False) as session:
            yield url, session
    finally:
        engine = get_engine()
        queue = registration_queue._queues.pop((os.getpid(), id(engine)), None)
        if queue is not None:
            queue.close()
        engine.dispose()
        _engine_for.cache_clear()
        seed.dispose()
        mp.undo()
        drop()


@contextmanager
def serve(send_buffer: int | None = None) -> Iterator[str]:
    """The API on 127.0.0.1 (a free port) until the block ends; yields its base URL."""
    listener = socket.socket()
    if send_buffer:  # connections inherit it: a small one makes a slow client's backlog show sooner
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_api(), log_level="warning", lifespan="off",
                                           timeout_graceful_shutdown=5))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        assert time.time() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
