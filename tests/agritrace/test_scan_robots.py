"""Robots on the scan page: HEAD requests, prefetches, link previews and crawlers get
the page with its Open Graph tags but make no scan; they are counted per stamp apart,
and officials see how often a stamp's link was shared."""
import re
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import select

from agritrace.models import Scan, Stamp, StampPreview
from agritrace.services import robots
from labels.codes import compact_code, format_code
from support import PASSWORD, login
from test_reports import reports, send
from test_scan import scan, token
from test_scan import batch, stamps  # noqa: F401  (fixtures)

AGENTS = tomllib.loads((Path(__file__).resolve().parents[1] / "data" / "user_agents.toml")
                       .read_text(encoding="utf-8"))["agent"]
FACEBOOK = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
GOOGLE = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
ZALO = next(a["ua"] for a in AGENTS if "Zalo android/26021884" in a["ua"])
PHONE = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"


def test_every_real_agent_is_taken_for_what_its_source_says():
    wrong = {a["ua"]: robots.robot("GET", {"User-Agent": a["ua"]})
             for a in AGENTS
             if (robots.robot("GET", {"User-Agent": a["ua"]}) or "person") != a["expect"]}
    assert wrong == {}
    assert all(a["source"] for a in AGENTS)
    # Every agent rule is tested with a real string of its own.
    tested = {a["expect"] for a in AGENTS}
    assert {r.name for r in robots.rules().agents + robots.rules().generic} <= tested


def test_methods_and_prefetch_headers_are_robots_whatever_the_agent():
    assert robots.robot("HEAD", {"User-Agent": ZALO}) == "HEAD"
    for header, value in (("Sec-Purpose", "prefetch"), ("Sec-Purpose", "prefetch;prerender"),
                          ("Purpose", "prefetch"), ("X-Moz", "prefetch")):
        assert robots.robot("GET", {header: value, "User-Agent": PHONE}) == "prefetch"
    assert robots.robot("GET", {"User-Agent": PHONE}) is None
    assert robots.robot("POST", {}) is None


def test_a_rule_without_a_source_is_refused(tmp_path):
    rules = tmp_path / "robots.toml"
    rules.write_text('[[agents]]\nname = "X"\npatterns = ["x"]\n')
    with pytest.raises(ValueError, match="has no source"):
        robots.load(rules)


def visit(client, stamp_id: int, ip: str, agent: str, method: str = "GET", **headers):
    return client.open(f"/s/{compact_code(stamp_id)}", method=method,
                       headers={"User-Agent": agent, "Accept-Language": "en", **headers},
                       environ_base={"REMOTE_ADDR": ip})


def previews(db, stamp_id: int) -> dict[str, int]:
    return dict(db.execute(select(StampPreview.agent, StampPreview.previews)
                           .where(StampPreview.stamp_id == stamp_id)).all())


def test_robots_get_the_page_and_leave_no_scan(app, client, db, world, batch,  # noqa: F811
                                               stamps):  # noqa: F811
    stamp = stamps[0]
    for n in range(12):   # more distinct addresses than make a copy (SCAN_COPY_CLIENTS)
        page = visit(client, stamp, f"198.51.100.{n}", FACEBOOK)
        assert page.status_code == 200
        assert '<meta property="og:title" content="Thanh long' in page.get_data(as_text=True)
    assert visit(client, stamp, "198.51.100.50", PHONE, "HEAD").status_code == 200
    for header in ("Sec-Purpose", "Purpose", "X-Moz"):
        assert visit(client, stamp, "198.51.100.51", PHONE, **{header: "prefetch"}
                     ).status_code == 200
    assert visit(client, stamp, "66.249.66.1", GOOGLE).status_code == 200
    assert db.scalars(select(Scan).where(Scan.stamp_id == stamp)).all() == []
    assert db.get(Stamp, stamp).scan_count == 0 and db.get(Stamp, stamp).first_scan_at is None
    assert previews(db, stamp) == {"Facebook": 12, "HEAD": 1, "prefetch": 3, "Google": 1}

    # People count, Zalo's in-app browser among them, and the shares weigh nothing.
    first = visit(client, stamp, "203.0.113.7", ZALO).get_data(as_text=True)
    assert "Genuine" in first
    scan(client, stamp, "203.0.113.8")
    verdicts = db.scalars(select(Scan.verdict).where(Scan.stamp_id == stamp)
                          .order_by(Scan.id)).all()
    assert [v.value for v in verdicts] == ["genuine", "repeat"]
    assert db.scalars(select(Scan.ua_family).where(Scan.stamp_id == stamp)
                      .order_by(Scan.id)).first() == "Zalo"
    assert db.get(Stamp, stamp).scan_count == 2


