"""What an EPCIS event is about: the objects its lists name, read as GS1 keys.

An event names its objects in epcList and quantityList (and, in other event types,
parentID, childEPCs, the input and output lists). Each identifier is read here into
the parts a lot (lô hàng) can be recognised by: a GTIN with its lot or serial, an
SSCC, or our own lot URN. Accepted spellings:
- EPC URIs: `urn:epc:id:sgtin:…` (GTIN and serial), `urn:epc:class:lgtin:…` (GTIN and
  lot), `urn:epc:idpat:sgtin:….*` (GTIN only), `urn:epc:id:sscc:…`;
- GS1 Digital Links on any domain: `…/01/{gtin}[/22/…][/10/{lot}][/21/{serial}]`,
  `…/00/{sscc}`;
- our lot URN `urn:agritrace:lot:{organization_id}.{product_id}.{lot}`.
Anything else is `None`: an identifier no lot of ours can be.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from labels.digital_link import DigitalLinkError, parse_link, parse_sscc_link
from labels.gs1 import Gs1Error, check_digit, normalize_gtin

from .vocabulary import URN_PREFIX, parse_lot_uri

# The event fields that name objects: lists of URIs, and lists of quantities whose
# epcClass is the URI.
_ID_LISTS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
_QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList",
                   "outputQuantityList")
_EPC = re.compile(r"urn:epc:(id|class|idpat):(sgtin|lgtin|sscc):(\d{6,12})\.(\d+)(?:\.(.+))?")


@dataclass(frozen=True)
class ObjectKey:
    """The parts of one identifier: `gtin` (14 digits) with its `lot` and/or `serial`,
    or an `sscc`, or our lot URN's `organization_id`, `product_id` and `lot`."""
    gtin: str | None = None
    lot: str | None = None
    serial: str | None = None
    sscc: str | None = None
    organization_id: int | None = None
    product_id: int | None = None


def named_objects(event: dict) -> list[tuple[str, str]]:
    """(field, URI) of every object the event names, the field relative to the event
    (`epcList[1]`, `quantityList[0].epcClass`, `parentID`), in the event's order."""
    found: list[tuple[str, str]] = []
    if isinstance(event.get("parentID"), str):
        found.append(("parentID", event["parentID"]))
    for name in _ID_LISTS:
        for i, uri in enumerate(event.get(name) or []):
            if isinstance(uri, str):
                found.append((f"{name}[{i}]", uri))
    for name in _QUANTITY_LISTS:
        for i, entry in enumerate(event.get(name) or []):
            if isinstance(entry, dict) and isinstance(entry.get("epcClass"), str):
                found.append((f"{name}[{i}].epcClass", entry["epcClass"]))
    return found


def object_key(uri: Any) -> ObjectKey | None:
    """What `uri` names, or None when it is no identifier a lot of ours can have."""
    if not isinstance(uri, str):
        return None
    if uri.startswith(URN_PREFIX):
        named = parse_lot_uri(uri)
        return ObjectKey(organization_id=named["organization_id"],
                         product_id=named["product_id"], lot=named["lot"]) if named else None
    if uri.startswith("urn:epc:"):
        return _from_epc(uri)
    if uri.lower().startswith(("http://", "https://")):
        return _from_link(uri)
    return None


def _from_epc(uri: str) -> ObjectKey | None:
    match = _EPC.fullmatch(uri)
    if not match:
        return None
    kind, scheme, prefix, reference, rest = match.groups()
    try:
        if scheme == "sscc":
            if kind != "id" or rest is not None or len(prefix) + len(reference) != 17:
                return None
            body = reference[:1] + prefix + reference[1:]
            return ObjectKey(sscc=body + str(check_digit(body)))
        if len(prefix) + len(reference) != 13 or rest is None:
            return None
        body = reference[:1] + prefix + reference[1:]
        gtin = normalize_gtin(body + str(check_digit(body)))
    except Gs1Error:
        return None
    value = unquote(rest)
    if (kind, scheme) == ("id", "sgtin"):
        return ObjectKey(gtin=gtin, serial=value)
    if (kind, scheme) == ("class", "lgtin"):
        return ObjectKey(gtin=gtin, lot=value)
    if (kind, scheme) == ("idpat", "sgtin") and rest == "*":
        return ObjectKey(gtin=gtin)
    return None


def _from_link(uri: str) -> ObjectKey | None:
    try:
        link = parse_link(uri)
        return ObjectKey(gtin=normalize_gtin(link.gtin), lot=link.lot, serial=link.serial)
    except Gs1Error as exc:
        if not (isinstance(exc, DigitalLinkError) and exc.reason == "unsupported_key"):
            return None
    try:
        return ObjectKey(sscc=parse_sscc_link(uri).sscc)
    except Gs1Error:
        return None
