"""domain events: named state changes with their payload, and the deferred handlers' deliveries

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 12:45:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'domain_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=True),
        sa.Column('actor_user_id', sa.Integer(), nullable=True),
        sa.Column('actor_label', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column('occurred_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['actor_user_id'], ['user_account.id']),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_domain_event_name'), 'domain_event', ['name'], unique=False)
    op.create_index(op.f('ix_domain_event_organization_id'), 'domain_event', ['organization_id'], unique=False)
    op.create_index(op.f('ix_domain_event_occurred_at'), 'domain_event', ['occurred_at'], unique=False)
    op.create_table(
        'domain_event_delivery',
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('handler', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column('done_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['event_id'], ['domain_event.id']),
        sa.PrimaryKeyConstraint('event_id', 'handler'),
    )
    op.create_index('ix_delivery_status_next', 'domain_event_delivery', ['status', 'next_attempt_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_delivery_status_next', table_name='domain_event_delivery')
    op.drop_table('domain_event_delivery')
    op.drop_index(op.f('ix_domain_event_occurred_at'), table_name='domain_event')
    op.drop_index(op.f('ix_domain_event_organization_id'), table_name='domain_event')
    op.drop_index(op.f('ix_domain_event_name'), table_name='domain_event')
    op.drop_table('domain_event')
