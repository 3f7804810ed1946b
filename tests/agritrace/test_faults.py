"""Faults on real parts: the database connection killed in the middle of a request,
PostgreSQL restarted under a running server, the upload disk full. Each time the app
answers a clear 503, leaves no half-written run, area or batch, and recovers by itself.
(A stamp job killed in the middle of its COPY is in test_stamp_worker.py.)"""
from __future__ import annotations

import errno
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import requests
from PIL import Image
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session

from agritrace import create_app
from agritrace.db import EXTENSION, session
from agritrace.services import stored_files
from area_files import kml, shapefile_zip
from labels.codes import compact_code
from support import PASSWORD, World, csrf_token, drop, english, login, make_database, plot, \
    snapshot
from test_batches import issued_area, new_batch
from test_scan import make_batch, make_run, scan

ROOT = Path(__file__).resolve().parents[2]
# Tables whose rows change on any request, whatever it does: API tokens note when they
# were last used.
VOLATILE = {"api_tokens"}


def _state(engine) -> dict:
    with engine.connect() as c:
        return {t: v for t, v in snapshot(c).items() if t not in VOLATILE}


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


# --- the connection killed in the middle of a request ------------------------------------

@pytest.fixture(scope="module")
def faulty():
    """The app on a database of its own, where requests really commit: (app, world,
    engine for looking)."""
    url = make_database("faults")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "faults-test", "TESTING": True})
    with app.app_context():
        s = session()
        world = World(s)
        s.commit()
    engine = create_engine(url)
    try:
        yield app, world, engine
    finally:
        engine.dispose()
        app.extensions[EXTENSION].kw["bind"].dispose()
        drop(url)


@contextmanager
def killed_at(app, sql_prefix: str, *, after: bool = False):
    """Terminate the request's database connection when it runs the first statement
    starting with `sql_prefix` (before it is sent, or once it has run when `after`):
    PostgreSQL ends the backend, as when the server or the network drops it."""
    engine = app.extensions[EXTENSION].kw["bind"]
    killed: list[int] = []

    def kill(conn, _cursor, statement, *_args):
        if killed or not statement.lstrip().upper().startswith(sql_prefix.upper()):
            return
        pid = conn.connection.dbapi_connection.info.backend_pid
        with psycopg.connect(_plain(str(engine.url.render_as_string(hide_password=False))),
                             autocommit=True) as admin:
            # Waits until the backend has gone (PostgreSQL 14+).
            admin.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,))
        killed.append(pid)

    name = "after_cursor_execute" if after else "before_cursor_execute"
    event.listen(engine, name, kill)
    try:
        yield killed
    finally:
        event.remove(engine, name, kill)


def _the_database_was_unreachable(response, language: str = "en") -> None:
    assert response.status_code == 503, response.get_data(as_text=True)[:500]
    body = response.get_data(as_text=True)
    expected = {"en": "The database is not reachable right now",
                "vi": "không kết nối được cơ sở dữ liệu"}[language]
    assert expected in body, body[:800]
    assert "Traceback" not in body and "psycopg" not in body


def test_a_stamp_order_whose_connection_dies_while_minting_leaves_no_run(faulty):
    app, world, engine = faulty
    client = app.test_client()
    a = english(world.token(world.producer_a))
    batch = make_batch(client, world, lot="TL-FAULT-1", east_m=0)
    before = _state(engine)
    # The order and the run's row are written; the stamps' COPY is next.
    with killed_at(app, "INSERT INTO stamp_runs", after=True) as killed:
        broken = client.post("/api/v1/stamp-orders", headers=a,
                             json={"batch_id": batch["id"], "quantity": 20_000})
    assert killed, "the connection was not killed"
    assert broken.headers["Content-Type"] == "application/problem+json"
    _the_database_was_unreachable(broken)
    assert _state(engine) == before

    # Nothing to restart: the next request gets a fresh connection.
    again = client.post("/api/v1/stamp-orders", headers=a,
                        json={"batch_id": batch["id"], "quantity": 20_000})
    assert again.status_code == 201, again.get_json()
    with engine.connect() as c:
        assert c.scalar(text("SELECT count(*) FROM stamps WHERE run_id = :r"),
                        {"r": again.get_json()["run_id"]}) == 20_000


