"""the supply chain: hand-overs, stock, transformations, export lots and cartons,
recalls that reach every holder, notices and e-mail, expected yields

Every existing batch is a harvest lot held by its own organisation: its quantity
becomes the opening balance of the stock ledger.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 04:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

OLD_KINDS = ('cooperative', 'enterprise', 'household', 'agency')
NEW_KINDS = OLD_KINDS + ('trader', 'packing_house', 'processor', 'exporter', 'distributor',
                         'retailer')


OLD_FACILITY_KINDS = ('packing_house', 'processing', 'livestock_farm', 'feed_mill')
NEW_FACILITY_KINDS = OLD_FACILITY_KINDS + ('warehouse',)


def _kind_check(kinds, table='organizations', name='org_kind'):
    op.drop_constraint(op.f(f'ck_{table}_{name}'), table, type_='check')
    op.create_check_constraint(op.f(f'ck_{table}_{name}'), table,
                               "kind IN (%s)" % ", ".join(f"'{k}'" for k in kinds))


def upgrade():
    op.create_table('external_parties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('gln', sa.String(length=13), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("country ~ '^[A-Z]{2}$'", name=op.f('ck_external_parties_country_iso2')),
    sa.CheckConstraint("gln IS NULL OR gln ~ '^[0-9]{13}$'", name=op.f('ck_external_parties_gln_format')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_external_parties_organization_id_organizations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_parties'))
    )
    op.create_index(op.f('ix_external_parties_organization_id'), 'external_parties', ['organization_id'], unique=False)
    op.create_table('sscc_counters',
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('next_serial', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_sscc_counters_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organization_id', name=op.f('pk_sscc_counters'))
    )
    op.create_table('crop_yields',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('province_code', sa.SmallInteger(), nullable=False),
    sa.Column('crop', sa.String(length=100), nullable=False),
    sa.Column('yield_kg_per_ha', sa.Numeric(precision=10, scale=1), nullable=False),
    sa.Column('seasons_per_year', sa.SmallInteger(), nullable=False),
    sa.Column('margin_pct', sa.SmallInteger(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('crop = lower(btrim(crop))', name=op.f('ck_crop_yields_crop_normalised')),
    sa.CheckConstraint('margin_pct BETWEEN 0 AND 500', name=op.f('ck_crop_yields_margin_range')),
    sa.CheckConstraint('seasons_per_year BETWEEN 1 AND 12', name=op.f('ck_crop_yields_seasons_range')),
    sa.CheckConstraint('yield_kg_per_ha > 0', name=op.f('ck_crop_yields_yield_positive')),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_crop_yields_updated_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crop_yields')),
    sa.UniqueConstraint('province_code', 'crop', name='uq_crop_yields_province_crop')
    )
    op.create_table('transformations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('grading', 'packing', 'drying', 'processing', 'export', name='transformation_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('happened_on', sa.Date(), nullable=False),
    sa.Column('loss_quantity', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.Column('unit', sa.String(length=3), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('loss_quantity >= 0', name=op.f('ck_transformations_loss_not_negative')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_transformations_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_transformations_facility_id_facilities'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_transformations_organization_id_organizations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transformations'))
    )
    op.create_index(op.f('ix_transformations_facility_id'), 'transformations', ['facility_id'], unique=False)
    op.create_index(op.f('ix_transformations_organization_id'), 'transformations', ['organization_id'], unique=False)
    op.create_table('handovers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=False),
    sa.Column('receiver_id', sa.Integer(), nullable=True),
    sa.Column('external_party_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.Column('unit', sa.String(length=3), nullable=False),
    sa.Column('dispatched_on', sa.Date(), nullable=False),
    sa.Column('delivery_note', sa.String(length=60), nullable=False),
    sa.Column('vehicle', sa.String(length=60), nullable=False),
    sa.Column('status', sa.Enum('dispatched', 'received', 'refused', 'delivered', name='handover_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('received_quantity', sa.Numeric(precision=14, scale=3), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('refusal_reason', sa.Text(), nullable=True),
    sa.Column('dispatched_by', sa.Integer(), nullable=True),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('(receiver_id IS NULL) <> (external_party_id IS NULL)', name=op.f('ck_handovers_one_receiver')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_handovers_quantity_positive')),
    sa.CheckConstraint('received_quantity IS NULL OR received_quantity >= 0', name=op.f('ck_handovers_received_not_negative')),
    sa.CheckConstraint('receiver_id IS NULL OR receiver_id <> sender_id', name=op.f('ck_handovers_not_to_self')),
    sa.ForeignKeyConstraint(['answered_by'], ['users.id'], name=op.f('fk_handovers_answered_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_handovers_batch_id_batches'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['dispatched_by'], ['users.id'], name=op.f('fk_handovers_dispatched_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['external_party_id'], ['external_parties.id'], name=op.f('fk_handovers_external_party_id_external_parties'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['receiver_id'], ['organizations.id'], name=op.f('fk_handovers_receiver_id_organizations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['sender_id'], ['organizations.id'], name=op.f('fk_handovers_sender_id_organizations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handovers'))
    )
    op.create_index(op.f('ix_handovers_batch_id'), 'handovers', ['batch_id'], unique=False)
    op.create_index(op.f('ix_handovers_external_party_id'), 'handovers', ['external_party_id'], unique=False)
    op.create_index('ix_handovers_receiver_status', 'handovers', ['receiver_id', 'status'], unique=False)
    op.create_index(op.f('ix_handovers_sender_id'), 'handovers', ['sender_id'], unique=False)
    op.create_table('holdings',
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('balance', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('balance >= 0', name=op.f('ck_holdings_balance_not_negative')),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_holdings_batch_id_batches'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_holdings_organization_id_organizations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('batch_id', 'organization_id', name=op.f('pk_holdings'))
    )
    op.create_index('ix_holdings_organization', 'holdings', ['organization_id'], unique=False)
    op.create_table('logistic_units',
    sa.Column('sscc', sa.String(length=18), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('carton', 'pallet', name='unit_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('parent_sscc', sa.String(length=18), nullable=True),
    sa.Column('net_weight_kg', sa.Numeric(precision=10, scale=3), nullable=True),
    sa.Column('packed_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("sscc ~ '^[0-9]{18}$'", name=op.f('ck_logistic_units_sscc_format')),
    sa.CheckConstraint('net_weight_kg IS NULL OR net_weight_kg > 0', name=op.f('ck_logistic_units_weight_positive')),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_logistic_units_batch_id_batches'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_logistic_units_organization_id_organizations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['parent_sscc'], ['logistic_units.sscc'], name=op.f('fk_logistic_units_parent_sscc_logistic_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('sscc', name=op.f('pk_logistic_units'))
    )
    op.create_index(op.f('ix_logistic_units_batch_id'), 'logistic_units', ['batch_id'], unique=False)
    op.create_index(op.f('ix_logistic_units_organization_id'), 'logistic_units', ['organization_id'], unique=False)
    op.create_index(op.f('ix_logistic_units_parent_sscc'), 'logistic_units', ['parent_sscc'], unique=False)
    op.create_table('recalls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('initiated_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_recalls_batch_id_batches'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['initiated_by'], ['users.id'], name=op.f('fk_recalls_initiated_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recalls'))
    )
    op.create_index(op.f('ix_recalls_batch_id'), 'recalls', ['batch_id'], unique=False)
    op.create_table('transformation_inputs',
    sa.Column('transformation_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_transformation_inputs_quantity_positive')),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_transformation_inputs_batch_id_batches'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['transformation_id'], ['transformations.id'], name=op.f('fk_transformation_inputs_transformation_id_transformations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('transformation_id', 'batch_id', name=op.f('pk_transformation_inputs'))
    )
    op.create_index(op.f('ix_transformation_inputs_batch_id'), 'transformation_inputs', ['batch_id'], unique=False)
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('recall_id', sa.Integer(), nullable=True),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_notices_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recall_id'], ['recalls.id'], name=op.f('fk_notices_recall_id_recalls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    op.create_index('ix_notices_organization_created', 'notices', ['organization_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_notices_recall_id'), 'notices', ['recall_id'], unique=False)
    op.create_table('recall_holders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recall_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('quantity_held', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.Column('unit', sa.String(length=3), nullable=False),
    sa.Column('status', sa.Enum('notified', 'confirmed', name='holder_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('action', sa.Enum('quarantined', 'destroyed', 'returned', name='recall_action', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('quantity_handled', sa.Numeric(precision=14, scale=3), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by', sa.Integer(), nullable=True),
    sa.CheckConstraint('quantity_handled IS NULL OR quantity_handled >= 0', name=op.f('ck_recall_holders_handled_not_negative')),
    sa.CheckConstraint('quantity_held >= 0', name=op.f('ck_recall_holders_held_not_negative')),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_recall_holders_batch_id_batches'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['confirmed_by'], ['users.id'], name=op.f('fk_recall_holders_confirmed_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_recall_holders_organization_id_organizations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recall_id'], ['recalls.id'], name=op.f('fk_recall_holders_recall_id_recalls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recall_holders')),
    sa.UniqueConstraint('recall_id', 'organization_id', 'batch_id', name='uq_recall_holders_recall_org_batch')
    )
    op.create_index(op.f('ix_recall_holders_organization_id'), 'recall_holders', ['organization_id'], unique=False)
    op.create_index(op.f('ix_recall_holders_recall_id'), 'recall_holders', ['recall_id'], unique=False)
    op.create_table('stock_movements',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('harvest', 'output', 'adjustment', 'dispatch', 'receipt', 'return', 'use', 'write_off', name='movement_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=14, scale=3), nullable=False),
    sa.Column('handover_id', sa.Integer(), nullable=True),
    sa.Column('transformation_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('quantity <> 0', name=op.f('ck_stock_movements_quantity_not_zero')),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_stock_movements_batch_id_batches'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['handover_id'], ['handovers.id'], name=op.f('fk_stock_movements_handover_id_handovers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_stock_movements_organization_id_organizations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_stock_movements_recorded_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['transformation_id'], ['transformations.id'], name=op.f('fk_stock_movements_transformation_id_transformations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_movements'))
    )
    op.create_index(op.f('ix_stock_movements_handover_id'), 'stock_movements', ['handover_id'], unique=False)
    op.create_index('ix_stock_movements_holding', 'stock_movements', ['batch_id', 'organization_id'], unique=False)
    op.create_index(op.f('ix_stock_movements_transformation_id'), 'stock_movements', ['transformation_id'], unique=False)
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'sent', 'failed', name='outbox_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_outbox_notice_id_notices'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    op.create_index('ix_outbox_due', 'outbox', ['next_attempt_at'], unique=False, postgresql_where="status = 'pending'")
    op.add_column('batches', sa.Column('recall_id', sa.Integer(), nullable=True))
    op.add_column('batches', sa.Column('origin', sa.Enum('harvest', 'transformation', 'export', name='lot_origin', native_enum=False, create_constraint=True), server_default='harvest', nullable=False))
    op.add_column('batches', sa.Column('transformation_id', sa.Integer(), nullable=True))
    op.add_column('batches', sa.Column('market', sa.String(length=2), nullable=True))
    op.create_index(op.f('ix_batches_recall_id'), 'batches', ['recall_id'], unique=False)
    op.create_index(op.f('ix_batches_transformation_id'), 'batches', ['transformation_id'], unique=False)
    op.create_foreign_key(op.f('fk_batches_transformation_id_transformations'), 'batches', 'transformations', ['transformation_id'], ['id'], ondelete='RESTRICT')
    op.create_foreign_key(op.f('fk_batches_recall_id_recalls'), 'batches', 'recalls', ['recall_id'], ['id'], ondelete='SET NULL', use_alter=True)


    op.add_column('products', sa.Column('yield_factor', sa.Numeric(precision=6, scale=3),
                                        server_default='1', nullable=False))
    op.create_check_constraint(op.f('ck_products_yield_factor_range'), 'products',
                               'yield_factor > 0 AND yield_factor <= 10')
    op.alter_column('organizations', 'kind', existing_type=sa.VARCHAR(length=11),
                    type_=sa.VARCHAR(length=13), existing_nullable=False)
    _kind_check(NEW_KINDS)
    # The new kinds of organisation register their places: a warehouse or buying point
    # (kho, điểm thu mua), and a location GLN where the place has one.
    _kind_check(NEW_FACILITY_KINDS, 'facilities', 'facility_kind')
    op.add_column('facilities', sa.Column('gln', sa.String(length=13), nullable=True))
    op.create_check_constraint(op.f('ck_facilities_gln_format'), 'facilities',
                               "gln IS NULL OR gln ~ '^[0-9]{13}$'")
    op.create_check_constraint(op.f('ck_batches_origin_matches_transformation'), 'batches',
                               "(origin = 'harvest') = (transformation_id IS NULL)")
    op.create_check_constraint(op.f('ck_batches_export_has_market'), 'batches',
                               "(origin = 'export') = (market IS NOT NULL)")
    op.create_check_constraint(op.f('ck_batches_market_iso2'), 'batches', "market IS NULL OR market ~ '^[A-Z]{2}$'")
    op.execute("""
        INSERT INTO holdings (batch_id, organization_id, balance)
        SELECT id, organization_id, quantity FROM batches WHERE quantity IS NOT NULL
    """)
    op.execute("""
        INSERT INTO stock_movements (batch_id, organization_id, kind, quantity, note)
        SELECT id, organization_id, 'harvest', quantity, 'opening balance'
        FROM batches WHERE quantity IS NOT NULL
    """)


def downgrade():
    op.drop_constraint(op.f('ck_facilities_gln_format'), 'facilities', type_='check')
    op.drop_column('facilities', 'gln')
    _kind_check(OLD_FACILITY_KINDS, 'facilities', 'facility_kind')
    _kind_check(OLD_KINDS)
    op.alter_column('organizations', 'kind', existing_type=sa.VARCHAR(length=13),
                    type_=sa.VARCHAR(length=11), existing_nullable=False)
    op.drop_constraint(op.f('ck_products_yield_factor_range'), 'products', type_='check')
    op.drop_column('products', 'yield_factor')
    op.drop_constraint(op.f('fk_batches_recall_id_recalls'), 'batches', type_='foreignkey')
    op.drop_constraint(op.f('fk_batches_transformation_id_transformations'), 'batches', type_='foreignkey')
    op.drop_index(op.f('ix_batches_transformation_id'), table_name='batches')
    op.drop_index(op.f('ix_batches_recall_id'), table_name='batches')
    op.drop_column('batches', 'market')
    op.drop_column('batches', 'transformation_id')
    op.drop_column('batches', 'origin')
    op.drop_column('batches', 'recall_id')
    op.drop_index('ix_outbox_due', table_name='outbox', postgresql_where="status = 'pending'")
    op.drop_table('outbox')
    op.drop_index(op.f('ix_stock_movements_transformation_id'), table_name='stock_movements')
    op.drop_index('ix_stock_movements_holding', table_name='stock_movements')
    op.drop_index(op.f('ix_stock_movements_handover_id'), table_name='stock_movements')
    op.drop_table('stock_movements')
    op.drop_index(op.f('ix_recall_holders_recall_id'), table_name='recall_holders')
    op.drop_index(op.f('ix_recall_holders_organization_id'), table_name='recall_holders')
    op.drop_table('recall_holders')
    op.drop_index(op.f('ix_notices_recall_id'), table_name='notices')
    op.drop_index('ix_notices_organization_created', table_name='notices')
    op.drop_table('notices')
    op.drop_index(op.f('ix_transformation_inputs_batch_id'), table_name='transformation_inputs')
    op.drop_table('transformation_inputs')
    op.drop_index(op.f('ix_recalls_batch_id'), table_name='recalls')
    op.drop_table('recalls')
    op.drop_index(op.f('ix_logistic_units_parent_sscc'), table_name='logistic_units')
    op.drop_index(op.f('ix_logistic_units_organization_id'), table_name='logistic_units')
    op.drop_index(op.f('ix_logistic_units_batch_id'), table_name='logistic_units')
    op.drop_table('logistic_units')
    op.drop_index('ix_holdings_organization', table_name='holdings')
    op.drop_table('holdings')
    op.drop_index(op.f('ix_handovers_sender_id'), table_name='handovers')
    op.drop_index('ix_handovers_receiver_status', table_name='handovers')
    op.drop_index(op.f('ix_handovers_external_party_id'), table_name='handovers')
    op.drop_index(op.f('ix_handovers_batch_id'), table_name='handovers')
    op.drop_table('handovers')
    op.drop_index(op.f('ix_transformations_organization_id'), table_name='transformations')
    op.drop_index(op.f('ix_transformations_facility_id'), table_name='transformations')
    op.drop_table('transformations')
    op.drop_table('crop_yields')
    op.drop_table('sscc_counters')
    op.drop_index(op.f('ix_external_parties_organization_id'), table_name='external_parties')
    op.drop_table('external_parties')
