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
    lazy_gettext("trader"),
    lazy_gettext("packing_house"),
    lazy_gettext("processor"),
    lazy_gettext("exporter"),
    lazy_gettext("distributor"),
    lazy_gettext("retailer"),
    # Role
    lazy_gettext("admin"),
    lazy_gettext("official"),
    lazy_gettext("producer"),
    # TokenScope
    lazy_gettext("read"),
    lazy_gettext("write"),
    # AreaStatus (pending, rejected and suspended are above)
    lazy_gettext("draft"),
    lazy_gettext("submitted"),
    lazy_gettext("issued"),
    lazy_gettext("revoked"),
    # FacilityStatus
    lazy_gettext("active"),
    lazy_gettext("closed"),
    # BatchStatus (closed is above)
    lazy_gettext("open"),
    lazy_gettext("recalled"),
    # ImportStatus
    lazy_gettext("checked"),
    lazy_gettext("imported"),
    lazy_gettext("discarded"),
    # RunStatus (issued and active are above)
    lazy_gettext("void"),
    # OrderStatus
    lazy_gettext("queued"),
    lazy_gettext("minting"),
    lazy_gettext("done"),
    lazy_gettext("failed"),
    # MarketState, a code's state for one export market (the others are above)
    lazy_gettext("proposed"),
    # area and facility actions, shown as "Cannot %(action)s …"
    lazy_gettext("submit"),
    lazy_gettext("approve"),
    lazy_gettext("reject"),
    lazy_gettext("suspend"),
    lazy_gettext("reinstate"),
    lazy_gettext("revoke"),
    lazy_gettext("close"),
)
