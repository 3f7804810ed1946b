"""Enum values that templates and views translate at run time.

Templates show ``_(org.status.value)``, ``_(u.role.value)`` and ``_(o.kind.value)``
(and gis.py flashes ``_(org.status.value)``). pybabel cannot see those dynamic
msgids, so they are spelled out here; without this module ``pybabel extract``
would leave them out of messages.pot and ``pybabel update`` would drop their
translations. Nothing imports it: it exists only to be extracted.
"""
from flask_babel import lazy_gettext

TERMS = (
    # OrgStatus
    lazy_gettext("pending"),
    lazy_gettext("approved"),
    lazy_gettext("rejected"),
    lazy_gettext("suspended"),
    # OrgKind
    lazy_gettext("cooperative"),
    lazy_gettext("enterprise"),
    lazy_gettext("household"),
    lazy_gettext("agency"),
    # Role
    lazy_gettext("admin"),
    lazy_gettext("official"),
    lazy_gettext("producer"),
    # TokenScope
    lazy_gettext("read"),
    lazy_gettext("write"),
)
