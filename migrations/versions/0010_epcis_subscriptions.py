"""EPCIS subscriptions: webhooks and their delivery queue

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 06:30:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('epcis_subscriptions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('query_id', sa.Integer(), nullable=False),
    sa.Column('dest', sa.Text(), nullable=False),
    sa.Column('signature_token', sa.Text(), nullable=True),
    sa.Column('stream', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('schedule', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('report_if_empty', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('initial_record_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('high_water', sa.BigInteger(), nullable=False),
    sa.Column('next_run_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('stream OR schedule IS NOT NULL', name=op.f('ck_epcis_subscriptions_stream_or_schedule')),
    sa.ForeignKeyConstraint(['query_id'], ['epcis_queries.id'], name=op.f('fk_epcis_subscriptions_query_id_epcis_queries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_epcis_subscriptions'))
    )
    op.create_index(op.f('ix_epcis_subscriptions_query_id'), 'epcis_subscriptions', ['query_id'], unique=False)
    op.create_table('epcis_deliveries',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('subscription_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sent', 'failed', name='delivery_status', native_enum=False, create_constraint=True, length=7), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['epcis_subscriptions.id'], name=op.f('fk_epcis_deliveries_subscription_id_epcis_subscriptions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_epcis_deliveries'))
    )
    op.create_index(op.f('ix_epcis_deliveries_subscription_id'), 'epcis_deliveries', ['subscription_id'], unique=False)
    op.create_index('ix_epcis_deliveries_due', 'epcis_deliveries', ['next_attempt_at'], unique=False, postgresql_where=sa.text("status = 'pending'"))
    op.create_table('epcis_subscription_events',
    sa.Column('subscription_id', sa.String(length=36), nullable=False),
    sa.Column('event_pk', sa.BigInteger(), nullable=False),
    sa.Column('delivery_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['epcis_deliveries.id'], name=op.f('fk_epcis_subscription_events_delivery_id_epcis_deliveries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_pk'], ['epcis_events.id'], name=op.f('fk_epcis_subscription_events_event_pk_epcis_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscription_id'], ['epcis_subscriptions.id'], name=op.f('fk_epcis_subscription_events_subscription_id_epcis_subscriptions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('subscription_id', 'event_pk', name=op.f('pk_epcis_subscription_events'))
    )
    op.create_index(op.f('ix_epcis_subscription_events_delivery_id'), 'epcis_subscription_events', ['delivery_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_epcis_subscription_events_delivery_id'), table_name='epcis_subscription_events')
    op.drop_table('epcis_subscription_events')
    op.drop_index('ix_epcis_deliveries_due', table_name='epcis_deliveries', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index(op.f('ix_epcis_deliveries_subscription_id'), table_name='epcis_deliveries')
    op.drop_table('epcis_deliveries')
    op.drop_index(op.f('ix_epcis_subscriptions_query_id'), table_name='epcis_subscriptions')
    op.drop_table('epcis_subscriptions')
