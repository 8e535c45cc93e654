"""event city, tags, catalog listing and attendee name edits; deleted accounts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 17:05:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # New NOT NULL columns get a server default, so existing rows migrate.
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('city', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('tags', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('listed', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('attendees_can_edit_names', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
        # The catalog reads published events by start time.
        batch_op.create_index('ix_event_status_starts', ['status', 'starts_at'], unique=False)

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index('ix_event_status_starts')
        batch_op.drop_column('attendees_can_edit_names')
        batch_op.drop_column('listed')
        batch_op.drop_column('tags')
        batch_op.drop_column('city')
