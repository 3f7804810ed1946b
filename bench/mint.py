"""Minting a run of 1,000,000 stamps through the service path (`order_stamps` with
defer=True, `claim_order`, `run_order`: random ids, COPY in chunks of 100,000
each under a savepoint, progress written on a second connection, the run, the order
and the audit row, one transaction) against a raw psycopg `COPY` of 1,000,000 rows of
the same shape (random bigint id, int run_id, 'issued') into a scratch table
`LIKE stamps INCLUDING ALL` (same defaults, CHECK constraints, primary key and run_id
index), in the same database and run. The target table is emptied and a CHECKPOINT
taken before each measurement; the COPY's payload is prepared before its clock starts.
Median of RUNS. Goal: ≥ 0.8 × COPY's rows/s.

Printed besides, to show where the time goes: the same COPY into a second scratch table
with a per-row foreign key to stamp_runs (what stamps had before migration 0007, which
checks a run's stamps per statement instead), and the client-side work of a million
stamps as `run_order` does it (ids, de-duplication, COPY text, savepoints, progress
updates).
"""
from __future__ import annotations

import os
import statistics
import time

import psycopg
from sqlalchemy import text

from benchdb import bench_app, world

N = 1_000_000
RUNS = 5
GOAL_RATIO = 0.8
LOT = "TL-2024/07"
GTIN = "09520123456788"


def setup(app, org_id: int) -> tuple[int, int]:
    """An open batch of a product with a GTIN, a run to point the scratch rows at, and
    the two scratch tables; returns (batch id, that run's id)."""
    from agritrace.db import session, transaction
    from agritrace.models import Batch, Product, RunStatus, StampRun
    with app.app_context():
        with transaction() as s:
            product = Product(organization_id=org_id, name="Thanh long ruột đỏ Bình Thuận",
                              category="fruit", gtin=GTIN)
            s.add(product)
            s.flush()
            batch = Batch(product_id=product.id, organization_id=org_id, lot_code=LOT)
            s.add(batch)
            s.flush()
            run = StampRun(batch_id=batch.id, quantity=N, status=RunStatus.ISSUED,
                           print_formats=[])
            s.add(run)
            s.flush()
            batch_id, run_id = batch.id, run.id
        s = session()
        s.execute(text("CREATE TABLE stamps_copy (LIKE stamps INCLUDING ALL)"))
        s.execute(text("CREATE TABLE stamps_copy_fk (LIKE stamps INCLUDING ALL)"))
        s.execute(text("ALTER TABLE stamps_copy_fk ADD FOREIGN KEY (run_id) "
                       "REFERENCES stamp_runs (id) ON DELETE CASCADE"))
        s.commit()
    return batch_id, run_id


def connect(url: str) -> psycopg.Connection:
    # The app's own connection settings (agritrace.db.make_engine).
    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1),
                           application_name="agritrace", options="-c jit=off")


def fresh(conn: psycopg.Connection, table: str) -> None:
    """Empty the table and write out everything dirty, so that no measurement pays for
    the previous one's pages."""
    conn.autocommit = True
    conn.execute(f"TRUNCATE {table} CASCADE")
    conn.execute("CHECKPOINT")
    conn.autocommit = False


def payload(run_id: int) -> bytes:
    from labels.codes import new_stamp_ids
    return "".join(f"{i}\t{run_id}\tissued\n" for i in new_stamp_ids(N)).encode()


def raw_copy(conn: psycopg.Connection, table: str, run_id: int) -> float:
    data = payload(run_id)
    fresh(conn, table)
    with conn.cursor() as cursor:
        started = time.perf_counter()
        with cursor.copy(f"COPY {table} (id, run_id, status) FROM STDIN") as copy:
            copy.write(data)
        conn.commit()
        elapsed = time.perf_counter() - started
        assert cursor.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == N
    conn.commit()
    return elapsed


def mint(app, conn: psycopg.Connection, batch_id: int) -> float:
    from agritrace.models import OrderStatus
    from agritrace.services import stamp_worker, stamps
    fresh(conn, "stamps")
    with app.app_context():
        started = time.perf_counter()
        order = stamps.order_stamps(None, batch_id, N, defer=True, system=True)
        stamp_worker.claim_order(order.id)
        done = stamp_worker.run_order(order.id)
        elapsed = time.perf_counter() - started
    assert done.status == OrderStatus.DONE and done.minted == N, (done.status, done.error)
    count = conn.execute("SELECT count(*) FROM stamps WHERE run_id = %s",
                         (done.run_id,)).fetchone()[0]
    conn.commit()
    assert count == N, count
    return elapsed


