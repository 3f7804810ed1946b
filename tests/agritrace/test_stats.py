"""Statistics for officials (/gis/stats): the figures against the database, the province
scope, who may see them, the CSV downloads, the page, and the SVG charts themselves."""
from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon
from sqlalchemy import event, select, update

from agritrace import charts, units
from agritrace.clock import VIETNAM, today
from agritrace.models import (AreaStatus, Batch, GrowingArea, Product, Report, ReportStatus,
                              Scan, Stamp, StampRun, Verdict)
from agritrace.models.scans import ReportReason
from agritrace.services import scans, stamps, statistics
from labels.codes import format_code
from support import DONG_THAP, PASSWORD, TAY_NINH, csrf_token, login, plot

SVG = "{http://www.w3.org/2000/svg}"
EN = {"Accept-Language": "en"}


# --- the charts, on their own ------------------------------------------------------------

def parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))


def test_bar_chart_bars_are_proportional_and_every_text_is_escaped():
    rows = [("thanh long", 12.5), ("chanh <không hạt> & \"bưởi\"", 5), ("lúa", 0)]
    root = parse(charts.bar_chart(rows, title="Hectares <by> crop", value_label="Hectares"))
    assert root.get("viewBox").startswith("0 0 ") and root.get("width") == "100%"
    assert root.get("role") == "img" and root.get("aria-label") == "Hectares <by> crop"
    assert root.find(f"{SVG}title").text == "Hectares <by> crop"
    bars = root.findall(f".//{SVG}rect[@class='bar']")
    assert len(bars) == 3
    widths = [float(b.get("width")) for b in bars]
    assert widths[0] > 0 and widths[2] == 0
    assert widths[1] / widths[0] == pytest.approx(5 / 12.5, rel=1e-3)
    # The scale ends on a round number at or above the largest value.
    assert widths[0] / (charts.WIDTH - 8 - 64) == pytest.approx(12.5 / 20, rel=1e-3)
    assert [b.find(f"{SVG}title").text for b in bars] == [
        "thanh long: 12.5", 'chanh <không hạt> & "bưởi": 5', "lúa: 0"]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Hectares" in texts and 'chanh <không hạt> & "bưởi"' in texts
    assert "<không" not in str(charts.bar_chart(rows, title="t", value_label="v"))


def test_bar_chart_cuts_long_labels_but_keeps_them_whole_in_the_title():
    label = "Phường " + "rất dài " * 10
    root = parse(charts.bar_chart([(label, 3)], title="t", value_label="v"))
    shown = [t.text for t in root.iter(f"{SVG}text") if t.text.startswith("Phường")][0]
    assert len(shown) == charts.LABEL_CHARS and shown.endswith("…")
    assert root.find(f".//{SVG}rect/{SVG}title").text == f"{label}: 3"


def test_column_chart_heights_are_proportional_with_zero_days_kept():
    first = date(2025, 3, 1)
    points = [(first + timedelta(days=i), v) for i, v in enumerate([0, 4, 10, 0, 7, 1, 0])]
    root = parse(charts.column_chart(points, title="Scans per day", y_label="Scans",
                                     x_label="Day", x_format=lambda d: f"{d.day}/{d.month}",
                                     tick_every=3))
    columns = root.findall(f".//{SVG}rect[@class='column']")
    assert len(columns) == 7
    heights = [float(c.get("height")) for c in columns]
    assert heights[0] == heights[3] == heights[6] == 0
    for value, height in zip([4, 7, 1], [heights[1], heights[4], heights[5]]):
        assert height / heights[2] == pytest.approx(value / 10, rel=1e-3)
    # Columns stand on one baseline.
    bottoms = {round(float(c.get("y")) + float(c.get("height")), 3) for c in columns}
    assert len(bottoms) == 1
    assert columns[2].find(f"{SVG}title").text == "3/3: 10"
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert ticks == ["1/3", "4/3", "7/3"]    # every third day, ending on the last one
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "axis-label"]
    assert labels == ["Day", "Scans"]


