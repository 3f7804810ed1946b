"""The two statements behind a visit of a stamp's page: a person's scan (counted,
judged and stored) and a robot's visit (judged the same way, counted only as a
preview of the stamp). Each is one statement, one round trip.

A scan counts the client's request, bumps the stamp's scan_count and first_scan_at,
decides the verdict and appends the scan row. A code that matches no stamp runs the
same statement (the UPDATE finds no row, the scan is stored without a stamp), so the
time of an answer does not tell whether a code exists. A client over its limit gets
its counter bumped and nothing else. Sub-queries read the scans as they were before
this one (a statement sees one snapshot), which is what "other clients before" means.

The verdict rules, in order:
  unknown       no stamp has this id
  void          the stamp or its run was voided
  inactive      its run is not active yet (minted, not yet released)
  recalled      its batch was recalled (thu hồi)
  suspect_copy  a scan of it was already judged a copy; or, with this client, more
                distinct clients than SCAN_COPY_CLIENTS; or this scan's consented
                location is further from a recent located scan than SCAN_MAX_SPEED_KMH
                allows in the time between (less SCAN_TRAVEL_SLACK_KM for coarseness)
  expired       its batch's expiry date is before today in Vietnam
  repeat        another client scanned it before ("scanned N times since …")
  genuine       the first scans: nobody but this client has scanned it
"""
from __future__ import annotations

from .rate_limits import COUNT

# The stamp, counted (a person's scan) or only read (a robot's visit).
STAMP_COUNTED = """
    UPDATE stamps SET scan_count = scan_count + 1,
                      first_scan_at = coalesce(first_scan_at, now())
    WHERE id = :id AND (SELECT allowed FROM hit)
    RETURNING id, run_id, status, scan_count, first_scan_at, claimed_at
"""
STAMP_READ = """
    SELECT id, run_id, status, scan_count, first_scan_at, claimed_at FROM stamps
    WHERE id = :id AND (SELECT allowed FROM hit)
"""

# What the page needs of the stamp, and the verdict; reads only.
JUDGED = """
), found AS (
    SELECT st.id, st.status, st.scan_count, st.first_scan_at, st.claimed_at,
           r.status AS run_status, r.pin_enabled, b.id AS batch_id,
           b.status AS batch_status, b.recall_reason, b.recalled_at, b.expiry_date,
           b.lot_code, b.updated_at AS batch_version, p.gtin
    FROM stamp st
    JOIN stamp_runs r ON r.id = st.run_id
    JOIN batches b ON b.id = r.batch_id
    JOIN products p ON p.id = b.product_id
), others AS (
    SELECT count(*) AS n FROM (
        SELECT DISTINCT client_hash FROM scans
        WHERE stamp_id = :id AND client_hash <> :client LIMIT :copy_clients) d
), flagged AS (
    SELECT EXISTS (SELECT 1 FROM scans WHERE stamp_id = :id
                   AND verdict = 'suspect_copy') AS yes
), travel AS (
    SELECT coalesce(bool_or(
        greatest(ST_DistanceSphere(ST_MakePoint(lon, lat),
                                   ST_MakePoint(CAST(:lon AS float8), CAST(:lat AS float8)))
                 / 1000.0 - :slack_km, 0)
        / greatest(extract(epoch FROM now() - scanned_at) / 3600.0, 1.0 / 3600)
        > :max_kmh), false) AS yes
    FROM (SELECT lat, lon, scanned_at FROM scans
          WHERE stamp_id = :id AND lat IS NOT NULL
          ORDER BY scanned_at DESC LIMIT :recent) located
    WHERE CAST(:lat AS float8) IS NOT NULL
), judged AS (
    SELECT CASE
        WHEN f.id IS NULL THEN 'unknown'
        WHEN f.status = 'void' OR f.run_status = 'void' THEN 'void'
        WHEN f.run_status <> 'active' THEN 'inactive'
        WHEN f.batch_status = 'recalled' THEN 'recalled'
        WHEN (SELECT yes FROM flagged) OR (SELECT n FROM others) >= :copy_clients
             OR (SELECT yes FROM travel) THEN 'suspect_copy'
        WHEN f.expiry_date < :today THEN 'expired'
        WHEN (SELECT n FROM others) > 0 THEN 'repeat'
        ELSE 'genuine' END AS verdict
    FROM (SELECT 1) one LEFT JOIN found f ON true
"""

SAVE_SCAN = """
), saved AS (
    INSERT INTO scans (stamp_id, client_hash, ua_family, lat, lon, verdict)
    SELECT (SELECT id FROM stamp), :client, :ua, :lat, :lon, verdict FROM judged
    WHERE (SELECT allowed FROM hit)
    RETURNING scanned_at
)
"""
# A robot's visit of a stamp that exists adds one to its count for that robot.
SAVE_PREVIEW = """
), saved AS (
    INSERT INTO stamp_previews (stamp_id, agent) SELECT id, :agent FROM stamp
    ON CONFLICT (stamp_id, agent) DO UPDATE
        SET previews = stamp_previews.previews + 1, updated_at = now()
    RETURNING updated_at AS scanned_at
)
"""

ANSWER = """
SELECT h.allowed, h.retry_after, j.verdict, coalesce(sv.scanned_at, now()) AS scanned_at,
       f.scan_count, f.first_scan_at, f.claimed_at, f.pin_enabled, f.batch_id,
       f.recall_reason, f.recalled_at, f.expiry_date, f.lot_code, f.batch_version, f.gtin
FROM hit h CROSS JOIN judged j LEFT JOIN saved sv ON true LEFT JOIN found f ON true
"""

SCAN_SQL = ("WITH hit AS (" + COUNT + "), stamp AS (" + STAMP_COUNTED + JUDGED + SAVE_SCAN
            + ANSWER)
PREVIEW_SQL = ("WITH hit AS (" + COUNT + "), stamp AS (" + STAMP_READ + JUDGED + SAVE_PREVIEW
               + ANSWER)