def client_side(app, conn: psycopg.Connection, batch_id: int) -> dict[str, float]:
    """Seconds of the work `mint_order` does besides the server's COPY, for N stamps in
    chunks of CHUNK, done the way stamps.py does it, without the database."""
    from agritrace.services import stamp_worker, stamps
    from labels.codes import new_stamp_ids
    chunks, out = N // stamps.CHUNK, {}
    started = time.perf_counter()
    drawn = [list(new_stamp_ids(stamps.CHUNK)) for _ in range(chunks)]
    out["ids"] = time.perf_counter() - started
    started = time.perf_counter()
    drawn = [stamps._distinct(ids, new_stamp_ids) for ids in drawn]
    out["de-duplication"] = time.perf_counter() - started
    started = time.perf_counter()
    for ids in drawn:
        "".join(f"{i}\t7\tissued\n" for i in ids).encode()
    out["COPY text"] = time.perf_counter() - started
    with conn.cursor() as cursor:
        started = time.perf_counter()
        for _ in range(chunks):
            cursor.execute("SAVEPOINT stamp_chunk")
            cursor.execute("RELEASE SAVEPOINT stamp_chunk")
        out["savepoints"] = time.perf_counter() - started
    conn.rollback()
    with app.app_context():
        order = stamps.order_stamps(None, batch_id, 1, defer=True, system=True)
        beat = stamp_worker._heartbeat(order.id, None)
        started = time.perf_counter()
        for _ in range(chunks):
            beat(1)
        out["progress updates"] = time.perf_counter() - started
        beat.close()
    return out


def main() -> int:
    load_before = os.getloadavg()[0]
    with bench_app("mint") as (app, url):
        org_id, _user = world(app)
        batch_id, scratch_run = setup(app, org_id)
        conn = connect(url)
        steps = [("copy", lambda: raw_copy(conn, "stamps_copy", scratch_run)),
                 ("ours", lambda: mint(app, conn, batch_id)),
                 ("copy_fk", lambda: raw_copy(conn, "stamps_copy_fk", scratch_run))]
        times: dict[str, list[float]] = {name: [] for name, _ in steps}
        for run in range(RUNS):
            turn = run % len(steps)
            for name, step in steps[turn:] + steps[:turn]:   # rotate the order
                times[name].append(step())
            print(f"run {run + 1}: COPY {N / times['copy'][-1]:,.0f} rows/s, ours "
                  f"{N / times['ours'][-1]:,.0f} rows/s, COPY with a per-row foreign key "
                  f"{N / times['copy_fk'][-1]:,.0f} rows/s", flush=True)
        client = client_side(app, conn, batch_id)
        conn.close()
    copy_s, ours_s, fk_s = (statistics.median(times[k]) for k in ("copy", "ours", "copy_fk"))
    copy_rate, ours_rate, fk_rate = N / copy_s, N / ours_s, N / fk_s
    print(f"COPY of {N:,} rows into stamps' shape: {copy_s:.2f} s, {copy_rate:,.0f} rows/s; "
          f"with a per-row foreign key to stamp_runs: {fk_s:.2f} s, {fk_rate:,.0f} rows/s "
          f"(that check costs {(fk_s - copy_s) / N * 1e6:.1f} µs a row)")
    print(f"ours: {ours_s:.2f} s, {ours_rate:,.0f} rows/s")
    total = sum(client.values())
    print(f"client-side work of {N:,} stamps: {total:.2f} s (" +
          ", ".join(f"{k} {v:.2f} s" for k, v in client.items()) +
          f"), {total / ours_s:.0%} of ours")
    print(f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
          f"(2 cores)")
    ratio = ours_rate / copy_rate
    verdict = "met" if ratio >= GOAL_RATIO else "missed"
    print(f"minting {N:,} stamps: {ours_rate:,.0f} rows/s ({ratio:.2f} × COPY's "
          f"{copy_rate:,.0f} rows/s, median of {RUNS}) — goal ≥ {GOAL_RATIO:g} × COPY: "
          f"{verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
