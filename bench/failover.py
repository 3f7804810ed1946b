"""Losing the primary: pg_auto_failover, two app servers behind nginx, a hard stop.

On loopback, in a temporary folder: a pg_auto_failover monitor and two PostgreSQL nodes
(Debian's postgresql-15-auto-failover: `pg_autoctl`), with synchronous replication as
pg_auto_failover sets it up for a primary and one secondary; two gunicorn app servers
(`make run`'s settings) that share nothing but the database, reached through one
multi-host connection string with `target_session_attrs=read-write`; nginx in front of
both. A load of stamp scans (each request a stamp not scanned before) and stamp orders
runs through nginx; after 10 s the primary is stopped hard (SIGKILL to its keeper and
its postmaster, as a machine that loses power), and the load goes on.

Shown: how long after the kill the service answers 200 again (through the promoted
node); every acknowledged write reconciled row by row (each 200 scan's stamp has its
scan row, each 201 order its row); no 500 (503 while the switch is going on is right);
and the old primary, started again, rejoining as the secondary.
Goal: serving again within 30 s, 0 acknowledged writes lost, 0 answers 500.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

from benchdb import world  # noqa: F401  (puts the project on sys.path)

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
BEFORE_KILL_S, AFTER_KILL_S = 10, 45
SCAN_THREADS, ORDER_THREADS = 6, 2
GOAL_S = 30.0
STAMPS = 10_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_postgres(args: list[str], **kw) -> list[str]:
    return (["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []) + args


def autoctl(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{PG_BIN}:{os.environ['PATH']}", "PG_CONFIG":
           str(PG_BIN / "pg_config")}
    return subprocess.run(as_postgres(["pg_autoctl", *args]), env=env, capture_output=True,
                          text=True, check=check)


class Cluster:
    """A monitor and two nodes, each run by its own `pg_autoctl run` keeper."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.env = {**os.environ, "PATH": f"{PG_BIN}:{os.environ['PATH']}"}
        self.keepers: dict[str, subprocess.Popen] = {}
        self.ports = {"monitor": free_port(), "node1": free_port(), "node2": free_port()}
        try:
            self._create()
        except BaseException:
            self.stop()          # no keeper outlives a cluster that did not come up
            raise

    def _create(self) -> None:
        autoctl("create", "monitor", "--pgdata", self.pgdata("monitor"),
                "--pgport", str(self.ports["monitor"]), "--hostname", "127.0.0.1",
                "--auth", "trust", "--no-ssl")
        self.run("monitor")
        self.monitor_uri = (f"postgres://autoctl_node@127.0.0.1:{self.ports['monitor']}"
                            "/pg_auto_failover?sslmode=disable")
        self.wait_sql("monitor", "SELECT 1")
        # Notice a dead node within a few seconds (defaults: 20 s before a node is
        # held unhealthy).
        for setting, value in (("health_check_period", 1000), ("health_check_timeout", 1000),
                               ("health_check_max_retries", 1),
                               ("health_check_retry_delay", 500),
                               ("node_considered_unhealthy_timeout", 5000),
                               # The monitor waits this long for a primary it cannot
                               # reach to demote itself before it promotes the
                               # secondary (default 30 s); a dead machine never answers.
                               ("primary_demote_timeout", 3000)):
            self.sql("monitor", f"ALTER SYSTEM SET pgautofailover.{setting} = {value}",
                     database="pg_auto_failover")
        self.sql("monitor", "SELECT pg_reload_conf()", database="pg_auto_failover")
        for name in ("node1", "node2"):
            autoctl("create", "postgres", "--pgdata", self.pgdata(name), "--pgport",
                    str(self.ports[name]), "--hostname", "127.0.0.1", "--name", name,
                    "--auth", "trust", "--no-ssl", "--dbname", "agritrace",
                    "--monitor", self.monitor_uri)
            self.run(name)
            self.wait_state(name, {"single", "primary"} if name == "node1" else {"secondary"},
                            120)
        self.wait_state("node1", {"primary"}, 60)

    def pgdata(self, name: str) -> str:
        path = self.folder / name
        return str(path)

    def run(self, name: str) -> None:
        log = open(self.folder / f"{name}.log", "a")
        self.keepers[name] = subprocess.Popen(
            as_postgres(["pg_autoctl", "run", "--pgdata", self.pgdata(name)]),
            env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def sql(self, name: str, statement: str, database: str = "postgres") -> str:
        out = subprocess.run(as_postgres([str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p",
                                          str(self.ports[name]), "-U", "postgres", "-d",
                                          database, "-Atc", statement]),
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(out.stderr)
        return out.stdout.strip()

    def wait_sql(self, name: str, statement: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sql(name, statement)
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def states(self) -> dict[str, str]:
        rows = self.sql("monitor", "SELECT nodename, reportedstate, goalstate "
                        "FROM pgautofailover.node", database="pg_auto_failover")
        out = {}
        for line in rows.splitlines():
            name, reported, goal = line.split("|")
            out[name] = reported if reported == goal else f"{reported}→{goal}"
        return out

    def wait_state(self, name: str, wanted: set[str], timeout: float) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            try:
                if self.states().get(name) in wanted:
                    return time.monotonic() - started
            except RuntimeError:
                pass
            time.sleep(0.5)
        raise SystemExit(f"{name} did not reach {wanted} in {timeout:.0f} s: {self.states()}")

    def primary(self) -> str:
        """The node that takes writes, asked of the nodes themselves."""
        for name in ("node1", "node2"):
            try:
                if self.sql(name, "SELECT pg_is_in_recovery()") == "f":
                    return name
            except RuntimeError:
                continue
        raise SystemExit(f"no node takes writes: {self.states()}")

    def kill(self, name: str) -> None:
        """As a machine losing power: the keeper and the postmaster, SIGKILL."""
        pid = int((Path(self.pgdata(name)) / "postmaster.pid").read_text().split()[0])
        os.killpg(os.getpgid(self.keepers[name].pid), signal.SIGKILL)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.keepers[name].wait()

    def url(self) -> str:
        hosts = "&".join(f"host=127.0.0.1:{self.ports[n]}" for n in ("node1", "node2"))
        return (f"postgresql+psycopg://postgres@/agritrace?{hosts}"
                "&target_session_attrs=read-write&connect_timeout=2")

    def stop(self) -> None:
        for name in ("node1", "node2", "monitor"):
            process = self.keepers.get(name)
            if process and process.poll() is None:
                os.killpg(os.getpgid(process.pid), signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(os.getpgid(process.pid), signal.SIGKILL)


def prepare(url: str) -> tuple[list[str], str, int]:
    """Migrate, fill (scan_load's ten batches and their stamps), and give a producer a
    token; (stamp codes, token, a batch id)."""
    import flask_migrate
    from sqlalchemy import select

    from agritrace import create_app
    from agritrace.db import EXTENSION, session
    from agritrace.models import Batch, User
    from agritrace.services import accounts
    from labels.codes import compact_code
    from scan_load import fill
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "CLI_LOCALE": "en"})
    with app.app_context():
        flask_migrate.upgrade()
    ids = fill(app)
    with app.app_context():
        batch = session().scalars(select(Batch)).first()
        from agritrace.models import Role, TokenScope
        user = accounts.create_user(None, email="packer@agritrace.test",
                                    password="bench-password-42", full_name="Bench producer",
                                    role=Role.PRODUCER, organization_id=batch.organization_id,
                                    system=True)
        _row, token = accounts.create_token(session().get(User, user.id), name="failover",
                                            scope=TokenScope.WRITE)
    app.extensions[EXTENSION].kw["bind"].dispose()
    return [compact_code(i) for i in ids], token, batch.id


def nginx(folder: Path, upstreams: list[int]) -> tuple[subprocess.Popen, int]:
    port = free_port()
    conf = folder / "nginx.conf"
    # max_fails=0: an app server answering 503 while the database switches is not a
    # dead server, and must not be taken out of the rotation.
    servers = "".join(f"server 127.0.0.1:{p} max_fails=0;" for p in upstreams)
    conf.write_text(f"""
worker_processes 1; pid {folder}/nginx.pid; error_log {folder}/nginx-error.log warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {folder}/nginx-body; proxy_temp_path {folder}/nginx-proxy;
  fastcgi_temp_path {folder}/nginx-fcgi; uwsgi_temp_path {folder}/nginx-uwsgi;
  scgi_temp_path {folder}/nginx-scgi;
  upstream app {{ {servers} keepalive 32; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $http_x_forwarded_for;
      proxy_read_timeout 30s;
    }}
  }}
}}""")
    process = subprocess.Popen(["nginx", "-c", str(conf)], stderr=subprocess.DEVNULL)
    wait_port(port)
    return process, port


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


def app_server(url: str, folder: Path, n: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-failover-secret",
           "AGRITRACE_ENV": "production", "TRUSTED_PROXY_HOPS": "1",
           "PUBLIC_BASE_URL": "https://trace.example.vn", "RATE_LIMIT_SCAN": "1000000/60",
           "UPLOAD_DIR": str(folder / f"uploads-{n}")}
    log = open(folder / f"app{n}.log", "w")
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--worker-class", "gthread", "--workers", "2",
         "--threads", "8", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         "agritrace:create_app()"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    wait_port(port)
    return process, port


class Load:
    """Threads of scans and orders through nginx, each answer kept with its time."""

    def __init__(self, base: str, codes: list[str], token: str, batch_id: int):
        self.base, self.token, self.batch_id = base, token, batch_id
        self.codes = iter(codes)
        self.lock = threading.Lock()
        # (answered at, kind, status, key, sent at)
        self.answers: list[tuple[float, str, int, str, float]] = []
        self.running = True

    def next_code(self) -> str | None:
        with self.lock:
            return next(self.codes, None)

    def record(self, kind: str, status: int, key: str, sent: float) -> None:
        with self.lock:
            self.answers.append((time.monotonic(), kind, status, key, sent))

    def call(self, request) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except OSError:
            return 0, b""

    def scans(self) -> None:
        rng = random.Random()
        while self.running:
            code = self.next_code()
            if code is None:
                return
            request = urllib.request.Request(
                f"{self.base}/s/{code}", headers={
                    "X-Forwarded-For": f"10.{rng.randrange(256)}.{rng.randrange(256)}.1",
                    "User-Agent": "Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36"})
            sent = time.monotonic()
            status, _body = self.call(request)
            self.record("scan", status, code, sent)

    def orders(self) -> None:
        while self.running:
            request = urllib.request.Request(
                f"{self.base}/api/v1/stamp-orders", method="POST",
                data=json.dumps({"batch_id": self.batch_id, "quantity": 3}).encode(),
                headers={"Authorization": f"Bearer {self.token}",
                         "Content-Type": "application/json"})
            sent = time.monotonic()
            status, body = self.call(request)
            key = str(json.loads(body)["id"]) if status == 201 else ""
            self.record("order", status, key, sent)
            time.sleep(0.05)

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.scans) for _ in range(SCAN_THREADS)]
        threads += [threading.Thread(target=self.orders) for _ in range(ORDER_THREADS)]
        for thread in threads:
            thread.start()
        return threads


