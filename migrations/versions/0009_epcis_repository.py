"""the EPCIS 2.0 repository: captured events and capture jobs, named queries

Every diary entry and every chain action already recorded becomes an event of the
repository (agritrace/services/epcis_backfill.py; it reads the tables by plain SELECTs, so it
runs against this revision's schema), so that the
query interface reads one store.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 06:30:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

EPC_FIELDS = ('epc', 'parent', 'input', 'output', 'class', 'input_class', 'output_class')


def upgrade():
    op.create_table('epcis_captures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('running', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('success', sa.Boolean(), nullable=True),
    sa.Column('error_behaviour', sa.Enum('rollback', 'proceed', name='capture_behaviour', native_enum=False, create_constraint=True, length=8), nullable=False),
    sa.Column('event_count', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('errors', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_epcis_captures_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_epcis_captures_organization_id_organizations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_epcis_captures'))
    )
    op.create_index(op.f('ix_epcis_captures_organization_id'), 'epcis_captures', ['organization_id'], unique=False)
    op.create_table('epcis_events',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('event_id', sa.Text(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('province_code', sa.SmallInteger(), nullable=False),
    sa.Column('capture_id', sa.Integer(), nullable=True),
    sa.Column('trace_event_id', sa.Integer(), nullable=True),
    sa.Column('record_time', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('event_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('event_type', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=True),
    sa.Column('biz_step', sa.Text(), nullable=True),
    sa.Column('disposition', sa.Text(), nullable=True),
    sa.Column('read_point', sa.Text(), nullable=True),
    sa.Column('biz_location', sa.Text(), nullable=True),
    sa.Column('document', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.ForeignKeyConstraint(['capture_id'], ['epcis_captures.id'], name=op.f('fk_epcis_events_capture_id_epcis_captures'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_epcis_events_organization_id_organizations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['trace_event_id'], ['trace_events.id'], name=op.f('fk_epcis_events_trace_event_id_trace_events'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_epcis_events')),
    sa.UniqueConstraint('event_id', name=op.f('uq_epcis_events_event_id')),
    sa.UniqueConstraint('trace_event_id', name=op.f('uq_epcis_events_trace_event_id'))
    )
    for column in ('organization_id', 'province_code', 'capture_id', 'event_type', 'biz_step',
                   'disposition', 'read_point', 'biz_location'):
        op.create_index(op.f(f'ix_epcis_events_{column}'), 'epcis_events', [column], unique=False)
    op.create_index('ix_epcis_events_event_time_id', 'epcis_events', ['event_time', 'id'], unique=False)
    op.create_index('ix_epcis_events_record_time_id', 'epcis_events', ['record_time', 'id'], unique=False)
    op.create_table('epcis_event_epcs',
    sa.Column('epc', sa.Text(), nullable=False),
    sa.Column('event_pk', sa.BigInteger(), nullable=False),
    sa.Column('field', sa.Enum(*EPC_FIELDS, name='epc_field', native_enum=False, create_constraint=True, length=12), nullable=False),
    sa.ForeignKeyConstraint(['event_pk'], ['epcis_events.id'], name=op.f('fk_epcis_event_epcs_event_pk_epcis_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('epc', 'event_pk', 'field', name=op.f('pk_epcis_event_epcs'))
    )
    op.create_index('ix_epcis_event_epcs_event', 'epcis_event_epcs', ['event_pk'], unique=False)
    op.create_table('epcis_event_lots',
    sa.Column('event_pk', sa.BigInteger(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_epcis_event_lots_batch_id_batches'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['event_pk'], ['epcis_events.id'], name=op.f('fk_epcis_event_lots_event_pk_epcis_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_pk', 'batch_id', name=op.f('pk_epcis_event_lots'))
    )
    op.create_index(op.f('ix_epcis_event_lots_batch_id'), 'epcis_event_lots', ['batch_id'], unique=False)
    op.create_table('epcis_queries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('query', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('length(name) BETWEEN 1 AND 100', name=op.f('ck_epcis_queries_name_length')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_epcis_queries_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_epcis_queries')),
    sa.UniqueConstraint('owner_id', 'name', name='uq_epcis_queries_owner_name')
    )
    _backfill()


def _backfill():
    """The diary entries and chain actions recorded before the repository existed."""
    from agritrace.services.epcis_backfill import backfill
    backfill(op.get_bind())


def downgrade():
    op.drop_table('epcis_queries')
    op.drop_index(op.f('ix_epcis_event_lots_batch_id'), table_name='epcis_event_lots')
    op.drop_table('epcis_event_lots')
    op.drop_index('ix_epcis_event_epcs_event', table_name='epcis_event_epcs')
    op.drop_table('epcis_event_epcs')
    op.drop_table('epcis_events')
    op.drop_index(op.f('ix_epcis_captures_organization_id'), table_name='epcis_captures')
    op.drop_table('epcis_captures')
