"""imported EPCIS event ids

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 17:16:57.358423
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('trace_events', sa.Column('epcis_event_id', sa.String(length=500), nullable=True))
    op.create_index('uq_trace_events_batch_epcis_event', 'trace_events', ['batch_id', 'epcis_event_id'], unique=True, postgresql_where=sa.text('epcis_event_id IS NOT NULL'))


def downgrade():
    op.drop_index('uq_trace_events_batch_epcis_event', table_name='trace_events', postgresql_where=sa.text('epcis_event_id IS NOT NULL'))
    op.drop_column('trace_events', 'epcis_event_id')
