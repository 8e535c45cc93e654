"""privacy-first visitor counting: counts per event, day and source, and the day's salted visitor hashes

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 16:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0011'
down_revision: Union[str, None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _source_columns() -> list[sa.Column]:
    return [sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False)
            for name in ('source', 'utm_source', 'utm_medium', 'utm_campaign')]


def upgrade() -> None:
    op.create_table(
        'event_traffic',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        *_source_columns(),
        sa.Column('visitors', sa.Integer(), nullable=False),
        sa.Column('form_started', sa.Integer(), nullable=False),
        sa.Column('submitted', sa.Integer(), nullable=False),
        sa.Column('confirmed', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['event.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('event_id', 'day', 'source', 'utm_source', 'utm_medium', 'utm_campaign',
                            name='uq_event_traffic_key'),
    )
    op.create_index(op.f('ix_event_traffic_event_id'), 'event_traffic', ['event_id'], unique=False)
    op.create_table(
        'visitor_seen',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('step', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        *_source_columns(),
        sa.PrimaryKeyConstraint('day', 'event_id', 'step', 'digest'),
    )


def downgrade() -> None:
    op.drop_table('visitor_seen')
    op.drop_index(op.f('ix_event_traffic_event_id'), table_name='event_traffic')
    op.drop_table('event_traffic')
