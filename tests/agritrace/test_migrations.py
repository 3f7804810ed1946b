"""Alembic is the only schema source: the migration round-trips and matches the models."""
import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, inspect, text

from agritrace import create_app
from agritrace.models import Base

from support import drop, make_database


def _diff(url):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            def include(obj, name, type_, reflected, compare_to):
                if type_ == "table" and name in {"spatial_ref_sys"}:
                    return False
                return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)
            context = MigrationContext.configure(conn, opts={
                "include_object": include, "compare_type": True,
                "target_metadata": Base.metadata})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def _tables(url):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = set(inspect(conn).get_table_names()) - {"spatial_ref_sys"}
            gist = conn.scalar(text(
                "SELECT count(*) FROM pg_indexes WHERE indexdef ILIKE '%USING gist%'"))
            return names, gist
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_and_models_match_schema():
    url = make_database("migrations", migrate=True)  # empty, upgraded to head here
    try:
        tables, gist = _tables(url)
        assert set(Base.metadata.tables) <= tables
        assert gist >= 2  # growing areas and facilities
        assert _diff(url) == []

        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "test"})
        with app.app_context():
            flask_migrate.downgrade(revision="base")
            assert _tables(url)[0] == {"alembic_version"}
            flask_migrate.upgrade()
        assert _diff(url) == []
        assert set(Base.metadata.tables) <= _tables(url)[0]
    finally:
        drop(url)


def test_a_model_change_without_migration_is_detected(database_url):
    """The agreement check can fail: a column the migration lacks shows up."""
    from sqlalchemy import Column, Integer, MetaData, Table
    extra = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(extra)
    Table("organizations", extra, Column("not_migrated", Integer), extend_existing=True)
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "include_object": alembic_helpers.include_object, "compare_type": True})
            diff = compare_metadata(context, extra)
    finally:
        engine.dispose()
    assert any(d[0] == "add_column" and d[3].name == "not_migrated" for d in diff)
