"""Database engine and sessions. SQLite gets WAL and write transactions that take the lock up front."""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from aqstream import config

# Execution option a service sets on its session's connection when it is about to write.
WRITE_OPTION = "aqstream_write"


def make_engine(url: str, pool_size: int | None = None) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):  # pragma: no cover - driver plumbing
            # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is deferred).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()
            # SQLite's own lower() knows only ASCII; searches must match "Анна" with "анна" as PostgreSQL does.
            dbapi_conn.create_function("lower", 1, lambda v: v.lower() if isinstance(v, str) else v,
                                       deterministic=True)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover - driver plumbing
            # A write transaction takes the write lock at BEGIN. A deferred one that reads and then
            # writes can fail at once with SQLITE_BUSY when another writer got there first.
            if conn.get_execution_options().get(WRITE_OPTION):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

        return engine
    # Few connections on purpose: in a ticket rush every buyer needs the same ticket-type row, and
    # PostgreSQL wakes every waiting backend at each commit. Requests queue in this pool instead, which
    # on 2 cores sells 6x faster than 64 backends fighting over the row (see `make bench`).
    size = pool_size or config.db_pool_size()
    return create_engine(url, pool_size=size, max_overflow=0, pool_timeout=60, pool_pre_ping=True)


@lru_cache(maxsize=4)
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    return _engine_for(config.database_url())


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session for one unit of work; services commit, anything left open is rolled back."""
    session = Session(engine or get_engine(), expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()


def begin_write(session: Session) -> None:
    """Start the session's transaction as a write transaction (BEGIN IMMEDIATE on SQLite).

    A service calls this before its first statement. A transaction that is already open (a read the
    caller made) is ended first: services own their transactions and commit what they change.
    """
    if session.in_transaction():
        if session.get_bind().dialect.name != "sqlite":
            # PostgreSQL takes row locks at the write itself (READ COMMITTED); the open transaction is fine,
            # and keeping it saves a rollback, a pool round trip and a ping on every write.
            return
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write called with unsaved changes in the session")
        session.rollback()
    session.connection(execution_options={WRITE_OPTION: True})
