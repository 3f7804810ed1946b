"""`scans` partitioned by month, tried on this machine: the same rows in a copy of the
table partitioned by RANGE (scanned_at), one partition a month and a default, and in an
unpartitioned copy with a BRIN index on scanned_at (the fair alternative for an
append-only table). Measures, hot, median of several runs: one day's scans per verdict
(what /gis/stats asks), a stamp's last 20 scans (what the scan statement asks), dropping
the oldest month (DETACH + DROP against DELETE), and bytes per row and per million rows;
also the bytes of a stamp row.

    .venv/bin/python bench/partitions.py        # PARTITION_ROWS=3000000 to change N
"""
from __future__ import annotations

import os
import random
import statistics
import time
from datetime import date, timedelta

import psycopg

from benchdb import bench_app

ROWS = int(os.environ.get("PARTITION_ROWS", "3000000"))
STAMPS = 1_000_000
MONTHS = 12
FIRST = date(2025, 1, 1)
VERDICTS = "ARRAY['genuine','genuine','genuine','genuine','genuine','genuine','repeat'," \
    "'repeat','repeat','suspect_copy','expired','unknown']"
DAY_QUERY = ("SELECT verdict, count(*) FROM {t} WHERE scanned_at >= %s AND scanned_at < %s"
             " GROUP BY verdict")
LAST_QUERY = ("SELECT lat, lon, scanned_at FROM {t} WHERE stamp_id = %s"
              " ORDER BY scanned_at DESC LIMIT 20")


def month(n: int) -> date:
    return date(FIRST.year + (FIRST.month - 1 + n) // 12, (FIRST.month - 1 + n) % 12 + 1, 1)


def timed(cur: psycopg.Cursor, sql: str, args: tuple | None = None) -> float:
    started = time.perf_counter()
    cur.execute(sql, args)
    if cur.description:
        cur.fetchall()
    return time.perf_counter() - started


def create(cur: psycopg.Cursor) -> None:
    # Same columns, types and checks as the migrated `scans`; no foreign key to stamps
    # (the copies hold scans of a million stamps that live in stamps_copy).
    shape = "(LIKE scans INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
    cur.execute(f"CREATE TABLE scans_flat {shape}")
    cur.execute(f"CREATE TABLE scans_part {shape} PARTITION BY RANGE (scanned_at)")
    for n in range(MONTHS):
        cur.execute(f"CREATE TABLE scans_p{n:02d} PARTITION OF scans_part FOR VALUES FROM "
                    f"('{month(n)}') TO ('{month(n + 1)}')")
    cur.execute("CREATE TABLE scans_pdefault PARTITION OF scans_part DEFAULT")
    cur.execute("CREATE TABLE stamps_copy (LIKE stamps INCLUDING ALL)")


def load(cur: psycopg.Cursor) -> dict[str, float]:
    took = {}
    span = (month(MONTHS) - FIRST).days * 86400
    started = time.perf_counter()
    cur.execute(f"""
        INSERT INTO stamps_copy (id, run_id, status, scan_count, first_scan_at)
        SELECT i::bigint * 1000003, 1 + i / 100000, 'active', 3, now()
        FROM generate_series(1, {STAMPS}) i
    """)
    took["stamps"] = time.perf_counter() - started
    # Rows arrive in time order, as scans do; a scan's stamp and verdict are random.
    started = time.perf_counter()
    cur.execute(f"""
        INSERT INTO scans_flat (id, stamp_id, scanned_at, client_hash, ua_family, lat, lon,
                                verdict, created_at, updated_at)
        SELECT i, (1 + (hashint8(i) & 2147483647) % {STAMPS})::bigint * 1000003, at,
               md5(i::text) || md5((i + 1)::text), 'Chrome Mobile',
               CASE WHEN i % 2 = 0 THEN 11.2 + (i % 1000) / 1e4 END,
               CASE WHEN i % 2 = 0 THEN 106.1 + (i % 997) / 1e4 END,
               ({VERDICTS})[1 + (hashint8(-i) & 2147483647) % 12], at, at
        FROM generate_series(1, {ROWS}) i,
             LATERAL (SELECT timestamptz '{FIRST} 00:00+07'
                             + make_interval(secs => (i - 1)::float8 * {span} / {ROWS})) t(at)
    """)
    took["scans_flat"] = time.perf_counter() - started
    started = time.perf_counter()
    cur.execute("INSERT INTO scans_part SELECT * FROM scans_flat")
    took["scans_part"] = time.perf_counter() - started
    started = time.perf_counter()
    cur.execute("ALTER TABLE scans_flat ADD PRIMARY KEY (id)")
    cur.execute("CREATE INDEX ON scans_flat (stamp_id, scanned_at)")
    cur.execute("CREATE INDEX ON scans_flat USING brin (scanned_at)")
    # A partitioned table's unique key must contain the partition key.
    cur.execute("ALTER TABLE scans_part ADD PRIMARY KEY (id, scanned_at)")
    cur.execute("CREATE INDEX ON scans_part (stamp_id, scanned_at)")
    cur.execute("VACUUM ANALYZE scans_flat")
    cur.execute("VACUUM ANALYZE scans_part")
    cur.execute("VACUUM ANALYZE stamps_copy")
    took["indexes + vacuum"] = time.perf_counter() - started
    return took


def size(cur: psycopg.Cursor, table: str) -> tuple[int, int, float]:
    """(rows, bytes with indexes and TOAST, mean bytes of a row's tuple data)."""
    cur.execute(f"SELECT count(*), avg(pg_column_size(t.*)) FROM {table} t")
    rows, mean = cur.fetchone()
    cur.execute("SELECT coalesce((SELECT sum(pg_total_relation_size(relid))"
                " FROM pg_partition_tree(%s::regclass)), pg_total_relation_size(%s::regclass))",
                (table, table))
    return rows, int(cur.fetchone()[0]), float(mean)


def wal_at(cur: psycopg.Cursor) -> str:
    cur.execute("SELECT pg_current_wal_insert_lsn()::text")
    return cur.fetchone()[0]


def wal_since(cur: psycopg.Cursor, lsn: str) -> int:
    cur.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s::pg_lsn)::bigint",
                (lsn,))
    return int(cur.fetchone()[0])


