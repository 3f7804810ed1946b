"""the public code registry: the province a code was issued in; a product's brand and
the standards it applies (Circular 02/2024/TT-BKHCN)

A code keeps the letters of the province that issued it (`VN-BTHOR-0012` stays BTH
after the 2025 merger of provinces): they are taken from the code's own text when the
code is first set, or from the province's template when the text has another shape,
and never derived again. A trigger does it, so that every way a code arrives (issued,
adopted, imported in bulk) is covered by one rule.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 06:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# VN-{PROV}{KIND}-{NNNN}: the letters before OR (growing area) or PH (packing house).
PROVINCE_IN_CODE = r"^VN-([A-Z]+)(OR|PH)-[0-9]+$"
TABLES = (("growing_areas", "growing_area"), ("facilities", "packing_house"))


def upgrade():
    for table, _kind in TABLES:
        op.add_column(table, sa.Column('issued_province', sa.String(length=6), nullable=True))
    op.add_column('products', sa.Column('brand', sa.String(length=120), nullable=True))
    op.add_column('products', sa.Column('standards', sa.String(length=300), nullable=True))
    op.execute(f"""
        CREATE FUNCTION code_issued_province() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.issued_province := coalesce(
                substring(NEW.code FROM '{PROVINCE_IN_CODE}'),
                (SELECT prov FROM code_templates
                 WHERE province_code = NEW.province_code AND kind = TG_ARGV[0]));
            RETURN NEW;
        END $$
    """)
    for table, kind in TABLES:
        op.execute(f"""
            CREATE TRIGGER {table}_issued_province BEFORE INSERT OR UPDATE OF code ON {table}
            FOR EACH ROW WHEN (NEW.code IS NOT NULL AND NEW.issued_province IS NULL)
            EXECUTE FUNCTION code_issued_province('{kind}')
        """)
        # Codes already issued: the code's text, else the province's template today.
        op.execute(f"UPDATE {table} SET code = code WHERE code IS NOT NULL")


def downgrade():
    for table, _kind in TABLES:
        op.execute(f"DROP TRIGGER {table}_issued_province ON {table}")
    op.execute("DROP FUNCTION code_issued_province()")
    op.drop_column('products', 'standards')
    op.drop_column('products', 'brand')
    for table, _kind in TABLES:
        op.drop_column(table, 'issued_province')
