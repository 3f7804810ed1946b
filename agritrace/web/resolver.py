"""GS1 resolver behaviour for the Digital Links on stamps (GS1-Conformant Resolver
Standard 1.x): `?linkType=` picks one of a stamp's or a lot's links, `linkType=linkset`
(or `all`) or `Accept: application/linkset+json` lists them as an RFC 9264 linkset,
`/.well-known/gs1resolver` describes the resolver, and the scan page names its linkset
in a `Link` header.

What the standard asks and what this does:
- the default link type is `gs1:pip`, the scan page itself: a request without a
  linkType (or with `gs1:pip`) is served the page in place, as before;
- a link type the item has: 307 to it, passing on the request's other query
  parameters;
- a link type it does not have (unknown, or not for this item): 404, naming the
  linkset ("SHALL return a 404 Not Found message if a link of the requested type is
  not available"), never the page with a note;
- reading links is not a scan: no scan row, no counter, no verdict (services/links.py).
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from labels import linkset as gs1
from labels.codes import CodeError, parse_code
from labels.digital_link import DigitalLink, build_link

from ..errors import NotFound
from ..services import links

bp = Blueprint("resolver", __name__)

HTML = "text/html"
# Answers a browser or another site's script may read (the standard wants CORS).
OPEN = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "Link, Location",
        "Cache-Control": "no-store", "Vary": "Accept, Accept-Language"}

TITLES = {
    gs1.PIP: _l("Stamp check and the product's story"),
    "lot": _l("The lot's page: product, producer, growing areas"),
    gs1.TRACEABILITY: _l("Trace of the lot through the supply chain (sign-in needed)"),
    gs1.EPCIS: _l("EPCIS 2.0 events of the lot (API token needed)"),
    gs1.CERTIFICATION_INFO: _l("The product's certifications"),
    gs1.RECALL_STATUS: _l("Recall status of the lot"),
}


def _languages() -> list[str]:
    first = str(get_locale())
    return [first] + [lang for lang in current_app.config["LANGUAGES"] if lang != first]


def _titles(key: str, only: str | None = None) -> tuple[tuple[str, str], ...]:
    """A link's title in each language, the reader's first."""
    out = []
    for language in [only] if only else _languages():
        with force_locale(language):
            out.append((language, str(TITLES[key])))
    return tuple(out)


def _anchor(link: DigitalLink) -> str:
    """The uncompressed Digital Link asked about, without its query: the subject."""
    return build_link(link.stem, link.gtin, cpv=link.cpv, lot=link.lot, serial=link.serial)


def _pages(link: DigitalLink, anchor: str) -> list[gs1.Link]:
    """The page a Digital Link opens (the scan page, or the lot's or product's page),
    once per language."""
    key = gs1.PIP if link.serial is not None else "lot"
    return [gs1.Link(gs1.PIP, f"{anchor}?lang={lang}", _titles(key, lang), HTML, (lang,))
            for lang in current_app.config["LANGUAGES"]]


def item_links(link: DigitalLink, item: links.LinkedItem) -> list[gs1.Link]:
    """Every link of the item a Digital Link names, its page first."""
    anchor = _anchor(link)
    found = _pages(link, anchor)
    if item.batch_id is None:
        return found
    every = tuple(current_app.config["LANGUAGES"])
    lot_page = build_link(link.stem, item.gtin, lot=item.lot_code)
    found.append(gs1.Link(gs1.TRACEABILITY, url_for(
        "trace.lot", batch_id=item.batch_id, _external=True), _titles(gs1.TRACEABILITY),
        HTML, every))
    found.append(gs1.Link(gs1.EPCIS, request.host_url + "epcis/events?" + urlencode(
        {"MATCH_anyEPCClass": item.epc_class}), _titles(gs1.EPCIS), "application/ld+json"))
    if item.certified:
        found.append(gs1.Link(gs1.CERTIFICATION_INFO, lot_page + "#product",
                              _titles(gs1.CERTIFICATION_INFO), HTML, every))
    found.append(gs1.Link(gs1.RECALL_STATUS, url_for(
        "resolver.recall_status", gtin=item.gtin, lot=item.lot_code, _external=True),
        _titles(gs1.RECALL_STATUS), HTML, every))
    return found


def _open(response: Response, link: DigitalLink) -> Response:
    response.headers.update(OPEN)
    response.headers["Link"] = gs1.link_header(_linkset_url(link))
    return response


def _linkset_url(link: DigitalLink) -> str:
    return _anchor(link) + "?linkType=linkset"


def _not_found(link: DigitalLink, detail: str, errors: dict | None = None) -> Response:
    body = {"type": "about:blank", "title": _("Not found"), "status": 404, "detail": detail}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = 404
    response.mimetype = "application/problem+json"
    return _open(response, link)


def _wants_linkset() -> bool:
    best = request.accept_mimetypes.best_match([HTML, gs1.LINKSET_TYPE, "application/json"])
    return best in (gs1.LINKSET_TYPE, "application/json")


def _item(link: DigitalLink) -> links.LinkedItem:
    stamp_id = None
    if link.serial is not None:
        try:
            stamp_id = parse_code(link.serial)
        except CodeError:
            raise NotFound(_("No stamp in use has this code.")) from None
    return links.linked_item(link.gtin, link.lot, stamp_id)


def answer(link: DigitalLink) -> Response | None:
    """The resolver's answer to a Digital Link request, or None when it is a visit to
    the page itself (no linkType, or gs1:pip): then the caller serves the page."""
    if request.method not in ("GET", "HEAD"):
        return None
    wanted = gs1.requested_type(request.args.get("linkType"))
    if wanted is None and _wants_linkset():
        wanted = "linkset"
    if wanted in (None, gs1.PIP, gs1.DEFAULT_LINK):
        return None
    try:
        found = item_links(link, _item(link))
    except NotFound as exc:
        return _not_found(link, exc.detail)
    if wanted == "linkset":
        # The default link is the page itself, titled in the reader's language.
        page = gs1.choose(found, gs1.PIP, _languages()) or found[0]
        body = gs1.linkset(_anchor(link), found, default=gs1.Link(
            gs1.PIP, _anchor(link), page.titles))
        response = current_app.response_class(
            current_app.json.dumps(body), mimetype=gs1.LINKSET_TYPE)
        return _open(response, link)
    target = gs1.choose(found, wanted, _languages())
    if target is None:
        detail = _("This item has no link of type %(type)s; its links are listed at "
                   "%(url)s.", type=request.args.get("linkType"), url=_linkset_url(link))
        return _not_found(link, detail, {"linkType": [detail]})
    passed_on = [(k, v) for k, v in request.args.items(multi=True) if k != "linkType"]
    response = current_app.response_class(status=307)
    response.headers["Location"] = gs1.with_query(target.href, passed_on)
    return _open(response, link)


def announce(response: Response, link: DigitalLink) -> Response:
    """Name the page's linkset in its `Link` header."""
    response.headers["Link"] = gs1.link_header(_linkset_url(link))
    return response


