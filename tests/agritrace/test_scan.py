"""The public scan page on a real PostGIS: every verdict, the scan rows behind them,
Digital Link paths, the rate limit, privacy and the page itself."""
import hashlib
import hmac
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text, update

from agritrace.clock import today
from agritrace.models import Scan, Stamp
from agritrace.services import rate_limits, scans
from labels.codes import compact_code, format_code
from labels.digital_link import stamp_url
from support import english
from test_batches import issued_area, new_batch

STATIC = Path(__file__).resolve().parents[2] / "static"


# --- helpers, shared by the other scan tests -----------------------------------------------

def make_batch(client, world, *, expiry_days: int = 30, lot: str = "TL-SCAN-1",
               east_m: float = 0, **extra) -> dict:
    """An open batch of producer A on a fresh issued area, harvested five days ago."""
    a = english(world.token(world.producer_a))
    area = issued_area(client, world, east_m)
    day = today()
    made = new_batch(client, a, world, [area], lot_code=lot,
                     harvest_date=str(day - timedelta(days=5)),
                     pack_date=str(day - timedelta(days=4)),
                     expiry_date=str(day + timedelta(days=expiry_days)), **extra)
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def make_run(client, db, world, batch_id: int, quantity: int = 5, *, pin: bool = False,
             activate: bool = True) -> tuple[int, list[int]]:
    """A run of stamps for the batch, activated unless told otherwise: (run id, stamp ids)."""
    a = english(world.token(world.producer_a))
    made = client.post("/api/v1/stamp-orders", headers=a,
                       json={"batch_id": batch_id, "quantity": quantity, "pin": pin})
    assert made.status_code == 201, made.get_json()
    run_id = made.get_json()["run_id"]
    if activate:
        assert client.post(f"/api/v1/stamp-runs/{run_id}/activate",
                           headers=a).status_code == 200
    ids = db.scalars(select(Stamp.id).where(Stamp.run_id == run_id).order_by(Stamp.id)).all()
    return run_id, list(ids)


def scan(client, stamp_id: int, ip: str = "203.0.113.7", *, lang: str = "en", data=None,
         path: str | None = None):
    """One visit of the stamp's page from `ip` (a POST when `data`, as the location
    button sends)."""
    url = path or f"/s/{compact_code(stamp_id)}"
    headers = {"Accept-Language": lang, "User-Agent": "Mozilla/5.0 (Linux; Android 14) "
               "AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"}
    environ = {"REMOTE_ADDR": ip}
    if data is not None:
        return client.post(url, data=data, headers=headers, environ_base=environ)
    return client.get(url, headers=headers, environ_base=environ)


def verdicts(db, stamp_id):
    return db.scalars(select(Scan.verdict).where(Scan.stamp_id == stamp_id)
                      .order_by(Scan.id)).all()


def token(client, ip: str = "203.0.113.7") -> str:
    page = client.get("/verify", environ_base={"REMOTE_ADDR": ip}).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def unused_id(db) -> int:
    """A well-formed stamp id that no stamp has."""
    candidate = 4_000_000_000_000_000_001
    while db.get(Stamp, candidate) is not None:
        candidate += 1
    return candidate


@pytest.fixture
def batch(client, world):
    return make_batch(client, world)


@pytest.fixture
def stamps(client, db, world, batch):
    return make_run(client, db, world, batch["id"])[1]


# --- verdicts ----------------------------------------------------------------------------

def test_first_scans_are_genuine_and_show_the_batch_story(client, db, world, batch, stamps):
    first = scan(client, stamps[0])
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert "Genuine stamp" in page and "nobody else has checked it" in page
    for shown in ("Thanh long A", "HTX A", batch["lot_code"], batch["area_codes"][0],
                  "dragon fruit", format_code(stamps[0])):
        assert shown in page, shown
    # The same person opening it again is still among the first scans.
    assert "Genuine stamp" in scan(client, stamps[0]).get_data(as_text=True)
    stamp = db.get(Stamp, stamps[0])
    db.refresh(stamp)
    assert stamp.scan_count == 2 and stamp.first_scan_at is not None
    assert [v.value for v in verdicts(db, stamps[0])] == ["genuine", "genuine"]
    assert db.get(Stamp, stamps[1]).scan_count == 0


