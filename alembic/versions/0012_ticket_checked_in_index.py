"""an index on ticket (event_id, checked_in_at): the live Analytics tab counts arrivals at the door from it
without reading the tickets, and the door's chart reads only the checked-in ones

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 18:00:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_ticket_event_checked_in', 'ticket', ['event_id', 'checked_in_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_ticket_event_checked_in', table_name='ticket')
