"""Helpers shared by the tests: throwaway databases, logging in, and a small world
of organisations and users to test permissions against."""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path

from agritrace import create_app
from agritrace.operations import localdb
from agritrace.db import EXTENSION

ARTIFACTS = Path(__file__).parent / "artifacts"
TAY_NINH = 80      # province P of the tests
DONG_THAP = 82     # province Q


def _database_url(name: str) -> str:
    return localdb.server_url().rsplit("/", 1)[0] + f"/{name}"


def _run_owner() -> int:
    """The process of this test run: pytest-xdist's workers share their controller's
    templates, and drop_orphans finds them by its id once it is gone."""
    return os.getppid() if os.environ.get("PYTEST_XDIST_WORKER") else os.getpid()


def _admin():
    import psycopg
    url = localdb.server_url().replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True)


def template(kind: str = "migrated") -> str:
    """This run's template database of `kind`, built on first use by whichever worker
    asks first: "migrated" (every migration applied) or "demo" (the demo data loaded
    into it as well). A copy of it costs a fraction of a second, where migrating a
    database anew costs seconds; a copy is the same database, byte for byte."""
    name = f"agritrace_test_{_run_owner()}_template_{kind}"
    with _admin() as connection:
        connection.execute("SELECT pg_advisory_lock(hashtext(%s))", (name,))
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                  (name,)).fetchone():
            _build(name, kind)
    return name


def _build(name: str, kind: str) -> None:
    """Build the template under another name and rename it when complete, so that a
    build that fails half-way is never copied."""
    import flask_migrate
    base = localdb.server_url()
    building = name + "_building"
    localdb.drop_database(building, base)
    if kind == "migrated":
        localdb.ensure_database(building, base)
    else:
        _copy(template("migrated"), building)
    app = create_app({"DATABASE_URL": _database_url(building), "SECRET_KEY": "test"})
    with app.app_context():
        if kind == "migrated":
            flask_migrate.upgrade()
        else:
            from agritrace.seed import demo
            demo.load()
    app.extensions[EXTENSION].kw["bind"].dispose()
    with _admin() as connection:
        connection.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')


def _copy(source: str, name: str) -> None:
    with _admin() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')


def drop_templates() -> None:
    """Drop this run's templates once it ends (drop_orphans drops them when a run was
    killed before)."""
    import psycopg
    if not (os.environ.get("DATABASE_URL") or localdb.local_url()):
        return
    try:
        with _admin() as connection:
            names = connection.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s",
                (f"agritrace\\_test\\_{_run_owner()}\\_template\\_%",)).fetchall()
            for (name,) in names:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.OperationalError:    # no server running: the run made none
        pass


def make_database(suffix: str, *, kind: str = "migrated", migrate: bool = False) -> str:
    """Create a fresh database, migrated (and with the demo data if `kind` is "demo"),
    as a copy of this run's template; `migrate` runs the migrations on it instead.
    Return its URL."""
    name = f"agritrace_test_{os.getpid()}_{suffix}"
    url = _database_url(name)
    if not migrate:
        _copy(template(kind), name)
        return url
    import flask_migrate
    base = localdb.server_url()
    localdb.drop_database(name, base)
    localdb.ensure_database(name, base)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "test"})
    with app.app_context():
        flask_migrate.upgrade()
    app.extensions[EXTENSION].kw["bind"].dispose()
    return url


def drop(url: str) -> None:
    localdb.drop_database(url.rsplit("/", 1)[1], localdb.server_url())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:      # someone else's process
        pass
    return True


def drop_orphans() -> None:
    """Drop the throwaway databases of test runs that were killed before their
    teardown (the process in the name is gone and nothing is connected), so that
    they do not pile up."""
    import psycopg
    admin = localdb.server_url().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as connection:
        names = connection.execute("SELECT datname FROM pg_stat_database WHERE numbackends = 0 "
                                   "AND datname LIKE 'agritrace\\_test\\_%'").fetchall()
    for (name,) in names:
        pid = re.match(r"agritrace_test_(\d+)_", name)
        if pid and not _alive(int(pid.group(1))):
            try:
                localdb.drop_database(name, localdb.server_url())
            except psycopg.Error:          # another run is dropping it at the same time
                pass


def snapshot(connection) -> dict:
    """Every table's row count and a hash over its rows' text, in one statement: two
    snapshots are equal only when nothing was written in between."""
    from sqlalchemy import text
    tables = connection.execute(text(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
        "AND table_type = 'BASE TABLE' AND table_name <> 'spatial_ref_sys' "
        "ORDER BY table_name")).scalars().all()
    union = " UNION ALL ".join(
        f"SELECT '{t}', count(*), coalesce(sum(hashtext(x::text)::bigint), 0) "
        f"FROM \"{t}\" x" for t in tables)
    return {name: (count, digest) for name, count, digest in connection.execute(text(union))}