def test_another_client_sees_how_often_and_since_when_it_was_scanned(client, db, world,
                                                                      stamps):
    scan(client, stamps[0], "198.51.100.1")
    scan(client, stamps[0], "198.51.100.1")
    page = scan(client, stamps[0], "198.51.100.2").get_data(as_text=True)
    first = db.scalar(select(Stamp.first_scan_at).where(Stamp.id == stamps[0]))
    assert "checked before" in page
    assert f"scanned 3 times since {first.strftime('%b')}" in page
    assert verdicts(db, stamps[0])[-1].value == "repeat"


def test_more_distinct_clients_than_the_threshold_is_a_suspected_copy(app, client, db, world,
                                                                      stamps):
    app.config["SCAN_COPY_CLIENTS"] = 3
    try:
        for n in range(3):
            assert "Suspected copy" not in scan(client, stamps[0], f"192.0.2.{n}").get_data(
                as_text=True)
        page = scan(client, stamps[0], "192.0.2.99").get_data(as_text=True)
        assert "Suspected copy" in page and "too many different people" in page
        # Once judged a copy, it stays one, even for its first scanner.
        assert "Suspected copy" in scan(client, stamps[0], "192.0.2.0").get_data(as_text=True)
        # Another stamp of the batch is not affected.
        assert "Genuine stamp" in scan(client, stamps[1], "192.0.2.99").get_data(as_text=True)
    finally:
        app.config["SCAN_COPY_CLIENTS"] = 10
    assert [v.value for v in verdicts(db, stamps[0])] == [
        "genuine", "repeat", "repeat", "suspect_copy", "suspect_copy"]


def test_locations_too_far_apart_for_the_time_between_are_a_suspected_copy(client, db, world,
                                                                          stamps):
    csrf = token(client)
    hanoi = {"csrf_token": csrf, "lat": "21.0285", "lon": "105.8542"}
    here = scan(client, stamps[0], data=hanoi)
    assert here.status_code == 200 and "Genuine stamp" in here.get_data(as_text=True)
    # Stored coarse: about 11 km, not the person's street.
    assert db.execute(select(Scan.lat, Scan.lon).where(Scan.stamp_id == stamps[0])).one() \
        == (21.0, 105.9)
    # Across town a minute later is possible...
    near = scan(client, stamps[0], "198.51.100.9",
                data={"csrf_token": csrf, "lat": "21.05", "lon": "105.80"})
    assert "checked before" in near.get_data(as_text=True)
    # ... Ho Chi Minh City (1,100 km) at the same time is not.
    far = scan(client, stamps[0], "198.51.100.10",
               data={"csrf_token": csrf, "lat": "10.7769", "lon": "106.7009"})
    assert "Suspected copy" in far.get_data(as_text=True)
    # Ten hours apart, the same trip is a flight, not a copy.
    scan(client, stamps[1], data=hanoi)
    db.execute(text("UPDATE scans SET scanned_at = scanned_at - interval '10 hours' "
                    "WHERE stamp_id = :id"), {"id": stamps[1]})
    later = scan(client, stamps[1], "198.51.100.10",
                 data={"csrf_token": csrf, "lat": "10.7769", "lon": "106.7009"})
    assert "checked before" in later.get_data(as_text=True)


def test_a_run_not_yet_activated_shows_only_the_verdict(client, db, world, batch):
    _run, ids = make_run(client, db, world, batch["id"], 3, activate=False)
    got = scan(client, ids[0])
    page = got.get_data(as_text=True)
    assert got.status_code == 200 and "Stamp not activated" in page
    assert "Thanh long A" not in page and batch["lot_code"] not in page
    assert verdicts(db, ids[0])[-1].value == "inactive"