def warm(load: Load, ports: list[int]) -> None:
    """Each app server's workers answer a few scans first (imports, pools, templates),
    so that the load measures the switch, not the first requests."""
    for port in ports:
        for _ in range(8):
            code = load.next_code()
            status, _body = load.call(urllib.request.Request(f"http://127.0.0.1:{port}/s/{code}"))
            if status != 200:
                raise SystemExit(f"warm-up scan on port {port} answered {status}")


def reconcile(cluster: Cluster, answers) -> tuple[int, int, int]:
    """(acknowledged scans without a row, acknowledged orders without a row, checked)."""
    primary = cluster.primary()
    rows = cluster.sql(primary, "SELECT DISTINCT stamp_id FROM scans", database="agritrace")
    from labels.codes import compact_code
    scanned = {compact_code(int(i)) for i in rows.split()}
    orders = set(cluster.sql(primary, "SELECT id FROM stamp_orders",
                             database="agritrace").split())
    acked_scans = {key for _t, kind, status, key, _s in answers
                   if kind == "scan" and status == 200}
    acked_orders = {key for _t, kind, status, key, _s in answers
                    if kind == "order" and status == 201}
    return (len(acked_scans - scanned), len(acked_orders - orders),
            len(acked_scans) + len(acked_orders))


def main() -> int:
    for program in ("pg_autoctl", "nginx"):
        if shutil.which(program) is None:
            raise SystemExit(f"{program} is missing: install the Debian packages "
                             "postgresql-15-auto-failover and nginx.")
    folder = Path(tempfile.mkdtemp(prefix="failover-"))
    folder.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    cluster = None
    processes = []
    try:
        started = time.monotonic()
        cluster = Cluster(folder)
        print(f"monitor and two nodes up in {time.monotonic() - started:.0f} s: "
              f"{cluster.states()}", flush=True)
        cluster.sql("node1", "CREATE EXTENSION IF NOT EXISTS postgis", database="agritrace")
        url = cluster.url()
        codes, token, batch_id = prepare(url)
        random.Random(19).shuffle(codes)
        apps = [app_server(url, folder, n) for n in (1, 2)]
        processes += [p for p, _port in apps]
        proxy, port = nginx(folder, [p for _proc, p in apps])
        processes.append(proxy)
        load = Load(f"http://127.0.0.1:{port}", codes, token, batch_id)
        warm(load, [p for _proc, p in apps])
        threads = load.start()
        time.sleep(BEFORE_KILL_S)
        victim = cluster.primary()
        killed_at = time.monotonic()
        cluster.kill(victim)
        print(f"killed {victim} (keeper and postmaster, SIGKILL)", flush=True)
        promoted_s = cluster.wait_state("node2" if victim == "node1" else "node1",
                                        {"primary", "wait_primary"}, 120)
        time.sleep(max(0.0, AFTER_KILL_S - (time.monotonic() - killed_at)))
        load.running = False
        for thread in threads:
            thread.join()
        cluster.run(victim)
        rejoin_s = cluster.wait_state(victim, {"secondary"}, 180)
        lost_scans, lost_orders, checked = reconcile(cluster, load.answers)
        states = cluster.states()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if cluster:
            cluster.stop()
        if os.environ.get("FAILOVER_KEEP"):
            print(f"logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return report(load.answers, killed_at, promoted_s, rejoin_s, lost_scans, lost_orders,
                  checked, victim, states)