def pruned(cur: psycopg.Cursor, day: date) -> int:
    """How many partitions the day query reads, from its plan."""
    cur.execute("EXPLAIN (COSTS OFF) " + DAY_QUERY.format(t="scans_part")
                .replace("%s", "'" + str(day) + "'", 1)
                .replace("%s", "'" + str(day + timedelta(days=1)) + "'", 1))
    # "Bitmap Heap Scan on scans_p03", "Bitmap Index Scan on scans_p03_scanned_at_idx"
    names = {"_".join(line.split(" on ")[1].split()[0].split("_")[:2])
             for (line,) in cur.fetchall() if " on scans_p" in line}
    return len(names)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    rng = random.Random(8)
    with bench_app("partitions") as (_app, url):
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True, options="-c jit=off") as conn:
            cur = conn.cursor()
            cur.execute("SET maintenance_work_mem = '256MB'")
            create(cur)
            took = load(cur)
            print(f"{ROWS:,} scans over {MONTHS} months, {STAMPS:,} stamps; load "
                  + ", ".join(f"{k} {v:.1f} s" for k, v in took.items()))

            sizes = {t: size(cur, t) for t in ("stamps_copy", "scans_flat", "scans_part")}
            for table, (rows, total, mean) in sizes.items():
                print(f"{table}: {total / rows:.0f} bytes/row with indexes "
                      f"({mean:.0f} bytes of tuple data), "
                      f"{total / rows * 1e6 / 2**20:.0f} MiB per million rows")

            # (a) a day's scans per verdict, for days spread over the year. Samples of
            # the two tables alternate, so that load from other processes falls on both.
            days = [FIRST + timedelta(days=d) for d in range(20, 360, 34)]
            spans = [(d, d + timedelta(days=1)) for d in days]
            flat_day, part_day = DAY_QUERY.format(t="scans_flat"), DAY_QUERY.format(t="scans_part")
            for span in spans:
                timed(cur, part_day, span)
            bare = median_ms([timed(cur, part_day, span) for span in spans])
            # As it would be deployed: a BRIN index on each partition too (a day is a
            # thirtieth of one partition, too much to read whole).
            cur.execute("CREATE INDEX ON scans_part USING brin (scanned_at)")
            cur.execute("ANALYZE scans_part")
            samples: dict[str, list[float]] = {"flat": [], "part": []}
            for round_ in range(6):
                for span in spans:
                    flat, part = timed(cur, flat_day, span), timed(cur, part_day, span)
                    if round_:  # the first round warms up
                        samples["flat"].append(flat)
                        samples["part"].append(part)
            day = {k: median_ms(v) for k, v in samples.items()}
            day_ratio = day["part"] / day["flat"]
            print(f"(a) one day per verdict ({ROWS // 365:,} rows a day), median of "
                  f"{len(samples['flat'])}: unpartitioned + BRIN {day['flat']:.2f} ms, "
                  f"partitioned + BRIN {day['part']:.2f} ms ({day_ratio:.2f} ×); partitioned "
                  f"without the BRIN {bare:.2f} ms ({bare / day['flat']:.1f} ×); partitions "
                  f"read: {pruned(cur, days[0])} of {MONTHS + 1}")

            # (b) a stamp's last 20 scans: the partitioned table probes every partition
            stamps = [(1 + rng.randrange(STAMPS)) * 1000003 for _ in range(2000)]
            flat_last, part_last = LAST_QUERY.format(t="scans_flat"), LAST_QUERY.format(
                t="scans_part")
            for stamp in stamps[:200]:
                timed(cur, flat_last, (stamp,))
                timed(cur, part_last, (stamp,))
            samples = {"flat": [], "part": []}
            for stamp in stamps:
                samples["flat"].append(timed(cur, flat_last, (stamp,)))
                samples["part"].append(timed(cur, part_last, (stamp,)))
            last = {k: median_ms(v) for k, v in samples.items()}
            last_ratio = last["part"] / last["flat"]
            print(f"(b) a stamp's last 20 scans, median of {len(stamps)}: unpartitioned "
                  f"{last['flat']:.3f} ms, partitioned {last['part']:.3f} ms "
                  f"({last_ratio:.2f} ×)")

            # (c) the oldest month away, three times over (January, February, March)
            drop, delete, wal = [], [], {"drop": 0, "delete": 0}
            for n in range(3):
                lsn = wal_at(cur)
                drop.append(timed(cur, f"BEGIN; ALTER TABLE scans_part DETACH PARTITION "
                                       f"scans_p{n:02d}; DROP TABLE scans_p{n:02d}; COMMIT"))
                wal["drop"] += wal_since(cur, lsn)
                lsn = wal_at(cur)
                delete.append(timed(cur, "DELETE FROM scans_flat WHERE scanned_at < %s",
                                    (month(n + 1),)))
                wal["delete"] += wal_since(cur, lsn)
            vacuum = timed(cur, "VACUUM scans_flat")
            print(f"(c) oldest month ({ROWS // MONTHS:,} rows), median of 3: DETACH + DROP "
                  f"{median_ms(drop):.1f} ms, DELETE {median_ms(delete):.0f} ms "
                  f"({median(delete) / median(drop):.0f} ×), and the VACUUM after three "
                  f"DELETEs {vacuum:.1f} s; WAL written per month: DETACH + DROP "
                  f"{wal['drop'] / 3 / 1024:.0f} kB, DELETE {wal['delete'] / 3 / 2**20:.1f} MB")

            per_million = {t: sizes[t][1] / sizes[t][0] * 1e6 / 2**20 for t in sizes}
            print(f"(d) scans per million rows with indexes: unpartitioned "
                  f"{per_million['scans_flat']:.0f} MiB, partitioned "
                  f"{per_million['scans_part']:.0f} MiB; stamps {per_million['stamps_copy']:.0f}"
                  f" MiB")

    faster = median(delete) / median(drop)
    met = day_ratio <= 1.0 and faster >= 100
    print(f"scans partitioned by month: day query {day_ratio:.2f} × unpartitioned, month drop "
          f"{faster:.0f} × faster than DELETE ({(sum(delete) + vacuum) / sum(drop):.0f} × with "
          f"the VACUUM; a stamp's last 20 scans {last_ratio:.2f} ×) — goal partitioned day "
          f"query ≤ 1.0 × unpartitioned (both with BRIN) and month drop ≥ 100 × faster than "
          f"DELETE: {'met' if met else 'missed'}")


def median(samples: list[float]) -> float:
    return statistics.median(samples)


if __name__ == "__main__":
    main()
