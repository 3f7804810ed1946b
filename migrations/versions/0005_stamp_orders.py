"""stamp orders

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 17:22:49.798803
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stamp_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('pin_enabled', sa.Boolean(), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('queued', 'minting', 'done', 'failed', name='order_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('minted', sa.Integer(), server_default='0', nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('worker', sa.String(length=100), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status <> 'done' OR run_id IS NOT NULL", name=op.f('ck_stamp_orders_done_has_run')),
    sa.CheckConstraint('minted >= 0 AND minted <= quantity', name=op.f('ck_stamp_orders_minted_range')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_stamp_orders_quantity_positive')),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_stamp_orders_batch_id_batches'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['requested_by'], ['users.id'], name=op.f('fk_stamp_orders_requested_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['run_id'], ['stamp_runs.id'], name=op.f('fk_stamp_orders_run_id_stamp_runs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stamp_orders'))
    )
    op.create_index(op.f('ix_stamp_orders_batch_id'), 'stamp_orders', ['batch_id'], unique=False)
    op.create_index('ix_stamp_orders_waiting', 'stamp_orders', ['id'], unique=False, postgresql_where=sa.text("status IN ('queued', 'minting')"))


def downgrade():
    op.drop_index('ix_stamp_orders_waiting', table_name='stamp_orders', postgresql_where=sa.text("status IN ('queued', 'minting')"))
    op.drop_index(op.f('ix_stamp_orders_batch_id'), table_name='stamp_orders')
    op.drop_table('stamp_orders')
