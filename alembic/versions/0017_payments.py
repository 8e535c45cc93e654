"""payments: prices in an event's currency, its payment methods, holds and refund policy; organizations' payment
settings (encrypted keys), payments and refunds

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 01:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0017'
down_revision: Union[str, None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_S = sqlmodel.sql.sqltypes.AutoString
_T = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table('event') as batch:
        batch.add_column(sa.Column('currency', _S(length=3), nullable=False, server_default='EUR'))
        batch.add_column(sa.Column('pay_stripe', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('pay_yookassa', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('pay_bank', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('hold_minutes', sa.Integer(), nullable=False, server_default='15'))
        batch.add_column(sa.Column('bank_transfer_days', sa.Integer(), nullable=False, server_default='3'))
        batch.add_column(sa.Column('refund_until', _T(), nullable=True))
        batch.add_column(sa.Column('refund_percent', sa.Integer(), nullable=False, server_default='100'))
    # An event's currency was its organization's.
    op.execute("UPDATE event SET currency = (SELECT currency FROM organization WHERE organization.id = event.organization_id)")
    with op.batch_alter_table('ticket_order') as batch:
        batch.add_column(sa.Column('payment_method', _S(length=20), nullable=False, server_default=''))
    op.create_table(
        'payment_settings',
        sa.Column('organization_id', sa.Integer(), sa.ForeignKey('organization.id'), primary_key=True),
        sa.Column('stripe_secret_key', _S(length=1000), nullable=False),
        sa.Column('stripe_webhook_secret', _S(length=1000), nullable=False),
        sa.Column('stripe_test_mode', sa.Boolean(), nullable=False),
        sa.Column('yookassa_shop_id', _S(length=40), nullable=False),
        sa.Column('yookassa_secret_key', _S(length=1000), nullable=False),
        sa.Column('yookassa_test_mode', sa.Boolean(), nullable=False),
        sa.Column('bank_enabled', sa.Boolean(), nullable=False),
        sa.Column('bank_instructions', _S(length=2000), nullable=False),
        sa.Column('receipts_enabled', sa.Boolean(), nullable=False),
        sa.Column('receipt_vat_code', sa.Integer(), nullable=False),
        sa.Column('updated_at', _T(), nullable=True),
    )
    op.create_table(
        'payment',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('organization_id', sa.Integer(), sa.ForeignKey('organization.id'), nullable=False),
        sa.Column('event_id', sa.Integer(), sa.ForeignKey('event.id'), nullable=False),
        sa.Column('order_id', sa.Integer(), sa.ForeignKey('ticket_order.id'), nullable=False),
        sa.Column('attempt', sa.Integer(), nullable=False),
        sa.Column('provider', _S(length=20), nullable=False),
        sa.Column('provider_payment_id', _S(length=255), nullable=True),
        sa.Column('status', _S(length=20), nullable=False),
        sa.Column('amount_minor', sa.Integer(), nullable=False),
        sa.Column('currency', _S(length=3), nullable=False),
        sa.Column('idempotency_key', _S(length=255), nullable=False),
        sa.Column('redirect_url', _S(length=2000), nullable=False),
        sa.Column('reference', _S(length=40), nullable=False),
        sa.Column('test_mode', sa.Boolean(), nullable=False),
        sa.Column('created_at', _T(), nullable=False),
        sa.Column('updated_at', _T(), nullable=False),
        sa.Column('paid_at', _T(), nullable=True),
        sa.Column('last_error', _S(length=500), nullable=False),
        sa.UniqueConstraint('provider', 'provider_payment_id', name='uq_payment_provider_id'),
        sa.UniqueConstraint('order_id', 'attempt', name='uq_payment_order_attempt'),
    )
    op.create_index('ix_payment_organization_id', 'payment', ['organization_id'])
    op.create_index('ix_payment_event_id', 'payment', ['event_id'])
    op.create_index('ix_payment_order_id', 'payment', ['order_id'])
    op.create_index('ix_payment_status_created', 'payment', ['status', 'created_at'])
    op.create_table(
        'refund',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('organization_id', sa.Integer(), sa.ForeignKey('organization.id'), nullable=False),
        sa.Column('payment_id', sa.Integer(), sa.ForeignKey('payment.id'), nullable=False),
        sa.Column('order_id', sa.Integer(), sa.ForeignKey('ticket_order.id'), nullable=False),
        sa.Column('ticket_id', sa.Integer(), sa.ForeignKey('ticket.id'), nullable=True),
        sa.Column('amount_minor', sa.Integer(), nullable=False),
        sa.Column('currency', _S(length=3), nullable=False),
        sa.Column('status', _S(length=20), nullable=False),
        sa.Column('reason', _S(length=20), nullable=False),
        sa.Column('provider_refund_id', _S(length=255), nullable=False),
        sa.Column('idempotency_key', _S(length=255), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', _T(), nullable=False),
        sa.Column('last_error', _S(length=500), nullable=False),
        sa.Column('created_at', _T(), nullable=False),
        sa.Column('done_at', _T(), nullable=True),
        sa.Column('actor_user_id', sa.Integer(), sa.ForeignKey('user_account.id'), nullable=True),
    )
    op.create_index('ix_refund_organization_id', 'refund', ['organization_id'])
    op.create_index('ix_refund_payment_id', 'refund', ['payment_id'])
    op.create_index('ix_refund_order_id', 'refund', ['order_id'])
    op.create_index('ix_refund_status_next', 'refund', ['status', 'next_attempt_at'])


def downgrade() -> None:
    op.drop_table('refund')
    op.drop_table('payment')
    op.drop_table('payment_settings')
    with op.batch_alter_table('ticket_order') as batch:
        batch.drop_column('payment_method')
    with op.batch_alter_table('event') as batch:
        for name in ('refund_percent', 'refund_until', 'bank_transfer_days', 'hold_minutes', 'pay_bank',
                     'pay_yookassa', 'pay_stripe', 'currency'):
            batch.drop_column(name)
