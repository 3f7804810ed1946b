"""residue limits and lab results, forest-cover rasters, EUDR due diligence

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 06:30:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def _stamps():
    return [sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
            sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False)]


def _user_fk(table, column):
    return sa.ForeignKeyConstraint([column], ['users.id'], name=op.f(f'fk_{table}_{column}_users'),
                                   ondelete='SET NULL')


def upgrade():
    op.create_table('residue_limits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('province_code', sa.SmallInteger(), nullable=False),
    sa.Column('market', sa.String(length=2), nullable=False),
    sa.Column('crop', sa.String(length=100), nullable=False),
    sa.Column('ingredient', sa.String(length=100), nullable=False),
    sa.Column('mrl_mg_kg', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    *_stamps(),
    sa.CheckConstraint('mrl_mg_kg > 0', name=op.f('ck_residue_limits_mrl_positive')),
    sa.CheckConstraint("market ~ '^[A-Z]{2}$'", name=op.f('ck_residue_limits_market_iso2')),
    sa.CheckConstraint('crop = lower(btrim(crop)) AND ingredient = lower(btrim(ingredient))',
                       name=op.f('ck_residue_limits_names_normalised')),
    _user_fk('residue_limits', 'updated_by'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residue_limits')),
    sa.UniqueConstraint('province_code', 'market', 'crop', 'ingredient',
                        name='uq_residue_limits_province_market_crop_ingredient')
    )
    op.create_table('residue_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('province_code', sa.SmallInteger(), nullable=False),
    sa.Column('market', sa.String(length=2), nullable=False),
    sa.Column('within_days', sa.SmallInteger(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    *_stamps(),
    sa.CheckConstraint('within_days BETWEEN 1 AND 365', name=op.f('ck_residue_rules_days_range')),
    sa.CheckConstraint("market ~ '^[A-Z]{2}$'", name=op.f('ck_residue_rules_market_iso2')),
    _user_fk('residue_rules', 'updated_by'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residue_rules')),
    sa.UniqueConstraint('province_code', 'market', name='uq_residue_rules_province_market')
    )
    op.create_table('residue_tests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('sampled_on', sa.Date(), nullable=False),
    sa.Column('lab', sa.String(length=200), nullable=False),
    sa.Column('report_number', sa.String(length=100), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    *_stamps(),
    sa.CheckConstraint('batch_id IS NOT NULL OR area_id IS NOT NULL',
                       name=op.f('ck_residue_tests_tests_something')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                            name=op.f('fk_residue_tests_organization_id_organizations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'],
                            name=op.f('fk_residue_tests_batch_id_batches'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['area_id'], ['growing_areas.id'],
                            name=op.f('fk_residue_tests_area_id_growing_areas'), ondelete='RESTRICT'),
    _user_fk('residue_tests', 'created_by'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residue_tests'))
    )
    op.create_index(op.f('ix_residue_tests_organization_id'), 'residue_tests', ['organization_id'], unique=False)
    op.create_index(op.f('ix_residue_tests_batch_id'), 'residue_tests', ['batch_id'], unique=False)
    op.create_index('ix_residue_tests_area_sampled', 'residue_tests', ['area_id', 'sampled_on'], unique=False)
    op.create_table('residue_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('test_id', sa.Integer(), nullable=False),
    sa.Column('ingredient', sa.String(length=100), nullable=False),
    sa.Column('result_mg_kg', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.CheckConstraint('result_mg_kg >= 0', name=op.f('ck_residue_results_result_not_negative')),
    sa.ForeignKeyConstraint(['test_id'], ['residue_tests.id'],
                            name=op.f('fk_residue_results_test_id_residue_tests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residue_results')),
    sa.UniqueConstraint('test_id', 'ingredient', name='uq_residue_results_test_ingredient')
    )
    op.create_table('forest_maps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('province_code', sa.SmallInteger(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('crs', sa.Text(), nullable=False),
    sa.Column('west', sa.Float(), nullable=False),
    sa.Column('south', sa.Float(), nullable=False),
    sa.Column('east', sa.Float(), nullable=False),
    sa.Column('north', sa.Float(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    *_stamps(),
    _user_fk('forest_maps', 'uploaded_by'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forest_maps'))
    )
    op.create_index(op.f('ix_forest_maps_province_code'), 'forest_maps', ['province_code'], unique=False)
    op.create_table('due_diligence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('forest_map_id', sa.Integer(), nullable=False),
    sa.Column('threshold_pct', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('verdict', sa.String(length=10), nullable=False),
    sa.Column('plots', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('activity', sa.String(length=8), nullable=False),
    sa.Column('hs_heading', sa.String(length=10), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('legality_documents', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checked_by', sa.Integer(), nullable=True),
    sa.Column('reference_number', sa.String(length=40), nullable=True),
    sa.Column('verification_number', sa.String(length=40), nullable=True),
    sa.Column('numbers_recorded_at', sa.DateTime(timezone=True), nullable=True),
    *_stamps(),
    sa.CheckConstraint('threshold_pct >= 0 AND threshold_pct <= 100',
                       name=op.f('ck_due_diligence_threshold_range')),
    sa.CheckConstraint("verdict IN ('negligible', 'forest')", name=op.f('ck_due_diligence_verdict_known')),
    sa.CheckConstraint('(reference_number IS NULL) = (verification_number IS NULL)',
                       name=op.f('ck_due_diligence_numbers_together')),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'],
                            name=op.f('fk_due_diligence_batch_id_batches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['forest_map_id'], ['forest_maps.id'],
                            name=op.f('fk_due_diligence_forest_map_id_forest_maps'), ondelete='RESTRICT'),
    _user_fk('due_diligence', 'checked_by'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_due_diligence')),
    sa.UniqueConstraint('batch_id', name=op.f('uq_due_diligence_batch_id'))
    )
    op.create_index(op.f('ix_due_diligence_forest_map_id'), 'due_diligence', ['forest_map_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_due_diligence_forest_map_id'), table_name='due_diligence')
    op.drop_table('due_diligence')
    op.drop_index(op.f('ix_forest_maps_province_code'), table_name='forest_maps')
    op.drop_table('forest_maps')
    op.drop_table('residue_results')
    op.drop_index('ix_residue_tests_area_sampled', table_name='residue_tests')
    op.drop_index(op.f('ix_residue_tests_batch_id'), table_name='residue_tests')
    op.drop_index(op.f('ix_residue_tests_organization_id'), table_name='residue_tests')
    op.drop_table('residue_tests')
    op.drop_table('residue_rules')
    op.drop_table('residue_limits')