def test_officials_see_how_often_a_stamp_was_shared(app, client, db, world,
                                                    stamps):  # noqa: F811
    stamp = stamps[0]
    for n in range(3):
        visit(client, stamp, f"198.51.100.{n}", FACEBOOK)
    visit(client, stamp, "149.154.161.1", "TelegramBot (like TwitterBot)")
    visit(client, stamp, "66.249.66.1", GOOGLE)
    copies = dict(app.config)["SCAN_COPY_CLIENTS"]
    app.config["SCAN_COPY_CLIENTS"] = 1
    try:
        for ip in ("203.0.113.1", "203.0.113.2"):
            scan(client, stamp, ip)
    finally:
        app.config["SCAN_COPY_CLIENTS"] = copies
    send(client, code=format_code(stamp))
    [report] = reports(db)

    login(client, world.official_p.email, PASSWORD)
    page = client.get(f"/gis/reports/{report.id}?lang=en").get_data(as_text=True)
    shown = re.sub(r"\s+", " ", re.search(r'<dd id="stamp-previews".*?</dd>', page, re.S)[0])
    assert "shared 4 times (Facebook 3, Telegram 1)" in shown
    assert "other automatic visits: 1 (Google 1)" in shown
    listed = client.get("/gis/stats/copies.csv", headers={"Accept-Language": "en"})
    text = listed.get_data(as_text=True)
    assert "Link previews (shares)" in text.splitlines()[0]
    row = next(line for line in text.splitlines() if format_code(stamp) in line)
    assert ",4," in row
    client.post("/logout", data={"csrf_token": token(client)})


def test_outside_a_transaction_a_scan_is_one_statement_committed_on_its_own(app):
    """As in production (no test transaction around it): the scan, and a robot's visit,
    each run as one autocommitted statement on the app's engine."""
    from sqlalchemy import event, text

    from agritrace.db import EXTENSION
    from agritrace.services import scans as scan_service
    engine = app.extensions[EXTENSION].kw["bind"]
    code, ip = 4_000_000_000_000_000_123, "192.0.2.77"
    with app.app_context():
        client_hash = scan_service.client(ip).hash
    seen = []
    listener = lambda *args: seen.append(args[2].split()[0])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        person = visit(app.test_client(), code, ip, PHONE)
        robot = visit(app.test_client(), code, ip, FACEBOOK)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
        with engine.begin() as c:
            rows = c.execute(text("DELETE FROM scans WHERE client_hash = :h RETURNING verdict"),
                             {"h": client_hash}).scalars().all()
            buckets = c.execute(text("DELETE FROM rate_limits WHERE bucket LIKE :b "
                                     "RETURNING bucket"), {"b": f"%:{client_hash}"[:100]}
                                ).scalars().all()
    assert (person.status_code, robot.status_code) == (404, 404)
    assert rows == ["unknown"]                     # the person's scan, committed
    assert sorted(b.split(":")[0] for b in buckets) == ["preview", "scan"]
    assert seen == ["WITH", "WITH"]                # one statement each, nothing around it