def test_void_runs_and_void_stamps_scan_as_cancelled(client, db, world, batch):
    run_id, ids = make_run(client, db, world, batch["id"], 3)
    db.execute(update(Stamp).where(Stamp.id == ids[1]).values(status="void"))
    page = scan(client, ids[1]).get_data(as_text=True)
    assert "Stamp cancelled" in page and "Thanh long A" not in page
    assert "Genuine stamp" in scan(client, ids[0]).get_data(as_text=True)
    client.post(f"/api/v1/stamp-runs/{run_id}/void", json={"reason": "Cuộn in lỗi"},
                headers=english(world.token(world.producer_a)))
    page = scan(client, ids[0]).get_data(as_text=True)
    assert "Stamp cancelled" in page and "Cuộn in lỗi" not in page
    assert [v.value for v in verdicts(db, ids[0])] == ["genuine", "void"]


def test_an_unknown_code_is_recorded_without_a_stamp(client, db, world, stamps):
    stranger = unused_id(db)
    before = db.scalar(select(func.count()).select_from(Scan).where(Scan.stamp_id.is_(None)))
    got = scan(client, stranger)
    assert got.status_code == 404
    page = got.get_data(as_text=True)
    assert "Unknown code" in page and "not one of the stamps issued" in page
    assert db.scalar(select(func.count()).select_from(Scan).where(
        Scan.stamp_id.is_(None), Scan.verdict == "unknown")) == before + 1


def test_a_mistyped_code_says_why_and_records_nothing(client, db, world, stamps):
    code = compact_code(stamps[0])
    mistyped = code[:-1] + ("0" if code[-1] != "0" else "1")
    before = db.scalar(select(func.count()).select_from(Scan))
    got = scan(client, 0, path=f"/s/{mistyped}")
    assert got.status_code == 404 and "last symbol does not match" in got.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Scan)) == before
    # Typed as people type it: lower case, dashes, O for 0 and L for 1.
    loose = format_code(stamps[0]).lower().replace("0", "o").replace("1", "l")
    assert scan(client, 0, path=f"/s/{loose}").status_code == 200


def test_a_recalled_batch_shows_a_red_banner_with_reason_and_date(client, db, world, batch,
                                                                  stamps):
    scan(client, stamps[0])
    official = english(world.token(world.official_p))
    client.post(f"/api/v1/batches/{batch['id']}/recall", headers=official,
                json={"reason": "Dư lượng propineb vượt ngưỡng"})
    page = scan(client, stamps[0]).get_data(as_text=True)
    banner = re.search(r'<div class="banner recalled"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert "Dư lượng propineb vượt ngưỡng" in banner
    assert today().strftime("%b") in banner and str(today().year) in banner
    assert "Recalled: do not eat or use" in page
    assert "Thanh long A" in page  # what was recalled stays readable
    assert verdicts(db, stamps[0])[-1].value == "recalled"


def test_a_batch_past_its_expiry_date_says_so(client, db, world):
    old = make_batch(client, world, expiry_days=-1, lot="TL-OLD")
    _run, ids = make_run(client, db, world, old["id"], 1)
    page = scan(client, ids[0]).get_data(as_text=True)
    assert "Past its expiry date" in page
    assert f"expired on {(today() - timedelta(days=1)).strftime('%b')}" in page
    assert verdicts(db, ids[0]) == ["expired"]


# --- unknown codes take the same path as known ones --------------------------------------

def _statements(app, db, call) -> list[str]:
    seen = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))
    engine = db.get_bind().engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        response = call()
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    # Savepoints are the test harness's, not the app's.
    return response, [s for s in seen if "SAVEPOINT" not in s]


def test_an_unknown_code_runs_the_same_statements_as_a_known_one(app, client, db, world,
                                                                  batch, stamps, monkeypatch):
    # The rate limiter's occasional sweep of old windows would add a statement to
    # whichever request draws it; it is not part of what a code reveals.
    monkeypatch.setattr(rate_limits, "SWEEP_CHANCE", 0)
    _run, inactive = make_run(client, db, world, batch["id"], 1, activate=False)
    scan(client, stamps[1])                  # the batch's story is now rendered
    runs = {}
    for name, stamp_id in (("genuine", stamps[0]), ("inactive", inactive[0]),
                           ("unknown", unused_id(db))):
        response, runs[name] = _statements(app, db, lambda: scan(client, stamp_id))
        assert response.status_code in (200, 404)
    assert runs["unknown"] == runs["inactive"] == runs["genuine"]
    assert any("UPDATE stamps" in s for s in runs["unknown"])
    assert any("INSERT INTO rate_limits" in s for s in runs["unknown"])


