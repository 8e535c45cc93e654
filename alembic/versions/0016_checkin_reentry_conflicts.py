"""check-in: the answers a list shows to stewards, check-out (entries inside or left), and synced offline scans
(direction, offline, conflict)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 21:20:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0016'
down_revision: Union[str, None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('checkin_list') as batch:
        batch.add_column(sa.Column('question_ids', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('checkin_entry') as batch:
        batch.add_column(sa.Column('inside', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column('left_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table('checkin_scan') as batch:
        batch.add_column(sa.Column('direction', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False,
                                   server_default='in'))
        batch.add_column(sa.Column('offline', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('conflict', sa.Boolean(), nullable=False, server_default=sa.false()))
    # The organizer's conflicts of an event, and a ticket's scans (undo, the attendee page).
    op.create_index('ix_checkin_scan_conflict', 'checkin_scan', ['list_id', 'conflict'], unique=False)
    op.create_index('ix_checkin_entry_ticket', 'checkin_entry', ['ticket_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_checkin_entry_ticket', table_name='checkin_entry')
    op.drop_index('ix_checkin_scan_conflict', table_name='checkin_scan')
    with op.batch_alter_table('checkin_scan') as batch:
        batch.drop_column('conflict')
        batch.drop_column('offline')
        batch.drop_column('direction')
    with op.batch_alter_table('checkin_entry') as batch:
        batch.drop_column('left_at')
        batch.drop_column('inside')
    with op.batch_alter_table('checkin_list') as batch:
        batch.drop_column('question_ids')
