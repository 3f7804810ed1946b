"""batches held for a pre-harvest interval

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 16:08:57.666117
"""
from alembic import op
import sqlalchemy as sa
import geoalchemy2


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('batches', sa.Column('hold_reason', sa.Text(), nullable=True))
    op.add_column('batches', sa.Column('held_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('batches', sa.Column('hold_cleared_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('batches', sa.Column('hold_cleared_by', sa.Integer(), nullable=True))
    op.create_foreign_key(op.f('fk_batches_hold_cleared_by_users'), 'batches', 'users', ['hold_cleared_by'], ['id'], ondelete='SET NULL')


def downgrade():
    op.drop_constraint(op.f('fk_batches_hold_cleared_by_users'), 'batches', type_='foreignkey')
    op.drop_column('batches', 'hold_cleared_by')
    op.drop_column('batches', 'hold_cleared_at')
    op.drop_column('batches', 'held_at')
    op.drop_column('batches', 'hold_reason')
