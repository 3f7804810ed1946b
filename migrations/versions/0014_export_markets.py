"""export-market approvals of codes, inspections and renewals

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 06:30:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

FINDINGS = ('quarantine_pest', 'residue_over_limit', 'records_missing', 'code_misused',
            'owner_changed')
STATES = ('proposed', 'submitted', 'approved', 'suspended', 'revoked')
OUTCOMES = ('passed', 'corrective_action', 'suspension', 'revocation')
ONE_CODE = 'num_nonnulls(area_id, facility_id) = 1'


def _stamps():
    return [sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                      nullable=False),
            sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                      nullable=False)]


def _enum(values, name):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True,
                   length=max(len(v) for v in values))


def _code_columns(table):
    return [sa.Column('area_id', sa.Integer(), nullable=True),
            sa.Column('facility_id', sa.Integer(), nullable=True),
            sa.ForeignKeyConstraint(['area_id'], ['growing_areas.id'],
                                    name=op.f(f'fk_{table}_area_id_growing_areas'),
                                    ondelete='CASCADE'),
            sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'],
                                    name=op.f(f'fk_{table}_facility_id_facilities'),
                                    ondelete='CASCADE'),
            sa.CheckConstraint(ONE_CODE, name=op.f(f'ck_{table}_one_code'))]


def upgrade():
    for table in ('growing_areas', 'facilities'):
        op.add_column(table, sa.Column('code_scope', sa.String(length=8), nullable=True))
        op.create_check_constraint(op.f(f'ck_{table}_code_scope'), table,
                                   "code_scope IN ('domestic', 'export')")
    op.create_table(
        'code_markets',
        sa.Column('id', sa.Integer(), nullable=False),
        *_code_columns('code_markets'),
        sa.Column('market', sa.String(length=2), nullable=False),
        sa.Column('state', _enum(STATES, 'market_state'), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('approved_on', sa.Date(), nullable=True),
        sa.Column('list_reference', sa.String(length=120), nullable=True),
        sa.Column('valid_until', sa.Date(), nullable=True),
        sa.Column('renew_by', sa.Date(), nullable=True),
        sa.Column('reminded_for', sa.Date(), nullable=True),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        *_stamps(),
        sa.CheckConstraint("market ~ '^[A-Z]{2}$'", name=op.f('ck_code_markets_market_iso2')),
        sa.CheckConstraint("state NOT IN ('approved', 'suspended') OR approved_on IS NOT NULL",
                           name=op.f('ck_code_markets_approved_has_date')),
        sa.CheckConstraint('valid_until IS NULL OR approved_on IS NULL '
                           'OR valid_until >= approved_on',
                           name=op.f('ck_code_markets_validity_order')),
        sa.ForeignKeyConstraint(['updated_by'], ['users.id'],
                                name=op.f('fk_code_markets_updated_by_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_code_markets')),
        sa.UniqueConstraint('area_id', 'market', name='uq_code_markets_area_market'),
        sa.UniqueConstraint('facility_id', 'market', name='uq_code_markets_facility_market'),
    )
    op.create_table(
        'inspection_plans',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('province_code', sa.SmallInteger(), nullable=False),
        sa.Column('crop', sa.String(length=100), nullable=False),
        sa.Column('market', sa.String(length=2), nullable=False),
        sa.Column('cycle_days', sa.Integer(), nullable=False),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        *_stamps(),
        sa.CheckConstraint('cycle_days BETWEEN 1 AND 3660',
                           name=op.f('ck_inspection_plans_cycle_range')),
        sa.CheckConstraint("market ~ '^[A-Z]{2}$'", name=op.f('ck_inspection_plans_market_iso2')),
        sa.ForeignKeyConstraint(['updated_by'], ['users.id'],
                                name=op.f('fk_inspection_plans_updated_by_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_plans')),
        sa.UniqueConstraint('province_code', 'crop', 'market', name='uq_inspection_plans_scope'),
    )
    op.create_table(
        'inspections',
        sa.Column('id', sa.Integer(), nullable=False),
        *_code_columns('inspections'),
        sa.Column('province_code', sa.SmallInteger(), nullable=False),
        sa.Column('inspected_on', sa.Date(), nullable=False),
        sa.Column('inspector', sa.String(length=200), nullable=False),
        sa.Column('findings', postgresql.ARRAY(sa.String(length=30)), nullable=False),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.Column('outcome', _enum(OUTCOMES, 'inspection_outcome'), nullable=False),
        sa.Column('markets', postgresql.ARRAY(sa.String(length=2)), nullable=False),
        sa.Column('correct_by', sa.Date(), nullable=True),
        sa.Column('corrected_on', sa.Date(), nullable=True),
        sa.Column('recorded_by', sa.Integer(), nullable=True),
        *_stamps(),
        sa.CheckConstraint('findings <@ ARRAY[%s]::varchar[]'
                           % ', '.join(f"'{f}'" for f in FINDINGS),
                           name=op.f('ck_inspections_known_findings')),
        sa.CheckConstraint("outcome <> 'corrective_action' OR correct_by IS NOT NULL",
                           name=op.f('ck_inspections_corrective_has_date')),
        sa.ForeignKeyConstraint(['recorded_by'], ['users.id'],
                                name=op.f('fk_inspections_recorded_by_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections')),
    )
    op.create_index('ix_inspections_area_id', 'inspections', ['area_id'])
    op.create_index('ix_inspections_facility_id', 'inspections', ['facility_id'])
    op.create_index('ix_inspections_province_code', 'inspections', ['province_code'])
    op.create_table(
        'inspection_photos',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('inspection_id', sa.Integer(), nullable=False),
        sa.Column('content_type', sa.String(length=30), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'],
                                name=op.f('fk_inspection_photos_inspection_id_inspections'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_photos')),
    )
    op.create_index(op.f('ix_inspection_photos_inspection_id'), 'inspection_photos',
                    ['inspection_id'])


def downgrade():
    op.drop_table('inspection_photos')
    op.drop_table('inspections')
    op.drop_table('inspection_plans')
    op.drop_table('code_markets')
    for table in ('facilities', 'growing_areas'):
        op.drop_constraint(op.f(f'ck_{table}_code_scope'), table, type_='check')
        op.drop_column(table, 'code_scope')