# --- the resolver's own resources ---------------------------------------------------------

@bp.get("/.well-known/gs1resolver")
def description():
    """The resolver description file (GS1-Conformant Resolver Standard, section 3)."""
    response = jsonify({
        "name": "AgriTrace",
        "resolverRoot": request.host_url.rstrip("/"),
        "supportedPrimaryKeys": ["01"],
        "supportedLinkType": [{"namespace": gs1.GS1_VOC, "prefix": "gs1:"}],
        "linkTypeDefaultCanBeLinkset": False,
        "jsonLdContextLocation": gs1.LINKSET_CONTEXT,
        "contact": {"fn": "AgriTrace"},
    })
    response.headers.update(OPEN)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/recall-status/<gtin>/<path:lot>")
def recall_status(gtin: str, lot: str):
    """Whether a published lot is recalled: a page, or JSON for an app that asks."""
    status = links.recall_status(gtin, lot)
    if request.accept_mimetypes.best_match([HTML, "application/json"]) == "application/json":
        response = jsonify({
            "gtin": status.gtin, "lot": status.lot_code, "recalled": status.recalled,
            "recalledAt": status.recalled_at.isoformat() if status.recalled_at else None,
            "reason": status.reason})
    else:
        english = str(get_locale()) == "en"
        name = status.product_name_en if english and status.product_name_en \
            else status.product_name
        response = Response(render_template(
            "scan/recall_status.html", status=status, name=name,
            here=url_for("resolver.recall_status", gtin=gtin, lot=lot)))
    response.headers.update(OPEN)
    return response
