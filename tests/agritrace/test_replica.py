"""Reads from a real streaming replica: a hot standby of the tests' PostgreSQL, made by
`pg_basebackup --write-recovery-conf` and started on a port of its own. Read-only work
goes to it while it keeps up; the lag guard sends reads back to the primary; a replica
URL that reaches a primary or nothing is reported at start-up and not used; the app
works through a multi-host DATABASE_URL and answers 503 when no host answers."""
from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon
from sqlalchemy import select, text

from agritrace import create_app
from agritrace.db import EXTENSION, read_session, session, transaction
from agritrace.models import AreaStatus, GrowingArea
from agritrace.ogc import collections, features
from agritrace.operations import archive, localdb
from agritrace.replica import EXTENSION as REPLICA, on_replica
from support import FIELD_LAT, FIELD_LON, TAY_NINH, World, plot
from test_tiles import tile_of

pytestmark = pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")),
                                reason="the replica is copied from the local PostGIS")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _as_owner(*args: str, env: dict | None = None) -> None:
    """A PostgreSQL program as the user owning the clusters (postgres when root)."""
    subprocess.run([*localdb._as_owner(), str(localdb._bindir() / args[0]), *args[1:]],
                   check=True, capture_output=True, text=True, env=env)


@pytest.fixture(scope="module")
def streaming(database_url):
    """A primary and a hot standby streaming from it: their URLs, ports and password.
    The primary is a cluster of its own, run by localdb as the local PostGIS is,
    holding a copy of the tests' migrated database (its requests really commit): a
    standby of the shared local server could not open for reads while any test there
    holds a transaction of more than 64 savepoints."""
    # Outside pytest's folders, which the postgres user may not enter.
    folder = Path(tempfile.mkdtemp(prefix="agritrace-replica-"))
    folder.chmod(0o711)
    port, standby_port = free_port(), free_port()
    env = {**os.environ, "AGRITRACE_DATA_DIR": str(folder / "primary"),
           "AGRITRACE_PGPORT": str(port)}
    env.pop("DATABASE_URL", None)
    standby = folder / "standby"
    try:
        subprocess.run([sys.executable, "-m", "agritrace.operations.localdb", "up"], env=env,
                       check=True, capture_output=True, text=True)
        password = (folder / "primary" / "pg-password").read_text().strip()
        base = f"postgresql+psycopg://{localdb.USER}:{password}@127.0.0.1:{port}"
        with psycopg.connect(_plain(base + "/postgres"), autocommit=True) as c:
            c.execute("CREATE DATABASE app")
        dump = folder / "app.dump"
        args, dump_env = archive.client_env(database_url)
        subprocess.run([str(archive.pg_binary("pg_dump", database_url)), "--format=custom",
                        f"--file={dump}", *args], check=True, env=dump_env)
        subprocess.run([str(archive.pg_binary("pg_restore", database_url)), "--no-owner",
                        "--exit-on-error", "--dbname", _plain(base + "/app"), str(dump)],
                       check=True)
        standby.mkdir(mode=0o700)
        if os.geteuid() == 0:
            shutil.chown(standby, "postgres", "postgres")
        _as_owner("pg_basebackup", "-D", str(standby / "pg"), "-h", "127.0.0.1", "-p",
                  str(port), "-U", localdb.USER, "--write-recovery-conf", "--checkpoint=fast",
                  "--wal-method=stream", env={**os.environ, "PGPASSWORD": password})
        with open(standby / "pg" / "postgresql.auto.conf", "a") as conf:
            conf.write(f"port = {standby_port}\nhot_standby = on\n")
        _as_owner("pg_ctl", "start", "-w", "-t", "60", "-D", str(standby / "pg"),
                  "-l", str(standby / "pg.log"), "-o", f"-p {standby_port}")
        yield {"url": base + "/app", "replica_url": f"{base.rsplit(':', 1)[0]}:{standby_port}/app",
               "port": port, "replica_port": standby_port, "password": password}
    finally:
        for pgdata in (standby / "pg", folder / "primary" / "pg"):
            if (pgdata / "postmaster.pid").exists():
                _as_owner("pg_ctl", "stop", "-m", "immediate", "-D", str(pgdata))
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def app(streaming):
    """The app on the primary with the replica beside it, the lag checked on every read;
    a producer's issued area in it, committed."""
    app = create_app({"DATABASE_URL": streaming["url"],
                      "DATABASE_REPLICA_URL": streaming["replica_url"],
                      "SECRET_KEY": "replica-test", "TESTING": True, "REPLICA_CHECK_S": 0,
                      "TILE_CACHE_MB": 0})
    with app.app_context(), transaction() as s:
        s.add(_area(World(s).org_a.id, 0, "VN-REPLICA-0001"))
    yield app
    app.extensions[EXTENSION].kw["bind"].dispose()
    app.extensions[REPLICA].engine.dispose()


def _area(org_id: int, column: int, code: str) -> GrowingArea:
    return GrowingArea(code=code, name=code, crop="thanh long", status=AreaStatus.ISSUED,
                       organization_id=org_id,
                       geom=from_shape(MultiPolygon([plot(400 * column, 0)]), srid=4326),
                       area_ha=1, perimeter_m=400, province_code=TAY_NINH, version=1)


def caught_up(app) -> None:
    """Wait until the replica has replayed everything the primary had committed."""
    replica = app.extensions[REPLICA]
    with replica.primary.connect() as primary:
        lsn = primary.scalar(text("SELECT pg_current_wal_lsn()"))
    deadline = time.monotonic() + 30
    with replica.engine.connect() as standby:
        while not standby.scalar(text("SELECT pg_last_wal_replay_lsn() >= CAST(:lsn AS "
                                      "pg_lsn)"), {"lsn": str(lsn)}):
            assert time.monotonic() < deadline, "the replica did not catch up in 30 s"
            time.sleep(0.05)


