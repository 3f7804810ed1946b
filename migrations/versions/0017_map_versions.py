"""map layers' data versions: a counter per tile layer, bumped by triggers on every
statement that changes its rows, so that cached tiles are keyed by the data they show

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 07:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# table → the layers whose tiles show its rows (organisations: their names).
SOURCES = {"growing_areas": ("growing-areas",), "facilities": ("facilities",),
           "organizations": ("growing-areas", "facilities")}


def upgrade():
    op.create_table(
        "map_versions",
        sa.Column("layer", sa.Text(), primary_key=True),
        sa.Column("version", sa.BigInteger(), nullable=False, server_default="1"),
    )
    op.execute("INSERT INTO map_versions (layer) VALUES ('growing-areas'), ('facilities')")
    # Versions come from a sequence, which a rollback never gives back: a tile cut
    # inside a transaction that was then rolled back is cached under a version that
    # no later transaction can have. Per statement, not per row: an import of 5,000
    # areas bumps the version once.
    op.execute("CREATE SEQUENCE map_version_seq START 2")
    op.execute("""
        CREATE FUNCTION bump_map_versions() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          UPDATE map_versions SET version = nextval('map_version_seq')
          WHERE layer = ANY (TG_ARGV);
          RETURN NULL;
        END $$""")
    for table, layers in SOURCES.items():
        args = ", ".join(f"'{layer}'" for layer in layers)
        op.execute(f"CREATE TRIGGER {table}_map_version AFTER INSERT OR UPDATE OR DELETE "
                   f"OR TRUNCATE ON {table} FOR EACH STATEMENT "
                   f"EXECUTE FUNCTION bump_map_versions({args})")


def downgrade():
    for table in SOURCES:
        op.execute(f"DROP TRIGGER {table}_map_version ON {table}")
    op.execute("DROP FUNCTION bump_map_versions()")
    op.execute("DROP SEQUENCE map_version_seq")
    op.drop_table("map_versions")