def csrf_token(client, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, email: str, password: str):
    token = csrf_token(client)
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": token})


# --- factories -------------------------------------------------------------

PASSWORD = "correct-horse-42"


class World:
    """Two organisations in province P, one in Q, and a user of each kind."""

    def __init__(self, db):
        from flask import current_app
        self.app = current_app._get_current_object()
        from agritrace.models import OrgKind, Organization, OrgStatus, Product, Role
        from agritrace.services import accounts

        def org(name, tax, province):
            o = Organization(kind=OrgKind.COOPERATIVE, name=name, tax_code=tax, address="",
                             province_code=province, status=OrgStatus.APPROVED)
            db.add(o)
            db.flush()
            return o

        self.org_a = org("HTX A", "1111111111", TAY_NINH)
        self.org_b = org("HTX B", "2222222222", TAY_NINH)
        self.org_q = org("HTX Q", "3333333333", DONG_THAP)
        self.product_a = Product(organization_id=self.org_a.id, name="Thanh long A",
                                 category="fruit", gtin="09520009999910")
        self.product_b = Product(organization_id=self.org_b.id, name="Chanh B", category="fruit")
        db.add_all([self.product_a, self.product_b])
        db.flush()

        def user(email, role, **kw):
            return accounts.create_user(None, email=email, password=PASSWORD, full_name=email,
                                        role=role, system=True, **kw)

        from agritrace.models import CodeKind, CodeTemplate
        for province, letters in ((TAY_NINH, "TN"), (DONG_THAP, "DT")):
            for kind, kind_letters in ((CodeKind.GROWING_AREA, "OR"),
                                       (CodeKind.PACKING_HOUSE, "PH")):
                db.add(CodeTemplate(province_code=province, kind=kind, prov=letters,
                                    kind_letters=kind_letters, template="VN-{PROV}{KIND}-{NNNN}"))
        db.flush()

        self.admin = user("admin@test.vn", Role.ADMIN)
        self.producer_a = user("a@test.vn", Role.PRODUCER, organization_id=self.org_a.id)
        self.producer_b = user("b@test.vn", Role.PRODUCER, organization_id=self.org_b.id)
        self.official_p = user("p@test.vn", Role.OFFICIAL, province_code=TAY_NINH)
        self.official_q = user("q@test.vn", Role.OFFICIAL, province_code=DONG_THAP)
        self.tokens = {}

    def token(self, user, scope="write") -> dict:
        """Authorization headers with a fresh API token of that user."""
        from agritrace.models import TokenScope
        from agritrace.services import accounts
        with self.app.app_context():
            _t, secret = accounts.create_token(user, name=f"test {scope}",
                                               scope=TokenScope(scope))
        return {"Authorization": f"Bearer {secret}"}




def english(headers: dict) -> dict:
    """Request headers asking for English answers (the platform defaults to Vietnamese)."""
    return {**headers, "Accept-Language": "en"}


# A field in Tây Ninh, far from the demo data's areas.
FIELD_LON, FIELD_LAT = 106.2000, 11.4000


def plot(east_m: float = 0, north_m: float = 0, width_m: float = 100, height_m: float = 100,
         lon: float = FIELD_LON, lat: float = FIELD_LAT):
    """A rectangle `width_m` × `height_m` whose south-west corner is `east_m`,
    `north_m` from (lon, lat): small plots next to each other, in WGS84."""
    import math

    from shapely.geometry import box
    m_per_deg_lat = 110_574.0
    m_per_deg_lon = 111_320.0 * math.cos(math.radians(lat))
    x0, y0 = lon + east_m / m_per_deg_lon, lat + north_m / m_per_deg_lat
    return box(x0, y0, x0 + width_m / m_per_deg_lon, y0 + height_m / m_per_deg_lat)


@contextmanager
def live_demo(suffix: str, threaded: bool = False, **config):
    """The app on loopback, on a fresh database with the demo data loaded as `make run`
    loads it: (app, base URL) for a real browser; dropped afterwards. `threaded` serves
    requests side by side, as gunicorn's threads do: a page whose service worker and
    page both connect needs it (one idle connection would hold up the other)."""
    import threading

    from werkzeug.serving import make_server

    url = make_database(suffix, kind="demo")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": f"live-{suffix}", **config})
    server = make_server("127.0.0.1", 0, app, threaded=threaded)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        app.extensions[EXTENSION].kw["bind"].dispose()
        drop(url)
