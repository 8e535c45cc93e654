"""event email settings (reminder hours, organizer texts, notice address), order reminders, password resets

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 20:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_hours', sa.Integer(), nullable=False, server_default='24'))
        batch_op.add_column(sa.Column('confirmation_text', sqlmodel.sql.sqltypes.AutoString(length=2000),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('reminder_text', sqlmodel.sql.sqltypes.AutoString(length=2000),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('notify_email', sqlmodel.sql.sqltypes.AutoString(length=1300),
                                      nullable=False, server_default=''))

    # The mail log lists an organization's messages newest first.
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_org_created', ['organization_id', 'created_at'], unique=False)

    with op.batch_alter_table('ticket_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))

    op.create_table(
        'password_reset',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=''),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_reset_token_hash'), ['token_hash'], unique=True)
        batch_op.create_index(batch_op.f('ix_password_reset_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_org_created')

    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_reset_user_id'))
        batch_op.drop_index(batch_op.f('ix_password_reset_token_hash'))
    op.drop_table('password_reset')

    with op.batch_alter_table('ticket_order', schema=None) as batch_op:
        batch_op.drop_column('reminder_sent_at')

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('notify_email')
        batch_op.drop_column('reminder_text')
        batch_op.drop_column('confirmation_text')
        batch_op.drop_column('reminder_hours')
