"""Codes' export markets and their supervision (issue 20, items 1–3): an official
approves dragon-fruit codes for China, an inspection finds a quarantine pest and
suspends one for China, and the packing house's export lot to China is refused naming
that code while a domestic lot from the same area goes ahead; codes never approved for
a market are refused until they are; bad steps are refused and
write nothing; renewals are reminded once, by inbox and e-mail, through the worker
loop; overdue inspections and corrective actions reach the officials' lists and map."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from agritrace.clock import today
from agritrace.models import AuditEntry, CodeMarket, Notice, OutboxMessage
from agritrace.services import stamp_worker
from lots_support import build, pack_body
from support import PASSWORD, csrf_token, english, login, snapshot
from test_recalls import smtp  # noqa: F401  (a real SMTP server on loopback)


@pytest.fixture
def chain(app, client, db, world):
    chain = build(app, client, db, world)
    chain.p = english(world.token(world.official_p))
    made = client.post("/api/v1/transformations", headers=chain.h, json=pack_body(chain))
    assert made.status_code == 201, made.get_json()
    chain.box = made.get_json()["outputs"][0]
    chain.codes = [a["code"] for a in chain.areas] + [chain.facility["code"]]
    return chain


def approve(client, p, code: str, market: str = "CN", **extra) -> dict:
    """Propose, submit and approve `code` for `market` through the API."""
    made = client.post("/api/v1/code-markets", headers=p, json={"code": code, "market": market})
    assert made.status_code == 201, made.get_json()
    url = f"/api/v1/code-markets/{made.get_json()['id']}/decision"
    assert client.post(url, headers=p, json={"action": "submit"}).status_code == 200
    done = client.post(url, headers=p, json={
        "action": "approve", "approved_on": str(today() - timedelta(days=40)),
        "list_reference": "GACC 2026/17", **extra})
    assert done.status_code == 200, done.get_json()
    return done.get_json()


def export(client, chain, market="CN", lot_code="XK-CN-01", quantity=100):
    return client.post("/api/v1/export-lots", headers=chain.h, json={
        "market": market, "product_id": chain.packed["id"], "lot_code": lot_code,
        "facility_id": chain.facility["id"],
        "inputs": [{"batch_id": chain.box["id"], "quantity": quantity}]})


def test_an_inspection_suspends_a_code_for_china_and_only_export_lots_stop(client, db,
                                                                           chain):
    approved = [approve(client, chain.p, code) for code in chain.codes]
    assert {a["state"] for a in approved} == {"approved"}
    assert approved[0]["list_reference"] == "GACC 2026/17"
    listed = client.get("/api/v1/code-markets?market=CN", headers=chain.p)
    assert listed.headers["X-Total-Count"] == "4"
    assert [r["code"] for r in listed.get_json()] == sorted(chain.codes)
    owned = client.get("/api/v1/code-markets", headers=chain.a).get_json()
    assert [r["code"] for r in owned] == chain.codes[:2]       # A's two areas only
    assert export(client, chain).status_code == 201
    # A code approved for China only is not approved for Japan.
    japan = export(client, chain, market="JP", lot_code="XK-JP-01")
    assert japan.status_code == 422
    assert f"Code {chain.codes[0]} (lot DG-2026-01) is not approved for Japan." \
        in japan.get_json()["detail"]

    suspect = chain.codes[0]
    found = client.post("/api/v1/inspections", headers=chain.p, json={
        "code": suspect, "inspected_on": str(today()), "inspector": "Trần Văn Kiểm",
        "findings": ["quarantine_pest"], "notes": "Ruồi đục quả Bactrocera dorsalis",
        "outcome": "suspension", "markets": ["CN"]})
    assert found.status_code == 201, found.get_json()
    assert found.get_json()["outcome"] == "suspension" and found.get_json()["markets"] == ["CN"]
    row = client.get(f"/api/v1/code-markets/{approved[0]['id']}", headers=chain.p).get_json()
    assert row["state"] == "suspended" and "quarantine pest found" in row["reason"]
    steps = db.scalars(select(AuditEntry.action).where(
        AuditEntry.entity == "code_market", AuditEntry.entity_id == str(approved[0]["id"]))
        .order_by(AuditEntry.id)).all()
    assert steps == ["propose", "submit", "approve", "suspend"]

    before = snapshot(db.connection())
    refused = export(client, chain, lot_code="XK-CN-02")
    assert refused.status_code == 422, refused.get_json()
    said = refused.get_json()
    assert f"Code {suspect} (lot DG-2026-01) is suspended for China" in said["detail"]
    assert "quarantine pest found" in said["detail"]
    assert not any(code in said["detail"] for code in chain.codes[1:])
    assert list(said["errors"]) == ["inputs.0.batch_id"]
    assert snapshot(db.connection()) == before
    # A domestic lot of the same fruit is not held back by the export suspension.
    domestic = client.post("/api/v1/transformations", headers=chain.h, json={
        "kind": "packing", "facility_id": chain.facility["id"],
        "inputs": [{"batch_id": chain.box["id"], "quantity": 500}],
        "outputs": [{"product_id": chain.packed["id"], "lot_code": "ND-2026-01",
                     "quantity": 500, "unit": "KGM"}]})
    assert domestic.status_code == 201, domestic.get_json()


def test_codes_not_approved_for_the_market_are_refused_until_they_are(client, db, chain):
    before = snapshot(db.connection())
    refused = export(client, chain)                      # no code classified yet
    assert refused.status_code == 422, refused.get_json()
    for code in chain.codes:
        assert f"Code {code} (lot DG-2026-01) is not approved for China." \
            in refused.get_json()["detail"]
    assert list(refused.get_json()["errors"]) == ["inputs.0.batch_id"]
    assert snapshot(db.connection()) == before
    made = client.post("/api/v1/code-scopes", headers=chain.p,
                       json={"code": chain.codes[1], "scope": "domestic"})
    assert made.status_code == 200 and made.get_json()["scope"] == "domestic"
    domestic = export(client, chain, lot_code="XK-CN-02")
    assert domestic.status_code == 422
    assert f"Code {chain.codes[1]} (lot DG-2026-01) is a domestic code" \
        in domestic.get_json()["detail"]
    for code in chain.codes:
        approve(client, chain.p, code)
    assert export(client, chain, lot_code="XK-CN-03").status_code == 201


def test_bad_steps_are_refused_and_write_nothing(client, db, chain, world):
    code = chain.codes[0]
    made = client.post("/api/v1/code-markets", headers=chain.p,
                       json={"code": code, "market": "CN"}).get_json()
    url = f"/api/v1/code-markets/{made['id']}/decision"
    a, q = english(world.token(world.producer_a)), english(world.token(world.official_q))
    before = snapshot(db.connection())
    early = client.post(url, headers=chain.p, json={
        "action": "approve", "approved_on": str(today()), "list_reference": "GACC 1"})
    assert early.status_code == 409
    assert early.get_json()["detail"] == (
        f"Code {code} has not been submitted to CN (it is proposed): submit it before "
        "recording the approval.")
    bare = client.post(url, headers=chain.p, json={"action": "revoke"})
    assert bare.status_code == 422 and bare.get_json()["errors"] == {"reason": ["Required."]}
    future = client.post("/api/v1/inspections", headers=chain.p, json={
        "code": code, "inspected_on": str(today() + timedelta(days=1)), "inspector": "An",
        "outcome": "revocation"})
    assert future.status_code == 422
    assert "is in the future" in future.get_json()["detail"]
    assert "inspected_on" in future.get_json()["errors"]
    unknown = client.post("/api/v1/code-markets", headers=chain.p,
                          json={"code": "VN-XXOR-9999", "market": "CN"})
    assert unknown.status_code == 404 and "VN-XXOR-9999" in unknown.get_json()["detail"]
    # The owner reads its code's markets but decides nothing; another province sees none.
    assert client.post(url, headers=a, json={"action": "submit"}).status_code == 403
    assert client.get(f"/api/v1/code-markets/{made['id']}", headers=a).status_code == 200
    assert client.get(f"/api/v1/code-markets/{made['id']}", headers=q).status_code == 404
    assert snapshot(db.connection()) == before


def test_renewals_are_reminded_once_by_inbox_and_email_through_the_worker(app, client, db,
                                                                          chain, smtp):
    renew_by = today() + timedelta(days=20)
    row = approve(client, chain.p, chain.codes[0], valid_until=str(today() + timedelta(days=60)),
                  renew_by=str(renew_by))
    with app.app_context():
        assert stamp_worker.work(once=True) == 0      # no stamp order; reminders and mail
    (notice,) = db.scalars(select(Notice).where(Notice.kind == "renewal")).all()
    assert notice.organization_id == chain.world.org_a.id
    assert chain.codes[0] in notice.subject and renew_by.isoformat() in notice.body
    mailed = db.scalars(select(OutboxMessage.recipient).where(
        OutboxMessage.notice_id == notice.id)).all()
    assert sorted(mailed) == ["a@test.vn", "p@test.vn"]
    assert sorted(r for rcpt, _m in smtp.received for r in rcpt) == ["a@test.vn", "p@test.vn"]
    assert db.get(CodeMarket, row["id"]).reminded_for == renew_by
    with app.app_context():
        stamp_worker.work(once=True)
    assert len(db.scalars(select(Notice).where(Notice.kind == "renewal")).all()) == 1
    page = _official_page(app, client, "/gis/markets")
    assert "Renewals in the next 30 days (1)" in page and chain.codes[0] in page


def test_overdue_inspections_and_corrective_actions_reach_the_lists_and_the_map(app, client,
                                                                             db, chain):
    approve(client, chain.p, chain.codes[0])           # approved 40 days ago
    approve(client, chain.p, chain.codes[1])
    plan = client.post("/api/v1/inspection-plans", headers=chain.p,
                       json={"crop": "Dragon fruit", "market": "CN", "cycle_days": 30})
    assert plan.status_code == 200 and plan.get_json()["crop"] == "dragon fruit"
    # The second code was inspected last week: not due; it must correct by yesterday.
    fixed = client.post("/api/v1/inspections", headers=chain.p, json={
        "code": chain.codes[1], "inspected_on": str(today() - timedelta(days=7)),
        "inspector": "An", "findings": ["records_missing"], "outcome": "corrective_action",
        "correct_by": str(today() - timedelta(days=1))})
    assert fixed.status_code == 201, fixed.get_json()
    late = client.get("/api/v1/inspections/overdue", headers=chain.p).get_json()
    assert [(r["code"], r["market"], r["days_late"]) for r in late["inspections"]] == \
        [(chain.codes[0], "CN", 10)]
    assert [(r["code"], r["days_late"]) for r in late["actions"]] == [(chain.codes[1], 1)]
    page = _official_page(app, client, "/gis/markets")
    assert "Overdue inspections (1)" in page and "Overdue corrective actions (1)" in page
    shown = client.get("/gis/markets/overdue.geojson").get_json()
    assert sorted((f["properties"]["overdue"], f["properties"]["code"])
                  for f in shown["features"]) == [("corrective_action", chain.codes[1]),
                                                  ("inspection", chain.codes[0])]
    closed = client.post(f"/api/v1/inspections/{fixed.get_json()['id']}/corrected",
                         headers=chain.p, json={"corrected_on": str(today())})
    assert closed.status_code == 200
    assert client.get("/api/v1/inspections/overdue", headers=chain.p).get_json()["actions"] == []


def test_the_decision_form_says_why_an_approval_is_refused(app, client, db, chain):
    made = client.post("/api/v1/code-markets", headers=chain.p,
                       json={"code": chain.codes[0], "market": "CN"}).get_json()
    _official_page(app, client, f"/gis/markets/{made['id']}")
    refused = client.post(f"/gis/markets/{made['id']}?lang=en", data={
        "csrf_token": csrf_token(client, f"/gis/markets/{made['id']}"), "action": "approve",
        "approved_on": str(today()), "list_reference": "GACC 9"})
    assert refused.status_code == 422
    assert "has not been submitted to CN" in refused.get_data(as_text=True)
    assert db.get(CodeMarket, made["id"]).state.value == "proposed"


def _official_page(app, client, path: str) -> str:
    assert login(client, "p@test.vn", PASSWORD).status_code in (302, 303)
    page = client.get(path + ("&" if "?" in path else "?") + "lang=en")
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    return page.get_data(as_text=True)