def test_a_batch_whose_connection_dies_at_commit_is_not_saved(faulty):
    app, world, engine = faulty
    client = app.test_client()
    a = english(world.token(world.producer_a))
    area = issued_area(client, world, 400)
    before = _state(engine)
    # The batch, its areas and its audit row are all sent; the COMMIT never arrives.
    with killed_at(app, "INSERT INTO audit_log", after=True) as killed:
        broken = new_batch(client, a, world, [area], lot_code="TL-FAULT-2")
    assert killed
    _the_database_was_unreachable(broken)
    assert _state(engine) == before
    made = new_batch(client, a, world, [area], lot_code="TL-FAULT-2")
    assert made.status_code == 201, made.get_json()


def test_an_area_import_page_whose_connection_dies_shows_a_503_page(faulty):
    app, world, engine = faulty
    client = app.test_client()
    assert login(client, world.official_p.email, PASSWORD).status_code == 302
    placemarks = [(f"Lô {i}", plot(1000 + 150 * i)) for i in range(30)]

    def send():
        return client.post("/gis/areas/import", headers={"Accept-Language": "vi"}, data={
            "csrf_token": csrf_token(client, "/gis/areas/"), "crop": "dragon fruit",
            "organization_id": str(world.org_a.id),
            "file": (io.BytesIO(kml(placemarks)), "vung.kml")},
            content_type="multipart/form-data")

    before = _state(engine)
    with killed_at(app, "INSERT INTO area_imports") as killed:
        broken = send()
    assert killed
    _the_database_was_unreachable(broken, "vi")
    page = broken.get_data(as_text=True)
    assert "<h1>Dịch vụ tạm thời không khả dụng</h1>" in page    # a page, titled in words
    assert "Mã lỗi 503" in page
    assert _state(engine) == before
    checked = send()
    assert checked.status_code == 302, checked.get_data(as_text=True)[:500]


def test_a_scan_whose_connection_dies_records_nothing_and_the_next_one_counts(faulty):
    app, world, engine = faulty
    client = app.test_client()
    batch = make_batch(client, world, lot="TL-FAULT-3", east_m=800)
    with Session(engine) as s:
        _run, ids = make_run(client, s, world, batch["id"], 1)
    before = _state(engine)
    with killed_at(app, "WITH") as killed:
        broken = scan(client, ids[0], lang="vi")
    assert killed
    _the_database_was_unreachable(broken, "vi")
    assert _state(engine) == before
    page = scan(client, ids[0])
    assert page.status_code == 200 and "Genuine stamp" in page.get_data(as_text=True)
    with engine.connect() as c:
        assert c.scalar(text("SELECT scan_count FROM stamps WHERE id = :i"), {"i": ids[0]}) == 1


def test_a_signed_in_official_gets_the_503_page_when_the_first_query_fails(faulty):
    """The page's first statement is the session's user: even that failing gives the
    page, not a bare server error."""
    app, world, _engine = faulty
    client = app.test_client()
    assert login(client, world.official_p.email, PASSWORD).status_code == 302
    with killed_at(app, "SELECT") as killed:
        broken = client.get("/gis/areas/", headers={"Accept-Language": "en"})
    assert killed
    _the_database_was_unreachable(broken)
    assert client.get("/gis/areas/").status_code == 200


# --- PostgreSQL restarted under a running server -------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster of its own (the one `make run` makes, in another folder and
    on another port), so that stopping it leaves the other tests' database alone."""

    def __init__(self):
        # Under the system's temporary folder itself: the postgres user must be able
        # to pass through every parent folder.
        self.data = Path(tempfile.mkdtemp(prefix="agritrace-faults-"))
        self.env = {**os.environ, "AGRITRACE_DATA_DIR": str(self.data),
                    "AGRITRACE_PGPORT": str(_free_port())}
        self.env.pop("DATABASE_URL", None)
        self.up()
        self.url = self._localdb("url").stdout.strip()

    def _localdb(self, command: str):
        return subprocess.run([sys.executable, "-m", "agritrace.operations.localdb", command],
                              env=self.env, cwd=ROOT, capture_output=True, text=True,
                              check=True)

    def up(self) -> None:
        self._localdb("up")

    def stop(self) -> None:
        self._localdb("stop")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.data, ignore_errors=True)


