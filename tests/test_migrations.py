"""Migrations are the schema: an empty database upgraded to head matches the models exactly."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

import aqstream.models  # noqa: F401
from tests.conftest import BACKENDS, alembic_upgrade, new_database_url


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_empty_database_to_head_matches_models(backend):
    url, drop = new_database_url(backend)
    try:
        alembic_upgrade(url)
        engine = create_engine(url)
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            assert {"organization", "user_account", "membership", "event", "ticket_type", "ticket_order", "ticket",
                    "outbox_message", "audit_entry"} <= tables
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, SQLModel.metadata)
        engine.dispose()
        assert diff == [], f"models and migrations disagree: {diff}"
    finally:
        drop()
