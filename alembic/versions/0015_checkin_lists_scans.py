"""check-in: lists (who may get in, when, re-entry), entries (one per list and ticket: one welcome) and scans
(every scan by the device's own id, so a replayed sync changes nothing)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 19:30:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0015'
down_revision: Union[str, None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'checkin_list',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('ticket_type_ids', sa.JSON(), nullable=False),
        sa.Column('opens_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('closes_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('allow_reentry', sa.Boolean(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['event.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_checkin_list_event_id'), 'checkin_list', ['event_id'], unique=False)
    op.create_table(
        'checkin_entry',
        sa.Column('list_id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('device', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('scan_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(['list_id'], ['checkin_list.id']),
        sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id']),
        sa.PrimaryKeyConstraint('list_id', 'ticket_id'),
    )
    op.create_table(
        'checkin_scan',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('list_id', sa.Integer(), nullable=False),
        sa.Column('client_scan_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.Column('result', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('device', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('scanned_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['list_id'], ['checkin_list.id']),
        sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('list_id', 'client_scan_id', name='uq_checkin_scan_client'),
    )
    op.create_index(op.f('ix_checkin_scan_list_id'), 'checkin_scan', ['list_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_checkin_scan_list_id'), table_name='checkin_scan')
    op.drop_table('checkin_scan')
    op.drop_table('checkin_entry')
    op.drop_index(op.f('ix_checkin_list_event_id'), table_name='checkin_list')
    op.drop_table('checkin_list')