class Server:
    """gunicorn serving the app as deployed (several workers, several threads each)."""

    def __init__(self, url: str, log: Path):
        self.port = _free_port()
        self.log = log
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "faults-restart",
               "PUBLIC_BASE_URL": self.base,
               "RATE_LIMIT_SCAN": "100000/60"}   # the traffic below is one client
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "--workers", "2", "--worker-class", "gthread",
             "--threads", "4", "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning",
             "agritrace:create_app()"], cwd=ROOT, env=env,
            stdout=log.open("w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(self.base + "/healthz", timeout=10)
                return
            except requests.RequestException:      # not listening yet, or still booting
                assert self.process.poll() is None, log.read_text()
                time.sleep(0.1)
        raise AssertionError("gunicorn did not start")

    def workers(self) -> set[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return {int(p) for p in children.read_text().split()}

    def stop(self) -> str:
        """Stop it; what it logged."""
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.log.read_text()


@pytest.fixture(scope="module")
def restarting():
    """A cluster of its own, migrated, with the test world, a batch and active stamps;
    (cluster, world, batch, stamp ids)."""
    cluster = Cluster()
    try:
        subprocess.run([sys.executable, "-m", "flask", "--app", "agritrace", "db", "upgrade"],
                       env={**cluster.env, "DATABASE_URL": cluster.url}, cwd=ROOT, check=True,
                       capture_output=True)
        app = create_app({"DATABASE_URL": cluster.url, "SECRET_KEY": "faults-restart",
                          "TESTING": True})
        with app.app_context():
            s = session()
            world = World(s)
            s.commit()
        client = app.test_client()
        batch = make_batch(client, world, lot="TL-RESTART", east_m=0)
        engine = create_engine(cluster.url)
        with Session(engine) as s:
            _run, ids = make_run(client, s, world, batch["id"], 20)
        engine.dispose()
        app.extensions[EXTENSION].kw["bind"].dispose()
        yield cluster, world, batch, ids
    finally:
        cluster.remove()


def _consistent(url: str) -> None:
    """No half-written run, batch or import: each run has all its stamps, each batch
    its areas and its audit row, each imported file its areas."""
    with psycopg.connect(_plain(url)) as c:
        short_runs = c.execute("SELECT count(*) FROM stamp_runs r WHERE r.quantity <> "
                               "(SELECT count(*) FROM stamps WHERE run_id = r.id)").fetchone()
        done_without_run = c.execute("SELECT count(*) FROM stamp_orders WHERE status = 'done' "
                                     "AND run_id IS NULL").fetchone()
        bare_batches = c.execute(
            "SELECT count(*) FROM batches b WHERE NOT EXISTS (SELECT 1 FROM batch_areas "
            "WHERE batch_id = b.id) OR NOT EXISTS (SELECT 1 FROM audit_log WHERE "
            "entity = 'batch' AND entity_id = b.id::text AND action = 'create')").fetchone()
    assert (short_runs[0], done_without_run[0], bare_batches[0]) == (0, 0, 0)


def _errors(log: str) -> str:
    """The server log's tracebacks, without the expected lines about the database."""
    return "\n".join(line for line in log.splitlines()
                     if "database unavailable" not in line and "accepting TCP/IP" not in line
                     )[-4000:]


def test_postgresql_restarted_under_a_running_server(restarting, tmp_path):
    cluster, world, batch, ids = restarting
    server = Server(cluster.url, tmp_path / "server.log")
    try:
        token = english(world.token(world.producer_a))
        scan_url = f"{server.base}/s/{compact_code(ids[0])}"
        assert requests.get(server.base + "/healthz").status_code == 200
        assert requests.get(scan_url).status_code == 200
        workers = server.workers()

        # Traffic all along: scans, API reads and stamp orders from four threads.
        statuses: list[int] = []
        failures: list[str] = []
        running = threading.Event()
        running.set()

        def traffic(kind: int):
            deadline = time.monotonic() + 60
            while running.is_set() and time.monotonic() < deadline:
                started = time.monotonic()
                try:
                    if kind == 0:
                        r = requests.get(scan_url, timeout=10)
                    elif kind == 1:
                        r = requests.get(f"{server.base}/api/v1/batches", headers=token,
                                         timeout=10)
                    else:
                        r = requests.post(f"{server.base}/api/v1/stamp-orders", headers=token,
                                          json={"batch_id": batch["id"], "quantity": 5000},
                                          timeout=30)
                    statuses.append(r.status_code)
                except requests.RequestException as exc:   # the server itself failed
                    failures.append(f"{kind} at {started - t0:.1f}s after "
                                    f"{time.monotonic() - started:.1f}s: {exc!r}"[:300])

        t0 = time.monotonic()
        threads = [threading.Thread(target=traffic, args=(k % 3,)) for k in range(4)]
        for t in threads:
            t.start()
        try:
            # Stop the database in the middle of minting a run.
            with psycopg.connect(_plain(cluster.url), autocommit=True) as watch:
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline and not watch.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                        "AND query LIKE 'COPY stamps%'").fetchone()[0]:
                    time.sleep(0.005)
                assert time.monotonic() < deadline, "no stamp COPY was seen"
            cluster.stop()

            down = requests.get(scan_url, headers={"Accept-Language": "vi"}, timeout=10)
            assert down.status_code == 503
            assert "không kết nối được cơ sở dữ liệu" in down.text and "<html" in down.text
            api = requests.get(f"{server.base}/api/v1/batches", headers=token, timeout=10)
            assert api.status_code == 503
            assert api.headers["Content-Type"] == "application/problem+json"
            assert "database is not reachable" in api.json()["detail"]
            health = requests.get(server.base + "/healthz", timeout=10)
            assert (health.status_code, health.json()["database"]) == (503, "unreachable")
            time.sleep(1)

            cluster.up()
            # Recovered by itself: no restart of the server, the same workers.
            deadline = time.monotonic() + 30
            while requests.get(server.base + "/healthz", timeout=10).status_code != 200:
                assert time.monotonic() < deadline, "the server did not recover"
                time.sleep(0.2)
            time.sleep(1)
        finally:
            running.clear()
            for t in threads:
                t.join(60)
        assert not failures, "\n".join(failures[:8])
        assert set(statuses) <= {200, 201, 503}, (
            sorted(set(statuses)), _errors(server.log.read_text()))
        assert 503 in statuses and {200, 201} <= set(statuses)
        after = requests.get(scan_url, headers={"Accept-Language": "en"}, timeout=10)
        assert after.status_code == 200 and "Genuine stamp" in after.text
        made = requests.post(f"{server.base}/api/v1/stamp-orders", headers=token,
                             json={"batch_id": batch["id"], "quantity": 100}, timeout=30)
        assert made.status_code == 201, made.text
        assert server.workers() == workers
    finally:
        log = server.stop()
    assert "Traceback" not in log, _errors(log)
    _consistent(cluster.url)


def test_a_server_started_while_its_database_is_down_waits_for_it(restarting, tmp_path):
    cluster, _world, _batch, ids = restarting
    cluster.stop()
    try:
        server = Server(cluster.url, tmp_path / "server.log")
    finally:
        cluster.up()
    try:
        # It came up and answers; the first requests may still meet the database down.
        deadline = time.monotonic() + 30
        while requests.get(server.base + "/healthz", timeout=10).status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        page = requests.get(f"{server.base}/s/{compact_code(ids[1])}", timeout=10)
        assert page.status_code == 200
    finally:
        server.stop()


def test_the_stamp_worker_rides_out_a_restart_even_in_the_middle_of_a_run(restarting,
                                                                         tmp_path):
    cluster, _world, batch, _ids = restarting
    quantity = 300_000
    log = tmp_path / "worker.log"
    env = {**cluster.env, "DATABASE_URL": cluster.url, "STAMP_JOB_STALE_SECONDS": "2",
           "AGRITRACE_CLI_LANG": "en"}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "agritrace", "stamps",
                               "worker"], cwd=ROOT, env=env, stdout=log.open("w"),
                              stderr=subprocess.STDOUT)
    try:
        app = create_app({"DATABASE_URL": cluster.url, "SECRET_KEY": "faults-restart"})
        with app.app_context():
            from agritrace.services import stamps
            order_id = stamps.order_stamps(None, batch["id"], quantity, defer=True,
                                           system=True).id
        app.extensions[EXTENSION].kw["bind"].dispose()

        def order():
            with psycopg.connect(_plain(cluster.url)) as c:
                return c.execute("SELECT status, minted, attempts, run_id FROM stamp_orders "
                                 "WHERE id = %s", (order_id,)).fetchone()

        deadline = time.monotonic() + 60
        while order()[1] < 100_000:           # the worker is part-way through the run
            assert time.monotonic() < deadline and worker.poll() is None, log.read_text()
            time.sleep(0.01)
        cluster.stop()
        time.sleep(5)                          # longer than the worker's poll
        assert worker.poll() is None, log.read_text()
        cluster.up()

        deadline = time.monotonic() + 120
        while (row := order())[0] != "done":
            assert time.monotonic() < deadline and worker.poll() is None, log.read_text()
            time.sleep(0.2)
        assert row[1] == quantity and row[2] == 2    # minted whole, on the second attempt
        with psycopg.connect(_plain(cluster.url)) as c:
            assert c.execute("SELECT count(*) FROM stamps WHERE run_id = %s",
                             (row[3],)).fetchone()[0] == quantity
        said = log.read_text()
        assert "database unreachable, trying again" in said
        assert f"minting order {order_id} failed" not in said   # a pause, not a failure
    finally:
        worker.terminate()
        worker.wait(30)
    _consistent(cluster.url)