# --- Digital Link paths ------------------------------------------------------------------

def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_a_digital_link_resolves_to_the_scan_page(client, db, world, batch, stamps):
    expiry = date.fromisoformat(batch["expiry_date"])
    good = _path(stamp_url("https://id.example.vn", stamps[0], gtin=world.product_a.gtin,
                           lot=batch["lot_code"], expiry=expiry))
    assert good.startswith("/01/09520009999910/10/")
    got = scan(client, 0, path=good)
    page = got.get_data(as_text=True)
    assert got.status_code == 200 and "Genuine stamp" in page and 'id="mismatch"' not in page
    assert db.get(Stamp, stamps[0]).scan_count == 1


@pytest.mark.parametrize("change, words", [
    ({"lot": "TL-OTHER"}, "lot"),
    ({"gtin": "09520009999927"}, "product number (GTIN)"),
    ({"expiry": "300101"}, "expiry date"),
])
def test_a_digital_link_that_does_not_match_the_stamp_is_flagged(client, db, world, batch,
                                                                 stamps, change, words):
    values = {"gtin": world.product_a.gtin, "lot": batch["lot_code"],
              "expiry": date.fromisoformat(batch["expiry_date"]), **change}
    path = _path(stamp_url("https://id.example.vn", stamps[0], **values))
    page = scan(client, 0, path=path).get_data(as_text=True)
    mismatch = re.search(r'<div class="banner mismatch"[^>]*>(.*?)</div>', page, re.S)
    assert mismatch and words in mismatch.group(1)


def test_a_lot_with_a_slash_and_the_short_forms(client, db, world):
    slashed = make_batch(client, world, lot="TL/2026")
    _run, ids = make_run(client, db, world, slashed["id"], 1)
    path = _path(stamp_url("https://id.example.vn", ids[0], gtin=world.product_a.gtin,
                           lot="TL/2026"))
    assert "/10/TL%2F2026/21/" in path
    page = scan(client, 0, path=path).get_data(as_text=True)
    assert "Genuine stamp" in page and 'id="mismatch"' not in page
    # Without a lot, (01) and (21) alone.
    short = _path(stamp_url("https://id.example.vn", ids[0], gtin=world.product_a.gtin))
    assert "Genuine stamp" in scan(client, 0, path=short).get_data(as_text=True)
    # Without a serial: the product and its lot, and a box for the stamp's code.
    product = client.get("/01/09520009999910/10/TL%2F2026", headers=english({}))
    assert product.status_code == 200
    assert "Check the stamp too" in product.get_data(as_text=True)
    assert "Thanh long A" in product.get_data(as_text=True)
    assert client.get("/01/09520009999910", headers=english({})).status_code == 200
    assert client.get("/01/09520000000017", headers=english({})).status_code == 404
    assert client.get("/01/123/21/XYZ", headers=english({})).status_code == 404


# --- abuse and privacy -------------------------------------------------------------------

def test_too_many_scans_from_one_client_get_a_429_with_retry_after(app, client, db, world,
                                                                   stamps):
    app.config["RATE_LIMITS"] = {**app.config["RATE_LIMITS"], "scan": (3, 60)}
    try:
        for _ in range(3):
            assert scan(client, stamps[0], "198.51.100.77").status_code == 200
        refused = scan(client, stamps[0], "198.51.100.77")
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "Please wait" in refused.get_data(as_text=True)
        # Mistyped codes count too; other clients are not affected.
        assert scan(client, 0, "198.51.100.77", path="/s/AAAA").status_code == 429
        assert scan(client, stamps[0], "198.51.100.78").status_code == 200
    finally:
        app.config["RATE_LIMITS"] = {**app.config["RATE_LIMITS"], "scan": (60, 60)}
    assert db.get(Stamp, stamps[0]).scan_count == 4
    assert len(verdicts(db, stamps[0])) == 4


