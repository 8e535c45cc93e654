"""platform administration: an organization's suspension (when, why), its optional limits and its last activity

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 18:30:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0013'
down_revision: Union[str, None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('organization') as batch:
        batch.add_column(sa.Column('suspended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('suspension_reason', sqlmodel.sql.sqltypes.AutoString(length=500),
                                   nullable=False, server_default=''))
        batch.add_column(sa.Column('max_published_events', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('max_tickets_per_event', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('last_activity_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.execute("UPDATE organization SET last_activity_at = created_at")
    op.create_index('ix_organization_status_created', 'organization', ['status', 'created_at'], unique=False)
    op.create_index('ix_organization_last_activity', 'organization', ['last_activity_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_organization_last_activity', table_name='organization')
    op.drop_index('ix_organization_status_created', table_name='organization')
    with op.batch_alter_table('organization') as batch:
        for column in ('last_activity_at', 'max_tickets_per_event', 'max_published_events', 'suspension_reason',
                       'suspended_at'):
            batch.drop_column(column)