# --- the upload disk full ------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A filesystem of 1 MiB of its own (tmpfs), to fill up."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(disk)],
                   check=True)
    try:
        yield disk
    finally:
        subprocess.run(["umount", "--lazy", str(disk)], check=True)


def fill(disk: Path, leave: int = 0) -> Path:
    """Write zeros until the filesystem refuses with ENOSPC, then free `leave` bytes;
    the filler file."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    os.truncate(filler, filler.stat().st_size - leave)
    return filler


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1600, 1200), (30, 140, 60)).save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture
def database_disk(app):
    """A tablespace of the tests' PostgreSQL on a filesystem of 1 MiB of its own (tmpfs),
    to fill up: (the filesystem's folder, the tablespace's name). Request it before
    `db`, so that the test's transaction (which moves a table there) ends first."""
    if os.geteuid() != 0 or os.environ.get("DATABASE_URL"):
        pytest.skip("a tablespace on a small filesystem needs root and the local PostGIS")
    # Outside pytest's own folders, which the postgres user may not enter.
    disk = Path(tempfile.mkdtemp(prefix="agritrace-small-"))
    disk.chmod(0o755)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(disk)],
                   check=True)
    name = f"agritrace_test_{os.getpid()}_small"
    admin = _plain(app.config["DATABASE_URL"])
    try:
        (disk / "pg").mkdir()
        shutil.chown(disk / "pg", "postgres", "postgres")
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f"CREATE TABLESPACE {name} LOCATION '{disk / 'pg'}'")
        yield disk, name
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f"DROP TABLESPACE IF EXISTS {name}")
        subprocess.run(["umount", "--lazy", str(disk)], check=True)
        disk.rmdir()


