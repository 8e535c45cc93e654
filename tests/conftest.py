"""Shared fixtures: a migrated database per backend (SQLite and PostgreSQL), factories for data.

PostgreSQL is not optional: if it cannot be reached the run fails, unless AQSTREAM_SKIP_PG=1 is set
for a quick local run."""
from __future__ import annotations

import getpass
import os
import tempfile
import uuid
from pathlib import Path

import pytest

# Every test run gets its own data directory (secret key, SQLite files) before the app is imported.
_DATA = tempfile.mkdtemp(prefix="aqstream-test-")
os.environ["AQSTREAM_DATA_DIR"] = _DATA
os.environ.pop("DATABASE_URL", None)

from alembic.config import Config  # noqa: E402
from sqlmodel import Session  # noqa: E402

from alembic import command  # noqa: E402
from aqstream.db import make_engine  # noqa: E402
from aqstream.services.accounts import accounts  # noqa: E402
from aqstream.services.events import events  # noqa: E402
from aqstream.services.org import organizations  # noqa: E402
from aqstream.services.org.permissions import Principal  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "AQSTREAM_TEST_PG_URL", f"postgresql+psycopg://{os.environ.get('PGUSER', getpass.getuser())}@127.0.0.1:5432/postgres"
)
BACKENDS = ["sqlite"] if os.environ.get("AQSTREAM_SKIP_PG") == "1" else ["sqlite", "postgresql"]


def alembic_upgrade(url: str) -> None:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.attributes["url"] = url
    cfg.attributes["configure_logging"] = False
    command.upgrade(cfg, "head")


def _pg_admin():
    import psycopg

    dsn = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        return psycopg.connect(dsn, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:  # pragma: no cover - environment problem
        pytest.fail(f"PostgreSQL is not reachable at {dsn}: {exc}. Start it, or set AQSTREAM_SKIP_PG=1.")


def new_database_url(backend: str) -> tuple[str, callable]:
    """An empty database of the given kind, and a function that drops it."""
    if backend == "sqlite":
        path = Path(tempfile.mkdtemp(dir=_DATA)) / "test.db"
        return f"sqlite:///{path}", lambda: None
    name = f"aqs_test_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", drop


@pytest.fixture(scope="session", params=BACKENDS)
def db_url(request):
    url, drop = new_database_url(request.param)
    alembic_upgrade(url)
    yield url
    from aqstream.db import _engine_for

    _engine_for.cache_clear()
    drop()


@pytest.fixture(scope="session")
def engine(db_url):
    # The concurrency tests race real, separate connections: up to 80 at once (PostgreSQL allows 100).
    eng = make_engine(db_url, pool_size=80)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine):
    # Objects expire when a service commits, so what a test reads afterwards comes from the database.
    with Session(engine, expire_on_commit=True) as s:
        yield s


@pytest.fixture
def use_db(db_url, monkeypatch):
    """Point the app's own engine (used by the API and the UI) at the test database."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    return db_url


def unique(prefix: str = "x") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


class Factory:
    """Builds users, organizations and events through the services, as a user would."""

    def __init__(self, session: Session):
        self.session = session

    def user(self, name: str = "Test User", password: str = "a-good-long-passphrase"):
        return accounts.sign_up(self.session, name=name, email=f"{unique('u')}@example.com", password=password)

    def org(self, owner=None):
        owner = owner or self.user()
        org = organizations.create_organization(self.session, Principal(owner.id), name=f"Org {unique()}")
        return owner, org

    def event(self, owner, org, *, quantities=(10,), capacity=None, publish=True, starts="2031-06-01T18:00",
              ends="2031-06-01T21:00", time_zone="Europe/Moscow", one_registration_per_email=False):
        data = events.EventInput(
            title=f"Event {unique()}",
            starts_local=starts,
            ends_local=ends,
            time_zone=time_zone,
            venue="Main hall",
            capacity=capacity,
            one_registration_per_email=one_registration_per_email,
            ticket_types=[events.TicketTypeInput(f"Type {i}", q) for i, q in enumerate(quantities)],
        )
        event = events.create_event(self.session, Principal(owner.id), org.id, data)
        if publish:
            event = events.publish_event(self.session, Principal(owner.id), org.id, event.id)
        return event, events.list_ticket_types(self.session, event.id)


@pytest.fixture
def make(session):
    return Factory(session)
