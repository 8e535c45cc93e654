"""pending orders hold their places until expires_at; an index to find the due ones

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 12:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('ticket_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        # The expiry job asks for pending orders whose expires_at has passed.
        batch_op.create_index('ix_order_status_expires', ['status', 'expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ticket_order', schema=None) as batch_op:
        batch_op.drop_index('ix_order_status_expires')
        batch_op.drop_column('expires_at')
