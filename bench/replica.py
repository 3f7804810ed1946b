"""A second PostgreSQL as a streaming read replica of the first, on this machine.

Two clusters of their own (neither is the one `make run` and `make test` use): a
primary, migrated, with 100,000 issued growing areas (bench/tiles.py's field), and a
hot standby made from it by `pg_basebackup --write-recovery-conf`. Then:

1. Write load on the primary: one run of 1,000,000 stamps minted by the stamp service
   (one COPY transaction, as the worker does), while the primary's pg_stat_replication
   is sampled for the replica's lag. Measured: how long after the primary's commit
   every stamp of the run can be read on the replica.
2. Read offload: zoom-13 tiles of the growing areas through the app (Flask test client)
   bound to the replica, against the same app bound to the primary, in alternation.
3. What a replica cannot do: a scan, which writes its row, refused by the standby.

Goal: the run readable on the replica within 1 s of the primary's commit, and tiles
from the replica at ≥ 0.9 × the primary's rate.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

from benchdb import world  # noqa: F401  (also puts the project on sys.path)
from agritrace import create_app  # noqa: E402
from agritrace.operations import localdb  # noqa: E402
from agritrace.db import EXTENSION  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
STAMPS = 1_000_000
GOAL_VISIBLE_S, GOAL_TILE_RATIO = 1.0, 0.9
TILE_ROUNDS = 5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def as_postgres(*args: str, **kw) -> subprocess.CompletedProcess:
    """A PostgreSQL program, as the user owning the clusters (postgres when root)."""
    return subprocess.run([*localdb._as_owner(), str(localdb._bindir() / args[0]), *args[1:]],
                          check=True, capture_output=True, text=True, **kw)


class Primary:
    """A cluster made and started by agritrace.operations.localdb in a folder of its own."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.env = {**os.environ, "AGRITRACE_DATA_DIR": str(folder),
                    "AGRITRACE_PGPORT": str(self.port)}
        self.env.pop("DATABASE_URL", None)
        self._localdb("up")
        self.url = self._localdb("url").stdout.strip()

    def _localdb(self, command: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "agritrace.operations.localdb", command],
                              env=self.env, cwd=ROOT, check=True, capture_output=True,
                              text=True)

    def stop(self) -> None:
        self._localdb("stop")


class Replica:
    """A hot standby of `primary`, streaming its WAL."""

    def __init__(self, primary: Primary, folder: Path):
        self.pgdata = folder / "pg"
        self.port = free_port()
        folder.mkdir(mode=0o711, parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres", "postgres")
        password = (primary.folder / "pg-password").read_text().strip()
        started = time.perf_counter()
        as_postgres("pg_basebackup", "-D", str(self.pgdata), "-h", "127.0.0.1",
                    "-p", str(primary.port), "-U", localdb.USER, "--write-recovery-conf",
                    "--checkpoint=fast", "--wal-method=stream",
                    env={**os.environ, "PGPASSWORD": password})
        self.copy_s = time.perf_counter() - started
        self.copy_mb = sum(p.stat().st_size for p in self.pgdata.rglob("*")
                           if p.is_file()) / 1e6
        with open(self.pgdata / "postgresql.auto.conf", "a") as conf:
            conf.write(f"port = {self.port}\nhot_standby = on\n")
        self.log = folder / "pg.log"
        as_postgres("pg_ctl", "start", "-w", "-D", str(self.pgdata), "-l", str(self.log),
                    "-o", f"-p {self.port}")
        self.url = primary.url.replace(f":{primary.port}/", f":{self.port}/")

    def stop(self) -> None:
        as_postgres("pg_ctl", "stop", "-m", "fast", "-D", str(self.pgdata))


def migrate_and_fill(url: str) -> tuple[object, int]:
    """The primary's app, migrated, with the tiles field; (app, batch id)."""
    import flask_migrate

    import tiles
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "CLI_LOCALE": "en"})
    with app.app_context():
        flask_migrate.upgrade()
    org_id, _user_id = world(app)
    tiles.fill(app, org_id)
    # What autovacuum would have done by the time anyone reads the field: hint bits
    # and the visibility map set on the primary, and so replayed onto the replica.
    with psycopg.connect(plain(url), autocommit=True) as c:
        c.execute("VACUUM (ANALYZE) growing_areas")
    return app, open_batch(app, org_id)


def open_batch(app, org_id: int) -> int:
    """An open batch of a product, for the run."""
    from agritrace.db import transaction
    from agritrace.models import Batch, Product
    with app.app_context(), transaction() as s:
        product = Product(organization_id=org_id, name="Thanh long", category="fruit")
        s.add(product)
        s.flush()
        batch = Batch(product_id=product.id, organization_id=org_id, lot_code="REPLICA-1")
        s.add(batch)
        s.flush()
        return batch.id


