"""link previews counted apart from scans, per stamp

Link-preview fetchers, crawlers, prefetches and HEAD requests of a stamp's page are
no scans: they are counted here, per stamp and per kind of robot.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 06:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stamp_previews',
    sa.Column('stamp_id', sa.BigInteger(), nullable=False),
    sa.Column('agent', sa.String(length=40), nullable=False),
    sa.Column('previews', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('previews > 0', name=op.f('ck_stamp_previews_previews_positive')),
    sa.ForeignKeyConstraint(['stamp_id'], ['stamps.id'], name=op.f('fk_stamp_previews_stamp_id_stamps'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('stamp_id', 'agent', name=op.f('pk_stamp_previews'))
    )


def downgrade():
    op.drop_table('stamp_previews')