def report(answers, killed_at, promoted_s, rejoin_s, lost_scans, lost_orders, checked,
           victim, states) -> int:
    # Serving again: the first success of a request sent after the first failure that
    # the kill caused (a request sent before the kill may have committed before it).
    failures = [done for done, _kind, status, _key, _sent in answers
                if done > killed_at and status not in (200, 201)]
    first_fail = min(failures) if failures else None
    first_ok = None if first_fail is None else min(
        (done - killed_at for done, _kind, status, _key, sent in answers
         if sent > first_fail and status in (200, 201)), default=None)
    statuses = Counter(status for _t, _kind, status, _key, _sent in answers)
    before = Counter(f"{kind} {status}" for t, kind, status, _key, _sent in answers
                     if t <= killed_at)
    print(f"before the kill: {dict(sorted(before.items()))}")
    print(f"answers: {dict(sorted(statuses.items()))} (0 = connection refused or cut by the "
          f"proxy); the monitor promoted the secondary {promoted_s:.1f} s after the kill")
    print(f"old primary {victim} started again: secondary after {rejoin_s:.0f} s; states {states}")
    print(f"acknowledged writes checked row by row: {checked:,}; scans lost {lost_scans}, "
          f"orders lost {lost_orders}")
    lost = lost_scans + lost_orders
    serving = f"{first_ok:.1f} s" if first_ok is not None else "never"
    met = first_ok is not None and first_ok <= GOAL_S and lost == 0 \
        and statuses.get(500, 0) == 0
    print(f"failover: serving again {serving} after the primary's hard stop, "
          f"{lost} acknowledged writes lost, {statuses.get(500, 0)} answers 500 "
          f"— goal ≤ {GOAL_S:g} s, 0 lost, 0 × 500: {'met' if met else 'missed'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
