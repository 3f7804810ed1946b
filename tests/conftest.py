"""Test fixtures on a real PostGIS: a throwaway database per test run, migrated with
Alembic, and each test inside a transaction that is rolled back."""
from __future__ import annotations

import secrets

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy.orm import sessionmaker

from agritrace import create_app
from agritrace.db import EXTENSION
from support import World, drop, drop_orphans, drop_templates, make_database

# The profile `make fuzz` selects (`--hypothesis-profile=fuzz`): many more examples
# than the normal suite gives the same property and API tests. Registered in this
# conftest because pytest reads it before Hypothesis looks the profile up.
settings.register_profile(
    "fuzz", max_examples=2000, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.filter_too_much])

# Modules whose tests wait on real processes and clocks (a worker killed mid-COPY, a
# PostgreSQL restarted under gunicorn, a million-stamp backup): under `make test`'s
# workers they run one after another in one group, never two of them at once.
SERIAL_MODULES = {"test_faults.py", "test_stamp_worker.py", "test_backup.py"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """With `--dist loadgroup` (pytest-xdist), the serial modules go to one worker as
    one group, and so do the tests of each module that shares a module- or
    class-scoped fixture (a live server, a database of its own), which is then built
    once rather than on both workers. Other tests are spread one by one."""
    if not getattr(config.option, "loadgroup", False):   # set on xdist's workers only
        return
    for item in items:
        if item.path.name in SERIAL_MODULES:
            group = "serial"
        elif any(defs[-1].scope in ("module", "class", "package")
                 for defs in item._fixtureinfo.name2fixturedefs.values()):
            group = item.nodeid.split("::", 1)[0]
        else:
            continue
        item.add_marker(pytest.mark.xdist_group(group))
    items.sort(key=lambda item: _rank(config, item))


def _rank(config, item) -> int:
    """Long work first, so that the run ends on short tests spread over both workers
    rather than on one worker still busy with a long one while the other waits: tests
    given more time than the default limit (the API fuzzing), the serial group, the
    other groups (live servers, browsers, databases of their own), then the rest. The
    sort is stable, so each module's tests stay together and in their order."""
    limit = item.get_closest_marker("timeout")
    if limit and limit.args and float(limit.args[0]) > float(config.getini("timeout") or 0):
        return 0
    group = item.get_closest_marker("xdist_group")
    if group is None:
        return 3
    return 1 if group.args[0] == "serial" else 2


def pytest_configure(config):
    """pytest-xdist would order the groups by their number of tests, which puts single
    long tests last; the order of the collection (see _rank) is kept instead."""
    if getattr(config.option, "dist", None) == "loadgroup":
        config.option.loadscopereorder = False


def pytest_sessionfinish(session):
    """The run's template databases go once every worker is done: the controller, or
    a run without workers, drops them."""
    if not hasattr(session.config, "workerinput"):
        drop_templates()


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes():
    """argon2id at its lowest cost for the users the tests make in this process. At the
    production cost (64 MiB, 3 passes: about 0.1 s of CPU a hash) the five users of
    each test's World alone took minutes of the suite. The CLI and server processes
    that some tests start keep the production cost."""
    from argon2 import PasswordHasher

    from agritrace.services import accounts
    production = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    accounts._hasher = production


@pytest.fixture(scope="session")
def database_url():
    drop_orphans()
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