def mint_and_watch(app, primary_url: str, replica_url: str, batch_id: int) -> dict:
    """Mint a run on the primary while sampling the replica's lag; then time until the
    replica has every stamp of it."""
    from agritrace.models import OrderStatus
    from agritrace.services import stamp_worker, stamps
    lags, finished = [], threading.Event()

    def sample():
        with psycopg.connect(plain(primary_url), autocommit=True) as c:
            while not finished.is_set():
                row = c.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), "
                                "extract(epoch FROM replay_lag) FROM pg_stat_replication"
                                ).fetchone()
                if row:
                    lags.append((float(row[0] or 0), float(row[1] or 0)))
                time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    with app.app_context():
        started = time.perf_counter()
        order = stamps.order_stamps(None, batch_id, STAMPS, defer=True, system=True)
        stamp_worker.claim_order(order.id)
        done = stamp_worker.run_order(order.id)      # one transaction, as the worker runs it
        committed = time.perf_counter()
        assert done.status == OrderStatus.DONE, (done.status, done.error)
        run_id = done.run_id
    with psycopg.connect(plain(replica_url), autocommit=True) as replica:
        while replica.execute("SELECT count(*) FROM stamps WHERE run_id = %s",
                              (run_id,)).fetchone()[0] != STAMPS:
            time.sleep(0.01)
        visible = time.perf_counter()
    finished.set()
    sampler.join()
    return {"mint_s": committed - started, "visible_s": visible - committed,
            "max_lag_mb": max((b for b, _ in lags), default=0) / 1e6,
            "max_lag_s": max((s for _, s in lags), default=0), "run_id": run_id}


def tile_rates(primary_app, replica_app) -> tuple[float, float]:
    """Requests/s of zoom-13 tiles from each, alternating tile by tile."""
    import tiles
    cluster = tiles.cluster_tiles(13)
    clients = {"primary": primary_app.test_client(), "replica": replica_app.test_client()}
    timings = {name: [] for name in clients}
    for warm in (True, False):
        for _ in range(1 if warm else TILE_ROUNDS):
            for i, (_z, x, y) in enumerate(cluster):
                # Each goes first every other tile, so neither gets the other's warm caches.
                order = list(clients.items())[::(-1) ** i]
                for name, client in order:
                    started = time.perf_counter()
                    answer = client.get(f"/tiles/growing-areas/13/{x}/{y}.pbf")
                    assert answer.status_code in (200, 204), (name, answer.status_code)
                    if not warm:
                        timings[name].append(time.perf_counter() - started)
    return tuple(len(timings[n]) / sum(timings[n]) for n in ("primary", "replica"))


def a_scan_on_the_replica(replica_url: str) -> str:
    """What the standby says to the scan's write."""
    with psycopg.connect(plain(replica_url), autocommit=True) as c:
        try:
            c.execute("UPDATE stamps SET scan_count = scan_count + 1 WHERE id = "
                      "(SELECT min(id) FROM stamps)")
        except psycopg.Error as exc:
            return f"{type(exc).__name__}: {str(exc).strip()}"
    return "accepted (unexpected)"


def main() -> int:
    base = Path(tempfile.mkdtemp(prefix="agritrace-replica-"))
    base.chmod(0o711)       # the postgres user passes through to the clusters' folders
    primary = replica = None
    apps = []
    try:
        primary = Primary(base / "primary")
        app, batch_id = migrate_and_fill(primary.url)
        apps.append(app)
        replica = Replica(primary, base / "replica")
        print(f"replica made by pg_basebackup: {replica.copy_mb:,.0f} MB in "
              f"{replica.copy_s:.1f} s")
        minted = mint_and_watch(app, primary.url, replica.url, batch_id)
        print(f"{STAMPS:,} stamps minted on the primary in {minted['mint_s']:.1f} s; replica "
              f"lag during it at most {minted['max_lag_mb']:.1f} MB of WAL, "
              f"{minted['max_lag_s']:.2f} s of replay")
        replica_app = create_app({"DATABASE_URL": replica.url, "SECRET_KEY": "bench",
                                  "CLI_LOCALE": "en"})
        apps.append(replica_app)
        from_primary, from_replica = tile_rates(app, replica_app)
        ratio = from_replica / from_primary
        print(f"z13 tiles through the app: primary {from_primary:.0f} req/s, replica "
              f"{from_replica:.0f} req/s ({ratio:.2f} ×)")
        print(f"a scan's write on the replica: {a_scan_on_the_replica(replica.url)}")
        met = minted["visible_s"] <= GOAL_VISIBLE_S and ratio >= GOAL_TILE_RATIO
        print(f"read replica: a {STAMPS:,}-stamp run readable on it "
              f"{minted['visible_s']:.2f} s after the primary's commit, tiles from it at "
              f"{ratio:.2f} × the primary — goal ≤ {GOAL_VISIBLE_S:g} s "
              f"and ≥ {GOAL_TILE_RATIO} ×: {'met' if met else 'missed'}")
        return 0
    finally:
        for a in apps:
            a.extensions[EXTENSION].kw["bind"].dispose()
        if replica:
            replica.stop()
        if primary:
            primary.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