def test_a_chart_of_nothing_is_still_a_valid_svg():
    root = parse(charts.column_chart([(date(2025, 1, 1), 0)] * 3, title="t", y_label="y",
                                     x_label="x"))
    assert [float(c.get("height")) for c in root.iter(f"{SVG}rect")] == [0, 0, 0]
    assert parse(charts.bar_chart([], title="t", value_label="v")).findall(
        f".//{SVG}rect") == []
    assert [charts.nice_ceiling(v) for v in (0, 0.3, 7, 10, 11, 240, 2600)] == [
        1, 0.5, 10, 10, 20, 250, 5000]
    # Counts get an axis whose middle mark is a whole number too.
    assert [charts.nice_ceiling(v, whole=True) for v in (0, 1, 3, 7, 24, 240)] == [
        2, 2, 4, 8, 50, 500]
    root = parse(charts.column_chart([(1, 1), (2, 0)], title="t", y_label="y", x_label="x"))
    assert [t.text for t in root.iter(f"{SVG}text")][:3] == ["0", "1", "2"]


# --- data of two provinces ----------------------------------------------------------------

def vn(day: date, hour: int, minute: int = 0) -> datetime:
    """An instant given as a time of day in Vietnam."""
    return datetime.combine(day, time(hour, minute), VIETNAM)


def months_ago(day: date, n: int) -> date:
    index = day.year * 12 + day.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class Data:
    areas: list[GrowingArea]
    runs: dict[str, int]
    stamps: dict[str, list[int]]
    batches: dict[str, Batch]


