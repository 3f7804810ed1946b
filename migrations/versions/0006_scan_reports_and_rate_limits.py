"""scan reports and rate limits

What a consumer reported and on which code; the request counters of the public scan
pages (an UNLOGGED table).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 18:50:15.666171
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rate_limits',
    sa.Column('bucket', sa.String(length=100), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('bucket', 'window_start', name=op.f('pk_rate_limits')),
    prefixes=['UNLOGGED']
    )
    op.add_column('reports', sa.Column('stamp_code', sa.String(length=20), nullable=True))
    op.add_column('reports', sa.Column('reason', sa.Enum('fake', 'quality', 'information', 'other', name='report_reason', native_enum=False, create_constraint=True), server_default='other', nullable=False))


def downgrade():
    op.drop_column('reports', 'reason')
    op.drop_column('reports', 'stamp_code')
    op.drop_table('rate_limits')
