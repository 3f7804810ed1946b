"""The stamp worker as it runs beside the app: a real process on a database of its
own, killed in the middle of a run's COPY, then started again."""
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, text

from agritrace import create_app
from agritrace.db import EXTENSION
from agritrace.models import Batch, BatchStatus, OrderStatus, User
from agritrace.services import stamps
from support import drop, make_database

QUANTITY = 1_000_000


@pytest.fixture(scope="module")
def worker_db():
    url = make_database("worker", kind="demo")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "worker-test"})
    engine = create_engine(url)
    try:
        yield app, url, engine
    finally:
        engine.dispose()
        app.extensions[EXTENSION].kw["bind"].dispose()
        drop(url)


def _worker(url: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "STAMP_JOB_STALE_SECONDS": "2",
           "AGRITRACE_CLI_LANG": "en"}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "agritrace", "stamps",
                             "worker", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _one(engine, sql: str, **params):
    with engine.connect() as c:
        return c.execute(text(sql), params).scalar()


def _open_batch(app) -> tuple[int, int]:
    with app.app_context():
        from agritrace.db import session
        s = session()
        batch = s.query(Batch).filter(Batch.status == BatchStatus.OPEN).order_by(Batch.id).first()
        producer = s.query(User).filter(User.organization_id == batch.organization_id).first()
        return batch.id, producer.id


def test_a_worker_killed_mid_copy_leaves_no_stamp_and_the_next_one_mints_it_all(worker_db):
    app, url, engine = worker_db
    batch_id, producer_id = _open_batch(app)
    with app.app_context():
        from agritrace.db import session
        order = stamps.order_stamps(session().get(User, producer_id), batch_id, QUANTITY)
        order_id = order.id
    assert order.status == OrderStatus.QUEUED       # above the limit for a web request
    stamps_before = _one(engine, "SELECT count(*) FROM stamps")
    runs_before = _one(engine, "SELECT count(*) FROM stamp_runs")

    worker = _worker(url)
    try:
        deadline = time.monotonic() + 60
        minted = 0
        while time.monotonic() < deadline:
            minted = _one(engine, "SELECT minted FROM stamp_orders WHERE id = :id", id=order_id)
            if minted >= stamps.CHUNK:
                break
            time.sleep(0.02)
        assert stamps.CHUNK <= minted < QUANTITY, f"caught at {minted}"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    # PostgreSQL sees the connection drop and rolls the minting transaction back.
    deadline = time.monotonic() + 20
    while _one(engine, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY stamps%'"
               " AND state <> 'idle'") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _one(engine, "SELECT count(*) FROM stamps") == stamps_before
    assert _one(engine, "SELECT count(*) FROM stamp_runs") == runs_before
    assert _one(engine, "SELECT status FROM stamp_orders WHERE id = :id", id=order_id) == "minting"

    # A new worker takes the order up once the old one's heartbeat is stale.
    time.sleep(2.5)
    again = _worker(url, "--once")
    out, _ = again.communicate(timeout=300)
    assert again.returncode == 0, out
    row = None
    with engine.connect() as c:
        row = c.execute(text("SELECT status, minted, run_id, attempts FROM stamp_orders "
                             "WHERE id = :id"), {"id": order_id}).one()
    assert row.status == "done" and row.minted == QUANTITY and row.attempts == 2
    assert _one(engine, "SELECT count(*) FROM stamps WHERE run_id = :r", r=row.run_id) == QUANTITY
    assert _one(engine, "SELECT count(*) FROM stamps") == stamps_before + QUANTITY
    assert _one(engine, "SELECT count(*) FROM audit_log WHERE entity = 'stamp_run' "
                "AND entity_id = :r AND action = 'mint'", r=str(row.run_id)) == 1


def _on_a_terminal(args: list[str], env: dict) -> tuple[int, str]:
    """Run a command with a pseudo-terminal as its output, as a person at a shell does
    (click draws its progress bar only on a terminal)."""
    import pty
    main, child = pty.openpty()
    process = subprocess.Popen(args, env=env, stdout=child, stderr=child, close_fds=True)
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:          # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    return process.wait(60), b"".join(chunks).decode(errors="replace")


def test_the_cli_mints_with_a_progress_bar(worker_db):
    app, url, engine = worker_db
    batch_id, _producer = _open_batch(app)
    env = {**os.environ, "DATABASE_URL": url, "AGRITRACE_CLI_LANG": "en", "COLUMNS": "100"}
    flask = [sys.executable, "-m", "flask", "--app", "agritrace", "stamps", "mint"]
    code, shown = _on_a_terminal(flask + [str(batch_id), "250000"], env)
    assert code == 0, shown
    assert "250,000 stamps minted" in shown
    assert "100000/250000" in shown and "250000/250000" in shown   # the bar moved
    run_id = int(shown.split("Run ")[1].split(":")[0])
    assert _one(engine, "SELECT count(*) FROM stamps WHERE run_id = :r", r=run_id) == 250_000
    refused = subprocess.run(flask + [str(batch_id), "0"], env=env, capture_output=True,
                             text=True, timeout=60)
    assert refused.returncode != 0 and "1 to" in refused.stderr