@pytest.fixture
def data(app, db, world) -> Data:
    """Growing areas, stamp runs, scans and reports in Tây Ninh (P) and Đồng Tháp (Q)."""
    day = today()
    p_wards, q_wards = units.wards(TAY_NINH), units.wards(DONG_THAP)
    ISS, DRA, SUS = AreaStatus.ISSUED, AreaStatus.DRAFT, AreaStatus.SUSPENDED
    specs = [  # province, crop, ward, status, hectares, issued at
        (TAY_NINH, "thanh long", p_wards[0], ISS, "2.5", vn(day.replace(day=1), 0, 30)),
        (TAY_NINH, "thanh long", p_wards[1], ISS, "1.25", vn(months_ago(day, 3), 9)),
        (TAY_NINH, "chanh không hạt", p_wards[0], DRA, "0.75", None),
        (TAY_NINH, "chanh không hạt", p_wards[0], SUS, "4", vn(months_ago(day, 5), 15)),
        (TAY_NINH, "=lúa", None, AreaStatus.SUBMITTED, "10", None),
        (TAY_NINH, "thanh long", p_wards[1], ISS, "3", vn(months_ago(day, 30), 8)),
        (DONG_THAP, "xoài", q_wards[0], ISS, "7", vn(day, 0, 5)),
        (DONG_THAP, "thanh long", q_wards[0], DRA, "0.5", None),
    ]
    orgs = {TAY_NINH: world.org_a.id, DONG_THAP: world.org_q.id}
    areas = []
    for i, (province, crop, ward, status, hectares, issued_at) in enumerate(specs):
        shape = MultiPolygon([plot(east_m=300 * i)])
        area = GrowingArea(
            name=f"Vùng {i}", crop=crop, organization_id=orgs[province],
            geom=from_shape(shape, 4326), area_ha=Decimal(hectares), perimeter_m=Decimal(400),
            province_code=province, ward_code=ward.code if ward else None, status=status,
            code=f"VN-T{province}OR-{i:04d}" if issued_at else None, issued_at=issued_at,
            target_markets=[])
        areas.append(area)
    db.add_all(areas)
    product_q = Product(organization_id=world.org_q.id, name="Xoài cát Hòa Lộc",
                        category="fruit")
    db.add(product_q)
    db.flush()
    batches = {
        "a": Batch(product_id=world.product_a.id, organization_id=world.org_a.id,
                   lot_code="TL-STATS-1", unit="KGM"),
        "b": Batch(product_id=world.product_b.id, organization_id=world.org_b.id,
                   lot_code="CB-STATS-1", unit="KGM"),
        "q": Batch(product_id=product_q.id, organization_id=world.org_q.id,
                   lot_code="XO-STATS-1", unit="KGM"),
    }
    db.add_all(batches.values())
    db.flush()

    runs, made = {}, {}
    with app.app_context():
        for name, batch, quantity, actor in (
                ("a1", "a", 5, world.producer_a), ("a2", "a", 3, world.producer_a),
                ("b1", "b", 4, world.producer_b), ("q1", "q", 6, world.official_q),
                ("old", "a", 2, world.producer_a)):
            order = stamps.order_stamps(actor, batches[batch].id, quantity, defer=False)
            runs[name] = order.run_id
        stamps.activate_run(world.producer_a, runs["a1"])
    for name, run_id in runs.items():
        made[name] = db.scalars(select(Stamp.id).where(Stamp.run_id == run_id)
                                .order_by(Stamp.id)).all()
    # Run a2 was made at half past midnight in Vietnam three days ago (still the day
    # before in UTC); "old" before the 60 days shown.
    for name, when in (("a2", vn(day - timedelta(days=3), 0, 30)),
                       ("old", vn(day - timedelta(days=75), 12))):
        db.execute(update(StampRun).where(StampRun.id == runs[name]).values(created_at=when))

    a, b, q = made["a1"], made["b1"], made["q1"]
    scan_rows = [  # stamp, Vietnam time, verdict
        (a[0], vn(day, 10), Verdict.SUSPECT_COPY),
        (a[0], vn(day - timedelta(days=2), 14), Verdict.SUSPECT_COPY),
        (a[0], vn(day - timedelta(days=2), 9), Verdict.REPEAT),
        (a[1], vn(day - timedelta(days=1), 0, 10), Verdict.SUSPECT_COPY),
        (a[2], vn(day - timedelta(days=1), 8), Verdict.GENUINE),
        (b[0], vn(day - timedelta(days=1), 23, 50), Verdict.INACTIVE),
        (a[3], vn(day - timedelta(days=70), 8), Verdict.SUSPECT_COPY),
        (q[0], vn(day, 9), Verdict.SUSPECT_COPY),
        (q[1], vn(day - timedelta(days=1), 9), Verdict.GENUINE),
        (None, vn(day, 11), Verdict.UNKNOWN),
    ]
    db.add_all(Scan(stamp_id=s, scanned_at=at, verdict=v, client_hash="c" * 64)
               for s, at, v in scan_rows)
    reports = [  # province, reason, status
        (TAY_NINH, ReportReason.FAKE, ReportStatus.NEW),
        (TAY_NINH, ReportReason.FAKE, ReportStatus.NEW),
        (TAY_NINH, ReportReason.FAKE, ReportStatus.IN_REVIEW),
        (TAY_NINH, ReportReason.QUALITY, ReportStatus.NEW),
        (TAY_NINH, ReportReason.INFORMATION, ReportStatus.RESOLVED),
        (DONG_THAP, ReportReason.FAKE, ReportStatus.NEW),
        (None, ReportReason.OTHER, ReportStatus.NEW),
    ]
    db.add_all(Report(province_code=p, reason=r, status=s, message="Tem mờ", client_hash="c" * 64)
               for p, r, s in reports)
    db.flush()
    # One scan the ordinary way, recorded now: a genuine first scan of an active stamp.
    with app.app_context():
        found = scans.record_scan(a[4], scans.client("203.0.113.9", "Mozilla/5.0 Chrome/126"))
    assert found.verdict == Verdict.GENUINE
    return Data(areas, runs, made, batches)


