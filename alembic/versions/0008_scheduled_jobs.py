"""scheduled jobs: when each periodic job is next due, and the lease of the worker running it

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 10:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'scheduled_job',
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('next_run_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=''),
        sa.Column('running_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('last_run_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False, server_default=''),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('scheduled_job')