def test_a_photo_upload_on_a_full_database_disk_is_refused_whole_and_works_once_there_is_room(
        database_disk, app, client, db, world):
    # Photos are kept in the database: its disk is the one that fills up.
    disk, tablespace = database_disk
    db.execute(text(f"ALTER TABLE stored_file_chunks SET TABLESPACE {tablespace}"))
    filler = fill(disk)
    headers = english(world.token(world.producer_a))
    before = snapshot(db.connection())

    def put():
        return client.put(f"/api/v1/products/{world.product_a.id}/photo", headers=headers,
                          data={"photo": (io.BytesIO(_photo()), "IMG_0001.JPG")},
                          content_type="multipart/form-data")

    full = put()
    assert full.status_code == 503, full.get_json()
    assert full.get_json()["detail"].startswith("The server has no room left to store files")
    assert snapshot(db.connection()) == before     # no product change, no half a file

    filler.unlink()
    saved = put()
    assert saved.status_code == 200, saved.get_json()
    assert len(stored_files.listed(db, "products/")) == 2   # the photo and its thumbnail
    assert client.get(saved.get_json()["photo_url"]).status_code == 200


def test_a_shapefile_on_a_full_temporary_disk_is_a_server_fault_not_a_damaged_file(
        client, db, world, small_disk, monkeypatch):
    # Larger than a write buffer, so that the disk refuses in the middle of a file.
    plots = [plot(150 * (i % 20), 150 * (i // 20)) for i in range(200)]
    shp = shapefile_zip(plots, [f"Thửa {i}" for i in range(200)], crs="EPSG:4326")
    headers = world.token(world.official_p)
    monkeypatch.setattr(tempfile, "tempdir", str(small_disk))
    # Room for the small files of the Shapefile, so that the disk fills in the middle
    # of a large one.
    filler = fill(small_disk, leave=8192)
    before = snapshot(db.connection())

    def send(language):
        return client.post("/api/v1/area-imports", headers={**headers,
                                                            "Accept-Language": language},
                           data={"crop": "dragon fruit", "organization_id": str(world.org_a.id),
                                 "file": (io.BytesIO(shp), "thua_dat.zip")},
                           content_type="multipart/form-data")

    full = send("vi")
    assert full.status_code == 503, full.get_json()
    assert "hết chỗ" in full.get_json()["detail"], full.get_json()
    assert snapshot(db.connection()) == before
    assert [p.name for p in small_disk.iterdir()] == ["filler"]

    filler.unlink()
    checked = send("en")
    assert checked.status_code == 201, checked.get_json()
    assert checked.get_json()["report"]["ok"] == 200
