"""/verify: a typed code opens the stamp's page; a scratch PIN claims the stamp once."""
import re

from sqlalchemy import func, select

from agritrace.models import Stamp, StampRun
from labels.codes import compact_code, format_code, pin_for
from test_scan import make_run, scan, token, unused_id
from test_scan import batch  # noqa: F401  (fixture)

IP = "203.0.113.7"


def verify(client, code: str, pin: str | None = None, ip: str = IP):
    data = {"csrf_token": token(client, ip), "code": code}
    if pin is not None:
        data["pin"] = pin
    return client.post("/verify", data=data, headers={"Accept-Language": "en"},
                       environ_base={"REMOTE_ADDR": ip})


def pinned(client, db, world, batch_id, n=3, **kw):
    run_id, ids = make_run(client, db, world, batch_id, n, pin=True, **kw)
    key = db.get(StampRun, run_id).pin_key
    return run_id, ids, key


def result_of(response) -> str:
    found = re.search(r'<div class="banner pin-(\w+)"', response.get_data(as_text=True))
    return found.group(1) if found else ""


def test_a_typed_code_opens_the_stamp_page(client, db, world, batch):  # noqa: F811
    _run, ids = make_run(client, db, world, batch["id"], 1)
    page = client.get("/verify", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and 'name="pin"' in page.get_data(as_text=True)
    typed = format_code(ids[0]).lower().replace("-", " ")
    sent = verify(client, typed)
    assert sent.status_code == 303
    assert sent.headers["Location"].endswith(f"/s/{compact_code(ids[0])}")
    assert db.get(Stamp, ids[0]).scan_count == 0   # the page it leads to records the scan


def test_a_mistyped_code_is_explained_on_the_form(client, db, world):
    for typed, words in (("7KQ2-M9XD", "has 8"), ("7KQ2-M9XD-4TPA-W#", "cannot appear"),
                         ("", "This field is required")):
        got = verify(client, typed)
        assert got.status_code == 400
        assert words in got.get_data(as_text=True), typed


def test_the_first_correct_pin_claims_the_stamp_and_later_ones_say_when(client, db, world,
                                                                        batch):  # noqa: F811
    _run, ids, key = pinned(client, db, world, batch["id"])
    pin = pin_for(key, ids[0])
    wrong = f"{(int(pin) + 1) % 1_000_000:06d}"
    got = verify(client, format_code(ids[0]), wrong)
    assert result_of(got) == "wrong" and "does not match" in got.get_data(as_text=True)
    assert db.get(Stamp, ids[0]).claimed_at is None
    first = verify(client, format_code(ids[0]), pin[:3] + " " + pin[3:])
    assert result_of(first) == "claimed"
    stamp = db.get(Stamp, ids[0])
    db.refresh(stamp)
    claimed_at = stamp.claimed_at
    assert claimed_at is not None
    again = verify(client, format_code(ids[0]), pin, ip="198.51.100.4")
    assert result_of(again) == "already_claimed"
    assert claimed_at.strftime("%b") in again.get_data(as_text=True)
    db.refresh(stamp)
    assert stamp.claimed_at == claimed_at
    # The stamp page says so too, and no longer offers the PIN box.
    page = scan(client, ids[0]).get_data(as_text=True)
    assert "PIN of this stamp was entered on" in page and 'id="pin-form"' not in page
    assert 'id="pin-form"' in scan(client, ids[1]).get_data(as_text=True)


def test_unknown_codes_and_stamps_without_a_pin_answer_like_a_wrong_pin(client, db, world,
                                                                        batch):  # noqa: F811
    _run, plain = make_run(client, db, world, batch["id"], 1)
    answers = {result_of(verify(client, format_code(stamp_id), "123456")).strip()
               for stamp_id in (plain[0], unused_id(db))}
    assert answers == {"wrong"}
    assert db.scalar(select(func.count()).select_from(Stamp).where(
        Stamp.claimed_at.is_not(None))) == 0


def test_a_stamp_not_active_cannot_be_claimed(client, db, world, batch):  # noqa: F811
    _run, ids, key = pinned(client, db, world, batch["id"], activate=False)
    got = verify(client, format_code(ids[0]), pin_for(key, ids[0]))
    assert result_of(got) == "not_active"
    assert db.get(Stamp, ids[0]).claimed_at is None


def test_pin_guesses_are_limited_per_client_and_per_stamp(app, client, db, world,
                                                          batch):  # noqa: F811
    _run, ids, key = pinned(client, db, world, batch["id"])
    limits = dict(app.config["RATE_LIMITS"])
    app.config["RATE_LIMITS"] = {**limits, "verify": (3, 600), "pin": (5, 3600)}
    try:
        for _ in range(3):
            assert verify(client, format_code(ids[0]), "000000").status_code == 200
        refused = verify(client, format_code(ids[0]), "000000")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        # From other addresses the stamp's own limit stops the guessing: two more.
        others = [verify(client, format_code(ids[0]), "000000", ip=f"192.0.2.{n}").status_code
                  for n in range(3)]
        assert others == [200, 200, 429]
        # Even the right PIN waits now; another stamp does not.
        assert verify(client, format_code(ids[0]), pin_for(key, ids[0]),
                      ip="192.0.2.50").status_code == 429
        assert result_of(verify(client, format_code(ids[1]), pin_for(key, ids[1]),
                                ip="192.0.2.51")) == "claimed"
    finally:
        app.config["RATE_LIMITS"] = limits
    assert db.get(Stamp, ids[0]).claimed_at is None