def test_clients_are_kept_as_a_hash_that_changes_every_day(app, client, db, world, stamps):
    ip = "203.0.113.250"
    scan(client, stamps[0], ip)
    stored = db.scalar(select(Scan.client_hash).where(Scan.stamp_id == stamps[0]))
    day_key = hmac.new(app.config["SECRET_KEY"].encode(),
                       f"scan-client/{today().isoformat()}".encode(), hashlib.sha256).digest()
    assert stored == hmac.new(day_key, ip.encode(), hashlib.sha256).hexdigest()
    with app.app_context():
        tomorrow = scans.client(ip, day=today() + timedelta(days=1))
    assert tomorrow.hash != stored
    # The address is nowhere in the database.
    rows = db.execute(text("SELECT row_to_json(s)::text FROM scans s")).scalars().all()
    limits = db.execute(text("SELECT bucket FROM rate_limits")).scalars().all()
    assert not any(ip in r for r in rows + limits)


def test_the_client_is_taken_from_the_trusted_proxy(app, client, db, world, stamps):
    app.config["TRUSTED_PROXY_HOPS"] = 1
    try:
        for forwarded in ("198.51.100.1", "6.6.6.6, 198.51.100.2"):
            client.get(f"/s/{compact_code(stamps[0])}", headers={"X-Forwarded-For": forwarded})
    finally:
        app.config["TRUSTED_PROXY_HOPS"] = 0
    with app.app_context():
        expected = [scans.client(ip).hash for ip in ("198.51.100.1", "198.51.100.2")]
    assert db.scalars(select(Scan.client_hash).where(Scan.stamp_id == stamps[0])
                      .order_by(Scan.id)).all() == expected


def test_public_pages_show_no_internal_ids_or_stack_traces(app, client, db, world, batch,
                                                           stamps, monkeypatch):
    page = scan(client, stamps[0]).get_data(as_text=True)
    assert str(stamps[0]) not in page
    for name in ("stamp_id", "batch_id", "run_id", "recorded_by"):
        assert name not in page

    def broken(*args, **kwargs):
        raise RuntimeError("internal detail 8675309 at stamps.py line 12")
    monkeypatch.setattr(scans, "public_story", broken)
    app.extensions.pop("agritrace.scan_stories", None)
    failed = scan(client, stamps[1])
    assert failed.status_code == 500
    body = failed.get_data(as_text=True)
    assert "8675309" not in body and "Traceback" not in body and "stamps.py" not in body


# --- the page ------------------------------------------------------------------------------

def test_the_page_is_light_shareable_uncached_and_vietnamese_by_default(client, db, world,
                                                                        stamps):
    got = scan(client, stamps[0], lang="vi")
    page = got.get_data(as_text=True)
    assert '<html lang="vi">' in page and "Thanh long A" in page
    assert got.headers["Cache-Control"] == "no-store"
    css = re.findall(r'<link rel="stylesheet" href="/static/([^"]+)"', page)
    assert css == ["css/app.css", "css/scan.css"]
    weight = len(got.data) + sum((STATIC / name).stat().st_size for name in css)
    assert weight < 100_000, weight
    for tag in ("og:title", "og:description", "og:type", "og:locale"):
        assert f'property="{tag}"' in page
    assert 'content="Thanh long A"' in page
    # Nothing from another host: every src and href is ours (the basemap is only in the
    # map's script, as configuration).
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page)
    english_page = scan(client, stamps[0], lang="vi", path=f"/s/{compact_code(stamps[0])}"
                        "?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english_page and "Genuine stamp" in english_page


def test_the_story_shows_the_diary_with_lab_results_but_no_recorder(client, db, world, batch,
                                                                    stamps):
    a = english(world.token(world.producer_a))
    client.post("/api/v1/diary", headers=a, json={
        "step": "lab_testing", "batch_id": batch["id"],
        "details": {"analyte": "propineb", "result": 0.004, "limit": 0.01, "unit": "mg/kg",
                    "lab": "QUATEST 3", "report_number": "KQ-1234"}})
    page = scan(client, stamps[0]).get_data(as_text=True)
    diary = re.search(r'<section class="diary".*?</section>', page, re.S).group(0)
    assert "propineb" in diary and "conformant" in diary and "QUATEST 3" in diary
    assert "a@test.vn" not in page
