"""the field app: signed-in phones (device tokens) and the offline queue's keys

A phone signs in once and keeps a device token (only its digest is stored) for 30
days; every entry and photo it sends carries a key made on the phone, unique per
organisation, so that a resent entry is answered with the first one's result.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 06:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('field_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_field_devices_organization_id_organizations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['revoked_by'], ['users.id'], name=op.f('fk_field_devices_revoked_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_field_devices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_field_devices')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_field_devices_token_hash'))
    )
    op.create_index(op.f('ix_field_devices_organization_id'), 'field_devices', ['organization_id'], unique=False)
    op.create_index(op.f('ix_field_devices_user_id'), 'field_devices', ['user_id'], unique=False)
    op.create_table('field_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('diary', 'harvest', 'boundary', 'point', name='field_entry_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('target', sa.String(length=20), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("target IN ('trace_events', 'batches', 'growing_areas', 'facilities')", name=op.f('ck_field_entries_target_table')),
    sa.ForeignKeyConstraint(['device_id'], ['field_devices.id'], name=op.f('fk_field_entries_device_id_field_devices'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_field_entries_organization_id_organizations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_field_entries')),
    sa.UniqueConstraint('organization_id', 'key', name='uq_field_entries_organization_key')
    )
    op.create_index(op.f('ix_field_entries_device_id'), 'field_entries', ['device_id'], unique=False)
    op.create_table('field_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('width_px', sa.SmallInteger(), nullable=False),
    sa.Column('height_px', sa.SmallInteger(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['field_devices.id'], name=op.f('fk_field_photos_device_id_field_devices'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['event_id'], ['trace_events.id'], name=op.f('fk_field_photos_event_id_trace_events'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_field_photos_organization_id_organizations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_field_photos')),
    sa.UniqueConstraint('name', name=op.f('uq_field_photos_name')),
    sa.UniqueConstraint('organization_id', 'key', name='uq_field_photos_organization_key')
    )
    op.create_index(op.f('ix_field_photos_device_id'), 'field_photos', ['device_id'], unique=False)
    op.create_index(op.f('ix_field_photos_event_id'), 'field_photos', ['event_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_field_photos_event_id'), table_name='field_photos')
    op.drop_index(op.f('ix_field_photos_device_id'), table_name='field_photos')
    op.drop_table('field_photos')
    op.drop_index(op.f('ix_field_entries_device_id'), table_name='field_entries')
    op.drop_table('field_entries')
    op.drop_index(op.f('ix_field_devices_user_id'), table_name='field_devices')
    op.drop_index(op.f('ix_field_devices_organization_id'), table_name='field_devices')
    op.drop_table('field_devices')
