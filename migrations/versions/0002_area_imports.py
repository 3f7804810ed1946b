"""growing-area imports, proposed polygons, province boundaries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 15:03:00.894067
"""
from alembic import op
import sqlalchemy as sa
import geoalchemy2
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_geospatial_table('province_boundaries',
    sa.Column('province_code', sa.SmallInteger(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('province_code', name=op.f('pk_province_boundaries'))
    )
    op.create_geospatial_index('idx_province_boundaries_geom', 'province_boundaries', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_table('area_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('province_code', sa.SmallInteger(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('format', sa.String(length=20), nullable=False),
    sa.Column('source_crs', sa.Text(), nullable=False),
    sa.Column('crop', sa.String(length=100), nullable=False),
    sa.Column('repair', sa.Boolean(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('report', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('feature_count', sa.Integer(), nullable=False),
    sa.Column('ok_count', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('checked', 'imported', 'discarded', name='import_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_area_imports_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_area_imports_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_area_imports'))
    )
    op.create_index(op.f('ix_area_imports_organization_id'), 'area_imports', ['organization_id'], unique=False)
    op.add_column('growing_area_versions', sa.Column('perimeter_m', sa.Numeric(precision=14, scale=2), nullable=True))
    op.add_column('growing_areas', sa.Column('import_id', sa.Integer(), nullable=True))
    op.add_geospatial_column('growing_areas', sa.Column('proposed_geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True))
    op.add_column('growing_areas', sa.Column('proposed_by', sa.Integer(), nullable=True))
    op.add_column('growing_areas', sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f('ix_growing_areas_import_id'), 'growing_areas', ['import_id'], unique=False)
    op.create_foreign_key(op.f('fk_growing_areas_proposed_by_users'), 'growing_areas', 'users', ['proposed_by'], ['id'], ondelete='SET NULL')
    op.create_foreign_key(op.f('fk_growing_areas_import_id_area_imports'), 'growing_areas', 'area_imports', ['import_id'], ['id'], ondelete='SET NULL')


def downgrade():
    op.drop_constraint(op.f('fk_growing_areas_import_id_area_imports'), 'growing_areas', type_='foreignkey')
    op.drop_constraint(op.f('fk_growing_areas_proposed_by_users'), 'growing_areas', type_='foreignkey')
    op.drop_index(op.f('ix_growing_areas_import_id'), table_name='growing_areas')
    op.drop_column('growing_areas', 'proposed_at')
    op.drop_column('growing_areas', 'proposed_by')
    op.drop_geospatial_column('growing_areas', 'proposed_geom')
    op.drop_column('growing_areas', 'import_id')
    op.drop_column('growing_area_versions', 'perimeter_m')
    op.drop_index(op.f('ix_area_imports_organization_id'), table_name='area_imports')
    op.drop_table('area_imports')
    op.drop_geospatial_index('idx_province_boundaries_geom', table_name='province_boundaries', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('province_boundaries')
