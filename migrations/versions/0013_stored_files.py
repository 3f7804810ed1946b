"""uploads kept in the database, so that app servers share nothing but it

Product photos and field photos move from the app server's UPLOAD_DIR into
`stored_files`, their bytes in chunks of `stored_file_chunks`. Files already on disk
are loaded by `flask files import` (agritrace/operations/files_cli.py).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 06:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stored_files',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('size_bytes >= 0', name=op.f('ck_stored_files_size_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_files')),
    sa.UniqueConstraint('name', name=op.f('uq_stored_files_name'))
    )
    op.create_table('stored_file_chunks',
    sa.Column('file_id', sa.BigInteger(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.CheckConstraint('seq >= 0', name=op.f('ck_stored_file_chunks_seq_not_negative')),
    sa.ForeignKeyConstraint(['file_id'], ['stored_files.id'], name=op.f('fk_stored_file_chunks_file_id_stored_files'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('file_id', 'seq', name=op.f('pk_stored_file_chunks'))
    )
    # Photos and archives are compressed already: TOAST keeps the chunks out of line
    # without trying (and failing) to compress them again.
    op.execute("ALTER TABLE stored_file_chunks ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade():
    op.drop_table('stored_file_chunks')
    op.drop_table('stored_files')
