"""Test fixtures on a real PostGIS: a throwaway database per test run, migrated with
Alembic, and each test inside a transaction that is rolled back."""
from __future__ import annotations

import secrets

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy.orm import sessionmaker

from agritrace import create_app
from agritrace.db import EXTENSION
from support import World, drop, make_database

# The profile `make fuzz` selects (`--hypothesis-profile=fuzz`): many more examples
# than the normal suite gives the same property and API tests. Registered in this
# conftest because pytest reads it before Hypothesis looks the profile up.
settings.register_profile(
    "fuzz", max_examples=2000, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.filter_too_much])


@pytest.fixture(scope="session")
def database_url():
    url = make_database("main")
    yield url
    drop(url)


@pytest.fixture(scope="session")
def app(database_url):
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test-" + secrets.token_hex(8),
                      "TESTING": True, "CLI_LOCALE": "en"})
    yield app
    app.extensions[EXTENSION].kw["bind"].dispose()


@pytest.fixture
def db(app):
    """Each test in one outer transaction, rolled back at the end; services' commits
    become savepoints inside it. No application context stays pushed, so each test
    request gets its own, as in production."""
    engine = app.extensions[EXTENSION].kw["bind"]
    connection = engine.connect()
    outer = connection.begin()
    original = app.extensions[EXTENSION]
    factory = sessionmaker(bind=connection, expire_on_commit=False,
                           join_transaction_mode="create_savepoint")
    app.extensions[EXTENSION] = factory
    session = factory()
    try:
        yield session
    finally:
        session.close()
        app.extensions[EXTENSION] = original
        outer.rollback()
        connection.close()


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def world(app, db):
    with app.app_context():
        return World(db)
