"""The access rules, objects and bodies of the field routes, merged into
test_access_matrix (see there for the actor sets and the meaning of each table)."""
from __future__ import annotations

from access_roles import *  # noqa: F401,F403
from support import PASSWORD

# The field API answers a phone's device token only (Authorization: Device …), never a
# site session nor an API token, so every actor of the matrix is refused there; what a
# device may do is tested in test_field_api.py.
DEVICE_ONLY = frozenset()

# "METHOD rule" -> the actors allowed (the sets of access_roles).
EXPECT: dict = {
    "GET /field/": EVERYONE,
    "GET /field/manifest.webmanifest": EVERYONE,
    "GET /field/sw.js": EVERYONE,
    # Signing a phone in from a session: a producer, for its own organisation.
    "POST /field/api/devices": PRODUCER_ONLY,
    "GET /field/api/devices/me": DEVICE_ONLY,
    "GET /field/api/snapshot": DEVICE_ONLY,
    "POST /field/api/entries": DEVICE_ONLY,
    "POST /field/api/photos": DEVICE_ONLY,
    "GET /account/devices": LOGIN,
    "POST /account/devices/<id:device_id>/revoke": SELF,
    "GET /admin/devices": ADMIN,
    "POST /admin/devices/<id:device_id>/revoke": ADMIN,
}
# "METHOD rule" -> lambda s: request kwargs of a write that would succeed for the owner.
BODIES: dict = {
    "POST /field/api/devices": lambda s: {"data": {"name": "Điện thoại vườn"}},
}
# "METHOD rule" -> lambda s: URL values that differ from the usual objects.
OTHER: dict = {}
# path -> query string.
QUERIES: dict = {}


def build(client, db, world, headers, objects) -> dict:
    """Make this feature's objects of organisation A in province P (inside the matrix's
    transaction); return the URL values they give, by URL variable name."""
    phone = client.post("/field/api/devices", json={
        "email": world.producer_a.email, "password": PASSWORD, "name": "Điện thoại A"})
    assert phone.status_code == 201, phone.get_json()
    return {"device_id": phone.get_json()["device_id"]}
