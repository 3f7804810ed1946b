"""What the scan pages say, shared with the officials' pages: a verdict in words, the
outcome of a scratch PIN, and what is wrong in a consumer's report (phản ánh)."""
from __future__ import annotations

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..models import Verdict
from ..models.scans import ReportReason
from ..services import scans

REASONS = {ReportReason.FAKE: _l("The stamp or the product looks fake"),
           ReportReason.QUALITY: _l("The product is spoiled or of poor quality"),
           ReportReason.INFORMATION: _l("The information on this page is wrong"),
           ReportReason.OTHER: _l("Something else")}
PIN_MESSAGES = {
    "claimed": _l("Thank you: the PIN is right, and this stamp is now registered as "
                  "bought by you (%(when)s)."),
    "already_claimed": _l("The PIN is right, but it was already entered on %(when)s. If "
                          "that was not you, the product may carry a copied stamp: please "
                          "report it."),
    "wrong": _l("This PIN does not match the stamp code. Check both against the stamp."),
    "not_active": _l("This stamp is not active, so its PIN cannot be used. Open the stamp's "
                     "page to see why."),
}


def verdict_words(result: scans.ScanResult) -> tuple[str, str]:
    """The headline and the message of a verdict."""
    v = result.verdict
    if v == Verdict.GENUINE:
        return _("Genuine stamp"), _("This stamp was issued on AgriTrace for the product "
                                     "below, and nobody else has checked it before you.")
    if v == Verdict.REPEAT:
        return _("Genuine stamp, checked before"), _(
            "This stamp has been scanned %(n)s times since %(date)s. If you have just bought "
            "the product and had not scanned it before, it may carry a copied stamp: ask "
            "the seller, or report it below.", n=result.scan_count,
            date=format_date(result.first_scan_at))
    if v == Verdict.SUSPECT_COPY:
        return _("Suspected copy"), _(
            "This stamp has been checked by too many different people, or in places too "
            "far apart, to be one genuine stamp. The product may be counterfeit: please "
            "report where you bought it.")
    if v == Verdict.RECALLED:
        return _("Recalled: do not eat or use"), _(
            "This batch was recalled. Do not eat or use the product; take it back to the "
            "seller.")
    if v == Verdict.EXPIRED:
        return _("Past its expiry date"), _("This batch expired on %(date)s.",
                                            date=format_date(result.expiry_date))
    if v == Verdict.INACTIVE:
        return _("Stamp not activated"), _(
            "This stamp has not been released for sale by its producer yet. A product on "
            "sale with it may not be genuine: please report where you found it.")
    if v == Verdict.VOID:
        return _("Stamp cancelled"), _(
            "This stamp was cancelled by its producer (lost or spoiled before use). A "
            "product carrying it may not be genuine: please report where you found it.")
    return _("Unknown code"), _(
        "This code is not one of the stamps issued on AgriTrace. The product may not be "
        "genuine: please report where you found it.")
