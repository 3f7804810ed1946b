"""EPCIS subscriptions end to end: a webhook receiver on loopback, the worker as a real
process on a database of its own, killed, and the delivery step run again by a new app."""
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from agritrace import create_app
from agritrace.db import EXTENSION, session
from agritrace.models import EpcisDelivery
from agritrace.services import epcis_delivery
from support import World, drop, english, make_database

SECRET = "13df38d8275b13f05704629e5f1cf3d45d6132d5"


class Receiver(BaseHTTPRequestHandler):
    got: list = []
    arrived = threading.Condition()

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.arrived:
            self.got.append((self.headers, body, time.monotonic()))
            self.arrived.notify_all()
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def setup():
    url = make_database("subscriptions")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "subscriptions-test",
                      "EPCIS_WEBHOOK_PRIVATE_OK": True})
    with app.app_context():
        world = World(session())
        session().commit()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield app, url, world, f"http://127.0.0.1:{server.server_port}/hook"
    finally:
        server.shutdown()
        app.extensions[EXTENSION].kw["bind"].dispose()
        drop(url)


def _capture(client, headers, serial: int) -> None:
    event = {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping",
             "eventTime": "2026-11-03T08:00:00.000+07:00", "eventTimeZoneOffset": "+07:00",
             "epcList": [f"urn:epc:id:sgtin:0614141.107346.{serial}"]}
    done = client.post("/epcis/events", headers=headers, json=event)
    assert done.status_code == 201, done.get_data(as_text=True)


def _worker(url: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "EPCIS_WEBHOOK_PRIVATE_OK": "1",
           "AGRITRACE_CLI_LANG": "en"}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "agritrace", "stamps",
                               "worker"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    assert "waiting for orders" in worker.stdout.readline()
    return worker


def _serials(count: int, timeout: float = 8.0) -> list[str]:
    """The EPCs received so far, once `count` deliveries have come (or the time is up)."""
    end = time.monotonic() + timeout
    with Receiver.arrived:
        while len(Receiver.got) < count and time.monotonic() < end:
            Receiver.arrived.wait(end - time.monotonic())
    return [event["epcList"][0].rsplit(".", 1)[1] for _, body, _ in Receiver.got
            for event in json.loads(body)["epcisBody"]["queryResults"]["resultsBody"]
            ["eventList"]]


def _until_sent(app, timeout: float = 5.0) -> None:
    with app.app_context():
        end = time.monotonic() + timeout
        while session().scalar(select(EpcisDelivery.id).where(
                EpcisDelivery.status == "pending")) and time.monotonic() < end:
            session().rollback()
            time.sleep(0.1)
        session().rollback()


def test_a_subscription_delivers_each_new_event_once_across_a_worker_restart(setup):
    app, url, world, hook = setup
    client = app.test_client()
    a = english(world.token(world.producer_a))
    _capture(client, a, 1)                       # before the subscription: never sent
    assert client.post("/epcis/queries", headers=a, json={
        "name": "shipped", "query": {"EQ_bizStep": "shipping"}}).status_code == 201
    made = client.post("/epcis/queries/shipped/subscriptions", headers=a,
                       json={"dest": hook, "signatureToken": SECRET, "stream": True})
    assert made.status_code == 201, made.get_data(as_text=True)
    sid = made.get_json()["subscriptionID"]
    assert made.headers["Location"].endswith(f"/epcis/queries/shipped/subscriptions/{sid}")
    assert "signatureToken" not in made.get_json() and made.get_json()["stream"] is True

    worker = _worker(url)
    try:
        captured = time.monotonic()
        _capture(client, a, 2)
        assert _serials(1) == ["2"]
        headers, body, arrived = Receiver.got[0]
        assert arrived - captured < 5
        assert headers["GS1-Signature"] == "sha256=" + hmac.new(
            SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["Idempotency-Key"].startswith(sid)
        document = json.loads(body)
        assert document["type"] == "EPCISQueryDocument"
        assert document["epcisBody"]["queryResults"]["subscriptionID"] == sid
        # Stopped once the database says it was sent (a worker killed between the
        # receiver's answer and that commit sends it again, with the same key).
        _until_sent(app)
    finally:
        worker.kill()
        worker.wait()
    _capture(client, a, 3)                       # while no worker runs
    # Started again: the delivery step of a new app on the same database, twice.
    again = create_app({"DATABASE_URL": url, "SECRET_KEY": "subscriptions-test",
                        "EPCIS_WEBHOOK_PRIVATE_OK": True})
    with again.app_context():
        assert epcis_delivery.deliver() == 1
        assert epcis_delivery.deliver() == 0
    again.extensions[EXTENSION].kw["bind"].dispose()
    assert _serials(3, timeout=0) == ["2", "3"]


def test_bad_subscription_controls_are_refused_with_the_standard_exception(setup):
    app, url, world, hook = setup
    client = app.test_client()
    a = english(world.token(world.producer_a))
    client.post("/epcis/queries", headers=a, json={"name": "all", "query": {}})
    for body, field in (({"dest": hook}, "stream"),
                        ({"dest": "ftp://example.com/x", "stream": True}, "dest"),
                        ({"dest": hook, "stream": True, "schedule": {"hour": "1"}}, "stream"),
                        ({"dest": hook, "schedule": {"hour": "25"}}, "schedule.hour"),
                        ({"dest": hook, "stream": True, "colour": "red"}, "colour")):
        got = client.post("/epcis/queries/all/subscriptions", headers=a, json=body)
        assert got.status_code == 400, body
        problem = got.get_json()
        assert problem["type"] == "epcisException:SubscriptionControlsException"
        assert field in problem["errors"], (body, problem)
    missing = client.post("/epcis/queries/nothing/subscriptions", headers=a,
                          json={"dest": hook, "stream": True})
    assert missing.get_json()["type"] == "epcisException:NoSuchNameException"
    b = english(world.token(world.producer_b))
    assert client.get("/epcis/queries/all/subscriptions", headers=b).status_code == 404
    scheduled = client.post("/epcis/queries/all/subscriptions", headers=a, json={
        "dest": hook, "schedule": {"hour": "1", "minute": "5"}, "reportIfEmpty": True})
    assert scheduled.status_code == 201
    sid = scheduled.get_json()["subscriptionID"]
    listed = client.get("/epcis/queries/all/subscriptions", headers=a).get_json()
    assert [s["subscriptionID"] for s in listed] == [sid]
    assert client.delete(f"/epcis/queries/all/subscriptions/{sid}",
                         headers=a).status_code == 204
    assert client.get(f"/epcis/queries/all/subscriptions/{sid}",
                      headers=a).status_code == 404
