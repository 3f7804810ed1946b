"""The access rules, objects and bodies of the field routes, merged into
test_access_matrix (see there for the actor sets and the meaning of each table)."""
from __future__ import annotations

from access_roles import *  # noqa: F401,F403

# "METHOD rule" -> the actors allowed (the sets of access_roles).
EXPECT: dict = {}
# "METHOD rule" -> lambda s: request kwargs of a write that would succeed for the owner.
BODIES: dict = {}
# "METHOD rule" -> lambda s: URL values that differ from the usual objects.
OTHER: dict = {}
# path -> query string.
QUERIES: dict = {}


def build(client, db, world, headers, objects) -> dict:
    """Make this feature's objects of organisation A in province P (inside the matrix's
    transaction); return the URL values they give, by URL variable name."""
    return {}