def read_csv(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")    # UTF-8 byte-order mark, for Excel
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def get_csv(client, table: str, **args) -> list[dict]:
    return read_csv(client.get(f"/gis/stats/{table}.csv", query_string=args, headers=EN))


def as_official(client, user):
    login(client, user.email, PASSWORD)
    return client


def expected_areas(db, province: int, key) -> dict:
    """Counts and hectares per key, aggregated here from the rows themselves."""
    totals = defaultdict(lambda: [0, Decimal(0), 0, Decimal(0)])
    for area in db.scalars(select(GrowingArea).where(GrowingArea.province_code == province)):
        t = totals[key(area)]
        t[0] += 1
        t[1] += area.area_ha
        if area.status == AreaStatus.ISSUED:
            t[2] += 1
            t[3] += area.area_ha
    return {k: (n, round(ha, 2), ni, round(hai, 2)) for k, (n, ha, ni, hai) in totals.items()}


def area_figures(row: dict, key: str) -> tuple:
    return (int(row["Areas"]), Decimal(row[key]), int(row["Issued areas"]),
            Decimal(row["Issued hectares"]))


# --- the figures -----------------------------------------------------------------------

def test_growing_areas_by_crop_status_and_ward(client, db, world, data):
    as_official(client, world.official_p)
    crops = get_csv(client, "crops")
    assert list(crops[0]) == ["Crop", "Areas", "Hectares", "Issued areas", "Issued hectares"]
    # A crop typed as a formula is written so that a spreadsheet does not run it.
    got = {r["Crop"].removeprefix("'"): area_figures(r, "Hectares") for r in crops}
    assert got == expected_areas(db, TAY_NINH, lambda a: a.crop)
    assert crops[0]["Crop"] == "'=lúa"            # the largest first
    assert got["thanh long"] == (3, Decimal("6.75"), 3, Decimal("6.75"))

    wards = get_csv(client, "wards")
    got = {int(r["Ward code"]) if r["Ward code"] else None: area_figures(r, "Hectares")
           for r in wards}
    assert got == expected_areas(db, TAY_NINH, lambda a: a.ward_code)
    names = {r["Ward code"]: r["Ward or commune"] for r in wards}
    assert names[""] == "Not given"
    for area in data.areas[:2]:
        assert names[str(area.ward_code)] == units.ward_name(area.ward_code) != ""

    statuses = get_csv(client, "statuses")
    # Every status, in the order of an area's life, those without areas too.
    assert [r["Status"].lower() for r in statuses] == [s.value for s in AreaStatus]
    expected = expected_areas(db, TAY_NINH, lambda a: a.status.value)
    for row in statuses:
        n, ha, _ni, _hai = expected.get(row["Status"].lower(), (0, Decimal(0), 0, 0))
        assert (int(row["Areas"]), Decimal(row["Hectares"])) == (n, ha)
    assert sum(int(r["Areas"]) for r in statuses) == 6


def test_codes_per_month_counts_vietnam_months_and_shows_empty_ones(client, db, world, data):
    as_official(client, world.official_p)
    rows = get_csv(client, "codes")
    day = today()
    assert [r["Month"] for r in rows] == [months_ago(day, n).strftime("%Y-%m")
                                          for n in range(23, -1, -1)]
    counts = defaultdict(int)
    for area in db.scalars(select(GrowingArea).where(GrowingArea.province_code == TAY_NINH,
                                                     GrowingArea.issued_at.is_not(None))):
        counts[area.issued_at.astimezone(VIETNAM).strftime("%Y-%m")] += 1
    assert {r["Month"]: int(r["Codes issued"]) for r in rows} == {
        r["Month"]: counts.get(r["Month"], 0) for r in rows}
    # Issued at 00:30 on the 1st in Vietnam: still last month in UTC, this month here.
    assert int(rows[-1]["Codes issued"]) == 1
    assert int(rows[-4]["Codes issued"]) == 1 and int(rows[-6]["Codes issued"]) == 1
    assert sum(int(r["Codes issued"]) for r in rows) == 3  # the one of 30 months ago is out


def test_stamps_and_scans_per_vietnam_day(client, db, world, data):
    as_official(client, world.official_p)
    day = today()
    first = day - timedelta(days=59)
    stamp_rows = get_csv(client, "stamps")
    assert [r["Day"] for r in stamp_rows] == [str(first + timedelta(days=i)) for i in range(60)]
    issued = defaultdict(int)
    for run in db.scalars(select(StampRun).join(Batch).where(
            Batch.organization_id.in_([world.org_a.id, world.org_b.id]))):
        issued[run.created_at.astimezone(VIETNAM).date().isoformat()] += run.quantity
    assert {r["Day"]: int(r["Stamps issued"]) for r in stamp_rows} == {
        r["Day"]: issued.get(r["Day"], 0) for r in stamp_rows}
    by_day = {r["Day"]: int(r["Stamps issued"]) for r in stamp_rows}
    assert by_day[str(day - timedelta(days=3))] == 3          # run a2, at 00:30 there
    assert sum(by_day.values()) == 5 + 3 + 4                  # not Q's, not the old run

    scan_rows = {r["Day"]: r for r in get_csv(client, "scans")}
    assert len(scan_rows) == 60
    ours = set(data.stamps["a1"] + data.stamps["b1"])
    seen = defaultdict(lambda: [0, 0, set()])
    for s in db.scalars(select(Scan).where(Scan.stamp_id.in_(ours))):
        key = s.scanned_at.astimezone(VIETNAM).date().isoformat()
        if key in scan_rows:
            seen[key][0] += 1
            if s.verdict == Verdict.SUSPECT_COPY:
                seen[key][1] += 1
                seen[key][2].add(s.stamp_id)
    for key, row in scan_rows.items():
        scans_n, copies, stamps_concerned = seen.get(key, (0, 0, set()))
        assert (int(row["Scans"]), int(row["Scans judged suspected copies"]),
                int(row["Stamps concerned"])) == (scans_n, copies, len(stamps_concerned)), key
    yesterday = scan_rows[str(day - timedelta(days=1))]
    # 00:10 and 23:50 in Vietnam are both yesterday there (one of them not in UTC).
    assert (yesterday["Scans"], yesterday["Scans judged suspected copies"]) == ("3", "1")


def test_suspected_copies_list_the_latest_stamps_with_their_batch(client, db, world, data):
    as_official(client, world.official_p)
    rows = get_csv(client, "copies")
    a = data.stamps["a1"]
    assert [r["Stamp"] for r in rows] == [format_code(a[0]), format_code(a[1])]
    assert [r["Suspected-copy scans"] for r in rows] == ["2", "1"]
    assert {r["Product"] for r in rows} == {"Thanh long A"}
    assert {r["Lot"] for r in rows} == {"TL-STATS-1"} and rows[0]["Organisation"] == "HTX A"
    day = today()
    assert rows[0]["Last seen"] == f"{day} 10:00"
    assert rows[0]["First seen"] == f"{day - timedelta(days=2)} 14:00"
    page = client.get("/gis/stats?lang=en").get_data(as_text=True)
    assert "2 stamps were scanned as suspected copies in the last 60 days" in page
    table = re.search(r'<table class="stats" id="table-copies">.*?</table>', page, re.S)[0]
    assert f'href="/gis/batches/{data.batches["a"].id}"' in table
    assert format_code(a[0]) in table and format_code(data.stamps["q1"][0]) not in table


def test_open_reports_by_reason_link_to_the_queue(client, db, world, data):
    as_official(client, world.official_p)
    rows = get_csv(client, "reports")
    got = {r["What is wrong"]: (int(r["New"]), int(r["In review"]), int(r["Open"]))
           for r in rows}
    assert got == {"The stamp or the product looks fake": (2, 1, 3),
                   "The product is spoiled or of poor quality": (1, 0, 1),
                   "The information on this page is wrong": (0, 0, 0),
                   "Something else": (0, 0, 0)}
    page = client.get("/gis/stats?lang=en").get_data(as_text=True)
    table = re.search(r'<table class="stats" id="table-reports">.*?</table>', page, re.S)[0]
    assert 'href="/gis/reports?status=new">2</a>' in table
    assert 'href="/gis/reports?status=in_review">1</a>' in table


def test_each_table_is_one_grouped_query(app, db, world, data):
    seen = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        if "SAVEPOINT" not in statement:   # the test harness's, not the app's
            seen.append(statement)
    engine = db.get_bind().engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        with app.app_context():
            sizes = {name: len(statistics.table(world.official_p, name)[1])
                     for name in TABLES}
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert len(seen) == len(TABLES) and all("GROUP BY" in s for s in seen)
    assert (sizes["codes"], sizes["stamps"], sizes["scans"]) == (24, 60, 60)


# --- scope and access --------------------------------------------------------------------

TABLES = ("crops", "statuses", "wards", "codes", "stamps", "scans", "copies", "reports")


def test_the_official_of_q_sees_nothing_of_province_80(client, db, world, data):
    as_official(client, world.official_q)
    crops = {r["Crop"]: area_figures(r, "Hectares") for r in get_csv(client, "crops")}
    assert crops == expected_areas(db, DONG_THAP, lambda a: a.crop)
    assert set(crops) == {"xoài", "thanh long"}
    wards = {r["Ward code"] for r in get_csv(client, "wards")}
    assert {units.ward_province(int(w)) for w in wards} == {DONG_THAP}
    assert sum(int(r["Codes issued"]) for r in get_csv(client, "codes")) == 1
    assert sum(int(r["Stamps issued"]) for r in get_csv(client, "stamps")) == 6
    assert sum(int(r["Scans"]) for r in get_csv(client, "scans")) == 2
    assert [r["Stamp"] for r in get_csv(client, "copies")] == [format_code(data.stamps["q1"][0])]
    assert sum(int(r["Open"]) for r in get_csv(client, "reports")) == 1
    page = client.get("/gis/stats?lang=en").get_data(as_text=True)
    for other in ("TL-STATS-1", "chanh không hạt", "HTX A", format_code(data.stamps["a1"][0])):
        assert other not in page
    # Another province's figures are refused, page and files alike.
    assert client.get(f"/gis/stats?province={TAY_NINH}").status_code == 403
    assert client.get(f"/gis/stats/crops.csv?province={TAY_NINH}").status_code == 403
    assert client.get(f"/gis/stats?province={DONG_THAP}").status_code == 200


def test_admin_sees_every_province_or_the_one_chosen(client, db, world, data):
    as_official(client, world.official_p)
    official = {t: get_csv(client, t) for t in TABLES}
    client.post("/logout", data={"csrf_token": csrf_token(client, "/gis/stats")})
    as_official(client, world.admin)
    assert {t: get_csv(client, t, province=TAY_NINH) for t in TABLES} == official
    everything = get_csv(client, "reports")
    assert sum(int(r["Open"]) for r in everything) == 4 + 1 + 1  # P, Q and no province
    crops = {r["Crop"] for r in get_csv(client, "crops")}
    assert {"xoài", "'=lúa", "thanh long"} <= crops
    page = client.get(f"/gis/stats?province={DONG_THAP}&lang=en").get_data(as_text=True)
    assert f'<option value="{DONG_THAP}" selected>' in page
    assert f'/gis/stats/crops.csv?province={DONG_THAP}' in page


def test_who_may_see_the_statistics(client, db, world, data):
    for url in ("/gis/stats", "/gis/stats/crops.csv"):
        answer = client.get(url)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    as_official(client, world.producer_a)
    assert client.get("/gis/stats").status_code == 403
    assert client.get("/gis/stats/reports.csv").status_code == 403


def test_bad_filters_are_refused_in_words(client, db, world, data):
    as_official(client, world.admin)
    for url in ("/gis/stats?province=7", "/gis/stats/crops.csv?province=abc"):
        answer = client.get(url, headers=EN)
        assert answer.status_code == 400
        assert "province" in answer.get_data(as_text=True)
    assert "Not one of the 34 provinces" in client.get(
        "/gis/stats?province=7", headers=EN).get_data(as_text=True)
    assert client.get("/gis/stats/passwords.csv").status_code == 404


# --- the page --------------------------------------------------------------------------------

def test_the_page_shows_every_chart_and_table(client, db, world, data):
    as_official(client, world.official_p)
    answer = client.get("/gis/stats?lang=en")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "Statistics: " + units.province_name(TAY_NINH) in page
    assert "<script" not in page and "http://" not in page.replace(
        "http://www.w3.org/2000/svg", "")
    svgs = re.findall(r"<svg .*?</svg>", page, re.S)
    assert len(svgs) == 8
    roots = [ET.fromstring(s) for s in svgs]
    titles = [r.find(f"{SVG}title").text for r in roots]
    assert "Hectares by crop" in titles and "Scans per day" in titles
    crop_chart = roots[titles.index("Hectares by crop")]
    bars = {b.find(f"{SVG}title").text.split(":")[0]: float(b.get("width"))
            for b in crop_chart.iter(f"{SVG}rect")}
    assert bars["thanh long"] / bars["=lúa"] == pytest.approx(6.75 / 10, rel=1e-3)
    daily = roots[titles.index("Stamps issued per day")]
    assert len(daily.findall(f".//{SVG}rect[@class='column']")) == 60
    for name in TABLES:
        assert f'id="table-{name}"' in page and f"/gis/stats/{name}.csv" in page
    assert 'href="/gis/reports"' in page
    # Vietnamese by default, with the same figures.
    vi = client.get("/gis/stats").get_data(as_text=True)
    assert len(re.findall(r"<svg ", vi)) == 8
