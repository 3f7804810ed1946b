"""Reports (phản ánh): a consumer's form on the scan page, the officials' queue of the
batch's province, and its statuses (audited)."""
import re

from sqlalchemy import func, select

from agritrace.models import AuditEntry, Report
from labels.codes import format_code
from support import DONG_THAP, TAY_NINH, login, PASSWORD
from test_scan import scan, token, unused_id
from test_scan import batch, stamps  # noqa: F401  (fixtures)

IP = "203.0.113.7"


def send(client, ip: str = IP, **fields):
    data = {"csrf_token": token(client, ip), "reason": "fake",
            "message": "Tem dán lệch, mã QR mờ, mua ở chợ Bến Thành", **fields}
    return client.post("/report", data=data, headers={"Accept-Language": "en"},
                       environ_base={"REMOTE_ADDR": ip})


def reports(db):
    return db.scalars(select(Report).order_by(Report.id)).all()


def test_the_scan_page_carries_the_form_and_the_report_reaches_the_province(
        client, db, world, batch, stamps):  # noqa: F811
    page = scan(client, stamps[0]).get_data(as_text=True)
    form = re.search(r'<form method="post" action="/report".*?</form>', page, re.S).group(0)
    assert 'name="csrf_token"' in form and format_code(stamps[0]) in form
    sent = send(client, code=format_code(stamps[0]), contact="0909 123 456")
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/report/sent")
    thanks = client.get("/report/sent", headers={"Accept-Language": "en"})
    assert "Thank you" in thanks.get_data(as_text=True)
    [report] = reports(db)
    assert (report.stamp_id, report.batch_id, report.province_code) == (
        stamps[0], batch["id"], TAY_NINH)
    assert report.reason.value == "fake" and report.status.value == "new"
    assert report.contact == "0909 123 456" and len(report.client_hash) == 64
    assert IP not in report.client_hash


def test_a_report_without_the_form_token_or_a_message_is_refused(client, db, world,
                                                                 stamps):  # noqa: F811
    no_token = client.post("/report", data={"code": format_code(stamps[0]), "reason": "fake",
                                            "message": "Tem giả"},
                           headers={"Accept-Language": "en"})
    assert no_token.status_code == 400
    short = send(client, message="x")
    assert short.status_code == 400
    assert "Between 5 and 2000 characters" in short.get_data(as_text=True)
    bad_code = send(client, code="NOT-A-CODE")
    assert bad_code.status_code == 400
    assert reports(db) == []


def test_reports_are_rate_limited(app, client, db, world, stamps):  # noqa: F811
    limits = dict(app.config["RATE_LIMITS"])
    app.config["RATE_LIMITS"] = {**limits, "report": (2, 3600)}
    try:
        assert [send(client, code=format_code(stamps[0])).status_code for _ in range(3)] \
            == [303, 303, 429]
        assert send(client, "198.51.100.3").status_code == 303
    finally:
        app.config["RATE_LIMITS"] = limits
    assert len(reports(db)) == 3


def test_an_unknown_code_on_a_known_gtin_goes_to_the_producers_province(client, db, world,
                                                                       batch):  # noqa: F811
    stranger = format_code(unused_id(db))
    send(client, code=stranger, gtin=world.product_a.gtin, lot=batch["lot_code"])
    send(client, code=stranger)
    first, second = reports(db)
    assert (first.stamp_id, first.stamp_code, first.batch_id, first.province_code) == (
        None, stranger, batch["id"], TAY_NINH)
    assert (second.batch_id, second.province_code) == (None, None)


def test_officials_of_the_province_handle_the_report_with_its_scan_history(
        client, db, world, batch, stamps):  # noqa: F811
    for ip in ("198.51.100.1", "198.51.100.2"):
        scan(client, stamps[0], ip)
    send(client, code=format_code(stamps[0]))
    [report] = reports(db)
    url = f"/gis/reports/{report.id}"

    login(client, world.official_q.email, PASSWORD)
    assert client.get(url).status_code == 404
    assert "Tem dán lệch" not in client.get("/gis/reports").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": token(client)})

    login(client, world.producer_a.email, PASSWORD)
    assert client.get("/gis/reports").status_code == 403
    client.post("/logout", data={"csrf_token": token(client)})
    assert client.get(url).status_code == 302   # to the login page

    login(client, world.official_p.email, PASSWORD)
    listed = client.get("/gis/reports?lang=en").get_data(as_text=True)
    assert "Tem dán lệch" in listed and format_code(stamps[0]) in listed
    page = client.get(url).get_data(as_text=True)
    assert batch["lot_code"] in page and "Thanh long A" in page
    history = re.search(r'<table class="scans".*?</table>', page, re.S).group(0)
    assert history.count("<tr>") == 3 and "Scanned before" in history
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    for status, resolution in (("in_review", ""),
                               ("resolved", "Tem thật; đã liên hệ HTX A")):
        done = client.post(url, data={"csrf_token": csrf, "status": status,
                                      "resolution": resolution})
        assert done.status_code == 303
    assert client.post(url, data={"csrf_token": csrf, "status": "new"}).status_code == 400
    db.refresh(report)
    assert report.status.value == "resolved" and report.handled_by == world.official_p.id
    assert report.resolution == "Tem thật; đã liên hệ HTX A"
    actions = db.scalars(select(AuditEntry.action).where(
        AuditEntry.entity == "report", AuditEntry.entity_id == str(report.id))
        .order_by(AuditEntry.id)).all()
    assert actions == ["in_review", "resolved"]
    assert "Resolved" in client.get("/gis/reports?status=resolved&lang=en").get_data(
        as_text=True)
    assert db.scalar(select(func.count()).select_from(Report).where(
        Report.province_code == DONG_THAP)) == 0


def test_reports_that_reached_no_province_are_for_the_administrators(client, db, world):
    send(client, code=format_code(unused_id(db)))
    [report] = reports(db)
    login(client, world.official_p.email, PASSWORD)
    assert client.get(f"/gis/reports/{report.id}").status_code == 404
    client.post("/logout", data={"csrf_token": token(client)})
    login(client, world.admin.email, PASSWORD)
    page = client.get(f"/gis/reports/{report.id}?lang=en").get_data(as_text=True)
    assert "not a stamp of AgriTrace" in page