def public_codes(app) -> tuple[set[str], bool]:
    """The codes of the OGC API's growing areas, and whether they came from the replica."""
    with app.test_request_context():
        page = features.items(collections.COLLECTIONS["growing-areas"], limit=100)
        return {f["properties"]["code"] for f in page.features}, on_replica()


def test_read_only_work_goes_to_the_replica_and_writes_to_the_primary(app):
    caught_up(app)
    codes, from_replica = public_codes(app)
    assert from_replica and "VN-REPLICA-0001" in codes
    with app.test_request_context():
        assert read_session().scalar(text("SELECT pg_is_in_recovery()")) is True
        assert session().scalar(text("SELECT pg_is_in_recovery()")) is False
    client = app.test_client()
    assert client.get("/ogc/collections/growing-areas/items").status_code == 200
    found = client.get("/map/search?code=REPLICA").get_json()["results"]
    assert [f["code"] for f in found] == ["VN-REPLICA-0001"]


def test_a_lagging_replica_is_left_for_the_primary(app, streaming):
    caught_up(app)
    with psycopg.connect(_plain(streaming["replica_url"]), autocommit=True) as standby:
        standby.execute("SELECT pg_wal_replay_pause()")
        try:
            with app.app_context(), transaction() as s:
                s.add(_area(s.scalar(select(GrowingArea.organization_id)), 1,
                            "VN-REPLICA-0002"))
            # Within a lag of an hour the replica serves, a moment behind the primary…
            app.config["REPLICA_MAX_LAG_S"] = app.extensions[REPLICA].max_lag_s = 3600
            codes, from_replica = public_codes(app)
            assert from_replica and "VN-REPLICA-0002" not in codes
            # …but a tile is never older than the layer's version on the primary.
            assert b"VN-REPLICA-0002" in _tile(app)
            # With no lag allowed, the primary answers and shows the new area.
            app.extensions[REPLICA].max_lag_s = 0
            codes, from_replica = public_codes(app)
            assert not from_replica and "VN-REPLICA-0002" in codes
        finally:
            standby.execute("SELECT pg_wal_replay_resume()")
            app.extensions[REPLICA].max_lag_s = 5
    caught_up(app)
    codes, from_replica = public_codes(app)
    assert from_replica and "VN-REPLICA-0002" in codes


def _tile(app) -> bytes:
    """The zoom-14 public tile holding the test areas."""
    z, x, y = tile_of(FIELD_LON, FIELD_LAT, 14)
    response = app.test_client().get(f"/tiles/growing-areas/{z}/{x}/{y}.pbf")
    assert response.status_code == 200
    return response.data


def test_a_multi_host_database_url_finds_the_primary_and_the_replica(streaming, caplog):
    port, replica_port = streaming["port"], streaming["replica_port"]
    login = f"postgresql+psycopg://{localdb.USER}:{streaming['password']}@/app?"
    hosts = f"host=127.0.0.1:{free_port()}&host=127.0.0.1:{replica_port}&host=127.0.0.1:{port}"
    app = create_app({
        "DATABASE_URL": f"{login}{hosts}&target_session_attrs=read-write",
        "DATABASE_REPLICA_URL": f"{login}{hosts}&target_session_attrs=standby",
        "SECRET_KEY": "replica-test", "REPLICA_CHECK_S": 0})
    try:
        assert app.extensions[REPLICA] is not None, caplog.text
        with app.test_request_context():
            assert session().scalar(text("SELECT inet_server_port()")) == port
            assert read_session().scalar(text("SELECT inet_server_port()")) == replica_port
        assert app.test_client().get("/ogc/collections/growing-areas/items").status_code == 200
    finally:
        app.extensions[EXTENSION].kw["bind"].dispose()
        app.extensions[REPLICA].engine.dispose()


def test_a_replica_url_at_a_primary_or_at_nothing_is_reported_and_reads_stay_on_the_primary(
        app, streaming, caplog):
    url = streaming["url"]
    nothing = url.replace(f":{streaming['port']}/", f":{free_port()}/")
    said = {}
    for name, replica_url in (("primary", url), ("nothing", nothing)):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            other = create_app({"DATABASE_URL": url, "DATABASE_REPLICA_URL": replica_url,
                                "SECRET_KEY": "replica-test"})
        try:
            said[name] = caplog.text
            assert other.extensions[REPLICA] is None
            codes, from_replica = public_codes(other)
            assert not from_replica and "VN-REPLICA-0001" in codes
        finally:
            other.extensions[EXTENSION].kw["bind"].dispose()
    assert "DATABASE_REPLICA_URL points at a primary, not a streaming replica" in said["primary"]
    assert "DATABASE_REPLICA_URL reaches no database" in said["nothing"]


def test_no_database_host_answering_is_a_503_not_a_500(streaming):
    hosts = f"host=127.0.0.1:{free_port()}&host=127.0.0.1:{free_port()}"
    app = create_app({"DATABASE_URL": f"postgresql+psycopg://{localdb.USER}:x@/app?{hosts}"
                                      "&target_session_attrs=read-write",
                      "SECRET_KEY": "replica-test"})
    client = app.test_client()
    for path in ("/ogc/collections/growing-areas/items", "/tiles/growing-areas/10/800/480.pbf",
                 "/map"):
        response = client.get(path)
        assert response.status_code == 503, (path, response.status_code)
    app.extensions[EXTENSION].kw["bind"].dispose()
